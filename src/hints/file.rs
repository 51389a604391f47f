//! What a hints file holds (hints placed on pictures, frames and lines) and which of its hints fall on a photo or a
//! film, checked against its size and length.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Result};
use opencv::core::{Mat, Size, Vec3f};
use opencv::imgproc;
use opencv::prelude::*;

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
    pub size: Option<Scribbled>,
    /// What a person should know of how it was read (what a folder holds that is no scribble, say).
    pub notes: Vec<String>,
}

/// The size scribbles are drawn at, and the (first) scribble that says so.
pub struct Scribbled {
    pub size: Size,
    pub file: PathBuf,
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
        if let Some(scribble) = &self.size {
            let drawn = scribble.size;
            // A folder's scribbles: which one says the size.
            let which = if self.path == scribble.file {
                String::new()
            } else {
                format!(" ({})", scribble.file.display())
            };
            ensure!(
                drawn == size,
                "hints {}: the scribble is {}x{}{which}, {} is {}x{} (a scribble is drawn over the picture at its full \
                 size, before --width)",
                self.path.display(),
                drawn.width,
                drawn.height,
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
        let mut hints = Vec::new();
        for placed in &self.hints {
            if placed.file.as_deref().is_some_and(|file| !names(file, picture)) {
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
                let (given, last) = match placed.at {
                    Some(Position::Seconds(s)) => (
                        format!("time {s}s (frame {frame})"),
                        format!(
                            "{} at {:.3}s",
                            frames.saturating_sub(1),
                            frames.saturating_sub(1) as f64 / fps
                        ),
                    ),
                    _ => (format!("frame {frame}"), frames.saturating_sub(1).to_string()),
                };
                anyhow::bail!(
                    "{}: {given} is past the end of {}, whose last frame is {last}",
                    self.place(placed),
                    film.display(),
                );
            }
            hints.push((frame, placed.hint.clone()));
        }
        Ok(hints)
    }

    /// Checks that each picture the `file` column names is one picture of `pictures` (each a `what`).
    fn check_names(&self, pictures: &[&Path], what: &str) -> Result<()> {
        let mut named: Vec<&str> = self.hints.iter().filter_map(|p| p.file.as_deref()).collect();
        named.sort_unstable();
        named.dedup();
        for name in named {
            let matching: Vec<&&Path> = pictures.iter().filter(|p| names(name, p)).collect();
            match matching[..] {
                [] => anyhow::bail!("hints {}: {name} is not a {what} of this batch", self.path.display()),
                [_] => {}
                [a, b, ..] => anyhow::bail!(
                    "hints {}: {name} names two {what}s of this batch, {} and {} (name one by its path, as the \
                     command line gives it)",
                    self.path.display(),
                    a.display(),
                    b.display()
                ),
            }
        }
        Ok(())
    }
}

/// Whether a `file` column's `name` names `picture`: its path as the command line gives it, or that path's last
/// components (`a.mp4`, `d2/a.mp4`); `check_names` refuses a name that fits two pictures of the batch.
fn names(name: &str, picture: &Path) -> bool {
    !name.is_empty() && picture.ends_with(name)
}

/// a/b of 8-bit RGB colours, as the network's output is: float RGB in 0..1 to CIE Lab.
pub fn ab_of_all(rgb: &[[u8; 3]]) -> Result<Vec<[f32; 2]>> {
    if rgb.is_empty() {
        return Ok(Vec::new());
    }
    let pixels: Vec<Vec3f> = rgb
        .iter()
        .map(|c| Vec3f::from(c.map(|v| f32::from(v) / 255.0)))
        .collect();
    let mut lab = Mat::default();
    imgproc::cvt_color_def(&Mat::from_slice(&pixels)?, &mut lab, imgproc::COLOR_RGB2Lab)?;
    Ok(lab.data_typed::<Vec3f>()?.iter().map(|p| [p[1], p[2]]).collect())
}

/// Checks hints files against a batch of `pictures` (each a `what`: photo or film) before anything is written: a
/// scribble fits one picture, and a `file` names a picture of the batch.
pub fn check_batch(files: &[HintFile], pictures: &[&Path], what: &str) -> Result<()> {
    for file in files {
        if file.size.is_some() && pictures.len() > 1 {
            anyhow::bail!(
                "hints {}: a scribble fits one {what}, and this batch has {} (give its {what} alone, or a CSV with a \
                 file column)",
                file.path.display(),
                pictures.len()
            );
        }
        file.check_names(pictures, what)?;
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
        let err = file
            .check_names(&[Path::new("in/a.png")], "photo")
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("b.png is not a photo of this batch"), "{err}");
    }

    /// Issue 30, bad 5: `file=a.mp4` painted both `d1/a.mp4` and `d2/a.mp4`, and nothing named just one.
    #[test]
    fn a_file_named_twice_in_a_batch_took_the_hint_on_both() {
        let (_dir, path) = write("x,y,colour,file\n1,2,#ff0000,d2/a.mp4\n");
        let file = read(&path).unwrap();
        let size = Size::new(40, 30);
        let (d1, d2) = (Path::new("d1/a.mp4"), Path::new("d2/a.mp4"));
        file.check_names(&[d1, d2], "film").unwrap();
        assert!(file.for_film(d1, size, 24.0, None).unwrap().is_empty());
        assert_eq!(file.for_film(d2, size, 24.0, None).unwrap().len(), 1);
        assert_eq!(
            file.for_film(Path::new("/abs/d2/a.mp4"), size, 24.0, None)
                .unwrap()
                .len(),
            1
        );
        let (_dir, path) = write("x,y,colour,file\n1,2,#ff0000,a.mp4\n");
        let err = read(&path)
            .unwrap()
            .check_names(&[d1, d2], "film")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a.mp4 names two films of this batch, d1/a.mp4 and d2/a.mp4"),
            "{err}"
        );
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
                .contains("line 3: time 2s (frame 48) is past the end of reel.mp4, whose last frame is 39 at 1.625s"),
            "{err}"
        );
        let err = file.for_photo(Path::new("a.png"), size).unwrap_err().to_string();
        assert!(err.contains("line 2: a frame or time places a hint on a film"), "{err}");
    }
}
