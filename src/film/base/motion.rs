//! Colour carried along the motion: dense optical flow (OpenCV's DIS) from a frame to a keyframe, how far each
//! pixel of it can be trusted, and a/b moved and blended with it.
//!
//! All of it works on a small gray copy of each frame: the colour it moves is coarse (the network's a/b grid is a
//! quarter of its input's side), and flow at half size costs milliseconds against a forward pass's hundreds.
//!
//! The constants were tuned on ../shared/media/video/bikes.mp4, a colour film whose true a/b stood in for the
//! network's (film/ground_truth.rs keeps them honest).

use anyhow::{ensure, Result};
use opencv::core::{self, Mat, Size, Vec2f};
use opencv::imgproc;
use opencv::prelude::*;

use super::flow::{self, remap, Dis};

/// Gray error (levels, after a light blur) above which a pixel's carried colour is taken to be wrong.
const WRONG_LEVELS: f32 = 16.0;
/// Share of wrong pixels above which a frame gets a forward pass of its own: on bikes.mp4 at K=3 this adds a
/// keyframe to one frame in thirty and lifts the worst frames (5th percentile) by 3 dB.
pub const UNRELIABLE_SHARE: f64 = 0.2;
/// Gaussian blur (sigma, analysis pixels) of the signed difference, and again of its size: grain, independent from
/// pixel to pixel, falls to a fifth; an uncovered object's difference, coherent over an area, stays.
const GRAIN_BLUR: f64 = 1.5;
/// How much of the difference's noise level (its robust sigma) is taken for granted, after the blur: enough to
/// drop what is left of grain, too little to hide what the flow gets wrong on a clean film.
const NOISE_FLOOR: f32 = 0.3;
/// The most grain (standard deviation of a frame's difference from the keyframe moved along the flow, gray levels at
/// the analysis size) taken for grain: ffmpeg's strong temporal noise (alls=20) on bikes.mp4 and the Chaplin clip
/// measures 7.5 to 10, the clean clips 0 to 1.3.
const MAX_GRAIN: f32 = 16.0;
/// Gray levels (of the errors above) by which standing still may explain a pixel worse than the flow and still be
/// taken: what grain and compression leave after the blur. Tuned on bikes.mp4: 1.5 left the defaults' flicker at
/// 55 % of `--exact`'s, 5 took 0.3 dB more of the carried colour's fidelity.
const STILL_MARGIN: f32 = 3.0;
/// Blur (sigma, analysis pixels) of the line between pinned and moving parts, so colour does not tear there.
const STILL_EDGE: f64 = 1.0;
/// Scale of the per-pixel trust exp(-(error / SCALE)^2).
const SCALE: f32 = 10.0;
/// The least trust, so where neither keyframe's colour can be carried the nearer one in time wins.
const FLOOR: f32 = 0.05;

/// The size flow is computed at: half the frame, but no narrower than 160 pixels (or the frame) and no wider than
/// 480, where flow at 1080p would cost more than it gains.
pub fn analysis_size(frame: Size) -> Size {
    let width = (frame.width / 2).clamp(frame.width.min(160), 480).max(1);
    let height = ((frame.height as f64 * width as f64 / frame.width.max(1) as f64).round() as i32).max(1);
    Size::new(width, height)
}

/// The 8-bit gray picture flow is computed on.
pub fn analysis_gray(bgr: &Mat, size: Size) -> Result<Mat> {
    let mut gray = Mat::default();
    imgproc::cvt_color_def(bgr, &mut gray, imgproc::COLOR_BGR2GRAY)?;
    if gray.size()? == size {
        return Ok(gray);
    }
    let mut small = Mat::default();
    imgproc::resize(&gray, &mut small, size, 0.0, 0.0, imgproc::INTER_AREA)?;
    Ok(small)
}

/// How colour goes from a keyframe to a frame: for each pixel of the frame, where its colour is in the keyframe,
/// and how much to trust that.
pub struct Carry {
    /// Absolute coordinates in the keyframe, CV_32FC2.
    map: Mat,
    /// FLOOR..=1 + FLOOR, CV_32F.
    trust: Mat,
    /// Share of pixels whose carried colour is likely wrong.
    pub wrong: f64,
    /// Share of pixels whose carried colour is less than half trusted: what `--keyframe-interval auto` asks
    /// before it lets a keyframe go.
    pub unsure: f64,
    /// 95th percentile of how far pixels moved since the keyframe, in analysis pixels.
    pub moved: f64,
}

/// How colour is carried from keyframes to frames of one size, for one thread.
pub struct Flow {
    dis: Dis,
    size: Size,
}

impl Flow {
    pub fn new(size: Size) -> Result<Flow> {
        // MEDIUM over FAST: +0.5 dB mean on bikes.mp4 at K=3 for about 4 ms more a frame at 320x136.
        Ok(Flow {
            dis: Dis::new(flow::MEDIUM)?,
            size,
        })
    }

