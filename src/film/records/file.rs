//! What every record shares: where one beside a film is kept, and how its first line names its kind and version.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// `.NAME.colorize-WHAT` beside `film` (or a shard's part of one): its record of `what`.
pub fn beside(film: &Path, what: &str) -> PathBuf {
    let name = film.file_name().unwrap_or_default().to_string_lossy();
    film.with_file_name(format!(".{name}.colorize-{what}"))
}

/// Checks a record's `first` line against `magic`, this colorize's `colorize-KIND VERSION`: a record of another
/// version, or no record of that kind at all, is named as such.
pub fn check_magic(first: &str, magic: &str) -> Result<()> {
    if first == magic {
        return Ok(());
    }
    let kind = magic.rsplit_once(' ').map_or(magic, |(kind, _)| kind);
    match first.strip_prefix(kind).and_then(|rest| rest.strip_prefix(' ')) {
        Some(version) => bail!("was written by another version of colorize (record version {version})"),
        None => bail!("is damaged (not a {kind} record)"),
    }
}
