//! Carried colour measured against the truth: a colour film's own a/b stand in for the network's prediction on
//! its keyframes, and the frames between are rebuilt by the reader's keyframe choice and the writer's colour
//! steps, as a run makes them, then compared with their own true a/b on the network's output grid.

use std::path::Path;

use anyhow::{Context, Result};
use opencv::core::{self, Mat, Size, Vector};
use opencv::imgproc;
use opencv::prelude::*;

use crate::film::base::frame::Picture;
use crate::film::base::frame::{Ab, Input, Key, Origin, Segment};
use crate::film::base::interval::Interval;
use crate::film::base::motion::{self, Flow};
use crate::film::base::profile::Profile;
use crate::film::base::scene::Repeats;
use crate::film::colour::painter::{ColourState, Painter};
use crate::film::io::source::Source;
use crate::film::read::jobs::{Jobs, Originals};
use crate::film::read::keys::Keys;
use crate::film::records::earlier::Earlier;
use crate::lab::{Preparation, Recipe};
use crate::position::Span;

const FRAMES: usize = 120;
/// The network's output grid for its 224x224 input.
const GRID: i32 = 56;

/// A frame's true a/b on the output grid, CV_32FC2.
fn truth(bgr: &Mat) -> Result<Mat> {
    let mut float = Mat::default();
    bgr.convert_to(&mut float, core::CV_32F, 1.0 / 255.0, 0.0)?;
    let mut lab = Mat::default();
    imgproc::cvt_color_def(&float, &mut lab, imgproc::COLOR_BGR2Lab)?;
    let mut planes = Vector::<Mat>::new();
    core::split(&lab, &mut planes)?;
    let mut ab = Mat::default();
    core::merge(&Vector::<Mat>::from_iter([planes.get(1)?, planes.get(2)?]), &mut ab)?;
    on_grid(&ab)
}

fn on_grid(ab: &Mat) -> Result<Mat> {
    let mut small = Mat::default();
    imgproc::resize(ab, &mut small, Size::new(GRID, GRID), 0.0, 0.0, imgproc::INTER_AREA)?;
    Ok(small)
}

/// PSNR of a/b, peak 255 as for 8-bit Lab.
fn psnr(ab: &Mat, truth: &Mat) -> Result<f64> {
    let ab = on_grid(ab)?;
    let squared = core::norm2(&ab, truth, core::NORM_L2SQR, &core::no_array())?;
    let mse = squared / (truth.total() * 2) as f64;
    Ok(10.0 * (255.0 * 255.0 / mse.max(1e-12)).log10())
}

/// Mean and 5th percentile.
fn summary(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (mean, values[(values.len() as f64 * 0.05) as usize])
}

/// The segment as the network would hand it on, with the keyframe's true a/b for its prediction.
fn with_truth(segment: Segment<Key<Input>>, truths: &[Mat]) -> Result<Segment<Key<Ab>>> {
    let key = segment
        .key
        .map(|frame| {
            let truth = truths.get(frame.index).context("a keyframe past the frames read")?;
            frame.try_map(|work| {
                let ab = truth.try_clone()?;
                // Every keyframe the network would see, a repeat too, gets its own truth.
                anyhow::Ok(work.with_net(|_| {
                    Some(Ab {
                        ab,
                        origin: Origin::Network,
                        uncertainty: None,
                    })
                }))
            })
        })
        .transpose()?;
    Ok(Segment {
        between: segment.between,
        key,
    })
}

/// Per-frame PSNR of the carried frames, and of holding the last keyframe's colour on them instead: the colour
/// of `colour`, carried along the motion of `film` (the same frames, or a gray, grainy copy of them).
fn carried_and_held(colour: &Path, film: &Path, interval: Interval) -> Result<(Vec<f64>, Vec<f64>, usize)> {
    let mut truths = Vec::new();
    let mut reader = Source::open(colour, None)?;
    // On past the frames compared: the keyframe that ends the last segment gives them colour too.
    while let Some(frame) = reader
        .next_frame()?
        .filter(|_| truths.len() < FRAMES + interval.longest())
    {
        truths.push(truth(&frame.picture)?);
    }
    let profile = Profile::default();
    let source = Source::open(film, None)?;
    let flow = Flow::new(motion::analysis_size(source.size))?;
    let keys = Keys::new(interval, Repeats::Detect, Some(flow), &profile);
    let jobs = Jobs::new(
        source,
        Span {
            start: 0,
            end: Some(FRAMES),
        },
        Earlier::default(),
        Preparation {
            recipe: Recipe::Eccv16,
            side: 224,
        },
        Originals::Only(&[]),
        keys,
        &profile,
    );
    // No steadying: the truth needs none, and it would measure the running mean rather than the carrying.
    let mut painter = Painter::new(0.0, 1.0, ColourState::default(), Default::default());
    let (mut carried, mut held, mut keys) = (Vec::new(), Vec::new(), 0);
    let mut last_key = 0;
    for segment in jobs {
        let segment = segment?;
        let key_index = segment.key.as_ref().map(|k| k.index);
        let painted = painter.paint(with_truth(segment, &truths)?)?;
        for frame in &painted.frames {
            let Picture::Paint { ab, .. } = &frame.work else {
                unreachable!("nothing is resumed here")
            };
            if Some(frame.index) == key_index {
                keys += 1;
                last_key = frame.index;
            } else {
                carried.push(psnr(ab, &truths[frame.index])?);
                held.push(psnr(&truths[last_key], &truths[frame.index])?);
            }
        }
    }
    Ok((carried, held, keys))
}

