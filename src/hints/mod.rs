//! Colour hints: "this coat was green". A hints file names pixels of the source picture and the colour they had;
//! read and checked here, before anything is written, then spread over the picture (spread.rs).
//!
//! Two ways to give them: a CSV file whose header names its columns (`x`, `y`, `colour` or `color` as `#rrggbb`,
//! optional `radius` in pixels, and for a batch of photos `file`), or a scribble: a PNG with alpha, the size of the
//! photo, every opaque pixel of which is a hint of its own colour.

mod spread;

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use opencv::core::{self, Mat, Vec3f, Vec4b};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};

pub use spread::spread;

/// Radius (pixels) of a CSV hint without one: a point a person clicks covers a few pixels.
const RADIUS: f32 = 3.0;

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

/// The hints of one file, and the photo each belongs to when the file says.
pub struct HintFile {
    pub path: PathBuf,
    pub hints: Vec<(Option<String>, Hint)>,
    /// A scribble, which fits one picture of its own size.
    pub size: Option<core::Size>,
}

impl HintFile {
    /// Reads a CSV hints file or a scribble (PNG), checking every row.
    pub fn read(path: &Path) -> Result<HintFile> {
        let hints = if crate::output::extension(path) == "png" {
            scribble(path)
        } else {
            csv_hints(path)
        };
        hints.with_context(|| format!("hints {}", path.display()))
    }

    /// The hints that fall on `photo` (of `size`), checked to lie inside it.
    pub fn for_photo(&self, photo: &Path, size: core::Size) -> Result<Vec<Hint>> {
        if let Some(scribble) = self.size {
            ensure!(
                scribble == size,
                "hints {}: the scribble is {}x{}, the photo {}x{}",
                self.path.display(),
                scribble.width,
                scribble.height,
                size.width,
                size.height
            );
        }
        let name = photo.file_name().map(|n| n.to_string_lossy().into_owned());
        let mut hints = Vec::new();
        for (file, hint) in &self.hints {
            if file.is_some() && *file != name {
                continue;
            }
            ensure!(
                hint.x >= 0.0 && hint.y >= 0.0 && hint.x < size.width as f32 && hint.y < size.height as f32,
                "hints {}: the hint at ({}, {}) is outside {} ({}x{})",
                self.path.display(),
                hint.x,
                hint.y,
                photo.display(),
                size.width,
                size.height
            );
            hints.push(hint.clone());
        }
        Ok(hints)
    }

    /// The photos this file names that are not among `names`.
    pub fn strangers<'a>(&'a self, names: &[String]) -> Vec<&'a str> {
        let mut strangers: Vec<&str> = self
            .hints
            .iter()
            .filter_map(|(file, _)| file.as_deref())
            .filter(|file| !names.iter().any(|n| n == file))
            .collect();
        strangers.dedup();
        strangers
    }
}

/// The columns a CSV hints file may have.
struct Columns {
    x: usize,
    y: usize,
    colour: usize,
    radius: Option<usize>,
    file: Option<usize>,
}

fn columns(header: &csv::StringRecord) -> Result<Columns> {
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()))
    };
    for name in header {
        let known = ["x", "y", "colour", "color", "radius", "file"];
        ensure!(
            known.contains(&name.trim().to_ascii_lowercase().as_str()),
            "line 1: unknown column `{name}` (a hints file has x, y, colour, and optionally radius and file)"
        );
    }
    let needed = |names: &[&str]| find(names).with_context(|| format!("line 1: no `{}` column", names[0]));
    Ok(Columns {
        x: needed(&["x"])?,
        y: needed(&["y"])?,
        colour: needed(&["colour", "color"])?,
        radius: find(&["radius"]),
        file: find(&["file"]),
    })
}

fn csv_hints(path: &Path) -> Result<HintFile> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .context("cannot read it")?;
    let columns = columns(reader.headers().context("line 1")?)?;
    let mut hints = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let hint = row(&record, &columns).with_context(|| format!("line {line}"))?;
        hints.push(hint);
    }
    Ok(HintFile {
        path: path.to_path_buf(),
        hints,
        size: None,
    })
}

fn row(record: &csv::StringRecord, columns: &Columns) -> Result<(Option<String>, Hint)> {
    let field = |i: usize, what: &str| {
        record
            .get(i)
            .filter(|f| !f.is_empty())
            .with_context(|| format!("no {what}"))
    };
    let number = |i: usize, what: &str| -> Result<f32> {
        let text = field(i, what)?;
        text.parse::<f32>()
            .ok()
            .filter(|v| v.is_finite())
            .with_context(|| format!("{what} `{text}` is not a number"))
    };
    let radius = match columns.radius {
        Some(i) if record.get(i).is_some_and(|r| !r.is_empty()) => number(i, "radius")?,
        _ => RADIUS,
    };
    ensure!(radius >= 0.0, "radius {radius} is negative");
    let colour = field(columns.colour, "colour")?;
    let hint = Hint {
        x: number(columns.x, "x")?,
        y: number(columns.y, "y")?,
        ab: ab_of(rgb(colour)?)?,
        radius,
    };
    let file = columns.file.and_then(|i| record.get(i)).filter(|f| !f.is_empty());
    Ok((file.map(str::to_string), hint))
}

