//! Where shots start and which keyframes repeat the last one, judged on what the network sees (the SxS L input),
//! so it costs little next to a forward pass.

use anyhow::Result;
use opencv::core::{self, Mat};
use opencv::prelude::*;

/// Mean absolute difference of the network inputs, in L units (0..100), below which a frame is taken for a
/// repeat of the last computed one. On the Chaplin clip (25 fps padding of a 16-18 fps film) consecutive inputs
/// differ by 0.007-0.106 where a frame repeats (compression noise) and by 0.27 or more where the picture moves:
/// 0.2 sits in that gap.
pub const REPEAT_THRESHOLD: f64 = 0.2;

/// Mean absolute difference between consecutive inputs above which the shot is taken to change: smoothing
/// restarts so no colour bleeds across a cut. Movement within a shot on the same clip stays below 3.5.
pub const CUT_THRESHOLD: f64 = 12.0;

fn mean_abs_diff(a: &Mat, b: &Mat) -> Result<f64> {
    Ok(core::norm2(a, b, core::NORM_L1, &core::no_array())? / (a.total() * a.channels() as usize) as f64)
}

/// Whether a frame starts a shot: smoothing restarts and nothing is carried across it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shot {
    Starts,
    Continues,
}

impl Shot {
    /// As a record's `cut` says it.
    pub fn at_cut(cut: bool) -> Shot {
        if cut {
            Shot::Starts
        } else {
            Shot::Continues
        }
    }
}

/// Whether a keyframe that repeats the last one reuses its prediction: never under `--exact`, which runs the
/// network on every keyframe as the recipe does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeats {
    Detect,
    Never,
}

/// The reader's memory of network inputs: the previous frame's, for cuts, and the last keyframe's, for repeats.
#[derive(Default)]
pub struct Scene {
    key: Option<Mat>,
    previous: Option<Mat>,
}

impl Scene {
    /// Whether a shot starts with this frame (as the range's first frame does).
    pub fn shot(&mut self, input: &Mat) -> Result<Shot> {
        let cut = match &self.previous {
            Some(previous) => mean_abs_diff(previous, input)? > CUT_THRESHOLD,
            None => true,
        };
        self.previous = Some(input.try_clone()?);
        Ok(if cut { Shot::Starts } else { Shot::Continues })
    }

    /// Whether a keyframe repeats the last one (so its prediction can be reused); remembered if it does not.
    pub fn repeats_key(&mut self, input: &Mat, shot: Shot, repeats: Repeats) -> Result<bool> {
        let repeat = repeats == Repeats::Detect
            && shot == Shot::Continues
            && match &self.key {
                Some(key) => mean_abs_diff(key, input)? < REPEAT_THRESHOLD,
                None => false,
            };
        if !repeat {
            self.key = Some(input.try_clone()?);
        }
        Ok(repeat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::core::{Scalar, CV_32F};

    fn input(level: f64) -> Mat {
        Mat::new_nd_with_default(&[1, 1, 8, 8], CV_32F, Scalar::all(level)).unwrap()
    }

    #[test]
    fn cuts_and_repeats_of_the_last_keyframe() {
        let mut scene = Scene::default();
        let mut judge = |level: f64, repeats: Repeats| {
            let shot = scene.shot(&input(level)).unwrap();
            (shot, scene.repeats_key(&input(level), shot, repeats).unwrap())
        };
        use {Repeats::*, Shot::*};
        assert_eq!(judge(0.0, Detect), (Starts, false));
        assert_eq!(judge(0.15, Detect), (Continues, true));
        // A slow drift: each step looks like a repeat of the one before, but not of the last keyframe.
        assert_eq!(judge(0.3, Detect), (Continues, false));
        assert_eq!(judge(0.3, Never), (Continues, false));
        assert_eq!(judge(30.0, Detect), (Starts, false));
    }
}
