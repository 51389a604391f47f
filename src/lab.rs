//! Each network's per-frame arithmetic around it, as its authors' own pipeline does it: L in, a/b out, back to
//! 8-bit colour.
//!
//! The 2016 recipe turns every frame gray, then to float RGB and CIE Lab. With R = G = B the L channel depends on
//! the gray level alone, so it is looked up from a 256-entry table that OpenCV's own float conversion fills once.
//! DDColor's pipeline takes L from the picture as it is, in float.

use std::sync::OnceLock;

use anyhow::{ensure, Context, Result};
use opencv::core::{self, Mat, Scalar, Size, Vector, CV_32F, CV_32FC2, CV_8UC3};
use opencv::imgproc;
use opencv::prelude::*;

/// Whose pipeline a picture goes through: the network's input, and how its a/b become the picture's colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipe {
    /// Zhang et al.'s: L resized, minus 50, as 1x1xSxS; a/b resized bilinearly, truncated to 8 bits.
    Eccv16,
    /// DDColor's (`ColorizationPipeline.process`): the picture resized bilinearly, its L alone as gray RGB 0..1,
    /// 1x3xSxS; a/b resized to the nearest, rounded to 8 bits.
    DDColor,
}

/// How a network's pictures are prepared: whose recipe, at which side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preparation {
    pub recipe: Recipe,
    pub side: i32,
}

impl Preparation {
    pub fn prepare(self, bgr: &Mat) -> Result<Prepared> {
        prepare(bgr, self.recipe, self.side)
    }
}

/// What the network sees of a frame, and what the colour is put back on.
pub struct Prepared {
    /// L (0..100) at the frame's resolution, CV_32F.
    pub l: Mat,
    /// The network input at side x side, as the recipe makes it.
    pub input: Mat,
    /// L resized to side x side, minus 50, as a 1x1xSxS blob, whatever the network: what cuts and repeated
    /// keyframes are told by, so they are found alike for every network. None where it is the input (the 2016
    /// recipe's), which is not copied: a film holds many frames in flight.
    pub gist: Option<Mat>,
}

/// L of CIE Lab for each 8-bit gray level, computed as the recipe does: v / 255 in float, gray RGB, RGB -> Lab.
fn l_table() -> &'static [f32; 256] {
    static TABLE: OnceLock<[f32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let rgb: Vec<core::Vec3f> = (0..=255u8).map(|v| core::Vec3f::all(f32::from(v) / 255.0)).collect();
        let mut lab = Mat::default();
        let converted =
            Mat::from_slice(&rgb).and_then(|src| imgproc::cvt_color_def(&src, &mut lab, imgproc::COLOR_RGB2Lab));
        let lab = converted.and_then(|_| lab.data_typed::<core::Vec3f>().map(|px| px.to_vec()));
        let lab = lab.expect("OpenCV converts a 256-pixel float image to Lab");
        std::array::from_fn(|i| lab[i][0])
    })
}

/// Turns an 8-bit BGR frame into the network's input and the full-resolution L.
pub fn prepare(bgr: &Mat, recipe: Recipe, side: i32) -> Result<Prepared> {
    ensure!(
        bgr.channels() == 3 && bgr.depth() == core::CV_8U,
        "expected an 8-bit, 3-channel frame"
    );
    let mut gray = Mat::default();
    imgproc::cvt_color_def(bgr, &mut gray, imgproc::COLOR_BGR2GRAY)?;
    let table = Mat::from_slice(l_table())?;
    let mut l = Mat::default();
    core::lut(&gray, &table, &mut l)?;
    let mut small = Mat::default();
    imgproc::resize(&l, &mut small, Size::new(side, side), 0.0, 0.0, imgproc::INTER_LINEAR)?;
    // The blob dnn's blobFromImage makes, by hand so that only model/ touches dnn: L - 50 as 1x1xSxS.
    let mut centred = Mat::default();
    small.convert_to(&mut centred, CV_32F, 1.0, -50.0)?;
    let gist = centred.reshape_nd(1, &[1, 1, side, side])?.try_clone()?;
    Ok(match recipe {
        Recipe::Eccv16 => Prepared {
            l,
            input: gist,
            gist: None,
        },
        Recipe::DDColor => {
            let (l, input) = ddcolor_input(bgr, side)?;
            Prepared {
                l,
                input,
                gist: Some(gist),
            }
        }
    })
}

