//! Scribbles: PNGs with alpha whose opaque pixels are hints of their colour, alone for a photo or a folder of them
//! named by the frame each is drawn on; each PNG's size read from its header before it is decoded.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use opencv::core::{self, Mat, Size, Vec4b};
use opencv::imgcodecs;
use opencv::prelude::*;

use super::file::{ab_of_all, Hint, HintFile, Placed, Scribbled};
use crate::position::Position;

/// Pixels a scribble may have: 64 megapixels is twice an 8K frame, and decoded (four bytes a pixel, and a hint
/// for each opaque one) already takes gigabytes; a larger PNG is refused from its header, before it is decoded.
const MOST_PIXELS: u64 = 1 << 26;

/// A photo's scribble, or a film's scribble named by its frame.
pub fn one(path: &Path) -> Result<HintFile> {
    let drawn = scribble(path)?;
    let mut notes = Vec::new();
    if drawn.hints.is_empty() && drawn.partly > 0 {
        notes.push(partly_note(drawn.partly));
    }
    Ok(HintFile {
        path: path.to_path_buf(),
        hints: placed_at(drawn.hints, frame_named(path)),
        size: Some(Scribbled {
            size: drawn.size,
            file: path.to_path_buf(),
        }),
        notes,
    })
}

fn partly_note(partly: usize) -> String {
    format!("its {partly} partly transparent pixels are not hints: only fully opaque pixels give their colour")
}

/// What a scribble holds: a hint for each opaque pixel, its size, and how many pixels are partly transparent.
struct Drawn {
    hints: Vec<Hint>,
    size: Size,
    partly: usize,
}

/// Width and height from a PNG's header, checked against `MOST_PIXELS`.
fn header_size(path: &Path) -> Result<(u32, u32)> {
    let mut head = [0u8; 24];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .context("cannot read it as a PNG")?;
    // The signature, then the IHDR chunk: its length and type, then width and height, big-endian.
    ensure!(
        head.starts_with(b"\x89PNG\r\n\x1a\n") && &head[12..16] == b"IHDR",
        "not a PNG (a scribble is a PNG with alpha)"
    );
    let number = |at: usize| u32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let (width, height) = (number(16), number(20));
    ensure!(
        u64::from(width) * u64::from(height) <= MOST_PIXELS,
        "the scribble is {width}x{height}, more than the {} megapixels a scribble may have",
        MOST_PIXELS >> 20
    );
    Ok((width, height))
}

/// A scribble: every opaque pixel of a PNG with alpha (8 or 16 bits) is a hint of its colour, one pixel wide.
fn scribble(path: &Path) -> Result<Drawn> {
    header_size(path)?;
    let picture = imgcodecs::imread(path, imgcodecs::IMREAD_UNCHANGED)
        .ok()
        .filter(|m| !m.empty())
        .context("cannot read it as a PNG")?;
    ensure!(
        picture.channels() == 4,
        "a scribble needs an alpha channel (RGBA): export the layer you drew on as PNG with transparency"
    );
    let picture = match picture.depth() {
        core::CV_8U => picture,
        core::CV_16U => {
            let mut eight = Mat::default();
            picture.convert_to(&mut eight, core::CV_8U, 1.0 / 257.0, 0.0)?;
            eight
        }
        _ => bail!("a scribble has 8 or 16 bits a channel"),
    };
    let width = picture.cols() as usize;
    let (mut places, mut colours, mut partly) = (Vec::new(), Vec::new(), 0);
    for (i, px) in picture.data_typed::<Vec4b>()?.iter().enumerate() {
        match px[3] {
            255 => {
                places.push(((i % width) as f32, (i / width) as f32));
                colours.push([px[2], px[1], px[0]]);
            }
            0 => {}
            _ => partly += 1,
        }
    }
    let hints = places
        .into_iter()
        .zip(ab_of_all(&colours)?)
        .map(|((x, y), ab)| Hint { x, y, ab, radius: 0.0 })
        .collect();
    Ok(Drawn {
        hints,
        size: picture.size()?,
        partly,
    })
}

