//! Whether a film already made is made again: refinished when only its finishing settings changed (the record of
//! its frames, or of a shard's part, says the network would predict the same), left as it is when nothing did.

use anyhow::{bail, Result};

use super::fingerprint::Fingerprint;
use super::frame_dir;
use super::manifest::Manifest;
use super::outputs::Outputs;
use super::parts::part_record;
use super::plan::{fingerprint_of, Options};
use crate::model::Identity;

/// True when the film `options` would make is there, finished with other finishing settings than these or
/// refinished partway (the film there is the one before); false when it is finished as asked, or its record is
/// missing or unreadable (a film of unknown making is left alone). Other prediction settings are refused,
/// naming them: that film is another run's.
pub fn refinish_due(options: &Options, model: &Identity) -> Result<bool> {
    let record = match &options.outputs {
        Outputs::FilmAndFrames { frames, .. } => frame_dir::record(&frames.dir, "manifest", None),
        Outputs::ShardPart { part, .. } => part_record(part),
        Outputs::FilmOnly { .. } | Outputs::ShardFrames { .. } => return Ok(false),
    };
    let Some(made) = std::fs::read_to_string(&record)
        .ok()
        .and_then(|text| Manifest::parse(&text).ok())
    else {
        return Ok(false);
    };
    let now = fingerprint_of(options, model)?;
    if made.fingerprint.prediction != now.prediction {
        // Only what changes the predictions is in the way.
        let was = Fingerprint {
            prediction: made.fingerprint.prediction.clone(),
            finishing: now.finishing.clone(),
        };
        let changes: Vec<String> = now.changes_from(&was).iter().map(ToString::to_string).collect();
        bail!(
            "the film there was made with other prediction settings: {} (pass --overwrite to make it again)",
            changes.join("; ")
        );
    }
    Ok(!made.complete || made.fingerprint != now)
}
