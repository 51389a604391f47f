//! What a run records beside its frames (or a shard beside its part of the film, see parts.rs): which film,
//! settings and model made them, which range, at what rate, and whether the run finished. `assemble` reads the
//! records of every shard to prove a folder, or a set of parts, complete before it makes the film.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::file::{self, check_magic};
use super::fingerprint::Fingerprint;
use super::shots::Ledger;
use crate::film::io::frame_dir::frame_path;
use crate::film::io::shard::Shard;
use crate::output::write_atomically;

/// Version 2: the fingerprint in named fields, one a line, after the others. Version 3: the colour hints in the
/// fingerprint. Version 4: the shots, one a line, before the fingerprint. Version 5: a checksum of the whole record
/// as its last line (`file::seal`), so a damaged one is refused rather than taken. Version 6: the network's
/// precision in the fingerprint.
const MAGIC: &str = "colorize-manifest 6";

#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The input's content, every pixel-affecting setting, the backend and the model files.
    pub fingerprint: Fingerprint,
    /// 0/1 for a run that is not a shard.
    pub shard: Shard,
    /// The first frame of the whole range all shards cover.
    pub whole_start: usize,
    /// The frames this run writes: `start..end`; until it finishes, end is the planned one (None: the film's
    /// end, written as the largest number), then where it ended.
    pub start: usize,
    pub end: Option<usize>,
    /// The film's frame rate, and the time of the whole range's first frame, where its sound starts (None, written
    /// NaN, until the first shard has finished: only it knows).
    pub fps: f64,
    pub origin: Option<f64>,
    pub ext: String,
    pub complete: bool,
    /// The shots of the range on disk, each with the finishing it was painted with.
    pub shots: Ledger,
}

impl Manifest {
    /// Saves the record at `path`: beside the frames (`FrameDir::record`), or a shard's part (`part_record`).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = format!(
            "{MAGIC}\nshard {} {}\nwhole-start {}\nframes {} {}\nfps {}\norigin {}\next {}\ncomplete {}\n{}{}",
            self.shard.index,
            self.shard.count,
            self.whole_start,
            self.start,
            self.end.unwrap_or(usize::MAX),
            self.fps,
            self.origin.unwrap_or(f64::NAN),
            self.ext,
            self.complete,
            self.shots.to_text(),
            self.fingerprint.to_text()
        );
        write_atomically(path, &file::seal(text.into_bytes()))
    }

    pub fn parse(text: &str) -> Result<Manifest> {
        let first = text.split_once('\n').map_or(text, |(first, _)| first);
        check_magic(first, MAGIC).map_err(|e| anyhow::anyhow!("{e}: colorize that part again, with --overwrite"))?;
        let whole = std::str::from_utf8(file::unseal(text.as_bytes())?)?;
        let rest = whole.split_once('\n').map_or("", |(_, rest)| rest);
        Manifest::parse_fields(rest).map_err(|e| anyhow::anyhow!("is damaged ({e:#})"))
    }

    fn parse_fields(rest: &str) -> Result<Manifest> {
        // Seven lines of fields, then the shots', then the fingerprint's.
        let mut lines = rest.splitn(8, '\n');
        let mut field = |name: &str| -> Result<Vec<&str>> {
            let line = lines.next().with_context(|| format!("no {name}"))?;
            let rest = line
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix(' '))
                .with_context(|| format!("no {name}"))?;
            Ok(rest.split(' ').collect())
        };
        let shard = field("shard")?;
        let whole_start = field("whole-start")?;
        let frames = field("frames")?;
        let (fps, origin, ext, complete) = (field("fps")?, field("origin")?, field("ext")?, field("complete")?);
        let mut rest = lines.next().context("no fingerprint")?;
        let mut shots = Ledger::default();
        while let Some((line, after)) = rest.split_once('\n').filter(|(line, _)| line.starts_with("shot ")) {
            shots.parse_line(line)?;
            rest = after;
        }
        let fingerprint = Fingerprint::parse(rest)?;
        let number = |v: &[&str], i: usize| -> Result<usize> { Ok(v.get(i).context("cut short")?.parse()?) };
        Ok(Manifest {
            fingerprint,
            shard: Shard {
                index: number(&shard, 0)?,
                count: number(&shard, 1)?,
            },
            whole_start: number(&whole_start, 0)?,
            start: number(&frames, 0)?,
            end: Some(number(&frames, 1)?).filter(|&end| end != usize::MAX),
            fps: fps[0].parse()?,
            origin: Some(origin[0].parse::<f64>()?).filter(|o| o.is_finite()),
            ext: ext[0].to_string(),
            complete: complete[0].parse()?,
            shots,
        })
    }
}

