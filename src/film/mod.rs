//! Films, in rooms by concern, each importing only the rooms below it (tests/suite/layout.rs holds them to it):
//!
//! - `run`: a film's run from start to end (`colorize`), and whether a film already made is made again;
//! - `write`: the sink, the ordered end of the pipeline: frames painted, pictures made, the film written and
//!   finished;
//! - `review`: what the review page shows of each frame, gathered as frames pass, and the page `assemble` writes;
//! - `plan`: every setting resolved once into a plan, what the run writes, what it takes over from earlier runs;
//! - `read`: the reader stage: frames decoded and judged, keyframes chosen the same way wherever a run starts;
//! - `records`: every file beside the frames and the films (fingerprints, manifests, the resume record, stored
//!   predictions, shots, owners, shards' parts);
//! - `colour`: colour over time decided in one place (the painter), hints followed through their shots;
//! - `io`: the source film, the film writer, the frames folder, finishing (sound, rate, rename), shards;
//! - `base`: what every room speaks: a frame as it moves through the pipeline, the motion between frames, cuts,
//!   the keyframe interval, the time each stage took.
//!
//! This file only names the rooms and what the rest of colorize may use of them.

mod base;
mod colour;
#[cfg(test)]
mod ground_truth;
mod io;
mod plan;
mod read;
mod records;
mod review;
mod run;
mod write;

pub use base::interval::Interval;
pub use base::profile::Profile;
pub use colour::hint_files::check_hints;
pub use io::finish::{check_sound_source, finish_film, join_parts, Sound};
pub use io::frame_dir::FrameFormat;
pub use io::shard::{Shard, ShardSpec};
pub use io::source::{is_film, EXTENSIONS};
pub use io::writer::{fourcc, FilmWriter};
pub use plan::outputs::{sheet_beside, FramesFolder, Outputs};
pub use plan::resolve::{Layout, Options};
pub use records::manifest::check_folder;
pub use records::owner::content_digest;
pub use records::owner::{made_by_colorize, Owner};
pub use records::parts::check_parts;
pub use review::assembled::{review_from_records, AssembledReview};
pub use run::colorize::colorize;
pub use run::refinish::refinish_due;
pub use write::summary::{HintsDone, Summary};
