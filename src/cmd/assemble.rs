//! `colorize assemble`: a film rebuilt from a folder of frames, finished as `colorize video` finishes its films.
//! Frames colorize wrote (by one run or by many shards) are checked complete against their records first;
//! others are taken in the numeric order of their names.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use opencv::imgcodecs;
use opencv::prelude::*;

use super::shared::Outcome;
use crate::cli::AssembleArgs;
use crate::film::{self, finish_film, FilmWriter, Sound};
use crate::image_io::is_image;
use crate::output::refuse_to_clobber;
use crate::progress::Progress;
use crate::report;

pub fn run(args: AssembleArgs) -> Result<Outcome> {
    for input in &args.inputs {
        if !input.exists() {
            bail!(
                "{} does not exist (name a folder of frames, or the parts of a film)",
                input.display()
            );
        }
        refuse_to_clobber(&args.output, input, args.overwrite)?;
    }
    film::fourcc(&args.output)?;
    let mut notes = Vec::new();
    if let Some(source) = &args.audio_from {
        film::check_sound_source(source, &mut notes)?;
    }
    let page = args.report.then(|| report::page_beside(&args.output));
    if let Some(page) = page.as_ref().filter(|p| p.exists() && !args.overwrite) {
        bail!("{} already exists (pass --overwrite to replace it)", page.display());
    }
    let (film, frames, fps) = match &args.inputs[..] {
        [dir] if dir.is_dir() => from_folder(dir, &args, page.as_deref(), &mut notes)?,
        _ if page.is_some() => {
            bail!("--report needs the frames folder the shards shared (the parts of --no-frames shards have no review)")
        }
        parts => {
            let (parts, complete) = film::check_parts(parts)?;
            let (frames, fps) = (complete.end - complete.start, args.fps.unwrap_or(complete.fps));
            let sound = sound(&args, complete.origin);
            let film = film::join_parts(&parts, &args.output, frames, fps, sound, &mut notes)?;
            (film, frames, fps)
        }
    };
    println!("{}", film.display());
    for note in notes {
        eprintln!("{note}");
    }
    eprintln!("assembled {frames} frames at {fps} fps");
    Ok(Outcome::Success)
}

/// Where the film's sound comes from and starts, when its record says; from the start otherwise.
fn sound(args: &AssembleArgs, origin: Option<f64>) -> Option<Sound<'_>> {
    args.audio_from.as_deref().map(|source| Sound {
        source,
        from: origin.unwrap_or(0.0),
    })
}

/// The film from a folder of frames, and with `page` its review page; returns the film, its frames and rate.
fn from_folder(
    dir: &Path,
    args: &AssembleArgs,
    page: Option<&Path>,
    notes: &mut Vec<String>,
) -> Result<(PathBuf, usize, f64)> {
    let (frames, fps, made) = folder(dir, args.fps)?;
    let mut review = match (page, &made) {
        (Some(_), Some(made)) => Some(film::AssembledReview::open(
            dir,
            &made.input,
            made.start,
            made.start + frames.len(),
        )?),
        (Some(_), None) => bail!("{}: --report needs frames colorize made (with --report)", dir.display()),
        (None, _) => None,
    };
    let progress = Progress::new("frames", args.quiet);
    progress.set_total(frames.len() as u64);
    let sound = sound(args, made.and_then(|m| m.origin));
    let film = assemble(&frames, &args.output, fps, sound, &progress, notes, review.as_mut())?;
    progress.finish();
    if let (Some(review), Some(page)) = (review, page) {
        review.write(
            &args.output,
            &report::Wanted {
                page: Some(page.to_path_buf()),
                json: None,
            },
        )?;
        println!("{}", page.display());
    }
    Ok((film, frames.len(), fps))
}

/// Frames colorize made: the index of the first, and the time it shows in the source when recorded.
struct Made {
    /// The input's content, which the review's records must be of.
    input: String,
    start: usize,
    origin: Option<f64>,
}

