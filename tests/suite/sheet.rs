//! Contact sheets: read back, every tile is the frame or photo its label names, at the picked places.

use std::path::Path;

use colorize::sheet::{self, cell_origin, thumb_size, GAP, LABEL_HEIGHT};
use opencv::core::{Mat, Rect, Size};
use opencv::imgproc;
use opencv::prelude::*;

use crate::support::{self, mean_abs_diff, read_image, read_video, shared_media, write_image, Workspace};

/// The part of `sheet` holding the original (0) or colorized (1) picture of cell `i`.
fn tile(sheet: &Mat, i: usize, thumb: Size, which: i32) -> Mat {
    let o = cell_origin(i, thumb);
    let rect = Rect::new(
        o.x,
        o.y + LABEL_HEIGHT + which * thumb.height,
        thumb.width,
        thumb.height,
    );
    Mat::roi(sheet, rect).unwrap().try_clone().unwrap()
}

fn shrink(image: &Mat, size: Size) -> Mat {
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
