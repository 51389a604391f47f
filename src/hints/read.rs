//! Hints files read and checked row by row: CSV with named columns, or scribbles (scribble.rs); what is read of a
//! CSV is bounded, so that `/dev/zero` or a film given by mistake is refused at once.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};

use super::file::{ab_of_all, Hint, HintFile, Placed};
use super::scribble;
use crate::position::Position;

/// Radius (pixels) of a CSV hint without one: a point a person clicks covers a few pixels.
pub const RADIUS: f32 = 3.0;

/// Bytes a CSV hints file may hold: a million hints take a few tens of megabytes.
const MOST_BYTES: u64 = 256 << 20;

/// Reads a CSV hints file, a scribble (PNG), or a folder of scribbles named by frame, checking every row.
pub fn read(path: &Path) -> Result<HintFile> {
    let file = if path.is_dir() {
        scribble::folder(path)
    } else if crate::output::extension(path) == "png" {
        scribble::one(path)
    } else {
        csv_hints(path)
    };
    file.with_context(|| format!("hints {}", path.display()))
}

/// The text of a CSV hints file: refused at its first bytes when they are not text (a film, a picture,
/// `/dev/zero`), and when it holds more than `MOST_BYTES`.
fn csv_text(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).context("cannot read it")?;
    let mut reader = file.take(MOST_BYTES + 1);
    let mut bytes = Vec::new();
    // Read in blocks, so that what is not text is refused at its first block rather than at the bound.
    let mut block = vec![0u8; 64 << 10];
    loop {
        let n = reader.read(&mut block).context("cannot read it")?;
        if n == 0 {
            break;
        }
        ensure!(
            !block[..n].contains(&0),
            "not a hints file: it is not text (a hints file is a CSV, a scribble PNG, or a folder of scribbles)"
        );
        bytes.extend_from_slice(&block[..n]);
    }
    ensure!(
        bytes.len() as u64 <= MOST_BYTES,
        "more than {} MB, which is more than a hints file holds (a million hints take a few tens of MB)",
        MOST_BYTES >> 20
    );
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "not a hints file: byte {} is not UTF-8 text (a hints file is a CSV, a scribble PNG, or a folder of scribbles)",
            e.utf8_error().valid_up_to()
        )
    })
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
    let mut seen = Vec::new();
    for name in header {
        let known = ["x", "y", "colour", "color", "radius", "file", "frame", "time"];
        let name = name.trim().to_ascii_lowercase();
        ensure!(
            known.contains(&name.as_str()),
            "line 1: unknown column `{name}` (a hints file has x, y, colour, and optionally radius, file, and frame \
             or time)"
        );
        // Which of two would count is a guess: say so instead.
        let name = if name == "color" { "colour".to_string() } else { name };
        ensure!(!seen.contains(&name), "line 1: two `{name}` columns");
        seen.push(name);
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
    let text = csv_text(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let columns = columns(reader.headers().context("line 1")?)?;
    let mut hints = Vec::new();
    let mut places = Places::default();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let (placed, colour) = row(&record, &columns, line).with_context(|| format!("line {line}"))?;
        places.check(&placed, colour, line)?;
        hints.push(placed);
    }
    Ok(HintFile {
        path: path.to_path_buf(),
        hints,
        size: None,
        notes: Vec::new(),
    })
}

/// A pixel as rows name it: the picture, the frame or time as written, and x and y (as bits: they are floats).
type Place = (Option<String>, Option<String>, u32, u32);

/// Where each row put its colour, with the colour and the line.
#[derive(Default)]
struct Places(HashMap<Place, ([u8; 3], usize)>);

impl Places {
    /// Refuses a row that gives another colour than an earlier one to the same pixel of the same frame: which one
    /// was meant is not for colorize to guess.
    fn check(&mut self, placed: &Placed, colour: [u8; 3], line: usize) -> Result<()> {
        let at = placed.at.map(|at| match at {
            Position::Frame(i) => format!("frame {i}"),
            Position::Seconds(s) => format!("time {s}s"),
        });
        let key = (
            placed.file.clone(),
            at,
            placed.hint.x.to_bits(),
            placed.hint.y.to_bits(),
        );
        let on = key.1.clone();
        let (earlier, first) = *self.0.entry(key).or_insert((colour, line));
        let hex = |c: [u8; 3]| format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]);
        ensure!(
            earlier == colour,
            "line {line}: ({}, {}){} is {} here and {} on line {first} (keep one)",
            placed.hint.x,
            placed.hint.y,
            on.map(|on| format!(" on {on}")).unwrap_or_default(),
            hex(colour),
            hex(earlier)
        );
        Ok(())
    }
}

/// A row's hint, and its colour as written.
fn row(record: &csv::StringRecord, columns: &Columns, line: usize) -> Result<(Placed, [u8; 3])> {
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
        // A bare number is a frame to `--start` and may be seconds to a person: a time says its unit.
        (None, Some(time)) if time.parse::<f64>().is_ok() => {
            bail!("time `{time}` has no unit: write {time}s for seconds, or give a frame index in the frame column")
        }
        (None, Some(time)) => Some(time.parse::<Position>().map_err(|e| anyhow::anyhow!("time {e}"))?),
        (None, None) => None,
    };
    let colour = rgb(field(columns.colour, "colour")?)?;
    let hint = Hint {
        x: number(columns.x, "x")?,
        y: number(columns.y, "y")?,
        ab: ab_of(colour)?,
        radius,
    };
    let placed = Placed {
        hint,
        file: given(columns.file).map(str::to_string),
        at,
        line: Some(line),
    };
    Ok((placed, colour))
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

fn ab_of(rgb: [u8; 3]) -> Result<[f32; 2]> {
    Ok(ab_of_all(&[rgb])?[0])
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
            // Issue 30's weak cases: a second colour column, a time without its unit, two colours on one pixel.
            (
                "x,y,colour,color\n1,2,#ff0000,#00ff00\n",
                "line 1: two `colour` columns",
            ),
            (
                "x,y,colour,time\n1,2,#ff0000,20\n",
                "line 2: time `20` has no unit: write 20s for seconds",
            ),
            (
                "x,y,colour,frame\n1,2,#ff0000,4\n1,2,#ff0000,4\n1,2,#00ff00,5\n1,2,#0000ff,4\n",
                "line 5: (1, 2) on frame 4 is #0000ff here and #ff0000 on line 2 (keep one)",
            ),
            ("x,y,colour\n1,2,#ff0000\u{0}\n", "not a hints file: it is not text"),
        ] {
            let (_dir, path) = write(text);
            let err = format!("{:#}", read(&path).err().unwrap());
            assert!(err.contains(said), "{err}");
            assert!(err.contains("hints.csv"), "{err}");
        }
    }

    /// Issue 30, bad 11: what is read of a hints file is bounded (`/dev/zero` was read until the kernel killed
    /// the run), and a million hints, tens of megabytes, still read.
    #[test]
    fn hints_from_dev_zero_were_read_without_end() {
        let err = format!("{:#}", read(Path::new("/dev/zero")).err().unwrap());
        assert!(err.contains("/dev/zero: not a hints file: it is not text"), "{err}");
        let mut text = String::from("x,y,colour,frame\n");
        for i in 0..1_000_000 {
            text.push_str(&format!("{},{},#3c8c3c,{}\n", i % 1000, i / 1000, i % 7));
        }
        assert!(text.len() > 16 << 20, "{} bytes", text.len());
        let (_dir, path) = write(&text);
        assert_eq!(read(&path).unwrap().hints.len(), 1_000_000);
    }
}
