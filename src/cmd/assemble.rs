//! Rebuilding a film from a folder of frames, in the numeric order of their names.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use opencv::imgcodecs;
use opencv::prelude::*;

use super::write::Film;
use crate::photos::is_image;
use crate::progress::Progress;

/// The images in `dir` ordered by the last number in their names (frame_9 before frame_10), then by name.
pub fn frame_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot list frames folder {}", dir.display()))?;
    let mut frames: Vec<(u64, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_image(p) && !p.file_name().unwrap_or_default().to_string_lossy().starts_with('.'))
        .filter_map(|p| last_number(&p).map(|n| (n, p)))
        .collect();
    frames.sort();
    if frames.is_empty() {
        bail!("{} holds no numbered frames (such as frame_000000.jpg)", dir.display());
    }
    Ok(frames.into_iter().map(|(_, p)| p).collect())
}

fn last_number(path: &Path) -> Option<u64> {
    let stem = path.file_stem()?.to_str()?;
    let end = stem.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = stem[..end].rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    stem[start..end].parse().ok()
}

/// Writes the frames of `dir` into a film at `output`; returns the number of frames.
pub fn assemble(dir: &Path, output: &Path, fps: f64, progress: &Progress) -> Result<usize> {
    let frames = frame_files(dir)?;
    progress.set_total(frames.len() as u64);
    let mut film: Option<Film> = None;
    for path in &frames {
        let image = imgcodecs::imread(path, imgcodecs::IMREAD_COLOR)
            .ok()
            .filter(|m| !m.empty())
            .with_context(|| format!("cannot read frame {}", path.display()))?;
        let film = match film.as_mut() {
            Some(film) => film,
            None => film.insert(Film::create(output, fps, image.size()?)?),
        };
        film.write(&image)
            .with_context(|| format!("frame {}", path.display()))?;
        progress.inc();
    }
    film.expect("there is at least one frame").close()?.persist()?;
    Ok(frames.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_number_not_by_text() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "frame_10.png",
            "frame_9.png",
            "frame_100.png",
            "notes.txt",
            ".frame_1.png",
            "cover.png",
        ] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let names: Vec<_> = frame_files(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["frame_9.png", "frame_10.png", "frame_100.png"]);
    }

    #[test]
    fn last_number_takes_the_trailing_run_of_digits() {
        assert_eq!(last_number(Path::new("frame_000123.jpg")), Some(123));
        assert_eq!(last_number(Path::new("reel2_shot_45.jpg")), Some(45));
        assert_eq!(last_number(Path::new("cover.jpg")), None);
    }
}
