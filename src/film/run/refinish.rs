//! Whether a film already made is made again: refinished when only its finishing settings changed (the record of
//! its frames, or of a shard's part, says the network would predict the same), left as it is when nothing did.

use anyhow::{bail, Context, Result};

use crate::film::io::frame_dir;
use crate::film::plan::outputs::Outputs;
use crate::film::plan::resolve::{fingerprint_of, Options};
use crate::film::records::manifest::Manifest;
use crate::film::records::parts::part_record;
use crate::model::Identity;

/// True when the film `options` would make is there, finished with other finishing settings than these or
/// refinished partway (the film there is the one before); false when it is finished as asked, or its record is
/// missing (a film of unknown making is left alone). A damaged record, or other prediction settings, are refused,
/// naming them.
pub fn refinish_due(options: &Options, model: &Identity) -> Result<bool> {
    let record = match &options.outputs {
        Outputs::FilmAndFrames { frames, .. } => frame_dir::record(&frames.dir, "manifest", None),
        Outputs::ShardPart { part, .. } => part_record(part),
        Outputs::FilmOnly { .. } | Outputs::ShardFrames { .. } => return Ok(false),
    };
    // No record: a film of unknown making, left alone. A damaged one: what made the film cannot be told.
    let Ok(text) = std::fs::read_to_string(&record) else {
        return Ok(false);
    };
    let made = Manifest::parse(&text).with_context(|| {
        format!(
            "the film there is colorize's, but the record of its making, {}, cannot be read (pass --overwrite to \
             make it again)",
            record.display()
        )
    })?;
    let now = fingerprint_of(options, model)?;
    // Only what changes the predictions is in the way.
    if let Some(changes) = now.other_predictions(&made.fingerprint) {
        bail!("the film there was made with other prediction settings: {changes} (pass --overwrite to make it again)");
    }
    Ok(!made.complete || made.fingerprint != now)
}
