//! What a run writes, decided once from the arguments: a film and its frames, a film alone, a shard's frames into
//! the folder all shards share, or a shard's part of the film; and the contact sheet beside the film.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::film::io::frame_dir::FrameFormat;
use crate::film::io::shard::Shard;
use crate::sheet::Sheet;

/// A folder of frames, one file each, in one format.
#[derive(Clone, Debug, PartialEq)]
pub struct FramesFolder {
    pub dir: PathBuf,
    pub format: FrameFormat,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outputs {
    /// The film, and every frame in a folder, from which an interrupted run resumes.
    FilmAndFrames { film: PathBuf, frames: FramesFolder },
    /// The film alone (`--no-frames`): frames live in memory only, so nothing can resume.
    FilmOnly { film: PathBuf },
    /// A shard's frames, into the folder all shards share: `colorize assemble` makes the film once all are done.
    ShardFrames { shard: Shard, frames: FramesFolder },
    /// A shard's part of the film (`--no-frames`), which `colorize assemble` joins to the others.
    ShardPart { shard: Shard, part: PathBuf },
}

impl Outputs {
    /// A shard with a frames folder writes no film: it would hold only its part, and the folder is what joins.
    pub fn new(film: PathBuf, frames: Option<FramesFolder>, shard: Option<Shard>) -> Outputs {
        match (shard, frames) {
            (None, Some(frames)) => Outputs::FilmAndFrames { film, frames },
            (None, None) => Outputs::FilmOnly { film },
            (Some(shard), Some(frames)) => Outputs::ShardFrames { shard, frames },
            (Some(shard), None) => Outputs::ShardPart { shard, part: film },
        }
    }

    /// The film this run writes (a shard's part of one, for a shard), if it writes one.
    pub fn film(&self) -> Option<&Path> {
        match self {
            Outputs::FilmAndFrames { film, .. } | Outputs::FilmOnly { film } => Some(film),
            Outputs::ShardPart { part, .. } => Some(part),
            Outputs::ShardFrames { .. } => None,
        }
    }

    pub fn frames(&self) -> Option<&FramesFolder> {
        match self {
            Outputs::FilmAndFrames { frames, .. } | Outputs::ShardFrames { frames, .. } => Some(frames),
            Outputs::FilmOnly { .. } | Outputs::ShardPart { .. } => None,
        }
    }

    pub fn shard(&self) -> Option<Shard> {
        match self {
            Outputs::ShardFrames { shard, .. } | Outputs::ShardPart { shard, .. } => Some(*shard),
            Outputs::FilmAndFrames { .. } | Outputs::FilmOnly { .. } => None,
        }
    }

    /// Whether the film is the whole one, which gets the source's sound; a shard's part gets it when the parts
    /// are joined.
    pub fn whole_film(&self) -> bool {
        matches!(self, Outputs::FilmAndFrames { .. } | Outputs::FilmOnly { .. })
    }
}

/// Where a film's contact sheet goes: `<name>.sheet.jpg` beside it.
pub fn sheet_beside(film: &Path) -> PathBuf {
    let stem = film.file_stem().unwrap_or_default().to_string_lossy();
    film.with_file_name(format!("{stem}.sheet.jpg"))
}

/// Writes the contact sheet beside the film as `<name>.sheet.jpg`, if one was asked for (`picks` frames).
pub fn write_sheet(sheet: &Sheet, picks: usize, film: &Path, notes: &mut Vec<String>) -> Result<Option<PathBuf>> {
    // An empty sheet was not asked for, or the film did not say how many frames it holds.
    if sheet.is_empty() {
        return Ok(None);
    }
    if sheet.len() < picks {
        notes.push(format!(
            "note: the contact sheet has {} of {picks} frames: the film ended sooner than it announced",
            sheet.len(),
        ));
    }
    let path = sheet_beside(film);
    sheet.write(&path)?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_with_a_frames_folder_alone_writes_no_film() {
        let film = PathBuf::from("out.avi");
        let frames = FramesFolder {
            dir: "frames".into(),
            format: FrameFormat::Png,
        };
        let shard = Shard { index: 1, count: 4 };
        let all = Outputs::new(film.clone(), Some(frames.clone()), None);
        assert_eq!(
            (all.film(), all.frames(), all.whole_film()),
            (Some(film.as_path()), Some(&frames), true)
        );
        let alone = Outputs::new(film.clone(), None, None);
        assert_eq!(
            (alone.film(), alone.frames(), alone.whole_film()),
            (Some(film.as_path()), None, true)
        );
        let frames_only = Outputs::new(film.clone(), Some(frames.clone()), Some(shard));
        assert_eq!((frames_only.film(), frames_only.shard()), (None, Some(shard)));
        let part = Outputs::new(film.clone(), None, Some(shard));
        assert_eq!(
            (part.film(), part.frames(), part.whole_film()),
            (Some(film.as_path()), None, false)
        );
    }
}
