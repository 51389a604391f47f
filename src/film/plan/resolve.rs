//! A film's settings, resolved once against the opened source into a plan: rate, range, sizes, and the
//! fingerprint that tells whether frames on disk were made by this very run.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use opencv::core::Size;

use super::outputs::Outputs;
use crate::film::base::interval::Interval;
use crate::film::base::scene::Repeats;
use crate::film::colour::hint_files::{film_hints, hints_digest};
use crate::film::colour::painter;
use crate::film::io::shard::Shard;
use crate::film::io::source::{Source, FALLBACK_FPS};
use crate::film::records::fingerprint::{Fingerprint, Finishing, Prediction};
use crate::film::records::owner::content_digest;
use crate::film::records::resume::OtherRuns;
use crate::hints::{Hint, HintFile};
use crate::model::Identity;
use crate::position::{Position, Span};
use crate::sheet;

/// What the user asked for.
pub struct Options {
    pub input: PathBuf,
    pub outputs: Outputs,
    pub fps: Option<f64>,
    pub width: Option<u32>,
    /// The recipe's arithmetic only: no reuse of repeated frames, no smoothing, no saturation change.
    pub exact: bool,
    pub start: Option<Position>,
    /// Stop before this position.
    pub end: Option<Position>,
    /// Weight of the past in the temporal mean of a/b (0 = off).
    pub smooth: f64,
    /// Run the network at least every this many frames (1: on every frame).
    pub keyframe_interval: Interval,
    /// Segments whose keyframes share one forward pass.
    pub batch: usize,
    pub saturation: f64,
    /// Side of the square the network sees.
    pub render_size: i32,
    pub layout: Layout,
    /// Carry the source's sound into the film.
    pub audio: bool,
    /// Replace frames of another run in the frames folder.
    pub overwrite: bool,
    /// Pairs on a contact sheet beside the film, if one is wanted.
    pub contact_sheet: Option<usize>,
    /// Frames before a shard's part colorized and not written (None: enough to settle the colour).
    pub warmup: Option<usize>,
    /// Colour hints files, shared by the films of a batch; each film takes the hints that fall on it.
    pub hints: Arc<Vec<HintFile>>,
    /// The review page and its JSON, when asked for.
    pub report: Option<crate::report::Wanted>,
    /// The command line that makes this film again, which the page gives with `--hints` added.
    pub rerun: crate::report::Rerun,
}

/// What the film shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Colour,
    /// The original and the colorized frame next to each other.
    SideBySide,
}

/// The run: every setting resolved against the source and typed; nothing downstream reads `Options`.
pub struct Plan {
    pub input: PathBuf,
    pub outputs: Outputs,
    pub fps: f64,
    /// How the frames are timed in the film.
    pub timing: Timing,
    /// The frames this run writes.
    pub span: Span,
    /// The frames all shards together cover.
    pub whole: Span,
    /// Frames the container announces in the span, when it says.
    pub announced: Option<usize>,
    /// Frames the span is expected to hold: what the container announces, else what `--end` asks for.
    pub expected: Option<usize>,
    /// Indices of the frames the contact sheet shows, in order.
    pub sheet_picks: Vec<usize>,
    pub smooth: f64,
    pub saturation: f64,
    pub keyframe_interval: Interval,
    pub repeats: Repeats,
    /// Colour moves along the motion: to frames between keyframes, or from keyframe to keyframe when steadied.
    pub carries_colour: bool,
    pub render_size: i32,
    pub batch: usize,
    pub layout: Layout,
    /// The film whose sound the finished film carries: the source's, for a whole film that asks for it.
    pub sound_from: Option<PathBuf>,
    pub other_runs: OtherRuns,
    pub film_size: Size,
    /// `--width`: the size frames are decoded at.
    pub width: Option<u32>,
    /// Colour hints, each on the frame it was placed on, in source pixels.
    pub hints: Vec<(usize, Hint)>,
    /// The frames the reader decodes: a shard's warmup, the range, and frames ahead for the last keyframe.
    pub read: Span,
    /// The frames as coloured (after --width), and the source's own size, which hints are given in.
    pub size: Size,
    pub native: Size,
    pub report: Option<crate::report::Wanted>,
    pub rerun: crate::report::Rerun,
    /// The input's content, every pixel-affecting setting, the backend and the model files.
    pub fingerprint: Fingerprint,
    pub notes: Vec<String>,
}

