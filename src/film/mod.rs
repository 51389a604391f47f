//! Films: decode on a reader thread, forward passes on a pool of networks, frames and film written in order.

pub mod assemble;
mod finish;
mod profile;
pub mod read;
mod resume;
mod sink;
mod temporal;
pub mod write;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use opencv::core::{Mat, Size};

use crate::model::{Colorizer, Model};
use crate::progress::Progress;
use crate::{interrupt, lab, pipeline};
pub use profile::Profile;
use profile::Stage;
pub use read::Position;
use read::Source;
use sink::{Coloured, Counts, Sink};
use temporal::{Colour, Scene};
use write::{Film, FrameDir};

pub struct Options {
    pub input: PathBuf,
    /// The film to write; None writes frames only.
    pub film: Option<PathBuf>,
    /// Folder and image format for the frames; None keeps them in memory only (and nothing can resume).
    pub frames: Option<(PathBuf, String)>,
    pub fps: Option<f64>,
    pub width: Option<u32>,
    /// The recipe's arithmetic only: no reuse of repeated frames, no smoothing, no saturation change.
    pub exact: bool,
    /// Networks run side by side.
    pub workers: usize,
    pub start: Option<Position>,
    /// Stop before this position.
    pub end: Option<Position>,
    /// Weight of the past in the temporal mean of a/b (0 = off).
    pub smooth: f64,
    pub saturation: f64,
    /// Side of the square the network sees.
    pub render_size: i32,
    /// Film shows the original and the colorized frame next to each other.
    pub side_by_side: bool,
    /// Carry the source's sound into the film.
    pub audio: bool,
    /// Replace frames of another run in the frames folder.
    pub overwrite: bool,
}

pub struct Summary {
    pub frames: usize,
    pub computed: usize,
    /// Frames found finished on disk by a resumed run.
    pub resumed: usize,
    pub seconds: f64,
    pub film: Option<PathBuf>,
    pub notes: Vec<String>,
    pub profile: Profile,
}

/// A frame on its way through the pipeline.
struct Job {
    index: usize,
    original: Option<Mat>,
    work: Work,
}

enum Work {
    /// Already on disk from an earlier run.
    Done,
    /// Colour it; `input` is None when the frame repeats the last computed one.
    Colour { l: Mat, input: Option<Mat>, cut: bool },
}

