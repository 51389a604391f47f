//! Shards' parts of a film (`--shard I/N --no-frames -o part-I.mp4`): each part's record beside it, and the parts
//! `assemble` is given checked to be one whole film, each part once.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::file;
use super::manifest::{complete, Complete, Manifest};
use super::owner::check_part;

/// Where the record of a shard's part of the film is: `.NAME.colorize-manifest` beside it.
pub fn part_record(film: &Path) -> PathBuf {
    file::beside(film, "manifest")
}

/// Shards' parts of a film, checked complete and each given once, in the order of their shards (whatever order
/// they were named in), with what they promise; the empty parts of shards with no frames are left out.
pub fn check_parts(films: &[PathBuf]) -> Result<(Vec<PathBuf>, Complete)> {
    let mut found = Vec::new();
    for film in films {
        let record = part_record(film);
        let text = std::fs::read_to_string(&record).with_context(|| {
            format!(
                "{} has no record beside it ({}): it is not a finished shard's film",
                film.display(),
                record.display()
            )
        })?;
        let manifest = Manifest::parse(&text).with_context(|| record.display().to_string())?;
        check_part(film)?;
        found.push((film.clone(), manifest));
    }
    found.sort_by_key(|(_, m)| (m.shard.count, m.shard.index));
    refuse_twice(&found)?;
    let named: Vec<(String, Manifest)> = found
        .iter()
        .map(|(p, m)| (p.display().to_string(), m.clone()))
        .collect();
    let complete = complete(&named)?;
    // A shard with no frames wrote an empty part, which has nothing to join.
    let parts = found
        .into_iter()
        .filter(|(_, m)| m.end != Some(m.start))
        .map(|(film, _)| film)
        .collect();
    Ok((parts, complete))
}

/// Refuses a shard given twice, as the same file or as a copy: joined, its frames would be in the film twice and
/// the count would be wrong. `found` is sorted by shard.
fn refuse_twice(found: &[(PathBuf, Manifest)]) -> Result<()> {
    let twice: Vec<String> = found
        .windows(2)
        .filter(|w| w[0].1.shard == w[1].1.shard)
        .map(|w| {
            let same = w[0]
                .0
                .canonicalize()
                .ok()
                .is_some_and(|a| w[1].0.canonicalize().ok() == Some(a));
            if same {
                format!("{} is named twice", w[1].0.display())
            } else {
                format!(
                    "{} and {} are both shard {}",
                    w[0].0.display(),
                    w[1].0.display(),
                    w[1].1.shard
                )
            }
        })
        .collect();
    if !twice.is_empty() {
        bail!("{} (name each shard's part once)", twice.join("; "));
    }
    Ok(())
}
