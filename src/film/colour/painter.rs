//! Colour over time, decided in one place: what the network predicted for each keyframe comes in, each frame's
//! colour comes out. A keyframe's colour is its prediction steadied along the motion (the previous keyframe's
//! colour carried to it and mixed in), the frames between two keyframes get both keyframes' colour carried to
//! them, and the strength of the colour is set last.
//!
//! All of it works on what the network says (its a/b grid) or on the small analysis pictures, so it costs little
//! next to a forward pass and never blurs detail: the full-resolution L is untouched.

use anyhow::{Context, Result};
use opencv::core::{self, Mat};
use opencv::imgproc;
use opencv::prelude::*;

use super::tracks::Tracked;
use crate::film::base::frame::Picture;
use crate::film::base::frame::{Ab, Between, Frame, Key, Origin, Segment};
use crate::film::base::motion::{self, Carry};
use crate::hints;

/// The painter's version: how predictions become colour over time (carrying, steadying, saturation, and the flow
/// and trust they move along). Raise it whenever the same predictions and settings would be painted into other
/// frames, so that frames painted the old way are refused rather than mixed with new ones (it is part of the
/// fingerprint).
pub const VERSION: u32 = 3;

/// What colour carries from one keyframe to the frames after it. A resumed run starts from the state recorded
/// after the last frame on disk.
#[derive(Default)]
pub struct ColourState {
    /// The last prediction, for keyframes that repeat it.
    pub last_ab: Option<Mat>,
    /// The last keyframe's colour, steadied: what the frames after it are painted from.
    pub key: Option<Mat>,
    /// What colour hints added to it (at the analysis size), which the next keyframes carry along the motion so
    /// that a hint holds where its point can no longer be followed; None without hints.
    pub correction: Option<Mat>,
}

impl ColourState {
    /// A copy, for the resume record of a frame whose colour state later frames change.
    pub fn snapshot(&self) -> Result<ColourState> {
        let copy = |m: &Option<Mat>| m.as_ref().map(Mat::try_clone).transpose();
        Ok(ColourState {
            last_ab: copy(&self.last_ab)?,
            key: copy(&self.key)?,
            correction: copy(&self.correction)?,
        })
    }
}

/// A segment's frames in order, each with what its picture is made from.
pub struct Painted {
    pub frames: Vec<Frame<Picture>>,
    /// The last frame painted and the colour state after it: what a resume record holds.
    pub record: Option<(usize, ColourState)>,
    /// Keyframes painted (written), those of them the network ran on, and those whose prediction was stored by
    /// an earlier run (the rest repeat the last).
    pub keyframes: usize,
    pub computed: usize,
    pub stored: usize,
}

pub struct Painter {
    /// Weight of the past in the running mean over keyframes, 0 (off) to below 1.
    smooth: f64,
    saturation: f64,
    state: ColourState,
    /// Colour hints, followed to every frame of their shots.
    hints: Tracked,
}

impl Painter {
    pub fn new(smooth: f64, saturation: f64, state: ColourState, hints: Tracked) -> Painter {
        Painter {
            smooth,
            saturation,
            state,
            hints,
        }
    }

    /// Paints a segment: the frames before its keyframe from the previous keyframe's colour (and the new one's,
    /// carried back), then the keyframe, which becomes the colour the next frames start from.
    pub fn paint(&mut self, segment: Segment<Key<Ab>>) -> Result<Painted> {
        let mut painted = Painted {
            frames: Vec::with_capacity(segment.between.len() + 1),
            record: None,
            keyframes: 0,
            computed: 0,
            stored: 0,
        };
        let key = match segment.key {
            Some(key) => {
                let index = key.index;
                Some(self.key_colour(key).with_context(|| format!("frame {index}"))?)
            }
            None => None,
        };
        let next = key.as_ref().and_then(|k| k.work.as_ref()).map(|k| &k.colour);
        for frame in segment.between {
            let index = frame.index;
            let frame = frame.try_map(|work| -> Result<Picture> {
                Ok(match work {
                    Between::Resumed => Picture::OnDisk,
                    Between::Carried { l, back, ahead, at } => {
                        let ab = self.between(&back, next.zip(ahead.as_ref()), at);
                        let ab = ab.with_context(|| format!("frame {index}"))?;
                        painted.record = Some((index, self.state.snapshot()?));
                        Picture::Paint { l, ab }
                    }
                })
            })?;
            painted.frames.push(frame);
        }
        let Some(key) = key else { return Ok(painted) };
        let index = key.index;
        let key = key.try_map(|work| self.key_picture(work, index, &mut painted))?;
        painted.frames.extend(key.transpose());
        Ok(painted)
    }

