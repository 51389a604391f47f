//! Refinishing: a rerun whose finishing settings changed paints the frames again from the predictions the first
//! run stored, with no forward pass, shot by shot, resumably; a change of what the network predicts is refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

use crate::support::interrupt::stop_when;
use crate::support::{compare_frames, fails_with, names, read_video, refs, shared_media, stderr, Workspace};

/// A film of three shots, each from another clip (cyclists, Chaplin, the cyclists mirrored later on), 25 frames
/// each at 160x90, made in the workspace as `three.mp4`; None when the shared media are not here.
fn three_shots(ws: &Workspace, test: &str) -> Option<PathBuf> {
    let bikes = shared_media("video/bikes.mp4", test)?;
    let chaplin = shared_media("video/chaplin_moviepy.mp4", test)?;
    let path = ws.path("three.mp4");
    let shot = |input: usize, from: usize, extra: &str, name: &str| {
        format!(
            "[{input}:v]trim=start_frame={from}:end_frame={},setpts=PTS-STARTPTS,scale=160:90,setsar=1{extra}[{name}]",
            from + 25
        )
    };
    let graph = [
        shot(0, 0, "", "a"),
        shot(1, 100, "", "b"),
        shot(0, 200, ",hflip", "c"),
        "[a][b][c]concat=n=3:v=1[v]".to_string(),
    ]
    .join(";");
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&bikes)
        .arg("-i")
        .arg(&chaplin)
        .args([
            "-filter_complex",
            &graph,
            "-map",
            "[v]",
            "-r",
            "25",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&path)
        .output()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(out.status.success(), "ffmpeg: {}", stderr(&out));
    Some(path)
}

/// Three colour hints on frame 37, in the middle shot.
const MIDDLE_HINTS: &str = "x,y,colour,frame\n40,30,#c03020,37\n120,60,#2040c0,37\n80,45,#20a040,37\n";

/// `colorize video three.mp4` into the frames folder `frames` (PNG) and the film `film`, with `extra`.
fn args(frames: &str, film: &str, extra: &[&str]) -> Vec<String> {
    let common = ["video", "three.mp4", "--frame-format", "png", "--no-audio", "-q"];
    common
        .iter()
        .chain(&["--frames-dir", frames, "-o", film])
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
}

fn run(ws: &Workspace, args: &[String]) -> String {
    ws.ok(&refs(args))
}