impl Plan {
    /// Opens the source and resolves `options` against it; returns the source at the first frame to decode.
    pub fn resolve(options: Options, model: &Identity) -> Result<(Plan, Source)> {
        let mut source = Source::open(&options.input, options.width)?;
        let mut notes = Vec::new();
        let fps = frame_rate(&options, &source, &mut notes);
        let (smooth, saturation, keyframe_interval) = colour_settings(&options);
        let (whole, span, read) = spans(&options, &mut source, fps, (smooth, keyframe_interval), &mut notes)?;
        let announced = announced(source.frame_count_hint, span);
        let film_size = match options.layout {
            Layout::SideBySide => Size::new(source.size.width * 2, source.size.height),
            Layout::Colour => source.size,
        };
        notes.extend(size_notes(&options, &source, film_size));
        let expected = announced.or(span.count());
        let sheet_picks = sheet_picks(&options, expected, span.start, &mut notes);
        let hints = film_hints(&options.input, &options.hints, &source, fps)?;
        let mut fingerprint = fingerprint(&options, model, (smooth, saturation, keyframe_interval), whole.start)?;
        fingerprint.finishing.hints = hints_digest(&hints);
        let sound_from = (options.audio && options.outputs.whole_film()).then(|| options.input.clone());
        let plan = Plan {
            fps,
            timing: match options.fps {
                None => Timing::Stamped,
                Some(_) => Timing::Retimed,
            },
            span,
            whole,
            announced,
            expected,
            sheet_picks,
            smooth,
            saturation,
            keyframe_interval,
            repeats: if options.exact { Repeats::Never } else { Repeats::Detect },
            carries_colour: keyframe_interval != Interval::Every(1) || smooth > 0.0,
            render_size: options.render_size,
            batch: options.batch,
            layout: options.layout,
            sound_from,
            other_runs: if options.overwrite {
                OtherRuns::Replace
            } else {
                OtherRuns::Refuse
            },
            film_size,
            width: options.width,
            hints,
            read,
            size: source.size,
            native: source.native,
            report: options.report,
            rerun: options.rerun,
            fingerprint,
            notes,
            input: options.input,
            outputs: options.outputs,
        };
        Ok((plan, source))
    }
}

/// The frames a run covers: the whole range asked, this run's span of it (a shard's part), and the frames it
/// reads, from a shard's warmup to the keyframe after its span. The source is left at the first frame to decode.
fn spans(
    options: &Options,
    source: &mut Source,
    fps: f64,
    (smooth, interval): (f64, Interval),
    notes: &mut Vec<String>,
) -> Result<(Span, Span, Span)> {
    let whole = range(options, source.fps.unwrap_or(fps))?;
    let span = match options.outputs.shard() {
        Some(shard) => shard_range(shard, whole, source.frame_count_hint)?,
        None => whole,
    };
    // `--exact` carries nothing from frame to frame, so a shard of it needs no warmup.
    let warmup = match (options.warmup, options.exact) {
        (Some(frames), _) => frames,
        (None, true) => 0,
        (None, false) => warmup(smooth, interval.longest()),
    };
    // A shard warms up from before its part.
    let first = span.start.saturating_sub(warmup).max(whole.start);
    go_to(options, source, first, notes)?;
    let read = Span {
        start: first,
        end: span.end.map(|end| end + interval.longest()),
    };
    Ok((whole, span, read))
}

/// The fingerprint a run of `options` would have, without planning the run: what tells whether a film already
/// made is finished as asked.
pub fn fingerprint_of(options: &Options, model: &Identity) -> Result<Fingerprint> {
    let source = Source::open(&options.input, options.width)?;
    // As `resolve` counts the range (at the source's own rate where it has one) and places the hints.
    let whole = range(options, source.fps.or(options.fps).unwrap_or(FALLBACK_FPS))?;
    let hints = film_hints(
        &options.input,
        &options.hints,
        &source,
        options.fps.or(source.fps).unwrap_or(FALLBACK_FPS),
    )?;
    let mut fingerprint = fingerprint(options, model, colour_settings(options), whole.start)?;
    fingerprint.finishing.hints = hints_digest(&hints);
    Ok(fingerprint)
}

/// The film's rate: `--fps`, else the source's, else FALLBACK_FPS with a warning.
fn frame_rate(options: &Options, source: &Source, notes: &mut Vec<String>) -> f64 {
    options.fps.or(source.fps).unwrap_or_else(|| {
        notes.push(format!(
            "warning: {} reports no usable frame rate; wrote {FALLBACK_FPS} fps (pass --fps)",
            options.input.display()
        ));
        FALLBACK_FPS
    })
}

/// Smoothing, saturation and keyframe interval as they colour this film: `--exact` turns them all off.
fn colour_settings(options: &Options) -> (f64, f64, Interval) {
    if options.exact {
        (0.0, 1.0, Interval::Every(1))
    } else {
        (options.smooth, options.saturation, options.keyframe_interval)
    }
}

/// The frames of `span` the container announces. Its count is only a hint: the frames actually read are what count.
fn announced(hint: Option<u64>, span: Span) -> Option<usize> {
    hint.map(|n| {
        let n = n as usize;
        span.end.map_or(n, |end| n.min(end)).saturating_sub(span.start)
    })
}

