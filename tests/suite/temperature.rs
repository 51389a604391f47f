//! `--temperature`: the annealed mean's temperature changes which colour the model picks, vividly below the
//! published 0.38 and mutedly above it, and the default changes nothing.

use opencv::core::{self, Mat, Size, Vector};
use opencv::imgproc;
use opencv::prelude::*;

use crate::support::{self, read_image, shared_media, standin, Workspace};

/// Mean of sqrt(a^2 + b^2) in CIE Lab over every pixel of the PNGs in `dir`.
fn mean_chroma(dir: &std::path::Path) -> f64 {
    let (mut total, mut pixels) = (0.0, 0.0);
    for name in support::names(dir) {
        let bgr = read_image(&dir.join(name));
        let mut float = Mat::default();
        bgr.convert_to(&mut float, core::CV_32F, 1.0 / 255.0, 0.0).unwrap();
        let mut lab = Mat::default();
        imgproc::cvt_color_def(&float, &mut lab, imgproc::COLOR_BGR2Lab).unwrap();
        for px in lab.data_typed::<core::Vec3f>().unwrap() {
            total += f64::from(px[1].hypot(px[2]));
        }
        pixels += bgr.total() as f64;
    }
    total / pixels
}

/// On the full-size stand-in: the narrow one's logits are so flat that at every temperature its colour sits near
/// the mean of the 313 centres, whose own chroma (17) is what a high temperature tends to, so it shows no trend.
#[test]
fn chroma_falls_as_the_temperature_rises() {
    let test = "chroma_falls_as_the_temperature_rises";
    let Some(photos) = shared_media("photos", test) else {
        return;
    };
    let ws = Workspace::new();
    standin::write(&ws.path("full"), standin::Width::Full);
    let photos = photos.to_str().unwrap();
    let mut chroma = Vec::new();
    for t in ["0.2", "0.38", "0.7", "1.0"] {
        let dir = format!("t{t}");
        let args = [
            "image",
            photos,
            "-o",
            &dir,
            "--format",
            "png",
            "--temperature",
            t,
            "--model-dir",
            "full",
            "-q",
        ];
        assert!(ws.run(&args).status.success());
        chroma.push(mean_chroma(&ws.path(&dir)));
    }
    eprintln!("mean chroma at T = 0.2, 0.38, 0.7, 1.0: {chroma:.2?}");
    assert!(chroma.windows(2).all(|w| w[0] > w[1]), "{chroma:?}");
}

#[test]
fn the_default_is_the_published_temperature_and_exact_keeps_it() {
    let ws = Workspace::new();
    let photo = ws.path("p.png");
    opencv::imgcodecs::imwrite(
        photo.to_str().unwrap(),
        &support::frame(Size::new(64, 48), 80),
        &Vector::new(),
    )
    .unwrap();
    for (dir, extra) in [
        ("default", &[][..]),
        ("published", &["--temperature", "0.38"]),
        ("warm", &["--temperature", "0.9"]),
    ] {
        let args = [&["image", "p.png", "-o", dir, "-q"][..], extra].concat();
        assert!(ws.run(&args).status.success());
    }
    let read = |dir: &str| std::fs::read(ws.path(&format!("{dir}/Color_p.png"))).unwrap();
    assert_eq!(read("default"), read("published"));
    assert_ne!(read("default"), read("warm"));

    let out = ws.run(&["image", "p.png", "-o", "exact", "--exact", "--temperature", "0.5", "-q"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("--exact keeps the published temperature"), "{stderr}");
    for bad in ["0", "-1", "1.5", "nan"] {
        let out = ws.run(&["image", "p.png", "--temperature", bad]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert_eq!(
            stderr.lines().filter(|l| l.starts_with("error:")).count(),
            1,
            "{stderr}"
        );
        assert!(stderr.contains("--temperature"), "{stderr}");
    }
    assert!(!ws.path("exact").exists());
}