fn placed_at(hints: Vec<Hint>, at: Option<Position>) -> Vec<Placed> {
    hints
        .into_iter()
        .map(|hint| Placed {
            hint,
            file: None,
            at,
            line: None,
        })
        .collect()
}

/// The frame a scribble is drawn on, from its name: `000120.png`, or `frame_000120.png` as colorize names frames.
pub fn frame_named(path: &Path) -> Option<Position> {
    let stem = path.file_stem()?.to_str()?;
    let digits = stem.strip_prefix("frame_").unwrap_or(stem);
    digits.parse().ok().map(Position::Frame)
}

/// A folder's PNG files, in name order, and a note on what else it holds, which is left out: subfolders, other
/// files, and what is no regular file (a FIFO would block the run that opens it).
fn pngs(dir: &Path) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let (mut paths, mut other) = (Vec::new(), Vec::new());
    for entry in std::fs::read_dir(dir).context("cannot list it")? {
        let path = entry.context("cannot list it")?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        // Followed, as a link to a scribble is one; what cannot be looked at is left out with the rest.
        let regular = std::fs::metadata(&path).is_ok_and(|m| m.is_file());
        match (regular, crate::output::extension(&path) == "png") {
            (true, true) => paths.push(path),
            (false, _) if path.is_dir() => other.push(format!("{name}/")),
            (false, true) => other.push(format!("{name} (not a regular file)")),
            (_, _) => other.push(name),
        }
    }
    paths.sort();
    other.sort();
    let note = (!other.is_empty()).then(|| {
        format!(
            "left out what is not a scribble (a PNG file named by its frame): {}",
            other.join(", ")
        )
    });
    Ok((paths, note.into_iter().collect()))
}

