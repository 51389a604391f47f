//! Keeping a film in step with its sound: each frame is shown from its own timestamp to the next one's, on the
//! constant-rate grid of the film written. A film whose frames are evenly spaced shows each frame once; one with
//! a variable rate gets frames repeated or dropped, as ffmpeg's constant-rate mode does, instead of drifting.

use crate::film::plan::resolve::Timing;

/// The longest a single frame is held: a damaged timestamp must not fill the disk with copies of one frame.
const LONGEST_HOLD_SECONDS: f64 = 60.0;

pub struct Timeline {
    fps: f64,
    /// Whether frames are shown at their timestamps; when `--fps` retimes the film, or the frames have none, every
    /// frame is shown once.
    follow: bool,
    started: bool,
    /// Timestamp of the first frame, and of the last one seen.
    origin: Option<f64>,
    last: Option<f64>,
    /// Slot of the newest frame on the film's grid.
    slot: usize,
    /// Frames shown more than once (counting the extra showings), and frames not shown at all.
    pub repeated: usize,
    pub dropped: usize,
}

impl Timeline {
    pub fn new(fps: f64, timing: Timing) -> Timeline {
        Timeline {
            fps,
            follow: timing == Timing::Stamped,
            started: false,
            origin: None,
            last: None,
            slot: 0,
            repeated: 0,
            dropped: 0,
        }
    }

    /// Timestamp of the first frame, where the sound starts.
    pub fn origin(&self) -> Option<f64> {
        self.origin
    }

    /// A frame stamped `seconds` (None: not stamped) comes: how many times the frame before it is to be shown (None
    /// for the first).
    pub fn arrive(&mut self, seconds: Option<f64>) -> Option<usize> {
        if !self.started {
            self.started = true;
            self.origin = seconds;
            self.follow &= self.origin.is_some();
            self.last = seconds;
            return None;
        }
        let origin = self.origin.unwrap_or_default();
        let later = seconds.filter(|&s| self.last.is_some_and(|last| s > last));
        let slot = if let Some(seconds) = later.filter(|_| self.follow) {
            let hold = (LONGEST_HOLD_SECONDS * self.fps).ceil() as usize;
            (((seconds - origin) * self.fps).round() as usize).min(self.slot + hold)
        } else {
            // No usable timestamp (or none wanted): one showing per frame.
            self.slot + 1
        };
        self.last = seconds;
        let copies = slot - self.slot;
        self.slot = slot;
        match copies {
            0 => self.dropped += 1,
            n => self.repeated += n - 1,
        }
        Some(copies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each frame's showings, for frames stamped `stamps` (NaN: not stamped).
    fn copies(timeline: &mut Timeline, stamps: &[f64]) -> Vec<Option<usize>> {
        stamps
            .iter()
            .map(|&t| timeline.arrive(Some(t).filter(|t| !t.is_nan())))
            .collect()
    }

    /// Frames in the film once the last one is shown once.
    fn length(shown: &[Option<usize>]) -> usize {
        shown.iter().flatten().sum::<usize>() + 1
    }

    #[test]
    fn evenly_spaced_frames_are_shown_once() {
        let fps = 24000.0 / 1001.0;
        let mut timeline = Timeline::new(fps, Timing::Stamped);
        // Timestamps as a container rounds them to milliseconds.
        let stamps: Vec<f64> = (0..100)
            .map(|i| (i as f64 / fps * 1000.0).round() / 1000.0 + 2.0)
            .collect();
        let shown = copies(&mut timeline, &stamps);
        assert!(shown[1..].iter().all(|&c| c == Some(1)));
        assert_eq!((length(&shown), timeline.repeated, timeline.dropped), (100, 0, 0));
        assert_eq!(timeline.origin(), Some(2.0));
    }

    #[test]
    fn a_variable_rate_is_held_to_the_grid() {
        let mut timeline = Timeline::new(10.0, Timing::Stamped);
        // A frame held for 0.3 s, then two frames 0.02 s apart.
        let shown = copies(&mut timeline, &[0.0, 0.3, 0.4, 0.42, 0.5]);
        assert_eq!(shown, [None, Some(3), Some(1), Some(0), Some(1)]);
        assert_eq!((length(&shown), timeline.repeated, timeline.dropped), (6, 2, 1));
    }

    #[test]
    fn without_timestamps_or_when_retimed_every_frame_is_shown_once() {
        let cases = [
            (Timing::Stamped, [f64::NAN; 4]),
            (Timing::Stamped, [0.0; 4]),
            (Timing::Retimed, [0.0, 0.5, 0.9, 3.0]),
        ];
        for (timing, stamps) in cases {
            let mut timeline = Timeline::new(25.0, timing);
            let shown = copies(&mut timeline, &stamps);
            assert_eq!((length(&shown), timeline.dropped, timeline.repeated), (4, 0, 0));
        }
    }

    #[test]
    fn a_wild_timestamp_holds_a_frame_a_minute_at_most() {
        let mut timeline = Timeline::new(25.0, Timing::Stamped);
        assert_eq!(copies(&mut timeline, &[0.0, 1e9]), [None, Some(1500)]);
    }
}
