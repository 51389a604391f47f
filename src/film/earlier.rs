//! What earlier runs left on disk that this one need not make again: the frames kept, shot by shot, and the
//! predictions stored.

use std::ops::Range;

use anyhow::Result;

use super::frame_dir::FrameDir;
use super::outputs::Outputs;
use super::plan::Plan;
use super::predictions::{self, Keep, Recall};
use super::resume::{self, OtherRuns, Resumption};
use super::shots::Finish;
use crate::progress::Progress;

/// What earlier runs left that this one need not make again.
#[derive(Default)]
pub struct Earlier {
    /// Frames on disk, finished as this run would finish them: ranges in order, apart.
    pub kept: Vec<Range<usize>>,
    /// Whether the last of them is the shot the last run stopped in, which this one carries on.
    pub carries_on: bool,
    /// Keyframes' predictions, from the store.
    pub stored: Option<Recall>,
}

impl Earlier {
    /// The first frame from `start` on that is not on disk: the frames before it are done without a gap (kept
    /// shots follow each other as separate ranges).
    pub fn done_until(&self, start: usize) -> usize {
        self.kept
            .iter()
            .try_fold(
                start,
                |end, kept| if kept.start == end { Ok(kept.end) } else { Err(end) },
            )
            .unwrap_or_else(|end| end)
    }

    pub fn keeps(&self, index: usize) -> bool {
        self.range_of(index).is_some()
    }

    /// Whether frame `index` lies in a shot this run leaves as it is: nothing painted depends on its motion.
    pub fn leaves(&self, index: usize) -> bool {
        self.range_of(index)
            .is_some_and(|k| !(self.carries_on && k + 1 == self.kept.len()))
    }

    /// Which of the kept ranges holds frame `index`.
    fn range_of(&self, index: usize) -> Option<usize> {
        let after = self.kept.partition_point(|r| r.start <= index);
        (after > 0 && self.kept[after - 1].contains(&index)).then(|| after - 1)
    }
}

/// What earlier runs left for this one (frames to keep, the colour to carry on with, the shots on disk) and the
/// store of predictions: what it holds, and where this run's go. Says so in one line when the run refinishes.
pub fn take_over(
    plan: &Plan,
    frames: Option<&FrameDir>,
    finish: &Finish,
    progress: &Progress,
) -> Result<(Resumption, Option<(Recall, Keep)>)> {
    let resumption = match frames {
        Some(frames) => resume::load(frames, &plan.fingerprint, finish, plan.span, plan.other_runs)?,
        None => None,
    };
    // Beside frames, the store is this run's to reuse when the record says so; beside a part, which has no record
    // to resume from, its header decides. `--overwrite` starts over.
    let (path, reuse) = match (frames, &plan.outputs) {
        (Some(frames), _) => (frames.record("predictions"), resumption.is_some()),
        (None, Outputs::ShardPart { part, .. }) => {
            (predictions::beside_part(part), plan.other_runs == OtherRuns::Refuse)
        }
        (None, _) => return Ok((Resumption::default(), None)),
    };
    let (recall, keep) = predictions::open(&path, &plan.fingerprint, reuse)?;
    let resumption = resumption.unwrap_or_default();
    if let Some(line) = &resumption.refinish {
        let reused = match recall.len() {
            0 => "no predictions stored: keyframes are computed again".to_string(),
            n => format!("predictions reused ({n} keyframes stored)"),
        };
        progress.say(|| eprintln!("{line}; {reused}"));
    }
    Ok((resumption, Some((recall, keep))))
}
