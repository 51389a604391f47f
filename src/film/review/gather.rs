//! A film's review page, gathered as the sink delivers frames: each frame's kind and cut read off its segment,
//! the colour change the motion does not explain measured, and the page written once the film is done.
//!
//! With a frames folder, each frame's record is also appended to `.colorize-review` beside the frames (after a
//! first line naming the run, by its fingerprint), so a resumed run knows how the frames of the run before got
//! their colour and how sure the network was of them.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use opencv::core::Mat;

use super::change::Change;
use crate::film::base::frame::{Ab, Key, Segment};
use crate::film::base::scene::Shot;
use crate::film::io::frame_dir::FrameDir;
use crate::film::plan::resolve::Plan;
use crate::model::Uncertainty;
use crate::output::write_atomically;
use crate::report::{self, Collector, FrameRecord, Kind, ModelDigests, Settings, Stored};
use crate::sheet;

/// Frames shown whatever they hold, evenly spread over the film.
pub const PICKS: usize = 12;

pub struct Review {
    collector: Collector,
    change: Option<Change>,
    /// How the frames taken and not yet delivered got their colour, and whether a shot starts there.
    taken: HashMap<usize, (Kind, bool)>,
    /// Records of the frames an earlier run made, by index.
    earlier: HashMap<usize, FrameRecord>,
    /// Colour hints placed on each frame that has any.
    hints: HashMap<usize, usize>,
    /// Where each frame's record is appended, when frames are kept, and where the settings go at the end.
    store: Option<(PathBuf, File)>,
    settings_store: Option<PathBuf>,
    started: Instant,
}

impl Review {
    /// A review, when the run asks for one; with `frames` kept, the records of the frames before `resume_at`
    /// that an earlier run made are read back and the rest dropped.
    pub fn new(plan: &Plan, frames: Option<&FrameDir>, resume_at: usize) -> Result<Option<Review>> {
        if plan.report.is_none() {
            return Ok(None);
        }
        let picks = plan
            .expected
            .map(|total| {
                sheet::picks(total, PICKS)
                    .into_iter()
                    .map(|i| plan.span.start + i)
                    .collect()
            })
            .unwrap_or_default();
        let (earlier, store) = match frames {
            Some(frames) => {
                let path = frames.record("review");
                let fingerprint = plan.fingerprint.to_text();
                let earlier = earlier_records(
                    &path,
                    Records::Before {
                        resume_at,
                        fingerprint: &fingerprint,
                    },
                )?;
                let mut file = File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
                writeln!(file, "{}", serde_json::to_string(&fingerprint)?)?;
                for record in earlier.values() {
                    writeln!(file, "{}", serde_json::to_string(record)?)?;
                }
                (earlier, Some((path, file)))
            }
            None => (HashMap::new(), None),
        };
        let settings_store = frames.map(|f| f.record("review-settings"));
        let mut hints = HashMap::new();
        for (frame, _) in &plan.hints {
            *hints.entry(*frame).or_insert(0) += 1;
        }
        Ok(Some(Review {
            collector: Collector::new(picks),
            change: None,
            taken: HashMap::new(),
            earlier,
            hints,
            store,
            settings_store,
            started: Instant::now(),
        }))
    }

    /// Notes how each frame of `batch` got its colour, and the uncertainty of its keyframes.
    pub fn take(&mut self, batch: &[Segment<Key<Ab>>], unsure: Vec<(usize, Uncertainty)>) {
        for (index, uncertainty) in unsure {
            self.collector.unsure(index, uncertainty);
        }
        for segment in batch {
            for frame in &segment.between {
                self.taken.insert(frame.index, (Kind::Carried, false));
            }
            if let Some(key) = &segment.key {
                match &key.work {
                    Key::Computed {
                        net,
                        cut,
                        written: true,
                        ..
                    } => {
                        let kind = if net.is_some() { Kind::Keyframe } else { Kind::Repeat };
                        self.taken.insert(key.index, (kind, *cut));
                    }
                    // Made by a run without a review, if it left no record: a keyframe, as far as is known.
                    Key::Resumed => {
                        self.taken.insert(key.index, (Kind::Keyframe, false));
                    }
                    Key::Computed { .. } => {}
                }
            }
        }
    }

