//! The review page of a network that gives no measure of its doubt (DDColor, on the narrow stand-in): every frame
//! and photo listed and shown, no uncertainty anywhere, and the page and its JSON saying why.

use opencv::core::Mat;
use serde_json::Value;

use crate::ddcolor::{onnx, with_ddcolor};
use crate::report::{embedded_json, picture, write_film};
use crate::support::{write_image, Workspace};

/// What the header says in place of the uncertainty.
const NO_DOUBT: &str = "<dt>Uncertainty</dt><dd>none: DDColor gives one colour and no measure of its doubt</dd>";

/// Checks that `page`'s header says the network gives no measure of its doubt, and that it shows no heat map.
fn assert_says_no_doubt(page: &str) {
    assert!(
        page.contains(NO_DOUBT),
        "the header does not say there is no uncertainty"
    );
    assert!(
        !page.contains("class=\"show-heat\""),
        "a heat map of a doubt DDColor does not give"
    );
}

fn read_json(ws: &Workspace, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(ws.path(name)).unwrap()).unwrap()
}

/// Issue 32: a film's run with `--report` and `--model ddcolor` failed at its first frame ("this network gives one
/// colour and no measure of its doubt"), as it asked DDColor for the 2016 network's entropy. Its page now has
/// every frame, no uncertainty, and says so in its header, timeline and JSON.
#[test]
fn a_films_review_asked_ddcolor_for_a_doubt_it_does_not_give() {
    let test = "a_films_review_asked_ddcolor_for_a_doubt_it_does_not_give";
    let Some(onnx) = onnx(test) else {
        return;
    };
    let ws = Workspace::new();
    let frames: Vec<Mat> = (0..30).map(|i| picture(2 * (i % 15), 0, i >= 15)).collect();
    write_film(&ws.path("film.avi"), &frames);
    let args = [
        "video",
        "film.avi",
        "-o",
        "out.avi",
        "--report",
        "--report-json",
        "out.json",
        "-q",
    ];
    ws.ok(&with_ddcolor(&onnx, &args));
    let json = read_json(&ws, "out.json");
    assert_eq!(json["doubt"], "none");
    let records = json["frames"].as_array().unwrap();
    assert_eq!(records.len(), 30);
    assert!(records.iter().any(|r| r["kind"] == "keyframe"), "{records:?}");
    for r in records {
        assert!(r["uncertainty"].is_null(), "{r}");
    }
    assert_eq!(records[15]["cut"], true);
    let attention = json["attention"].as_array().unwrap();
    assert!(attention.iter().all(|a| a["why"] != "unsure"), "{attention:?}");
    let page = std::fs::read_to_string(ws.path("out.report.html")).unwrap();
    assert_eq!(
        embedded_json(&page),
        json,
        "the page holds the same JSON as --report-json"
    );
    assert_says_no_doubt(&page);
    assert!(page.contains("No red: DDColor gives one colour and no measure of its doubt"));
    // The plot's legend and its second axis, as plotters writes their text.
    assert!(page.contains("\nno uncertainty: DDColor gives no measure of doubt\n"));
    assert!(page.contains("\nuncertainty: none from DDColor\n"));
    assert!(!page.contains("uncertainty at keyframes"));
    assert!(page.matches("<figure class=\"frame\"").count() >= 12);
    // The page's command, pasted into a shell with a hint on frame 0 saved, refinishes this film with DDColor.
    std::fs::write(
        ws.path("film.hints.csv"),
        "frame,x,y,colour,radius\n0,80,60,#c83232,8\n",
    )
    .unwrap();
    let command = crate::report::page_command(&page);
    let pasted = crate::report::paste(&ws, &command);
    let said = crate::support::stderr(&pasted);
    assert!(pasted.status.success(), "{command}: {said}");
    assert!(
        said.contains("refinishing: the colour hints (--hints) changed in 1 of 2 shots"),
        "{said}"
    );
}

/// Issue 32: `colorize image --report --model ddcolor` wrote a page of no photos: a photo without the network's
/// uncertainty was left out of the review. Every photo is now listed with a null uncertainty and shown, and the
/// page says the network gives none.
#[test]
fn a_photos_review_left_out_every_photo_ddcolor_gave_no_doubt_for() {
    let test = "a_photos_review_left_out_every_photo_ddcolor_gave_no_doubt_for";
    let Some(onnx) = onnx(test) else {
        return;
    };
    let ws = Workspace::new();
    for (name, shift) in [("a.png", 0), ("b.png", 20), ("c.png", 40)] {
        write_image(&ws.path(&format!("album/{name}")), &picture(shift, 0, false));
    }
    ws.ok(&with_ddcolor(&onnx, &["image", "album", "-o", "out", "--report", "-q"]));
    let page = std::fs::read_to_string(ws.path("out/report.html")).unwrap();
    let json = embedded_json(&page);
    let photos = json["photos"].as_array().unwrap();
    let files: Vec<&str> = photos.iter().map(|p| p["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["a.png", "b.png", "c.png"]);
    assert_eq!(json["doubt"], "none");
    for p in photos {
        assert!(p["uncertainty"].is_null(), "{p}");
        assert_eq!(p["size"], serde_json::json!([160, 120]));
    }
    assert_eq!(json["attention"], serde_json::json!([]));
    assert_says_no_doubt(&page);
    assert!(page.contains("No photo is named: DDColor gives no measure of its doubt, so look through them all."));
    for file in files {
        assert!(
            page.contains(&format!("data-file=\"{file}\""))
                && page.contains(&format!("<figcaption>{file}, no uncertainty")),
            "{file} is not shown"
        );
    }
}