    pub fn size(&self) -> Size {
        self.size
    }

    /// How colour goes from `key` to `frame` (both analysis grays of this flow's size).
    pub fn carry(&mut self, frame: &Mat, key: &Mat) -> Result<Carry> {
        ensure!(
            frame.size()? == self.size && key.size()? == self.size,
            "analysis pictures of different sizes"
        );
        let mut flow = self.dis.flow(frame, key)?;
        let moved = difference(frame, &remap(key, &flow::map(&flow)?)?)?;
        // Grain is judged on the flow's fit, the best explanation there is, and is the same however the frame is
        // explained; past MAX_GRAIN it is no grain but a frame the flow cannot explain.
        let grain = robust_sigma(moved.data_typed::<f32>()?).min(MAX_GRAIN);
        let moved = unexplained(&moved, grain)?;
        // Whether the frame can be found in the keyframe is the flow's own fit: pinning the still parts below only
        // refines where their colour comes from.
        let wrong = moved.iter().filter(|&&e| e > WRONG_LEVELS).count() as f64 / moved.len() as f64;
        let still = unexplained(&difference(frame, key)?, grain)?;
        pin_still(&mut flow, &still, &moved)?;
        let moved_far = percentile_95(flow.data_typed::<Vec2f>()?.iter().map(|f| f[0].hypot(f[1])).collect());
        let map = flow::map(&flow)?;
        let error = unexplained(&difference(frame, &remap(key, &map)?)?, grain)?;
        let trust: Vec<f32> = error.iter().map(|e| (-(e / SCALE).powi(2)).exp() + FLOOR).collect();
        let unsure = trust.iter().filter(|&&t| t < 0.5).count() as f64 / trust.len() as f64;
        let trust = Mat::from_slice(&trust)?.reshape(1, frame.rows())?.try_clone()?;
        Ok(Carry {
            map,
            trust,
            wrong,
            unsure,
            moved: moved_far,
        })
    }
}

/// Takes the flow away where the frame is explained as well without it (`still`, the error of standing still,
/// against `moved`, the flow's): flow estimated there is noise (grain, a flat area) or the motion of something
/// beside it spilling over, and colour moved along it flickers where the picture does not change. On bikes.mp4
/// (90 frames, narrow stand-in) this takes the defaults' flicker from 84 % of `--exact`'s to 46 % (with grain
/// from 75 % to 43 %), for 0.1 dB of carried colour against the truth.
fn pin_still(flow: &mut Mat, still: &[f32], moved: &[f32]) -> Result<()> {
    let moving: Vec<f32> = still
        .iter()
        .zip(moved)
        .map(|(&s, &m)| if s <= m + STILL_MARGIN { 0.0 } else { 1.0 })
        .collect();
    let moving = Mat::from_slice(&moving)?.reshape(1, flow.rows())?.try_clone()?;
    let mut soft = Mat::default();
    imgproc::gaussian_blur_def(&moving, &mut soft, Size::default(), STILL_EDGE)?;
    for (f, &k) in flow
        .data_typed_mut::<Vec2f>()?
        .iter_mut()
        .zip(soft.data_typed::<f32>()?)
    {
        f.0 = [f[0] * k, f[1] * k];
    }
    Ok(())
}

/// `frame` less `warped` (the keyframe moved along a flow), signed, CV_32F. A film's brightness flickers from
/// frame to frame, which is no reason to distrust its motion: the mean difference is taken out.
fn difference(frame: &Mat, warped: &Mat) -> Result<Mat> {
    let (now, then) = (frame.data_bytes()?, warped.data_bytes()?);
    let shift = now
        .iter()
        .zip(then)
        .map(|(&a, &b)| f32::from(a) - f32::from(b))
        .sum::<f32>()
        / now.len() as f32;
    let difference: Vec<f32> = now
        .iter()
        .zip(then)
        .map(|(&a, &b)| f32::from(a) - f32::from(b) - shift)
        .collect();
    Ok(Mat::from_slice(&difference)?.reshape(1, frame.rows())?.try_clone()?)
}

/// How far each pixel is from what a motion explains, in gray levels, from its `difference`. Grain (of standard
/// deviation `grain`) is new in every frame and independent from pixel to pixel, so the signed difference is
/// smoothed before its size is taken, while what a motion cannot explain, an object uncovered, differs coherently
/// over an area and stays; what grain leaves after that is taken for granted.
fn unexplained(difference: &Mat, grain: f32) -> Result<Vec<f32>> {
    let mut smoothed = Mat::default();
    imgproc::gaussian_blur_def(difference, &mut smoothed, Size::default(), GRAIN_BLUR)?;
    let size = core::abs(&smoothed)?.to_mat()?;
    let mut error = Mat::default();
    imgproc::gaussian_blur_def(&size, &mut error, Size::default(), GRAIN_BLUR)?;
    let floor = NOISE_FLOOR * grain;
    Ok(error
        .data_typed::<f32>()?
        .iter()
        .map(|e| (e - floor).max(0.0))
        .collect())
}

