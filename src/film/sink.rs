//! The ordered end of the film pipeline: each segment painted (film/painter.rs), its pictures made and written
//! in parallel (film/picture.rs), the film written in order, and the film finished once the last frame is in.

use std::path::PathBuf;

use anyhow::{Context, Result};
use opencv::core::{self, Mat};
use rayon::prelude::*;

use super::earlier::{take_over, Earlier};
use super::finish::{finish_film, Sound};
use super::frame::{Ab, Frame, Key, Origin, Segment};
use super::frame_dir::FrameDir;
use super::manifest::Manifest;
use super::outputs::{write_sheet, FrameFormat, Outputs};
use super::owner::save_source;
use super::painter::{ColourState, Painter};
use super::parts::part_record;
use super::picture::{picture, Picture};
use super::plan::{Layout, Plan};
use super::predictions::Keep;
use super::profile::{Profile, Stage};
use super::resume::{self, Resumption};
use super::review::Review;
use super::shard::Shard;
use super::shots::{Finish, Ledger};
use super::timeline::Timeline;
use super::tracks::Tracked;
use super::writer::FilmWriter;
use crate::model::Uncertainty;
use crate::progress::Progress;
use crate::sheet::{self, Sheet};

/// What a finished film run did.
pub struct Summary {
    /// Frames in the range, made now or found on disk.
    pub frame_count: usize,
    /// Keyframes written, those of them the network ran on, and those whose prediction an earlier run stored
    /// (the rest repeat the keyframe before).
    pub keyframes: usize,
    pub computed: usize,
    pub stored: usize,
    /// Frames found finished on disk by a resumed run.
    pub resumed: usize,
    /// Shots that start after another, among the frames made now.
    pub cuts: usize,
    /// Keyframes the network ran on, also those of a shard's warmup and the one read past the range's end.
    pub forward_passes: usize,
    /// None for a shard, whose frames wait for `colorize assemble`.
    pub film: Option<PathBuf>,
    pub sheet: Option<PathBuf>,
    pub frames_dir: Option<PathBuf>,
    /// The review page, when one was asked for.
    pub report: Option<PathBuf>,
    /// Colour hints given, the frames of the range they reached, and their tracks that ended before their shot.
    pub hints: Option<HintsDone>,
    pub notes: Vec<String>,
}

/// What became of a film's colour hints.
pub struct HintsDone {
    pub given: usize,
    pub frames: usize,
    pub lost: usize,
}

pub struct Sink<'a> {
    plan: &'a Plan,
    frames: Option<FrameDir>,
    /// Where the run's manifest goes: beside its frames, or beside a shard's part of the film.
    record: Option<PathBuf>,
    film: Option<FilmWriter>,
    timeline: Timeline,
    /// The newest picture, held until the next frame's time says how often the film shows it.
    held: Option<Mat>,
    painter: Painter,
    /// Where the network's predictions are kept for a rerun that refinishes.
    store: Option<Keep>,
    /// The shots on disk and the finishing each was painted with; how this run finishes each shot.
    ledger: Ledger,
    finish: Finish,
    /// The frame after the last one painted, and the colour state then: what the resume record holds.
    checkpoint: (usize, ColourState),
    hints: Option<HintsDone>,
    sheet: Sheet,
    review: Option<Review>,
    /// Where pictures are made, in parallel.
    pictures: &'a rayon::ThreadPool,
    profile: &'a Profile,
    progress: &'a Progress,
    /// Frames taken, keyframes among them, those computed by the network or stored, and frames found on disk.
    pub taken: usize,
    keyframes: usize,
    computed: usize,
    stored: usize,
    resumed: usize,
    cuts: usize,
    /// Keyframes the network ran on, written or not (a shard's warmup, the keyframe read past the range's end).
    forward_passes: usize,
}

