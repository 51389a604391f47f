//! Picking up an interrupted film where it stopped, or refinishing a film with other finishing settings: which
//! frames on disk are done, and the colour state then.
//!
//! After each batch the writer records, atomically, the index of the frame after the last it painted and the
//! colour carried then (small a/b images: the last prediction, the last keyframe's colour, and what colour hints
//! added to it), the fingerprint of the run, and its shots on disk with the finishing each was painted with
//! (shots.rs). A rerun with the same inputs finds that record, keeps the shots already finished as it asks, and
//! continues in the shot the last run stopped in with the same state, so it writes what an uninterrupted run would
//! have. A rerun whose predictions would be the same but whose finishing differs paints the other shots again from
//! the stored predictions.

use std::ops::Range;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use super::colour_state;
use super::file::{self, check_magic};
use super::fingerprint::Fingerprint;
use super::shots::{Ledger, Painting};
use crate::film::colour::painter::ColourState;
use crate::film::io::frame_dir::FrameDir;
use crate::output::write_atomically;
use crate::position::Span;

/// Version 3: the colour carried is the last keyframe's, at the analysis size. Version 4: the fingerprint in named
/// fields, one a line, ended by an empty line. Version 5: the hints in the fingerprint, their correction in the
/// colour state. Version 6: the shots on disk, one a line, before the fingerprint. Version 7: a checksum of the
/// whole record at its end (`file::seal`), so a damaged colour state is refused rather than carried on from.
/// Version 8: the network's precision (`--precision`) in the fingerprint.
const MAGIC: &str = "colorize-resume 8";

/// What becomes of frames in the folder that another run made (`--overwrite` replaces them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtherRuns {
    Refuse,
    Replace,
}

struct Checkpoint {
    next: usize,
    colour: ColourState,
    ledger: Ledger,
}

/// What a rerun takes over from the record.
#[derive(Default)]
pub struct Resumption {
    /// Frames on disk finished as this run would finish them: not painted again.
    pub kept: Vec<Range<usize>>,
    /// Whether the last of them is the shot the last run stopped in, which this one carries on.
    pub carries_on: bool,
    /// The colour state to start from: the recorded one, when the run carries on in the shot the last one stopped
    /// in.
    pub colour: ColourState,
    pub ledger: Ledger,
    /// When shots are painted again with other finishing settings: what changed, in how many of how many shots.
    pub refinish: Option<String>,
}

fn path(frames: &FrameDir) -> PathBuf {
    frames.record("resume")
}

/// Records the shots on disk (`ledger`), and the colour state after frame `next - 1`, the last one painted.
pub fn save(
    frames: &FrameDir,
    fingerprint: &Fingerprint,
    next: usize,
    colour: &ColourState,
    ledger: &Ledger,
) -> Result<()> {
    let text = format!("{MAGIC}\nnext {next}\n{}{}\n", ledger.to_text(), fingerprint.to_text());
    let mut out = text.into_bytes();
    colour_state::encode(&mut out, colour)?;
    write_atomically(&path(frames), &file::seal(out))
}

/// What an earlier run with the same predictions left, if one did, for a run that finishes shots as `finish`
/// does. Frames of `span` in the folder from a different input, prediction settings or model, or with no record
/// of what made them, are refused rather than mixed in, unless `others` says to replace them.
pub fn load(
    frames: &FrameDir,
    fingerprint: &Fingerprint,
    finish: &Painting,
    span: Span,
    others: OtherRuns,
) -> Result<Option<Resumption>> {
    let overwrite = others == OtherRuns::Replace;
    let Some(bytes) = read(frames, span, others)? else {
        return Ok(None);
    };
    let (found, checkpoint) = match parse(&bytes) {
        Ok(parsed) => parsed,
        Err(_) if overwrite => return Ok(None),
        // Removing the record alone would not do: the frames it leaves are of unknown origin.
        Err(e) => bail!(
            "{} {e:#} (pass --overwrite to start over, or choose another --frames-dir)",
            path(frames).display()
        ),
    };
    // `--overwrite` starts over rather than refinish: only the very same run carries on.
    if found != *fingerprint && overwrite {
        return Ok(None);
    }
    // Only what changes the predictions is in the way: other finishing is what refinishing is for.
    if let Some(changes) = fingerprint.other_predictions(&found) {
        bail!(
            "{} holds frames of another input, other settings or another model: {changes} (pass --overwrite to \
             replace them, or choose another --frames-dir)",
            frames.dir.display(),
        );
    }
    // A shot with a frame gone missing since is painted again.
    let present = |frames_of: Range<usize>| frames_of.into_iter().all(|i| frames.path(i).is_file());
    let Checkpoint { next, colour, ledger } = checkpoint;
    let (kept, resumed) = ledger.kept(finish, span, next, present);
    Ok(Some(Resumption {
        kept,
        carries_on: resumed,
        colour: if resumed { colour } else { ColourState::default() },
        refinish: refinish_line(fingerprint, &found, &ledger, finish),
        ledger,
    }))
}