/// `#rrggbb` as 8-bit RGB.
fn rgb(text: &str) -> Result<[u8; 3]> {
    let hex = text.strip_prefix('#').unwrap_or(text);
    let channel = |i: usize| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
    match (hex.len(), channel(0), channel(2), channel(4)) {
        (6, Some(r), Some(g), Some(b)) => Ok([r, g, b]),
        _ => bail!("colour `{text}` is not #rrggbb"),
    }
}

/// a/b of 8-bit RGB colours, as the network's output is: float RGB in 0..1 to CIE Lab.
fn ab_of_all(rgb: &[[u8; 3]]) -> Result<Vec<[f32; 2]>> {
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

fn ab_of(rgb: [u8; 3]) -> Result<[f32; 2]> {
    Ok(ab_of_all(&[rgb])?[0])
}

/// A scribble: every opaque pixel of a PNG with alpha is a hint of its colour, one pixel wide.
fn scribble(path: &Path) -> Result<HintFile> {
    let picture = imgcodecs::imread(path, imgcodecs::IMREAD_UNCHANGED)
        .ok()
        .filter(|m| !m.empty())
        .context("cannot read it as a PNG")?;
    ensure!(
        picture.channels() == 4 && picture.depth() == core::CV_8U,
        "a scribble needs an alpha channel (8-bit RGBA): export the layer you drew on as PNG with transparency"
    );
    let width = picture.cols() as usize;
    let (mut places, mut colours) = (Vec::new(), Vec::new());
    for (i, px) in picture.data_typed::<Vec4b>()?.iter().enumerate() {
        if px[3] == 255 {
            places.push(((i % width) as f32, (i / width) as f32));
            colours.push([px[2], px[1], px[0]]);
        }
    }
    let hints = places
        .into_iter()
        .zip(ab_of_all(&colours)?)
        .map(|((x, y), ab)| (None, Hint { x, y, ab, radius: 0.0 }))
        .collect();
    Ok(HintFile {
        path: path.to_path_buf(),
        hints,
        size: Some(picture.size()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hints.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_csv_names_its_columns_in_any_order_and_radius_defaults() {
        let (_dir, path) = write("colour,y,x,radius\n#ff0000, 10, 20,\n#00FF00,5,6,8\n");
        let file = HintFile::read(&path).unwrap();
        assert_eq!(file.hints.len(), 2);
        let (_, red) = &file.hints[0];
        assert_eq!((red.x, red.y, red.radius), (20.0, 10.0, RADIUS));
        // Pure red in CIE Lab, as OpenCV converts it: a about 80, b about 67.
        assert!(
            (red.ab[0] - 80.1).abs() < 0.5 && (red.ab[1] - 67.2).abs() < 0.5,
            "{:?}",
            red.ab
        );
        assert_eq!(file.hints[1].1.radius, 8.0);
        let (_spelled_dir, spelled) = write("x,y,color\n1,2,#0000ff\n");
        assert_eq!(HintFile::read(&spelled).unwrap().hints.len(), 1);
    }

    #[test]
    fn bad_rows_name_their_line() {
        for (text, said) in [
            (
                "x,y,colour\n1,2,#ff0000\n3,4,green\n",
                "line 3: colour `green` is not #rrggbb",
            ),
            ("x,y,colour\n1,two,#ff0000\n", "line 2: y `two` is not a number"),
            ("x,y\n1,2\n", "line 1: no `colour` column"),
            ("x,y,colour,frame\n1,2,#ff0000,3\n", "line 1: unknown column `frame`"),
            ("x,y,colour,radius\n1,2,#ff0000,-1\n", "line 2: radius -1 is negative"),
        ] {
            let (_dir, path) = write(text);
            let err = format!("{:#}", HintFile::read(&path).err().unwrap());
            assert!(err.contains(said), "{err}");
            assert!(err.contains("hints.csv"), "{err}");
        }
    }

    #[test]
    fn hints_outside_the_photo_or_for_another_photo() {
        let (_dir, path) = write("x,y,colour,file\n1,2,#ff0000,a.png\n50,2,#ff0000,b.png\n");
        let file = HintFile::read(&path).unwrap();
        let size = core::Size::new(40, 30);
        assert_eq!(file.for_photo(Path::new("in/a.png"), size).unwrap().len(), 1);
        let err = file.for_photo(Path::new("b.png"), size).unwrap_err().to_string();
        assert!(err.contains("outside b.png (40x30)"), "{err}");
        assert_eq!(file.strangers(&["a.png".into()]), ["b.png"]);
    }
}
