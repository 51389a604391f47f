//! Still images: which files count as images, reading them with what they lose said out loud, and encoding.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use opencv::core::{Mat, Vector};
use opencv::imgcodecs;
use opencv::prelude::*;

pub const EXTENSIONS: [&str; 9] = ["jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp", "jp2", "pgm"];

pub fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// An image as 8-bit BGR, and warnings for what that drops (more bits, transparency, further pages, lost data).
pub fn read(path: &Path) -> Result<(Mat, Vec<String>)> {
    if !path.is_file() {
        anyhow::bail!("no such file");
    }
    let unchanged = imgcodecs::imread(path, imgcodecs::IMREAD_UNCHANGED)
        .ok()
        .filter(|m| !m.empty())
        .context("cannot read it as an image")?;
    let mut notes = Vec::new();
    if unchanged.depth() != opencv::core::CV_8U {
        notes.push("it has more than 8 bits per channel; the colorized copy has 8".to_string());
    }
    if unchanged.channels() == 4 {
        notes.push("its transparency is dropped; the colorized copy is opaque".to_string());
    }
    let pages = imgcodecs::imcount(path, imgcodecs::IMREAD_ANYCOLOR).unwrap_or(1);
    if pages > 1 {
        notes.push(format!(
            "it holds {pages} pictures; only the first is colorized (an animation is a film: `colorize video`)"
        ));
    }
    if is_truncated_jpeg(path) {
        notes.push("the file is cut short; the part that is missing stays gray".to_string());
    }
    let image = imgcodecs::imread(path, imgcodecs::IMREAD_COLOR)
        .ok()
        .filter(|m| !m.empty())
        .context("cannot read it as an image")?;
    Ok((image, notes))
}

/// A JPEG ends with the EOI marker; libjpeg decodes one without it but only says so in its own words.
fn is_truncated_jpeg(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let jpeg = bytes.starts_with(&[0xff, 0xd8]);
    let end = bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(&bytes[..0], |i| &bytes[..=i]);
    jpeg && !end.ends_with(&[0xff, 0xd9])
}

/// Encodes an image in the format its extension names.
pub fn encode(image: &Mat, ext: &str) -> Result<Vec<u8>> {
    let mut buf = Vector::<u8>::new();
    let ok = imgcodecs::imencode_def(&format!(".{ext}"), image, &mut buf)?;
    ensure!(ok, "OpenCV cannot encode .{ext} images");
    Ok(buf.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jpeg_without_its_end_marker_is_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jpg");
        let image = Mat::new_rows_cols_with_default(16, 16, opencv::core::CV_8UC3, 90.0.into()).unwrap();
        let whole = encode(&image, "jpg").unwrap();
        std::fs::write(&path, &whole).unwrap();
        assert!(!is_truncated_jpeg(&path));
        std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
        assert!(is_truncated_jpeg(&path));
        std::fs::write(&path, b"\x89PNG").unwrap();
        assert!(!is_truncated_jpeg(&path));
    }

    #[test]
    fn sixteen_bits_and_transparency_are_said() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.png");
        let image = Mat::new_rows_cols_with_default(8, 8, opencv::core::CV_16UC4, 9000.0.into()).unwrap();
        std::fs::write(&path, encode(&image, "png").unwrap()).unwrap();
        let (read, notes) = read(&path).unwrap();
        assert_eq!((read.channels(), read.depth()), (3, opencv::core::CV_8U));
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