/// A folder's frames in order and their rate, and what colorize recorded of them (checked complete, or an
/// error); numbered frames from elsewhere are taken at `fps`.
fn folder(dir: &Path, fps: Option<f64>) -> Result<(Vec<PathBuf>, f64, Option<Made>)> {
    // Written by colorize, by one run or by shards: complete, or nothing is written.
    if let Some((frames, complete)) = film::check_folder(dir)? {
        let made = Made {
            input: complete.input.clone(),
            start: complete.start,
            origin: complete.origin,
        };
        return Ok((frames, fps.unwrap_or(complete.fps), Some(made)));
    }
    // Frames first: with none, a rate would not help.
    let frames = loose_frames(dir)?;
    let fps = fps.with_context(|| {
        format!(
            "{} has no record of the frames' rate (they were not made by colorize): give --fps",
            dir.display()
        )
    })?;
    Ok((frames, fps, None))
}

/// Numbered frames not made by colorize, in numeric order, with a warning for numbers missing between them.
fn loose_frames(dir: &Path) -> Result<Vec<PathBuf>> {
    let frames = frame_files(dir)?;
    if let Some(gap) = gaps(&frames) {
        eprintln!("warning: {}: {gap}; the film goes straight on", dir.display());
    }
    Ok(frames.into_iter().map(|(_, path)| path).collect())
}

/// The images in `dir` ordered by the last number in their names (frame_9 before frame_10), then by name.
fn frame_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
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
    Ok(frames)
}

/// Numbers missing between the first frame and the last, described for a warning.
fn gaps(frames: &[(u64, PathBuf)]) -> Option<String> {
    let holes: Vec<(u64, u64)> = frames
        .windows(2)
        .filter(|w| w[1].0 > w[0].0 + 1)
        .map(|w| (w[0].0 + 1, w[1].0 - 1))
        .collect();
    let missing: u64 = holes.iter().map(|(a, b)| b - a + 1).sum();
    let (first, last) = holes.first()?;
    let range = if first == last {
        format!("{first}")
    } else {
        format!("{first} to {last}")
    };
    let more = if holes.len() > 1 {
        format!(" and {} more gaps", holes.len() - 1)
    } else {
        String::new()
    };
    Some(format!("{missing} frame numbers are missing ({range}{more})"))
}

fn last_number(path: &Path) -> Option<u64> {
    let stem = path.file_stem()?.to_str()?;
    let end = stem.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = stem[..end].rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    stem[start..end].parse().ok()
}

/// Writes the frames into a film at `output` and finishes it, handing each frame to `review` when there is one;
/// returns the film's path.
fn assemble(
    frames: &[PathBuf],
    output: &Path,
    fps: f64,
    sound: Option<Sound>,
    progress: &Progress,
    notes: &mut Vec<String>,
    mut review: Option<&mut film::AssembledReview>,
) -> Result<PathBuf> {
    let mut film: Option<FilmWriter> = None;
    for path in frames {
        let image = imgcodecs::imread(path, imgcodecs::IMREAD_COLOR)
            .ok()
            .filter(|m| !m.empty())
            .with_context(|| format!("cannot read frame {}", path.display()))?;
        let film = match film.as_mut() {
            Some(film) => film,
            None => film.insert(FilmWriter::create(output, fps, image.size()?)?),
        };
        film.write(&image)
            .with_context(|| format!("frame {}", path.display()))?;
        if let (Some(review), Some(index)) = (review.as_deref_mut(), last_number(path)) {
            review
                .frame(index as usize, &image)
                .with_context(|| format!("frame {}", path.display()))?;
        }
        progress.inc();
    }
    let film = film.context("no frames")?;
    let written = film.written;
    finish_film(film.close()?, written, fps, sound, notes)
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
            .map(|(_, p)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["frame_9.png", "frame_10.png", "frame_100.png"]);
    }

    #[test]
    fn gaps_in_the_numbering_are_described() {
        let frames =
            |numbers: &[u64]| -> Vec<(u64, PathBuf)> { numbers.iter().map(|&n| (n, PathBuf::new())).collect() };
        assert_eq!(gaps(&frames(&[3, 4, 5])), None);
        assert_eq!(gaps(&frames(&[0, 2])).unwrap(), "1 frame numbers are missing (1)");
        assert_eq!(
            gaps(&frames(&[0, 4, 5, 9])).unwrap(),
            "6 frame numbers are missing (1 to 3 and 1 more gaps)"
        );
    }

    #[test]
    fn last_number_takes_the_trailing_run_of_digits() {
        assert_eq!(last_number(Path::new("frame_000123.jpg")), Some(123));
        assert_eq!(last_number(Path::new("reel2_shot_45.jpg")), Some(45));
        assert_eq!(last_number(Path::new("cover.jpg")), None);
    }
}
