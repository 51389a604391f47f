//! Hints spread over the picture: the region a hint sits in takes its colour, bounded by edges of lightness and
//! fading with distance, so far from every hint the network's colour stays. After Levin, Lischinski & Weiss (2004),
//! "Colorization using Optimization": neighbours of like lightness should have like colour, solved as one sparse
//! linear system on a small copy of the picture (colour is smooth where lightness is), with a pull towards zero so
//! that a hint's hold fades.
//!
//! In two dimensions a point pulls weakly on its surroundings (the solution falls off like a logarithm near it),
//! so the same system is solved for the hints' reach (1 at every hint) as well as for their colour: a pixel's hint
//! colour is the reach-weighted mean of the hints' colours, which fills a hint's region, and it replaces the
//! network's colour wholly where the reach is enough, in proportion where it is not.
//!
//! The hint's colour rather than its correction (its colour less the network's) is what spreads: measured on the
//! colour pictures of ../shared/media/color turned gray, with hints from their true colour, the correction carried
//! the network's own blotches along with it (+3.6 dB for 50 hints, +5.7 dB for 200, against +5.7 and +9.3).

use anyhow::{anyhow, Result};
use faer::prelude::Solve;
use faer::sparse::{SparseColMat, Triplet};
use faer::{Mat as Matrix, Side};
use opencv::core::{Mat, Size, Vec2f, Vec3f};
use opencv::imgproc;
use opencv::prelude::*;

use super::file::Hint;

/// Longest side of the picture the correction is solved on, for a photo: 200 hints on a 2048x1524 photo solve in
/// well under a second, and the correction is finer than the network's own 56x56 colour.
pub const PHOTO: i32 = 256;
/// The same for a film's keyframes, solved once per keyframe: twice the network's grid. On bikes.mp4 (100 hints
/// from the true colour, 30 to 60 frames away) it gave 4.4 and 4.6 dB over the network's colour against 3.9 and
/// 3.9 at 160, for a third of the time; 64 gave more (4.9, 5.4) but bleeds a hint over small objects' edges.
pub const FILM: i32 = 128;
/// Lightness difference (L, 0..100) at which two neighbours' colours are held together with weight e^-1/2: 2 gave
/// 0.6 to 0.8 dB more than 1 or 4 in the measure above.
const EDGE: f32 = 2.0;
/// Pull of each pixel's correction towards zero: a correction fades over about 1/sqrt(FADE) pixels of the
/// working picture (60: a quarter of a photo's, half a film keyframe's) where nothing stops it.
const FADE: f64 = 1.0 / 3600.0;
/// Weight of a hint against its neighbours: high enough that the hinted pixels take the hint's colour.
const HOLD: f64 = 1000.0;
/// Reach (of 1 at a hint) above which a pixel takes its hints' colour whole; below, in proportion.
const REACH: f64 = 0.05;

/// The colour of a picture of lightness `l` (CV_32F, full size) from the network's `ab` (CV_32FC2, any size) and
/// `hints`, solved on a copy whose longest side is at most `work`: a/b at full size, CV_32FC2, the hints' own
/// colour at their pixels.
pub fn spread(l: &Mat, ab: &Mat, hints: &[Hint], work: i32) -> Result<Mat> {
    let full = l.size()?;
    let mut base = Mat::default();
    imgproc::resize(ab, &mut base, full, 0.0, 0.0, imgproc::INTER_LINEAR)?;
    if hints.is_empty() {
        return Ok(base);
    }
    let work = working_size(full, work);
    let scale = work.width as f32 / full.width as f32;
    let mut small_l = Mat::default();
    imgproc::resize(l, &mut small_l, work, 0.0, 0.0, imgproc::INTER_AREA)?;
    let held = held_pixels(hints, work, scale);
    let solved = solve(small_l.data_typed::<f32>()?, work, &held)?;
    let solved = Mat::from_slice(&solved)?.reshape(3, work.height)?.try_clone()?;
    let mut upsampled = Mat::default();
    imgproc::resize(&solved, &mut upsampled, full, 0.0, 0.0, imgproc::INTER_LINEAR)?;
    let mut out = base;
    for (pixel, hinted) in out
        .data_typed_mut::<Vec2f>()?
        .iter_mut()
        .zip(upsampled.data_typed::<Vec3f>()?)
    {
        // The hints' colour comes weighted by their share already: the network keeps the rest.
        let share = hinted[2];
        pixel.0 = [0, 1].map(|c| pixel[c] * (1.0 - share) + hinted[c]);
    }
    paint_hints(&mut out, hints)?;
    Ok(out)
}

