//! The review page (`--report`, `--report-json`): a record per frame that agrees with the run's summary, the
//! page self-contained with the same JSON inside, stability that tells motion from a jump, and the network's
//! uncertainty on the full-size stand-in.

use std::path::Path;

use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::videoio;
use serde_json::Value;

use crate::support::interrupt::stop_partway;
use crate::support::{gray_picture, refs, shared_media, standin, Workspace};

pub const SIZE: Size = Size::new(160, 120);

/// A textured picture, moved `shift` pixels right and made `lift` levels brighter; `other` is another scene.
pub fn picture(shift: i32, lift: u8, other: bool) -> Mat {
    gray_picture(SIZE, |x, y| {
        let (x, y) = (f64::from(x - shift), f64::from(y));
        let wave = if other {
            (x / 5.0).cos() * (y / 13.0).sin()
        } else {
            (x / 9.0).sin() * (y / 7.0).cos() + 0.5 * ((x + y) / 17.0).sin()
        };
        let base = if other { 190.0 } else { 100.0 };
        (base + 40.0 * wave).clamp(0.0, 255.0) as u8 + lift
    })
}

/// Writes `frames` as an MJPG AVI at 25 fps.
pub fn write_film(path: &Path, frames: &[Mat]) {
    let fourcc = videoio::VideoWriter::fourcc('M', 'J', 'P', 'G').unwrap();
    let mut writer = videoio::VideoWriter::new(path, fourcc, 25.0, SIZE, true).unwrap();
    assert!(writer.is_opened().unwrap());
    for frame in frames {
        writer.write(frame).unwrap();
    }
    writer.release().unwrap();
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The JSON the page embeds.
pub fn embedded_json(page: &str) -> Value {
    let start = r#"<script type="application/json" id="colorize-report">"#;
    let from = page.find(start).expect("the page embeds its JSON") + start.len();
    let to = from + page[from..].find("</script>").unwrap();
    serde_json::from_str(&page[from..to]).unwrap()
}

/// The numbers in the run's summary line: frames, keyframes, computed, repeats, carried, cuts.
fn summary(said: &str) -> Vec<usize> {
    let line = said
        .lines()
        .find(|l| l.starts_with("colorized "))
        .expect("a summary line");
    line.split(|c: char| !c.is_ascii_digit() && c != '.')
        .filter(|w| !w.is_empty() && !w.contains('.'))
        .take(6)
        .map(|w| w.parse().unwrap())
        .collect()
}

#[test]
fn a_90_frame_film_has_90_records_with_the_kinds_and_cuts_of_its_summary() {
    let ws = Workspace::new();
    let frames: Vec<Mat> = (0..90).map(|i| picture(2 * (i % 45), 0, i >= 45)).collect();
    write_film(&ws.path("film.avi"), &frames);
    let said = ws.ok(&[
        "video",
        "film.avi",
        "-o",
        "out.avi",
        "--report",
        "--report-json",
        "out.json",
        "-q",
    ]);
    let [count, keyframes, computed, repeats, carried, cuts] = summary(&said)[..] else {
        panic!("summary: {said}")
    };
    assert_eq!((count, cuts), (90, 1), "{said}");
    let json = read_json(&ws.path("out.json"));
    let records = json["frames"].as_array().unwrap();
    assert_eq!(records.len(), 90);
    let kind = |k: &str| records.iter().filter(|r| r["kind"] == k).count();
    assert_eq!(
        (kind("keyframe"), kind("repeat"), kind("carried")),
        (computed, repeats, carried)
    );
    assert_eq!(kind("keyframe") + kind("repeat"), keyframes);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["index"], i);
        assert_eq!(r["cut"], i == 45, "frame {i}");
        let h = r["uncertainty"].as_f64();
        assert_eq!(h.is_some(), r["kind"] == "keyframe", "frame {i}: {r}");
        assert!(h.is_none_or(|h| (0.0..=1.0).contains(&h)), "frame {i}: {r}");
        // Nothing to compare the first frame and a cut with.
        assert_eq!(r["stability"].is_null(), i == 0 || i == 45, "frame {i}: {r}");
        assert!((r["time"].as_f64().unwrap() - i as f64 / 25.0).abs() < 1e-6);
    }
    assert_eq!(json["settings"]["source_size"], serde_json::json!([160, 120]));
    assert_eq!(
        json["doubt"], "entropy",
        "the 2016 network's uncertainty is its entropy"
    );
    let page = std::fs::read_to_string(ws.path("out.report.html")).unwrap();
    assert_eq!(
        embedded_json(&page),
        json,
        "the page holds the same JSON as --report-json"
    );
    for remote in ["http://", "https://", "//cdn", "<link"] {
        assert!(!page.contains(remote), "the page refers to {remote}");
    }
    assert!(page.contains("<svg") && page.matches("<figure class=\"frame\"").count() >= 12);
}