/// Every manifest in `dir`, by file name.
pub fn read_all(dir: &Path) -> Result<Vec<(String, Manifest)>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut found = Vec::new();
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if !name.starts_with(".colorize-manifest") {
            continue;
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let manifest = Manifest::parse(&text).with_context(|| path.display().to_string())?;
        found.push((name, manifest));
    }
    found.sort_by_key(|(_, m)| (m.shard.count, m.shard.index));
    Ok(found)
}

/// What a complete set of manifests promises: the frames `start..end`, their format, rate and sound's start.
#[derive(Debug, PartialEq)]
pub struct Complete {
    /// The input's content (`content_digest`) the frames were made from.
    pub input: String,
    pub start: usize,
    pub end: usize,
    pub ext: String,
    pub fps: f64,
    pub origin: Option<f64>,
}

/// Checks that `manifests` are the finished shards of one run (one input, one set of settings, one model) that
/// together cover its whole range; otherwise says what is missing or does not belong.
pub fn complete(manifests: &[(String, Manifest)]) -> Result<Complete> {
    let Some((_, first)) = manifests.first() else {
        bail!("no colorize manifest: these frames were not written by colorize 0.1 or later");
    };
    let mut problems = Vec::new();
    for (name, m) in manifests {
        if m.fingerprint != first.fingerprint
            || m.shard.count != first.shard.count
            || m.whole_start != first.whole_start
        {
            problems.push(format!(
                "{name} is from another input, other settings, another model or another division into shards \
                 (compared with {}: {})",
                manifests[0].0,
                differences(first, m).join(", ")
            ));
        } else if !m.complete && m.shard.count == 1 {
            problems.push(
                "the run that writes them has not finished (it is still running, or was stopped: run the same \
                 colorize video command again to finish it)"
                    .to_string(),
            );
        } else if !m.complete {
            problems.push(format!("shard {} (frames {}..) has not finished", m.shard, m.start));
        }
    }
    // Where the frames covered so far end; None once an unfinished shard runs on to the film's end.
    let mut next = Some(first.whole_start);
    for index in 0..first.shard.count {
        match manifests
            .iter()
            .find(|(_, m)| m.shard.index == index && m.shard.count == first.shard.count)
        {
            Some((_, m)) => {
                // A film shorter than it announced leaves its last shards empty, past its end.
                if m.end.is_none_or(|end| end > m.start) {
                    if let Some(next) = next.filter(|&next| m.start > next) {
                        problems.push(format!("frames {next} to {} are missing", m.start - 1));
                    }
                    next = next.zip(m.end).map(|(next, end)| next.max(end));
                }
            }
            None => problems.push(format!("shard {index}/{} has not run", first.shard.count)),
        }
    }
    if !problems.is_empty() {
        bail!("the frames are not complete: {}", problems.join("; "));
    }
    let end = next.context("damaged: a finished shard records no end")?;
    Ok(Complete {
        input: first.fingerprint.prediction.input.clone(),
        start: first.whole_start,
        end,
        ext: first.ext.clone(),
        fps: first.fps,
        origin: first.origin,
    })
}

