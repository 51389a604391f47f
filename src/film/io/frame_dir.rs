//! The folder of colorized frames: frame_000000.jpg, frame_000001.jpg, ... so that a plain sort is numeric order,
//! each written whole, and the folder locked while a run writes it: a whole run alone, or any number of
//! different shards together.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use opencv::core::Mat;

use super::shard::Shard;
use crate::image_io;
use crate::output::{write_atomically, FolderLock};
use crate::position::Span;

/// How frames are stored in the frames folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameFormat {
    Jpg,
    Png,
}

impl FrameFormat {
    /// The file extension, which is also how records and fingerprints name the format.
    pub fn extension(self) -> &'static str {
        match self {
            FrameFormat::Jpg => "jpg",
            FrameFormat::Png => "png",
        }
    }
}

/// Where frame `index` is in the folder `dir`.
pub fn frame_path(dir: &Path, index: usize, ext: &str) -> PathBuf {
    dir.join(format!("frame_{index:06}.{ext}"))
}

/// Where a run (`shard`, if it is one) keeps its record `name` in the frames folder `dir`.
pub fn record(dir: &Path, name: &str, shard: Option<Shard>) -> PathBuf {
    let tag = shard.map(|s| format!("-{}", s.tag())).unwrap_or_default();
    dir.join(format!(".colorize-{name}{tag}"))
}

pub struct FrameDir {
    pub dir: PathBuf,
    pub format: FrameFormat,
    /// The shard this run is, if it is one: its records are its own.
    pub shard: Option<Shard>,
    _lock: FolderLock,
}

impl FrameDir {
    pub fn create(dir: &Path, format: FrameFormat, shard: Option<Shard>) -> Result<FrameDir> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create frames folder {}", dir.display()))?;
        Ok(FrameDir {
            dir: dir.to_owned(),
            format,
            shard,
            _lock: FolderLock::acquire(dir, shard.map(|s| s.tag()).as_deref())?,
        })
    }

    /// A record of this run's beside the frames: `.colorize-NAME`, or `.colorize-NAME-I-of-N` for a shard.
    pub fn record(&self, name: &str) -> PathBuf {
        record(&self.dir, name, self.shard)
    }

    pub fn path(&self, index: usize) -> PathBuf {
        frame_path(&self.dir, index, self.format.extension())
    }

    /// The first frame file of this run's kind in the folder with an index in `span`, if any.
    pub fn any_frame(&self, span: Span) -> Option<PathBuf> {
        let entries = std::fs::read_dir(&self.dir).ok()?;
        let suffix = format!(".{}", self.format.extension());
        entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            let index = name.strip_prefix("frame_").and_then(|n| n.strip_suffix(&suffix));
            index.and_then(|i| i.parse().ok()).is_some_and(|i| span.contains(i))
        })
    }

    pub fn write(&self, index: usize, frame: &Mat) -> Result<()> {
        write_atomically(&self.path(index), &image_io::encode(frame, self.format.extension())?)
    }
}
