//! Files colorize creates beside its outputs are never opened through a link someone else planted at their name:
//! a planted link is refused in one line or replaced itself, and the file it points to keeps its content. What
//! they hold is taken only when it is whole and of this film, and `--report-json` writes only where `-o` could.

use std::os::unix::fs::symlink;
use std::path::Path;

use opencv::core::Size;

use crate::support::{make_clip, stderr, write_image, write_video, Workspace};

const PRECIOUS: &[u8] = b"someone else's precious file\n";

/// A workspace with a ten-frame film `c.avi` (no sound) and a victim file outside any folder colorize writes.
fn workspace() -> Workspace {
    let ws = Workspace::new();
    write_video(&ws.path("c.avi"), 10.0, Size::new(32, 24), &[20, 60, 100, 140]);
    std::fs::create_dir(ws.path("victims")).unwrap();
    std::fs::write(ws.path("victims/victim.txt"), PRECIOUS).unwrap();
    ws
}

/// Plants at `name` (in the workspace) a link to the victim, runs each of `runs` in turn, and checks that the
/// victim kept its content and that the run that met the link refused it in one line or replaced the link itself.
fn planted_link_is_not_followed(ws: &Workspace, name: &str, runs: &[&[&str]]) {
    let planted = ws.path(name);
    std::fs::create_dir_all(planted.parent().unwrap()).unwrap();
    symlink(ws.path("victims/victim.txt"), &planted).unwrap();
    for args in runs {
        let out = ws.run(args);
        let said = stderr(&out);
        assert!(!said.contains("panicked"), "{name}: {said}");
        let still_a_link = is_link(&planted);
        if out.status.success() {
            assert!(!still_a_link, "{name}: exit 0 but the link is still there: {said}");
        } else {
            let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(errors.len(), 1, "{name}: want one error line: {said}");
        }
        assert_eq!(
            std::fs::read(ws.path("victims/victim.txt")).unwrap(),
            PRECIOUS,
            "{name}: the victim was written through the link by colorize {}",
            args.join(" ")
        );
    }
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

const RUN: &[&str] = &[
    "video",
    "c.avi",
    "-o",
    "o.avi",
    "--frames-dir",
    "fr",
    "--report",
    "--contact-sheet=4",
    "-q",
];
const OVERWRITE: &[&str] = &[
    "video",
    "c.avi",
    "-o",
    "o.avi",
    "--frames-dir",
    "fr",
    "--report",
    "--contact-sheet=4",
    "--overwrite",
    "-q",
];

#[test]
fn a_link_planted_at_a_frames_folder_file_is_never_written_through() {
    for name in [
        "fr/.colorize-lock",
        "fr/.colorize-review",
        "fr/.colorize-review-settings",
        "fr/.colorize-manifest",
        "fr/.colorize-resume",
        "fr/.colorize-predictions",
        "fr/frame_000003.jpg",
    ] {
        planted_link_is_not_followed(&workspace(), name, &[RUN, OVERWRITE]);
    }
}

#[test]
fn a_link_planted_beside_the_film_is_never_written_through() {
    for name in [
        ".o.avi.colorize-partial.avi",
        ".o.avi.colorize-source",
        "o.sheet.jpg",
        "o.report.html",
    ] {
        planted_link_is_not_followed(&workspace(), name, &[RUN, OVERWRITE]);
    }
}

#[test]
fn a_link_planted_at_the_report_json_is_never_written_through() {
    let json = [RUN, &["--report-json", "r.json", "--overwrite"]].concat();
    planted_link_is_not_followed(&workspace(), "r.json", &[&json]);
}

#[test]
fn a_link_planted_at_the_muxed_film_is_never_written_through() {
    let ws = workspace();
    make_clip(&ws.path("s.mp4"), "10", 1.0, true);
    let run: &[&str] = &["video", "s.mp4", "-o", "o.mp4", "--no-frames", "-q"];
    planted_link_is_not_followed(&ws, ".o.mp4.colorize-muxed.mp4", &[run]);
}

#[test]
fn a_link_planted_at_a_shards_files_is_never_written_through() {
    let shard: &[&str] = &["video", "c.avi", "--frames-dir", "fr", "--shard", "0/2", "-q"];
    planted_link_is_not_followed(&workspace(), "fr/.colorize-lock-0-of-2", &[shard]);
    planted_link_is_not_followed(&workspace(), "fr/.colorize-manifest-0-of-2", &[shard]);
    let part: &[&str] = &["video", "c.avi", "--no-frames", "--shard", "0/2", "-o", "p0.avi", "-q"];
    for name in [
        ".p0.avi.colorize-manifest",
        ".p0.avi.colorize-predictions",
        ".p0.avi.colorize-partial.avi",
    ] {
        planted_link_is_not_followed(&workspace(), name, &[part]);
    }
}

#[test]
fn a_link_planted_where_assemble_joins_parts_is_never_written_through() {
    for name in [".o.avi.colorize-parts.avi", ".o.avi.colorize-joined.avi"] {
        let ws = workspace();
        for i in 0..2 {
            let (shard, part) = (format!("{i}/2"), format!("p{i}.avi"));
            ws.ok(&["video", "c.avi", "--no-frames", "--shard", &shard, "-o", &part, "-q"]);
        }
        planted_link_is_not_followed(&ws, name, &[&["assemble", "p0.avi", "p1.avi", "-o", "o.avi", "-q"]]);
    }
}

#[test]
fn a_link_planted_at_a_photos_output_is_never_written_through() {
    let ws = workspace();
    write_image(&ws.path("a.png"), &crate::support::frame(Size::new(24, 16), 90));
    let run: &[&str] = &["image", "a.png", "-o", "out", "--overwrite", "-q"];
    planted_link_is_not_followed(&ws, "out/Color_a.png", &[run]);
}

#[test]
fn report_json_is_refused_like_o_before_any_work() {
    let ws = workspace();
    ws.ok(&["video", "c.avi", "-o", "o.avi", "--frames-dir", "fr", "-q"]);
    std::fs::write(ws.path("notes.txt"), PRECIOUS).unwrap();
    let before: Vec<(String, Vec<u8>)> = ["c.avi", "o.avi", "notes.txt", "fr/frame_000002.jpg"]
        .iter()
        .map(|name| (name.to_string(), std::fs::read(ws.path(name)).unwrap()))
        .collect();
    let entries = ws.entries();
    for (json, overwrite, why) in [
        ("c.avi", true, "is the input"),
        ("o.avi", true, "is the film this run writes"),
        ("./o.report.html", true, "is the review page"),
        ("fr/frame_000002.jpg", true, "inside the frames folder"),
        ("fr/r.json", true, "inside the frames folder"),
        ("notes.txt", false, "already exists (pass --overwrite"),
        ("missing/r.json", true, "missing does not exist"),
    ] {
        let mut args = vec!["video", "c.avi", "-o", "o.avi", "--frames-dir", "fr", "--report"];
        args.extend(["--report-json", json, "-q"]);
        if overwrite {
            args.push("--overwrite");
        }
        crate::support::fails_with(&ws.run(&args), 1, &["--report-json", why]);
        assert_eq!(ws.entries(), entries, "--report-json {json}: something was written");
        for (name, bytes) in &before {
            assert_eq!(
                &std::fs::read(ws.path(name)).unwrap(),
                bytes,
                "--report-json {json}: {name} changed"
            );
        }
    }
}

/// Two four-frame films, `b.avi` and `c.avi`, each run with `--report` into `frb/` and `frc/`.
fn two_reviewed_films() -> Workspace {
    let ws = workspace();
    write_video(&ws.path("b.avi"), 10.0, Size::new(32, 24), &[200, 150, 100, 50]);
    for film in ["b", "c"] {
        let (input, frames, output) = (format!("{film}.avi"), format!("fr{film}"), format!("o{film}.avi"));
        ws.ok(&[
            "video",
            &input,
            "--frames-dir",
            &frames,
            "-o",
            &output,
            "--report",
            "-q",
        ]);
    }
    ws
}

/// Issue 30, BAD 8: film b's review records copied into film c's folder were used by `assemble --report`, which
/// showed c's pictures with b's uncertainties. They are refused, naming the film they belong to.
#[test]
fn another_films_review_records_are_refused_by_assemble_naming_that_film() {
    let ws = two_reviewed_films();
    for name in [".colorize-review", ".colorize-review-settings"] {
        std::fs::copy(ws.path(&format!("frb/{name}")), ws.path(&format!("frc/{name}"))).unwrap();
    }
    let out = ws.run(&["assemble", "frc", "-o", "a.avi", "--report", "-q"]);
    crate::support::fails_with(&out, 1, &["frc/.colorize-review", "b.avi"]);
    assert!(!ws.path("a.avi").exists() && !ws.path("a.report.html").exists());
}

/// Issue 30, BAD 7: a review record changed on disk was taken as it read. Each record carries a checksum: a
/// damaged one is not used, so `assemble --report` finds that frame without a review and says so.
#[test]
fn a_damaged_review_record_is_not_used() {
    let ws = two_reviewed_films();
    let path = ws.path("frc/.colorize-review");
    let text = std::fs::read_to_string(&path).unwrap();
    let damaged: Vec<String> = text
        .lines()
        .map(|line| match line.contains("\"index\":2,") {
            true => line.replace("\"hints\":0", "\"hints\":7"),
            false => line.to_string(),
        })
        .collect();
    assert_ne!(damaged.join("\n") + "\n", text, "no record of frame 2 to damage");
    std::fs::write(&path, damaged.join("\n") + "\n").unwrap();
    let out = ws.run(&["assemble", "frc", "-o", "a.avi", "--report", "-q"]);
    crate::support::fails_with(&out, 1, &["frc", "no review of 1 of its frames"]);
}
