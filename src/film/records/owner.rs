//! Which input a film's outputs belong to, by content (`content_digest`), never by name: a finished film (a
//! shard's part too) has a record beside it (`.NAME.colorize-source`) of its input's content and its own, and a
//! frames folder its manifest. A batch gives a film only outputs that are free or its own, so a film is never
//! skipped, resumed or refused because another film's outputs have its name; and `assemble` joins only parts as
//! their shards wrote them.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use super::file;
use super::manifest::Manifest;
use crate::model::files::hex;
use crate::output::write_atomically;

const MAGIC: &str = "colorize-source 1";

/// Whose an output is.
#[derive(Clone, Debug, PartialEq)]
pub enum Owner {
    /// Nothing there, or nothing that says whose it is in a way that matters (frames with no manifest are the
    /// resume record's business).
    Free,
    /// Made from this input, and as it was made.
    This,
    /// Not this input's, and why, in words that follow the output's name.
    Other(String),
}

/// A finished film's record: the content of its input (and the input's path, for messages) and its own.
struct Source {
    input: String,
    film: String,
    from: String,
}

/// Where the record of a finished film is: `.NAME.colorize-source` beside it.
fn source_record(film: &Path) -> PathBuf {
    file::beside(film, "source")
}

/// Records beside the finished `film` that it was made from `input`, whose content digest is `digest`, and what
/// it holds itself.
pub fn save_source(film: &Path, digest: &str, input: &Path) -> Result<()> {
    let own = content_digest(film)?;
    let text = format!("{MAGIC}\ninput={digest}\nfilm={own}\nfrom={}\n", input.display());
    write_atomically(&source_record(film), text.as_bytes())
}

/// The record beside `film`, if one this colorize wrote is there.
fn read_source(film: &Path) -> Option<Source> {
    let text = std::fs::read_to_string(source_record(film)).ok()?;
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return None;
    }
    let mut field = |name: &str| lines.next()?.strip_prefix(name)?.strip_prefix('=').map(str::to_string);
    Some(Source {
        input: field("input")?,
        film: field("film")?,
        from: field("from")?,
    })
}

impl Owner {
    /// Whose the film at `film` is, for the input of content `digest` (None when it cannot be read: then nothing
    /// there is known to be its own).
    pub fn of_film(film: &Path, digest: Option<&str>) -> Owner {
        if !film.exists() {
            return Owner::Free;
        }
        match read_source(film) {
            None => Owner::Other("has no record of the film colorize made it from".into()),
            Some(source) if Some(source.input.as_str()) != digest => {
                Owner::Other(format!("was made from {}", source.from))
            }
            Some(source) if content_digest(film).ok().as_ref() != Some(&source.film) => {
                Owner::Other("has changed since colorize made it".into())
            }
            Some(_) => Owner::This,
        }
    }

    /// Whose the frames in the folder `dir` are, by the manifest a whole run writes there as it starts. One that
    /// cannot be read says nothing: the run that goes there checks its resume record, and says what is wrong.
    pub fn of_frames(dir: &Path, digest: Option<&str>) -> Owner {
        let text = std::fs::read_to_string(dir.join(".colorize-manifest")).unwrap_or_default();
        match Manifest::parse(&text) {
            Ok(m) if Some(m.fingerprint.prediction.input.as_str()) == digest => Owner::This,
            Ok(_) => Owner::Other("holds the frames of another film".into()),
            Err(_) => Owner::Free,
        }
    }
}

/// The input a film in an input folder was made from, when colorize made it there (`video -o input_videos`):
/// such a film is an output, not a film to colorize again.
pub fn made_by_colorize(film: &Path) -> Option<String> {
    read_source(film).map(|source| source.from)
}

/// Refuses a shard's part that is not as its shard wrote it: cut short, replaced or without its record.
pub fn check_part(part: &Path) -> Result<()> {
    let Some(source) = read_source(part) else {
        bail!(
            "{} has no record of what its shard wrote ({}): colorize that shard again",
            part.display(),
            source_record(part).display()
        );
    };
    if content_digest(part)? != source.film {
        bail!(
            "{} is not the part its shard wrote: it was cut short or replaced since (colorize that shard again, with \
             --overwrite)",
            part.display()
        );
    }
    Ok(())
}

/// Identifies a file by its size and samples of its content: the same film moved or touched is the same film,
/// and a film re-encoded under the same name is not. Reading it all would take minutes for a feature film.
pub fn content_digest(path: &Path) -> Result<String> {
    const SAMPLE: u64 = 1 << 20;
    let read = || -> std::io::Result<String> {
        let mut file = File::open(path)?;
        let size = file.metadata()?.len();
        let mut hasher = Sha256::new();
        let mut buf = Vec::new();
        for at in [0, size / 2, size.saturating_sub(SAMPLE)] {
            file.seek(SeekFrom::Start(at))?;
            buf.clear();
            (&mut file).take(SAMPLE).read_to_end(&mut buf)?;
            hasher.update(&buf);
        }
        Ok(format!("{size}:{}", hex(&hasher.finalize())))
    };
    read().with_context(|| format!("cannot read {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_film_belongs_to_the_input_its_record_names_as_long_as_it_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let film = dir.path().join("reel.avi");
        assert_eq!(Owner::of_film(&film, Some("10:aa")), Owner::Free);
        std::fs::write(&film, b"film").unwrap();
        let unknown = Owner::Other("has no record of the film colorize made it from".into());
        assert_eq!(Owner::of_film(&film, Some("10:aa")), unknown);
        save_source(&film, "10:aa", Path::new("in/reel.mp4")).unwrap();
        assert_eq!(Owner::of_film(&film, Some("10:aa")), Owner::This);
        check_part(&film).unwrap();
        let other = Owner::Other("was made from in/reel.mp4".into());
        assert_eq!(Owner::of_film(&film, Some("10:bb")), other);
        assert_eq!(Owner::of_film(&film, None), other);
        assert_eq!(made_by_colorize(&film).as_deref(), Some("in/reel.mp4"));
        std::fs::write(&film, b"another film").unwrap();
        let changed = Owner::Other("has changed since colorize made it".into());
        assert_eq!(Owner::of_film(&film, Some("10:aa")), changed);
        assert!(check_part(&film)
            .unwrap_err()
            .to_string()
            .contains("cut short or replaced"));
        std::fs::write(source_record(&film), "colorize-source 9\ninput=10:aa\n").unwrap();
        assert_eq!(Owner::of_film(&film, Some("10:aa")), unknown);
    }

    #[test]
    fn a_frames_folder_is_anothers_only_by_a_manifest_naming_another_input() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Owner::of_frames(dir.path(), Some("10:aa")), Owner::Free);
        std::fs::write(dir.path().join(".colorize-manifest"), "damaged").unwrap();
        assert_eq!(Owner::of_frames(dir.path(), Some("10:aa")), Owner::Free);
    }

    #[test]
    fn the_digest_follows_content_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.avi"), dir.path().join("b.avi"));
        let film: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&a, &film).unwrap();
        std::fs::write(&b, &film).unwrap();
        assert_eq!(content_digest(&a).unwrap(), content_digest(&b).unwrap());
        let mut changed = film.clone();
        *changed.last_mut().unwrap() ^= 1;
        std::fs::write(&b, &changed).unwrap();
        assert_ne!(content_digest(&a).unwrap(), content_digest(&b).unwrap());
    }
}