    /// A keyframe's picture, its colour committed as the one carried on: None for a warmup keyframe (whose colour
    /// carries on) and one past the range (never used again).
    fn key_picture(&mut self, work: Option<KeyColour>, index: usize, painted: &mut Painted) -> Result<Option<Picture>> {
        let Some(work) = work else {
            return Ok(Some(Picture::OnDisk));
        };
        if !work.written {
            self.commit(work.prediction, work.colour, work.correction);
            return Ok(None);
        }
        painted.keyframes += 1;
        painted.computed += usize::from(work.origin == Some(Origin::Network));
        painted.stored += usize::from(work.origin == Some(Origin::Store));
        let ab = self.saturated(work.colour.try_clone()?)?;
        self.commit(work.prediction, work.colour, work.correction);
        painted.record = Some((index, self.state.snapshot()?));
        Ok(Some(Picture::Paint { l: work.l, ab }))
    }

    /// A keyframe's colour (None when it is on disk already), worked out before the frames that wait for it.
    fn key_colour(&self, key: Frame<Key<Ab>>) -> Result<Frame<Option<KeyColour>>> {
        let index = key.index;
        key.try_map(|work| {
            let Key::Computed {
                l, net, back, written, ..
            } = work
            else {
                return Ok(None);
            };
            let origin = net.as_ref().map(|n| n.origin);
            let prediction = match net {
                Some(Ab { ab, .. }) => ab,
                None => self
                    .state
                    .last_ab
                    .as_ref()
                    .context("a repeated frame came before any computed one")?
                    .try_clone()?,
            };
            let steadied = self.steadied(&prediction, back.as_ref())?;
            let (colour, correction) = self.hinted(&l, steadied, back.as_ref(), index)?;
            Ok(Some(KeyColour {
                l,
                prediction,
                colour,
                correction,
                origin,
                written,
            }))
        })
    }

    /// A keyframe's prediction steadied along `back` (the previous keyframe's colour carried to it and mixed in),
    /// unless a shot starts or steadying is off.
    /// The past is the last keyframe's colour without its hints' correction, which is carried on its own.
    fn steadied(&self, prediction: &Mat, back: Option<&Carry>) -> Result<Mat> {
        let (Some(back), Some(past)) = (back, &self.state.key) else {
            return Ok(prediction.try_clone()?);
        };
        if self.smooth == 0.0 {
            return Ok(prediction.try_clone()?);
        }
        match &self.state.correction {
            Some(correction) => {
                let mut base = Mat::default();
                core::subtract(past, correction, &mut base, &core::no_array(), -1)?;
                motion::steadied(prediction, &base, back, self.smooth)
            }
            None => motion::steadied(prediction, past, back, self.smooth),
        }
    }

    /// A keyframe's steadied colour with its hints: those followed to this frame spread over it, and the last
    /// keyframe's correction carried along `back`. Returns the colour and the correction in it.
    fn hinted(&self, l: &Mat, steadied: Mat, back: Option<&Carry>, index: usize) -> Result<(Mat, Option<Mat>)> {
        let hints = self.hints.at(index);
        let carried = match (back, &self.state.correction) {
            (Some(back), Some(correction)) => Some(motion::carried_trusted(correction, back)?),
            _ => None,
        };
        if hints.is_empty() && carried.is_none() {
            return Ok((steadied, None));
        }
        let size = motion::analysis_size(l.size()?);
        let mut base = Mat::default();
        imgproc::resize(&steadied, &mut base, size, 0.0, 0.0, imgproc::INTER_LINEAR)?;
        let mut colour = base.try_clone()?;
        if let Some(carried) = carried {
            core::add(&base, &carried, &mut colour, &core::no_array(), -1)?;
        }
        if !hints.is_empty() {
            let mut small = Mat::default();
            imgproc::resize(l, &mut small, size, 0.0, 0.0, imgproc::INTER_AREA)?;
            colour = hints::spread(&small, &colour, hints, hints::FILM)?;
        }
        let mut correction = Mat::default();
        core::subtract(&colour, &base, &mut correction, &core::no_array(), -1)?;
        Ok((colour, Some(correction)))
    }

    /// Makes a keyframe the one the next frames are painted from.
    fn commit(&mut self, prediction: Mat, colour: Mat, correction: Option<Mat>) {
        self.state = ColourState {
            last_ab: Some(prediction),
            key: Some(colour),
            correction,
        };
    }

    /// The colour of a frame after the last keyframe: carried along `back`, and blended with the next keyframe's
    /// colour carried along `ahead` when there is one.
    fn between(&self, back: &Carry, ahead: Option<(&Mat, &Carry)>, at: f64) -> Result<Mat> {
        let key = self.state.key.as_ref().context("a frame came before any keyframe")?;
        self.saturated(motion::between(key, back, ahead, at)?)
    }