impl<'a> Sink<'a> {
    /// Opens the frames folder (locked, and checked for a run to resume or refinish), the store of predictions
    /// and the film. Returns the sink and what earlier runs left: frames to keep, predictions to reuse.
    pub fn new(
        plan: &'a Plan,
        hints: Tracked,
        pictures: &'a rayon::ThreadPool,
        profile: &'a Profile,
        progress: &'a Progress,
    ) -> Result<(Sink<'a>, Earlier)> {
        let frames = plan
            .outputs
            .frames()
            .map(|f| FrameDir::create(&f.dir, f.format, plan.outputs.shard()))
            .transpose()?;
        let finish = Finish::new(&plan.fingerprint, &hints);
        let (resumption, store) = take_over(plan, frames.as_ref(), &finish, progress)?;
        let (stored, store) = store.unzip();
        let Resumption {
            kept,
            carries_on,
            colour,
            ledger,
            ..
        } = resumption;
        let record = match (&frames, &plan.outputs) {
            (Some(frames), _) => Some(frames.record("manifest")),
            (None, Outputs::ShardPart { part, .. }) => Some(part_record(part)),
            (None, _) => None,
        };
        if let (Some(frames), Some(record)) = (&frames, &record) {
            manifest(plan, Some(frames.format), plan.span.end, None, false, &ledger).save(record)?;
        }
        let film = plan
            .outputs
            .film()
            .map(|path| FilmWriter::create(path, plan.fps, plan.film_size))
            .transpose()?;
        let earlier = Earlier {
            kept,
            carries_on,
            stored,
        };
        let review = Review::new(plan, frames.as_ref(), earlier.done_until(plan.span.start))?;
        let sink = Sink {
            plan,
            frames,
            record,
            film,
            timeline: Timeline::new(plan.fps, plan.follow_timestamps),
            held: None,
            hints: (!plan.hints.is_empty()).then(|| HintsDone {
                given: plan.hints.len(),
                frames: hints.frames_in(plan.span),
                lost: hints.lost,
            }),
            painter: Painter::new(plan.smooth, plan.saturation, colour, hints),
            store,
            ledger,
            finish,
            checkpoint: (plan.span.start, ColourState::default()),
            sheet: Sheet::default(),
            review,
            pictures,
            profile,
            progress,
            taken: 0,
            keyframes: 0,
            computed: 0,
            stored: 0,
            resumed: 0,
            cuts: 0,
            forward_passes: 0,
        };
        Ok((sink, earlier))
    }

    /// Takes the next segments, in order. Colour is worked out frame by frame (the painter); the pictures are then
    /// made and written to the frames folder in parallel (at 1080p that is most of a frame's time on the CPU), and
    /// go into the film in order; the resume record follows once they are all on disk.
    /// `unsure` holds the uncertainty of keyframes the network ran on, when a review page asks for it.
    pub fn take(&mut self, batch: Vec<Segment<Key<Ab>>>, unsure: Vec<(usize, Uncertainty)>) -> Result<()> {
        self.cuts += batch.iter().filter(|s| starts_shot(s.key.as_ref())).count();
        if let Some(review) = &mut self.review {
            review.take(&batch, unsure);
        }
        let mut outgoing = Vec::new();
        let mut record = None;
        for segment in batch {
            self.keep_prediction(&segment)?;
            let painted = self.painter.paint(segment)?;
            self.keyframes += painted.keyframes;
            self.computed += painted.computed;
            self.stored += painted.stored;
            record = painted.record.or(record);
            outgoing.extend(painted.frames);
        }
        for frame in &outgoing {
            let painted = matches!(frame.work, Picture::Paint { .. });
            self.ledger.take(frame.index, frame.shot, painted);
        }
        self.resumed += outgoing.iter().filter(|f| matches!(f.work, Picture::OnDisk)).count();
        let (frames, profile) = (self.frames.as_ref(), self.profile);
        let pictures: Vec<Result<(Frame<()>, Mat)>> = self.pictures.install(|| {
            outgoing
                .into_par_iter()
                .map(|frame| {
                    let index = frame.index;
                    picture(frame, frames, profile).with_context(|| format!("frame {index}"))
                })
                .collect()
        });
        for picture in pictures {
            let (frame, bgr) = picture?;
            self.deliver(frame.index, frame.seconds, frame.original, bgr)?;
        }
        if let Some((index, state)) = record {
            self.checkpoint = (index + 1, state);
            self.save_record()?;
        }
        Ok(())
    }