/// DDColor's L and input, from the picture as it is (a toned photo's L is its own, not its gray's): the picture
/// as float 0..1, its L at full size; resized bilinearly (before its L is taken, unlike the 2016 recipe), to Lab,
/// a = b = 0, back to RGB, as 1x3xSxS.
fn ddcolor_input(bgr: &Mat, side: i32) -> Result<(Mat, Mat)> {
    let mut unit = Mat::default();
    bgr.convert_to(&mut unit, CV_32F, 1.0 / 255.0, 0.0)?;
    let mut lab = Mat::default();
    imgproc::cvt_color_def(&unit, &mut lab, imgproc::COLOR_BGR2Lab)?;
    let mut l = Mat::default();
    core::extract_channel(&lab, &mut l, 0)?;
    let mut small = Mat::default();
    imgproc::resize(
        &unit,
        &mut small,
        Size::new(side, side),
        0.0,
        0.0,
        imgproc::INTER_LINEAR,
    )?;
    imgproc::cvt_color_def(&small, &mut lab, imgproc::COLOR_BGR2Lab)?;
    let mut small_l = Mat::default();
    core::extract_channel(&lab, &mut small_l, 0)?;
    let zero = Mat::zeros_size(small_l.size()?, CV_32F)?.to_mat()?;
    core::merge(&Vector::<Mat>::from_iter([small_l, zero.clone(), zero]), &mut lab)?;
    let mut rgb = Mat::default();
    imgproc::cvt_color_def(&lab, &mut rgb, imgproc::COLOR_Lab2RGB)?;
    let mut planes = Vector::<Mat>::new();
    core::split(&rgb, &mut planes)?;
    let mut blob = Mat::new_nd_with_default(&[1, 3, side, side], CV_32F, Scalar::all(0.0))?;
    let data = blob.data_typed_mut::<f32>()?;
    for (place, plane) in data.chunks_exact_mut((side * side) as usize).zip(&planes) {
        place.copy_from_slice(plane.data_typed::<f32>()?);
    }
    Ok((l, blob))
}

/// Stacks 1xCxHxW blobs of one shape into one NxCxHxW blob, in order.
pub fn stack(blobs: &[&Mat]) -> Result<Mat> {
    let first = blobs.first().context("no blobs to stack")?;
    let dims = first.mat_size();
    ensure!(dims.len() == 4 && dims[0] == 1, "expected 1xCxHxW blobs");
    let mut sizes = dims.to_vec();
    sizes[0] = blobs.len() as i32;
    let mut stacked = Mat::new_nd_with_default(&sizes, CV_32F, Scalar::all(0.0))?;
    let data = stacked.data_typed_mut::<f32>()?;
    let each = data.len() / blobs.len();
    for (place, blob) in data.chunks_exact_mut(each).zip(blobs) {
        ensure!(
            blob.mat_size().to_vec() == dims.to_vec(),
            "blobs of different shapes cannot share a batch"
        );
        place.copy_from_slice(blob.data_typed::<f32>()?);
    }
    Ok(stacked)
}

