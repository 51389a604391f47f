//! Steady colour: on a real grainy old film, the default output (keyframes, colour carried between them)
//! flickers far less than the recipe's frame-by-frame colour and no more than the network on every frame, while
//! each frame stays close to the exact one.

mod support;

use opencv::core::{self, Mat, Size, Vector};
use opencv::prelude::*;
use opencv::{imgproc, videoio};
use support::{read_image, shared_media, Fidelity, Workspace};

/// a and b (CIE Lab units) of an 8-bit BGR frame.
fn ab(bgr: &Mat) -> (Mat, Mat) {
    let mut float = Mat::default();
    bgr.convert_to(&mut float, core::CV_32F, 1.0 / 255.0, 0.0).unwrap();
    let mut lab = Mat::default();
    imgproc::cvt_color_def(&float, &mut lab, imgproc::COLOR_BGR2Lab).unwrap();
    let mut planes = Vector::<Mat>::new();
    core::split(&lab, &mut planes).unwrap();
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

#[test]
fn default_colour_flickers_much_less_than_exact_and_stays_close_to_it() {
    let test = "default_colour_flickers_much_less_than_exact_and_stays_close_to_it";
    let Some(clip) = shared_media("video/chaplin_moviepy.mp4", test) else {
        return;
    };
    let ws = Workspace::new();
    let clip = clip.to_str().unwrap();
    let common = [
        "video",
        clip,
        "--width",
        "320",
        "--end",
        "120",
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

    let mut capture = videoio::VideoCapture::from_file(clip, videoio::CAP_ANY).unwrap();
    let mut inputs = Vec::new();
    let mut frame = Mat::default();
    while inputs.len() < 120 && capture.read(&mut frame).unwrap() {
        let (mut small, mut gray) = (Mat::default(), Mat::default());
        imgproc::resize(&frame, &mut small, Size::new(320, 180), 0.0, 0.0, imgproc::INTER_AREA).unwrap();
        imgproc::cvt_color_def(&small, &mut gray, imgproc::COLOR_BGR2GRAY).unwrap();
        inputs.push(gray);
    }
    assert_eq!(inputs.len(), 120, "the clip has fewer than the 120 frames compared");
    let read = |dir: &str| -> Vec<Mat> {
        (0..120)
            .map(|i| read_image(&ws.path(&format!("{dir}/frame_{i:06}.png"))))
            .collect()
    };
    let (default, every, exact) = (read("default"), read("every"), read("exact"));
    let (steady, each, recipe) = (
        flicker(&inputs, &default),
        flicker(&inputs, &every),
        flicker(&inputs, &exact),
    );
    let mut closeness = Fidelity::default();
    for (d, e) in default.iter().zip(&exact) {
        closeness.add(e, d);
    }
    eprintln!(
        "flicker: default {steady:.3}, network on every frame {each:.3}, exact {recipe:.3} (ratio {:.2}); default \
         vs exact PSNR {:.1} dB",
        steady / recipe,
        closeness.psnr()
    );
    assert!(
        steady <= 0.7 * recipe,
        "default flickers {steady:.3}, exact {recipe:.3}"
    );
    // Carried colour moves with the picture: it must not flicker more than a prediction on every frame.
    assert!(steady <= each, "default flickers {steady:.3}, every frame {each:.3}");
    assert!(
        closeness.psnr() >= 30.0,
        "default frames drift from exact ones: {:.1} dB",
        closeness.psnr()
    );
}
