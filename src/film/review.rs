//! A film's review page, gathered as the sink delivers frames: each frame's kind and cut read off its segment,
//! the colour change the motion does not explain measured, and the page written once the film is done.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, Result};
use opencv::core::Mat;
use opencv::prelude::*;

use super::change::Change;
use super::frame::{Ab, Between, Key, Segment};
use super::keys::Interval;
use super::plan::Plan;
use crate::model::Uncertainty;
use crate::report::{self, Collector, FrameRecord, Kind, ModelDigests, Settings};
use crate::sheet;

/// Frames shown whatever they hold, evenly spread over the film.
const PICKS: usize = 12;

pub struct Review {
    collector: Collector,
    change: Option<Change>,
    /// How the frames taken and not yet delivered got their colour, and whether a shot starts there.
    taken: HashMap<usize, (Kind, bool)>,
    started: Instant,
}

impl Review {
    /// A review, when the run asks for one.
    pub fn new(plan: &Plan) -> Option<Review> {
        plan.report.as_ref()?;
        let picks = plan
            .expected
            .map(|total| {
                sheet::picks(total, PICKS)
                    .into_iter()
                    .map(|i| plan.span.start + i)
                    .collect()
            })
            .unwrap_or_default();
        Some(Review {
            collector: Collector::new(picks),
            change: None,
            taken: HashMap::new(),
            started: Instant::now(),
        })
    }

    /// Notes how each frame of `batch` got its colour, and the uncertainty of its keyframes.
    pub fn take(&mut self, batch: &[Segment<Key<Ab>>], unsure: Vec<(usize, Uncertainty)>) {
        for (index, uncertainty) in unsure {
            self.collector.unsure(index, uncertainty);
        }
        for segment in batch {
            for frame in &segment.between {
                if let Between::Carried { .. } = frame.work {
                    self.taken.insert(frame.index, (Kind::Carried, false));
                }
            }
            if let Some(key) = &segment.key {
                if let Key::Computed {
                    net,
                    cut,
                    written: true,
                    ..
                } = &key.work
                {
                    let kind = if net.is_some() { Kind::Keyframe } else { Kind::Repeat };
                    self.taken.insert(key.index, (kind, *cut));
                }
            }
        }
    }

    /// Takes a finished frame, in order: `seconds` from the film's start, the source frame and its colour.
    pub fn deliver(&mut self, index: usize, seconds: f64, original: Option<&Mat>, bgr: &Mat) -> Result<()> {
        let (kind, cut) = self
            .taken
            .remove(&index)
            .context("a frame of an earlier run is not in its review (resuming a review is not supported yet)")?;
        if self.change.is_none() {
            self.change = Some(Change::new(bgr.size()?)?);
        }
        let stability = match &mut self.change {
            Some(change) => change.measure(bgr, cut)?,
            None => None,
        };
        let record = FrameRecord {
            index,
            time: seconds,
            kind,
            cut,
            stability,
            uncertainty: None,
            hints: 0,
        };
        self.collector.add(record, original.unwrap_or(bgr), bgr)
    }

    /// Writes the page and its JSON, as the plan asks.
    pub fn finish(self, plan: &Plan, frames: usize) -> Result<()> {
        let Some(wanted) = &plan.report else { return Ok(()) };
        let settings = settings(plan, frames, self.started.elapsed().as_secs_f64());
        let (data, shown) = self.collector.finish(plan.input.display().to_string(), settings);
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
        keyframe_interval: match plan.keyframe_interval {
            Interval::Every(k) => k.to_string(),
            Interval::Auto => "auto".to_string(),
        },
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
    }
}
