//! Contact sheets: read back, every tile is the frame or photo its label names, at the picked places.

use std::path::Path;

use colorize::sheet::{self, cell_origin, thumb_size, GAP, LABEL_HEIGHT};
use opencv::core::{Mat, Rect, Size};
use opencv::imgproc;
use opencv::prelude::*;

use crate::support::{
    self, fails_with, frame, make_clip, mean_abs_diff, read_image, read_video, shared_media, write_image, write_video,
    Workspace,
};

/// The part of `sheet` holding the original (0) or colorized (1) picture of cell `i`.
pub fn tile(sheet: &Mat, i: usize, thumb: Size, which: i32) -> Mat {
    let o = cell_origin(i, thumb);
    let rect = Rect::new(
        o.x,
        o.y + LABEL_HEIGHT + which * thumb.height,
        thumb.width,
        thumb.height,
    );
    Mat::roi(sheet, rect).unwrap().try_clone().unwrap()
}

pub fn shrink(image: &Mat, size: Size) -> Mat {
    let mut small = Mat::default();
    imgproc::resize(image, &mut small, size, 0.0, 0.0, imgproc::INTER_AREA).unwrap();
    small
}

#[test]
fn a_films_sheet_shows_the_picked_frames_as_written() {
    let test = "a_films_sheet_shows_the_picked_frames_as_written";
    let Some(clip) = shared_media("video/chaplin_moviepy.mp4", test) else {
        return;
    };
    let ws = Workspace::new();
    let clip = clip.to_str().unwrap();
    let args = [
        "video",
        clip,
        "--width",
        "320",
        "--contact-sheet=6",
        "--frame-format",
        "png",
    ];
    let out = ws.run(
        &[
            &args[..],
            &["--frames-dir", "frames", "-o", "film.avi", "--no-audio", "-q"],
        ]
        .concat(),
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("film.sheet.jpg"));
    let sheet = read_image(&ws.path("film.sheet.jpg"));
    let thumb = thumb_size(Size::new(320, 180));
    let picks = sheet::picks(241, 6);
    assert_eq!(picks, [0, 48, 96, 144, 192, 240]);
    assert_eq!(
        sheet.size().unwrap(),
        Size::new(
            GAP + 4 * (thumb.width + GAP),
            GAP + 2 * (LABEL_HEIGHT + 2 * thumb.height + GAP)
        )
    );

    let originals = read_video(Path::new(clip)).frames;
    let written: Vec<Mat> = picks
        .iter()
        .map(|i| shrink(&read_image(&ws.path(&format!("frames/frame_{i:06}.png"))), thumb))
        .collect();
    for (i, &index) in picks.iter().enumerate() {
        let colorized = tile(&sheet, i, thumb, 1);
        let own = mean_abs_diff(&colorized, &written[i]);
        assert!(own < 4.0, "tile {i} is {own} from frame {index}");
        for (j, other) in written.iter().enumerate().filter(|&(j, _)| j != i) {
            assert!(
                own < mean_abs_diff(&colorized, other),
                "tile {i} looks more like frame {}",
                picks[j]
            );
        }
        let original = mean_abs_diff(&tile(&sheet, i, thumb, 0), &shrink(&originals[index], thumb));
        assert!(
            original < 4.0,
            "tile {i}'s original is {original} from source frame {index}"
        );
    }
}

#[test]
fn a_batch_sheet_shows_the_picked_photos_in_order() {
    let ws = Workspace::new();
    for (name, level) in [("a.png", 30), ("b.png", 110), ("c.png", 190)] {
        write_image(
            &ws.path(&format!("album/{name}")),
            &support::frame(Size::new(64, 48), level),
        );
    }
    let out = ws.run(&["image", "--contact-sheet=2", "album", "--format", "png", "-q"]);
    assert!(out.status.success());
    let sheet = read_image(&ws.path("colorized_images/contact-sheet.jpg"));
    let thumb = thumb_size(Size::new(64, 48));
    // Two of three photos, first and last: a and c.
    assert_eq!(
        sheet.size().unwrap(),
        Size::new(
            GAP + 2 * (thumb.width + GAP),
            GAP + LABEL_HEIGHT + 2 * thumb.height + GAP
        )
    );
    for (i, name) in [(0, "a"), (1, "c")] {
        let colorized = shrink(
            &read_image(&ws.path(&format!("colorized_images/Color_{name}.png"))),
            thumb,
        );
        assert!(
            mean_abs_diff(&tile(&sheet, i, thumb, 1), &colorized) < 4.0,
            "cell {i} is not {name}"
        );
    }
}

