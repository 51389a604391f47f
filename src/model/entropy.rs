//! How sure the network is: the entropy of its 313-colour distribution at each pixel, normalised so that 0 is
//! one colour for certain and 1 is every colour alike. Computed only when a review page asks for it.

use anyhow::{ensure, Result};
use opencv::core::{Mat, CV_32F};
use opencv::prelude::*;

/// The colours the network chooses among (the bins of the a/b gamut, Zhang et al. section 3.1).
pub const COLOURS: usize = 313;

/// A keyframe's uncertainty: the normalised entropy at each pixel of the network's output grid, and its mean.
pub struct Uncertainty {
    /// H x W, CV_32F, 0..=1.
    pub map: Mat,
    pub mean: f64,
}

/// The uncertainty of each item of the network's N x 313 x H x W logits (the layer before the softmax), under
/// the network's own softmax: the distribution it was trained to give, whatever temperature colours the frames.
pub fn uncertainty(logits: &Mat) -> Result<Vec<Uncertainty>> {
    let dims = logits.mat_size();
    ensure!(
        dims.len() == 4 && dims[1] as usize == COLOURS,
        "unexpected shape of the network's distribution"
    );
    let (rows, cols) = (dims[2], dims[3]);
    let data = logits.data_typed::<f32>()?;
    let each = COLOURS * (rows * cols) as usize;
    data.chunks_exact(each)
        .map(|item| {
            let entropy = normalised_entropy(item, (rows * cols) as usize);
            let mean = entropy.iter().map(|&h| f64::from(h)).sum::<f64>() / entropy.len().max(1) as f64;
            let map = Mat::new_rows_cols_with_data(rows, cols, &entropy)?.try_clone()?;
            debug_assert_eq!(map.typ(), CV_32F);
            Ok(Uncertainty { map, mean })
        })
        .collect()
}

/// Entropy of softmax(logits) over the colours at each of `pixels` pixels, divided by ln 313. `logits` is
/// channel-major (all pixels of colour 0, then of colour 1, ...), as the network lays it out; walking it in that
/// order keeps the loop on contiguous memory.
fn normalised_entropy(logits: &[f32], pixels: usize) -> Vec<f32> {
    let mut max = vec![f32::NEG_INFINITY; pixels];
    for channel in logits.chunks_exact(pixels) {
        for (m, &z) in max.iter_mut().zip(channel) {
            *m = m.max(z);
        }
    }
    // With p = e^(z - max) / S: H = ln S - sum(e^(z - max) (z - max)) / S.
    let (mut sum, mut weighted) = (vec![0f32; pixels], vec![0f32; pixels]);
    for channel in logits.chunks_exact(pixels) {
        for (((s, w), &m), &z) in sum.iter_mut().zip(&mut weighted).zip(&max).zip(channel) {
            let shifted = z - m;
            let e = shifted.exp();
            *s += e;
            *w += e * shifted;
        }
    }
    let scale = (COLOURS as f32).ln();
    sum.iter()
        .zip(&weighted)
        .map(|(&s, &w)| ((s.ln() - w / s) / scale).clamp(0.0, 1.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logits for `pixels` pixels, each colour's logit given by `logit(colour, pixel)`, in the network's layout.
    fn logits(pixels: usize, logit: impl Fn(usize, usize) -> f32) -> Vec<f32> {
        (0..COLOURS)
            .flat_map(|c| (0..pixels).map(move |p| (c, p)))
            .map(|(c, p)| logit(c, p))
            .collect()
    }

    #[test]
    fn uniform_is_one_and_one_hot_is_zero() {
        // Pixel 0: every colour alike (at any level); pixel 1: colour 7 far above the rest; pixel 2: two colours.
        let z = logits(3, |c, p| match p {
            0 => 4.0,
            1 if c == 7 => 200.0,
            1 => 0.0,
            _ if c < 2 => 50.0,
            _ => -50.0,
        });
        let h = normalised_entropy(&z, 3);
        assert!((h[0] - 1.0).abs() < 1e-5, "uniform: {}", h[0]);
        assert!(h[1].abs() < 1e-6, "one-hot: {}", h[1]);
        // Two colours alike: ln 2 / ln 313.
        assert!((h[2] - 2f32.ln() / 313f32.ln()).abs() < 1e-5, "two colours: {}", h[2]);
    }

    #[test]
    fn a_blob_gives_a_map_per_item_and_its_mean() {
        let (rows, cols) = (2, 3);
        let sure = logits(6, |c, _| if c == 0 { 100.0 } else { 0.0 });
        let unsure = logits(6, |_, _| 0.5);
        let both: Vec<f32> = sure.into_iter().chain(unsure).collect();
        let blob = Mat::from_slice(&both)
            .unwrap()
            .reshape_nd(1, &[2, COLOURS as i32, rows, cols])
            .unwrap()
            .try_clone()
            .unwrap();
        let items = uncertainty(&blob).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].map.size().unwrap(), opencv::core::Size::new(cols, rows));
        assert!(items[0].mean < 1e-6 && (items[1].mean - 1.0).abs() < 1e-5);
    }
}
