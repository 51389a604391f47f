//! Shots as the unit of finishing: which of a run's frames on disk each shot holds and with which finishing they
//! were painted, and so which shots a rerun keeps as they are and which it paints again.
//!
//! Colour never crosses a cut (a shot starts with a keyframe painted from its own prediction, and colour hints are
//! followed to the cuts and no further, see keys.rs, tracks.rs and painter.rs), so a shot painted again next to
//! one kept comes out as a run that painted both would paint it.

use std::collections::BTreeMap;
use std::ops::Range;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use super::fingerprint::Fingerprint;
use crate::film::base::frame::Picture;
use crate::film::colour::hint_files::digest_hints;
use crate::film::colour::tracks::Tracked;
use crate::model::files::hex;
use crate::position::Span;

/// How a run finishes each shot: its finishing settings but the hints, and the hints followed to each frame, so
/// that a hint changes only the shot it falls on.
pub struct Painting {
    settings: String,
    /// A digest of each hinted frame's hints, by frame.
    hinted: BTreeMap<usize, [u8; 32]>,
}

impl Painting {
    pub fn new(fingerprint: &Fingerprint, hints: &Tracked) -> Painting {
        let settings = fingerprint
            .finishing_text()
            .lines()
            .filter(|line| !line.starts_with("hints="))
            .collect();
        let hinted = hints
            .frames()
            .map(|(index, hints)| (index, digest_hints(hints.iter().map(|h| (index, h)))))
            .collect();
        Painting { settings, hinted }
    }

    /// The finishing of the shot whose frames (from its first, its warmup's included) are `frames`, as a short
    /// digest: what tells a shot that must be painted again from one that is finished as asked.
    pub fn of(&self, frames: Range<usize>) -> String {
        let mut digest = Sha256::new();
        digest.update(self.settings.as_bytes());
        for (index, hints) in self.hinted.range(frames) {
            digest.update((*index as u64).to_le_bytes());
            digest.update(hints);
        }
        hex(&digest.finalize()[..8])
    }
}

/// A shot's frames on disk.
#[derive(Clone, Debug, PartialEq)]
pub struct ShotOnDisk {
    /// Where the frames of the run's range in this shot end; they start at the shot's start (its key in the
    /// ledger) or where the range starts, whichever is later.
    pub end: usize,
    /// `Painting::of` the shot when its frames were painted; None while this run paints it, until `resolve`.
    pub finishing: Option<String>,
    /// Whether `end` is where the shot ends (the next one starts, or the film ends); otherwise the run stopped in
    /// the shot, or its range ended there.
    pub whole: bool,
}

/// The shots of a run's range on disk, by the frame each starts with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ledger {
    shots: BTreeMap<usize, ShotOnDisk>,
}

impl Ledger {
    /// Records frame `index` of the shot that starts at `shot` as on disk: painted by this run, or kept, as its
    /// `picture` says. Frames come in order, so the shot's frames on disk now end after this one, whether this run
    /// paints it from its start or carries on where the last run stopped (its frames before are then as this run
    /// paints them).
    pub fn take(&mut self, index: usize, shot: usize, picture: &Picture) {
        // A frame of this shot means every shot before it has ended.
        for (_, earlier) in self.shots.range_mut(..shot) {
            earlier.whole = true;
        }
        if let Picture::Paint { .. } = picture {
            let now = ShotOnDisk {
                end: index + 1,
                finishing: None,
                whole: false,
            };
            self.shots.insert(shot, now);
        }
    }

    /// Works out the finishing of the shots this run painted, as far as they are on disk: before a record is
    /// written.
    pub fn resolve(&mut self, finish: &Painting) {
        for (&start, shot) in &mut self.shots {
            if shot.finishing.is_none() {
                shot.finishing = Some(finish.of(start..shot.end));
            }
        }
    }

    /// Whether the shot from `start` was painted as `finish` paints it.
    fn as_asked(start: usize, shot: &ShotOnDisk, finish: &Painting) -> bool {
        shot.finishing.as_ref().is_none_or(|f| *f == finish.of(start..shot.end))
    }

    /// At the film's end: the last shot has ended too.
    pub fn film_ended(&mut self) {
        if let Some((_, last)) = self.shots.iter_mut().next_back() {
            last.whole = true;
        }
    }

    /// How many shots the ledger holds, and how many of them are painted otherwise than `finish` paints them.
    pub fn count(&self, finish: &Painting) -> (usize, usize) {
        let other = self
            .shots
            .iter()
            .filter(|(&start, shot)| !Ledger::as_asked(start, shot, finish))
            .count();
        (self.shots.len(), other)
    }

