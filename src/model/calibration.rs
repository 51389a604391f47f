//! The pictures the int8 network is calibrated on: made here, the same on every machine, so that no picture has
//! to be shipped and every run quantizes alike.
//!
//! OpenCV calibrates by the least and greatest value each layer gives on these pictures, so what they must cover
//! is the range real pictures drive the network through, not their look: shading over several scales (value
//! noise), flat black and white areas (hard contrast, clipped: shadows, skies, the black background of a portrait)
//! and sharp edges (flat shapes). Without the clipped contrast and the black and white shapes, the Einstein
//! portrait's black background came 5.7 dB further from `--exact`.

use anyhow::Result;
use opencv::core::{self, Mat, Point, Rect, Size, CV_32F, CV_8U};
use opencv::imgproc;
use opencv::prelude::*;

use crate::lab::{self, Recipe};

/// How many pictures, and their side. At half the network's 224 each costs a quarter of a forward pass; on the
/// full-size stand-in 4 pictures at 112 came as close to `--exact` as 8 at 224 (and 64 was too small for the
/// deepest layers, which see it at 8x8).
const PICTURES: u64 = 4;
const SIDE: i32 = 112;

/// The calibration pictures as the network's input: one Nx1xSxS blob.
pub fn blob() -> Result<Mat> {
    let inputs = (0..PICTURES)
        .map(|seed| lab::prepare(&picture(seed + 1, SIDE)?, Recipe::Eccv16, SIDE).map(|p| p.input))
        .collect::<Result<Vec<_>>>()?;
    lab::stack(&inputs.iter().collect::<Vec<_>>())
}

/// splitmix64: a seeded uniform source, so every machine makes the same pictures.
struct Uniform(u64);

impl Uniform {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Shading at four scales, from a third of the picture to two pixels, with these weights.
const OCTAVES: [(i32, f64); 4] = [(3, 0.5), (8, 0.3), (28, 0.15), (112, 0.05)];

/// One gray picture, as 8-bit BGR: value noise, stretched to a random contrast around a random level, with six
/// flat discs and rectangles (black, white or gray) over it.
fn picture(seed: u64, side: i32) -> Result<Mat> {
    let mut rng = Uniform(seed);
    let mut shade = Mat::new_rows_cols_with_default(side, side, CV_32F, 0.0.into())?;
    for (cells, weight) in OCTAVES {
        let cells = (cells * side / 224).max(2);
        let values: Vec<f32> = (0..cells * cells).map(|_| rng.next() as f32).collect();
        let coarse = Mat::from_slice(&values)?.reshape(1, cells)?.try_clone()?;
        let mut fine = Mat::default();
        imgproc::resize(
            &coarse,
            &mut fine,
            Size::new(side, side),
            0.0,
            0.0,
            imgproc::INTER_CUBIC,
        )?;
        let mut sum = Mat::default();
        core::add_weighted(&shade, 1.0, &fine, weight, 0.0, &mut sum, -1)?;
        shade = sum;
    }
    let (gain, level) = (1.0 + 3.0 * rng.next(), rng.next());
    let mut picture = Mat::default();
    shade.convert_to(&mut picture, CV_32F, gain, level - 0.5 * gain)?;
    let scale = f64::from(side) / 224.0;
    for _ in 0..6 {
        let centre = Point::new(
            (rng.next() * f64::from(side)) as i32,
            (rng.next() * f64::from(side)) as i32,
        );
        let radius = ((10.0 + rng.next() * 56.0) * scale) as i32;
        let value = match (rng.next() * 3.0) as u32 {
            0 => 0.0,
            1 => 1.0,
            _ => rng.next(),
        };
        if rng.next() < 0.5 {
            imgproc::circle(&mut picture, centre, radius, value.into(), -1, imgproc::LINE_8, 0)?;
        } else {
            let rect = Rect::new(centre.x - radius, centre.y - radius / 2, 2 * radius, radius);
            imgproc::rectangle(&mut picture, rect, value.into(), -1, imgproc::LINE_8, 0)?;
        }
    }
    // Saturating: what the contrast pushed past black or white is black or white.
    let mut gray = Mat::default();
    picture.convert_to(&mut gray, CV_8U, 255.0, 0.0)?;
    let mut bgr = Mat::default();
    imgproc::cvt_color_def(&gray, &mut bgr, imgproc::COLOR_GRAY2BGR)?;
    Ok(bgr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(seed: u64) -> Vec<u8> {
        picture(seed, SIDE).unwrap().data_bytes().unwrap().to_vec()
    }

    #[test]
    fn every_run_makes_the_same_pictures_and_each_seed_another() {
        assert_eq!(levels(1), levels(1));
        assert_ne!(levels(1), levels(2));
        let blob = blob().unwrap();
        assert_eq!(blob.mat_size().to_vec(), [PICTURES as i32, 1, SIDE, SIDE]);
    }

    #[test]
    fn the_pictures_hold_black_white_and_the_grays_between() {
        let all: Vec<u8> = (1..=PICTURES).flat_map(levels).collect();
        let share = |f: fn(u8) -> bool| all.iter().filter(|&&v| f(v)).count() as f64 / all.len() as f64;
        for (what, share) in [
            ("black", share(|v| v == 0)),
            ("white", share(|v| v == 255)),
            ("dark grays", share(|v| (1..85).contains(&v))),
            ("middle grays", share(|v| (85..170).contains(&v))),
            ("light grays", share(|v| (170..255).contains(&v))),
        ] {
            assert!(share >= 0.03, "{what}: {:.1} % of the pixels", 100.0 * share);
        }
    }
}
