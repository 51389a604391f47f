//! Shards: parts of one film colorized by separate runs into one frames folder, joined by `assemble` into the
//! film a single run makes, frame for frame; `assemble` refuses a folder that is not complete.

use std::process::Command;

use crate::support::interrupt::stop_partway;
use crate::support::standin::{self, Width};
use crate::support::{compare_frames, fails_with, make_clip, probe, read_video, refs, stderr, Fidelity, Workspace};

/// Colorizes `film` whole into `{dir}_whole` and as `shards` shards into `{dir}_shards`, then assembles those.
fn whole_and_shards(ws: &Workspace, film: &str, dir: &str, shards: usize, extra: &[&str]) {
    let common = ["video", film, "--frame-format", "png", "--no-audio", "-q"];
    let whole = format!("{dir}_whole");
    let args: Vec<&str> = common
        .iter()
        .chain(&["--frames-dir", &whole, "-o", "whole.mkv", "--overwrite"])
        .chain(extra)
        .copied()
        .collect();
    ws.ok(&args);
    let parts = format!("{dir}_shards");
    for i in 0..shards {
        let shard = format!("{i}/{shards}");
        let args: Vec<&str> = common
            .iter()
            .chain(&["--frames-dir", &parts, "--shard", &shard])
            .chain(extra)
            .copied()
            .collect();
        ws.ok(&args);
    }
}

#[test]
fn shards_join_into_the_frames_of_a_single_run() {
    let ws = Workspace::new();
    for (film, rate) in [
        ("b.mp4", "24000/1001"),
        ("b.mkv", "24000/1001"),
        ("m.avi", "24000/1001"),
        ("b25.mp4", "25"),
        ("b25.mkv", "25"),
        ("m25.avi", "25"),
    ] {
        make_clip(&ws.path(film), rate, 10.0, true);
        // Each frame on its own: shards that start on any other frame than a single run's show at once.
        whole_and_shards(&ws, film, &format!("{film}_exact"), 4, &["--exact"]);
        let exact = compare_frames(&ws, &format!("{film}_exact_whole"), &format!("{film}_exact_shards"));
        assert_eq!(exact.share_within_1(), 1.0, "{film}: shards differ from a single run");
        assert!(
            exact.psnr().is_infinite(),
            "{film}: shards differ from a single run ({} dB)",
            exact.psnr()
        );
    }

    // Defaults: keyframes, carried and steadied colour; the warmup makes each shard start as a single run is then.
    whole_and_shards(&ws, "b.mp4", "default", 4, &[]);
    let steady = compare_frames(&ws, "default_whole", "default_shards");
    eprintln!(
        "defaults, 4 shards against one run: {:.4} % within 1 level",
        100.0 * steady.share_within_1()
    );
    assert!(
        steady.share_within_1() >= 0.999,
        "{:.4} % within 1 level",
        100.0 * steady.share_within_1()
    );

    // Keyframes that adapt to the shot still look back no further than their own grid: shards agree with one run.
    whole_and_shards(&ws, "b.mp4", "auto", 4, &["--keyframe-interval", "auto"]);
    let auto = compare_frames(&ws, "auto_whole", "auto_shards");
    assert!(
        auto.share_within_1() >= 0.999,
        "--keyframe-interval auto: {:.4} % within 1 level",
        100.0 * auto.share_within_1()
    );

    let said = ws.ok(&[
        "assemble",
        "default_shards",
        "-o",
        "joined.mp4",
        "--audio-from",
        "b.mp4",
    ]);
    assert!(said.contains("assembled 240 frames"), "{said}");
    let streams = probe(&ws.path("joined.mp4"));
    let video = streams.iter().find(|s| s.kind == "video").expect("a picture");
    assert_eq!(video.rate, "24000/1001", "the source's exact rate");
    let audio = streams.iter().find(|s| s.kind == "audio").expect("the source's sound");
    assert!(
        (audio.seconds - video.seconds).abs() < 0.1,
        "sound {} s, picture {} s",
        audio.seconds,
        video.seconds
    );
}

#[test]
fn a_killed_shard_resumes_its_own_range() {
    let ws = Workspace::new();
    make_clip(&ws.path("film.mp4"), "25", 6.0, true);
    let shard = |i: usize| -> Vec<String> {
        [
            "video",
            "film.mp4",
            "--frame-format",
            "png",
            "--frames-dir",
            "parts",
            "--shard",
            &format!("{i}/2"),
            "-q",
        ]
        .map(String::from)
        .to_vec()
    };
    ws.ok(&refs(&shard(0)));
    let status = stop_partway(&ws, &shard(1), "parts", 75 + 10, libc::SIGKILL);
    assert!(!status.success());
    let err = ws.run(&["assemble", "parts", "-o", "early.mp4"]);
    assert!(!err.status.success() && !ws.path("early.mp4").exists());
    assert!(stderr(&err).contains("shard 1/2 (frames 75..) has not finished"));

    let said = ws.ok(&refs(&shard(1)));
    assert!(said.contains("already done"), "{said}");
    ws.ok(&[
        "video",
        "film.mp4",
        "--frame-format",
        "png",
        "--frames-dir",
        "whole",
        "-o",
        "whole.mp4",
        "-q",
    ]);
    let steady = compare_frames(&ws, "whole", "parts");
    assert!(
        steady.share_within_1() >= 0.999,
        "{:.4} % within 1 level",
        100.0 * steady.share_within_1()
    );
    ws.ok(&["assemble", "parts", "-o", "film.mkv"]);
}

