//! `--temperature`: the annealed mean's temperature changes which colour the model picks, vividly below the
//! published 0.38 and mutedly above it, and the default changes nothing.

use opencv::core::{self, Size};
use opencv::prelude::*;

use crate::support::{self, fails_with, read_image, shared_media, standin, write_image, Workspace};

/// Mean of sqrt(a^2 + b^2) in CIE Lab over every pixel of the PNGs in `dir`.
fn mean_chroma(dir: &std::path::Path) -> f64 {
    let (mut total, mut pixels) = (0.0, 0.0);
    for name in support::names(dir) {
        let bgr = read_image(&dir.join(name));
        for px in support::lab(&bgr).data_typed::<core::Vec3f>().unwrap() {
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
    write_image(&ws.path("p.png"), &support::frame(Size::new(64, 48), 80));
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
    fails_with(&out, 1, &["--exact keeps the published temperature"]);
    for bad in ["0", "-1", "1.5", "nan"] {
        fails_with(
            &ws.run(&["image", "p.png", "--temperature", bad]),
            2,
            &["--temperature"],
        );
    }
    assert!(!ws.path("exact").exists());
}

/// Issue 23, BAD 3: 1e-40 and 1e-39 gave a pure white photo and 1e-38 a partly white one, their scaled logits
/// overflowing f32. The bound is 2e-34 (src/model/caffe.rs says why): at it a photo is coloured, below it refused.
#[test]
fn a_temperature_whose_scaled_logits_overflow_is_refused_at_the_edge() {
    let ws = Workspace::new();
    write_image(&ws.path("p.png"), &support::frame(Size::new(64, 48), 80));
    ws.ok(&["image", "p.png", "-o", "edge", "--temperature", "2e-34", "-q"]);
    let coloured = read_image(&ws.path("edge/Color_p.png"));
    assert!(support::mean_gray(&coloured) < 250.0, "white at the bound");
    for low in ["1.99e-34", "1e-38", "1e-39", "1e-40"] {
        let dir = format!("low{low}");
        let out = ws.run(&["image", "p.png", "-o", &dir, "--temperature", low, "-q"]);
        fails_with(&out, 2, &["too low a temperature", "give one from 2e-34 to 1"]);
        assert!(!ws.path(&dir).exists(), "{low} wrote {dir}");
    }
}
