//! Writing results so that nothing on disk ever looks finished before it is: numbered frames and films.

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use opencv::core::{Mat, Size, Vector};
use opencv::prelude::*;
use opencv::{imgcodecs, videoio};

/// Writes `bytes` to `path` through a temporary file in the same folder, so `path` is whole or absent.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".colorize-")
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Fails unless files can be made in `dir`, creating nothing: the nearest existing folder on its path must
/// take a file. Run before any work, so a long job never fails at its first write.
pub fn check_writable(dir: &Path) -> Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let existing = dir.ancestors().find(|a| a.exists()).unwrap_or(Path::new("."));
    if !existing.is_dir() {
        bail!(
            "cannot write in {}: {} is not a folder (choose another output)",
            dir.display(),
            existing.display()
        );
    }
    tempfile::Builder::new()
        .prefix(".colorize-probe-")
        .tempfile_in(existing)
        .map(drop)
        .with_context(|| format!("cannot write in {} (choose another output)", dir.display()))
}

/// Encodes an image in the format its extension names.
pub fn encode(image: &Mat, ext: &str) -> Result<Vec<u8>> {
    let mut buf = Vector::<u8>::new();
    let ok = imgcodecs::imencode_def(&format!(".{ext}"), image, &mut buf)?;
    ensure!(ok, "OpenCV cannot encode .{ext} images");
    Ok(buf.to_vec())
}

/// Numbered frames in a folder: frame_000000.jpg, frame_000001.jpg, ... so that a plain sort is numeric order.
pub struct FrameDir {
    pub dir: PathBuf,
    pub ext: String,
}

impl FrameDir {
    pub fn create(dir: &Path, ext: &str) -> Result<FrameDir> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create frames folder {}", dir.display()))?;
        Ok(FrameDir {
            dir: dir.to_owned(),
            ext: ext.to_owned(),
        })
    }

    pub fn path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("frame_{index:06}.{}", self.ext))
    }

    pub fn write(&self, index: usize, frame: &Mat) -> Result<()> {
        let path = self.path(index);
        write_atomically(&path, &encode(frame, &self.ext)?).with_context(|| format!("frame {index}"))
    }
}

/// A film being written under a temporary name beside its destination; dropped before `close`, it removes
/// the temporary file, so an interrupted run never leaves something that looks like a finished film.
pub struct Film {
    writer: videoio::VideoWriter,
    tmp: TempFile,
    size: Size,
}

impl Film {
    pub fn create(path: &Path, fps: f64, size: Size) -> Result<Film> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let fourcc = match ext.as_str() {
            "avi" => videoio::VideoWriter::fourcc('M', 'J', 'P', 'G')?,
            "mp4" | "mkv" | "mov" => videoio::VideoWriter::fourcc('a', 'v', 'c', '1')?,
            other => {
                bail!("cannot write .{other} films (use .avi for MJPG, .mp4 or .mkv for H.264)")
            }
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = TempFile {
            path: dir.join(format!(".{name}.partial.{ext}")),
            destination: path.to_owned(),
        };
        let writer = videoio::VideoWriter::new(&tmp.path, fourcc, fps, size, true)
            .ok()
            .filter(|w| w.is_opened().unwrap_or(false))
            .with_context(|| {
                format!(
                    "cannot write a .{ext} film at {} (OpenCV has no encoder for it)",
                    tmp.path.display()
                )
            })?;
        Ok(Film { writer, tmp, size })
    }

    pub fn write(&mut self, frame: &Mat) -> Result<()> {
        ensure!(
            frame.size()? == self.size,
            "frame size {:?} differs from the film's {:?}",
            frame.size()?,
            self.size
        );
        self.writer
            .write(frame)
            .with_context(|| format!("cannot write to {}", self.tmp.path.display()))
    }

    /// Closes the film; it stays under its temporary name until persisted.
    pub fn close(mut self) -> Result<TempFile> {
        self.writer.release()?;
        Ok(std::mem::replace(
            &mut self.tmp,
            TempFile {
                path: PathBuf::new(),
                destination: PathBuf::new(),
            },
        ))
    }
}

/// A finished file under a temporary name, removed on drop unless moved to its destination.
pub struct TempFile {
    path: PathBuf,
    destination: PathBuf,
}

impl TempFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn destination(&self) -> &Path {
        &self.destination
    }

    pub fn persist(mut self) -> Result<PathBuf> {
        let path = std::mem::take(&mut self.path);
        std::fs::rename(&path, &self.destination)
            .with_context(|| format!("cannot move the film to {}", self.destination.display()))?;
        Ok(self.destination.clone())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