/// The record's bytes, None where there is none. Frames of `span` in the folder with no record of what made them
/// are refused, unless `others` says to replace them.
fn read(frames: &FrameDir, span: Span, others: OtherRuns) -> Result<Option<Vec<u8>>> {
    let record = path(frames);
    if let Ok(bytes) = std::fs::read(&record) {
        return Ok(Some(bytes));
    }
    if let Some(found) = frames.any_frame(span).filter(|_| others == OtherRuns::Refuse) {
        // Frames colorize made (their manifest says so) whose record is gone are not another run's.
        let whose = if record.is_dir() {
            format!(
                ", but {}, the record of the run that made it, is a folder",
                record.display()
            )
        } else if frames.record("manifest").is_file() {
            format!(
                ", but {}, the record of the run that made it, is missing",
                record.display()
            )
        } else {
            " from another run".to_string()
        };
        bail!(
            "{} already holds {}{whose} (pass --overwrite to replace such frames, or choose another --frames-dir)",
            frames.dir.display(),
            found.file_name().unwrap_or_default().to_string_lossy()
        );
    }
    Ok(None)
}

/// When shots are painted again with other finishing settings than the record's (`found`): what changed, in how
/// many of how many shots.
fn refinish_line(fingerprint: &Fingerprint, found: &Fingerprint, ledger: &Ledger, finish: &Painting) -> Option<String> {
    let (shots, other) = ledger.count(finish);
    (other > 0).then(|| {
        let changes: Vec<String> = fingerprint
            .changes_from(found)
            .iter()
            .map(ToString::to_string)
            .collect();
        if changes.is_empty() {
            format!("refinishing resumes: {other} of {shots} shots left to paint again")
        } else {
            format!("refinishing: {} in {other} of {shots} shots", changes.join(", "))
        }
    })
}

/// Reads a record: what is wrong with it, if anything, in words that follow its path.
fn parse(bytes: &[u8]) -> Result<(Fingerprint, Checkpoint)> {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    check_magic(&String::from_utf8_lossy(first), MAGIC)?;
    parse_current(file::unseal(bytes)?).map_err(|e| anyhow::anyhow!("is damaged ({e:#})"))
}