#[test]
fn carried_colour_is_close_to_the_truth_and_well_above_holding_the_keyframe() {
    let test = "carried_colour_is_close_to_the_truth_and_well_above_holding_the_keyframe";
    let Some(film) = crate::shared_files::shared("media/video/bikes.mp4", test) else {
        return;
    };
    let (carried, held, keys) = carried_and_held(&film, &film, Interval::Every(3)).unwrap();
    let ((mean, p5), (held_mean, held_p5)) = (summary(carried), summary(held));
    eprintln!(
        "bikes.mp4, {FRAMES} frames, K=3: {keys} keyframes; carried {mean:.1} dB (p5 {p5:.1}), holding the last \
         keyframe {held_mean:.1} dB (p5 {held_p5:.1})"
    );
    assert!(mean >= 50.0 && p5 >= 37.0, "carried colour: {mean:.1} dB, p5 {p5:.1}");
    assert!(
        mean >= held_mean + 5.0,
        "only {mean:.1} dB against {held_mean:.1} for holding"
    );
}

/// Grain and a pulsing brightness, new in every frame, are no motion: the colour carried along a grainy gray copy
/// of bikes.mp4 stays within 2 dB of the clean film's, with no more than a tenth more keyframes.
#[test]
fn grain_neither_costs_carried_colour_nor_adds_keyframes() {
    let test = "grain_neither_costs_carried_colour_nor_adds_keyframes";
    let Some(film) = crate::shared_files::shared("media/video/bikes.mp4", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let grainy = dir.path().join("bikes-grain.mkv");
    let filter = "format=gray,noise=alls=20:allf=t:all_seed=7,eq=brightness=0.03*sin(n*1.7):eval=frame,format=yuv420p";
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&film)
        .args(["-frames:v", "130", "-vf", filter, "-c:v", "ffv1"])
        .arg(&grainy)
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(made.success(), "ffmpeg could not add grain to {}", film.display());
    let (clean, _, clean_keys) = carried_and_held(&film, &film, Interval::Every(3)).unwrap();
    let (grain, _, grain_keys) = carried_and_held(&film, &grainy, Interval::Every(3)).unwrap();
    let ((clean, clean_p5), (grain, grain_p5)) = (summary(clean), summary(grain));
    eprintln!(
        "bikes.mp4, {FRAMES} frames, K=3: clean {clean:.1} dB (p5 {clean_p5:.1}), {clean_keys} keyframes; with grain \
         {grain:.1} dB (p5 {grain_p5:.1}), {grain_keys} keyframes"
    );
    assert!(grain >= clean - 2.0, "with grain {grain:.1} dB, clean {clean:.1} dB");
    assert!(
        grain_keys as f64 <= clean_keys as f64 * 1.1,
        "with grain {grain_keys} keyframes, clean {clean_keys}"
    );
}

/// `--keyframe-interval auto` lets keyframes go only where the carried colour stays trustworthy: on a film that
/// moves throughout, the carried colour stays as close to the truth as with a keyframe every third frame.
#[test]
fn auto_keyframes_keep_the_carried_colour_close_to_the_truth() {
    let test = "auto_keyframes_keep_the_carried_colour_close_to_the_truth";
    let Some(film) = crate::shared_files::shared("media/video/bikes.mp4", test) else {
        return;
    };
    let (carried, _, keys) = carried_and_held(&film, &film, Interval::Auto).unwrap();
    let (mean, p5) = summary(carried);
    eprintln!("bikes.mp4, {FRAMES} frames, auto: {keys} keyframes; carried {mean:.2} dB (p5 {p5:.1})");
    assert!(mean >= 50.0 && p5 >= 40.0, "carried colour: {mean:.2} dB, p5 {p5:.1}");
}
