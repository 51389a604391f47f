//! A frame on its way through the film pipeline: what the reader hands the workers, and what they hand the sink.

use opencv::core::Mat;

pub struct Frame<T> {
    /// Index in the source film, as frame names and messages give it.
    pub index: usize,
    /// Time in the source film, from the frame's own timestamp.
    pub seconds: f64,
    /// The source frame, kept for side-by-side films.
    pub original: Option<Mat>,
    pub work: T,
}

/// What a worker is to do with a frame.
pub enum Job {
    /// Already on disk from an earlier run: nothing to compute.
    Resumed,
    /// `l` at full resolution; `input` for the network, None when the frame repeats the last computed one.
    Computed { l: Mat, input: Option<Mat>, cut: bool },
}

/// What a worker made of a frame.
pub enum Coloured {
    Resumed,
    /// `ab` is the network's prediction, None for a repeated frame.
    Computed {
        l: Mat,
        ab: Option<Mat>,
        cut: bool,
    },
}