/// Converts the network's Nx2xHxW output into N HxW two-channel (a, b) images.
pub fn ab_from_blob(blob: &Mat) -> Result<Vec<Mat>> {
    let dims = blob.mat_size();
    ensure!(
        dims.len() == 4 && dims[0] >= 1 && dims[1] == 2,
        "unexpected network output shape {}",
        dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("x")
    );
    let (n, h, w) = (dims[0] as usize, dims[2], dims[3]);
    let data = blob.data_typed::<f32>()?;
    data.chunks_exact(data.len() / n)
        .map(|one| {
            let (a, b) = one.split_at(one.len() / 2);
            let pairs: Vec<core::Vec2f> = a.iter().zip(b).map(|(&a, &b)| core::Vec2f::from([a, b])).collect();
            let ab = Mat::from_slice(&pairs)?.reshape(2, h)?.try_clone()?;
            debug_assert_eq!((ab.rows(), ab.cols(), ab.typ()), (h, w, CV_32FC2));
            Ok(ab)
        })
        .collect()
}

/// Puts a/b (any size, resized as the recipe does) on the full-resolution L and returns the 8-bit BGR frame.
pub fn finish(l: &Mat, ab: &Mat, recipe: Recipe) -> Result<Mat> {
    let (resize, quantize): (_, fn(f32) -> u8) = match recipe {
        Recipe::Eccv16 => (imgproc::INTER_LINEAR, truncate),
        Recipe::DDColor => (imgproc::INTER_NEAREST, round),
    };
    let mut ab_full = Mat::default();
    imgproc::resize(ab, &mut ab_full, l.size()?, 0.0, 0.0, resize)?;
    let mut lab = Mat::default();
    core::merge(&Vector::<Mat>::from_iter([l.clone(), ab_full]), &mut lab)?;
    let mut bgr = Mat::default();
    imgproc::cvt_color_def(&lab, &mut bgr, imgproc::COLOR_Lab2BGR)?;
    let mut out = Mat::new_rows_cols_with_default(bgr.rows(), bgr.cols(), CV_8UC3, Scalar::all(0.0))?;
    let src = bgr
        .data_typed::<core::Vec3f>()
        .context("Lab -> BGR gave an unexpected image")?;
    for (o, s) in out.data_typed_mut::<core::Vec3b>()?.iter_mut().zip(src) {
        *o = core::Vec3b::from(s.0.map(quantize));
    }
    Ok(out)
}

/// The 2016 recipe's `(255 * clip(x, 0, 1)).astype(uint8)`: clipped, scaled in float, truncated (not rounded).
fn truncate(x: f32) -> u8 {
    (x.clamp(0.0, 1.0) * 255.0) as u8
}

