//! `colorize image` on batches: 1-channel, sepia and PNG inputs, a bad file among good ones, no silent overwrite.

use opencv::core::{self, Mat, Size, Vec3b};
use opencv::imgproc;
use opencv::prelude::*;

use crate::support::{self, mean_gray, names, read_image, stderr, write_image, Workspace};

fn sepia(gray: &Mat) -> Mat {
    let px: Vec<Vec3b> = gray
        .data_bytes()
        .unwrap()
        .iter()
        .map(|&v| Vec3b::from([v / 2 + 20, v / 4 * 3 + 30, v.saturating_add(25)]))
        .collect();
    Mat::from_slice(&px)
        .unwrap()
        .reshape(3, gray.rows())
        .unwrap()
        .try_clone()
        .unwrap()
}

#[test]
fn batch_of_gray_sepia_and_png_photos() {
    let ws = Workspace::new();
    let gray = {
        let mut g = Mat::default();
        imgproc::cvt_color_def(&support::frame(Size::new(120, 80), 70), &mut g, imgproc::COLOR_BGR2GRAY).unwrap();
        g
    };
    write_image(&ws.path("album/one_channel.png"), &gray);
    write_image(&ws.path("album/sepia.jpg"), &sepia(&gray));
    write_image(&ws.path("loose.png"), &support::frame(Size::new(50, 90), 150));

    let out = ws.run(&["image", "album", "loose.png", "-q"]);
    assert!(out.status.success());
    assert_eq!(
        names(&ws.path("colorized_images")),
        ["Color_loose.png", "Color_one_channel.png", "Color_sepia.jpg"]
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 3, "{stdout}");

    for (input, output) in [
        ("album/one_channel.png", "Color_one_channel.png"),
        ("album/sepia.jpg", "Color_sepia.jpg"),
        ("loose.png", "Color_loose.png"),
    ] {
        let (input, output) = (
            read_image(&ws.path(input)),
            read_image(&ws.path(&format!("colorized_images/{output}"))),
        );
        assert_eq!(output.channels(), 3);
        assert_eq!(output.size().unwrap(), input.size().unwrap());
        let input_gray = if input.channels() == 1 {
            core::mean_def(&input).unwrap()[0]
        } else {
            mean_gray(&input)
        };
        assert!(
            (mean_gray(&output) - input_gray).abs() < 6.0,
            "luminance moved: {} vs {input_gray}",
            mean_gray(&output)
        );
        // Colour was added: the channels are no longer equal.
        let mut channels = core::Vector::<Mat>::new();
        core::split(&output, &mut channels).unwrap();
        assert!(support::mean_abs_diff(&channels.get(0).unwrap(), &channels.get(2).unwrap()) > 1.0);
    }
}

#[test]
fn one_bad_photo_is_reported_and_the_rest_are_done() {
    let ws = Workspace::new();
    write_image(&ws.path("album/good.png"), &support::frame(Size::new(40, 30), 90));
    std::fs::write(ws.path("album/broken.jpg"), b"this is not a jpeg").unwrap();
    let out = ws.run(&["image", "album", "--format", "png", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr(&out);
    assert!(
        stderr.contains("broken.jpg") && stderr.contains("cannot read"),
        "{stderr}"
    );
    assert_eq!(names(&ws.path("colorized_images")), ["Color_good.png"]);
}

#[test]
fn existing_outputs_are_kept_unless_overwrite() {
    let ws = Workspace::new();
    write_image(&ws.path("p.png"), &support::frame(Size::new(40, 30), 90));
    std::fs::create_dir_all(ws.path("colorized_images")).unwrap();
    std::fs::write(ws.path("colorized_images/Color_p.png"), b"the user's earlier work").unwrap();
    let out = ws.run(&["image", "p.png", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--overwrite"));
    assert_eq!(
        std::fs::read(ws.path("colorized_images/Color_p.png")).unwrap(),
        b"the user's earlier work"
    );
    assert!(ws.run(&["image", "p.png", "--overwrite", "-q"]).status.success());
    assert_eq!(read_image(&ws.path("colorized_images/Color_p.png")).channels(), 3);
}

/// Issue 23, WEAK: `image DIR -o DIR` twice colorized the first run's copies again, as Color_Color_*. In the output
/// folder they are left out, with a note.
#[test]
fn photos_colorized_into_their_own_folder_are_not_colorized_again() {
    let ws = Workspace::new();
    write_image(&ws.path("album/p.png"), &support::frame(Size::new(40, 30), 90));
    ws.ok(&["image", "album", "-o", "album", "-q"]);
    let said = ws.ok(&["image", "album", "-o", "album", "--overwrite", "-q"]);
    assert!(
        said.contains("note: 1 colorized copies (Color_*) in album, the output folder, are left out"),
        "{said}"
    );
    assert_eq!(names(&ws.path("album")), ["Color_p.png", "p.png"]);
}
