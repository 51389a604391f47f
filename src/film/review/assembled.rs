//! The review page `assemble` writes: the records that the run, or each shard of the film, left beside the frames,
//! with the frames read back in order to measure the change between them across the shards' seams.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{ensure, Context, Result};
use opencv::core::Mat;
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};

use super::change::Change;
use super::gather::{earlier_records, Records, PICKS};
use crate::film::base::scene::Shot;
use crate::film::records::manifest::check_folder;
use crate::report::{self, Collector, FrameRecord, Stored};
use crate::sheet;

pub struct AssembledReview {
    collector: Collector,
    change: Option<Change>,
    records: HashMap<usize, FrameRecord>,
    stored: Stored,
}

impl AssembledReview {
    /// Reads the records the runs left in `dir` for frames `start..end` of the film whose content is `input`;
    /// every frame must have one.
    pub fn open(dir: &Path, input: &str, start: usize, end: usize) -> Result<AssembledReview> {
        let mut records = HashMap::new();
        let mut stored: Vec<Stored> = Vec::new();
        let entries = std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if name.starts_with(".colorize-review-settings") {
                let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                stored
                    .push(serde_json::from_str(&text).with_context(|| format!("{} is not readable", path.display()))?);
            } else if name == ".colorize-review" || name.starts_with(".colorize-review-") {
                // The manifests, checked before, say the shards are of one run.
                records.extend(earlier_records(&path, Records::Of { input })?);
            }
        }
        let missing = (start..end).filter(|i| !records.contains_key(i)).count();
        ensure!(
            !stored.is_empty() && missing == 0,
            "{} has no review of {} of its frames (run the film, or each of its shards, with --report and keep the \
             frames folder)",
            dir.display(),
            if stored.is_empty() { end - start } else { missing }
        );
        let seconds = stored.iter().map(|s| s.settings.seconds).sum();
        let mut whole = stored.swap_remove(0);
        whole.settings.frames = end - start;
        whole.settings.length = (end - start) as f64 / whole.settings.fps;
        whole.settings.seconds = seconds;
        let picks = sheet::picks(end - start, PICKS)
            .into_iter()
            .map(|i| start + i)
            .collect();
        Ok(AssembledReview {
            collector: Collector::new(picks),
            change: None,
            records,
            stored: whole,
        })
    }

    /// Takes the next frame of the film, as read back. The page shows its lightness as the picture before:
    /// what the network saw of the source, which `assemble` does not have.
    pub fn frame(&mut self, index: usize, bgr: &Mat) -> Result<()> {
        let mut record = self
            .records
            .remove(&index)
            .with_context(|| format!("frame {index} has no review record"))?;
        record.stability = Change::measure_in(&mut self.change, bgr, Shot::at_cut(record.cut))?;
        let mut gray = Mat::default();
        imgproc::cvt_color_def(bgr, &mut gray, imgproc::COLOR_BGR2GRAY)?;
        let mut before = Mat::default();
        imgproc::cvt_color_def(&gray, &mut before, imgproc::COLOR_GRAY2BGR)?;
        self.collector.add(record, &before, bgr)?;
        Ok(())
    }

    /// Writes the review of `film` (its page, or its JSON alone) as `wanted` asks.
    pub fn write(mut self, film: &Path, wanted: &report::Wanted) -> Result<()> {
        self.stored.settings.rerun = self.stored.settings.rerun.or_film(film);
        let (data, shown) = self.collector.finish(self.stored.film, self.stored.settings);
        report::write(wanted, &data, &shown)
    }
}

/// The review `wanted` of `film`, made already, from the frames and the records a run with `--report` left in
/// `dir`, the frames read back as `assemble` reads them.
pub fn review_from_records(film: &Path, dir: &Path, wanted: &report::Wanted) -> Result<()> {
    let (frames, complete) =
        check_folder(dir)?.with_context(|| format!("{} holds no record of frames colorize made", dir.display()))?;
    let mut review = AssembledReview::open(dir, &complete.input, complete.start, complete.end)?;
    for (index, path) in (complete.start..).zip(&frames) {
        let bgr = imgcodecs::imread(path, imgcodecs::IMREAD_COLOR)
            .ok()
            .filter(|m| !m.empty())
            .with_context(|| format!("cannot read frame {}", path.display()))?;
        review.frame(index, &bgr)?;
    }
    review.write(film, wanted)
}