/// The value 95 % of `values` do not exceed (0 for none).
fn percentile_95(mut values: Vec<f32>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let at = values.len() * 95 / 100;
    f64::from(*values.select_nth_unstable_by(at, f32::total_cmp).1)
}

/// The standard deviation of `values`' bulk, from their median absolute size (1.4826 makes it σ for a normal
/// distribution), so the pixels the flow cannot explain do not count.
fn robust_sigma(values: &[f32]) -> f32 {
    let mut sizes: Vec<f32> = values.iter().map(|v| v.abs()).collect();
    if sizes.is_empty() {
        return 0.0;
    }
    let middle = sizes.len() / 2;
    let (_, median, _) = sizes.select_nth_unstable_by(middle, f32::total_cmp);
    1.4826 * *median
}

/// `ab` (any size) resized to the analysis size and moved along `carry`.
fn carried(ab: &Mat, carry: &Carry) -> Result<Mat> {
    let size = carry.map.size()?;
    if ab.size()? == size {
        return remap(ab, &carry.map);
    }
    let mut resized = Mat::default();
    imgproc::resize(ab, &mut resized, size, 0.0, 0.0, imgproc::INTER_LINEAR)?;
    remap(&resized, &carry.map)
}

/// A correction of a keyframe's colour (the hints') carried to the next keyframe along `back`, held where the carry
/// is trusted and let go where it is not (something new came into view there).
pub fn carried_trusted(correction: &Mat, back: &Carry) -> Result<Mat> {
    let mut out = carried(correction, back)?;
    let pixels = out.data_typed_mut::<Vec2f>()?.iter_mut();
    for (pixel, &trust) in pixels.zip(back.trust.data_typed::<f32>()?) {
        pixel.0 = pixel.0.map(|v| v * trust.min(1.0));
    }
    Ok(out)
}

/// The colour of a frame between two keyframes: each keyframe's colour carried to it, weighted by nearness in
/// time (`at`: 0 at the earlier keyframe, 1 at the later) and by trust. With no later keyframe (the film ends, or
/// a new shot starts) the earlier one's colour is all there is.
pub fn between(before: &Mat, back: &Carry, after: Option<(&Mat, &Carry)>, at: f64) -> Result<Mat> {
    let early = carried(before, back)?;
    let Some((after, ahead)) = after else {
        return Ok(early);
    };
    let late = carried(after, ahead)?;
    let at = at as f32;
    let mut out = early.try_clone()?;
    let pixels = out
        .data_typed_mut::<Vec2f>()?
        .iter_mut()
        .zip(late.data_typed::<Vec2f>()?);
    let trusts = back
        .trust
        .data_typed::<f32>()?
        .iter()
        .zip(ahead.trust.data_typed::<f32>()?);
    for ((pixel, late), (&t0, &t1)) in pixels.zip(trusts) {
        let (w0, w1) = ((1.0 - at) * t0, at * t1);
        let sum = w0 + w1;
        pixel.0 = [0, 1].map(|c| (pixel[c] * w0 + late[c] * w1) / sum);
    }
    Ok(out)
}

