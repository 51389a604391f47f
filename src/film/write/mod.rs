//! The ordered end of the pipeline: the sink paints each segment, makes its pictures, writes frames and film in
//! order and finishes the film (sink.rs), and says what it did (summary.rs); a frame's picture (picture.rs); the
//! film kept in step with its sound (timeline.rs). Imports every room but run.

pub mod picture;
pub mod sink;
pub mod summary;
pub mod timeline;