fn working_size(full: Size, work: i32) -> Size {
    let long = full.width.max(full.height);
    if long <= work {
        return full;
    }
    let shrink = |side: i32| ((side as f64 * work as f64 / long as f64).round() as i32).max(1);
    Size::new(shrink(full.width), shrink(full.height))
}

/// The working picture's pixels under each hint, with its colour: at least the pixel under its centre. Where
/// hints overlap, a pixel belongs to the nearest centre.
fn held_pixels(hints: &[Hint], work: Size, scale: f32) -> Vec<(usize, [f32; 2])> {
    let mut held = std::collections::BTreeMap::new();
    for_each_pixel(hints, work, scale, |i, distance, hint| {
        if held.get(&i).is_none_or(|&(d, _)| distance < d) {
            held.insert(i, (distance, hint.ab));
        }
    });
    held.into_iter().map(|(i, (_, c))| (i, c)).collect()
}

/// Calls `visit` with the index, distance from the centre and hint of every pixel of a `size` picture (hints'
/// coordinates times `scale`) that lies within a hint's radius, or under its centre.
fn for_each_pixel(hints: &[Hint], size: Size, scale: f32, mut visit: impl FnMut(usize, f32, &Hint)) {
    for hint in hints {
        let (cx, cy, r) = (hint.x * scale, hint.y * scale, hint.radius * scale);
        let (x0, x1) = ((cx - r).floor() as i32, (cx + r).ceil() as i32);
        let (y0, y1) = ((cy - r).floor() as i32, (cy + r).ceil() as i32);
        for y in y0.max(0)..=y1.min(size.height - 1) {
            for x in x0.max(0)..=x1.min(size.width - 1) {
                let centre = x == cx as i32 && y == cy as i32;
                // Distance from the centre of the pixel the centre falls in, so that pixel is always at 0.
                let distance = (x as f32 - cx.floor()).hypot(y as f32 - cy.floor());
                if centre || distance <= r {
                    visit((y * size.width + x) as usize, distance, hint);
                }
            }
        }
    }
}

/// Solves (L + FADE I + HOLD H) [u r] = HOLD H [c 1] for the spread colours u and the reach r, all at once: L the
/// graph Laplacian of the 4-neighbour grid weighted by likeness of lightness, H the held pixels, c their colours.
/// The matrix is symmetric positive definite, so a sparse Cholesky factorisation solves it directly. Returns for
/// each pixel the hints' share s (1 where the reach is REACH or more) and their colour u / r times it: a, b, s.
fn solve(l: &[f32], size: Size, held: &[(usize, [f32; 2])]) -> Result<Vec<f32>> {
    let (w, h) = (size.width as usize, size.height as usize);
    let n = w * h;
    let mut diagonal = vec![FADE; n];
    let mut entries = Vec::with_capacity(3 * n);
    let mut link = |i: usize, j: usize, diagonal: &mut [f64]| {
        let d = l[i] - l[j];
        let weight = f64::from((-(d * d) / (2.0 * EDGE * EDGE)).exp());
        diagonal[i] += weight;
        diagonal[j] += weight;
        // Lower triangle only: the factorisation reads one side.
        entries.push(Triplet::new(i.max(j), i.min(j), -weight));
    };
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if x + 1 < w {
                link(i, i + 1, &mut diagonal);
            }
            if y + 1 < h {
                link(i, i + w, &mut diagonal);
            }
        }
    }
    let mut rhs = Matrix::<f64>::zeros(n, 3);
    for &(i, c) in held {
        diagonal[i] += HOLD;
        rhs[(i, 0)] = HOLD * f64::from(c[0]);
        rhs[(i, 1)] = HOLD * f64::from(c[1]);
        rhs[(i, 2)] = HOLD;
    }
    entries.extend(diagonal.iter().enumerate().map(|(i, &d)| Triplet::new(i, i, d)));
    let matrix = SparseColMat::<usize, f64>::try_new_from_triplets(n, n, &entries)
        .map_err(|e| anyhow!("cannot build the hints' system: {e:?}"))?;
    let factor = matrix
        .sp_cholesky(Side::Lower)
        .map_err(|e| anyhow!("cannot solve the hints' system: {e:?}"))?;
    factor.solve_in_place(&mut rhs);
    Ok((0..n)
        .flat_map(|i| {
            let reach = rhs[(i, 2)];
            let share = reach.clamp(0.0, REACH) / REACH;
            let weight = if reach > 0.0 { share / reach } else { 0.0 };
            [
                (rhs[(i, 0)] * weight) as f32,
                (rhs[(i, 1)] * weight) as f32,
                share as f32,
            ]
        })
        .collect())
}