/// A keyframe's colour, steadied: the previous keyframe's colour carried to it and mixed in with weight `smooth`,
/// less where the carry is not to be trusted (something new came into view there).
pub fn steadied(prediction: &Mat, past: &Mat, back: &Carry, smooth: f64) -> Result<Mat> {
    let past = carried(past, back)?;
    let mut now = Mat::default();
    imgproc::resize(prediction, &mut now, past.size()?, 0.0, 0.0, imgproc::INTER_LINEAR)?;
    let smooth = smooth as f32;
    let pixels = now
        .data_typed_mut::<Vec2f>()?
        .iter_mut()
        .zip(past.data_typed::<Vec2f>()?);
    for ((pixel, past), &trust) in pixels.zip(back.trust.data_typed::<f32>()?) {
        let weight = smooth * trust.min(1.0);
        pixel.0 = [0, 1].map(|c| pixel[c] * (1.0 - weight) + past[c] * weight);
    }
    Ok(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::core::{Scalar, CV_32FC2};

    /// A gray picture with a bright square at (x, y): something to follow.
    fn scene(size: Size, x: i32, y: i32) -> Mat {
        let mut m = Mat::new_size_with_default(size, core::CV_8U, Scalar::all(60.0)).unwrap();
        let square = core::Rect::new(x, y, 24, 24);
        imgproc::rectangle(&mut m, square, Scalar::all(200.0), -1, imgproc::LINE_8, 0).unwrap();
        let mut textured = Mat::default();
        imgproc::gaussian_blur_def(&m, &mut textured, Size::new(5, 5), 0.0).unwrap();
        textured
    }

    /// a/b that is (a, b) inside the square at (x, y) and 0 elsewhere.
    fn colour(size: Size, x: i32, y: i32, a: f32, b: f32) -> Mat {
        let mut m = Mat::new_size_with_default(size, CV_32FC2, Scalar::all(0.0)).unwrap();
        let square = core::Rect::new(x, y, 24, 24);
        imgproc::rectangle(
            &mut m,
            square,
            Scalar::new(a.into(), b.into(), 0.0, 0.0),
            -1,
            imgproc::LINE_8,
            0,
        )
        .unwrap();
        m
    }

    fn at(m: &Mat, x: i32, y: i32) -> [f32; 2] {
        m.at_2d::<Vec2f>(y, x).unwrap().0
    }

    #[test]
    fn analysis_is_half_size_within_bounds() {
        assert_eq!(analysis_size(Size::new(640, 272)), Size::new(320, 136));
        assert_eq!(analysis_size(Size::new(1920, 1080)), Size::new(480, 270));
        assert_eq!(analysis_size(Size::new(200, 100)), Size::new(160, 80));
        assert_eq!(analysis_size(Size::new(48, 32)), Size::new(48, 32));
    }

    #[test]
    fn colour_follows_a_moving_object() {
        let size = Size::new(160, 96);
        let mut flow = Flow::new(size).unwrap();
        // The square moved 10 pixels right since the keyframe: its colour must move with it.
        let carry = flow.carry(&scene(size, 70, 30), &scene(size, 60, 30)).unwrap();
        let moved = between(&colour(size, 60, 30, 40.0, -20.0), &carry, None, 0.0).unwrap();
        let [a, b] = at(&moved, 90, 42);
        assert!(
            (a - 40.0).abs() < 4.0 && (b + 20.0).abs() < 2.0,
            "inside the square: {a}, {b}"
        );
        assert!(
            at(&moved, 64, 42)[0].abs() < 4.0,
            "where the square was: {:?}",
            at(&moved, 64, 42)
        );
        assert!(carry.wrong < 0.05, "a clean shift looks unreliable: {}", carry.wrong);
    }

    #[test]
    fn trust_weighs_the_keyframes_and_time_breaks_ties() {
        let size = Size::new(160, 96);
        let mut flow = Flow::new(size).unwrap();
        let frame = scene(size, 60, 30);
        let same = flow.carry(&frame, &frame).unwrap();
        let plain = |a: f64| Mat::new_size_with_default(size, CV_32FC2, Scalar::new(a, 0.0, 0.0, 0.0)).unwrap();
        let (red, green) = (plain(30.0), plain(-30.0));
        // Both equally trusted: a third of the way, a third of the change.
        let mixed = between(&red, &same, Some((&green, &same)), 1.0 / 3.0).unwrap();
        assert!((at(&mixed, 80, 48)[0] - 10.0).abs() < 0.01);
        // The later keyframe shows something else entirely: its colour cannot be carried, the earlier one wins.
        let checks: Vec<u8> = (0..size.area())
            .map(|i| if (i % 160 / 8 + i / 160 / 8) % 2 == 0 { 0 } else { 255 })
            .collect();
        let other = Mat::from_slice(&checks)
            .unwrap()
            .reshape(1, size.height)
            .unwrap()
            .try_clone()
            .unwrap();
        let wrong = flow.carry(&frame, &other).unwrap();
        assert!(
            wrong.wrong > UNRELIABLE_SHARE,
            "another picture looks reliable: {}",
            wrong.wrong
        );
        let mixed = between(&red, &same, Some((&green, &wrong)), 0.5).unwrap();
        let a = core::mean_def(&mixed).unwrap()[0];
        assert!(
            a > 20.0,
            "the earlier keyframe's colour (30) should win over the later's (-30): {a}"
        );
    }

    #[test]
    fn steadying_mixes_the_carried_past_in() {
        let size = Size::new(160, 96);
        let mut flow = Flow::new(size).unwrap();
        let frame = scene(size, 60, 30);
        let same = flow.carry(&frame, &frame).unwrap();
        let now = Mat::new_size_with_default(Size::new(8, 8), CV_32FC2, Scalar::new(20.0, 0.0, 0.0, 0.0)).unwrap();
        let past = Mat::new_size_with_default(size, CV_32FC2, Scalar::new(0.0, 10.0, 0.0, 0.0)).unwrap();
        let [a, b] = at(&steadied(&now, &past, &same, 0.5).unwrap(), 80, 48);
        assert!((a - 10.0).abs() < 0.01 && (b - 5.0).abs() < 0.01, "{a}, {b}");
    }
}
