//! Colour hints on films, against the truth: a colour film (which colorize sees as gray: it keeps only lightness),
//! hints from the true colour of one frame at seeded random points, held forward and backward through the shot,
//! never across a cut. And every bad hints file: one line naming it, nothing written.
//!
//! bikes.mp4 cuts at frames 30, 76, 137, 187 and 242 (the network inputs' mean difference jumps to 21-35 L units
//! there, against at most 9 within a shot), so hints are measured in its longest shot, frames 76 to 136: from its
//! first frame to its last 30, and from its last frame back to its first 30.

use std::path::Path;
use std::process::Command;

use opencv::core::{Mat, Size};
use opencv::imgproc;
use opencv::prelude::*;

use crate::hints::{hints_csv, points};
use crate::support::standin::{self, Width};
use crate::support::{fails_with, read_image, read_video, shared_media, stderr, Fidelity, Workspace};

/// The width films are colorized at here: half of bikes.mp4's 640, to keep the test quick.
const WIDTH: i32 = 320;

/// bikes.mp4's longest shot.
const SHOT: std::ops::Range<usize> = 76..137;

/// The film's frames as colorize decodes them at `WIDTH`: the truth the hinted frames are held to.
fn truth(film: &Path) -> Vec<Mat> {
    read_video(film)
        .frames
        .into_iter()
        .map(|frame| {
            let height = frame.rows() * WIDTH / frame.cols();
            let mut small = Mat::default();
            imgproc::resize(
                &frame,
                &mut small,
                Size::new(WIDTH, height),
                0.0,
                0.0,
                imgproc::INTER_AREA,
            )
            .unwrap();
            small
        })
        .collect()
}

/// Colorizes `frames` of `film` into PNG frames in `out`, with `hints` if given.
fn colorize(
    ws: &Workspace,
    film: &Path,
    frames: std::ops::Range<usize>,
    out: &str,
    model: &str,
    hints: Option<&str>,
) -> String {
    let (start, end, width) = (frames.start.to_string(), frames.end.to_string(), WIDTH.to_string());
    #[rustfmt::skip]
    let mut args = vec![
        "video", film.to_str().unwrap(), "--start", &start, "--end", &end, "--width", &width,
        "--frame-format", "png", "--frames-dir", out, "-o", "film.mkv", "--overwrite", "--model-dir", model,
        "--no-audio",
    ];
    if let Some(hints) = hints {
        args.extend(["--hints", hints]);
    }
    let out = ws.run(&args);
    assert!(out.status.success(), "colorize failed: {}", stderr(&out));
    stderr(&out)
}

fn frame(ws: &Workspace, out: &str, index: usize) -> Mat {
    read_image(&ws.path(&format!("{out}/frame_{index:06}.png")))
}

/// Mean PSNR against the truth over `frames`.
fn mean_psnr(ws: &Workspace, out: &str, truth: &[Mat], frames: std::ops::Range<usize>) -> f64 {
    let count = frames.len() as f64;
    frames
        .map(|i| {
            let mut fidelity = Fidelity::default();
            fidelity.add(&truth[i], &frame(ws, out, i));
            fidelity.psnr()
        })
        .sum::<f64>()
        / count
}