#[test]
fn assemble_names_what_is_missing_or_does_not_belong_and_writes_nothing() {
    let ws = Workspace::new();
    make_clip(&ws.path("film.mp4"), "25", 4.0, true);
    let run = |dir: &str, shard: &str, extra: &[&str]| {
        let mut args = vec!["video", "film.mp4", "--frames-dir", dir, "--shard", shard, "-q"];
        args.extend_from_slice(extra);
        ws.ok(&args);
    };
    for shard in ["0/4", "1/4", "3/4"] {
        run("holes", shard, &[]);
    }
    let refused = |dir: &str| -> String {
        let out = ws.run(&["assemble", dir, "-o", "film.mkv"]);
        assert!(!out.status.success(), "assembled {dir}");
        assert!(!ws.path("film.mkv").exists(), "a film was written from {dir}");
        stderr(&out)
    };
    let said = refused("holes");
    assert!(
        said.contains("shard 2/4 has not run") && said.contains("frames 50 to 74 are missing"),
        "{said}"
    );

    // All there, but one part made with other settings, another with another model.
    run("strangers", "0/3", &[]);
    run("strangers", "1/3", &["--saturation", "1.5"]);
    let other_model = ws.path("other");
    let (_, weights) = standin::write(&other_model, Width::Narrow);
    std::fs::write(weights, standin::caffemodel(Width::Narrow, 7)).unwrap();
    run("strangers", "2/3", &["--model-dir", other_model.to_str().unwrap()]);
    let said = refused("strangers");
    assert!(
        said.contains("colorize-manifest-1-of-3 is from another input, other settings"),
        "{said}"
    );
    assert!(said.contains("--saturation was 1, now 1.5"), "{said}");
    assert!(said.contains("the model's weights changed"), "{said}");
    assert!(
        said.contains("colorize-manifest-2-of-3 is from another input"),
        "{said}"
    );

    // A frame gone from a finished set.
    for shard in ["0/2", "1/2"] {
        run("gone", shard, &[]);
    }
    std::fs::remove_file(ws.path("gone/frame_000042.jpg")).unwrap();
    let said = refused("gone");
    assert!(said.contains("frame 42 is missing"), "{said}");
}

#[test]
fn shards_parts_of_the_film_join_in_order_with_the_sound() {
    let ws = Workspace::new();
    make_clip(&ws.path("film.mp4"), "24000/1001", 4.0, true);
    ws.ok(&["video", "film.mp4", "--no-frames", "-o", "whole.mp4", "-q"]);
    for i in 0..3 {
        let (shard, part) = (format!("{i}/3"), format!("part-{i}.mp4"));
        ws.ok(&["video", "film.mp4", "--no-frames", "--shard", &shard, "-o", &part, "-q"]);
    }
    let out = ws.run(&["assemble", "part-0.mp4", "part-2.mp4", "-o", "joined.mp4"]);
    assert!(!out.status.success() && !ws.path("joined.mp4").exists());
    assert!(stderr(&out).contains("shard 1/3 has not run"));

    let said = ws.ok(&[
        "assemble",
        "part-2.mp4",
        "part-0.mp4",
        "part-1.mp4",
        "-o",
        "joined.mp4",
        "--audio-from",
        "film.mp4",
    ]);
    assert!(
        said.contains("assembled 96 frames") && !said.contains("has no sound"),
        "{said}"
    );
    let streams = probe(&ws.path("joined.mp4"));
    let video = streams.iter().find(|s| s.kind == "video").expect("a picture");
    assert_eq!(video.rate, "24000/1001");
    assert!(streams.iter().any(|s| s.kind == "audio"), "no sound");
    // The same frames in the same order as one run's film (each encoded on its own, so not bit for bit).
    let (whole, joined) = (
        read_video(&ws.path("whole.mp4")).frames,
        read_video(&ws.path("joined.mp4")).frames,
    );
    assert_eq!(joined.len(), 96);
    let psnr = |shift: usize| {
        let mut fidelity = Fidelity::default();
        for (a, b) in whole[shift..].iter().zip(&joined) {
            fidelity.add(a, b);
        }
        fidelity.psnr()
    };
    let (aligned, shifted) = (psnr(0), psnr(1));
    eprintln!("joined parts against one run's film: {aligned:.1} dB (a frame off: {shifted:.1} dB)");
    assert!(
        aligned >= 30.0 && aligned >= shifted + 5.0,
        "{aligned:.1} dB, a frame off {shifted:.1} dB"
    );
}