    /// `ab` at the colour strength asked for.
    fn saturated(&self, ab: Mat) -> Result<Mat> {
        if self.saturation == 1.0 {
            return Ok(ab);
        }
        let mut scaled = Mat::default();
        ab.convert_to(&mut scaled, -1, self.saturation, 0.0)?;
        Ok(scaled)
    }
}

/// A keyframe's colour, waiting for the frames before it to be painted.
struct KeyColour {
    /// L at full resolution.
    l: Mat,
    prediction: Mat,
    colour: Mat,
    correction: Option<Mat>,
    /// Where its prediction came from; None for a repeat of the last.
    origin: Option<Origin>,
    written: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::core::{self, Scalar, Size, Vec2f, CV_32FC2};

    fn ab(a: f64, b: f64) -> Mat {
        Mat::new_rows_cols_with_default(2, 2, CV_32FC2, Scalar::new(a, b, 0.0, 0.0)).unwrap()
    }

    fn value(m: &Mat) -> [f32; 2] {
        m.data_typed::<Vec2f>().unwrap()[0].0
    }

    fn key(index: usize, net: Option<Mat>, back: Option<Carry>) -> Frame<Key<Ab>> {
        Frame {
            index,
            shot: 0,
            seconds: Some(index as f64),
            original: None,
            work: Key::Computed {
                l: Mat::default(),
                net: net.map(|ab| Ab {
                    ab,
                    origin: Origin::Network,
                    uncertainty: None,
                }),
                back,
                cut: false,
                written: true,
            },
        }
    }

    /// The colours a segment's frames were painted with.
    fn colours(painted: &Painted) -> Vec<[f32; 2]> {
        painted
            .frames
            .iter()
            .map(|f| match &f.work {
                Picture::Paint { ab, .. } => value(ab),
                Picture::OnDisk => panic!("frame {} is not painted", f.index),
            })
            .collect()
    }

    #[test]
    fn keyframes_steady_along_the_motion_and_restart_at_a_cut() {
        let size = Size::new(32, 32);
        let gray = Mat::new_size_with_default(size, core::CV_8U, Scalar::all(90.0)).unwrap();
        let still = || motion::Flow::new(size).unwrap().carry(&gray, &gray).unwrap();
        let mut painter = Painter::new(0.5, 1.0, ColourState::default(), Tracked::default());
        let one = |key| Segment {
            between: Vec::new(),
            key: Some(key),
        };
        let first = painter.paint(one(key(0, Some(ab(10.0, -10.0)), None))).unwrap();
        assert_eq!(colours(&first), [[10.0, -10.0]]);
        // Frames before a keyframe are painted from the committed one, the keyframe from the steadied mean.
        let between = Frame {
            index: 1,
            shot: 0,
            seconds: Some(1.0),
            original: None,
            work: Between::Carried {
                l: Mat::default(),
                back: still(),
                ahead: None,
                at: 0.5,
            },
        };
        let second = Segment {
            between: vec![between],
            key: Some(key(2, Some(ab(20.0, 10.0)), Some(still()))),
        };
        let painted = painter.paint(second).unwrap();
        assert_eq!(colours(&painted), [[10.0, -10.0], [15.0, 0.0]]);
        assert_eq!((painted.keyframes, painted.computed), (1, 1));
        assert_eq!(painted.record.as_ref().map(|r| r.0), Some(2));
        // A repeat reuses the last prediction (20, 10) and keeps converging towards it.
        let repeat = painter.paint(one(key(3, None, Some(still())))).unwrap();
        assert_eq!(colours(&repeat), [[17.5, 5.0]]);
        assert_eq!((repeat.keyframes, repeat.computed), (1, 0));
        let cut = painter.paint(one(key(4, Some(ab(-40.0, 40.0)), None))).unwrap();
        assert_eq!(colours(&cut), [[-40.0, 40.0]]);
    }

    #[test]
    fn off_means_the_prediction_itself_and_saturation_scales_it() {
        let mut plain = Painter::new(0.0, 1.0, ColourState::default(), Tracked::default());
        let painted = plain
            .paint(Segment {
                between: Vec::new(),
                key: Some(key(0, Some(ab(30.0, -6.0)), None)),
            })
            .unwrap();
        assert_eq!(colours(&painted), [[30.0, -6.0]]);
        let mut vivid = Painter::new(0.0, 1.5, ColourState::default(), Tracked::default());
        let painted = vivid
            .paint(Segment {
                between: Vec::new(),
                key: Some(key(0, Some(ab(30.0, -6.0)), None)),
            })
            .unwrap();
        assert_eq!(colours(&painted), [[45.0, -9.0]]);
        let mut fresh = Painter::new(0.0, 1.0, ColourState::default(), Tracked::default());
        let repeat_first = Segment {
            between: Vec::new(),
            key: Some(key(0, None, None)),
        };
        assert!(fresh.paint(repeat_first).is_err());
    }
}
