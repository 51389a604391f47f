//! Shots as the unit of finishing: which of a run's frames on disk each shot holds and with which finishing they
//! were painted, and so which shots a rerun keeps as they are and which it paints again.
//!
//! Colour never crosses a cut (a shot starts with a keyframe painted from its own prediction, see keys.rs and
//! painter.rs), so a shot painted again next to one kept comes out as a run that painted both would paint it.

use std::collections::BTreeMap;
use std::ops::Range;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use super::fingerprint::Fingerprint;
use super::position::Span;
use crate::model::files::hex;

/// The finishing a shot is painted with, as a short digest of the run's finishing settings: what tells a shot
/// that must be painted again from one that is finished as asked.
pub fn finishing(fingerprint: &Fingerprint) -> String {
    hex(&Sha256::digest(fingerprint.finishing_text().as_bytes())[..8])
}

/// A shot's frames on disk.
#[derive(Clone, Debug, PartialEq)]
pub struct Shot {
    /// Where the frames of the run's range in this shot end; they start at the shot's start (its key in the
    /// ledger) or where the range starts, whichever is later.
    pub end: usize,
    /// `finishing` of the settings they were painted with.
    pub finishing: String,
    /// Whether `end` is where the shot ends (the next one starts, or the film ends); otherwise the run stopped in
    /// the shot, or its range ended there.
    pub whole: bool,
}

/// The shots of a run's range on disk, by the frame each starts with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ledger {
    shots: BTreeMap<usize, Shot>,
}

impl Ledger {
    /// Records frame `index` of the shot that starts at `shot` as on disk: painted now with `painted`, or kept.
    /// A shot painted now carries on its entry only from where that ends; otherwise it is being painted again
    /// from its start, and what the entry said is forgotten.
    pub fn take(&mut self, index: usize, shot: usize, painted: Option<&str>) {
        // A frame of this shot means every shot before it has ended.
        for (_, earlier) in self.shots.range_mut(..shot) {
            earlier.whole = true;
        }
        let Some(finishing) = painted else { return };
        match self.shots.get_mut(&shot) {
            Some(known) if known.finishing == finishing && known.end == index && !known.whole => known.end += 1,
            _ => {
                let fresh = Shot {
                    end: index + 1,
                    finishing: finishing.to_string(),
                    whole: false,
                };
                self.shots.insert(shot, fresh);
            }
        }
    }

    /// At the film's end: the last shot has ended too.
    pub fn film_ended(&mut self) {
        if let Some((_, last)) = self.shots.iter_mut().next_back() {
            last.whole = true;
        }
    }

    /// How many shots the ledger holds, and how many of them are painted with other than `finishing`.
    pub fn count(&self, finishing: &str) -> (usize, usize) {
        let other = self.shots.values().filter(|s| s.finishing != finishing).count();
        (self.shots.len(), other)
    }

    /// The frames a run of `range` painting with `finishing` keeps, of the shots already painted so whose frames
    /// are all `present`: the whole ones; one the range ends in where the last run's range ended too; and one a
    /// run stopped in (or whose range ended sooner), where every frame before `next` is kept, so the colour state
    /// recorded at `next` carries on from there. The second value says whether that last one is kept.
    pub fn kept(
        &self,
        finishing: &str,
        range: Span,
        next: usize,
        present: impl Fn(Range<usize>) -> bool,
    ) -> (Vec<Range<usize>>, bool) {
        let mut kept: Vec<Range<usize>> = Vec::new();
        let mut resumed = false;
        // Where the frames kept from the range's start on, without a gap, end (None after a gap).
        let mut unbroken = Some(range.start);
        for (&start, shot) in &self.shots {
            let frames = start.max(range.start)..shot.end;
            if shot.finishing != finishing || !present(frames.clone()) {
                unbroken = None;
                continue;
            }
            unbroken = unbroken.filter(|&end| end == frames.start).map(|_| frames.end);
            if unbroken == Some(next) && !shot.whole {
                kept.push(frames);
                resumed = true;
            } else if shot.whole || range.end == Some(shot.end) {
                kept.push(frames);
            }
        }
        (kept, resumed)
    }

    /// One line a shot: `shot START END FINISHING whole|open`.
    pub fn to_text(&self) -> String {
        self.shots
            .iter()
            .map(|(start, s)| {
                let state = if s.whole { "whole" } else { "open" };
                format!("shot {start} {} {} {state}\n", s.end, s.finishing)
            })
            .collect()
    }