#[test]
fn variable_rate_films_are_split_at_the_frames_decoding_gives() {
    let ws = Workspace::new();
    // 72 frames at 24 fps, then 36 at 12: a seek to index / 24 s past the change would land frames early.
    for (name, rate) in [("fast.mp4", "24"), ("slow.mp4", "12")] {
        make_clip(&ws.path(name), rate, 3.0, true);
    }
    std::fs::write(ws.path("list.txt"), "file 'fast.mp4'\nfile 'slow.mp4'\n").unwrap();
    for film in ["vfr.mp4", "vfr.mkv"] {
        let out = Command::new("ffmpeg")
            .args([
                "-v", "error", "-y", "-f", "concat", "-i", "list.txt", "-c", "copy", film,
            ])
            .current_dir(ws.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "ffmpeg: {}", stderr(&out));
        whole_and_shards(&ws, film, film, 4, &["--exact"]);
        let exact = compare_frames(&ws, &format!("{film}_whole"), &format!("{film}_shards"));
        assert!(exact.psnr().is_infinite(), "{film}: shards differ from a single run");
    }
}

/// A 30-frame film in three parts, `part-0.mp4` to `part-2.mp4`, each with its record; `audio` gives the film sound.
pub fn three_parts(ws: &Workspace, audio: bool) {
    make_clip(&ws.path("film.mp4"), "24", 1.25, audio);
    for i in 0..3 {
        let (shard, part) = (format!("{i}/3"), format!("part-{i}.mp4"));
        ws.ok(&["video", "film.mp4", "--no-frames", "--shard", &shard, "-o", &part, "-q"]);
    }
}

/// Issue 23, BAD 5: part 1 named twice said "assembled 30 frames" of a film that held 32 (part 1 twice, most of part
/// 2 gone). A part named twice, or a copy of one, is refused naming it, and nothing is written.
#[test]
fn assemble_refuses_a_part_named_twice_or_copied() {
    let ws = Workspace::new();
    three_parts(&ws, false);
    let before = ws.entries();
    let out = ws.run(&[
        "assemble",
        "part-0.mp4",
        "part-1.mp4",
        "part-1.mp4",
        "part-2.mp4",
        "-o",
        "dup.mp4",
    ]);
    fails_with(&out, 1, &["part-1.mp4 is named twice", "name each shard's part once"]);
    std::fs::copy(ws.path("part-1.mp4"), ws.path("copy.mp4")).unwrap();
    for record in ["manifest", "source"] {
        std::fs::copy(
            ws.path(&format!(".part-1.mp4.colorize-{record}")),
            ws.path(&format!(".copy.mp4.colorize-{record}")),
        )
        .unwrap();
    }
    let out = ws.run(&[
        "assemble",
        "part-0.mp4",
        "part-1.mp4",
        "copy.mp4",
        "part-2.mp4",
        "-o",
        "dup.mp4",
    ]);
    fails_with(&out, 1, &["part-1.mp4 and copy.mp4 are both shard 1/3"]);
    std::fs::remove_file(ws.path("copy.mp4")).unwrap();
    for record in ["manifest", "source"] {
        std::fs::remove_file(ws.path(&format!(".copy.mp4.colorize-{record}"))).unwrap();
    }
    assert_eq!(ws.entries(), before, "a refused assemble left something");
    // Named in any order, each once, the parts make the whole film.
    let said = ws.ok(&["assemble", "part-2.mp4", "part-0.mp4", "part-1.mp4", "-o", "dup.mp4"]);
    assert!(said.contains("assembled 30 frames"), "{said}");
    assert_eq!(read_video(&ws.path("dup.mp4")).frames.len(), 30);
}

/// Issue 23, BAD 6: `--audio-from` a missing file, a folder or /dev/null gave rc 0 and a silent film without a word.
/// Those are refused before anything is written; a film without sound gives a silent film and says so.
#[test]
fn assemble_refuses_audio_from_what_is_not_a_film_and_notes_a_silent_one() {
    let ws = Workspace::new();
    three_parts(&ws, false);
    std::fs::create_dir(ws.path("folder")).unwrap();
    let before = ws.entries();
    for (source, why) in [
        ("nope.mp4", "it does not exist"),
        ("folder", "it is a folder"),
        ("/dev/null", "it is not a regular file"),
    ] {
        let parts = ["assemble", "part-0.mp4", "part-1.mp4", "part-2.mp4", "-o", "joined.mp4"];
        let out = ws.run(&[&parts[..], &["--audio-from", source]].concat());
        let said = format!("cannot take the sound from {source}: {why}");
        fails_with(&out, 1, &[&said, "give --audio-from the film"]);
        assert_eq!(ws.entries(), before, "--audio-from {source} left something");
    }
    let said = ws.ok(&[
        "assemble",
        "part-0.mp4",
        "part-1.mp4",
        "part-2.mp4",
        "-o",
        "joined.mp4",
        "--audio-from",
        "film.mp4",
    ]);
    assert!(
        said.contains("note: film.mp4 has no sound; the film is silent"),
        "{said}"
    );
    assert!(probe(&ws.path("joined.mp4")).iter().all(|s| s.kind != "audio"));
}
