//! Colour carried along the motion: dense optical flow (OpenCV's DIS) from a frame to a keyframe, how far each
//! pixel of it can be trusted, and a/b moved and blended with it.
//!
//! All of it works on a small gray copy of each frame: the colour it moves is coarse (the network's a/b grid is a
//! quarter of its input's side), and flow at half size costs milliseconds against a forward pass's hundreds.
//!
//! The constants were tuned on ../shared/media/video/bikes.mp4, a colour film whose true a/b stood in for the
//! network's (tests/keyframes.rs keeps them honest).

use anyhow::{ensure, Result};
use opencv::core::{self, Mat, Ptr, Scalar, Size, Vec2f, CV_32FC2};
use opencv::prelude::*;
use opencv::{imgproc, video};

/// Gray error (levels, after a light blur) above which a pixel's carried colour is taken to be wrong.
const WRONG_LEVELS: f32 = 16.0;
/// Share of wrong pixels above which a frame gets a forward pass of its own: on bikes.mp4 at K=3 this adds a
/// keyframe to one frame in thirty and lifts the worst frames (5th percentile) by 3 dB.
pub const UNRELIABLE_SHARE: f64 = 0.2;
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
}

/// A flow estimator for one thread: DIS keeps scratch buffers between calls.
pub struct Flow {
    dis: Ptr<video::DISOpticalFlow>,
    /// The identity map, which the flow is added to.
    grid: Mat,
}

impl Flow {
    pub fn new(size: Size) -> Result<Flow> {
        // MEDIUM over FAST: +0.5 dB mean on bikes.mp4 at K=3 for about 4 ms more a frame at 320x136.
        let dis = video::DISOpticalFlow::create(video::DISOpticalFlow_PRESET_MEDIUM)?;
        let points: Vec<Vec2f> = (0..size.height)
            .flat_map(|y| (0..size.width).map(move |x| Vec2f::from([x as f32, y as f32])))
            .collect();
        let grid = Mat::from_slice(&points)?.reshape(2, size.height)?.try_clone()?;
        Ok(Flow { dis, grid })
    }

    pub fn size(&self) -> Size {
        self.grid.size().unwrap_or_default()
    }

    /// How colour goes from `key` to `frame` (both analysis grays of this flow's size).
    pub fn carry(&mut self, frame: &Mat, key: &Mat) -> Result<Carry> {
        ensure!(
            frame.size()? == self.grid.size()? && key.size()? == self.grid.size()?,
            "analysis pictures of different sizes"
        );
        let mut flow = Mat::default();
        self.dis.calc(frame, key, &mut flow)?;
        let mut map = Mat::default();
        core::add(&flow, &self.grid, &mut map, &core::no_array(), CV_32FC2)?;
        let warped = remap(key, &map)?;
        // A film's brightness flickers from frame to frame; that is no reason to distrust its motion.
        let (now, then) = (frame.data_bytes()?, warped.data_bytes()?);
        let shift = now
            .iter()
            .zip(then)
            .map(|(&a, &b)| f64::from(a) - f64::from(b))
            .sum::<f64>()
            / now.len() as f64;
        let error: Vec<f32> = now
            .iter()
            .zip(then)
            .map(|(&a, &b)| (f32::from(a) - f32::from(b) - shift as f32).abs())
            .collect();
        let error = Mat::from_slice(&error)?.reshape(1, frame.rows())?.try_clone()?;
        let mut blurred = Mat::default();
        imgproc::gaussian_blur_def(&error, &mut blurred, Size::default(), 2.0)?;
        let error = blurred.data_typed::<f32>()?;
        let wrong = error.iter().filter(|&&e| e > WRONG_LEVELS).count() as f64 / error.len() as f64;
        let trust: Vec<f32> = error.iter().map(|e| (-(e / SCALE).powi(2)).exp() + FLOOR).collect();
        let trust = Mat::from_slice(&trust)?.reshape(1, frame.rows())?.try_clone()?;
        Ok(Carry { map, trust, wrong })
    }
}

fn remap(picture: &Mat, map: &Mat) -> Result<Mat> {
    let mut out = Mat::default();
    imgproc::remap(
        picture,
        &mut out,
        map,
        &core::no_array(),
        imgproc::INTER_LINEAR,
        core::BORDER_REPLICATE,
        Scalar::default(),
    )?;
    Ok(out)
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
        assert!(at(&mixed, 70, 40)[0] > 25.0, "{:?}", at(&mixed, 70, 40));
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