/// A film's scribbles: every PNG of the folder, each named by the frame it is drawn on, one per frame, all of one
/// size.
pub fn folder(dir: &Path) -> Result<HintFile> {
    let (paths, mut notes) = pngs(dir)?;
    let mut hints = Vec::new();
    let mut size: Option<Scribbled> = None;
    let mut frames: HashMap<usize, String> = HashMap::new();
    let mut partly = 0;
    for path in paths {
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let Some(Position::Frame(frame)) = frame_named(&path) else {
            bail!("{name} is not named by its frame (000120.png or frame_000120.png)");
        };
        if let Some(first) = frames.insert(frame, name.clone()) {
            bail!("{first} and {name} are both drawn on frame {frame}: keep one");
        }
        let drawn = scribble(&path).with_context(|| name.clone())?;
        if let Some(first) = size.as_ref().filter(|s| s.size != drawn.size) {
            bail!(
                "{name} is {}x{}, {} before it {}x{}",
                drawn.size.width,
                drawn.size.height,
                first.file.file_name().unwrap_or_default().to_string_lossy(),
                first.size.width,
                first.size.height
            );
        }
        size.get_or_insert(Scribbled {
            size: drawn.size,
            file: path.clone(),
        });
        partly += drawn.partly;
        hints.extend(placed_at(drawn.hints, Some(Position::Frame(frame))));
    }
    if hints.is_empty() && partly > 0 {
        notes.push(partly_note(partly));
    }
    Ok(HintFile {
        path: dir.to_path_buf(),
        hints,
        size,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a `size` scribble of `depth` (8 or 16 bits) to `path`: transparent, with `alpha` at (1, 1).
    fn draw(path: &Path, size: (i32, i32), depth: i32, alpha: f64) {
        let full = if depth == core::CV_16U { 65535.0 } else { 255.0 };
        let mut m = Mat::new_rows_cols_with_default(size.1, size.0, core::CV_MAKETYPE(depth, 4), 0.0.into()).unwrap();
        let pixel =
            Mat::new_rows_cols_with_default(1, 1, core::CV_MAKETYPE(depth, 4), (0.0, full, 0.0, alpha * full).into())
                .unwrap();
        let mut roi = Mat::roi_mut(&mut m, core::Rect::new(1, 1, 1, 1)).unwrap();
        pixel.copy_to(&mut roi).unwrap();
        assert!(imgcodecs::imwrite_def(path.to_str().unwrap(), &m).unwrap());
    }

    /// Issue 30's weak cases: a 16-bit scribble was refused as having no alpha; a half-transparent one held no
    /// hints and said nothing of why.
    #[test]
    fn sixteen_bit_scribbles_are_read_and_partly_transparent_pixels_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("deep.png");
        draw(&deep, (8, 6), core::CV_16U, 1.0);
        let file = one(&deep).unwrap();
        assert_eq!(file.hints.len(), 1);
        assert_eq!((file.hints[0].hint.x, file.hints[0].hint.y), (1.0, 1.0));
        let faint = dir.path().join("faint.png");
        draw(&faint, (8, 6), core::CV_8U, 0.5);
        let file = one(&faint).unwrap();
        assert!(file.hints.is_empty());
        assert_eq!(file.notes, [partly_note(1)]);
    }

    /// Issue 30, bad 10, and the folder's weak cases: a FIFO named like a scribble blocked the run that opened it;
    /// subfolders and other files were left out without a word; two scribbles on one frame were both taken; a
    /// scribble of another size did not name the one it differs from.
    #[test]
    fn a_fifo_in_a_scribble_folder_was_opened_and_blocked_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        draw(&at("000003.png"), (8, 6), core::CV_8U, 1.0);
        let fifo = std::ffi::CString::new(at("000005.png").to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        std::fs::create_dir(at("old")).unwrap();
        std::fs::write(at("notes.txt"), "coat: green").unwrap();
        let file = folder(dir.path()).unwrap();
        assert_eq!(file.hints.len(), 1);
        assert_eq!(
            file.notes,
            [
                "left out what is not a scribble (a PNG file named by its frame): 000005.png (not a regular file), \
              notes.txt, old/"
            ]
        );
        draw(&at("frame_000003.png"), (8, 6), core::CV_8U, 1.0);
        let err = folder(dir.path()).err().unwrap().to_string();
        assert_eq!(
            err,
            "000003.png and frame_000003.png are both drawn on frame 3: keep one"
        );
        std::fs::remove_file(at("frame_000003.png")).unwrap();
        draw(&at("000009.png"), (8, 7), core::CV_8U, 1.0);
        let err = folder(dir.path()).err().unwrap().to_string();
        assert_eq!(err, "000009.png is 8x7, 000003.png before it 8x6");
    }

    #[test]
    fn scribbles_are_named_by_their_frame() {
        assert_eq!(frame_named(Path::new("d/000120.png")), Some(Position::Frame(120)));
        assert_eq!(frame_named(Path::new("frame_000007.png")), Some(Position::Frame(7)));
        assert_eq!(frame_named(Path::new("coat.png")), None);
    }

    /// Issue 30, bad 11: a PNG of 20000x20000 (1.5 MB on disk) was decoded into 1.6 GB before its size was
    /// looked at. Its header is enough to refuse it.
    #[test]
    fn a_huge_png_scribble_was_decoded_before_its_size_was_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("000001.png");
        // A header alone: decoding it would fail, so only the header can refuse it as too large.
        let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        png.extend(20000u32.to_be_bytes());
        png.extend(20000u32.to_be_bytes());
        png.extend([8, 6, 0, 0, 0]);
        std::fs::write(&path, png).unwrap();
        let err = format!("{:#}", one(&path).err().unwrap());
        assert!(
            err.contains("the scribble is 20000x20000, more than the 64 megapixels"),
            "{err}"
        );
    }
}