    /// Counts and stores the prediction the network just made for a segment's keyframe, if it made one.
    fn keep_prediction(&mut self, segment: &Segment<Key<Ab>>) -> Result<()> {
        let Some(Frame {
            index,
            work:
                Key::Computed {
                    net:
                        Some(Ab {
                            ab,
                            origin: Origin::Network,
                        }),
                    ..
                },
            ..
        }) = &segment.key
        else {
            return Ok(());
        };
        self.forward_passes += 1;
        match &mut self.store {
            Some(store) => store.keep(*index, ab),
            None => Ok(()),
        }
    }

    /// Records the frames on disk, after the predictions they were painted from are stored.
    fn save_record(&mut self) -> Result<()> {
        self.ledger.resolve(&self.finish);
        let Some(frames) = &self.frames else { return Ok(()) };
        let (next, state) = &self.checkpoint;
        resume::save(frames, &self.plan.fingerprint, *next, state, &self.ledger)
    }

    /// Adds a finished frame to the contact sheet and the film.
    fn deliver(&mut self, index: usize, seconds: f64, original: Option<Mat>, bgr: Mat) -> Result<()> {
        let time = if seconds.is_finite() {
            seconds
        } else {
            index as f64 / self.plan.fps
        };
        if let Some(review) = &mut self.review {
            review.deliver(index, time, original.as_ref(), &bgr)?;
        }
        if let (Some(original), Ok(_)) = (&original, self.plan.sheet_picks.binary_search(&index)) {
            self.sheet
                .add(index, original, &bgr, format!("{}  #{index}", sheet::timecode(time)))?;
        }
        let picture = match original.filter(|_| self.plan.layout == Layout::SideBySide) {
            Some(original) => {
                let mut both = Mat::default();
                core::hconcat2(&original, &bgr, &mut both)?;
                both
            }
            None => bgr,
        };
        let copies = self.timeline.arrive(seconds).unwrap_or(0);
        self.show(copies)?;
        self.held = Some(picture);
        self.taken += 1;
        self.progress.inc();
        Ok(())
    }

    /// Writes the held picture into the film `copies` times.
    fn show(&mut self, copies: usize) -> Result<()> {
        let (Some(film), Some(picture)) = (&mut self.film, self.held.as_ref()) else {
            return Ok(());
        };
        self.profile.time(Stage::Encode, || -> Result<()> {
            for _ in 0..copies {
                film.write(picture)?;
            }
            Ok(())
        })
    }

