//! The ordered end of the film pipeline: colour over time, back to 8-bit BGR, frames and film written.

use anyhow::{Context, Result};
use opencv::core::{self, Mat};
use opencv::imgcodecs;
use opencv::prelude::*;

use super::profile::{Profile, Stage};
use super::resume;
use super::temporal::Colour;
use super::write::{Film, FrameDir};
use crate::lab;
use crate::progress::Progress;

/// A frame back from the workers.
pub struct Coloured {
    pub index: usize,
    /// The source frame, kept for side-by-side films.
    pub original: Option<Mat>,
    /// L at full resolution; None for a frame already on disk from an earlier run.
    pub l: Option<Mat>,
    /// The network's a/b; None for a repeated frame.
    pub ab: Option<Mat>,
    pub cut: bool,
}

#[derive(Default)]
pub struct Counts {
    pub written: usize,
    pub computed: usize,
    pub resumed: usize,
}

pub struct Sink<'a> {
    pub frames: Option<FrameDir>,
    pub film: Option<Film>,
    pub colour: Colour,
    /// Identifies the run in the resume record.
    pub fingerprint: String,
    pub profile: &'a Profile,
    pub progress: &'a Progress,
    pub counts: Counts,
}

impl Sink<'_> {
    /// Takes the next frame in order.
    pub fn take(&mut self, done: Coloured) -> Result<()> {
        let index = done.index;
        let bgr = match done.l {
            None => {
                self.counts.resumed += 1;
                let path = self
                    .frames
                    .as_ref()
                    .expect("only frames on disk are skipped")
                    .path(index);
                imgcodecs::imread(&path, imgcodecs::IMREAD_COLOR)
                    .ok()
                    .filter(|m| !m.empty())
                    .with_context(|| format!("cannot read finished frame {}", path.display()))?
            }
            Some(l) => {
                self.counts.computed += usize::from(done.ab.is_some());
                let ab = self.colour.next(done.ab, done.cut)?;
                let bgr = self.profile.time(Stage::Post, || lab::finish(&l, &ab))?;
                if let Some(frames) = &self.frames {
                    self.profile.time(Stage::Encode, || frames.write(index, &bgr))?;
                    // Written after the frame, so the record never promises a frame that is not there.
                    resume::save(
                        frames,
                        &self.fingerprint,
                        index + 1,
                        &self.colour.last_ab,
                        &self.colour.smoothed,
                    )?;
                }
                bgr
            }
        };
        if let Some(film) = self.film.as_mut() {
            self.profile.time(Stage::Encode, || -> Result<()> {
                let picture = match &done.original {
                    Some(original) => {
                        let mut both = Mat::default();
                        core::hconcat2(original, &bgr, &mut both)?;
                        both
                    }
                    None => bgr,
                };
                film.write(&picture).with_context(|| format!("frame {index}"))
            })?;
        }
        self.counts.written += 1;
        self.progress.inc();
        Ok(())
    }
}
