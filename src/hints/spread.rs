//! A hint's correction (its colour less the network's) spread over the picture: taken whole inside the region the
//! hint sits in, stopped by edges of lightness, fading with distance, so far from every hint the network's colour
//! stays. After Levin, Lischinski & Weiss (2004), "Colorization using Optimization": neighbours of like lightness
//! should have like corrections, solved as one sparse linear system on a small copy of the picture (the
//! correction is smooth where lightness is), with a pull towards zero so that it fades.
//!
//! In two dimensions a point pulls weakly on its surroundings (the solution falls off like a logarithm near it),
//! so the same system is also solved for the hints' reach (1 at every hint): the correction is the reach-weighted
//! mean of the hints' corrections, which fills the hint's region, taken whole where the reach is enough and
//! fading to nothing where it is not.

use anyhow::{anyhow, Result};
use faer::prelude::Solve;
use faer::sparse::{SparseColMat, Triplet};
use faer::{Mat as Matrix, Side};
use opencv::core::{self, Mat, Size, Vec2f};
use opencv::imgproc;
use opencv::prelude::*;

use super::Hint;

/// Longest side of the picture the correction is solved on: 200 hints on a 2048x1524 photo solve in well under a
/// second, and the correction is finer than the network's own 56x56 colour.
const WORK: i32 = 256;
/// Lightness difference (L, 0..100) at which two neighbours' corrections are held together with weight e^-1/2.
const EDGE: f32 = 4.0;
/// Pull of each pixel's correction towards zero: a correction fades over about 1/sqrt(FADE) pixels of the
/// working picture (60, a quarter of it) where nothing stops it.
const FADE: f64 = 1.0 / 3600.0;
/// Weight of a hint against its neighbours: high enough that the hinted pixels take the hint's colour.
const HOLD: f64 = 1000.0;
/// Reach (of 1 at a hint) above which a pixel takes its hints' correction whole; below, in proportion.
const REACH: f64 = 0.05;

/// The colour of a picture of lightness `l` (CV_32F, full size) from the network's `ab` (CV_32FC2, any size) and
/// `hints`: a/b at full size, CV_32FC2, the hints' own colour at their pixels.
pub fn spread(l: &Mat, ab: &Mat, hints: &[Hint]) -> Result<Mat> {
    let full = l.size()?;
    let mut base = Mat::default();
    imgproc::resize(ab, &mut base, full, 0.0, 0.0, imgproc::INTER_LINEAR)?;
    if hints.is_empty() {
        return Ok(base);
    }
    let work = working_size(full);
    let scale = work.width as f32 / full.width as f32;
    let (mut small_l, mut small_ab) = (Mat::default(), Mat::default());
    imgproc::resize(l, &mut small_l, work, 0.0, 0.0, imgproc::INTER_AREA)?;
    imgproc::resize(ab, &mut small_ab, work, 0.0, 0.0, imgproc::INTER_LINEAR)?;
    let held = held_pixels(hints, work, scale, small_ab.data_typed::<Vec2f>()?);
    let correction = solve(small_l.data_typed::<f32>()?, work, &held)?;
    let correction = Mat::from_slice(&correction)?.reshape(2, work.height)?.try_clone()?;
    let mut upsampled = Mat::default();
    imgproc::resize(&correction, &mut upsampled, full, 0.0, 0.0, imgproc::INTER_LINEAR)?;
    let mut out = Mat::default();
    core::add(&base, &upsampled, &mut out, &core::no_array(), -1)?;
    paint_hints(&mut out, hints)?;
    Ok(out)
}

fn working_size(full: Size) -> Size {
    let long = full.width.max(full.height);
    if long <= WORK {
        return full;
    }
    let shrink = |side: i32| ((side as f64 * WORK as f64 / long as f64).round() as i32).max(1);
    Size::new(shrink(full.width), shrink(full.height))
}

/// The working picture's pixels under each hint, with the correction each needs: at least the pixel under its
/// centre. Where hints overlap, the later one wins.
fn held_pixels(hints: &[Hint], work: Size, scale: f32, ab: &[Vec2f]) -> Vec<(usize, [f32; 2])> {
    let mut held = std::collections::BTreeMap::new();
    for hint in hints {
        let (cx, cy, r) = (hint.x * scale, hint.y * scale, hint.radius * scale);
        let (x0, x1) = ((cx - r).floor() as i32, (cx + r).ceil() as i32);
        let (y0, y1) = ((cy - r).floor() as i32, (cy + r).ceil() as i32);
        for y in y0.max(0)..=y1.min(work.height - 1) {
            for x in x0.max(0)..=x1.min(work.width - 1) {
                let centre = x == (cx as i32) && y == (cy as i32);
                if centre || (x as f32 + 0.5 - cx).hypot(y as f32 + 0.5 - cy) <= r {
                    let i = (y * work.width + x) as usize;
                    held.insert(i, [hint.ab[0] - ab[i][0], hint.ab[1] - ab[i][1]]);
                }
            }
        }
    }
    held.into_iter().collect()
}

/// Solves (L + FADE I + HOLD H) [u r] = HOLD H [c 1] for the spread corrections u and the reach r, all at once: L
/// the graph Laplacian of the 4-neighbour grid weighted by likeness of lightness, H the held pixels, c their
/// corrections. The matrix is symmetric positive definite, so a sparse Cholesky factorisation solves it directly.
/// Returns the correction, u / r, taken in proportion where the reach is short of REACH.
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
            let share = if reach > 0.0 {
                reach.min(REACH) / REACH / reach
            } else {
                0.0
            };
            [(rhs[(i, 0)] * share) as f32, (rhs[(i, 1)] * share) as f32]
        })
        .collect())
}

/// Gives every full-size pixel within a hint's radius (and the one under its centre) the hint's colour as it is.
fn paint_hints(ab: &mut Mat, hints: &[Hint]) -> Result<()> {
    let (width, height) = (ab.cols(), ab.rows());
    let pixels = ab.data_typed_mut::<Vec2f>()?;
    for hint in hints {
        let r = hint.radius;
        let (x0, x1) = ((hint.x - r).floor() as i32, (hint.x + r).ceil() as i32);
        let (y0, y1) = ((hint.y - r).floor() as i32, (hint.y + r).ceil() as i32);
        for y in y0.max(0)..=y1.min(height - 1) {
            for x in x0.max(0)..=x1.min(width - 1) {
                let centre = x == hint.x as i32 && y == hint.y as i32;
                if centre || (x as f32 - hint.x).hypot(y as f32 - hint.y) <= r {
                    pixels[(y * width + x) as usize] = Vec2f::from(hint.ab);
                }
            }
        }
    }
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
        let ab = spread(&halves(size), &grey, &[green]).unwrap();
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
        let out = spread(&l, &ab, &[]).unwrap();
        assert_eq!((out.cols(), out.rows()), (40, 30));
        assert_eq!(at(&out, 39, 29), [12.0, -5.0]);
    }
}
