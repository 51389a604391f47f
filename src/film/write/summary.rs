//! What a film's run did, as the summary line and the notes say it.

use std::path::PathBuf;

use super::timeline::Timeline;
use crate::film::colour::tracks::Tracked;
use crate::film::plan::resolve::Plan;

/// What a finished film run did.
pub struct Summary {
    /// Frames in the range, made now or found on disk.
    pub frame_count: usize,
    pub counts: Counts,
    /// None for a shard, whose frames wait for `colorize assemble`.
    pub film: Option<PathBuf>,
    pub sheet: Option<PathBuf>,
    pub frames_dir: Option<PathBuf>,
    /// The review page, when one was asked for.
    pub report: Option<PathBuf>,
    /// Colour hints given, the frames of the range they reached, and their tracks that ended before their shot.
    pub hints: Option<HintsDone>,
    pub notes: Vec<String>,
}

/// What the frames of a run were made from, counted as they pass.
#[derive(Default)]
pub struct Counts {
    /// Keyframes written, those of them the network ran on, and those whose prediction an earlier run stored
    /// (the rest repeat the keyframe before).
    pub keyframes: usize,
    pub computed: usize,
    pub stored: usize,
    /// Frames found finished on disk by a resumed run.
    pub resumed: usize,
    /// Shots that start after another, among the frames made now.
    pub cuts: usize,
    /// Keyframes the network ran on, also those of a shard's warmup and the one read past the range's end.
    pub forward_passes: usize,
}

/// What became of a film's colour hints.
pub struct HintsDone {
    pub given: usize,
    pub frames: usize,
    pub lost: usize,
}

impl HintsDone {
    /// What the plan's hints, followed through their shots (`tracked`), come to; None without hints.
    pub fn of(plan: &Plan, tracked: &Tracked) -> Option<HintsDone> {
        (!plan.hints.is_empty()).then(|| HintsDone {
            given: plan.hints.len(),
            frames: tracked.frames_in(plan.span),
            lost: tracked.lost,
        })
    }
}

/// What the run has to say of the film: the plan's notes, frames that did not decode, a variable rate kept in step
/// with the sound.
pub fn notes(plan: &Plan, taken: usize, timeline: &Timeline) -> Vec<String> {
    let mut notes = plan.notes.clone();
    let name = plan.input.display();
    let announced = plan.announced.unwrap_or_default();
    let missing = announced.saturating_sub(taken);
    // Frames that do not decode amid the film leave a gap in the timestamps, which the timeline fills with the
    // frame before (the note on the rate below counts them): an AVI's empty slot for a frame dropped at capture,
    // or damage. Only frames beyond those, at the end, are lost.
    if missing > timeline.repeated {
        notes.push(format!(
            "warning: {missing} of the {announced} frames {name} announces could not be decoded (truncated or \
             damaged?); the rest were colorized"
        ));
    } else if missing > 0 {
        notes.push(format!(
            "note: {missing} of the {announced} frames {name} announces did not decode (an empty slot a capture \
             left for a dropped frame, or damage); the frame before stands in for each"
        ));
    }
    let (repeated, dropped) = (timeline.repeated, timeline.dropped);
    if repeated + dropped > 0 {
        notes.push(format!(
            "note: {name} has a variable frame rate: to keep the film at {:.3} fps in step with its sound, \
             {repeated} frame showings were added and {dropped} frames left out of the film",
            plan.fps
        ));
    }
    notes
}
