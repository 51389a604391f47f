//! Colour hints on photos, against the truth: colour pictures turned gray, hints taken from their true colour at
//! seeded random points, with the full-size stand-in model (the published architecture, random weights: colour
//! the hints must correct). And every bad hints file: one line naming it, nothing written.

use std::fmt::Write as _;

use opencv::core::{self, Mat, Vec3b};
use opencv::imgproc;
use opencv::prelude::*;

use crate::support::standin::{self, Width};
use crate::support::{fails_with, read_image, shared_media, write_image, Fidelity, Workspace};

/// Seeded points, the same on every machine (xorshift64).
pub fn points(seed: u64, count: usize, width: i32, height: i32) -> Vec<(i32, i32)> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| ((next() % width as u64) as i32, (next() % height as u64) as i32))
        .collect()
}

/// A hints file with the true colour of `colour` at `points`, on film frame `frame` when given.
pub fn hints_csv(colour: &Mat, points: &[(i32, i32)], frame: Option<usize>) -> String {
    let mut csv = String::from(if frame.is_some() {
        "x,y,colour,frame\n"
    } else {
        "x,y,colour\n"
    });
    for &(x, y) in points {
        let px = colour.at_2d::<Vec3b>(y, x).unwrap();
        write!(csv, "{x},{y},#{:02x}{:02x}{:02x}", px[2], px[1], px[0]).unwrap();
        match frame {
            Some(frame) => writeln!(csv, ",{frame}").unwrap(),
            None => writeln!(csv).unwrap(),
        }
    }
    csv
}

/// 8-bit Lab, as OpenCV converts 8-bit BGR.
fn lab8(bgr: &Mat) -> Mat {
    let mut lab = Mat::default();
    imgproc::cvt_color_def(bgr, &mut lab, imgproc::COLOR_BGR2Lab).unwrap();
    lab
}

/// 8-bit Lab of `colour`'s a/b put on the lightness of the gray level `gray`, as a person's hint asks (the picture
/// keeps its own lightness): where that colour does not exist at that lightness, 8-bit RGB clips it and its a/b
/// come out otherwise.
fn at_lightness(gray: u8, colour: Vec3b) -> Vec3b {
    let convert = |pixel: core::Vec3f, code| {
        let pixels = [pixel];
        let mut out = Mat::default();
        imgproc::cvt_color_def(&Mat::from_slice(&pixels).unwrap(), &mut out, code).unwrap();
        *out.at::<core::Vec3f>(0).unwrap()
    };
    let lab = convert(
        core::Vec3f::from(colour.0.map(|v| f32::from(v) / 255.0)),
        imgproc::COLOR_BGR2Lab,
    );
    let grey = convert(core::Vec3f::all(f32::from(gray) / 255.0), imgproc::COLOR_BGR2Lab);
    let back = convert(core::Vec3f::from([grey[0], lab[1], lab[2]]), imgproc::COLOR_Lab2BGR);
    let pixel = Mat::from_slice(&[Vec3b::from(back.0.map(|v| (v.clamp(0.0, 1.0) * 255.0) as u8))])
        .unwrap()
        .try_clone()
        .unwrap();
    *lab8(&pixel).at::<Vec3b>(0).unwrap()
}

fn psnr(truth: &Mat, output: &Mat) -> f64 {
    let mut fidelity = Fidelity::default();
    fidelity.add(truth, output);
    fidelity.psnr()
}

#[test]
fn random_hints_from_the_true_colour_bring_photos_towards_it() {
    let test = "random_hints_from_the_true_colour_bring_photos_towards_it";
    let Some(folder) = shared_media("color", test) else {
        return;
    };
    let ws = Workspace::new();
    standin::write(&ws.path("full"), Width::Full);
    let mut pictures: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
    pictures.sort();
    let (mut plain, mut fifty, mut two_hundred) = (Vec::new(), Vec::new(), Vec::new());
    let (mut missed, mut hinted, mut unreachable) = (Vec::new(), 0, 0);
    for (n, picture) in pictures.iter().enumerate() {
        let colour = read_image(picture);
        let mut gray = Mat::default();
        imgproc::cvt_color_def(&colour, &mut gray, imgproc::COLOR_BGR2GRAY).unwrap();
        let name = format!("gray{n}.png");
        write_image(&ws.path(&name), &gray);
        let run = |out: &str, hints: Option<&str>| -> Mat {
            let mut args = vec!["image", &name, "-o", out, "--model-dir", "full", "-q"];
            if let Some(hints) = hints {
                args.extend(["--hints", hints]);
            }
            ws.ok(&args);
            read_image(&ws.path(&format!("{out}/Color_{name}")))
        };
        plain.push(psnr(&colour, &run("plain", None)));
        for (count, gains) in [(50, &mut fifty), (200, &mut two_hundred)] {
            let at = points(7 + n as u64, count, colour.cols(), colour.rows());
            let file = format!("hints{n}-{count}.csv");
            std::fs::write(ws.path(&file), hints_csv(&colour, &at, None)).unwrap();
            let output = run(&format!("hinted{count}"), Some(&file));
            gains.push(psnr(&colour, &output));
            let (want, got) = (lab8(&colour), lab8(&output));
            for &(x, y) in &at {
                let (w, g) = (want.at_2d::<Vec3b>(y, x).unwrap(), got.at_2d::<Vec3b>(y, x).unwrap());
                let off = w[1].abs_diff(g[1]).max(w[2].abs_diff(g[2]));
                // The picture keeps its own lightness, at which some colours do not exist: there the hint's colour as
                // that lightness holds it is what can be met.
                let possible = at_lightness(*gray.at_2d::<u8>(y, x).unwrap(), *colour.at_2d::<Vec3b>(y, x).unwrap());
                let off_possible = possible[1].abs_diff(g[1]).max(possible[2].abs_diff(g[2]));
                let exists = possible[1].abs_diff(w[1]).max(possible[2].abs_diff(w[2])) <= 1;
                unreachable += usize::from(!exists);
                if (exists && off > 2) || off_possible > 2 {
                    missed.push(format!(
                        "{} ({x}, {y}): a/b {:?}, hint {:?}, at this lightness {:?}",
                        picture.display(),
                        [g[1], g[2]],
                        [w[1], w[2]],
                        [possible[1], possible[2]]
                    ));
                }
            }
            hinted += at.len();
        }
    }
    assert!(
        missed.is_empty(),
        "hinted pixels off their hint's colour:\n{}",
        missed.join("\n")
    );
    assert!(
        unreachable * 10 <= hinted,
        "{unreachable} of {hinted} hint colours do not exist at their lightness"
    );
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (plain, fifty, two_hundred) = (mean(&plain), mean(&fifty), mean(&two_hundred));
    eprintln!(
        "PSNR against the truth: no hints {plain:.2} dB, 50 hints {fifty:.2} dB, 200 hints {two_hundred:.2} dB; \
         {hinted} hinted pixels, {unreachable} of whose colour does not exist at the picture's lightness"
    );
    assert!(fifty >= plain + 5.0, "50 hints: {fifty:.2} dB against {plain:.2}");
    assert!(
        two_hundred >= plain + 9.0,
        "200 hints: {two_hundred:.2} dB against {plain:.2}"
    );
}

