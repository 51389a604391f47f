//! What a hints file holds (hints placed on pictures, frames and lines) and which of its hints fall on a photo or a
//! film, checked against its size and length.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Result};
use opencv::core::Size;

use crate::position::Position;

/// One colour point.
#[derive(Clone, Debug, PartialEq)]
pub struct Hint {
    /// Pixel of the source picture at full size, origin top left.
    pub x: f32,
    pub y: f32,
    /// The colour's a/b in CIE Lab (as OpenCV converts 8-bit RGB in float): the picture's own lightness stays.
    pub ab: [f32; 2],
    /// Pixels around the centre that take the colour as it is.
    pub radius: f32,
}

/// A hint as the file gives it: for which photo or film, on which frame, from which line.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub hint: Hint,
    /// The photo or film it belongs to (the `file` column), when the file says.
    pub file: Option<String>,
    /// The frame of a film (the `frame` or `time` column, or a scribble's name), when the file says.
    pub at: Option<Position>,
    /// The CSV line, for messages.
    pub line: Option<usize>,
}

/// The hints of one file or scribble folder.
pub struct HintFile {
    pub path: PathBuf,
    pub hints: Vec<Placed>,
    /// A scribble's size, which fits one picture of that size.
    pub size: Option<Size>,
}

impl HintFile {
    /// Where a hint came from, for messages: the file, and the CSV line.
    fn place(&self, placed: &Placed) -> String {
        match placed.line {
            Some(line) => format!("hints {} line {line}", self.path.display()),
            None => format!("hints {}", self.path.display()),
        }
    }

    /// Checks that a scribble has the picture's size.
    fn fits(&self, picture: &Path, size: Size) -> Result<()> {
        if let Some(scribble) = self.size {
            ensure!(
                scribble == size,
                "hints {}: the scribble is {}x{}, {} is {}x{}",
                self.path.display(),
                scribble.width,
                scribble.height,
                picture.display(),
                size.width,
                size.height
            );
        }
        Ok(())
    }

    /// The hints that fall on `picture`, checked to lie inside its `size`.
    fn on(&self, picture: &Path, size: Size) -> Result<Vec<&Placed>> {
        self.fits(picture, size)?;
        let name = picture.file_name().map(|n| n.to_string_lossy().into_owned());
        let mut hints = Vec::new();
        for placed in &self.hints {
            if placed.file.is_some() && placed.file != name {
                continue;
            }
            let hint = &placed.hint;
            ensure!(
                hint.x >= 0.0 && hint.y >= 0.0 && hint.x < size.width as f32 && hint.y < size.height as f32,
                "{}: the hint at ({}, {}) is outside {} ({}x{})",
                self.place(placed),
                hint.x,
                hint.y,
                picture.display(),
                size.width,
                size.height
            );
            hints.push(placed);
        }
        Ok(hints)
    }

    /// The hints that fall on `photo` (of `size`), checked to lie inside it.
    pub fn for_photo(&self, photo: &Path, size: Size) -> Result<Vec<Hint>> {
        let hints = self.on(photo, size)?;
        if let Some(placed) = hints.iter().find(|p| p.at.is_some()) {
            anyhow::bail!(
                "{}: a frame or time places a hint on a film, and {} is a photo",
                self.place(placed),
                photo.display()
            );
        }
        Ok(hints.into_iter().map(|p| p.hint.clone()).collect())
    }

    /// The hints that fall on `film` (frames of `size` at `fps`, `frames` of them when known), each with the frame
    /// it is on: the film's first where the file does not say.
    pub fn for_film(&self, film: &Path, size: Size, fps: f64, frames: Option<usize>) -> Result<Vec<(usize, Hint)>> {
        let mut hints = Vec::new();
        for placed in self.on(film, size)? {
            let frame = placed.at.map_or(0, |at| at.frame(fps));
            if let Some(frames) = frames.filter(|&n| frame >= n) {
                anyhow::bail!(
                    "{}: frame {frame} is past the end of {}, whose last frame is {}",
                    self.place(placed),
                    film.display(),
                    frames.saturating_sub(1)
                );
            }
            hints.push((frame, placed.hint.clone()));
        }
        Ok(hints)
    }

    /// The pictures this file names that are not among `names`.
    fn strangers<'a>(&'a self, names: &[String]) -> Vec<&'a str> {
        let mut strangers: Vec<&str> = self
            .hints
            .iter()
            .filter_map(|p| p.file.as_deref())
            .filter(|file| !names.iter().any(|n| n == file))
            .collect();
        strangers.dedup();
        strangers
    }
}

/// Checks hints files against a batch of `pictures` (each a `what`: photo or film) before anything is written: a
/// scribble fits one picture, and a `file` names a picture of the batch.
pub fn check_batch(files: &[HintFile], pictures: &[&Path], what: &str) -> Result<()> {
    let names: Vec<String> = pictures
        .iter()
        .map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned())
        .collect();
    for file in files {
        if file.size.is_some() && pictures.len() > 1 {
            anyhow::bail!(
                "hints {}: a scribble fits one {what}, and this batch has {} (give its {what} alone, or a CSV with a \
                 file column)",
                file.path.display(),
                pictures.len()
            );
        }
        if let Some(stranger) = file.strangers(&names).first() {
            anyhow::bail!(
                "hints {}: {stranger} is not a {what} of this batch",
                file.path.display()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::hints::read::read;
    use crate::hints::read::tests::write;

    #[test]
    fn hints_outside_the_photo_or_for_another_photo() {
        let (_dir, path) = write("x,y,colour,file\n1,2,#ff0000,a.png\n50,2,#ff0000,b.png\n");
        let file = read(&path).unwrap();
        let size = Size::new(40, 30);
        assert_eq!(file.for_photo(Path::new("in/a.png"), size).unwrap().len(), 1);
        let err = file.for_photo(Path::new("b.png"), size).unwrap_err().to_string();
        assert!(
            err.contains("line 3: the hint at (50, 2) is outside b.png (40x30)"),
            "{err}"
        );
        assert_eq!(file.strangers(&["a.png".into()]), ["b.png"]);
    }

    #[test]
    fn a_film_hint_is_on_its_frame_or_time_and_not_past_the_end() {
        let (_dir, path) = write("x,y,colour,frame,time\n1,2,#ff0000,7,\n3,4,#00ff00,,2s\n5,6,#0000ff,,\n");
        let file = read(&path).unwrap();
        let size = Size::new(40, 30);
        let frames: Vec<usize> = file
            .for_film(Path::new("reel.mp4"), size, 24.0, Some(100))
            .unwrap()
            .into_iter()
            .map(|(frame, _)| frame)
            .collect();
        assert_eq!(frames, [7, 48, 0]);
        let err = file.for_film(Path::new("reel.mp4"), size, 24.0, Some(40)).unwrap_err();
        assert!(
            err.to_string()
                .contains("line 3: frame 48 is past the end of reel.mp4, whose last frame is 39"),
            "{err}"
        );
        let err = file.for_photo(Path::new("a.png"), size).unwrap_err().to_string();
        assert!(err.contains("line 2: a frame or time places a hint on a film"), "{err}");
    }
}