    /// Adds the shot of a line `to_text` wrote.
    pub fn parse_line(&mut self, line: &str) -> Result<()> {
        let fields: Vec<&str> = line.strip_prefix("shot ").context("not a shot")?.split(' ').collect();
        let [start, end, finishing, state] = fields[..] else {
            bail!("'{line}' is not a shot");
        };
        let number = |v: &str| v.parse::<usize>().with_context(|| format!("'{v}' is not a frame"));
        let whole = match state {
            "whole" => true,
            "open" => false,
            _ => bail!("'{state}' is neither whole nor open"),
        };
        let shot = Shot {
            end: number(end)?,
            finishing: finishing.to_string(),
            whole,
        };
        self.shots.insert(number(start)?, shot);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::film::fingerprint::tests::sample;

    /// What `kept` says, with the ranges as pairs.
    fn kept(
        ledger: &Ledger,
        finishing: &str,
        start: usize,
        next: usize,
        present: impl Fn(Range<usize>) -> bool,
    ) -> (Vec<(usize, usize)>, bool) {
        let range = Span { start, end: None };
        let (ranges, resumed) = ledger.kept(finishing, range, next, present);
        (ranges.into_iter().map(|r| (r.start, r.end)).collect(), resumed)
    }

    /// Frames 0..10 in a shot from 0, 10..20 in one from 10, and the run stopped at 25 in a shot from 20.
    fn painted(finishing: &str) -> Ledger {
        let mut ledger = Ledger::default();
        for i in 0..25 {
            ledger.take(i, i / 10 * 10, Some(finishing));
        }
        ledger
    }

    #[test]
    fn the_finishing_follows_finishing_settings_only() {
        let (a, mut b) = (sample(), sample());
        b.prediction.width = None;
        assert_eq!(finishing(&a), finishing(&b));
        b.finishing.smooth = 0.9;
        assert_ne!(finishing(&a), finishing(&b));
        assert_eq!(finishing(&a).len(), 16);
    }

    #[test]
    fn shots_are_recorded_whole_or_open_and_the_text_is_pinned() {
        let ledger = painted("aa");
        assert_eq!(
            ledger.to_text(),
            "shot 0 10 aa whole\nshot 10 20 aa whole\nshot 20 25 aa open\n"
        );
        let mut back = Ledger::default();
        for line in ledger.to_text().lines() {
            back.parse_line(line).unwrap();
        }
        assert_eq!(back, ledger);
        for junk in ["shot 1 2 aa", "shot 1 x aa whole", "shot 1 2 aa half", "shots"] {
            assert!(Ledger::default().parse_line(junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn a_rerun_keeps_the_shots_finished_as_it_asks() {
        let all = |_: Range<usize>| true;
        let ledger = painted("aa");
        assert_eq!(
            kept(&ledger, "aa", 0, 25, all),
            (vec![(0, 10), (10, 20), (20, 25)], true)
        );
        // Other settings keep nothing; a frame gone takes its shot and the open one after it.
        assert_eq!(kept(&ledger, "bb", 0, 25, all), (vec![], false));
        let gone = |r: Range<usize>| !r.contains(&12);
        assert_eq!(kept(&ledger, "aa", 0, 25, gone), (vec![(0, 10)], false));
        let first_gone = |r: Range<usize>| !r.contains(&2);
        assert_eq!(kept(&ledger, "aa", 0, 25, first_gone), (vec![(10, 20)], false));
        // A shard from frame 5: its first shot's frames start there.
        assert_eq!(kept(&ledger, "aa", 5, 25, all).0[0], (5, 10));
        // A range that ended at 25 (a shard's, or --end): the shot it ends in is kept where a rerun ends there too,
        // painted on from the recorded colour where it goes further, and painted again after a gap.
        let to = |end| Span { start: 0, end };
        let gap = |r: Range<usize>| !r.contains(&2);
        let ranges = |(r, resumed): (Vec<Range<usize>>, bool)| (r.len(), resumed);
        assert_eq!(ranges(ledger.kept("aa", to(Some(25)), 25, gap)), (2, false));
        assert_eq!(ranges(ledger.kept("aa", to(Some(40)), 25, gap)), (1, false));
        assert_eq!(ranges(ledger.kept("aa", to(Some(40)), 25, all)), (3, true));

        // The middle shot painted again with other settings: the others keep theirs, and the record says so.
        let mut mixed = painted("aa");
        mixed.film_ended();
        for i in 10..20 {
            mixed.take(i, 10, Some("bb"));
        }
        mixed.take(20, 20, None);
        assert_eq!(mixed.count("bb"), (3, 2));
        assert_eq!(kept(&mixed, "aa", 0, 20, all), (vec![(0, 10), (20, 25)], false));
        assert_eq!(kept(&mixed, "bb", 0, 20, all), (vec![(10, 20)], false));
    }
}
