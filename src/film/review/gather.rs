//! A film's review page, gathered as the sink delivers frames: each frame's kind and cut read off its segment,
//! the colour change the motion does not explain measured, and the page written once the film is done.
//!
//! With a frames folder, each frame's record is also appended to `.colorize-review` beside the frames (after a
//! line naming the film and the run, by its fingerprint), so a resumed run knows how the frames of the run before
//! got their colour and how sure the network was of them. Each line carries its checksum (`file::seal_line`): a
//! damaged record is not used, and the records of another film are refused by `assemble`.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use opencv::core::Mat;
use serde::{Deserialize, Serialize};

use super::change::Change;
use crate::film::base::frame::{Ab, Key, Origin, Segment};
use crate::film::base::scene::Shot;
use crate::film::io::frame_dir::FrameDir;
use crate::film::plan::resolve::Plan;
use crate::film::records::file::{self, check_magic};
use crate::film::records::fingerprint::Fingerprint;
use crate::model::Uncertainty;
use crate::output::{create_replacing, write_atomically};
use crate::report::{self, Collector, FrameRecord, Kind, ModelDigests, Settings, Stored};
use crate::sheet;

/// Frames shown whatever they hold, evenly spread over the film.
pub const PICKS: usize = 12;

/// Version 2: the film's name beside the run's fingerprint, and a checksum on every line. Version 3: the network's
/// precision in the fingerprint.
const MAGIC: &str = "colorize-review 3";

/// The line after the version: which film and which run (its fingerprint) the records are of.
#[derive(Serialize, Deserialize)]
struct MadeBy {
    film: String,
    run: String,
}

pub struct Review {
    collector: Collector,
    change: Option<Change>,
    /// How the frames taken and not yet delivered got their colour, and whether a shot starts there.
    taken: HashMap<usize, (Kind, bool)>,
    /// Records of the frames an earlier run made, by index.
    earlier: HashMap<usize, FrameRecord>,
    /// The uncertainty stored with the predictions of keyframes painted from the store, by index.
    stored: HashMap<usize, f64>,
    /// Colour hints placed on each frame that has any.
    hints: HashMap<usize, usize>,
    /// Where each frame's record is appended, when frames are kept, and where the settings go at the end.
    store: Option<(PathBuf, File)>,
    settings_store: Option<PathBuf>,
    started: Instant,
}

impl Review {
    /// A review, when the run asks for one; with `frames` kept, the records of the frames `kept` (left as an
    /// earlier run with the same predictions made them) are read back and the rest dropped.
    pub fn new(plan: &Plan, frames: Option<&FrameDir>, kept: &[Range<usize>]) -> Result<Option<Review>> {
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
                let prediction = plan.fingerprint.prediction_text();
                let earlier = earlier_records(
                    &path,
                    Records::Kept {
                        kept,
                        prediction: &prediction,
                    },
                )?;
                let mut file = create_replacing(&path)?;
                let made_by = MadeBy {
                    film: plan.input.display().to_string(),
                    run: fingerprint,
                };
                let mut text = format!("{MAGIC}\n{}\n", file::seal_line(&serde_json::to_string(&made_by)?));
                for record in earlier.values() {
                    text += &format!("{}\n", file::seal_line(&serde_json::to_string(record)?));
                }
                file.write_all(text.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?;
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
            stored: HashMap::new(),
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
                        if let Some(Ab {
                            origin: Origin::Store,
                            uncertainty: Some(mean),
                            ..
                        }) = net
                        {
                            self.stored.insert(key.index, *mean);
                        }
                    }
                    // Made by a run without a review, if it left no record: a keyframe, as far as is known.
                    Key::Resumed { cut } => {
                        self.taken.insert(key.index, (Kind::Keyframe, *cut));
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
            // The network's, when it ran on the frame now, replaces this (`Collector::add`).
            uncertainty: self.stored.remove(&index),
            hints: self.hints.get(&index).copied().unwrap_or(0),
        });
        let record = self.collector.add(record, original.unwrap_or(bgr), bgr)?;
        if let (Some((path, file)), false) = (&mut self.store, resumed) {
            let line = file::seal_line(&serde_json::to_string(record)?);
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
        model: ModelDigests::from(&model.network),
        seconds,
        rerun: plan.rerun.clone(),
    }
}