#[test]
fn hints_on_one_frame_hold_forward_and_backward_through_the_shot() {
    let test = "hints_on_one_frame_hold_forward_and_backward_through_the_shot";
    let Some(bikes) = shared_media("video/bikes.mp4", test) else {
        return;
    };
    let ws = Workspace::new();
    standin::write(&ws.path("full"), Width::Full);
    let full_size = read_video(&bikes).frames;
    let truth = truth(&bikes);
    let plain = colorize(&ws, &bikes, SHOT, "plain", "full", None);
    assert!(!plain.contains("colour hints"), "{plain}");
    let mut gains = Vec::new();
    let (first, last) = (SHOT.start, SHOT.end - 1);
    for (hinted, measured, seed) in [(first, last - 30..last + 1, 11), (last, first..first + 31, 12)] {
        let source = &full_size[hinted];
        let at = points(seed, 100, source.cols(), source.rows());
        let file = format!("frame{hinted}.csv");
        std::fs::write(ws.path(&file), hints_csv(source, &at, Some(hinted))).unwrap();
        let out = format!("hinted{hinted}");
        let said = colorize(&ws, &bikes, SHOT, &out, "full", Some(&file));
        assert!(said.contains("colour hints: 100 given, held on 61 frames"), "{said}");
        let before = mean_psnr(&ws, "plain", &truth, measured.clone());
        let after = mean_psnr(&ws, &out, &truth, measured.clone());
        eprintln!("hints on frame {hinted}: frames {measured:?} {before:.2} dB without, {after:.2} dB with");
        gains.push((hinted, before, after));
    }
    for (hinted, before, after) in gains {
        assert!(
            after >= before + 3.0,
            "hints on frame {hinted}: {after:.2} dB against {before:.2} without"
        );
    }
}

/// bikes.mp4's first 20 frames, then 20 frames of its longest shot in negative: a cut at frame 20. Lossless, so
/// the frames before the cut are the same in every run.
fn film_with_a_cut(bikes: &Path, out: &Path) {
    let filter = "[0:v]trim=end_frame=20,setpts=PTS-STARTPTS[a];\
                  [0:v]trim=start_frame=80:end_frame=100,setpts=PTS-STARTPTS,negate[b];[a][b]concat=n=2:v=1[v]";
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(bikes)
        .args(["-filter_complex", filter, "-map", "[v]", "-c:v", "ffv1"])
        .arg(out)
        .status()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg could not cut {}", bikes.display());
}

#[test]
fn a_hint_just_after_a_cut_changes_nothing_before_it() {
    let test = "a_hint_just_after_a_cut_changes_nothing_before_it";
    let Some(bikes) = shared_media("video/bikes.mp4", test) else {
        return;
    };
    let ws = Workspace::new();
    standin::write(&ws.path("narrow"), Width::Narrow);
    let film = ws.path("cut.mkv");
    film_with_a_cut(&bikes, &film);
    let first = &read_video(&film).frames[20];
    let at = points(5, 40, first.cols(), first.rows());
    let mut csv = String::from("x,y,colour,frame\n");
    for (x, y) in at {
        csv.push_str(&format!("{x},{y},#20d040,20\n"));
    }
    std::fs::write(ws.path("after-cut.csv"), csv).unwrap();
    colorize(&ws, &film, 0..40, "plain", "narrow", None);
    let said = colorize(&ws, &film, 0..40, "hinted", "narrow", Some("after-cut.csv"));
    assert!(said.contains("colour hints: 40 given, held on 20 frames"), "{said}");
    for i in 0..20 {
        let (plain, hinted) = (frame(&ws, "plain", i), frame(&ws, "hinted", i));
        let mut fidelity = Fidelity::default();
        fidelity.add(&plain, &hinted);
        assert_eq!(fidelity.max_diff, 0, "frame {i}, before the cut, changed");
    }
    let mut after = Fidelity::default();
    after.add(&frame(&ws, "plain", 20), &frame(&ws, "hinted", 20));
    assert!(after.max_diff > 20, "the hinted frame itself did not change: {after:?}");
}