/// The frames asked for.
fn range(options: &Options, fps: f64) -> Result<Span> {
    let start = options.start.map_or(0, |p| p.frame(fps));
    let end = options.end.map(|p| p.frame(fps));
    if let Some(end) = end.filter(|&end| end <= start) {
        bail!("--end (frame {end}) must come after --start (frame {start})");
    }
    Ok(Span { start, end })
}

/// Leaves `source` at `frame`, which must exist, but for a shard: a film that holds fewer frames than it
/// announced leaves its last shards empty.
fn go_to(options: &Options, source: &mut Source, frame: usize, notes: &mut Vec<String>) -> Result<()> {
    let name = options.input.display();
    if source
        .skip_to(frame)
        .with_context(|| format!("frame {}", source.position))?
    {
        return Ok(());
    }
    let last = source.position.saturating_sub(1);
    match options.outputs.shard() {
        Some(shard) => {
            notes.push(format!(
                "note: {name} ends at frame {last}, before shard {shard}'s part: it has no frames to colorize"
            ));
            Ok(())
        }
        None => bail!("--start (frame {frame}) is past the end of the film, whose last frame is {last}"),
    }
}

/// The part of `whole` that `shard` colorizes. Without --end the container's frame count divides the film, and the
/// last shard reads on to the film's true end.
fn shard_range(shard: Shard, whole: Span, hint: Option<u64>) -> Result<Span> {
    let end = match whole.end {
        None => hint.map(|n| n as usize).context(
            "the film does not say how many frames it holds, so it cannot be divided into shards (give --end)",
        )?,
        Some(end) => end,
    };
    let (start, part_end) = shard.range(whole.start, end.saturating_sub(whole.start));
    let last = shard.index + 1 == shard.count;
    Ok(Span {
        start,
        end: if last { whole.end } else { Some(part_end) },
    })
}

/// How the frames of a film are timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// At the source's timestamps, so a variable-rate film stays in step with its sound.
    Stamped,
    /// One after another at the film's rate: `--fps` retimes the film.
    Retimed,
}

/// Frames a shard colorizes before its part so that its colour there is a single run's: the running mean of
/// the keyframes' colour forgets a cold start as smooth^m after m keyframes, and 1/512 of the largest a/b
/// difference (about 200) is below half a level; one more interval reaches the keyframe grid.
fn warmup(smooth: f64, interval: usize) -> usize {
    let keyframes = if smooth > 0.0 {
        ((1.0f64 / 512.0).ln() / smooth.ln()).ceil() as usize
    } else {
        0
    };
    interval * (keyframes + 1)
}

/// The indices of the frames on the contact sheet, spread over the `total` frames from `start`.
fn sheet_picks(options: &Options, total: Option<usize>, start: usize, notes: &mut Vec<String>) -> Vec<usize> {
    match (options.contact_sheet, total) {
        (Some(n), Some(total)) => sheet::picks(total, n).into_iter().map(|i| start + i).collect(),
        (Some(_), None) => {
            notes.push(format!(
                "note: no contact sheet: {} does not say how many frames it holds (give --end)",
                options.input.display()
            ));
            Vec::new()
        }
        (None, _) => Vec::new(),
    }
}

/// What the sizes asked for do that the user may not expect.
fn size_notes(options: &Options, source: &Source, film: Size) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(w) = options.width.filter(|&w| w as i32 > source.native.width) {
        notes.push(format!(
            "note: --width {w} is wider than {} ({}); frames are enlarged as the recipe does, which adds no detail",
            options.input.display(),
            source.native.width
        ));
    }
    let odd = match (film.width % 2 == 1, film.height % 2 == 1) {
        (true, true) => "column and row",
        (true, false) => "column",
        (false, true) => "row",
        (false, false) => return notes,
    };
    let kept = if options.outputs.frames().is_some() {
        " (the frames folder keeps every pixel)"
    } else {
        ""
    };
    notes.push(format!(
        "note: the film's encoder takes only an even width and height, so the film leaves out the last {odd} of the \
         {}x{} frames{kept}",
        film.width, film.height
    ));
    notes
}

/// What tells frames made by this very run from others: the input's content, the model, and every setting that
/// changes pixels, as the plan resolved them (`smooth`, `saturation`, `keyframe_interval`, the range's `start`).
fn fingerprint(
    options: &Options,
    model: &Identity,
    (smooth, saturation, keyframe_interval): (f64, f64, Interval),
    start: usize,
) -> Result<Fingerprint> {
    Ok(Fingerprint {
        prediction: Prediction {
            input: content_digest(&options.input)?,
            model: model.clone(),
            width: options.width,
            render_size: options.render_size,
            exact: options.exact,
            keyframe_interval,
            start,
        },
        finishing: Finishing {
            painter: painter::VERSION,
            smooth,
            saturation,
            frame_format: options.outputs.frames().map(|f| f.format.extension().to_string()),
            hints: None,
        },
    })
}