/// The unexplained change of every frame of a film, and the frames its attention list names as unsteady.
fn stability(ws: &Workspace, frames: &[Mat], name: &str) -> (Vec<f64>, Vec<u64>) {
    write_film(&ws.path(&format!("{name}.avi")), frames);
    let json_name = format!("{name}.json");
    ws.ok(&[
        "video",
        &format!("{name}.avi"),
        "--no-frames",
        "-o",
        &format!("{name}-out.avi"),
        "--report-json",
        &json_name,
        "-q",
    ]);
    let json = read_json(&ws.path(&json_name));
    let changes = json["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["stability"].as_f64())
        .collect();
    let unsteady = json["attention"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["why"] == "unsteady")
        .map(|a| a["frame"].as_u64().unwrap())
        .collect();
    (changes, unsteady)
}

#[test]
fn a_picture_moving_reads_steady_and_a_jump_at_one_frame_is_flagged() {
    let ws = Workspace::new();
    let moving: Vec<Mat> = (0..30).map(|i| picture(2 * i, 0, false)).collect();
    let (changes, unsteady) = stability(&ws, &moving, "moving");
    assert!(unsteady.is_empty(), "{unsteady:?}");
    let worst = changes.iter().copied().fold(0.0, f64::max);
    assert!(worst < 5.0, "a picture moving 2 pixels a frame changed by {worst}");
    // Lighter by 22 levels at frame 17 alone: too little for a cut, a jump the motion does not explain.
    let jump: Vec<Mat> = (0..30)
        .map(|i| picture(2 * i, if i == 17 { 22 } else { 0 }, false))
        .collect();
    let (changes, unsteady) = stability(&ws, &jump, "jump");
    assert_eq!(changes.len(), 29, "no cut at the jump");
    assert!(
        unsteady.contains(&17),
        "frame 17 is not flagged: {unsteady:?}, changes {changes:?}"
    );
    assert!(unsteady.iter().all(|&f| f == 17 || f == 18), "{unsteady:?}");
}

#[test]
fn keyframe_uncertainty_on_the_full_size_network_lies_between_0_and_1() {
    let Some(clip) = shared_media(
        "video/chaplin_moviepy.mp4",
        "keyframe_uncertainty_on_the_full_size_network",
    ) else {
        return;
    };
    let ws = Workspace::new();
    standin::write(&ws.path("full"), standin::Width::Full);
    let clip = clip.to_string_lossy();
    let args = [
        "video",
        &clip,
        "--model-dir",
        "full",
        "--width",
        "320",
        "--end",
        "24",
        "--no-frames",
        "-o",
        "chaplin.avi",
        "--report",
        "-q",
    ];
    ws.ok(&args);
    let page = std::fs::read_to_string(ws.path("chaplin.report.html")).unwrap();
    let json = embedded_json(&page);
    let unsure: Vec<f64> = json["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["uncertainty"].as_f64())
        .collect();
    assert!(
        !unsure.is_empty() && unsure.iter().all(|&h| h > 0.0 && h < 1.0),
        "{unsure:?}"
    );
    assert!(
        !json["attention"].as_array().unwrap().is_empty(),
        "nothing to look at on the Chaplin clip"
    );
}

#[test]
fn a_resumed_run_writes_the_review_an_uninterrupted_one_does() {
    let ws = Workspace::new();
    let frames: Vec<Mat> = (0..90).map(|i| picture(2 * (i % 45), 0, i >= 45)).collect();
    write_film(&ws.path("film.avi"), &frames);
    let args = |name: &str| -> Vec<String> {
        [
            "video",
            "film.avi",
            "-o",
            &format!("{name}.avi"),
            "--frames-dir",
            name,
            "--report-json",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("{name}.json"), "-q".to_string()])
        .collect()
    };
    ws.ok(&refs(&args("whole")));
    let status = stop_partway(&ws, &args("resumed"), "resumed", 50, libc::SIGINT);
    assert!(!status.success());
    let said = ws.ok(&refs(&args("resumed")));
    let resumed_at: u64 = said
        .split(" already done")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of frames already done: {said}"));
    let (whole, resumed) = (read_json(&ws.path("whole.json")), read_json(&ws.path("resumed.json")));
    let (whole, resumed) = (
        whole["frames"].as_array().unwrap(),
        resumed["frames"].as_array().unwrap(),
    );
    assert_eq!(whole.len(), resumed.len());
    for (a, b) in whole.iter().zip(resumed) {
        for field in ["index", "kind", "cut", "uncertainty"] {
            assert_eq!(a[field], b[field], "{field}: {a} against {b}");
        }
        // The first frame made again is compared with the one before as read back from its JPEG, which moves the
        // change a little; every other frame's record is the very one.
        let close = match (a["stability"].as_f64(), b["stability"].as_f64()) {
            (Some(x), Some(y)) if x != y => (x - y).abs() < 1.0 && b["index"] == resumed_at,
            (x, y) => x == y,
        };
        assert!(close, "{a} against {b}");
    }
}

#[test]
fn assemble_writes_the_page_of_a_film_its_shards_made_as_a_single_run_would() {
    let ws = Workspace::new();
    let frames: Vec<Mat> = (0..90).map(|i| picture(2 * (i % 45), 0, i >= 45)).collect();
    write_film(&ws.path("film.avi"), &frames);
    ws.ok(&[
        "video",
        "film.avi",
        "-o",
        "whole.avi",
        "--frames-dir",
        "whole",
        "--report",
        "-q",
    ]);
    for shard in ["0/3", "1/3", "2/3"] {
        ws.ok(&[
            "video",
            "film.avi",
            "--frames-dir",
            "parts",
            "--shard",
            shard,
            "--report",
            "-q",
        ]);
    }
    ws.ok(&["assemble", "parts", "-o", "assembled.avi", "--report", "-q"]);
    let page = |name: &str| embedded_json(&std::fs::read_to_string(ws.path(name)).unwrap());
    let (whole, assembled) = (page("whole.report.html"), page("assembled.report.html"));
    assert_eq!(assembled["settings"]["frames"], 90);
    let (whole, assembled) = (
        whole["frames"].as_array().unwrap(),
        assembled["frames"].as_array().unwrap(),
    );
    assert_eq!(whole.len(), assembled.len());
    for (a, b) in whole.iter().zip(assembled) {
        for field in ["index", "kind", "cut", "uncertainty"] {
            assert_eq!(a[field], b[field], "{field}: {a} against {b}");
        }
        // Measured again on the frames as read back from their JPEGs, across the shards' seams too.
        let close = match (a["stability"].as_f64(), b["stability"].as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() < 1.0,
            (x, y) => x == y,
        };
        assert!(close, "{a} against {b}");
    }
    // Shards that ran without --report leave nothing to write a page from: refused, naming what to do.
    for shard in ["0/2", "1/2"] {
        ws.ok(&["video", "film.avi", "--frames-dir", "bare", "--shard", shard, "-q"]);
    }
    let out = ws.run(&["assemble", "bare", "-o", "bare.avi", "--report", "-q"]);
    crate::support::fails_with(&out, 1, &["has no review of 90 of its frames", "with --report"]);
}

/// The command the page tells a person to run, as the page shows it.
pub fn page_command(page: &str) -> String {
    let start = "<code id=\"hint-command\">";
    let from = page.find(start).expect("the page shows a command") + start.len();
    let to = from + page[from..].find("</code>").unwrap();
    html_escape::decode_html_entities(&page[from..to]).into_owned()
}

/// Pastes `command` into a POSIX shell in the workspace, with this build's colorize on the PATH.
pub fn paste(ws: &Workspace, command: &str) -> std::process::Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_colorize")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("PATH", path)
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    eprintln!("sh -c {command}\n{}", crate::support::stderr(&out));
    out
}

