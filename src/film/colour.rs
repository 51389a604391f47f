//! Colour over time: repeated frames reuse the last prediction, and a/b are smoothed between scene cuts.
//!
//! Both work on what the network sees and says (the SxS L input and the S/4 a/b output), so they cost
//! nothing next to a forward pass and never blur detail: the full-resolution L is untouched.

use anyhow::{Context, Result};
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

/// What the reader decides about a frame from its network input alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub repeat: bool,
    pub cut: bool,
}

/// The reader's memory: the input of the last computed frame and of the previous frame.
#[derive(Default)]
pub struct Scene {
    last_key: Option<Mat>,
    previous: Option<Mat>,
}

impl Scene {
    pub fn judge(&mut self, input: &Mat, detect_repeats: bool) -> Result<Verdict> {
        let cut = match &self.previous {
            Some(prev) => mean_abs_diff(prev, input)? > CUT_THRESHOLD,
            None => true,
        };
        let repeat = detect_repeats
            && !cut
            && match &self.last_key {
                Some(key) => mean_abs_diff(key, input)? < REPEAT_THRESHOLD,
                None => false,
            };
        if !repeat {
            self.last_key = Some(input.try_clone()?);
        }
        self.previous = Some(input.try_clone()?);
        Ok(Verdict { repeat, cut })
    }
}

/// What colour carries from one frame to the next: the last prediction (for repeats) and the smoothed colour.
/// A resumed run starts from the state recorded after the last frame on disk.
#[derive(Default)]
pub struct ColourState {
    pub last_ab: Option<Mat>,
    pub smoothed: Option<Mat>,
}

/// The writer's side of colour over time.
pub struct Colour {
    /// Weight of the past in the running mean, 0 (off) to below 1.
    smooth: f64,
    saturation: f64,
    state: ColourState,
}

impl Colour {
    pub fn new(smooth: f64, saturation: f64, state: ColourState) -> Colour {
        Colour {
            smooth,
            saturation,
            state,
        }
    }

    pub fn state(&self) -> &ColourState {
        &self.state
    }

    /// The a/b to paint a frame with, given its prediction (None for a repeat) and whether a shot starts.
    pub fn next(&mut self, ab: Option<Mat>, cut: bool) -> Result<Mat> {
        if let Some(ab) = ab {
            self.state.last_ab = Some(ab);
        }
        let ab = self
            .state
            .last_ab
            .as_ref()
            .context("a repeated frame came before any computed one")?;
        let smoothed = match self.state.smoothed.take() {
            Some(past) if !cut && self.smooth > 0.0 && past.size()? == ab.size()? => {
                let mut mixed = Mat::default();
                core::add_weighted_def(ab, 1.0 - self.smooth, &past, self.smooth, 0.0, &mut mixed)?;
                mixed
            }
            _ => ab.try_clone()?,
        };
        self.state.smoothed = Some(smoothed.try_clone()?);
        if self.saturation == 1.0 {
            return Ok(smoothed);
        }
        let mut scaled = Mat::default();
        smoothed.convert_to(&mut scaled, -1, self.saturation, 0.0)?;
        Ok(scaled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::core::{Scalar, CV_32F, CV_32FC2};

    fn input(level: f64) -> Mat {
        Mat::new_nd_with_default(&[1, 1, 8, 8], CV_32F, Scalar::all(level)).unwrap()
    }

    fn ab(a: f64, b: f64) -> Mat {
        Mat::new_rows_cols_with_default(2, 2, CV_32FC2, Scalar::new(a, b, 0.0, 0.0)).unwrap()
    }

    fn value(m: &Mat) -> [f32; 2] {
        m.data_typed::<core::Vec2f>().unwrap()[0].0
    }

    #[test]
    fn repeats_are_judged_against_the_last_computed_frame() {
        let mut scene = Scene::default();
        assert_eq!(
            scene.judge(&input(0.0), true).unwrap(),
            Verdict {
                repeat: false,
                cut: true
            }
        );
        assert_eq!(
            scene.judge(&input(0.15), true).unwrap(),
            Verdict {
                repeat: true,
                cut: false
            }
        );
        // A slow drift: each step looks like a repeat of the one before, but not of the last computed frame.
        assert_eq!(
            scene.judge(&input(0.3), true).unwrap(),
            Verdict {
                repeat: false,
                cut: false
            }
        );
        assert_eq!(
            scene.judge(&input(0.3), false).unwrap(),
            Verdict {
                repeat: false,
                cut: false
            }
        );
        assert_eq!(
            scene.judge(&input(30.0), true).unwrap(),
            Verdict {
                repeat: false,
                cut: true
            }
        );
    }

    #[test]
    fn smoothing_mixes_the_past_and_restarts_at_a_cut() {
        let mut colour = Colour::new(0.5, 1.0, ColourState::default());
        assert_eq!(value(&colour.next(Some(ab(10.0, -10.0)), true).unwrap()), [10.0, -10.0]);
        assert_eq!(value(&colour.next(Some(ab(20.0, 10.0)), false).unwrap()), [15.0, 0.0]);
        // A repeat reuses the last prediction (20, 10) and keeps converging towards it.
        assert_eq!(value(&colour.next(None, false).unwrap()), [17.5, 5.0]);
        assert_eq!(value(&colour.next(Some(ab(-40.0, 40.0)), true).unwrap()), [-40.0, 40.0]);
    }

    #[test]
    fn off_means_the_prediction_itself_and_saturation_scales_it() {
        let mut colour = Colour::new(0.0, 1.0, ColourState::default());
        colour.next(Some(ab(10.0, 10.0)), true).unwrap();
        assert_eq!(value(&colour.next(Some(ab(30.0, -6.0)), false).unwrap()), [30.0, -6.0]);
        let mut vivid = Colour::new(0.0, 1.5, ColourState::default());
        assert_eq!(value(&vivid.next(Some(ab(30.0, -6.0)), true).unwrap()), [45.0, -9.0]);
        assert!(Colour::new(0.5, 1.0, ColourState::default()).next(None, false).is_err());
    }
}
