//! Films: decode on a reader thread, forward passes on a pool of networks, frames and film written in order.

pub mod assemble;
mod profile;
pub mod read;
pub mod write;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use opencv::core::{self, Mat};
use opencv::prelude::*;

use crate::lab;
use crate::model::{Colorizer, Model};
use crate::pipeline;
use crate::progress::Progress;
pub use profile::Profile;
use profile::Stage;
use read::Source;
use write::{Film, FrameDir};

/// Mean absolute difference, in L units, between the network inputs of two frames below which the second is
/// taken for a repeat of the first. Measured on the Chaplin clip: see `REPEAT_THRESHOLD` in the README's notes.
const REPEAT_THRESHOLD: f64 = 0.5;

pub struct Options {
    pub input: PathBuf,
    /// The film to write; None writes frames only.
    pub film: Option<PathBuf>,
    /// Folder and image format for the frames; None keeps them in memory only.
    pub frames: Option<(PathBuf, String)>,
    pub fps: Option<f64>,
    pub width: Option<u32>,
    /// The recipe's arithmetic only: no reuse of repeated frames.
    pub exact: bool,
    /// Networks run side by side.
    pub workers: usize,
    /// Stop before this frame index.
    pub end: Option<usize>,
}

pub struct Summary {
    pub frames: usize,
    pub computed: usize,
    pub seconds: f64,
    pub film: Option<PathBuf>,
    pub profile: Profile,
}

struct Job {
    l: Mat,
    /// None when the frame repeats the last computed one and its a/b are reused.
    input: Option<Mat>,
}

struct Done {
    l: Mat,
    ab: Option<Mat>,
}

pub fn colorize(options: &Options, model: &Model, progress: &Progress) -> Result<Summary> {
    let started = Instant::now();
    let profile = Profile::default();
    let mut source = Source::open(&options.input, options.width)?;
    let fps = match (options.fps, source.fps) {
        (Some(fps), _) | (None, Some(fps)) => fps,
        (None, None) => {
            progress.note(&format!(
                "warning: {} reports no usable frame rate; writing 25 fps (pass --fps)",
                options.input.display()
            ));
            25.0
        }
    };
    let frames = options
        .frames
        .as_ref()
        .map(|(dir, ext)| FrameDir::create(dir, ext))
        .transpose()?;
    let mut film = options
        .film
        .as_ref()
        .map(|path| Film::create(path, fps, source.size))
        .transpose()?;
    let colorizers = (0..options.workers.max(1))
        .map(|_| model.colorizer())
        .collect::<Result<Vec<_>>>()?;

    let input_path = options.input.display().to_string();
    let end = options.end.unwrap_or(usize::MAX);
    let exact = options.exact;
    let mut last_key: Option<Mat> = None;
    let profile_ref = &profile;
    let reader = std::iter::from_fn(move || {
        if source.position >= end {
            return None;
        }
        let index = source.position;
        let frame = match profile_ref.time(Stage::Decode, || source.next_frame()) {
            Ok(Some(frame)) => frame,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let job = profile_ref.time(Stage::Pre, || -> Result<Job> {
            let prepared = lab::prepare(&frame, 224)
                .with_context(|| format!("{input_path}: frame {index}"))?;
            let repeat = !exact
                && last_key
                    .as_ref()
                    .is_some_and(|key| is_repeat(key, &prepared.input).unwrap_or(false));
            if repeat {
                return Ok(Job {
                    l: prepared.l,
                    input: None,
                });
            }
            last_key = Some(prepared.input.clone());
            Ok(Job {
                l: prepared.l,
                input: Some(prepared.input),
            })
        });
        Some(job)
    });

    let work = |colorizer: &mut Colorizer, job: Job| -> Result<Done> {
        let ab = job
            .input
            .map(|input| profile_ref.time(Stage::Forward, || colorizer.predict(&input)))
            .transpose()?;
        Ok(Done { l: job.l, ab })
    };

    let (mut written, mut computed) = (0usize, 0usize);
    let mut last_ab: Option<Mat> = None;
    let in_flight = 2 * colorizers.len() + 2;
    pipeline::run(reader, colorizers, work, in_flight, |done: Done| {
        let index = written;
        if let Some(ab) = done.ab {
            computed += 1;
            last_ab = Some(ab);
        }
        let ab = last_ab.as_ref().context("the first frame has no colour")?;
        let bgr = profile.time(Stage::Post, || lab::finish(&done.l, ab))?;
        profile.time(Stage::Encode, || -> Result<()> {
            if let Some(frames) = &frames {
                frames.write(index, &bgr)?;
            }
            if let Some(film) = film.as_mut() {
                film.write(&bgr).with_context(|| format!("frame {index}"))?;
            }
            Ok(())
        })?;
        written += 1;
        progress.inc();
        Ok(())
    })?;

    if written == 0 {
        bail!(
            "{}: no frame could be decoded (is it a video file?)",
            options.input.display()
        );
    }
    let film = film.map(Film::finish).transpose()?;
    Ok(Summary {
        frames: written,
        computed,
        seconds: started.elapsed().as_secs_f64(),
        film,
        profile,
    })
}

/// Whether two network inputs differ by less than `REPEAT_THRESHOLD` on average.
fn is_repeat(a: &Mat, b: &Mat) -> Result<bool> {
    let l1 = core::norm2(a, b, core::NORM_L1, &core::no_array())?;
    Ok(l1 / (a.total() as f64) < REPEAT_THRESHOLD)
}