/// Issue 23, BAD 2: a photo named contact-sheet.jpg in the output folder, or an earlier sheet, was replaced
/// without a word. Without --overwrite the batch is refused before any work; with it the sheet is replaced.
#[test]
fn a_batch_sheet_replaces_no_file_without_overwrite() {
    let ws = Workspace::new();
    for (name, level) in [("a.png", 30), ("b.png", 190)] {
        write_image(
            &ws.path(&format!("album/{name}")),
            &support::frame(Size::new(64, 48), level),
        );
    }
    write_image(&ws.path("out/contact-sheet.jpg"), &support::frame(Size::new(32, 32), 7));
    let photo = std::fs::read(ws.path("out/contact-sheet.jpg")).unwrap();
    let out = ws.run(&["image", "album", "-o", "out", "--contact-sheet", "-q"]);
    fails_with(
        &out,
        1,
        &["out/contact-sheet.jpg already exists (pass --overwrite to replace it)"],
    );
    assert_eq!(std::fs::read(ws.path("out/contact-sheet.jpg")).unwrap(), photo);
    assert_eq!(
        support::names(&ws.path("out")),
        ["contact-sheet.jpg"],
        "photos were colorized"
    );

    // An earlier sheet is kept too, and replaced when asked.
    ws.ok(&["image", "album", "-o", "again", "--contact-sheet", "-q"]);
    let earlier = std::fs::read(ws.path("again/contact-sheet.jpg")).unwrap();
    let out = ws.run(&["image", "album", "-o", "again", "--contact-sheet=1", "-q"]);
    fails_with(
        &out,
        1,
        &["again/contact-sheet.jpg already exists (pass --overwrite to replace it)"],
    );
    assert_eq!(std::fs::read(ws.path("again/contact-sheet.jpg")).unwrap(), earlier);
    ws.ok(&[
        "image",
        "album",
        "-o",
        "again",
        "--contact-sheet=1",
        "--overwrite",
        "-q",
    ]);
    assert_ne!(std::fs::read(ws.path("again/contact-sheet.jpg")).unwrap(), earlier);
}

/// Issue 23, BAD 2: `-o mine.avi --contact-sheet` replaced the mine.sheet.jpg already there. It is refused before
/// any work (no film, no frames), and replaced with --overwrite.
#[test]
fn a_films_sheet_replaces_no_file_without_overwrite() {
    let ws = Workspace::new();
    make_clip(&ws.path("film.mp4"), "24", 0.5, false);
    write_image(&ws.path("mine.sheet.jpg"), &support::frame(Size::new(32, 32), 7));
    let photo = std::fs::read(ws.path("mine.sheet.jpg")).unwrap();
    let before = ws.entries();
    let out = ws.run(&["video", "film.mp4", "-o", "mine.avi", "--contact-sheet=2", "-q"]);
    fails_with(
        &out,
        1,
        &["mine.sheet.jpg already exists (pass --overwrite to replace it)"],
    );
    assert_eq!(ws.entries(), before, "a refused run wrote something");
    assert_eq!(std::fs::read(ws.path("mine.sheet.jpg")).unwrap(), photo);
    ws.ok(&[
        "video",
        "film.mp4",
        "-o",
        "mine.avi",
        "--contact-sheet=2",
        "--overwrite",
        "-q",
    ]);
    assert_ne!(std::fs::read(ws.path("mine.sheet.jpg")).unwrap(), photo);
}

/// Issue 23, WEAK: `--contact-sheet sheet.jpg` took sheet.jpg for a second film (rc 1, the frames folder moved to
/// one per film), and `--contact-sheet 5 -o x.avi` failed with "with several films, -o names the folder". Both are
/// refused before any work, saying what was meant.
#[test]
fn a_sheet_given_a_file_or_a_number_without_equals_is_refused_saying_how() {
    let ws = Workspace::new();
    write_video(&ws.path("in.avi"), 10.0, Size::new(32, 24), &[20, 60]);
    write_image(&ws.path("sheet.jpg"), &frame(Size::new(32, 24), 90));
    let before = ws.entries();
    fails_with(
        &ws.run(&["video", "in.avi", "--contact-sheet", "sheet.jpg", "-q"]),
        1,
        &["sheet.jpg is a photo, not a film", "--contact-sheet takes no file"],
    );
    fails_with(
        &ws.run(&["video", "in.avi", "--contact-sheet", "5", "-o", "x.avi", "-q"]),
        1,
        &["5 is not a film", "--contact-sheet=5"],
    );
    assert_eq!(ws.entries(), before);
}