#[test]
fn bad_film_hints_are_one_line_naming_the_file_and_nothing_is_written() {
    let ws = Workspace::new();
    crate::support::make_clip(&ws.path("reel.mp4"), "10", 1.0, false);
    crate::support::make_clip(&ws.path("other.mp4"), "10", 1.0, false);
    let mut small = Mat::new_rows_cols_with_default(71, 128, opencv::core::CV_8UC4, 0.0.into()).unwrap();
    *small.at_2d_mut::<opencv::core::Vec4b>(3, 3).unwrap() = [0, 200, 0, 255].into();
    crate::support::write_image(&ws.path("scribbles/000004.png"), &small);
    for (name, text, said) in [
        (
            "row.csv",
            "x,y,colour,frame\n1,2,#ff0000,1\n3,4,#ff00,2\n",
            "row.csv: line 3: colour `#ff00` is not #rrggbb",
        ),
        (
            "outside.csv",
            "x,y,colour\n128,2,#ff0000\n",
            "outside.csv line 2: the hint at (128, 2) is outside",
        ),
        (
            "late.csv",
            "x,y,colour,frame\n1,2,#ff0000,10\n",
            "late.csv line 2: frame 10 is past the end of reel.mp4, whose last frame is 9",
        ),
        (
            "later.csv",
            "x,y,colour,time\n1,2,#ff0000,1.5s\n",
            "later.csv line 2: time 1.5s (frame 15) is past the end of reel.mp4, whose last frame is 9 at 0.900s",
        ),
        (
            "stranger.csv",
            "x,y,colour,file\n1,2,#ff0000,nope.mp4\n",
            "stranger.csv: nope.mp4 is not a film of this batch",
        ),
    ] {
        std::fs::write(ws.path(name), text).unwrap();
        fails_with(
            &ws.run(&[
                "video",
                "reel.mp4",
                "other.mp4",
                "-o",
                "out",
                "--frames-dir",
                "frames",
                "--hints",
                name,
            ]),
            1,
            &[said],
        );
    }
    fails_with(
        &ws.run(&[
            "video",
            "reel.mp4",
            "-o",
            "out/reel.avi",
            "--frames-dir",
            "frames",
            "--hints",
            "scribbles",
        ]),
        1,
        &[
            "scribbles: the scribble is 128x71 (scribbles/000004.png), reel.mp4 is 128x72",
            "drawn over the picture at its full size, before --width",
        ],
    );
    let exact = ws.run(&["video", "reel.mp4", "--exact", "--hints", "row.csv"]);
    assert_eq!(exact.status.code(), Some(2), "{}", stderr(&exact));
    assert!(
        !ws.path("out").exists() && !ws.path("frames").exists(),
        "a refused run wrote {:?}",
        ws.entries()
    );
    std::fs::write(ws.path("empty.csv"), "x,y,colour,frame\n").unwrap();
    let out = ws.run(&[
        "video",
        "reel.mp4",
        "-o",
        "out/reel.avi",
        "--frames-dir",
        "frames",
        "--hints",
        "empty.csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: hints empty.csv holds no hints"));
}

#[test]
fn a_hinted_run_stopped_partway_resumes_to_the_same_frames_and_other_hints_refinish_it() {
    let ws = Workspace::new();
    // One shot, slowly brightening: the resume lands where the hints' correction is being carried.
    let levels: Vec<u8> = (0..60).map(|i| 70 + i as u8).collect();
    crate::support::write_video(&ws.path("reel.avi"), 24.0, Size::new(96, 64), &levels);
    std::fs::write(
        ws.path("a.csv"),
        "x,y,colour,frame\n20,20,#20d040,12\n70,40,#d04020,40\n",
    )
    .unwrap();
    std::fs::write(ws.path("b.csv"), "x,y,colour,frame\n20,20,#2040d0,12\n").unwrap();
    let args = |dir: &str, hints: &str| -> Vec<String> {
        [
            "video",
            "reel.avi",
            "--frame-format",
            "png",
            "-q",
            "--hints",
            hints,
            "--frames-dir",
            dir,
            "-o",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("{dir}.avi")])
        .collect()
    };
    assert!(ws.run(&crate::support::refs(&args("whole", "a.csv"))).status.success());
    let status = crate::support::interrupt::stop_partway(&ws, &args("resumed", "a.csv"), "resumed", 25, libc::SIGINT);
    assert_eq!(status.code(), Some(130));
    let rerun = ws.run(&crate::support::refs(&args("resumed", "a.csv")));
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    assert!(stderr(&rerun).contains("already done"), "{}", stderr(&rerun));
    for i in 0..60 {
        let mut same = Fidelity::default();
        same.add(&frame(&ws, "whole", i), &frame(&ws, "resumed", i));
        assert_eq!(same.max_diff, 0, "frame {i} differs after resuming");
    }
    // Other hints paint the shot again from the stored predictions (issue 22).
    let other = ws.run(&crate::support::refs(&args("resumed", "b.csv")));
    let said = stderr(&other);
    assert!(other.status.success(), "{said}");
    assert!(
        said.contains("refinishing: the colour hints (--hints) changed in 1 of 1 shots"),
        "{said}"
    );
    assert!(said.contains("; 0 forward passes)"), "{said}");
}