/// The frames in `dir` in order, at the rate and with the sound's start their manifests record; None when the
/// folder holds no manifest (frames from elsewhere). Every frame the manifests promise must be there.
pub fn check_folder(dir: &Path) -> Result<Option<(Vec<PathBuf>, Complete)>> {
    let manifests = read_all(dir)?;
    if manifests.is_empty() {
        return Ok(None);
    }
    let complete = complete(&manifests).with_context(|| dir.display().to_string())?;
    let frames: Vec<PathBuf> = (complete.start..complete.end)
        .map(|i| frame_path(dir, i, &complete.ext))
        .collect();
    let mut missing: Vec<(usize, usize)> = Vec::new();
    for (i, path) in (complete.start..).zip(&frames) {
        if path.is_file() {
            continue;
        }
        match missing.last_mut() {
            Some((_, last)) if *last + 1 == i => *last = i,
            _ => missing.push((i, i)),
        }
    }
    if !missing.is_empty() {
        let ranges: Vec<String> = missing
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    format!("frame {a} is missing")
                } else {
                    format!("frames {a} to {b} are missing")
                }
            })
            .collect();
        bail!("{}: the frames are not complete: {}", dir.display(), ranges.join("; "));
    }
    Ok(Some((frames, complete)))
}

/// What differs from the manifest `was` to `now`, setting by setting.
fn differences(was: &Manifest, now: &Manifest) -> Vec<String> {
    let mut said: Vec<String> = now
        .fingerprint
        .changes_from(&was.fingerprint)
        .iter()
        .map(ToString::to_string)
        .collect();
    if now.shard.count != was.shard.count {
        said.push(format!(
            "the number of shards was {}, now {}",
            was.shard.count, now.shard.count
        ));
    }
    // The fingerprint holds the range's first frame too; only a record edited by hand differs here alone.
    if said.is_empty() {
        said.push(format!(
            "the range's first frame was {}, now {}",
            was.whole_start, now.whole_start
        ));
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::film::io::frame_dir::FrameDir;
    use crate::film::io::frame_dir::FrameFormat;
    use crate::film::records::fingerprint::tests::sample;
    use crate::film::records::parts::part_record;

    fn shard(index: usize, count: usize, start: usize, end: Option<usize>) -> (String, Manifest) {
        let m = Manifest {
            fingerprint: sample(),
            shard: Shard { index, count },
            whole_start: 10,
            start,
            end,
            fps: 24000.0 / 1001.0,
            origin: Some(0.417),
            ext: "jpg".into(),
            complete: true,
            shots: Ledger::default(),
        };
        (format!(".colorize-manifest-{index}-of-{count}"), m)
    }

    #[test]
    fn a_manifest_round_trips() {
        let (_, mut m) = shard(1, 3, 20, None);
        m.origin = None;
        let dir = tempfile::tempdir().unwrap();
        let frames = FrameDir::create(dir.path(), FrameFormat::Jpg, Some(m.shard)).unwrap();
        m.save(&frames.record("manifest")).unwrap();
        assert_eq!(
            read_all(dir.path()).unwrap(),
            [(".colorize-manifest-1-of-3".to_string(), m)]
        );
    }

    #[test]
    fn the_record_on_disk_is_pinned_line_by_line() {
        let (_, mut m) = shard(1, 3, 20, Some(30));
        m.shots.parse_line("shot 12 21 0123456789abcdef whole").unwrap();
        m.shots.parse_line("shot 25 26 0123456789abcdef whole").unwrap();
        let dir = tempfile::tempdir().unwrap();
        m.save(&part_record(&dir.path().join("part-1.mp4"))).unwrap();
        let text = std::fs::read_to_string(dir.path().join(".part-1.mp4.colorize-manifest")).unwrap();
        let expected = "colorize-manifest 6\nshard 1 3\nwhole-start 10\nframes 20 30\nfps 23.976023976023978\n\
                        origin 0.417\next jpg\ncomplete true\nshot 12 21 0123456789abcdef whole\n\
                        shot 25 26 0123456789abcdef whole\n"
            .to_string()
            + &sample().to_text();
        let expected = format!("{expected}checksum {}\n", file::checksum_hex(expected.as_bytes()));
        assert_eq!(text, expected);
        assert_eq!(Manifest::parse(&text).unwrap(), m);
    }

    #[test]
    fn an_open_end_and_an_unknown_origin_keep_their_spelling_on_disk() {
        let (_, mut m) = shard(1, 3, 20, None);
        (m.origin, m.complete) = (None, false);
        let dir = tempfile::tempdir().unwrap();
        let record = part_record(&dir.path().join("part-1.mp4"));
        m.save(&record).unwrap();
        let text = std::fs::read_to_string(&record).unwrap();
        assert!(
            text.contains("\nframes 20 18446744073709551615\n") && text.contains("\norigin NaN\n"),
            "{text}"
        );
        assert_eq!(Manifest::parse(&text).unwrap(), m);
    }

    #[test]
    fn a_manifest_of_an_older_colorize_is_refused_saying_so() {
        let dir = tempfile::tempdir().unwrap();
        let old = "colorize-manifest 1\nfingerprint 9:ab|width=None|OpenCv\nshard 0 1\nwhole-start 0\nframes 0 5\n\
                   fps 25\norigin 0\next jpg\ncomplete true\n";
        std::fs::write(dir.path().join(".colorize-manifest-0-of-1"), old).unwrap();
        let err = format!("{:#}", read_all(dir.path()).unwrap_err());
        assert!(
            err.contains("another version of colorize (record version 1)") && err.contains("--overwrite"),
            "{err}"
        );
    }

    #[test]
    fn complete_shards_join_and_holes_or_strangers_are_named() {
        let all = vec![
            shard(0, 3, 10, Some(20)),
            shard(1, 3, 20, Some(30)),
            shard(2, 3, 30, Some(41)),
        ];
        let joined = complete(&all).unwrap();
        assert_eq!((joined.start, joined.end, joined.ext.as_str()), (10, 41, "jpg"));

        let err = complete(&[all[0].clone(), all[2].clone()]).unwrap_err().to_string();
        assert!(
            err.contains("frames 20 to 29 are missing") && err.contains("shard 1/3 has not run"),
            "{err}"
        );

        let mut unfinished = all.clone();
        unfinished[1].1.complete = false;
        let err = complete(&unfinished).unwrap_err().to_string();
        assert!(err.contains("shard 1/3 (frames 20..) has not finished"), "{err}");

        let mut stranger = all.clone();
        stranger[2].1.fingerprint.finishing.smooth = 0.8;
        let err = complete(&stranger).unwrap_err().to_string();
        assert!(err.contains(".colorize-manifest-2-of-3 is from another input"), "{err}");
        assert!(
            err.contains("compared with .colorize-manifest-0-of-3: --smooth was 0.5, now 0.8"),
            "{err}"
        );

        assert!(complete(&[]).is_err());

        // The film held fewer frames than it announced: its last shard found none.
        let short = vec![
            shard(0, 3, 10, Some(20)),
            shard(1, 3, 20, Some(27)),
            shard(2, 3, 30, Some(30)),
        ];
        assert_eq!(complete(&short).unwrap().end, 27);
    }

    /// Issue 30, BAD 7: a manifest with a number changed was taken as it read. Its checksum refuses it.
    #[test]
    fn a_damaged_manifest_is_refused_not_taken() {
        let dir = tempfile::tempdir().unwrap();
        let record = part_record(&dir.path().join("part-0.mp4"));
        shard(0, 1, 0, Some(30)).1.save(&record).unwrap();
        let damaged = std::fs::read_to_string(&record)
            .unwrap()
            .replace("frames 0 30", "frames 0 20");
        let err = format!("{:?}", Manifest::parse(&damaged).map(drop));
        assert!(err.contains("is damaged"), "taken: {err}");
    }
}