/// Gives every full-size pixel within a hint's radius (and the one under its centre) the hint's colour as it is;
/// where hints overlap, the nearest centre's.
fn paint_hints(ab: &mut Mat, hints: &[Hint]) -> Result<()> {
    let size = ab.size()?;
    let pixels = ab.data_typed_mut::<Vec2f>()?;
    let mut nearest = std::collections::HashMap::new();
    for_each_pixel(hints, size, 1.0, |i, distance, hint| {
        if nearest.get(&i).is_none_or(|&d| distance < d) {
            nearest.insert(i, distance);
            pixels[i] = Vec2f::from(hint.ab);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::core::{Scalar, CV_32F, CV_32FC2};

    /// Lightness 30 on the left half, 70 on the right: one edge down the middle.
    fn halves(size: Size) -> Mat {
        let values: Vec<f32> = (0..size.area())
            .map(|i| if i % size.width < size.width / 2 { 30.0 } else { 70.0 })
            .collect();
        Mat::from_slice(&values)
            .unwrap()
            .reshape(1, size.height)
            .unwrap()
            .try_clone()
            .unwrap()
    }

    fn at(ab: &Mat, x: i32, y: i32) -> [f32; 2] {
        ab.at_2d::<Vec2f>(y, x).unwrap().0
    }

    #[test]
    fn a_hint_colours_its_region_and_stops_at_an_edge() {
        let size = Size::new(120, 80);
        let grey = Mat::new_size_with_default(Size::new(8, 8), CV_32FC2, Scalar::all(0.0)).unwrap();
        let green = Hint {
            x: 20.0,
            y: 40.0,
            ab: [-40.0, 30.0],
            radius: 2.0,
        };
        let ab = spread(&halves(size), &grey, &[green], PHOTO).unwrap();
        assert_eq!(at(&ab, 20, 40), [-40.0, 30.0]);
        let near = at(&ab, 35, 30);
        assert!(near[0] < -30.0 && near[1] > 22.0, "the hint's own half: {near:?}");
        let across = at(&ab, 70, 40);
        assert!(
            across[0].abs() < 2.0 && across[1].abs() < 2.0,
            "across the edge: {across:?}"
        );
    }

    #[test]
    fn without_hints_the_network_colour_is_only_resized() {
        let l = Mat::new_size_with_default(Size::new(40, 30), CV_32F, Scalar::all(50.0)).unwrap();
        let ab = Mat::new_size_with_default(Size::new(4, 4), CV_32FC2, Scalar::new(12.0, -5.0, 0.0, 0.0)).unwrap();
        let out = spread(&l, &ab, &[], PHOTO).unwrap();
        assert_eq!((out.cols(), out.rows()), (40, 30));
        assert_eq!(at(&out, 39, 29), [12.0, -5.0]);
    }
}
