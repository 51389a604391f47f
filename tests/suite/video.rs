//! `colorize video` and `colorize assemble` end to end, read back with VideoCapture.

use opencv::core::Size;
use opencv::prelude::*;

use crate::support::{
    self, mean_abs_diff, mean_gray, names, read_image, read_video, stderr, write_image, write_video, Workspace,
};

#[test]
fn video_writes_every_frame_in_order_at_the_source_rate_and_size() {
    let ws = Workspace::new();
    let levels: Vec<u8> = (0..12).map(|i| 20 + 18 * i).collect();
    write_video(&ws.path("input_videos/reel.avi"), 12.0, Size::new(96, 64), &levels);
    let out = ws.run(&["video", "input_videos/reel.avi", "-q"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("colorized_videos/reel.avi"), "{stdout}");

    let frames = names(&ws.path("colorized_frames/reel"));
    let expected: Vec<String> = (0..12).map(|i| format!("frame_{i:06}.jpg")).collect();
    assert_eq!(frames, expected);

    let film = read_video(&ws.path("colorized_videos/reel.avi"));
    assert_eq!(film.frames.len(), 12);
    assert_eq!(film.fps, 12.0);
    assert_eq!(film.fourcc, "MJPG");
    for (i, (frame, level)) in film.frames.iter().zip(&levels).enumerate() {
        assert_eq!(frame.size().unwrap(), Size::new(96, 64));
        // Colour moves luma a little; order and brightness must still be the input's.
        let dumped = read_image(&ws.path(&format!("colorized_frames/reel/frame_{i:06}.jpg")));
        for image in [frame, &dumped] {
            let mean = mean_gray(image);
            assert!(
                (mean - (*level as f64 + 11.5)).abs() < 8.0,
                "frame {i}: mean {mean}, input {level}"
            );
        }
    }
}

#[test]
fn width_and_fps_follow_the_flags() {
    let ws = Workspace::new();
    write_video(&ws.path("in.avi"), 25.0, Size::new(160, 90), &[60, 80, 100]);
    let out = ws.run(&[
        "video",
        "in.avi",
        "-o",
        "out/film.avi",
        "--no-frames",
        "--width",
        "100",
        "--fps",
        "8",
        "-q",
    ]);
    assert!(out.status.success());
    let film = read_video(&ws.path("out/film.avi"));
    assert_eq!((film.frames.len(), film.fps), (3, 8.0));
    // imutils.resize: 90 * 100 / 160 = 56.25, truncated.
    assert_eq!(film.frames[0].size().unwrap(), Size::new(100, 56));
    assert!(!ws.path("colorized_frames").exists(), "--no-frames wrote frames");
}

#[test]
fn repeated_frames_reuse_colour_and_give_the_exact_pixels() {
    let ws = Workspace::new();
    // Film padded the old way: every second frame repeats the one before. Same backend as --exact, no
    // smoothing: reuse alone must not change a pixel.
    write_video(
        &ws.path("padded.avi"),
        24.0,
        Size::new(80, 48),
        &[40, 40, 90, 90, 140, 140, 190],
    );
    let out = ws.run(&[
        "video",
        "padded.avi",
        "--frames-dir",
        "fast",
        "--frame-format",
        "png",
        "-o",
        "fast.avi",
        "--smooth",
        "0",
        "--keyframe-interval",
        "1",
        "--backend",
        "opencv",
    ]);
    let said = stderr(&out);
    assert!(
        said.contains("7 frames (7 keyframes: 4 computed, 3 repeats; 0 carried"),
        "{said}"
    );
    let out = ws.run(&[
        "video",
        "padded.avi",
        "--frames-dir",
        "exact",
        "--frame-format",
        "png",
        "-o",
        "exact.avi",
        "--exact",
    ]);
    let said = stderr(&out);
    assert!(
        said.contains("7 frames (7 keyframes: 7 computed, 0 repeats; 0 carried"),
        "{said}"
    );
    for name in names(&ws.path("exact")) {
        let (a, b) = (
            read_image(&ws.path(&format!("fast/{name}"))),
            read_image(&ws.path(&format!("exact/{name}"))),
        );
        assert_eq!(mean_abs_diff(&a, &b), 0.0, "{name} differs");
    }
}

#[test]
fn assemble_orders_frames_numerically_at_the_chosen_rate() {
    let ws = Workspace::new();
    let dir = ws.path("frames");
    // Names whose text order is not their numeric order.
    for (i, level) in [(2u8, 60u8), (10, 160), (1, 30), (9, 120)] {
        let image = support::frame(Size::new(64, 40), level);
        write_image(&dir.join(format!("frame_{i}.png")), &image);
    }
    let out = ws.run(&["assemble", "frames", "-o", "film.avi", "--fps", "7.5", "-q"]);
    assert!(out.status.success());
    let film = read_video(&ws.path("film.avi"));
    assert_eq!((film.frames.len(), film.fps, film.fourcc.as_str()), (4, 7.5, "MJPG"));
    let means: Vec<f64> = film.frames.iter().map(mean_gray).collect();
    assert!(means.windows(2).all(|w| w[0] < w[1]), "frames out of order: {means:?}");

    let again = ws.run(&["assemble", "frames", "-o", "film.avi", "--fps", "7.5", "-q"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("--overwrite"));
    assert!(ws
        .run(&[
            "assemble",
            "frames",
            "-o",
            "film.avi",
            "--fps",
            "5",
            "--overwrite",
            "-q"
        ])
        .status
        .success());
    assert_eq!(read_video(&ws.path("film.avi")).fps, 5.0);
}

/// Issue 23, WEAK: `--exact` silently ignored `--keyframe-interval`, `--smooth` and `--saturation`, yet refused
/// `--temperature`. It refuses them all, as bad usage.
#[test]
fn exact_refuses_the_settings_it_would_ignore() {
    let ws = Workspace::new();
    write_video(&ws.path("in.avi"), 10.0, Size::new(32, 24), &[20, 60]);
    for (flag, value) in [
        ("--keyframe-interval", "5"),
        ("--smooth", "0.2"),
        ("--saturation", "1.5"),
    ] {
        let out = ws.run(&["video", "in.avi", "--exact", flag, value, "-q"]);
        let said = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(
            said.contains("'--exact' cannot be used with") && said.contains(flag),
            "{said}"
        );
    }
    assert_eq!(ws.entries(), ["in.avi", "model"]);
}