    /// The frames a run of `range` finishing as `finish` does keeps, of the shots already painted so whose frames
    /// are all `present`: the whole ones; one the range ends in where the last run's range ended too; and one a
    /// run stopped in (or whose range ended sooner), where every frame before `next` is kept, so the colour state
    /// recorded at `next` carries on from there. The second value says whether that last one is kept.
    pub fn kept(
        &self,
        finish: &Painting,
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
            if !Ledger::as_asked(start, shot, finish) || !present(frames.clone()) {
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
                // Resolved before any record is written: an unresolved one is never taken for a finishing.
                let finishing = s.finishing.as_deref().unwrap_or("unresolved");
                format!("shot {start} {} {finishing} {state}\n", s.end)
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
        let shot = ShotOnDisk {
            end: number(end)?,
            finishing: Some(finishing.to_string()),
            whole,
        };
        self.shots.insert(number(start)?, shot);
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::film::records::fingerprint::tests::sample;

    /// A frame this run paints.
    pub fn painted_frame() -> Picture {
        Picture::Paint {
            l: opencv::core::Mat::default(),
            ab: opencv::core::Mat::default(),
        }
    }

    /// Finishing settings `settings`, and a hint on each of the frames `hinted`.
    fn finish(settings: &str, hinted: &[usize]) -> Painting {
        Painting {
            settings: settings.to_string(),
            hinted: hinted.iter().map(|&i| (i, [i as u8; 32])).collect(),
        }
    }

    /// What `kept` says, with the ranges as pairs.
    fn kept(
        ledger: &Ledger,
        finish: &Painting,
        start: usize,
        next: usize,
        present: impl Fn(Range<usize>) -> bool,
    ) -> (Vec<(usize, usize)>, bool) {
        let range = Span { start, end: None };
        let (ranges, resumed) = ledger.kept(finish, range, next, present);
        (ranges.into_iter().map(|r| (r.start, r.end)).collect(), resumed)
    }

    /// Frames 0..10 in a shot from 0, 10..20 in one from 10, and the run stopped at 25 in a shot from 20.
    fn painted(finish: &Painting) -> Ledger {
        let mut ledger = Ledger::default();
        for i in 0..25 {
            ledger.take(i, i / 10 * 10, &painted_frame());
        }
        ledger.resolve(finish);
        ledger
    }

    #[test]
    fn a_shots_finishing_follows_the_settings_and_the_hints_on_it_alone() {
        let plain = |f: &Fingerprint| Painting::new(f, &Tracked::default()).of(0..10);
        let (a, mut b) = (sample(), sample());
        b.prediction.width = None;
        // The hints are the shots' own: the run's digest of all of them is left out.
        b.finishing.hints = None;
        assert_eq!(plain(&a), plain(&b));
        b.finishing.smooth = 0.9;
        assert_ne!(plain(&a), plain(&b));
        assert_eq!(plain(&a).len(), 16);

        let (without, with) = (finish("a", &[]), finish("a", &[15]));
        assert_eq!(without.of(0..10), with.of(0..10));
        assert_ne!(without.of(10..20), with.of(10..20));
        assert_eq!(without.of(20..25), with.of(20..25));
    }

    #[test]
    fn shots_are_recorded_whole_or_open_and_the_text_is_pinned() {
        let a = finish("a", &[]);
        let ledger = painted(&a);
        let expected = format!(
            "shot 0 10 {} whole\nshot 10 20 {} whole\nshot 20 25 {} open\n",
            a.of(0..10),
            a.of(10..20),
            a.of(20..25)
        );
        assert_eq!(ledger.to_text(), expected);
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
        let (a, b) = (finish("a", &[]), finish("b", &[]));
        let ledger = painted(&a);
        assert_eq!(kept(&ledger, &a, 0, 25, all), (vec![(0, 10), (10, 20), (20, 25)], true));
        // Other settings keep nothing; a frame gone takes its shot and the open one after it.
        assert_eq!(kept(&ledger, &b, 0, 25, all), (vec![], false));
        let gone = |r: Range<usize>| !r.contains(&12);
        assert_eq!(kept(&ledger, &a, 0, 25, gone), (vec![(0, 10)], false));
        let first_gone = |r: Range<usize>| !r.contains(&2);
        assert_eq!(kept(&ledger, &a, 0, 25, first_gone), (vec![(10, 20)], false));
        // A shard from frame 5: its first shot's frames start there.
        assert_eq!(kept(&ledger, &a, 5, 25, all).0[0], (5, 10));
        // A range that ended at 25 (a shard's, or --end): the shot it ends in is kept where a rerun ends there too,
        // painted on from the recorded colour where it goes further, and painted again after a gap.
        let to = |end| Span { start: 0, end };
        let gap = |r: Range<usize>| !r.contains(&2);
        let ranges = |(r, resumed): (Vec<Range<usize>>, bool)| (r.len(), resumed);
        assert_eq!(ranges(ledger.kept(&a, to(Some(25)), 25, gap)), (2, false));
        assert_eq!(ranges(ledger.kept(&a, to(Some(40)), 25, gap)), (1, false));
        assert_eq!(ranges(ledger.kept(&a, to(Some(40)), 25, all)), (3, true));
    }

    #[test]
    fn a_hint_on_the_middle_shot_paints_that_shot_alone_again() {
        let all = |_: Range<usize>| true;
        let (plain, hinted) = (finish("a", &[]), finish("a", &[15]));
        let mut ledger = painted(&plain);
        ledger.film_ended();
        assert_eq!(ledger.count(&hinted), (3, 1));
        assert_eq!(kept(&ledger, &hinted, 0, 25, all), (vec![(0, 10), (20, 25)], false));
        // The middle shot painted with the hint, the last kept: the record holds both, each as it was painted.
        for i in 0..25 {
            let picture = if (10..20).contains(&i) {
                painted_frame()
            } else {
                Picture::OnDisk
            };
            ledger.take(i, i / 10 * 10, &picture);
        }
        ledger.resolve(&hinted);
        assert_eq!(ledger.count(&hinted), (3, 0));
        assert_eq!(ledger.count(&plain), (3, 1));
        assert_eq!(kept(&ledger, &hinted, 0, 25, all).0.len(), 3);
    }
}
