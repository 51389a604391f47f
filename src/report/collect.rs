//! What a run gathers for its review page, frame by frame in order: every frame's record, and pictures of the
//! frames the page will show, kept within a bound however long the film.

use std::collections::HashMap;

use anyhow::Result;
use opencv::core::Mat;

use super::attention::{rank, Top, MOST};
use super::data::{Data, FrameRecord, Kind, Settings};
use super::picture::Shown;
use crate::model::Uncertainty;

pub struct Collector {
    /// Frames shown whatever they hold, evenly spread over the film; sorted.
    picks: Vec<usize>,
    records: Vec<FrameRecord>,
    /// Keyframes' uncertainty, from the network until the frame is delivered.
    pending: HashMap<usize, Uncertainty>,
    shown: HashMap<usize, Shown>,
    unsteady: Top,
    /// The most unsure keyframe of each shot, once the shot is over; the shot going on has its own.
    unsure: Top,
    shot: Option<(f64, usize)>,
}

impl Collector {
    pub fn new(picks: Vec<usize>) -> Collector {
        Collector {
            picks,
            records: Vec::new(),
            pending: HashMap::new(),
            shown: HashMap::new(),
            unsteady: Top::new(MOST),
            unsure: Top::new(MOST),
            shot: None,
        }
    }

    /// A keyframe's uncertainty, as the network gave it; the frame comes later.
    pub fn unsure(&mut self, index: usize, uncertainty: Uncertainty) {
        self.pending.insert(index, uncertainty);
    }

    /// Takes the next frame, finished: its record (the uncertainty the network gave filled in here), the source
    /// frame and the colour. Returns the record as kept.
    pub fn add(&mut self, mut record: FrameRecord, before: &Mat, after: &Mat) -> Result<&FrameRecord> {
        let index = record.index;
        let unsure = self.pending.remove(&index).filter(|_| record.kind == Kind::Keyframe);
        if let Some(u) = &unsure {
            record.uncertainty = Some(u.mean);
        }
        if record.cut {
            self.end_shot();
        }
        if let Some(change) = record.stability {
            self.unsteady.offer(change, index);
        }
        if let Some(h) = record.uncertainty {
            if self.shot.is_none_or(|(best, _)| h > best) {
                self.shot = Some((h, index));
            }
        }
        self.records.push(record);
        if self.wanted(index) {
            let shown = Shown::new(index, before, after, unsure.as_ref().map(|u| &u.map))?;
            self.shown.insert(index, shown);
        }
        let keep: Vec<usize> = self.shown.keys().copied().filter(|&i| self.wanted(i)).collect();
        self.shown.retain(|i, _| keep.contains(i));
        Ok(self.records.last().expect("a record was just pushed"))
    }

    fn end_shot(&mut self) {
        if let Some((h, index)) = self.shot.take() {
            self.unsure.offer(h, index);
        }
    }

    /// Whether the page may show frame `index`: picked, or among the frames the attention list can name.
    fn wanted(&self, index: usize) -> bool {
        self.picks.binary_search(&index).is_ok()
            || self.unsteady.contains(index)
            || self.unsure.contains(index)
            || self.shot.is_some_and(|(_, i)| i == index)
    }

    /// The page's numbers and the pictures it shows, in frame order.
    pub fn finish(mut self, film: String, settings: Settings) -> (Data, Vec<Shown>) {
        self.end_shot();
        let attention = rank(&self.records, &self.unsteady, &self.unsure);
        // Kept in case they made the list: only the picks and those that did are shown.
        let (picks, named) = (&self.picks, &attention);
        let mut shown: Vec<Shown> = self
            .shown
            .into_values()
            .filter(|s| picks.binary_search(&s.index).is_ok() || named.iter().any(|a| a.frame == s.index))
            .collect();
        shown.sort_by_key(|s| s.index);
        let data = Data {
            film,
            doubt: settings.model.doubt(),
            settings,
            frames: self.records,
            attention,
        };
        (data, shown)
    }
}