    /// Takes a finished frame, in order: `seconds` from the film's start, the source frame and its colour.
    pub fn deliver(&mut self, index: usize, seconds: f64, original: Option<&Mat>, bgr: &Mat) -> Result<()> {
        let taken = self.taken.remove(&index).context("a frame came that no segment held")?;
        let earlier = self.earlier.remove(&index);
        let resumed = earlier.is_some();
        let (kind, cut) = earlier.as_ref().map_or(taken, |r| (r.kind, r.cut));
        let stability = Change::measure_in(&mut self.change, bgr, Shot::at_cut(cut))?;
        // A frame of the run before is as it recorded it; its picture, read back, only carries the comparison on.
        let record = earlier.unwrap_or(FrameRecord {
            index,
            time: seconds,
            kind,
            cut,
            stability,
            uncertainty: None,
            hints: self.hints.get(&index).copied().unwrap_or(0),
        });
        let record = self.collector.add(record, original.unwrap_or(bgr), bgr)?;
        if let (Some((path, file)), false) = (&mut self.store, resumed) {
            let line = serde_json::to_string(record)?;
            writeln!(file, "{line}").with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }

    /// Writes the page and its JSON, as the plan asks, and the settings beside the frames for `assemble`.
    pub fn finish(self, plan: &Plan, frames: usize) -> Result<()> {
        let Some(wanted) = &plan.report else { return Ok(()) };
        let settings = settings(plan, frames, self.started.elapsed().as_secs_f64());
        let film = plan.input.display().to_string();
        if let Some(path) = &self.settings_store {
            let stored = serde_json::to_string(&Stored {
                film: film.clone(),
                settings: settings.clone(),
            })?;
            write_atomically(path, stored.as_bytes())?;
        }
        let (data, shown) = self.collector.finish(film, settings);
        report::write(wanted, &data, &shown)
    }
}

fn settings(plan: &Plan, frames: usize, seconds: f64) -> Settings {
    let model = &plan.fingerprint.prediction.model;
    Settings {
        frames,
        length: frames as f64 / plan.fps,
        fps: plan.fps,
        size: [plan.size.width, plan.size.height],
        source_size: [plan.native.width, plan.native.height],
        keyframe_interval: plan.keyframe_interval.to_string(),
        smooth: plan.smooth,
        saturation: plan.saturation,
        render_size: plan.render_size,
        backend: model.engine.name().to_string(),
        model: ModelDigests {
            prototxt: model.prototxt.clone(),
            caffemodel: model.caffemodel.clone(),
            points: model.points.clone(),
        },
        seconds,
        rerun: plan.rerun.clone(),
    }
}

/// Which of the review records beside a film's frames are read back.
#[derive(Clone, Copy)]
pub enum Records<'a> {
    /// All of them, whichever run wrote them: `assemble` reads each shard's.
    All,
    /// Those of frames before `resume_at`, if the run `fingerprint` names wrote them: frames an `--overwrite` run
    /// without `--report` replaced keep no one's record.
    Before { resume_at: usize, fingerprint: &'a str },
}

/// The records in `path` that `which` asks for, by index; none where there is no such file.
pub fn earlier_records(path: &Path, which: Records) -> Result<HashMap<usize, FrameRecord>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(HashMap::new());
    };
    let mut lines = text.lines();
    let made_by: Option<String> = lines.next().and_then(|l| serde_json::from_str(l).ok());
    let wanted = |index: usize| match which {
        Records::All => true,
        Records::Before { resume_at, .. } => index < resume_at,
    };
    if matches!(which, Records::Before { fingerprint, .. } if made_by.as_deref() != Some(fingerprint)) {
        return Ok(HashMap::new());
    }
    let mut records = HashMap::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.is_empty()) {
        let record: FrameRecord = serde_json::from_str(line)
            .with_context(|| format!("{} line {}: not a frame record", path.display(), n + 2))?;
        if wanted(record.index) {
            records.insert(record.index, record);
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_read_back_only_for_the_run_that_wrote_them_and_before_the_resume_point() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".colorize-review");
        let record = |index| FrameRecord {
            index,
            time: 0.0,
            kind: Kind::Carried,
            cut: false,
            stability: Some(1.0),
            uncertainty: None,
            hints: 0,
        };
        let lines: Vec<String> = std::iter::once(serde_json::to_string("run a\nsettings").unwrap())
            .chain(
                [record(0), record(1), record(2)]
                    .iter()
                    .map(|r| serde_json::to_string(r).unwrap()),
            )
            .collect();
        std::fs::write(&path, lines.join("\n")).unwrap();
        let before = |resume_at, fingerprint| Records::Before { resume_at, fingerprint };
        let read = |which| earlier_records(&path, which).unwrap();
        assert_eq!(read(before(2, "run a\nsettings")).len(), 2);
        assert!(read(before(3, "run b\nsettings")).is_empty(), "another run's records");
        assert_eq!(read(Records::All).len(), 3);
        assert!(earlier_records(&dir.path().join("none"), Records::All)
            .unwrap()
            .is_empty());
    }
}
