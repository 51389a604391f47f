//! Keyframes: the network runs on every K-th frame and where shots start, the frames between get colour carried
//! along the motion, and a slice's frames are the ones a whole run makes.

use std::path::Path;

use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::videoio;

use crate::support::{self, gray_picture, names, read_image, Workspace};

/// A textured picture shifted `shift` pixels right, brightness `level`: a camera panning over a scene.
fn panned(size: Size, shift: i32, level: u8) -> Mat {
    gray_picture(size, |x, y| {
        let x = x - shift;
        let wave = ((x as f64 / 7.0).sin() + (y as f64 / 5.0).cos() + ((x + y) as f64 / 11.0).sin()) * 30.0;
        (f64::from(level) + wave).clamp(0.0, 255.0) as u8
    })
}

/// An MJPG AVI of `frames` pictures: a pan at `level`, then one at `cut_level` from frame `cut` on.
fn write_pan(path: &Path, frames: i32, cut: Option<(i32, u8)>) {
    let size = Size::new(160, 96);
    let fourcc = videoio::VideoWriter::fourcc('M', 'J', 'P', 'G').unwrap();
    let mut writer = videoio::VideoWriter::new(path, fourcc, 25.0, size, true).unwrap();
    for t in 0..frames {
        let level = match cut {
            Some((at, level)) if t >= at => level,
            _ => 110,
        };
        writer.write(&panned(size, 2 * t, level)).unwrap();
    }
    writer.release().unwrap();
}

#[test]
fn the_network_runs_every_k_frames_and_where_a_shot_starts() {
    let ws = Workspace::new();
    write_pan(&ws.path("pan.avi"), 30, None);
    let run = |k: &str, out: &str| ws.ok(&["video", "pan.avi", "--no-frames", "--keyframe-interval", k, "-o", out]);
    // 0, 3, ..., 27: a steady pan is carried everywhere between.
    assert!(run("3", "k3.avi").contains("30 frames (10 keyframes: 10 computed"));
    assert!(run("1", "k1.avi").contains("30 frames (30 keyframes: 30 computed, 0 repeats; 0 carried"));
    assert!(run("5", "k5.avi").contains("30 frames (6 keyframes"));

    // A new shot at frame 5: a keyframe there, then the grid goes on (0, 3, 5, 6, 9).
    write_pan(&ws.path("cut.avi"), 10, Some((5, 200)));
    let out = ws.ok(&["video", "cut.avi", "-o", "cut.mkv"]);
    assert!(out.contains("10 frames (5 keyframes"), "{out}");
}

#[test]
fn a_slice_ends_with_the_frames_a_whole_run_makes() {
    let ws = Workspace::new();
    write_pan(&ws.path("pan.avi"), 24, None);
    run_to(&ws, "pan.avi", "whole", &[]);
    // Frame 13 lies between keyframes 12 and 15: the slice reads on to 15 to colour it as the whole run does.
    run_to(&ws, "pan.avi", "slice", &["--end", "14"]);
    let slice = names(&ws.path("slice"));
    assert_eq!(slice.len(), 14);
    assert_same_frames(&ws, &slice, "whole", "slice");
}

/// On the Chaplin clip (a still camera, people walking) `auto` lets most keyframes go: the network runs on at
/// most a quarter of the frames; and a slice still ends with the frames a whole run makes.
#[test]
fn auto_keyframes_run_the_network_on_a_quarter_of_a_still_shot_and_slice_like_a_whole_run() {
    let test = "auto_keyframes_run_the_network_on_a_quarter_of_a_still_shot_and_slice_like_a_whole_run";
    let Some(clip) = crate::support::shared_media("video/chaplin_moviepy.mp4", test) else {
        return;
    };
    let ws = Workspace::new();
    let clip = clip.to_str().unwrap();
    let auto = ["--keyframe-interval", "auto", "--width", "500", "--no-audio"];
    let said = run_to(&ws, clip, "whole", &auto);
    let computed: usize = said
        .split(" keyframes: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no keyframe count in: {said}"));
    assert!(computed * 4 <= 241, "{computed} forward passes for 241 frames: {said}");
    run_to(&ws, clip, "slice", &[&auto[..], &["--end", "100"]].concat());
    let slice = names(&ws.path("slice"));
    assert_eq!(slice.len(), 100);
    assert_same_frames(&ws, &slice, "whole", "slice");
}

/// Colorizes `film` with PNG frames into folder `dir` and the film `dir`.avi, with `extra` options; returns what
/// it said.
fn run_to(ws: &Workspace, film: &str, dir: &str, extra: &[&str]) -> String {
    let out = format!("{dir}.avi");
    let mut args = vec!["video", film, "--frame-format", "png", "--frames-dir", dir, "-o", &out];
    args.extend_from_slice(extra);
    ws.ok(&args)
}

/// Each of the frames `names` is the same picture in folder `a` as in folder `b`.
fn assert_same_frames(ws: &Workspace, names: &[String], a: &str, b: &str) {
    for name in names {
        let (a, b) = (
            read_image(&ws.path(&format!("{a}/{name}"))),
            read_image(&ws.path(&format!("{b}/{name}"))),
        );
        assert_eq!(support::mean_abs_diff(&a, &b), 0.0, "{name} differs");
    }
}

#[test]
fn batches_of_keyframes_colour_every_frame_as_single_passes_do() {
    let ws = Workspace::new();
    write_pan(&ws.path("cut.avi"), 20, Some((11, 190)));
    let single = run_to(&ws, "cut.avi", "single", &["--batch", "1"]);
    let batched = run_to(&ws, "cut.avi", "batched", &["--batch", "4"]);
    // Keyframes 0, 3, 6, 9, 11 (the cut), 12, 15 and 18: the cut falls inside the second batch of 4.
    let summary = |said: &str| {
        said.lines()
            .find_map(|l| l.split_once(") in "))
            .map(|(counts, _)| counts.to_owned())
    };
    assert_eq!(summary(&single), summary(&batched));
    let frames = names(&ws.path("single"));
    assert_eq!(frames, names(&ws.path("batched")));
    assert_eq!(frames.len(), 20);
    assert_same_frames(&ws, &frames, "single", "batched");
}