fn attempt(ws: &Workspace, args: &[String]) -> Output {
    ws.run(&refs(args))
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

/// Every frame's modification time, by name.
fn times(dir: &Path) -> Vec<(String, SystemTime)> {
    names(dir)
        .into_iter()
        .map(|n| (n.clone(), modified(&dir.join(n))))
        .collect()
}

/// The shot lines of the resume record in `dir`.
fn shots(dir: &Path) -> Vec<String> {
    let record = std::fs::read(dir.join(".colorize-resume")).unwrap();
    String::from_utf8_lossy(&record)
        .lines()
        .filter(|l| l.starts_with("shot "))
        .map(String::from)
        .collect()
}

#[test]
fn new_finishing_settings_refinish_every_shot_from_the_stored_predictions() {
    let test = "new_finishing_settings_refinish_every_shot_from_the_stored_predictions";
    let ws = Workspace::new();
    if three_shots(&ws, test).is_none() {
        return;
    }
    let first = run(&ws, &args("frames", "out.avi", &[]));
    assert!(first.contains("75 frames (27 keyframes: 27 computed"), "{first}");
    let recorded = shots(&ws.path("frames"));
    assert_eq!(recorded.len(), 3, "{recorded:?}");
    assert!(
        recorded[1].starts_with("shot 25 50 ") && recorded[2].starts_with("shot 50 75 "),
        "{recorded:?}"
    );

    let finishing = ["--saturation", "1.4", "--smooth", "0.8"];
    let said = run(&ws, &args("frames", "out.avi", &finishing));
    assert!(
        said.contains("refinishing: --smooth was 0.5, now 0.8, --saturation was 1, now 1.4 in 3 of 3 shots"),
        "{said}"
    );
    assert!(
        said.contains("27 keyframes: 0 computed, 27 from stored predictions") && said.contains("; 0 forward passes)"),
        "{said}"
    );
    assert_eq!(read_video(&ws.path("out.avi")).frames.len(), 75);
    run(&ws, &args("fresh", "fresh.avi", &finishing));
    let fidelity = compare_frames(&ws, "fresh", "frames");
    assert_eq!(fidelity.max_diff, 0, "refinished frames differ from a fresh run's");

    // Nothing changed: the film is left as it is.
    let film = modified(&ws.path("out.avi"));
    let again = run(&ws, &args("frames", "out.avi", &finishing));
    assert!(again.contains("is there already, skipped"), "{again}");
    assert_eq!(modified(&ws.path("out.avi")), film);

    // What the network predicts is another run's: refused, naming it, and nothing is touched.
    let before = times(&ws.path("frames"));
    let wider = attempt(
        &ws,
        &args("frames", "out.avi", &[&finishing[..], &["--width", "120"]].concat()),
    );
    fails_with(&wider, 1, &["--width was none, now 120", "--overwrite"]);
    let hotter = attempt(&ws, &args("frames", "out.avi", &["--temperature", "0.5"]));
    fails_with(&hotter, 1, &["softmax scale", "--overwrite"]);
    assert_eq!(times(&ws.path("frames")), before);
    // Without its film the run goes to the frames' record, which refuses too.
    std::fs::remove_file(ws.path("out.avi")).unwrap();
    let wider = attempt(&ws, &args("frames", "out.avi", &["--width", "120"]));
    fails_with(&wider, 1, &["--width was none, now 120", "--overwrite"]);
    // `--overwrite` starts over, with the network.
    let over = run(&ws, &args("frames", "out.avi", &["--width", "120", "--overwrite"]));
    assert!(over.contains("27 keyframes: 27 computed"), "{over}");
}

#[test]
fn an_interrupted_refinish_resumes_and_keeps_the_shots_it_finished() {
    let test = "an_interrupted_refinish_resumes_and_keeps_the_shots_it_finished";
    let ws = Workspace::new();
    if three_shots(&ws, test).is_none() {
        return;
    }
    run(&ws, &args("frames", "out.avi", &[]));
    let dir = ws.path("frames");
    let painted = times(&dir);
    let vivid = args("frames", "out.avi", &["--saturation", "1.5"]);
    // Stopped once the first shot and a few frames of the second are painted again.
    let repainted = || {
        times(&dir)
            .iter()
            .zip(&painted)
            .filter(|(now, was)| now.1 != was.1)
            .count()
    };
    let status = stop_when(&ws, &vivid, || repainted() >= 30, libc::SIGINT);
    assert!(!status.success());
    let stopped = times(&dir);
    let shots_then = shots(&dir);
    assert!(shots_then[0].ends_with(" whole"), "{shots_then:?}");

    let said = run(&ws, &vivid);
    assert!(
        said.contains("refinishing resumes: 1 of 3 shots left to paint again"),
        "{said}"
    );
    assert!(said.contains("; 0 forward passes)"), "{said}");
    let after = times(&dir);
    // The first shot, finished before the stop, is not painted a third time.
    assert_eq!(after[..25], stopped[..25]);
    assert!(after[50..].iter().zip(&stopped[50..]).all(|(a, s)| a.1 != s.1));
    run(&ws, &args("fresh", "fresh.avi", &["--saturation", "1.5"]));
    assert_eq!(compare_frames(&ws, "fresh", "frames").max_diff, 0);
    assert_eq!(read_video(&ws.path("out.avi")).frames.len(), 75);
}

/// `colorize video three.mp4` as shard `shard` of `count`, into the frames folder `frames` or, when that is None,
/// into its part of the film `part-I.mp4`; returns what it said.
fn shard(ws: &Workspace, shard: usize, count: usize, frames: Option<&str>, extra: &[&str]) -> String {
    let spec = format!("{shard}/{count}");
    let part = format!("part-{shard}.mp4");
    let into: Vec<&str> = match frames {
        Some(dir) => vec!["--frames-dir", dir, "--frame-format", "png"],
        None => vec!["--no-frames", "-o", &part],
    };
    let common = ["video", "three.mp4", "--no-audio", "-q", "--shard", &spec];
    ws.ok(&[&common[..], &into[..], extra].concat())
}

#[test]
fn shards_refinish_their_own_part_and_assemble_into_a_single_runs_film() {
    let test = "shards_refinish_their_own_part_and_assemble_into_a_single_runs_film";
    let ws = Workspace::new();
    if three_shots(&ws, test).is_none() {
        return;
    }
    std::fs::write(ws.path("hints.csv"), MIDDLE_HINTS).unwrap();
    let hinted = ["--hints", "hints.csv"];
    for i in 0..4 {
        shard(&ws, i, 4, Some("shards"), &[]);
    }
    let before = times(&ws.path("shards"));
    for i in 0..4 {
        let said = shard(&ws, i, 4, Some("shards"), &hinted);
        assert!(said.contains("; 0 forward passes)"), "shard {i}: {said}");
    }
    // Only the middle shot (frames 25 to 49), which two shards share, was painted again.
    let after = times(&ws.path("shards"));
    let rewritten: Vec<usize> = (0..75).filter(|&i| after[i].1 != before[i].1).collect();
    assert_eq!(rewritten, (25..50).collect::<Vec<_>>());
    ws.ok(&["assemble", "shards", "-o", "joined.mkv"]);
    assert_eq!(read_video(&ws.path("joined.mkv")).frames.len(), 75);
    run(&ws, &args("whole", "whole.avi", &hinted));
    let fidelity = compare_frames(&ws, "whole", "shards");
    eprintln!(
        "4 shards refinished with hints against one hinted run: {:.4} % within 1 level",
        100.0 * fidelity.share_within_1()
    );
    assert!(fidelity.share_within_1() >= 0.999);
    let vivid = ["--saturation", "1.4"];

    // Parts of the film (--no-frames) keep their predictions beside them and refinish too.
    for i in 0..2 {
        shard(&ws, i, 2, None, &[]);
    }
    for i in 0..2 {
        let said = shard(&ws, i, 2, None, &vivid);
        assert!(said.contains("; 0 forward passes)"), "part {i}: {said}");
    }
    let said = ws.ok(&["assemble", "part-0.mp4", "part-1.mp4", "-o", "parts.mkv"]);
    assert!(said.contains("assembled 75 frames"), "{said}");
}

/// `--keyframe-interval auto` chooses keyframes by how the picture moves, never by the colour: steadying turned
/// off or up finds every keyframe's prediction stored.
#[test]
fn auto_keyframes_follow_the_motion_alone_so_a_refinish_finds_every_prediction() {
    let test = "auto_keyframes_follow_the_motion_alone_so_a_refinish_finds_every_prediction";
    let ws = Workspace::new();
    if three_shots(&ws, test).is_none() {
        return;
    }
    let auto = ["--keyframe-interval", "auto"];
    let first = run(&ws, &args("frames", "out.avi", &auto));
    let keyframes: usize = first
        .split("75 frames (")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no keyframe count in: {first}"));
    for smooth in ["0", "0.9"] {
        let said = run(
            &ws,
            &args("frames", "out.avi", &[&auto[..], &["--smooth", smooth]].concat()),
        );
        let all_stored = format!("({keyframes} keyframes: 0 computed, {keyframes} from stored predictions");
        assert!(said.contains(&all_stored), "--smooth {smooth}: {said}");
    }
    run(
        &ws,
        &args("fresh", "fresh.avi", &[&auto[..], &["--smooth", "0.9"]].concat()),
    );
    assert_eq!(compare_frames(&ws, "fresh", "frames").max_diff, 0);
}

/// A slice ended by `--end` in the middle of a shot, then the whole film: the shot carries on from the colour
/// recorded where the slice ended, as an uninterrupted run would paint it.
#[test]
fn a_slice_extended_to_the_whole_film_carries_on_in_the_shot_it_ended_in() {
    let test = "a_slice_extended_to_the_whole_film_carries_on_in_the_shot_it_ended_in";
    let ws = Workspace::new();
    if three_shots(&ws, test).is_none() {
        return;
    }
    run(&ws, &args("frames", "out.avi", &["--end", "37"]));
    let slice = times(&ws.path("frames"));
    std::fs::remove_file(ws.path("out.avi")).unwrap();
    let said = run(&ws, &args("frames", "out.avi", &[]));
    assert!(said.contains("37 already done"), "{said}");
    assert_eq!(times(&ws.path("frames"))[..37], slice[..]);
    run(&ws, &args("fresh", "fresh.avi", &[]));
    assert_eq!(compare_frames(&ws, "fresh", "frames").max_diff, 0);
}

/// Issue 22's case: hints that all lie on a frame of the middle shot of three. The rerun runs no forward pass,
/// leaves every frame of the first and last shots as it was, and paints the middle shot as a fresh run with those
/// hints does.
#[test]
fn hints_on_the_middle_shot_refinish_that_shot_alone_with_no_forward_pass() {
    let test = "hints_on_the_middle_shot_refinish_that_shot_alone_with_no_forward_pass";
    let ws = Workspace::new();
    if three_shots(&ws, test).is_none() {
        return;
    }
    std::fs::write(ws.path("hints.csv"), MIDDLE_HINTS).unwrap();
    run(&ws, &args("frames", "out.avi", &[]));
    let dir = ws.path("frames");
    let before = times(&dir);
    let said = run(&ws, &args("frames", "out.avi", &["--hints", "hints.csv"]));
    assert!(
        said.contains("refinishing: the colour hints (--hints) changed in 1 of 3 shots"),
        "{said}"
    );
    assert!(said.contains("; 0 forward passes)"), "{said}");
    let after = times(&dir);
    assert_eq!(after[..25], before[..25], "the first shot was rewritten");
    assert_eq!(after[50..], before[50..], "the last shot was rewritten");
    assert!(after[25..50].iter().zip(&before[25..50]).all(|(a, b)| a.1 != b.1));
    assert_eq!(read_video(&ws.path("out.avi")).frames.len(), 75);
    run(&ws, &args("fresh", "fresh.avi", &["--hints", "hints.csv"]));
    let fidelity = compare_frames(&ws, "fresh", "frames");
    assert!(fidelity.max_diff <= 1, "{fidelity:?}");
}

/// A batch run again with hints for one of its films refinishes that film and skips the other.
#[test]
fn a_batch_rerun_refinishes_the_film_whose_hints_changed_and_skips_the_other() {
    let test = "a_batch_rerun_refinishes_the_film_whose_hints_changed_and_skips_the_other";
    let ws = Workspace::new();
    let Some(three) = three_shots(&ws, test) else {
        return;
    };
    std::fs::create_dir(ws.path("films")).unwrap();
    for name in ["a.mp4", "b.mp4"] {
        std::fs::copy(&three, ws.path(&format!("films/{name}"))).unwrap();
    }
    let hints = MIDDLE_HINTS
        .replace("frame\n", "frame,file\n")
        .replace(",37\n", ",37,a.mp4\n");
    std::fs::write(ws.path("hints.csv"), hints).unwrap();
    let batch = [
        "video",
        "films",
        "--frames-dir",
        "frames",
        "-o",
        "out",
        "--no-audio",
        "-q",
    ];
    ws.ok(&batch);
    let b_film = modified(&ws.path("out/b.avi"));
    let said = ws.ok(&[&batch[..], &["--hints", "hints.csv"]].concat());
    assert!(
        said.contains("refinishing: the colour hints (--hints) changed in 1 of 3 shots"),
        "{said}"
    );
    assert!(said.contains("b.avi is there already, skipped"), "{said}");
    assert_eq!(modified(&ws.path("out/b.avi")), b_film);
}

/// A frame of a review: its index, whether a cut comes before it, its uncertainty.
type Reviewed = (u64, bool, Option<f64>);

/// The frames of a run's review (`--report-json`), and the frames its attention list calls unsteady.
fn review_of(ws: &Workspace, json: &str) -> (Vec<Reviewed>, Vec<u64>) {
    let text = std::fs::read_to_string(ws.path(json)).unwrap();
    let data: serde_json::Value = serde_json::from_str(&text).unwrap();
    let frames = data["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["index"].as_u64().unwrap(),
                f["cut"].as_bool().unwrap(),
                f["uncertainty"].as_f64(),
            )
        })
        .collect();
    let unsteady = data["attention"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["why"].as_str().is_some_and(|w| w.eq_ignore_ascii_case("unsteady")))
        .map(|a| a["frame"].as_u64().unwrap())
        .collect();
    (frames, unsteady)
}