/// The a/b of CIE Lab at (`x`, `y`) of an 8-bit BGR picture, and of an 8-bit colour.
fn ab_at(picture: &Mat, (x, y): (i32, i32)) -> [f32; 2] {
    let v = *crate::support::lab(picture).at_2d::<opencv::core::Vec3f>(y, x).unwrap();
    [v[1], v[2]]
}

/// Writes a hint into the hints file that the `page` of the film `name` (made by `film_with_page`) names,
/// pastes the page's command into a shell and checks that it refinished this film's frames with the hint, and
/// ran nothing else (no `PWNED` appeared).
pub fn assert_page_command_refinishes(ws: &Workspace, name: &str, page: &str) {
    let command = page_command(page);
    let stem = Path::new(name).file_stem().unwrap().to_string_lossy().into_owned();
    // The hint at the source's (80, 60) is at (40, 30) of the frames, made 80 wide.
    std::fs::write(
        ws.path(&format!("{stem}.hints.csv")),
        "frame,x,y,colour,radius\n0,80,60,#c83232,8\n",
    )
    .unwrap();
    let out = paste(ws, &command);
    let said = crate::support::stderr(&out);
    assert!(out.status.success(), "{command}: {said}");
    assert!(
        said.contains("refinishing: the colour hints (--hints) changed in 1 of 1 shots"),
        "{command}: {said}"
    );
    assert!(
        !ws.path("PWNED").exists(),
        "the command ran what the name holds: {command}"
    );
    let frame = crate::support::read_image(&ws.path(&format!("frames {name}/frame_000000.png")));
    assert_eq!((frame.cols(), frame.rows()), (80, 60), "{command}");
    let want = ab_at(
        &Mat::from_slice(&[opencv::core::Vec3b::from([50, 50, 200])])
            .unwrap()
            .try_clone()
            .unwrap(),
        (0, 0),
    );
    let got = ab_at(&frame, (40, 30));
    assert!(
        (got[0] - want[0]).abs() < 8.0 && (got[1] - want[1]).abs() < 8.0,
        "{command}: a/b {got:?}, the hint's {want:?}"
    );
}