/// Issue 30, bad 5: in a batch of `d1/a.mp4` and `d2/a.mp4`, `file=a.mp4` put the hint on both films and
/// `file=d2/a.mp4` was refused. The path as the command line gives it names one film; a name that fits two is
/// refused, naming both.
#[test]
fn a_file_hint_landed_on_every_film_of_that_name() {
    let ws = Workspace::new();
    for dir in ["d1", "d2"] {
        std::fs::create_dir(ws.path(dir)).unwrap();
        crate::support::make_clip(&ws.path(&format!("{dir}/a.mp4")), "10", 1.0, false);
    }
    std::fs::write(ws.path("one.csv"), "x,y,colour,file\n10,10,#ff0000,d2/a.mp4\n").unwrap();
    std::fs::write(ws.path("both.csv"), "x,y,colour,file\n10,10,#ff0000,a.mp4\n").unwrap();
    let batch = [
        "video",
        "d1/a.mp4",
        "d2/a.mp4",
        "-o",
        "out",
        "--frames-dir",
        "frames",
        "-q",
    ];
    fails_with(
        &ws.run(&[&batch[..], &["--hints", "both.csv"]].concat()),
        1,
        &["both.csv: a.mp4 names two films of this batch, d1/a.mp4 and d2/a.mp4"],
    );
    assert!(!ws.path("out").exists(), "a refused run wrote {:?}", ws.entries());
    let said = ws.ok(&[&batch[..], &["--hints", "one.csv"]].concat());
    let hinted: Vec<&str> = said
        .lines()
        .filter(|l| l.starts_with("colour hints: 1 given"))
        .collect();
    assert_eq!(hinted.len(), 1, "{said}");
}

/// Issue 30, bad 10: a FIFO named `000005.png` in a scribble folder was opened, and the run waited on it for
/// ever. It is left out, with a note, and the scribble beside it is taken.
#[test]
fn a_fifo_in_a_scribble_folder_hung_the_run() {
    let ws = Workspace::new();
    crate::support::make_clip(&ws.path("reel.mp4"), "10", 1.0, false);
    let mut drawn = Mat::new_rows_cols_with_default(72, 128, opencv::core::CV_8UC4, 0.0.into()).unwrap();
    *drawn.at_2d_mut::<opencv::core::Vec4b>(3, 3).unwrap() = [0, 200, 0, 255].into();
    crate::support::write_image(&ws.path("scribbles/000004.png"), &drawn);
    let fifo = std::ffi::CString::new(ws.path("scribbles/000005.png").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let said = ws.ok(&["video", "reel.mp4", "-o", "out.avi", "--hints", "scribbles", "-q"]);
    assert!(
        said.contains(
            "note: hints scribbles: left out what is not a scribble (a PNG file named by its frame): \
                       000005.png (not a regular file)"
        ),
        "{said}"
    );
    assert!(said.contains("colour hints: 1 given"), "{said}");
}

/// Issue 30, bad 11: `--hints /dev/zero` was read until the kernel killed the run, and a film given as hints
/// was "invalid utf-8". Both are refused at their first bytes, and nothing is written.
#[test]
fn hints_from_dev_zero_were_read_until_the_kernel_killed_the_run() {
    let ws = Workspace::new();
    crate::support::make_clip(&ws.path("reel.mp4"), "10", 1.0, false);
    for hints in ["/dev/zero", "reel.mp4"] {
        fails_with(
            &ws.run(&["video", "reel.mp4", "-o", "out.avi", "--hints", hints]),
            1,
            &[&format!("hints {hints}: not a hints file: it is not text")],
        );
    }
    assert!(!ws.path("out.avi").exists(), "a refused run wrote {:?}", ws.entries());
}
