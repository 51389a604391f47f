//! Colour over time: where shots start, which keyframes repeat the last one, and each frame's a/b from its
//! keyframes, steadied along the motion between scene cuts.
//!
//! All of it works on what the network sees and says (the SxS L input, the S/4 a/b output) or on the small
//! analysis pictures, so it costs little next to a forward pass and never blurs detail: the full-resolution L is
//! untouched.

use anyhow::{Context, Result};
use opencv::core::{self, Mat};
use opencv::prelude::*;

use super::motion::{self, Carry};

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

/// The reader's memory of network inputs: the previous frame's, for cuts, and the last keyframe's, for repeats.
#[derive(Default)]
pub struct Scene {
    key: Option<Mat>,
    previous: Option<Mat>,
}

impl Scene {
    /// Whether a shot starts with this frame (as the range's first frame does).
    pub fn cut(&mut self, input: &Mat) -> Result<bool> {
        let cut = match &self.previous {
            Some(previous) => mean_abs_diff(previous, input)? > CUT_THRESHOLD,
            None => true,
        };
        self.previous = Some(input.try_clone()?);
        Ok(cut)
    }

    /// Whether a keyframe repeats the last one (so its prediction can be reused); remembered if it does not.
    pub fn repeats_key(&mut self, input: &Mat, cut: bool, detect: bool) -> Result<bool> {
        let repeat = detect
            && !cut
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

/// What colour carries from one keyframe to the frames after it. A resumed run starts from the state recorded
/// after the last frame on disk.
#[derive(Default)]
pub struct ColourState {
    /// The last prediction, for keyframes that repeat it.
    pub last_ab: Option<Mat>,
    /// The last keyframe's colour, steadied: what the frames after it are painted from.
    pub key: Option<Mat>,
}

/// The writer's side of colour over time.
pub struct Colour {
    /// Weight of the past in the running mean over keyframes, 0 (off) to below 1.
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

    /// A keyframe's prediction (`ab`, None for a repeat) and colour, steadied along `back` unless a shot starts.
    /// Not remembered yet: the frames before the keyframe are painted from the previous one first.
    pub fn key(&self, ab: Option<Mat>, back: Option<&Carry>) -> Result<(Mat, Mat)> {
        let prediction = match ab {
            Some(ab) => ab,
            None => self
                .state
                .last_ab
                .as_ref()
                .context("a repeated frame came before any computed one")?
                .try_clone()?,
        };
        let colour = match (back, &self.state.key) {
            (Some(back), Some(past)) if self.smooth > 0.0 => motion::steadied(&prediction, past, back, self.smooth)?,
            _ => prediction.try_clone()?,
        };
        Ok((prediction, colour))
    }

    /// Makes a keyframe, once written, the one the next frames are painted from.
    pub fn commit(&mut self, prediction: Mat, colour: Mat) {
        self.state = ColourState {
            last_ab: Some(prediction),
            key: Some(colour),
        };
    }

    /// The colour of a frame after the last keyframe: carried along `back`, and blended with the next keyframe's
    /// colour carried along `ahead` when there is one.
    pub fn between(&self, back: &Carry, ahead: Option<(&Mat, &Carry)>, at: f64) -> Result<Mat> {
        let key = self.state.key.as_ref().context("a frame came before any keyframe")?;
        motion::between(key, back, ahead, at)
    }

    pub fn saturation(&self) -> f64 {
        self.saturation
    }
}

impl ColourState {
    /// A copy, for the resume record of a frame whose colour state later frames change.
    pub fn snapshot(&self) -> Result<ColourState> {
        let copy = |m: &Option<Mat>| m.as_ref().map(Mat::try_clone).transpose();
        Ok(ColourState {
            last_ab: copy(&self.last_ab)?,
            key: copy(&self.key)?,
        })
    }
}

/// `ab` at colour strength `saturation`.
pub fn saturated(ab: Mat, saturation: f64) -> Result<Mat> {
    if saturation == 1.0 {
        return Ok(ab);
    }
    let mut scaled = Mat::default();
    ab.convert_to(&mut scaled, -1, saturation, 0.0)?;
    Ok(scaled)
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
    fn cuts_and_repeats_of_the_last_keyframe() {
        let mut scene = Scene::default();
        let mut judge = |level: f64, detect: bool| {
            let cut = scene.cut(&input(level)).unwrap();
            (cut, scene.repeats_key(&input(level), cut, detect).unwrap())
        };
        assert_eq!(judge(0.0, true), (true, false));
        assert_eq!(judge(0.15, true), (false, true));
        // A slow drift: each step looks like a repeat of the one before, but not of the last keyframe.
        assert_eq!(judge(0.3, true), (false, false));
        assert_eq!(judge(0.3, false), (false, false));
        assert_eq!(judge(30.0, true), (true, false));
    }

    #[test]
    fn keyframes_steady_along_the_motion_and_restart_at_a_cut() {
        let size = opencv::core::Size::new(32, 32);
        let gray = Mat::new_size_with_default(size, core::CV_8U, Scalar::all(90.0)).unwrap();
        let still = motion::Flow::new(size).unwrap().carry(&gray, &gray).unwrap();
        let mut colour = Colour::new(0.5, 1.0, ColourState::default());
        let (p, c) = colour.key(Some(ab(10.0, -10.0)), None).unwrap();
        assert_eq!(value(&c), [10.0, -10.0]);
        colour.commit(p, c);
        let (p, c) = colour.key(Some(ab(20.0, 10.0)), Some(&still)).unwrap();
        assert_eq!(value(&c), [15.0, 0.0]);
        // Frames before a keyframe are painted from the committed one.
        assert_eq!(value(&colour.between(&still, None, 0.5).unwrap()), [10.0, -10.0]);
        colour.commit(p, c);
        // A repeat reuses the last prediction (20, 10) and keeps converging towards it.
        let (p, c) = colour.key(None, Some(&still)).unwrap();
        assert_eq!((value(&p), value(&c)), ([20.0, 10.0], [17.5, 5.0]));
        colour.commit(p, c);
        let (_, c) = colour.key(Some(ab(-40.0, 40.0)), None).unwrap();
        assert_eq!(value(&c), [-40.0, 40.0]);
    }

    #[test]
    fn off_means_the_prediction_itself_and_saturation_scales_it() {
        let colour = Colour::new(0.0, 1.0, ColourState::default());
        assert_eq!(value(&colour.key(Some(ab(30.0, -6.0)), None).unwrap().1), [30.0, -6.0]);
        let vivid = Colour::new(0.0, 1.5, ColourState::default());
        assert_eq!(
            value(&saturated(ab(30.0, -6.0), vivid.saturation()).unwrap()),
            [45.0, -9.0]
        );
        assert!(colour.key(None, None).is_err());
    }
}
