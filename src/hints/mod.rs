//! Colour hints: "this coat was green". A hints file names pixels of the source picture and the colour they had;
//! read and checked here, before anything is written (read.rs), then spread over the picture (spread.rs).
//!
//! Two ways to give them: a CSV file whose header names its columns (`x`, `y`, `colour` or `color` as `#rrggbb`,
//! optional `radius` in pixels, `file` for a batch, and for films `frame` or `time`), or a scribble: a PNG with
//! alpha the size of the picture, every opaque pixel of which is a hint of its own colour (for films, a folder of
//! them named by frame).

mod file;
mod read;
mod scribble;
mod spread;

pub use file::{check_batch, Hint, HintFile, Placed};
pub use read::read;
pub use spread::{spread, FILM, PHOTO};
