//! The attention list: the frames a person should look at first, found as the run goes with a bounded memory
//! (so a feature keeps no more pictures than a short), and ranked once the film is done.

use super::data::{Attention, FrameRecord, Why};
use crate::model::entropy::COLOURS;

/// Uncertainty from which a keyframe is worth a look: the network spreads its bet over 313^0.5, about 18,
/// colours, as it does on a plain wall or a coat of no telling colour.
const UNSURE: f64 = 0.5;
/// Colour change (delta E) the motion does not explain from which a frame is worth a look: past twice the ~2.3
/// a person just notices side by side, so grain and compression do not reach it.
const UNSTEADY: f64 = 5.0;
/// ...and this many times the film's typical change, so a film that flickers throughout points at its worst.
const TIMES_TYPICAL: f64 = 3.0;
/// Entries of each reason at the most.
pub const MOST: usize = 12;

/// The `cap` highest scores offered so far; of equal scores, the earlier frame stays.
pub struct Top {
    cap: usize,
    items: Vec<(f64, usize)>,
}

impl Top {
    pub fn new(cap: usize) -> Top {
        Top {
            cap,
            items: Vec::with_capacity(cap + 1),
        }
    }

    /// Offers frame `index`, which stays if its score is among the `cap` highest.
    pub fn offer(&mut self, score: f64, index: usize) {
        let at = self
            .items
            .partition_point(|&(s, i)| s > score || (s == score && i < index));
        self.items.insert(at, (score, index));
        self.items.truncate(self.cap);
    }

    pub fn contains(&self, index: usize) -> bool {
        self.items.iter().any(|&(_, i)| i == index)
    }

    pub fn items(&self) -> &[(f64, usize)] {
        &self.items
    }
}

/// The attention list from the most unsteady frames and the most unsure shots, each past its threshold, most
/// urgent first. `records` are the film's frames in order.
pub fn rank(records: &[FrameRecord], unsteady: &Top, unsure: &Top) -> Vec<Attention> {
    let time = |index: usize| {
        records
            .binary_search_by_key(&index, |r| r.index)
            .map_or(0.0, |at| records[at].time)
    };
    let typical = median(records.iter().filter_map(|r| r.stability).collect());
    let bar = UNSTEADY.max(TIMES_TYPICAL * typical);
    let mut list: Vec<Attention> = unsteady
        .items()
        .iter()
        .filter(|&&(change, _)| change >= bar)
        .map(|&(change, frame)| Attention {
            frame,
            time: time(frame),
            why: Why::Unsteady,
            reason: format!(
                "colour changes by {change:.1} delta E that the motion does not explain (typical here: {typical:.1})"
            ),
            score: change / bar,
        })
        .collect();
    list.extend(unsure.items().iter().filter_map(|&(h, frame)| {
        unsure_reason(h).map(|(reason, score)| Attention {
            frame,
            time: time(frame),
            why: Why::Unsure,
            reason,
            score,
        })
    }));
    list.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.frame.cmp(&b.frame)));
    list
}

/// Why an uncertainty `h` is worth a look, and how far past the bar it is; None below the bar.
pub fn unsure_reason(h: f64) -> Option<(String, f64)> {
    (h >= UNSURE).then(|| {
        let reason = format!(
            "the network is unsure of the colour: uncertainty {h:.2}, as if about {:.0} colours were alike",
            (COLOURS as f64).powf(h)
        );
        (reason, h / UNSURE)
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::data::Kind;

    fn record(index: usize, stability: Option<f64>) -> FrameRecord {
        FrameRecord {
            index,
            time: index as f64 / 10.0,
            kind: Kind::Carried,
            cut: false,
            stability,
            uncertainty: None,
            hints: 0,
        }
    }

    #[test]
    fn top_keeps_the_highest_and_of_equals_the_earliest() {
        let mut top = Top::new(2);
        for (score, index) in [(1.0, 0), (3.0, 1), (2.0, 2), (0.5, 3)] {
            top.offer(score, index);
        }
        assert_eq!(top.items(), [(3.0, 1), (2.0, 2)]);
        top.offer(3.0, 4);
        assert_eq!(top.items(), [(3.0, 1), (3.0, 4)]);
        assert!(top.contains(4) && !top.contains(2));
    }

    #[test]
    fn only_what_passes_its_bar_is_listed_most_urgent_first() {
        let records: Vec<FrameRecord> = (0..10)
            .map(|i| record(i, Some(if i == 6 { 30.0 } else { 1.0 })))
            .collect();
        let mut unsteady = Top::new(MOST);
        for r in &records {
            unsteady.offer(r.stability.unwrap(), r.index);
        }
        let mut unsure = Top::new(MOST);
        unsure.offer(0.8, 3);
        unsure.offer(0.3, 9);
        let list = rank(&records, &unsteady, &unsure);
        let frames: Vec<(usize, Why)> = list.iter().map(|a| (a.frame, a.why)).collect();
        assert_eq!(frames, [(6, Why::Unsteady), (3, Why::Unsure)]);
        assert_eq!(list[0].time, 0.6);
        assert!(list[1].reason.contains("0.80"), "{}", list[1].reason);
    }

    #[test]
    fn a_film_that_flickers_evenly_lists_no_frame() {
        let records: Vec<FrameRecord> = (0..5).map(|i| record(i, Some(8.0 + i as f64))).collect();
        let mut unsteady = Top::new(MOST);
        for r in &records {
            unsteady.offer(r.stability.unwrap(), r.index);
        }
        assert!(rank(&records, &unsteady, &Top::new(MOST)).is_empty());
    }
}
