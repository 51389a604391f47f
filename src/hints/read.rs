//! Hints files read and checked row by row: CSV with named columns, a scribble, or a folder of scribbles named by
//! the frame each is drawn on.

use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use opencv::core::{self, Mat, Size, Vec3f, Vec4b};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};

use super::file::{Hint, HintFile, Placed};
use crate::position::Position;

/// Radius (pixels) of a CSV hint without one: a point a person clicks covers a few pixels.
pub const RADIUS: f32 = 3.0;

/// Reads a CSV hints file, a scribble (PNG), or a folder of scribbles named by frame, checking every row.
pub fn read(path: &Path) -> Result<HintFile> {
    let file = if path.is_dir() {
        folder(path)
    } else if crate::output::extension(path) == "png" {
        scribble(path).map(|(hints, size)| HintFile {
            path: path.to_path_buf(),
            hints: placed_at(hints, frame_named(path)),
            size: Some(size),
        })
    } else {
        csv_hints(path)
    };
    file.with_context(|| format!("hints {}", path.display()))
}

/// The columns a CSV hints file may have.
struct Columns {
    x: usize,
    y: usize,
    colour: usize,
    radius: Option<usize>,
    file: Option<usize>,
    frame: Option<usize>,
    time: Option<usize>,
}

fn columns(header: &csv::StringRecord) -> Result<Columns> {
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.trim().to_ascii_lowercase().as_str()))
    };
    for name in header {
        let known = ["x", "y", "colour", "color", "radius", "file", "frame", "time"];
        ensure!(
            known.contains(&name.trim().to_ascii_lowercase().as_str()),
            "line 1: unknown column `{name}` (a hints file has x, y, colour, and optionally radius, file, and frame \
             or time)"
        );
    }
    let needed = |names: &[&str]| find(names).with_context(|| format!("line 1: no `{}` column", names[0]));
    Ok(Columns {
        x: needed(&["x"])?,
        y: needed(&["y"])?,
        colour: needed(&["colour", "color"])?,
        radius: find(&["radius"]),
        file: find(&["file"]),
        frame: find(&["frame"]),
        time: find(&["time"]),
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
        let line = record.position().map_or(0, |p| p.line() as usize);
        let placed = row(&record, &columns, line).with_context(|| format!("line {line}"))?;
        hints.push(placed);
    }
    Ok(HintFile {
        path: path.to_path_buf(),
        hints,
        size: None,
    })
}

