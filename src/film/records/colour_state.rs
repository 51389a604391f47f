//! The colour carried from one frame to the next (`ColourState`), as the resume record keeps it: three a/b images
//! (the last prediction, the last keyframe's colour, what colour hints added), each its rows and columns (u32,
//! little-endian; 0 rows for none) and its values (two f32 a pixel).

use anyhow::{ensure, Context, Result};
use opencv::core::{Mat, CV_32FC2};
use opencv::prelude::*;

use crate::film::colour::painter::ColourState;

/// Appends `colour` to `out`.
pub fn encode(out: &mut Vec<u8>, colour: &ColourState) -> Result<()> {
    for m in [&colour.last_ab, &colour.key, &colour.correction] {
        encode_mat(out, m)?;
    }
    Ok(())
}

/// Reads a colour state from the start of `bytes`, and moves past it.
pub fn decode(bytes: &mut &[u8]) -> Result<ColourState> {
    Ok(ColourState {
        last_ab: decode_mat(bytes)?,
        key: decode_mat(bytes)?,
        correction: decode_mat(bytes)?,
    })
}

fn encode_mat(out: &mut Vec<u8>, m: &Option<Mat>) -> Result<()> {
    match m {
        None => out.extend_from_slice(&[0u8; 8]),
        Some(m) => {
            out.extend_from_slice(&(m.rows() as u32).to_le_bytes());
            out.extend_from_slice(&(m.cols() as u32).to_le_bytes());
            out.extend_from_slice(m.data_bytes()?);
        }
    }
    Ok(())
}

fn decode_mat(bytes: &mut &[u8]) -> Result<Option<Mat>> {
    ensure!(bytes.len() >= 8, "cut short");
    let rows = u32::from_le_bytes(bytes[..4].try_into()?) as usize;
    let cols = u32::from_le_bytes(bytes[4..8].try_into()?) as usize;
    *bytes = &bytes[8..];
    if rows == 0 {
        return Ok(None);
    }
    let len = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(8))
        .context("too large")?;
    ensure!(rows <= 4096 && cols <= 4096 && bytes.len() >= len, "cut short");
    let mut m = Mat::new_rows_cols_with_default(rows as i32, cols as i32, CV_32FC2, 0.0.into())?;
    m.data_bytes_mut()?.copy_from_slice(&bytes[..len]);
    *bytes = &bytes[len..];
    Ok(Some(m))
}
