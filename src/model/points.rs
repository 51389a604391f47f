//! The 313 (a, b) cluster centres the network's classes stand for, built in and optionally read from a `.npy` file.

use std::path::Path;

use anyhow::{bail, ensure, Context, Result};

pub type Centres = [[f32; 2]; 313];

/// The published centres (pts_in_hull.npy): the in-gamut points of a 10-unit a/b grid. For each a from -90 to
/// 100 in steps of 10, b runs over the inclusive range below, also in steps of 10.
const B_RANGES: [(i32, i32, i32); 20] = [
    (-90, 50, 90),
    (-80, 20, 90),
    (-70, 0, 90),
    (-60, -20, 90),
    (-50, -30, 100),
    (-40, -40, 100),
    (-30, -50, 100),
    (-20, -50, 100),
    (-10, -60, 100),
    (0, -70, 100),
    (10, -80, 90),
    (20, -80, 90),
    (30, -90, 90),
    (40, -100, 90),
    (50, -100, 80),
    (60, -110, 80),
    (70, -110, 80),
    (80, -110, 70),
    (90, -110, 70),
    (100, -90, 0),
];

pub static CENTRES: Centres = expand(B_RANGES);

const fn expand(ranges: [(i32, i32, i32); 20]) -> Centres {
    let mut out = [[0.0; 2]; 313];
    let (mut n, mut row) = (0, 0);
    while row < ranges.len() {
        let (a, lo, hi) = ranges[row];
        let mut b = lo;
        while b <= hi {
            out[n] = [a as f32, b as f32];
            n += 1;
            b += 10;
        }
        row += 1;
    }
    assert!(n == 313);
    out
}

/// Reads a points file such as `pts_in_hull.npy`: shape (313, 2), integer or float, little-endian.
pub fn read(path: &Path) -> Result<Centres> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read points file {}", path.display()))?;
    parse_npy(&bytes).with_context(|| format!("points file {} is unusable", path.display()))
}

/// Parses the `.npy` bytes of a (313, 2) array of a/b centres.
pub fn parse_npy(bytes: &[u8]) -> Result<Centres> {
    let rest = bytes
        .strip_prefix(b"\x93NUMPY")
        .context("not a .npy file (no NUMPY magic)")?;
    ensure!(rest.len() >= 2, "the .npy header is cut short");
    let (header_len, rest) = match rest[0] {
        1 if rest.len() >= 4 => (usize::from(u16::from_le_bytes([rest[2], rest[3]])), &rest[4..]),
        2 | 3 if rest.len() >= 6 => (
            u32::from_le_bytes([rest[2], rest[3], rest[4], rest[5]]) as usize,
            &rest[6..],
        ),
        v => bail!("unsupported .npy version {v}"),
    };
    ensure!(header_len <= rest.len(), "the .npy header is cut short");
    let header = std::str::from_utf8(&rest[..header_len]).context("the .npy header is not text")?;
    let data = &rest[header_len..];

    let descr = dict_value(header, "descr").context("the .npy header has no 'descr'")?;
    let fortran = dict_value(header, "fortran_order").context("the .npy header has no 'fortran_order'")?;
    let shape = dict_value(header, "shape").context("the .npy header has no 'shape'")?;
    let shape: String = shape.chars().filter(|c| !c.is_whitespace()).collect();
    ensure!(shape == "(313,2)", "expected shape (313, 2), found {shape:?}");

    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let (size, read): (usize, fn(&[u8]) -> f64) = match descr {
        "<i8" => (8, |b| i64::from_le_bytes(b.try_into().unwrap()) as f64),
        "<i4" => (4, |b| f64::from(i32::from_le_bytes(b.try_into().unwrap()))),
        "<f8" => (8, |b| f64::from_le_bytes(b.try_into().unwrap())),
        "<f4" => (4, |b| f64::from(f32::from_le_bytes(b.try_into().unwrap()))),
        other => bail!("unsupported dtype {other:?} (expected int64, int32, float64 or float32, little-endian)"),
    };
    ensure!(
        data.len() == 313 * 2 * size,
        "expected {} bytes of data, found {}",
        313 * 2 * size,
        data.len()
    );

    let fortran = match fortran {
        "False" => false,
        "True" => true,
        other => bail!("unreadable fortran_order {other:?}"),
    };
    let mut out = [[0.0f32; 2]; 313];
    for (i, chunk) in data.chunks_exact(size).enumerate() {
        let (row, col) = if fortran { (i % 313, i / 313) } else { (i / 2, i % 2) };
        let v = read(chunk);
        ensure!(
            v.is_finite() && v.abs() <= 128.0,
            "value {v} at row {row} is not an a/b coordinate"
        );
        out[row][col] = v as f32;
    }
    Ok(out)
}

/// The text of `key`'s value in the Python dict literal of a .npy header, up to the next top-level comma.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let start = header.find(&format!("'{key}'"))? + key.len() + 2;
    let after = header[start..].trim_start().strip_prefix(':')?.trim_start();
    let mut depth = 0i32;
    for (i, c) in after.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | '}' if depth == 0 => return Some(after[..i].trim()),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, fortran: bool, data: &[u8]) -> Vec<u8> {
        let mut header = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn centres_as<const N: usize>(f: impl Fn(f32) -> [u8; N]) -> Vec<u8> {
        CENTRES.iter().flatten().flat_map(|&v| f(v)).collect()
    }

    #[test]
    fn built_in_centres_have_the_published_shape() {
        assert_eq!(CENTRES[0], [-90.0, 50.0]);
        assert_eq!(CENTRES[312], [100.0, 0.0]);
        assert!(CENTRES.iter().flatten().all(|v| v % 10.0 == 0.0));
        let a_range = CENTRES.iter().map(|p| p[0] as i32);
        assert_eq!((a_range.clone().min(), a_range.max()), (Some(-90), Some(100)));
    }

    #[test]
    fn reads_int64_float32_and_fortran_order() {
        let i8 = npy("<i8", "(313, 2)", false, &centres_as(|v| (v as i64).to_le_bytes()));
        assert_eq!(parse_npy(&i8).unwrap(), CENTRES);
        let f4 = npy("<f4", "(313, 2)", false, &centres_as(f32::to_le_bytes));
        assert_eq!(parse_npy(&f4).unwrap(), CENTRES);
        let columns: Vec<u8> = (0..2)
            .flat_map(|c| CENTRES.iter().flat_map(move |p| (p[c] as f64).to_le_bytes()))
            .collect();
        assert_eq!(parse_npy(&npy("<f8", "(313, 2)", true, &columns)).unwrap(), CENTRES);
    }

    #[test]
    fn refuses_wrong_shape_dtype_and_length() {
        let data = centres_as(|v| (v as i64).to_le_bytes());
        let err = parse_npy(&npy("<i8", "(2, 313)", false, &data)).unwrap_err();
        assert!(err.to_string().contains("shape"), "{err}");
        let err = parse_npy(&npy(">i8", "(313, 2)", false, &data)).unwrap_err();
        assert!(err.to_string().contains("dtype"), "{err}");
        let err = parse_npy(&npy("<i8", "(313, 2)", false, &data[..100])).unwrap_err();
        assert!(err.to_string().contains("bytes"), "{err}");
        assert!(parse_npy(b"\x93NUMPY").is_err());
        assert!(parse_npy(b"PK\x03\x04").is_err());
    }

    #[test]
    fn matches_the_published_file() {
        let Some(path) = crate::shared_files::shared("model/pts_in_hull.npy", "matches_the_published_file") else {
            return;
        };
        assert_eq!(read(&path).unwrap(), CENTRES);
    }
}
