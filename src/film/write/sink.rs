//! The ordered end of the film pipeline: each segment painted (film/painter.rs), its pictures made and written
//! in parallel (film/picture.rs), the film written in order, and the film finished once the last frame is in.

use std::path::PathBuf;

use anyhow::{Context, Result};
use opencv::core::{self, Mat};
use rayon::prelude::*;

use super::picture::picture;
use super::summary::{notes, Counts, HintsDone, Summary};
use super::timeline::Timeline;
use crate::film::base::frame::Picture;
use crate::film::base::frame::{Ab, Frame, Key, Origin, Segment};
use crate::film::base::profile::{Profile, Stage};
use crate::film::colour::painter::{ColourState, Painter};
use crate::film::colour::tracks::Tracked;
use crate::film::io::finish::{finish_film, Sound};
use crate::film::io::frame_dir::FrameDir;
use crate::film::io::frame_dir::FrameFormat;
use crate::film::io::shard::Shard;
use crate::film::io::writer::FilmWriter;
use crate::film::plan::outputs::{write_sheet, Outputs};
use crate::film::plan::resolve::{Layout, Plan};
use crate::film::plan::take_over::take_over;
use crate::film::records::earlier::Earlier;
use crate::film::records::manifest::Manifest;
use crate::film::records::owner::save_source;
use crate::film::records::parts::part_record;
use crate::film::records::predictions::Keep;
use crate::film::records::resume;
use crate::film::records::shots::{Ledger, Painting};
use crate::film::review::gather::Review;
use crate::model::Uncertainty;
use crate::progress::Progress;
use crate::sheet::{self, Sheet};

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
    finish: Painting,
    /// The frame after the last one painted, and the colour state then: what the resume record holds.
    checkpoint: (usize, ColourState),
    hints: Option<HintsDone>,
    sheet: Sheet,
    review: Option<Review>,
    /// Where pictures are made, in parallel.
    pictures: &'a rayon::ThreadPool,
    profile: &'a Profile,
    progress: &'a Progress,
    /// Frames taken.
    pub taken: usize,
    counts: Counts,
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
        let finish = Painting::new(&plan.fingerprint, &hints);
        let (resumption, store) = take_over(plan, frames.as_ref(), &finish, progress)?;
        let (stored, store) = store.unzip();
        let record = match (&frames, &plan.outputs) {
            (Some(frames), _) => Some(frames.record("manifest")),
            (None, Outputs::ShardPart { part, .. }) => Some(part_record(part)),
            (None, _) => None,
        };
        if let (Some(frames), Some(record)) = (&frames, &record) {
            manifest(plan, Some(frames.format), Made::Begun, &resumption.ledger).save(record)?;
        }
        let film = plan
            .outputs
            .film()
            .map(|path| FilmWriter::create(path, plan.fps, plan.film_size))
            .transpose()?;
        let earlier = Earlier {
            kept: resumption.kept,
            carries_on: resumption.carries_on,
            stored,
        };
        let review = Review::new(plan, frames.as_ref(), &earlier.kept)?;
        let sink = Sink {
            plan,
            frames,
            record,
            film,
            timeline: Timeline::new(plan.fps, plan.timing),
            held: None,
            hints: HintsDone::of(plan, &hints),
            painter: Painter::new(plan.smooth, plan.saturation, resumption.colour, hints),
            store,
            ledger: resumption.ledger,
            finish,
            checkpoint: (plan.span.start, ColourState::default()),
            sheet: Sheet::default(),
            review,
            pictures,
            profile,
            progress,
            taken: 0,
            counts: Counts::default(),
        };
        Ok((sink, earlier))
    }

    /// Takes the next segments, in order. Colour is worked out frame by frame (the painter); the pictures are then
    /// made and written to the frames folder in parallel (at 1080p that is most of a frame's time on the CPU), and
    /// go into the film in order; the resume record follows once they are all on disk.
    /// `unsure` holds the uncertainty of keyframes the network ran on, when a review page asks for it.
    pub fn take(&mut self, batch: Vec<Segment<Key<Ab>>>, unsure: Vec<(usize, Uncertainty)>) -> Result<()> {
        self.counts.cuts += batch.iter().filter(|s| starts_shot(s.key.as_ref())).count();
        if let Some(review) = &mut self.review {
            review.take(&batch, unsure);
        }
        let mut outgoing = Vec::new();
        let mut record = None;
        for segment in batch {
            self.keep_prediction(&segment)?;
            let painted = self.painter.paint(segment)?;
            self.counts.keyframes += painted.keyframes;
            self.counts.computed += painted.computed;
            self.counts.stored += painted.stored;
            record = painted.record.or(record);
            outgoing.extend(painted.frames);
        }
        for frame in &outgoing {
            self.ledger.take(frame.index, frame.shot, &frame.work);
        }
        self.counts.resumed += outgoing.iter().filter(|f| matches!(f.work, Picture::OnDisk)).count();
        let (frames, recipe, profile) = (
            self.frames.as_ref(),
            self.plan.fingerprint.prediction.preparation().recipe,
            self.profile,
        );
        let pictures: Vec<Result<(Frame<()>, Mat)>> = self.pictures.install(|| {
            outgoing
                .into_par_iter()
                .map(|frame| {
                    let index = frame.index;
                    picture(frame, frames, recipe, profile).with_context(|| format!("frame {index}"))
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
                        Some(
                            prediction @ Ab {
                                origin: Origin::Network,
                                ..
                            },
                        ),
                    ..
                },
            ..
        }) = &segment.key
        else {
            return Ok(());
        };
        self.counts.forward_passes += 1;
        match &mut self.store {
            Some(store) => store.keep(*index, prediction),
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
    fn deliver(&mut self, index: usize, seconds: Option<f64>, original: Option<Mat>, bgr: Mat) -> Result<()> {
        let time = seconds.unwrap_or(index as f64 / self.plan.fps);
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
        let mut notes = notes(self.plan, self.taken, &self.timeline);
        self.show(1)?;
        let origin = self
            .timeline
            .origin()
            .unwrap_or(self.plan.span.start as f64 / self.plan.fps);
        let (film, sheet) = self.finish_film(origin, &mut notes)?;
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
            let end = self.plan.span.start + self.taken;
            manifest(self.plan, format, Made::Finished { end, origin }, &self.ledger).save(record)?;
        }
        Ok(Summary {
            frame_count: self.taken,
            counts: self.counts,
            film,
            sheet,
            frames_dir: self.frames.as_ref().map(|f| f.dir.clone()),
            report: self.plan.report.as_ref().and_then(|r| r.page.clone()),
            hints: self.hints.take(),
            notes,
        })
    }

    /// The film checked, given its sound and renamed into place, and its contact sheet written beside it.
    fn finish_film(&mut self, origin: f64, notes: &mut Vec<String>) -> Result<(Option<PathBuf>, Option<PathBuf>)> {
        let Some(film) = self.film.take() else {
            return Ok((None, None));
        };
        let written = film.written;
        let sound = self
            .plan
            .sound_from
            .as_deref()
            .map(|source| Sound { source, from: origin });
        let film = if written == 0 && !self.plan.outputs.whole_film() {
            // A shard past the film's end (or within damage) has no frames; its part is kept as the writer closed
            // it, with its record, and `assemble` passes over it: ffmpeg cannot time an empty film.
            film.close()?.persist()?
        } else {
            finish_film(film.close()?, written, self.plan.fps, sound, notes)?
        };
        save_source(&film, &self.plan.fingerprint.prediction.input, &self.plan.input)?;
        let sheet = write_sheet(&self.sheet, self.plan.sheet_picks.len(), &film, notes)?;
        Ok((Some(film), sheet))
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

/// How far a run's frames are made when their manifest is saved.
enum Made {
    /// Starting: the frames end where the range does, if it says.
    Begun,
    /// Complete: the frames end at `end`, the first of them at `origin` seconds.
    Finished { end: usize, origin: f64 },
}

/// The record of this run's frames (in `format`, if kept), `shots` how each shot is painted.
fn manifest(plan: &Plan, format: Option<FrameFormat>, made: Made, shots: &Ledger) -> Manifest {
    let (end, origin, complete) = match made {
        Made::Begun => (plan.span.end, None, false),
        Made::Finished { end, origin } => (Some(end), Some(origin), true),
    };
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
