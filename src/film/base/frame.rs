//! What moves through the film pipeline: a keyframe and the frames that wait for it, first as the reader hands
//! them to the workers, then as the workers hand them to the sink.

use opencv::core::Mat;

use super::motion::Carry;

pub struct Frame<T> {
    /// Index in the source film, as frame names and messages give it.
    pub index: usize,
    /// The index of the frame its shot starts with: the unit records and refinishing know frames by.
    pub shot: usize,
    /// Time in the source film, from the frame's own timestamp; None where the container gives none.
    pub seconds: Option<f64>,
    /// The source frame, kept for side-by-side films and contact sheets.
    pub original: Option<Mat>,
    pub work: T,
}

impl<T> Frame<T> {
    /// The same frame, its work turned into the next stage's.
    pub fn map<U>(self, work: impl FnOnce(T) -> U) -> Frame<U> {
        let Ok(frame) = self.try_map(|w| Ok::<U, std::convert::Infallible>(work(w)));
        frame
    }

    /// The same frame, its work turned into the next stage's where that can fail.
    pub fn try_map<U, E>(self, work: impl FnOnce(T) -> Result<U, E>) -> Result<Frame<U>, E> {
        Ok(Frame {
            index: self.index,
            shot: self.shot,
            seconds: self.seconds,
            original: self.original,
            work: work(self.work)?,
        })
    }
}

impl<T> Frame<Option<T>> {
    /// The frame, if it has work left.
    pub fn transpose(self) -> Option<Frame<T>> {
        let work = self.work?;
        Some(Frame {
            index: self.index,
            shot: self.shot,
            seconds: self.seconds,
            original: self.original,
            work,
        })
    }
}

/// A keyframe and the frames since the previous one, which get their colour from both: the unit the pipeline
/// moves, so a worker's forward pass and the frames that need its result travel together.
pub struct Segment<K> {
    pub between: Vec<Frame<Between>>,
    /// None when the film ends before another keyframe.
    pub key: Option<Frame<K>>,
}

/// A frame whose colour is carried from the keyframes on either side.
pub enum Between {
    /// Already on disk from an earlier run.
    Resumed,
    Carried {
        /// L at full resolution.
        l: Mat,
        /// From the previous keyframe.
        back: Carry,
        /// From the next keyframe, unless the next one starts a new shot or the film ends first.
        ahead: Option<Carry>,
        /// Where the frame lies between the two keyframes: 0 at the previous one, 1 at the next.
        at: f64,
    },
}

/// A keyframe: `T` is what the network needs (`Input`) on the way to the workers, its prediction (`Ab`) after.
pub enum Key<T> {
    /// Already on disk from an earlier run; `cut` as for `Computed`, for the review.
    Resumed { cut: bool },
    Computed {
        /// L at full resolution.
        l: Mat,
        /// None when the frame repeats the last keyframe, whose prediction it reuses.
        net: Option<T>,
        /// From the previous keyframe, for steadying its colour; None where a shot starts.
        back: Option<Carry>,
        /// A shot starts here after another: the picture is too unlike the frame before to be the same shot.
        cut: bool,
        /// In the range written; otherwise it warms a shard up, or lies past the range's end and is read only so
        /// the frames before it get colour from both sides.
        written: bool,
    },
}

impl<T> Key<T> {
    /// The same keyframe, what the network needs turned into its prediction.
    pub fn with_net<U>(self, net: impl FnOnce(Option<T>) -> Option<U>) -> Key<U> {
        match self {
            Key::Resumed { cut } => Key::Resumed { cut },
            Key::Computed {
                l,
                net: input,
                back,
                cut,
                written,
            } => Key::Computed {
                l,
                net: net(input),
                back,
                cut,
                written,
            },
        }
    }
}

/// What a keyframe's prediction is made from.
pub enum Input {
    /// L resized to the network's square, as a 1x1xSxS blob: one forward pass.
    Blob(Mat),
    /// The prediction an earlier run made for this frame (predictions.rs): no forward pass.
    Stored(Ab),
}

/// The network's a/b, on its output grid, and where it came from.
pub struct Ab {
    pub ab: Mat,
    pub origin: Origin,
    /// The network's mean uncertainty over the frame (entropy.rs), where the run that predicted it measured it.
    pub uncertainty: Option<f64>,
}

/// Where a prediction came from: the network now, or the store of an earlier run's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Network,
    Store,
}

/// How a frame's picture is made.
pub enum Picture {
    /// Read back: an earlier run finished it.
    OnDisk,
    /// `ab` put on `l`, then written to the frames folder.
    Paint { l: Mat, ab: Mat },
}
