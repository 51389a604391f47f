//! The review written to disk: the JSON alone, a film's page, a batch of photos' page.

use std::path::Path;

use anyhow::Result;

use super::data::{Data, Wanted};
use super::page;
use super::photos::{self, PhotoData};
use super::picture::Shown;

/// Writes what `wanted` asks for: the JSON alone, and the page with the pictures in `shown`.
pub fn write(wanted: &Wanted, data: &Data, shown: &[Shown]) -> Result<()> {
    if let Some(path) = &wanted.json {
        let json = serde_json::to_string_pretty(data)?;
        crate::output::write_atomically(path, json.as_bytes())?;
    }
    if let Some(path) = &wanted.page {
        let html = page::html(data, shown)?;
        crate::output::write_atomically(path, html.as_bytes())?;
    }
    Ok(())
}

/// Writes a batch of photos' page.
pub fn write_photos(path: &Path, data: &PhotoData, shown: &[Shown]) -> Result<()> {
    let html = photos::html(data, shown)?;
    crate::output::write_atomically(path, html.as_bytes())
}
