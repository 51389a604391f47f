//! Picking up an interrupted film where it stopped: which frames on disk are done, and the colour state then.
//!
//! After each frame the writer records, atomically, the index of the next frame and the colour carried then
//! (two small a/b images: the last prediction and the last keyframe's colour). A rerun of the same command with the same inputs finds that record, skips the frames
//! already on disk and continues with the same state, so it writes what an uninterrupted run would have.

use std::ops::Range;
use std::path::PathBuf;

use anyhow::{bail, ensure, Context, Result};
use opencv::core::{Mat, CV_32FC2};
use opencv::prelude::*;

use super::frames::FrameDir;
use super::painter::ColourState;
use crate::output::write_atomically;

/// Version 3: the colour carried is the last keyframe's, at the analysis size.
const MAGIC: &str = "colorize-resume 3";

pub struct Checkpoint {
    pub next: usize,
    pub colour: ColourState,
}

fn path(frames: &FrameDir) -> PathBuf {
    frames.record("resume")
}

fn encode_mat(out: &mut Vec<u8>, m: &Option<Mat>) -> Result<()> {
    match m {
        None => out.extend_from_slice(&[0u8; 8]),
        Some(m) => {
            out.extend_from_slice(&(m.rows() as u32).to_le_bytes());
            out.extend_from_slice(&(m.cols() as u32).to_le_bytes());
            out.extend_from_slice(m.data_bytes()?);
        }
    }
    Ok(())
}

fn decode_mat(bytes: &mut &[u8]) -> Result<Option<Mat>> {
    ensure!(bytes.len() >= 8, "cut short");
    let rows = u32::from_le_bytes(bytes[..4].try_into()?) as usize;
    let cols = u32::from_le_bytes(bytes[4..8].try_into()?) as usize;
    *bytes = &bytes[8..];
    if rows == 0 {
        return Ok(None);
    }
    let len = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(8))
        .context("too large")?;
    ensure!(rows <= 4096 && cols <= 4096 && bytes.len() >= len, "cut short");
    let mut m = Mat::new_rows_cols_with_default(rows as i32, cols as i32, CV_32FC2, 0.0.into())?;
    m.data_bytes_mut()?.copy_from_slice(&bytes[..len]);
    *bytes = &bytes[len..];
    Ok(Some(m))
}

/// Records that every frame before `next` is on disk, with the colour state after the last of them.
pub fn save(frames: &FrameDir, fingerprint: &str, next: usize, colour: &ColourState) -> Result<()> {
    let mut out = format!("{MAGIC}\n{fingerprint}\n{next}\n").into_bytes();
    encode_mat(&mut out, &colour.last_ab)?;
    encode_mat(&mut out, &colour.key)?;
    write_atomically(&path(frames), &out)
}

/// The checkpoint of an earlier run of the same command, if one is there. Frames of `range` in the folder from a
/// different input, settings or model, or with no record of what made them, are refused rather than mixed in,
/// unless `overwrite` says to start over.
pub fn load(frames: &FrameDir, fingerprint: &str, range: Range<usize>, overwrite: bool) -> Result<Option<Checkpoint>> {
    let Ok(bytes) = std::fs::read(path(frames)) else {
        if let Some(found) = frames.any_frame(range).filter(|_| !overwrite) {
            bail!(
                "{} already holds {} from another run (pass --overwrite to replace such frames, or choose another \
                 --frames-dir)",
                frames.dir.display(),
                found.file_name().unwrap_or_default().to_string_lossy()
            );
        }
        return Ok(None);
    };
    let parsed = parse(&bytes);
    let (found, checkpoint) = match parsed {
        Ok(parsed) => parsed,
        Err(_) if overwrite => return Ok(None),
        Err(e) => bail!("{} is damaged ({e}); remove it to start over", path(frames).display()),
    };
    if found != fingerprint {
        if overwrite {
            return Ok(None);
        }
        bail!(
            "{} holds frames of another input, other settings or another model (pass --overwrite to replace them, \
             or choose another --frames-dir)",
            frames.dir.display()
        );
    }
    // A frame that went missing since is computed again, and so is everything after it.
    if !(range.start..checkpoint.next).all(|i| frames.path(i).is_file()) {
        return Ok(None);
    }
    Ok(Some(checkpoint))
}

fn parse(bytes: &[u8]) -> Result<(String, Checkpoint)> {
    let mut lines = bytes.splitn(4, |&b| b == b'\n');
    let mut line = || -> Result<&str> { Ok(std::str::from_utf8(lines.next().context("cut short")?)?) };
    ensure!(line()? == MAGIC, "not a resume record");
    let fingerprint = line()?.to_string();
    let next: usize = line()?.parse()?;
    let mut rest = lines.next().context("cut short")?;
    let colour = ColourState {
        last_ab: decode_mat(&mut rest)?,
        key: decode_mat(&mut rest)?,
    };
    Ok((fingerprint, Checkpoint { next, colour }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::core::Scalar;

    #[test]
    fn a_checkpoint_round_trips_and_guards_its_frames() {
        let dir = tempfile::tempdir().unwrap();
        let frames = FrameDir::create(dir.path(), "png", None).unwrap();
        let ab = Mat::new_rows_cols_with_default(3, 4, CV_32FC2, Scalar::new(1.5, -2.0, 0.0, 0.0)).unwrap();
        let state = ColourState {
            last_ab: Some(ab),
            key: None,
        };
        save(&frames, "film|x", 2, &state).unwrap();

        // The record promises frames 0 and 1: with one missing there is nothing to resume.
        std::fs::write(frames.path(0), b"").unwrap();
        assert!(load(&frames, "film|x", 0..usize::MAX, false).unwrap().is_none());
        std::fs::write(frames.path(1), b"").unwrap();
        let back = load(&frames, "film|x", 0..usize::MAX, false).unwrap().unwrap();
        assert_eq!(back.next, 2);
        assert_eq!(
            back.colour
                .last_ab
                .unwrap()
                .data_typed::<opencv::core::Vec2f>()
                .unwrap()[11]
                .0,
            [1.5, -2.0]
        );
        assert!(back.colour.key.is_none());

        let err = load(&frames, "other|y", 0..usize::MAX, false).err().unwrap();
        assert!(err.to_string().contains("--overwrite"), "{err}");
        assert!(load(&frames, "other|y", 0..usize::MAX, true).unwrap().is_none());
    }

    #[test]
    fn frames_of_unknown_origin_are_not_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let frames = FrameDir::create(dir.path(), "jpg", None).unwrap();
        assert!(
            load(&frames, "f", 0..usize::MAX, false).unwrap().is_none(),
            "an empty folder is fine"
        );
        std::fs::write(frames.path(2), b"someone's frame").unwrap();
        // Another shard's frame is no concern of this one's.
        assert!(load(&frames, "f", 3..10, false).unwrap().is_none());
        let err = load(&frames, "f", 0..usize::MAX, false).err().unwrap();
        assert!(err.to_string().contains("frame_000002.jpg"), "{err}");
        assert!(load(&frames, "f", 0..usize::MAX, true).unwrap().is_none());
    }

    #[test]
    fn a_damaged_record_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let frames = FrameDir::create(dir.path(), "png", None).unwrap();
        for junk in [
            &b""[..],
            b"colorize-resume 2\nf\n7\n\x05\x00\x00\x00\x05\x00\x00\x00",
            b"\xff\xfe",
        ] {
            std::fs::write(path(&frames), junk).unwrap();
            assert!(load(&frames, "f", 0..usize::MAX, false).is_err());
        }
    }
}