    /// Shows the last frame, then checks, gives sound to, and renames the film; records the frames as complete.
    pub fn finish(mut self) -> Result<Summary> {
        let mut notes = self.plan_notes();
        self.show(1)?;
        let origin = self
            .timeline
            .origin()
            .unwrap_or(self.plan.span.start as f64 / self.plan.fps);
        let (film, sheet) = match self.film.take() {
            Some(film) => {
                let written = film.written;
                let sound = self
                    .plan
                    .sound_from
                    .as_deref()
                    .map(|source| Sound { source, from: origin });
                let film = if written == 0 && !self.plan.outputs.whole_film() {
                    // A shard past the film's end (or within damage) has no frames; its part is kept as the writer
                    // closed it, with its record, and `assemble` passes over it: ffmpeg cannot time an empty film.
                    film.close()?.persist()?
                } else {
                    finish_film(film.close()?, written, self.plan.fps, sound, &mut notes)?
                };
                save_source(&film, &self.plan.fingerprint.prediction.input, &self.plan.input)?;
                let sheet = write_sheet(&self.sheet, self.plan, &film, &mut notes)?;
                (Some(film), sheet)
            }
            None => (None, None),
        };
        if let Some(review) = self.review.take() {
            review.finish(self.plan, self.taken)?;
        }
        // A range cut short by --end or a shard's part may end in the middle of a shot.
        if self
            .plan
            .span
            .end
            .is_none_or(|end| self.plan.span.start + self.taken < end)
        {
            self.ledger.film_ended();
        }
        self.save_record()?;
        if let Some(record) = &self.record {
            let format = self.frames.as_ref().map(|f| f.format);
            let end = Some(self.plan.span.start + self.taken);
            manifest(self.plan, format, end, Some(origin), true, &self.ledger).save(record)?;
        }
        Ok(Summary {
            frame_count: self.taken,
            keyframes: self.keyframes,
            computed: self.computed,
            stored: self.stored,
            resumed: self.resumed,
            cuts: self.cuts,
            forward_passes: self.forward_passes,
            film,
            sheet,
            frames_dir: self.frames.as_ref().map(|f| f.dir.clone()),
            report: self.plan.report.as_ref().and_then(|r| r.page.clone()),
            hints: self.hints.take(),
            notes,
        })
    }

    fn plan_notes(&self) -> Vec<String> {
        let mut notes = self.plan.notes.clone();
        let name = self.plan.input.display();
        let announced = self.plan.announced.unwrap_or_default();
        let missing = announced.saturating_sub(self.taken);
        // Frames that do not decode amid the film leave a gap in the timestamps, which the timeline fills with the
        // frame before (the note on the rate below counts them): an AVI's empty slot for a frame dropped at capture,
        // or damage. Only frames beyond those, at the end, are lost.
        if missing > self.timeline.repeated {
            notes.push(format!(
                "warning: {missing} of the {announced} frames {name} announces could not be decoded (truncated or \
                 damaged?); the rest were colorized"
            ));
        } else if missing > 0 {
            notes.push(format!(
                "note: {missing} of the {announced} frames {name} announces did not decode (an empty slot a capture \
                 left for a dropped frame, or damage); the frame before stands in for each"
            ));
        }
        let (repeated, dropped) = (self.timeline.repeated, self.timeline.dropped);
        if repeated + dropped > 0 {
            notes.push(format!(
                "note: {name} has a variable frame rate: to keep the film at {:.3} fps in step with its sound, \
                 {repeated} frame showings were added and {dropped} frames left out of the film",
                self.plan.fps
            ));
        }
        notes
    }
}

/// Whether a segment's keyframe, written in this run, starts a shot after another.
fn starts_shot(key: Option<&Frame<Key<Ab>>>) -> bool {
    key.is_some_and(|k| {
        matches!(
            k.work,
            Key::Computed {
                cut: true,
                written: true,
                ..
            }
        )
    })
}

/// The record of this run's frames (in `format`, if kept): `end` is where they end, `origin` the time of the first,
/// `shots` how each shot is painted.
fn manifest(
    plan: &Plan,
    format: Option<FrameFormat>,
    end: Option<usize>,
    origin: Option<f64>,
    complete: bool,
    shots: &Ledger,
) -> Manifest {
    Manifest {
        fingerprint: plan.fingerprint.clone(),
        shard: plan.outputs.shard().unwrap_or(Shard { index: 0, count: 1 }),
        whole_start: plan.whole.start,
        start: plan.span.start,
        end,
        fps: plan.fps,
        // Only the first shard knows where the film's sound starts.
        origin: origin.filter(|_| plan.span.start == plan.whole.start),
        ext: format.map_or("", FrameFormat::extension).to_string(),
        complete,
        shots: shots.clone(),
    }
}
