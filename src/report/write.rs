//! The review written to disk: the JSON alone, a film's page, a batch of photos' page.

use std::path::Path;

use anyhow::{Context, Result};

use super::data::{Data, Wanted};
use super::page;
use super::photos::{self, PhotoData};
use super::picture::Shown;

/// Writes what `wanted` asks for: the JSON alone, and the page with the pictures in `shown`.
pub fn write(wanted: &Wanted, data: &Data, shown: &[Shown]) -> Result<()> {
    if let Some(path) = &wanted.json {
        let json = serde_json::to_string_pretty(data)?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &wanted.page {
        let html = page::html(data, shown)?;
        std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Writes a batch of photos' page.
pub fn write_photos(path: &Path, data: &PhotoData, shown: &[Shown]) -> Result<()> {
    let html = photos::html(data, shown)?;
    std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))
}