fn parse_current(bytes: &[u8]) -> Result<(Fingerprint, Checkpoint)> {
    // The text ends at the first empty line; the colour state follows it.
    let end = bytes.windows(2).position(|w| w == b"\n\n").context("cut short")?;
    let (text, mut rest) = (std::str::from_utf8(&bytes[..=end])?, &bytes[end + 2..]);
    let mut lines = text.split_inclusive('\n').skip(1).peekable();
    let next = lines
        .next()
        .and_then(|l| l.strip_prefix("next "))
        .context("no next frame")?
        .trim_end();
    let next: usize = next.parse().with_context(|| format!("'{next}' is not a frame"))?;
    let mut ledger = Ledger::default();
    while let Some(line) = lines.next_if(|l| l.starts_with("shot ")) {
        ledger.parse_line(line.trim_end())?;
    }
    let fingerprint = Fingerprint::parse(&lines.collect::<String>())?;
    let colour = colour_state::decode(&mut rest)?;
    Ok((fingerprint, Checkpoint { next, colour, ledger }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::film::colour::tracks::Tracked;
    use crate::film::io::frame_dir::FrameFormat;
    use crate::film::records::fingerprint::tests::sample;
    use crate::film::records::shots::tests::painted_frame;
    use opencv::core::{Mat, Scalar, CV_32FC2};
    use opencv::prelude::*;

    use OtherRuns::{Refuse, Replace};

    const ALL: Span = Span { start: 0, end: None };

    /// Why a run with the sample fingerprint refuses the frames in `frames`; it fails the test if it takes them.
    fn refused(frames: &FrameDir) -> String {
        let loaded = load(frames, &sample(), &finish(&sample()), ALL, Refuse);
        format!("{:#}", loaded.map(drop).unwrap_err())
    }

    /// How a run with `fingerprint` and no hints finishes its shots.
    fn finish(fingerprint: &Fingerprint) -> Painting {
        Painting::new(fingerprint, &Tracked::default())
    }

    #[test]
    fn a_checkpoint_round_trips_and_guards_its_frames() {
        let dir = tempfile::tempdir().unwrap();
        let frames = FrameDir::create(dir.path(), FrameFormat::Png, None).unwrap();
        let ab = Mat::new_rows_cols_with_default(3, 4, CV_32FC2, Scalar::new(1.5, -2.0, 0.0, 0.0)).unwrap();
        let state = ColourState {
            last_ab: Some(ab),
            key: None,
            correction: None,
        };
        let (film, mut other) = (sample(), sample());
        other.prediction.width = None;
        let mut ledger = Ledger::default();
        ledger.take(0, 0, &painted_frame());
        ledger.take(1, 0, &painted_frame());
        ledger.resolve(&finish(&film));
        save(&frames, &film, 2, &state, &ledger).unwrap();

        // The record promises frames 0 and 1: with one missing there is nothing to keep.
        std::fs::write(frames.path(0), b"").unwrap();
        let back = load(&frames, &film, &finish(&film), ALL, Refuse).unwrap().unwrap();
        assert!(back.kept.is_empty() && back.colour.last_ab.is_none());
        std::fs::write(frames.path(1), b"").unwrap();
        let back = load(&frames, &film, &finish(&film), ALL, Refuse).unwrap().unwrap();
        assert_eq!(back.kept, vec![Range { start: 0, end: 2 }]);
        assert!(back.refinish.is_none());
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

        let err = load(&frames, &other, &finish(&other), ALL, Refuse)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("--width was 160, now none") && err.contains("--overwrite"),
            "{err}"
        );
        assert!(load(&frames, &other, &finish(&other), ALL, Replace).unwrap().is_none());

        // Other finishing: refinished, naming what changed; `--overwrite` starts over.
        let mut smoother = sample();
        smoother.finishing.smooth = 0.8;
        let back = load(&frames, &smoother, &finish(&smoother), ALL, Refuse)
            .unwrap()
            .unwrap();
        assert!(back.kept.is_empty());
        assert_eq!(
            back.refinish.as_deref(),
            Some("refinishing: --smooth was 0.5, now 0.8 in 1 of 1 shots")
        );
        assert!(load(&frames, &smoother, &finish(&smoother), ALL, Replace)
            .unwrap()
            .is_none());
    }

    #[test]
    fn the_record_on_disk_is_pinned_line_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let frames = FrameDir::create(dir.path(), FrameFormat::Png, None).unwrap();
        let mut ledger = Ledger::default();
        ledger.parse_line("shot 4 5 0123456789abcdef open").unwrap();
        save(&frames, &sample(), 5, &ColourState::default(), &ledger).unwrap();
        let expected = format!(
            "colorize-resume 8\nnext 5\nshot 4 5 0123456789abcdef open\n{}\n{}",
            sample().to_text(),
            // Three absent a/b images: the last prediction, the last keyframe's colour, the hints' correction.
            "\0".repeat(24)
        );
        let sum = file::checksum_hex(expected.as_bytes());
        assert_eq!(
            std::fs::read(path(&frames)).unwrap(),
            format!("{expected}checksum {sum}\n").as_bytes()
        );
    }

    #[test]
    fn frames_of_unknown_origin_are_not_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let frames = FrameDir::create(dir.path(), FrameFormat::Jpg, None).unwrap();
        assert!(
            load(&frames, &sample(), &finish(&sample()), ALL, Refuse)
                .unwrap()
                .is_none(),
            "an empty folder is fine"
        );
        std::fs::write(frames.path(2), b"someone's frame").unwrap();
        // Another shard's frame is no concern of this one's.
        let part = Span {
            start: 3,
            end: Some(10),
        };
        assert!(load(&frames, &sample(), &finish(&sample()), part, Refuse)
            .unwrap()
            .is_none());
        assert!(refused(&frames).contains("frame_000002.jpg from another run"));
        // Frames colorize made, whose record is gone or is a folder, say so rather than blame another run.
        std::fs::write(frames.record("manifest"), b"").unwrap();
        assert!(refused(&frames).contains(".colorize-resume, the record of the run that made it, is missing"));
        std::fs::create_dir(path(&frames)).unwrap();
        assert!(refused(&frames).contains("made it, is a folder"));
        assert!(load(&frames, &sample(), &finish(&sample()), ALL, Replace)
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_damaged_record_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let frames = FrameDir::create(dir.path(), FrameFormat::Png, None).unwrap();
        let whole = format!("{MAGIC}\nnext 7\n{}\n", sample().to_text()).into_bytes();
        let sealed = |text: &[u8]| file::seal(text.to_vec());
        for junk in [
            &b""[..],
            &sealed(b"colorize-resume 8\nnext 7\nf\n\n\x05\x00\x00\x00\x05\x00\x00\x00"),
            &sealed(b"colorize-resume 8\nnext 7\nshot 1 x\n\n"),
            &sealed(&whole[..whole.len() - 1]),
            &sealed(&whole),
            &whole,
            b"\xff\xfe",
        ] {
            std::fs::write(path(&frames), junk).unwrap();
            let err = refused(&frames);
            assert!(err.contains("is damaged") && err.contains("--overwrite"), "{err}");
        }
    }

    #[test]
    fn a_record_of_an_older_colorize_is_refused_saying_so() {
        let dir = tempfile::tempdir().unwrap();
        let frames = FrameDir::create(dir.path(), FrameFormat::Png, None).unwrap();
        std::fs::write(path(&frames), b"colorize-resume 5\nnext 7\ninput=1\n\n\x00\x00").unwrap();
        let err = refused(&frames);
        assert!(
            err.contains("another version of colorize") && err.contains("--overwrite"),
            "{err}"
        );
        assert!(load(&frames, &sample(), &finish(&sample()), ALL, Replace)
            .unwrap()
            .is_none());
    }

    /// Issue 30, BAD 7: floats overwritten in the middle of the colour state were taken, and the resumed frames
    /// differed from an uninterrupted run's. The record's checksum refuses it.
    #[test]
    fn a_damaged_colour_state_is_refused_not_taken() {
        let dir = tempfile::tempdir().unwrap();
        let frames = FrameDir::create(dir.path(), FrameFormat::Png, None).unwrap();
        let ab = Mat::new_rows_cols_with_default(8, 8, CV_32FC2, Scalar::new(1.5, -2.0, 0.0, 0.0)).unwrap();
        let state = ColourState {
            last_ab: Some(ab),
            key: None,
            correction: None,
        };
        save(&frames, &sample(), 2, &state, &Ledger::default()).unwrap();
        let mut bytes = std::fs::read(path(&frames)).unwrap();
        let middle = bytes.len() - 8 * 8 * 8 / 2 - 24;
        bytes[middle..middle + 8].copy_from_slice(&7.0f64.to_le_bytes());
        std::fs::write(path(&frames), &bytes).unwrap();
        let err = refused(&frames);
        assert!(
            err.contains("is damaged") && err.contains("--overwrite"),
            "taken: {err}"
        );
    }
}