pub fn colorize(options: &Options, model: &Model, progress: &Progress) -> Result<Summary> {
    let started = Instant::now();
    let profile = Profile::default();
    let mut notes = Vec::new();
    let mut source = Source::open(&options.input, options.width)?;
    let hint = source.frame_count_hint;
    let fps = match (options.fps, source.fps) {
        (Some(fps), _) | (None, Some(fps)) => fps,
        (None, None) => {
            notes.push(format!(
                "warning: {} reports no usable frame rate; wrote 25 fps (pass --fps)",
                options.input.display()
            ));
            25.0
        }
    };
    let start = options.start.map_or(0, |p| p.frame(source.fps.unwrap_or(fps)));
    let end = options.end.map_or(usize::MAX, |p| p.frame(source.fps.unwrap_or(fps)));
    if end <= start {
        bail!("--end ({end}) must come after --start ({start})");
    }
    // The container's count is only a hint: the frames actually read are what count.
    let announced = hint.map(|n| (n as usize).min(end).saturating_sub(start));
    if let Some(total) = announced.or((end != usize::MAX).then(|| end - start)) {
        progress.set_total(total as u64);
    }
    let exact = options.exact;
    let (smooth, saturation) = if exact {
        (0.0, 1.0)
    } else {
        (options.smooth, options.saturation)
    };

    let frames = options
        .frames
        .as_ref()
        .map(|(dir, ext)| FrameDir::create(dir, ext))
        .transpose()?;
    let settings = format!(
        "width={:?} render={} exact={exact} smooth={smooth} saturation={saturation} start={start} ext={:?}",
        options.width,
        options.render_size,
        options.frames.as_ref().map(|f| &f.1)
    );
    let fingerprint = resume::fingerprint(&options.input, &settings)?;
    let checkpoint = match &frames {
        Some(frames) => resume::load(frames, &fingerprint, options.overwrite)?,
        None => None,
    };
    let resume_at = checkpoint.as_ref().map_or(start, |c| c.next.max(start));
    let mut colour = Colour::new(smooth, saturation);
    if let Some(c) = checkpoint {
        (colour.last_ab, colour.smoothed) = (c.last_ab, c.smoothed);
    }

    let film_size = if options.side_by_side {
        Size::new(source.size.width * 2, source.size.height)
    } else {
        source.size
    };
    let film = options
        .film
        .as_ref()
        .map(|path| Film::create(path, fps, film_size))
        .transpose()?;
    let colorizers = (0..options.workers.max(1))
        .map(|_| model.colorizer())
        .collect::<Result<Vec<_>>>()?;

    if !source.skip_to(start)? {
        bail!("{} has fewer than {start} frames", options.input.display());
    }
    let input_name = options.input.display().to_string();
    let (render, side_by_side) = (options.render_size, options.side_by_side);
    let mut scene = Scene::default();
    let profile_ref = &profile;
    let reader = std::iter::from_fn(move || {
        if source.position >= end {
            return None;
        }
        if let Err(e) = interrupt::check() {
            return Some(Err(e));
        }
        let index = source.position;
        let frame = match profile_ref.time(Stage::Decode, || source.next_frame()) {
            Ok(Some(frame)) => frame,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let job = profile_ref.time(Stage::Pre, || -> Result<Job> {
            // Frames already on disk are still judged, so repeat and cut decisions match an uninterrupted run.
            let prepared = lab::prepare(&frame, render).with_context(|| format!("{input_name}: frame {index}"))?;
            let verdict = scene.judge(&prepared.input, !exact)?;
            let original = side_by_side.then_some(frame);
            let work = if index < resume_at {
                Work::Done
            } else {
                Work::Colour {
                    l: prepared.l,
                    input: (!verdict.repeat).then_some(prepared.input),
                    cut: verdict.cut,
                }
            };
            Ok(Job { index, original, work })
        });
        Some(job)
    });

    let work = |colorizer: &mut Colorizer, job: Job| -> Result<Coloured> {
        let (l, ab, cut) = match job.work {
            Work::Done => (None, None, false),
            Work::Colour { l, input, cut } => {
                interrupt::check()?;
                let ab = input
                    .map(|input| profile_ref.time(Stage::Forward, || colorizer.predict(&input)))
                    .transpose()?;
                (Some(l), ab, cut)
            }
        };
        Ok(Coloured {
            index: job.index,
            original: job.original,
            l,
            ab,
            cut,
        })
    };

    let in_flight = 2 * colorizers.len() + 2;
    let mut sink = Sink {
        frames,
        film,
        colour,
        fingerprint,
        profile: &profile,
        progress,
        counts: Counts::default(),
    };
    let outcome = pipeline::run(reader, colorizers, work, in_flight, |done| sink.take(done));
    let Sink {
        frames, film, counts, ..
    } = sink;
    let written = counts.written;
    if let Err(e) = outcome {
        if e.is::<interrupt::Interrupted>() {
            let place = frames
                .as_ref()
                .map_or("nothing was kept (--no-frames)".to_string(), |f| {
                    format!(
                        "the frames before it are in {}; run the same command again to resume",
                        f.dir.display()
                    )
                });
            bail!("interrupted at frame {}: {place}", start + written);
        }
        return Err(e);
    }

    if let Some(missing) = announced.map(|n| n.saturating_sub(written)).filter(|&m| m > 0) {
        notes.push(format!(
            "warning: {missing} of the {} frames {} announces could not be decoded (truncated or damaged?); \
             the rest were colorized",
            announced.unwrap_or_default(),
            options.input.display()
        ));
    }
    let film = match film {
        Some(film) => Some(finish_film(film, options, fps, start, written, &mut notes)?),
        None => None,
    };
    Ok(Summary {
        frames: written,
        computed: counts.computed,
        resumed: counts.resumed,
        seconds: started.elapsed().as_secs_f64(),
        film,
        notes,
        profile,
    })
}

/// Closes the film and, where ffmpeg is at hand, gives it the source's sound and exact frame rate.
fn finish_film(
    film: Film,
    options: &Options,
    fps: f64,
    start: usize,
    frames: usize,
    notes: &mut Vec<String>,
) -> Result<PathBuf> {
    let closed = film.close()?;
    let output = closed.destination().to_owned();
    // OpenCV's writer reports no write errors: count what reached the file, as a full disk would cut it short.
    let stored = read::Source::frame_count(closed.path());
    if stored < frames {
        bail!(
            "{} could not be written completely: {stored} of {frames} frames stored (is the disk full?)",
            output.display()
        );
    }
    if !finish::ffmpeg_available() {
        notes.push("warning: ffmpeg not found: the film has no sound (apt-get install ffmpeg)".into());
        return closed.persist();
    }
    let sound =
        (options.audio && finish::has_audio(&options.input)).then(|| (options.input.as_path(), start as f64 / fps));
    let muxed = sibling(&output, "muxed");
    let job = finish::Mux {
        video: closed.path(),
        rate: finish::rate_fraction(fps),
        sound,
        seconds: frames as f64 / fps,
        output: &muxed,
    };
    finish::mux(&job)?;
    std::fs::rename(&muxed, &output).with_context(|| format!("cannot move the film to {}", output.display()))?;
    Ok(output)
}

/// A hidden file beside `path` with the same extension, for work in progress.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let ext = path.extension().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.{tag}.{ext}"))
}
