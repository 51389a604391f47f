//! What a run takes over from earlier ones before it starts: the frames to keep and the colour to carry on with
//! (the resume record), and the store of predictions, to reuse or to start.

use anyhow::Result;

use super::outputs::Outputs;
use super::resolve::Plan;
use crate::film::io::frame_dir::FrameDir;
use crate::film::records::predictions::{self, Found, Keep, Recall, Store};
use crate::film::records::resume::{self, OtherRuns, Resumption};
use crate::film::records::shots::Painting;
use crate::progress::Progress;

/// What earlier runs left for this one (frames to keep, the colour to carry on with, the shots on disk) and the
/// store of predictions: what it holds, and where this run's go. Says so in one line when the run refinishes.
pub fn take_over(
    plan: &Plan,
    frames: Option<&FrameDir>,
    finish: &Painting,
    progress: &Progress,
) -> Result<(Resumption, Option<(Recall, Keep)>)> {
    let resumption = match frames {
        Some(frames) => resume::load(frames, &plan.fingerprint, finish, plan.span, plan.other_runs)?,
        None => None,
    };
    // Beside frames, the store is this run's to reuse when the record says so; beside a part, which has no record
    // to resume from, its header decides. `--overwrite` starts over.
    let (path, store) = match (frames, &plan.outputs, plan.other_runs) {
        (Some(frames), _, _) if resumption.is_some() => (frames.record("predictions"), Store::Reuse),
        (Some(frames), _, _) => (frames.record("predictions"), Store::Restart),
        (None, Outputs::ShardPart { part, .. }, OtherRuns::Refuse) => (predictions::beside_part(part), Store::Reuse),
        (None, Outputs::ShardPart { part, .. }, OtherRuns::Replace) => (predictions::beside_part(part), Store::Restart),
        (None, _, _) => return Ok((Resumption::default(), None)),
    };
    let (recall, keep) = predictions::open(&path, &plan.fingerprint, store)?;
    let resumption = resumption.unwrap_or_default();
    if let Some(line) = &resumption.refinish {
        let reused = match (recall.len(), recall.found) {
            (0, Found::Others) => format!(
                "{} holds the predictions of another input or other prediction settings: keyframes are computed \
                 again",
                path.display()
            ),
            (0, _) => "no predictions stored: keyframes are computed again".to_string(),
            (n, _) => format!("predictions reused ({n} keyframes stored)"),
        };
        progress.say(|| eprintln!("{line}; {reused}"));
    }
    Ok((resumption, Some((recall, keep))))
}
