//! The film as OpenCV's VideoWriter encodes it, under a temporary name beside its destination until finished.

use std::path::Path;

use anyhow::{bail, Context, Result};
use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::videoio;

use crate::output::{self, TempFile};

/// The codec for a film's extension: MJPG in .avi as the recipe writes it, H.264 in .mp4, .mkv and .mov.
pub fn fourcc(path: &Path) -> Result<i32> {
    let code = match output::extension(path).as_str() {
        "avi" => ['M', 'J', 'P', 'G'],
        "mp4" | "mkv" | "mov" => ['a', 'v', 'c', '1'],
        _ => bail!(
            "cannot tell the film format of {} from its name: end it in .avi (MJPG), .mp4, .mkv or .mov (H.264)",
            path.display()
        ),
    };
    Ok(videoio::VideoWriter::fourcc(code[0], code[1], code[2], code[3])?)
}

/// A film being written; dropped before `close`, it removes its temporary file, so an interrupted run never
/// leaves something that looks like a finished film.
pub struct FilmWriter {
    writer: videoio::VideoWriter,
    tmp: TempFile,
    size: Size,
    /// Frames handed to the writer.
    pub written: usize,
}

impl FilmWriter {
    pub fn create(path: &Path, fps: f64, size: Size) -> Result<FilmWriter> {
        let fourcc = fourcc(path)?;
        let dir = output::parent(path);
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
        let tmp = TempFile::create(path, "partial")?;
        let writer = videoio::VideoWriter::new(tmp.path(), fourcc, fps, size, true)
            .ok()
            .filter(|w| w.is_opened().unwrap_or(false))
            .with_context(|| {
                format!(
                    "cannot write the film {} at {fps} fps, {}x{} (OpenCV has no encoder for it)",
                    path.display(),
                    size.width,
                    size.height
                )
            })?;
        Ok(FilmWriter {
            writer,
            tmp,
            size,
            written: 0,
        })
    }

    pub fn write(&mut self, frame: &Mat) -> Result<()> {
        let size = frame.size()?;
        if size != self.size {
            bail!(
                "a frame of {}x{} does not fit the film's {}x{}",
                size.width,
                size.height,
                self.size.width,
                self.size.height
            );
        }
        self.writer
            .write(frame)
            .with_context(|| format!("cannot write to {}", self.tmp.path().display()))?;
        self.written += 1;
        Ok(())
    }

    /// Closes the film; it stays under its temporary name until persisted.
    pub fn close(mut self) -> Result<TempFile> {
        self.writer.release()?;
        Ok(self.tmp)
    }
}
