//! Films with DDColor (the narrow stand-in) as with the 2016 network: hints put their colour where they are
//! given, a refinish paints from the stored predictions what a fresh run paints, shards assemble into one run's
//! frames, a resumed run ends as an uninterrupted one, and frames of one network are never taken over by the other.
//!
//! The runs are on OpenCV's own backend: the same frames bit for bit in every run on any machine (README, "What is
//! repeatable"), which the comparisons between runs rest on.

use opencv::core::Mat;

use crate::ddcolor::{ab_at, off, onnx};
use crate::report::{picture, write_film};
use crate::support::interrupt::stop_partway;
use crate::support::{compare_frames, fails_with, names, read_image, read_video, refs, Workspace};

/// A film of two shots of 15 frames, a textured picture moving a pixel a frame, then another: `film.avi`.
fn two_shots(ws: &Workspace) {
    let frames: Vec<Mat> = (0..30).map(|i| picture(i % 15, 0, i >= 15)).collect();
    write_film(&ws.path("film.avi"), &frames);
}

/// `colorize video film.avi` with DDColor into PNG frames in `dir` and the film `<dir>.avi` (MJPG, each frame on
/// its own, so that the same frames make the same film), with `extra`; it says what it did (no `-q`).
fn video(onnx: &str, dir: &str, extra: &[&str]) -> Vec<String> {
    eccv16(dir, &[&["--model", "ddcolor", "--onnx", onnx], extra].concat())
}

/// As `video`, with the 2016 network (the workspace's narrow stand-in) unless `extra` names another.
fn eccv16(dir: &str, extra: &[&str]) -> Vec<String> {
    let film = format!("{dir}.avi");
    #[rustfmt::skip]
    let args = ["video", "film.avi", "--backend", "opencv", "--frame-format", "png", "--frames-dir", dir, "-o", &film];
    args.iter().chain(extra).map(|s| s.to_string()).collect()
}

/// The hint's colour, #c83232, as 8-bit BGR.
const RED: [u8; 3] = [50, 50, 200];

#[test]
fn hints_on_a_ddcolor_film_put_their_colour_where_they_are_given() {
    let Some(onnx) = onnx("hints_on_a_ddcolor_film_put_their_colour_where_they_are_given") else {
        return;
    };
    let ws = Workspace::new();
    two_shots(&ws);
    std::fs::write(ws.path("hints.csv"), "frame,x,y,colour,radius\n0,80,60,#c83232,8\n").unwrap();
    ws.ok(&refs(&video(&onnx, "plain", &[])));
    let said = ws.ok(&refs(&video(&onnx, "hinted", &["--hints", "hints.csv"])));
    assert!(said.contains("colour hints: 1 given, held on 15 frames"), "{said}");
    let frame = |dir: &str, i: usize| read_image(&ws.path(&format!("{dir}/frame_{i:06}.png")));
    // Where it was given, and where the picture has taken it (a pixel a frame) at the shot's last frame.
    for (i, at) in [(0, (80, 60)), (14, (94, 60))] {
        let (plain, hinted) = (ab_at(&frame("plain", i), at), ab_at(&frame("hinted", i), at));
        assert!(off(hinted, RED) < 8.0, "frame {i}: a/b {hinted:?}, far from #c83232");
        assert!(
            off(plain, RED) > 20.0,
            "frame {i}: the network's own colour was the hint's already"
        );
    }
    // Hints hold to their shot: the next one is the network's.
    for i in 15..30 {
        let (plain, hinted) = (frame("plain", i), frame("hinted", i));
        assert_eq!(
            crate::support::mean_abs_diff(&plain, &hinted),
            0.0,
            "frame {i}, past the cut, changed"
        );
    }
}

#[test]
fn a_ddcolor_refinish_with_new_saturation_runs_no_network_and_equals_a_fresh_run() {
    let Some(onnx) = onnx("a_ddcolor_refinish_with_new_saturation_runs_no_network_and_equals_a_fresh_run") else {
        return;
    };
    let ws = Workspace::new();
    two_shots(&ws);
    let first = ws.ok(&refs(&video(&onnx, "frames", &[])));
    assert!(first.contains("30 frames (10 keyframes: 10 computed"), "{first}");
    let before = read_image(&ws.path("frames/frame_000004.png"));
    let vivid = ["--saturation", "1.6"];
    let said = ws.ok(&refs(&video(&onnx, "frames", &vivid)));
    assert!(
        said.contains("refinishing: --saturation was 1, now 1.6 in 2 of 2 shots"),
        "{said}"
    );
    assert!(
        said.contains(" 0 computed, ") && said.contains("; 0 forward passes)"),
        "{said}"
    );
    let after = read_image(&ws.path("frames/frame_000004.png"));
    assert!(
        crate::support::mean_abs_diff(&before, &after) > 1.0,
        "the saturation changed nothing"
    );
    ws.ok(&refs(&video(&onnx, "fresh", &vivid)));
    let fidelity = compare_frames(&ws, "fresh", "frames");
    assert_eq!(fidelity.max_diff, 0, "refinished frames differ from a fresh run's");
    assert_eq!(read_video(&ws.path("frames.avi")).frames.len(), 30);
}