#[test]
fn a_scribble_gives_its_colour_to_the_region_it_is_drawn_in() {
    let ws = Workspace::new();
    // Two fields of gray, dark left and light right.
    let gray = crate::support::gray_picture(core::Size::new(96, 64), |x, _| if x < 48 { 70 } else { 180 });
    write_image(&ws.path("photo.png"), &gray);
    let mut scribble = Mat::new_rows_cols_with_default(64, 96, core::CV_8UC4, 0.0.into()).unwrap();
    for y in 28..36 {
        for x in 10..20 {
            *scribble.at_2d_mut::<core::Vec4b>(y, x).unwrap() = core::Vec4b::from([40, 160, 40, 255]);
        }
    }
    write_image(&ws.path("green.png"), &scribble);
    let plain = {
        ws.ok(&["image", "photo.png", "-o", "plain", "-q"]);
        lab8(&read_image(&ws.path("plain/Color_photo.png")))
    };
    ws.ok(&["image", "photo.png", "-o", "hinted", "--hints", "green.png", "-q"]);
    let hinted = lab8(&read_image(&ws.path("hinted/Color_photo.png")));
    // Green is a < 128 in 8-bit Lab: the drawn region and the field around it turn green, the other field keeps
    // the network's colour.
    let a = |lab: &Mat, x, y| i32::from(lab.at_2d::<Vec3b>(y, x).unwrap()[1]);
    assert!(
        a(&hinted, 15, 32) < 110,
        "under the scribble: a = {}",
        a(&hinted, 15, 32)
    );
    assert!(a(&hinted, 40, 10) < 118, "in its field: a = {}", a(&hinted, 40, 10));
    assert!(
        (a(&hinted, 80, 32) - a(&plain, 80, 32)).abs() <= 1,
        "across the edge: {} against {}",
        a(&hinted, 80, 32),
        a(&plain, 80, 32)
    );
}

#[test]
fn bad_hints_are_one_line_naming_the_file_and_nothing_is_written() {
    let ws = Workspace::new();
    let gray = crate::support::gray_picture(core::Size::new(40, 30), |x, y| (x * 3 + y) as u8);
    write_image(&ws.path("a.png"), &gray);
    write_image(&ws.path("b.png"), &gray);
    let big = Mat::new_rows_cols_with_default(31, 40, core::CV_8UC4, 0.0.into()).unwrap();
    write_image(&ws.path("big.png"), &big);
    for (name, text, said) in [
        (
            "row.csv",
            "x,y,colour\n1,2,#ff0000\n3,4,#ff00\n",
            "row.csv: line 3: colour `#ff00` is not #rrggbb",
        ),
        (
            "outside.csv",
            "x,y,colour\n40,2,#ff0000\n",
            "outside.csv line 2: the hint at (40, 2) is outside a.png",
        ),
        (
            "stranger.csv",
            "x,y,colour,file\n1,2,#ff0000,c.png\n",
            "stranger.csv: c.png is not a photo of this batch",
        ),
    ] {
        std::fs::write(ws.path(name), text).unwrap();
        fails_with(
            &ws.run(&["image", "a.png", "b.png", "-o", "out", "--hints", name]),
            1,
            &[said],
        );
    }
    fails_with(
        &ws.run(&["image", "a.png", "-o", "out", "--hints", "big.png"]),
        1,
        &["big.png: the scribble is 40x31, a.png is 40x30"],
    );
    fails_with(
        &ws.run(&["image", "a.png", "-o", "out", "--exact", "--hints", "row.csv"]),
        1,
        &["--exact is the recipe"],
    );
    assert!(!ws.path("out").exists(), "a refused run wrote {:?}", ws.entries());
    std::fs::write(ws.path("empty.csv"), "x,y,colour\n").unwrap();
    let out = ws.run(&["image", "a.png", "-o", "out", "--hints", "empty.csv"]);
    assert!(out.status.success());
    assert!(crate::support::stderr(&out).contains("warning: hints empty.csv holds no hints"));
}