/// DDColor's `(x * 255).round().astype(uint8)` on a picture OpenCV's Lab -> BGR already clipped to 0..1.
fn round(x: f32) -> u8 {
    (x.clamp(0.0, 1.0) * 255.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray_frame(values: &[u8]) -> Mat {
        let px: Vec<core::Vec3b> = values.iter().map(|&v| core::Vec3b::all(v)).collect();
        Mat::from_slice(&px).unwrap().try_clone().unwrap()
    }

    #[test]
    fn l_runs_from_black_to_white() {
        let t = l_table();
        assert_eq!(t[0], 0.0);
        assert!((t[255] - 100.0).abs() < 0.01, "{}", t[255]);
        assert!(t.windows(2).all(|w| w[0] < w[1]));
        // sRGB mid-gray 119 is close to L = 50.
        assert!((t[119] - 50.0).abs() < 0.5, "{}", t[119]);
    }

    #[test]
    fn truncate_and_round_follow_numpy() {
        assert_eq!(truncate(1.0), 255);
        assert_eq!(truncate(0.999), 254);
        assert_eq!(truncate(-0.3), 0);
        assert_eq!(truncate(7.0), 255);
        assert_eq!(truncate(100.0 / 255.0), 100);
        assert_eq!(round(0.999), 255);
        assert_eq!(round(100.4 / 255.0), 100);
        assert_eq!(round(100.6 / 255.0), 101);
    }

    #[test]
    fn prepare_gives_a_centred_l_blob() {
        let frame = gray_frame(&[0, 255, 0, 255])
            .reshape(3, 2)
            .unwrap()
            .try_clone()
            .unwrap();
        let p = prepare(&frame, Recipe::Eccv16, 8).unwrap();
        assert_eq!(&*p.input.mat_size(), &[1, 1, 8, 8]);
        let input = p.input.data_typed::<f32>().unwrap();
        assert!(input.iter().all(|&v| (-50.0..=50.0).contains(&v)));
        assert!((input[0] + 50.0).abs() < 1e-4, "top-left is black: L - 50 = -50");
        assert_eq!(p.l.size().unwrap(), Size::new(2, 2));
        assert_eq!(
            p.l.data_typed::<f32>().unwrap(),
            [0.0, l_table()[255], 0.0, l_table()[255]]
        );
    }

    #[test]
    fn ab_blob_becomes_interleaved_pairs_one_image_per_batch_entry() {
        let mut blob = Mat::new_nd_with_default(&[2, 2, 2, 3], CV_32F, Scalar::all(0.0)).unwrap();
        blob.data_typed_mut::<f32>()
            .unwrap()
            .iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v = i as f32);
        let ab = ab_from_blob(&blob).unwrap();
        assert_eq!(ab.len(), 2);
        for (n, ab) in ab.iter().enumerate() {
            assert_eq!((ab.rows(), ab.cols(), ab.typ()), (2, 3, CV_32FC2));
            let px = ab.data_typed::<core::Vec2f>().unwrap();
            let base = 12.0 * n as f32;
            assert_eq!(px[0].0, [base, base + 6.0]);
            assert_eq!(px[5].0, [base + 5.0, base + 11.0]);
        }
    }

    #[test]
    fn stacked_blobs_keep_their_order_and_refuse_other_shapes() {
        let blob =
            |v: f32, side: i32| Mat::new_nd_with_default(&[1, 1, side, side], CV_32F, Scalar::all(v.into())).unwrap();
        let (one, two, three) = (blob(1.0, 2), blob(2.0, 2), blob(3.0, 2));
        let stacked = stack(&[&one, &two, &three]).unwrap();
        assert_eq!(&*stacked.mat_size(), &[3, 1, 2, 2]);
        assert_eq!(
            stacked.data_typed::<f32>().unwrap(),
            [1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0]
        );
        assert!(stack(&[&one, &blob(4.0, 3)]).is_err());
    }

    #[test]
    fn zero_ab_gives_back_the_gray_frame() {
        let levels: Vec<u8> = (0..=255).collect();
        let frame = gray_frame(&levels);
        let p = prepare(&frame, Recipe::Eccv16, 4).unwrap();
        let ab = Mat::new_rows_cols_with_default(1, 1, CV_32FC2, Scalar::all(0.0)).unwrap();
        let out = finish(&p.l, &ab, Recipe::Eccv16).unwrap();
        for (v, px) in levels.iter().zip(out.data_typed::<core::Vec3b>().unwrap()) {
            for c in px.0 {
                assert!(c.abs_diff(*v) <= 1, "gray {v} came back as {px:?}");
            }
        }
    }

    #[test]
    fn positive_a_is_red_and_positive_b_is_yellow_in_bgr_order() {
        let p = prepare(&gray_frame(&[119]), Recipe::Eccv16, 4).unwrap();
        let colour = |a: f64, b: f64| {
            let ab = Mat::new_rows_cols_with_default(1, 1, CV_32FC2, Scalar::new(a, b, 0.0, 0.0)).unwrap();
            finish(&p.l, &ab, Recipe::Eccv16)
                .unwrap()
                .data_typed::<core::Vec3b>()
                .unwrap()[0]
                .0
        };
        let [b, g, r] = colour(60.0, 0.0);
        assert!(r > g + 60 && r > b + 30, "a = +60 should be red: {:?}", [b, g, r]);
        let [b, g, r] = colour(0.0, 60.0);
        assert!(r > b + 60 && g > b + 60, "b = +60 should be yellow: {:?}", [b, g, r]);
    }
}
