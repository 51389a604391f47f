//! The folder of colorized frames: frame_000000.jpg, frame_000001.jpg, ... so that a plain sort is numeric order,
//! each written whole, and the folder locked while a run writes it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use opencv::core::Mat;

use crate::image_io;
use crate::output::{write_atomically, FolderLock};

pub struct FrameDir {
    pub dir: PathBuf,
    pub ext: String,
    _lock: FolderLock,
}

impl FrameDir {
    pub fn create(dir: &Path, ext: &str) -> Result<FrameDir> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create frames folder {}", dir.display()))?;
        Ok(FrameDir {
            dir: dir.to_owned(),
            ext: ext.to_owned(),
            _lock: FolderLock::acquire(dir)?,
        })
    }

    pub fn path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("frame_{index:06}.{}", self.ext))
    }

    /// The first frame file of this run's kind in the folder, if any.
    pub fn any_frame(&self) -> Option<PathBuf> {
        let entries = std::fs::read_dir(&self.dir).ok()?;
        let suffix = format!(".{}", self.ext);
        entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("frame_") && name.ends_with(&suffix)
        })
    }

    pub fn write(&self, index: usize, frame: &Mat) -> Result<()> {
        write_atomically(&self.path(index), &image_io::encode(frame, &self.ext)?)
    }
}
