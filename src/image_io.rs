//! Still images: which files count as images, reading them with what they lose said out loud, and encoding.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use opencv::core::{Mat, Vector};
use opencv::imgcodecs;
use opencv::prelude::*;

pub const EXTENSIONS: [&str; 9] = ["jpg", "jpeg", "png", "bmp", "tif", "tiff", "webp", "jp2", "pgm"];

pub fn is_image(path: &Path) -> bool {
    EXTENSIONS.contains(&crate::output::extension(path).as_str())
}

/// An image as 8-bit BGR, and warnings for what that drops (more bits, transparency, further pages, lost data).
pub fn read(path: &Path) -> Result<(Mat, Vec<String>)> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow::anyhow!("no such file"),
        _ => anyhow::Error::new(e).context("cannot read it"),
    })?;
    // A JPEG holds 8-bit colour and one picture, so only being cut short can lose anything; it is not decoded
    // twice, which would also print libjpeg's own complaint twice.
    let notes = if bytes.starts_with(&[0xff, 0xd8]) {
        jpeg_cut_short(&bytes)
            .then(|| "the file is cut short; the part that is missing stays gray".to_string())
            .into_iter()
            .collect()
    } else {
        losses(path)?
    };
    let image = imgcodecs::imread(path, imgcodecs::IMREAD_COLOR)
        .ok()
        .filter(|m| !m.empty())
        .context("cannot read it as an image")?;
    Ok((image, notes))
}

/// Whether a JPEG's bytes end before its end-of-image marker (trailing zeros aside): libjpeg decodes such a file,
/// gray where it is missing, with a complaint of its own on stderr.
pub fn jpeg_cut_short(bytes: &[u8]) -> bool {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(&bytes[..0], |i| &bytes[..=i]);
    !end.ends_with(&[0xff, 0xd9])
}

/// What reading `path` as one 8-bit BGR picture leaves out.
fn losses(path: &Path) -> Result<Vec<String>> {
    let unchanged = imgcodecs::imread(path, imgcodecs::IMREAD_UNCHANGED)
        .ok()
        .filter(|m| !m.empty())
        .context("cannot read it as an image")?;
    let mut notes = Vec::new();
    if unchanged.depth() != opencv::core::CV_8U {
        notes.push("it has more than 8 bits per channel; the colorized copy has 8".to_string());
    }
    if unchanged.channels() == 4 && !opaque(&unchanged)? {
        notes.push("its transparency is dropped; the colorized copy is opaque".to_string());
    }
    let pages = imgcodecs::imcount(path, imgcodecs::IMREAD_ANYCOLOR).unwrap_or(1);
    if pages > 1 {
        notes.push(format!(
            "it holds {pages} pictures; only the first is colorized (an animation is a film: `colorize video`)"
        ));
    }
    Ok(notes)
}

/// Whether every pixel's alpha is the format's full value: decoders give GIFs an alpha channel even when no
/// pixel is transparent.
fn opaque(image: &Mat) -> Result<bool> {
    let mut alpha = Mat::default();
    opencv::core::extract_channel(image, &mut alpha, 3)?;
    let mut min = 0.0;
    opencv::core::min_max_loc(&alpha, Some(&mut min), None, None, None, &opencv::core::no_array())?;
    let full = if image.depth() == opencv::core::CV_8U {
        255.0
    } else {
        65535.0
    };
    Ok(min >= full)
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
    fn a_jpeg_without_its_end_marker_is_said_to_be_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jpg");
        let mut image = Mat::new_rows_cols_with_default(128, 128, opencv::core::CV_8UC3, 0.0.into()).unwrap();
        opencv::core::randu(&mut image, &0.0, &255.0).unwrap();
        let whole = encode(&image, "jpg").unwrap();
        std::fs::write(&path, &whole).unwrap();
        assert!(read(&path).unwrap().1.is_empty());
        std::fs::write(&path, &whole[..whole.len() * 7 / 10]).unwrap();
        let (_, notes) = read(&path).unwrap();
        assert!(notes[0].contains("cut short"), "{notes:?}");
        assert_eq!(
            read(&dir.path().join("gone.jpg")).unwrap_err().to_string(),
            "no such file"
        );
    }

    #[test]
    fn sixteen_bits_and_transparency_are_said() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.png");
        let image = Mat::new_rows_cols_with_default(8, 8, opencv::core::CV_16UC4, 9000.0.into()).unwrap();
        std::fs::write(&path, encode(&image, "png").unwrap()).unwrap();
        let (read_back, notes) = read(&path).unwrap();
        assert_eq!((read_back.channels(), read_back.depth()), (3, opencv::core::CV_8U));
        assert_eq!(notes.len(), 2, "{notes:?}");
        // An alpha channel that hides nothing is not worth a word.
        let opaque = opencv::core::Scalar::new(90.0, 90.0, 90.0, 255.0);
        let image = Mat::new_rows_cols_with_default(8, 8, opencv::core::CV_8UC4, opaque).unwrap();
        std::fs::write(&path, encode(&image, "png").unwrap()).unwrap();
        assert!(read(&path).unwrap().1.is_empty());
    }
}