#[test]
fn ddcolor_shards_assemble_into_a_single_runs_frames_and_review() {
    let Some(onnx) = onnx("ddcolor_shards_assemble_into_a_single_runs_frames_and_review") else {
        return;
    };
    let ws = Workspace::new();
    two_shots(&ws);
    ws.ok(&refs(&video(&onnx, "whole", &[])));
    for shard in ["0/3", "1/3", "2/3"] {
        #[rustfmt::skip]
        let args = [
            "video", "film.avi", "--model", "ddcolor", "--onnx", &onnx, "--backend", "opencv", "--frame-format",
            "png", "--frames-dir", "shards", "--shard", shard, "--report", "-q",
        ];
        ws.ok(&args);
    }
    let said = ws.ok(&["assemble", "shards", "-o", "assembled.mkv", "--report"]);
    assert!(said.contains("assembled 30 frames"), "{said}");
    let fidelity = compare_frames(&ws, "whole", "shards");
    assert!(
        fidelity.share_within_1() >= 0.999,
        "3 shards against one run: {:.4} % within 1 level",
        100.0 * fidelity.share_within_1()
    );
    let page = std::fs::read_to_string(ws.path("assembled.report.html")).unwrap();
    let json = crate::report::embedded_json(&page);
    assert_eq!(json["doubt"], "none");
    assert_eq!(json["frames"].as_array().unwrap().len(), 30);
}

#[test]
fn an_interrupted_ddcolor_run_resumes_to_the_frames_of_an_uninterrupted_one() {
    let Some(onnx) = onnx("an_interrupted_ddcolor_run_resumes_to_the_frames_of_an_uninterrupted_one") else {
        return;
    };
    let ws = Workspace::new();
    two_shots(&ws);
    ws.ok(&refs(&video(&onnx, "whole", &[])));
    let args = video(&onnx, "resumed", &[]);
    let status = stop_partway(&ws, &args, "resumed", 10, libc::SIGINT);
    assert_eq!(status.code(), Some(130));
    assert!(names(&ws.path("resumed")).len() < 30);
    let said = ws.ok(&refs(&args));
    assert!(said.contains(" already done"), "{said}");
    let fidelity = compare_frames(&ws, "whole", "resumed");
    assert_eq!(
        fidelity.max_diff, 0,
        "resumed frames differ from an uninterrupted run's"
    );
    let (whole, resumed) = (
        read_video(&ws.path("whole.avi")).frames,
        read_video(&ws.path("resumed.avi")).frames,
    );
    assert_eq!((whole.len(), resumed.len()), (30, 30));
    for (i, (a, b)) in whole.iter().zip(&resumed).enumerate() {
        assert_eq!(
            crate::support::mean_abs_diff(a, b),
            0.0,
            "the films differ at frame {i}"
        );
    }
}

/// Every frame's bytes in `dir`, by name: what a refused run must not touch.
fn contents(ws: &Workspace, dir: &str) -> Vec<(String, Vec<u8>)> {
    let dir = ws.path(dir);
    names(&dir)
        .into_iter()
        .map(|n| (n.clone(), std::fs::read(dir.join(&n)).unwrap()))
        .collect()
}

/// Frames one network made are never refinished or resumed by the other: refused, naming `--model`, whether the
/// film is there (a refinish) or not (a resume), and nothing touched; `--overwrite` makes them again.
#[test]
fn frames_of_one_network_are_not_refinished_or_resumed_by_the_other() {
    let Some(onnx) = onnx("frames_of_one_network_are_not_refinished_or_resumed_by_the_other") else {
        return;
    };
    let ws = Workspace::new();
    two_shots(&ws);
    let ddcolor = ["--model", "ddcolor", "--onnx", onnx.as_str()];
    for (dir, first, then, change) in [
        ("by_eccv16", &[][..], &ddcolor[..], "--model was eccv16, now ddcolor"),
        ("by_ddcolor", &ddcolor[..], &[][..], "--model was ddcolor, now eccv16"),
    ] {
        ws.ok(&refs(&eccv16(dir, first)));
        let made = contents(&ws, dir);
        fails_with(&ws.run(&refs(&eccv16(dir, then))), 1, &[change, "--overwrite"]);
        std::fs::remove_file(ws.path(&format!("{dir}.avi"))).unwrap();
        fails_with(&ws.run(&refs(&eccv16(dir, then))), 1, &[change, "--overwrite"]);
        assert!(contents(&ws, dir) == made, "{dir}: a refused run touched the frames");
        let over = ws.ok(&refs(&eccv16(dir, &[then, &["--overwrite"]].concat())));
        assert!(over.contains("30 frames (10 keyframes: 10 computed"), "{dir}: {over}");
        assert!(
            contents(&ws, dir) != made,
            "{dir}: the other network made the same frames"
        );
    }
}