fn row(record: &csv::StringRecord, columns: &Columns, line: usize) -> Result<Placed> {
    let given = |i: Option<usize>| i.and_then(|i| record.get(i)).filter(|f| !f.is_empty());
    let field = |i: usize, what: &str| given(Some(i)).with_context(|| format!("no {what}"));
    let number = |i: usize, what: &str| -> Result<f32> {
        let text = field(i, what)?;
        text.parse::<f32>()
            .ok()
            .filter(|v| v.is_finite())
            .with_context(|| format!("{what} `{text}` is not a number"))
    };
    let radius = match columns.radius {
        Some(i) if given(Some(i)).is_some() => number(i, "radius")?,
        _ => RADIUS,
    };
    ensure!(radius >= 0.0, "radius {radius} is negative");
    let at = match (given(columns.frame), given(columns.time)) {
        (Some(_), Some(_)) => bail!("give a frame or a time, not both"),
        (Some(frame), None) => Some(Position::Frame(
            frame
                .parse()
                .ok()
                .with_context(|| format!("frame `{frame}` is not a frame index"))?,
        )),
        (None, Some(time)) => Some(time.parse::<Position>().map_err(|e| anyhow::anyhow!("time {e}"))?),
        (None, None) => None,
    };
    let colour = field(columns.colour, "colour")?;
    let hint = Hint {
        x: number(columns.x, "x")?,
        y: number(columns.y, "y")?,
        ab: ab_of(rgb(colour)?)?,
        radius,
    };
    Ok(Placed {
        hint,
        file: given(columns.file).map(str::to_string),
        at,
        line: Some(line),
    })
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
fn scribble(path: &Path) -> Result<(Vec<Hint>, Size)> {
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
        .map(|((x, y), ab)| Hint { x, y, ab, radius: 0.0 })
        .collect();
    Ok((hints, picture.size()?))
}

fn placed_at(hints: Vec<Hint>, at: Option<Position>) -> Vec<Placed> {
    hints
        .into_iter()
        .map(|hint| Placed {
            hint,
            file: None,
            at,
            line: None,
        })
        .collect()
}

/// The frame a scribble is drawn on, from its name: `000120.png`, or `frame_000120.png` as colorize names frames.
fn frame_named(path: &Path) -> Option<Position> {
    let stem = path.file_stem()?.to_str()?;
    let digits = stem.strip_prefix("frame_").unwrap_or(stem);
    digits.parse().ok().map(Position::Frame)
}

/// A film's scribbles: every PNG of the folder, each named by the frame it is drawn on, all of one size.
fn folder(dir: &Path) -> Result<HintFile> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .context("cannot list it")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| crate::output::extension(p) == "png")
        .collect();
    paths.sort();
    let mut hints = Vec::new();
    let mut size: Option<Size> = None;
    for path in paths {
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let at = frame_named(&path)
            .with_context(|| format!("{name} is not named by its frame (000120.png or frame_000120.png)"))?;
        let (drawn, drawn_size) = scribble(&path).with_context(|| name.clone())?;
        if let Some(size) = size.filter(|&s| s != drawn_size) {
            bail!(
                "{name} is {}x{}, the scribbles before it {}x{}",
                drawn_size.width,
                drawn_size.height,
                size.width,
                size.height
            );
        }
        size = Some(drawn_size);
        hints.extend(placed_at(drawn, Some(at)));
    }
    Ok(HintFile {
        path: dir.to_path_buf(),
        hints,
        size,
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A hints file holding `text`, in a folder of its own.
    pub fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hints.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_csv_names_its_columns_in_any_order_and_radius_defaults() {
        let (_dir, path) = write("colour,y,x,radius\n#ff0000, 10, 20,\n#00FF00,5,6,8\n");
        let file = read(&path).unwrap();
        assert_eq!(file.hints.len(), 2);
        let red = &file.hints[0].hint;
        assert_eq!((red.x, red.y, red.radius), (20.0, 10.0, RADIUS));
        // Pure red in CIE Lab, as OpenCV converts it: a about 80, b about 67.
        assert!(
            (red.ab[0] - 80.1).abs() < 0.5 && (red.ab[1] - 67.2).abs() < 0.5,
            "{:?}",
            red.ab
        );
        assert_eq!(file.hints[1].hint.radius, 8.0);
        assert_eq!(file.hints[1].line, Some(3));
        let (_spelled_dir, spelled) = write("x,y,color\n1,2,#0000ff\n");
        assert_eq!(read(&spelled).unwrap().hints.len(), 1);
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
            ("x,y,colour,shot\n1,2,#ff0000,3\n", "line 1: unknown column `shot`"),
            ("x,y,colour,radius\n1,2,#ff0000,-1\n", "line 2: radius -1 is negative"),
            (
                "x,y,colour,frame\n1,2,#ff0000,-3\n",
                "line 2: frame `-3` is not a frame index",
            ),
            ("x,y,colour,time\n1,2,#ff0000,soon\n", "line 2: time 'soon' is neither"),
            (
                "x,y,colour,frame,time\n1,2,#ff0000,3,1s\n",
                "line 2: give a frame or a time",
            ),
        ] {
            let (_dir, path) = write(text);
            let err = format!("{:#}", read(&path).err().unwrap());
            assert!(err.contains(said), "{err}");
            assert!(err.contains("hints.csv"), "{err}");
        }
    }

    #[test]
    fn scribbles_are_named_by_their_frame() {
        assert_eq!(frame_named(Path::new("d/000120.png")), Some(Position::Frame(120)));
        assert_eq!(frame_named(Path::new("frame_000007.png")), Some(Position::Frame(7)));
        assert_eq!(frame_named(Path::new("coat.png")), None);
    }
}
