//! Which input a film's outputs belong to, by the input's content (`content_digest`), never by name: a finished
//! film has a record of its input beside it (`.NAME.colorize-source`; a shard's part has its manifest), and a
//! frames folder its manifest. A batch gives a film only outputs that are free or its own, so a film is never
//! skipped, resumed or refused because another film's outputs have its name.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::manifest::Manifest;
use super::parts::part_record;
use crate::output::write_atomically;

const MAGIC: &str = "colorize-source 1";

/// Whose an output is.
#[derive(Clone, Debug, PartialEq)]
pub enum Owner {
    /// Nothing there, or nothing that says whose it is in a way that matters (frames with no manifest are the
    /// resume record's business).
    Free,
    /// Made from this input.
    This,
    /// Made from another input (named by its path, when the record says), or by something other than colorize.
    Other(Option<String>),
}

/// Where the record of a finished film's input is: `.NAME.colorize-source` beside it.
pub fn source_record(film: &Path) -> PathBuf {
    let name = film.file_name().unwrap_or_default().to_string_lossy();
    film.with_file_name(format!(".{name}.colorize-source"))
}

/// Records beside the finished `film` that it was made from `input`, whose content digest is `digest`.
pub fn save_source(film: &Path, digest: &str, input: &Path) -> Result<()> {
    let text = format!("{MAGIC}\ninput={digest}\nfrom={}\n", input.display());
    write_atomically(&source_record(film), text.as_bytes())
}

/// The input digest and path a film's record holds: its source record, or a shard's part's manifest.
fn recorded_input(film: &Path) -> Option<(String, Option<String>)> {
    if let Ok(text) = std::fs::read_to_string(source_record(film)) {
        let mut lines = text.lines();
        if lines.next() != Some(MAGIC) {
            return None;
        }
        let digest = lines.next()?.strip_prefix("input=")?.to_string();
        let from = lines.next().and_then(|l| l.strip_prefix("from=")).map(str::to_string);
        return Some((digest, from));
    }
    let text = std::fs::read_to_string(part_record(film)).ok()?;
    Some((Manifest::parse(&text).ok()?.fingerprint.prediction.input, None))
}

impl Owner {
    /// Whose the film at `film` is, for the input of content `digest` (None when it cannot be read: then nothing
    /// there is known to be its own).
    pub fn of_film(film: &Path, digest: Option<&str>) -> Owner {
        if !film.exists() {
            return Owner::Free;
        }
        match recorded_input(film) {
            Some((found, _)) if Some(found.as_str()) == digest => Owner::This,
            Some((_, from)) => Owner::Other(from),
            None => Owner::Other(None),
        }
    }

    /// Whose the frames in the folder `dir` are, by the manifest a whole run writes there as it starts. One that
    /// cannot be read says nothing: the run that goes there checks its resume record, and says what is wrong.
    pub fn of_frames(dir: &Path, digest: Option<&str>) -> Owner {
        let text = std::fs::read_to_string(dir.join(".colorize-manifest")).unwrap_or_default();
        match Manifest::parse(&text) {
            Ok(m) if Some(m.fingerprint.prediction.input.as_str()) == digest => Owner::This,
            Ok(_) => Owner::Other(None),
            Err(_) => Owner::Free,
        }
    }
}

/// The input a film in an input folder was made from, when colorize made it there (`video -o input_videos`):
/// such a film is an output, not a film to colorize again.
pub fn made_by_colorize(film: &Path) -> Option<String> {
    recorded_input(film).map(|(_, from)| from.unwrap_or_else(|| "another film".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_film_belongs_to_the_input_its_record_names() {
        let dir = tempfile::tempdir().unwrap();
        let film = dir.path().join("reel.avi");
        assert_eq!(Owner::of_film(&film, Some("10:aa")), Owner::Free);
        std::fs::write(&film, b"film").unwrap();
        assert_eq!(Owner::of_film(&film, Some("10:aa")), Owner::Other(None));
        save_source(&film, "10:aa", Path::new("in/reel.mp4")).unwrap();
        assert_eq!(Owner::of_film(&film, Some("10:aa")), Owner::This);
        assert_eq!(
            Owner::of_film(&film, Some("10:bb")),
            Owner::Other(Some("in/reel.mp4".into()))
        );
        assert_eq!(Owner::of_film(&film, None), Owner::Other(Some("in/reel.mp4".into())));
        assert_eq!(made_by_colorize(&film).as_deref(), Some("in/reel.mp4"));
        std::fs::write(source_record(&film), "colorize-source 9\ninput=10:aa\n").unwrap();
        assert_eq!(Owner::of_film(&film, Some("10:aa")), Owner::Other(None));
    }

    #[test]
    fn a_frames_folder_is_anothers_only_by_a_manifest_naming_another_input() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Owner::of_frames(dir.path(), Some("10:aa")), Owner::Free);
        std::fs::write(dir.path().join(".colorize-manifest"), "damaged").unwrap();
        assert_eq!(Owner::of_frames(dir.path(), Some("10:aa")), Owner::Free);
    }
}