/// Which of the review records beside a film's frames are read back.
#[derive(Clone, Copy)]
pub enum Records<'a> {
    /// All of them, whichever run wrote them, if they are of the film whose content is `input`: `assemble` reads
    /// each shard's.
    Of { input: &'a str },
    /// Those of the frames `kept` from earlier runs, if a run with the same predictions (`prediction`, the
    /// fingerprint's prediction half) wrote them: a frame's kind, cut and uncertainty follow from its predictions,
    /// and a refinish keeps them for the shots it leaves.
    Kept {
        kept: &'a [Range<usize>],
        prediction: &'a str,
    },
}

/// The records in `path` that `which` asks for, by index; none where there is no such file. A damaged record, or
/// one with an uncertainty no network gives, is left out. Records of another version or of another run are not read back for a resumed run, and refused for
/// `assemble`, naming the film they are of.
pub fn earlier_records(path: &Path, which: Records) -> Result<HashMap<usize, FrameRecord>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(HashMap::new());
    };
    let mut lines = text.lines();
    let made_by = check_magic(lines.next().unwrap_or_default(), MAGIC).and_then(|()| {
        let line = lines
            .next()
            .and_then(file::unseal_line)
            .context("is damaged (no film and run)")?;
        Ok(serde_json::from_str::<MadeBy>(line)?)
    });
    match (which, made_by) {
        (Records::Kept { prediction, .. }, Ok(made_by))
            if Fingerprint::parse(&made_by.run).is_ok_and(|run| run.prediction_text() == prediction) => {}
        (Records::Kept { .. }, _) => return Ok(HashMap::new()),
        (Records::Of { input }, Ok(made_by)) => {
            let of = Fingerprint::parse(&made_by.run).map(|run| run.prediction.input);
            if of.as_deref().ok() != Some(input) {
                bail!(
                    "{} holds the review of another film, {} (run this film with --report to review it)",
                    path.display(),
                    made_by.film
                );
            }
        }
        (Records::Of { .. }, Err(e)) => bail!("{} {e:#} (run this film with --report again)", path.display()),
    }
    let wanted = |index: usize| match which {
        Records::Of { .. } => true,
        Records::Kept { kept, .. } => kept.iter().any(|range| range.contains(&index)),
    };
    let mut records = HashMap::new();
    let whole = lines.filter_map(file::unseal_line);
    for record in whole.filter_map(|line| serde_json::from_str::<FrameRecord>(line).ok()) {
        // An uncertainty is a share of the most there can be: one past 1 is no record of colorize's.
        let possible = record.uncertainty.is_none_or(|u| (0.0..=1.0).contains(&u));
        if possible && wanted(record.index) {
            records.insert(record.index, record);
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::film::records::fingerprint::tests::sample;

    #[test]
    fn records_are_read_back_only_for_runs_of_the_same_predictions_and_for_the_frames_kept() {
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
        let unsure_99 = FrameRecord {
            uncertainty: Some(99.0),
            ..record(3)
        };
        let run = sample().to_text();
        let made_by = MadeBy {
            film: "a.mp4".into(),
            run: run.clone(),
        };
        let lines: Vec<String> = std::iter::once(MAGIC.to_string())
            .chain(
                std::iter::once(serde_json::to_string(&made_by).unwrap())
                    .chain(
                        [record(0), record(1), record(2), unsure_99]
                            .iter()
                            .map(|r| serde_json::to_string(r).unwrap()),
                    )
                    .map(|line| file::seal_line(&line)),
            )
            .collect();
        std::fs::write(&path, lines.join("\n")).unwrap();
        let read = |which| earlier_records(&path, which).unwrap();
        let prediction = sample().prediction_text();
        let kept = |kept| Records::Kept {
            kept,
            prediction: &prediction,
        };
        assert_eq!(read(kept(&[0..1, 2..5])).keys().collect::<Vec<_>>().len(), 2);
        assert!(read(kept(&[0..1, 2..5])).contains_key(&2));
        let mut other = sample();
        other.prediction.width = None;
        let other = other.prediction_text();
        let others = Records::Kept {
            kept: &[0..1, 1..3],
            prediction: &other,
        };
        assert!(read(others).is_empty(), "the records of a run with other predictions");
        let input = sample().prediction.input;
        assert_eq!(read(Records::Of { input: &input }).len(), 3);
        let err = earlier_records(&path, Records::Of { input: "9:ff" }).unwrap_err();
        assert!(err.to_string().contains("another film, a.mp4"), "{err}");
        assert!(earlier_records(&dir.path().join("none"), Records::Of { input: &input })
            .unwrap()
            .is_empty());
    }
}