/// Issue 30, BAD 6: after a hint refinish the review said 0 cuts, every uncertainty was null and the attention
/// list called a cut "unsteady"; after a `--saturation` refinish the uncertainties were gone. Cuts and keyframes'
/// uncertainties survive a refinish: kept shots keep their records, and the stored predictions their uncertainty.
#[test]
fn a_refinish_writes_a_true_review_with_its_cuts_and_uncertainties() {
    let test = "a_refinish_writes_a_true_review_with_its_cuts_and_uncertainties";
    let ws = Workspace::new();
    if three_shots(&ws, test).is_none() {
        return;
    }
    std::fs::write(ws.path("hints.csv"), MIDDLE_HINTS).unwrap();
    run(&ws, &args("frames", "out.avi", &["--report-json", "first.json"]));
    let (first, _) = review_of(&ws, "first.json");
    let cuts =
        |frames: &[(u64, bool, Option<f64>)]| -> Vec<u64> { frames.iter().filter(|f| f.1).map(|f| f.0).collect() };
    let unsure =
        |frames: &[Reviewed]| -> Vec<(u64, f64)> { frames.iter().filter_map(|f| f.2.map(|u| (f.0, u))).collect() };
    assert_eq!(cuts(&first), [25, 50]);
    assert!(unsure(&first).len() >= 3, "{first:?}");
    for (extra, json) in [
        (&["--hints", "hints.csv"][..], "hinted.json"),
        (&["--hints", "hints.csv", "--saturation", "1.3"], "saturated.json"),
    ] {
        let said = run(
            &ws,
            &args("frames", "out.avi", &[extra, &["--report-json", json]].concat()),
        );
        assert!(said.contains("refinishing"), "{said}");
        let (frames, unsteady) = review_of(&ws, json);
        assert_eq!(cuts(&frames), [25, 50], "{json}");
        assert_eq!(unsure(&frames), unsure(&first), "{json}");
        assert!(
            !unsteady.iter().any(|f| [25, 50].contains(f)),
            "{json}: a cut called unsteady: {unsteady:?}"
        );
    }
}
