//! The review page: what a run measured of each frame (kind, cut, how steady its colour, how sure the network),
//! the shots to look at first, and the page itself, one self-contained HTML file with those numbers embedded as
//! JSON for tools.

mod attention;
mod collect;
mod data;
mod page;
mod photos;
mod picture;
mod plot;
mod write;

pub use collect::Collector;
pub use data::{
    page_beside, Attention, Data, Doubt, FrameRecord, Kind, ModelDigests, Rerun, Settings, Stored, Wanted, Why,
};
pub use photos::{PhotoCollector, PhotoData, PhotoRecord, PhotoSettings};
pub use picture::Shown;
pub use write::{write, write_photos};