/// Colorizes `name` (20 frames of a moving picture) into `made <file>` beside it and `frames <name>`, 80 wide,
/// with its page; returns the page.
pub fn film_with_page(ws: &Workspace, name: &str) -> String {
    let frames: Vec<Mat> = (0..20).map(|i| picture(i, 0, false)).collect();
    let input = ws.path(name);
    std::fs::create_dir_all(input.parent().unwrap()).unwrap();
    write_film(&input, &frames);
    let file = Path::new(name).file_name().unwrap().to_str().unwrap();
    let film = Path::new(name).with_file_name(format!("made {file}"));
    let (film, dir) = (film.to_str().unwrap(), format!("frames {name}"));
    ws.ok(&[
        "video",
        name,
        "-o",
        film,
        "--frames-dir",
        &dir,
        "--frame-format",
        "png",
        "--width",
        "80",
        "--no-audio",
        "--report",
        "-q",
    ]);
    std::fs::read_to_string(ws.path(film).with_extension("report.html")).unwrap()
}

/// Issue 30, bad 4: the page's "Then run:" was `colorize video <name> --hints <file>`, unquoted and without the
/// run's outputs and settings: `r$(touch PWNED).avi` ran `touch PWNED`, `Reel 1 (1923).avi` was a syntax error,
/// and neither refinished the film. Pasted into a shell, it now refinishes this film, and runs nothing else.
#[test]
fn page_command_unquoted_ran_what_a_name_holds_and_did_not_refinish_the_film() {
    for name in ["Reel 1 (1923).avi", "r$(touch PWNED).avi"] {
        let ws = Workspace::new();
        let page = film_with_page(&ws, name);
        assert_page_command_refinishes(&ws, name, &page);
    }
}

/// The text of the page's JSON element, as it stands in the HTML.
fn json_element(page: &str) -> &str {
    let start = r#"<script type="application/json" id="colorize-report">"#;
    let from = page.find(start).expect("the page embeds its JSON") + start.len();
    &page[from..from + page[from..].find("</script>").unwrap()]
}

/// Issue 30, bad 3: a name holding `<!--<script>` went into the page's JSON as it is, where it makes the HTML
/// parser read on past the JSON's `</script>` and swallow the page's own script (sliders stuck, no hints). The
/// JSON now holds no `<`, `>` or `&` as such, of a film's page and of a photo's, and reads back the same names.
#[test]
fn comment_opener_in_a_name_swallowed_the_pages_script() {
    let ws = Workspace::new();
    let name = "x</script>/<!--<script> & \"q\".avi";
    let page = film_with_page(&ws, name);
    let element = json_element(&page);
    assert!(!element.contains(['<', '>', '&']), "{element}");
    let json = embedded_json(&page);
    assert_eq!(json["film"], name);
    // The title and heading are the film's name, the header gives its path.
    let file = html_escape::encode_text("<!--<script> & \"q\".avi").into_owned();
    assert!(page.contains(&format!("<title>Review: {file}</title>")), "{page:.300}");
    assert!(page.contains(&format!("<h1>{file}</h1>")));
    let photo = "<!--<script>.png";
    crate::support::write_image(&ws.path(photo), &picture(0, 0, false));
    ws.ok(&["image", photo, "-o", "out", "--report", "-q"]);
    let page = std::fs::read_to_string(ws.path("out/report.html")).unwrap();
    assert!(!json_element(&page).contains(['<', '>', '&']));
    assert_eq!(embedded_json(&page)["photos"][0]["file"], photo);
    assert_eq!(embedded_json(&page)["doubt"], "entropy");
}
