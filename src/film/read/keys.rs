//! Which frames the network runs on. A frame is a keyframe where a shot starts, where the colour of the last
//! keyframe cannot be carried to it (too much of the picture is new), and at every index that is a multiple of the
//! keyframe interval. Every decision looks back no further than the last such multiple, so a run that starts,
//! resumes or is split anywhere chooses the same keyframes as one that read the film from its first frame.
//!
//! Frames between two keyframes wait here for the later one; then the keyframe goes to the workers with them.

use anyhow::{Context, Result};
use opencv::core::{Mat, Size};

use crate::film::base::frame::{Between, Frame, Input, Key, Segment};
use crate::film::base::interval::Interval;
use crate::film::base::motion::{Carry, Flow, UNRELIABLE_SHARE};
use crate::film::base::profile::{Profile, Stage};
use crate::film::base::scene::{Repeats, Scene, Shot};

/// What a frame the reader hands on is for, by where it lies: before the range written (a shard's warmup), in it
/// (on disk already, or to be written), or past its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Before the range: colorized so the colour has settled where the range starts, not written.
    Warmup,
    /// Outside the range, and of no more use: a resumed run recorded the colour it would settle. Judged only, so
    /// keyframes and cuts match an uninterrupted run.
    Settled,
    /// In the range, on disk from an earlier run: judged only.
    Resumed,
    /// In the range: colorized and written.
    Written,
    /// Past the range: read only to find the keyframe that ends the last segment, so the frames before it get
    /// colour from both sides.
    ReadAhead,
}

impl Role {
    /// In the range written: the frame ends up in the frames folder and the film, made now or earlier.
    pub fn in_range(self) -> bool {
        matches!(self, Role::Resumed | Role::Written)
    }
}

/// A frame as the reader prepared it.
pub struct Analysed {
    pub index: usize,
    pub seconds: Option<f64>,
    pub original: Option<Mat>,
    /// L at full resolution.
    pub l: Mat,
    /// The network's input.
    pub input: Mat,
    /// What cuts and repeats are told by (`lab::Prepared::gist`), where it is not the input.
    pub gist: Option<Mat>,
    /// The small gray picture flow is computed on; None when colour is not carried (every frame a keyframe and
    /// no steadying).
    pub gray: Option<Mat>,
    pub role: Role,
}

impl Analysed {
    fn gist(&self) -> &Mat {
        self.gist.as_ref().unwrap_or(&self.input)
    }
}

struct Waiting {
    frame: Analysed,
    shot: usize,
    back: Option<Carry>,
}

struct LastKey {
    index: usize,
    gray: Option<Mat>,
}

pub struct Keys<'a> {
    interval: Interval,
    repeats: Repeats,
    flow: Option<Flow>,
    scene: Scene,
    /// Where the current shot starts.
    shot: usize,
    last: Option<LastKey>,
    waiting: Vec<Waiting>,
    profile: &'a Profile,
}

impl<'a> Keys<'a> {
    /// `flow` is None when no colour is carried between frames.
    pub fn new(interval: Interval, repeats: Repeats, flow: Option<Flow>, profile: &'a Profile) -> Keys<'a> {
        Keys {
            interval,
            repeats,
            flow,
            scene: Scene::default(),
            shot: 0,
            last: None,
            waiting: Vec::new(),
            profile,
        }
    }

    /// The size of the pictures flow is computed on, when colour is carried.
    pub fn analysis_size(&self) -> Option<Size> {
        self.flow.as_ref().map(Flow::size)
    }

    /// Whether frames wait for a keyframe.
    pub fn waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Takes the next frame in order; returns a segment when the frame is a keyframe.
    pub fn push(&mut self, frame: Analysed) -> Result<Option<Segment<Key<Input>>>> {
        let shot = self.scene.shot(frame.gist())?;
        let cut = shot == Shot::Starts;
        if cut {
            self.shot = frame.index;
        }
        let back = match (&mut self.flow, &frame.gray, &self.last) {
            (Some(flow), Some(gray), Some(LastKey { gray: Some(key), .. })) if !cut => {
                Some(self.profile.time(Stage::Motion, || flow.carry(gray, key))?)
            }
            _ => None,
        };
        let unreliable = back.as_ref().is_some_and(|b| b.wrong > UNRELIABLE_SHARE);
        if !(cut || self.last.is_none() || self.interval.due(frame.index, back.as_ref()) || unreliable) {
            if frame.role.in_range() {
                self.waiting.push(Waiting {
                    frame,
                    shot: self.shot,
                    back,
                });
            }
            return Ok(None);
        }
        // The first frame read starts a shot too, but no cut comes before it.
        let after_cut = cut && self.last.is_some();
        let between = self.carry_ahead((!cut).then_some(&frame))?;
        let repeat = self.scene.repeats_key(frame.gist(), shot, self.repeats)?;
        self.last = Some(LastKey {
            index: frame.index,
            gray: frame.gray,
        });
        let work = match frame.role {
            Role::Resumed => Key::Resumed { cut: after_cut },
            // Nothing waits for a warmup keyframe a resumed run needs no more.
            Role::Settled => return Ok(None),
            Role::Warmup | Role::Written | Role::ReadAhead => Key::Computed {
                l: frame.l,
                net: (!repeat).then_some(Input::Blob(frame.input)),
                back,
                cut: after_cut,
                written: frame.role == Role::Written,
            },
        };
        let key = Frame {
            index: frame.index,
            shot: self.shot,
            seconds: frame.seconds,
            original: frame.original,
            work,
        };
        Ok(Some(Segment {
            between,
            key: Some(key),
        }))
    }

    /// At the end of the film: the frames still waiting, with no keyframe after them.
    pub fn finish(&mut self) -> Result<Option<Segment<Key<Input>>>> {
        let between = self.carry_ahead(None)?;
        Ok((!between.is_empty()).then_some(Segment { between, key: None }))
    }

    /// The waiting frames, each with its colour's way from the next keyframe, `key` (None where a new shot
    /// starts or the film ends).
    fn carry_ahead(&mut self, key: Option<&Analysed>) -> Result<Vec<Frame<Between>>> {
        let last = self.last.as_ref().map_or(0, |k| k.index);
        let mut frames = Vec::with_capacity(self.waiting.len());
        for Waiting { frame, shot, back } in self.waiting.drain(..) {
            let work = if frame.role == Role::Resumed {
                Between::Resumed
            } else {
                let back = back.context("a frame between keyframes has no flow")?;
                let ahead = match (&mut self.flow, &frame.gray, key.and_then(|k| k.gray.as_ref())) {
                    (Some(flow), Some(gray), Some(next)) => {
                        Some(self.profile.time(Stage::Motion, || flow.carry(gray, next))?)
                    }
                    _ => None,
                };
                let span = key.map_or(1, |k| k.index - last);
                Between::Carried {
                    l: frame.l,
                    back,
                    ahead,
                    at: (frame.index - last) as f64 / span as f64,
                }
            };
            frames.push(Frame {
                index: frame.index,
                shot,
                seconds: frame.seconds,
                original: frame.original,
                work,
            });
        }
        Ok(frames)
    }
}
