//! How often the network runs at the least: on every K-th frame, or `auto`, and how a keyframe is found due.

use std::fmt::{self, Display};
use std::str::FromStr;

use super::motion::Carry;

/// How often the network runs at the least.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    /// On every K-th frame.
    Every(usize),
    /// On every third frame where the picture moves; where the colour carried from the last keyframe stays
    /// trustworthy, the keyframe is let go, up to every AUTO_LONGEST-th frame.
    Auto,
}

/// The keyframe interval `auto` keeps where the picture moves: on bikes.mp4 4 and 5 lost up to a dB against 3.
const AUTO_STEP: usize = 3;
/// The longest interval `auto` stretches to, the absolute grid every decision looks back to: long enough for a
/// still shot of old film to need a forward pass every half second, short enough that frames waiting for their
/// keyframe stay few.
pub const AUTO_LONGEST: usize = 12;

/// What lets `auto` run the network at a multiple of AUTO_STEP anyway: more than this share of the picture carried
/// from the last keyframe less than half trusted, or the picture's fastest parts (95th percentile) moved further
/// than AUTO_MOVED analysis pixels since it. Tuned on two clips: bikes.mp4 (cyclists crossing the frame) keeps
/// its carried colour 50.1 dB from the truth with 43 keyframes in 120 frames (44 at K = 3), and the Chaplin clip
/// (people walking, a still camera) gets 55 forward passes in 241 frames (81 at K = 3). The share alone, at any
/// threshold, gave up either one or the other.
const AUTO_UNSURE: f64 = 0.06;
const AUTO_MOVED: f64 = 2.5;

impl Interval {
    /// The longest interval between two keyframes of one shot.
    pub fn longest(self) -> usize {
        match self {
            Interval::Every(k) => k,
            Interval::Auto => AUTO_LONGEST,
        }
    }

    /// Whether frame `index`, carried from the last keyframe along `back`, is due for the network.
    pub fn due(self, index: usize, back: Option<&Carry>) -> bool {
        match self {
            Interval::Every(k) => index.is_multiple_of(k),
            Interval::Auto => {
                index.is_multiple_of(AUTO_LONGEST)
                    || (index.is_multiple_of(AUTO_STEP)
                        && back.is_none_or(|b| b.unsure > AUTO_UNSURE || b.moved > AUTO_MOVED))
            }
        }
    }
}

/// As the user writes it and the records keep it: `auto`, or K.
impl Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Interval::Every(k) => write!(f, "{k}"),
            Interval::Auto => f.write_str("auto"),
        }
    }
}

impl FromStr for Interval {
    type Err = std::num::ParseIntError;

    fn from_str(text: &str) -> Result<Interval, Self::Err> {
        match text {
            "auto" => Ok(Interval::Auto),
            _ => text.parse().map(Interval::Every),
        }
    }
}
