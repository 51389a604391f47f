//! Steady colour: on old film, clean or grainy, the default output (keyframes, colour carried between them and
//! steadied along the motion) flickers far less than the recipe's frame-by-frame colour and no more than the
//! network on every frame, while each frame stays close to the exact one.

use std::path::Path;
use std::process::Command;

use opencv::core::{self, Mat, Size, Vector};
use opencv::prelude::*;
use opencv::{imgproc, videoio};

use crate::support::{lab, read_image, shared_media, Fidelity, Workspace};

/// a and b (CIE Lab units) of an 8-bit BGR frame.
fn ab(bgr: &Mat) -> (Mat, Mat) {
    let mut planes = Vector::<Mat>::new();
    core::split(&lab(bgr), &mut planes).unwrap();
    (planes.get(1).unwrap(), planes.get(2).unwrap())
}

/// Mean |delta a| + |delta b| between consecutive output frames, over pixels whose input gray level moved by
/// at most one level: colour that changes where the picture does not is flicker.
fn flicker(inputs: &[Mat], outputs: &[Mat]) -> f64 {
    let (mut total, mut pixels) = (0.0, 0.0);
    for t in 1..outputs.len() {
        let mut moved = Mat::default();
        core::absdiff(&inputs[t], &inputs[t - 1], &mut moved).unwrap();
        let mut still = Mat::default();
        imgproc::threshold(&moved, &mut still, 1.0, 255.0, imgproc::THRESH_BINARY_INV).unwrap();
        let count = core::count_non_zero(&still).unwrap() as f64;
        let ((a0, b0), (a1, b1)) = (ab(&outputs[t - 1]), ab(&outputs[t]));
        for (x, y) in [(a0, a1), (b0, b1)] {
            total += core::norm2(&x, &y, core::NORM_L1, &still).unwrap();
        }
        pixels += count;
    }
    total / pixels
}

/// Old film's two troubles added to `clip`'s first `frames` frames, in gray: grain that is new in every frame
/// (ffmpeg's temporal noise, seeded) and the whole frame's brightness pulsing. Stored losslessly, so the grain
/// reaches colorize as it was made.
fn grainy(clip: &Path, out: &Path, frames: usize) {
    let filter = "format=gray,noise=alls=20:allf=t:all_seed=7,eq=brightness=0.03*sin(n*1.7):eval=frame,format=yuv420p";
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(clip)
        .args(["-frames:v", &frames.to_string(), "-vf", filter, "-an", "-c:v", "ffv1"])
        .arg(out)
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg could not add grain to {}", clip.display());
}

/// How the defaults, the network on every frame and `--exact` flicker on `frames` frames of `clip` at `width`,
/// and how close the defaults stay to `--exact` (PSNR, dB).
struct Steadiness {
    default: f64,
    every: f64,
    exact: f64,
    psnr: f64,
}

fn steadiness(ws: &Workspace, clip: &Path, width: i32, frames: usize) -> Steadiness {
    let clip = clip.to_str().unwrap();
    let (width_arg, end) = (width.to_string(), frames.to_string());
    let common = [
        "video",
        clip,
        "--width",
        &width_arg,
        "--end",
        &end,
        "--frame-format",
        "png",
        "--no-audio",
        "-q",
    ];
    let every_frame = ["--keyframe-interval", "1"];
    for (dir, extra) in [
        ("default", &[][..]),
        ("every", &every_frame[..]),
        ("exact", &["--exact"][..]),
    ] {
        let film = format!("{dir}.avi");
        let args: Vec<&str> = common
            .iter()
            .copied()
            .chain(["--frames-dir", dir, "-o", &film])
            .chain(extra.iter().copied())
            .collect();
        assert!(ws.run(&args).status.success());
    }
    let read = |dir: &str| -> Vec<Mat> {
        (0..frames)
            .map(|i| read_image(&ws.path(&format!("{dir}/frame_{i:06}.png"))))
            .collect()
    };
    let (default, every, exact) = (read("default"), read("every"), read("exact"));
    let size = default[0].size().unwrap();
    let inputs = grays(clip, size, frames);
    let mut closeness = Fidelity::default();
    for (d, e) in default.iter().zip(&exact) {
        closeness.add(e, d);
    }
    Steadiness {
        default: flicker(&inputs, &default),
        every: flicker(&inputs, &every),
        exact: flicker(&inputs, &exact),
        psnr: closeness.psnr(),
    }
}

/// The clip's first `frames` frames in gray at `size`, as the flicker measure judges stillness on them.
fn grays(clip: &str, size: Size, frames: usize) -> Vec<Mat> {
    let mut capture = videoio::VideoCapture::from_file(clip, videoio::CAP_ANY).unwrap();
    let mut inputs = Vec::new();
    let mut frame = Mat::default();
    while inputs.len() < frames && capture.read(&mut frame).unwrap() {
        let (mut small, mut gray) = (Mat::default(), Mat::default());
        imgproc::resize(&frame, &mut small, size, 0.0, 0.0, imgproc::INTER_AREA).unwrap();
        imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY).unwrap();
        inputs.push(gray);
    }
    assert_eq!(
        inputs.len(),
        frames,
        "{clip} has fewer than the {frames} frames compared"
    );
    inputs
}

fn said(what: &str, s: &Steadiness) {
    eprintln!(
        "{what}: flicker default {:.3}, network on every frame {:.3}, exact {:.3} (ratio {:.2}); default vs exact \
         PSNR {:.1} dB",
        s.default,
        s.every,
        s.exact,
        s.default / s.exact,
        s.psnr
    );
}

#[test]
fn default_colour_flickers_much_less_than_exact_and_stays_close_to_it() {
    let test = "default_colour_flickers_much_less_than_exact_and_stays_close_to_it";
    let Some(clip) = shared_media("video/chaplin_moviepy.mp4", test) else {
        return;
    };
    let ws = Workspace::new();
    let s = steadiness(&ws, &clip, 320, 120);
    said("chaplin", &s);
    assert!(
        s.default <= 0.7 * s.exact,
        "default flickers {:.3}, exact {:.3}",
        s.default,
        s.exact
    );
    // Carried colour moves with the picture: it must not flicker more than a prediction on every frame.
    assert!(
        s.default <= s.every,
        "default flickers {:.3}, every frame {:.3}",
        s.default,
        s.every
    );
    assert!(s.psnr >= 30.0, "default frames drift from exact ones: {:.1} dB", s.psnr);
}

/// Grain is new in every frame, so neither the flow nor the trust in it may take it for motion: regression test
/// for steadying that switched itself off on grainy film (flicker rose from half of `--exact`'s to nine tenths).
#[test]
fn grainy_film_flickers_at_most_half_as_much_as_exact() {
    let test = "grainy_film_flickers_at_most_half_as_much_as_exact";
    let (Some(chaplin), Some(bikes)) = (
        shared_media("video/chaplin_moviepy.mp4", test),
        shared_media("video/bikes.mp4", test),
    ) else {
        return;
    };
    for (name, clip) in [("chaplin", chaplin), ("bikes", bikes)] {
        let ws = Workspace::new();
        let film = ws.path(&format!("{name}-grain.mkv"));
        grainy(&clip, &film, 90);
        let s = steadiness(&ws, &film, 640, 90);
        said(&format!("{name} with grain"), &s);
        assert!(
            s.default <= 0.5 * s.exact,
            "{name} with grain: default flickers {:.3}, exact {:.3}",
            s.default,
            s.exact
        );
        assert!(
            s.default <= s.every,
            "{name} with grain: default {:.3}, every frame {:.3}",
            s.default,
            s.every
        );
    }
}
