//! Shared by the integration tests: stand-in models, test media, and running the binary.

pub mod http;
pub mod interrupt;
pub mod onnx;
pub mod standin;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use opencv::core::{Mat, Size, Vec3b};
use opencv::prelude::*;
use opencv::{imgcodecs, videoio};

/// A temporary working folder holding a narrow stand-in model in `model/`, as a user's project folder would.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        standin::write(&dir.path().join("model"), standin::Width::Narrow);
        Workspace { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs `colorize` with `args` in the workspace.
    pub fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_colorize"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        eprintln!("colorize {}\n{}", args.join(" "), stderr(&out));
        out
    }

    /// Runs `colorize` with `args` in the workspace, asserts that it succeeded and returns what it said on stderr.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let said = stderr(&out);
        assert!(out.status.success(), "colorize {}: {said}", args.join(" "));
        said
    }

    /// The names of everything directly in the workspace, hidden ones too: temporary files are hidden.
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// What a run said on stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a clean refusal: exit code `code`, no panic, and exactly one `error:` line, which contains every one
/// of `needles`.
pub fn fails_with(out: &Output, code: i32, needles: &[&str]) {
    let stderr = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "want one error: line: {stderr}");
    for needle in needles {
        assert!(errors[0].contains(needle), "the error line lacks {needle:?}: {stderr}");
    }
}

/// Owned arguments as the `&str`s `Workspace::run` takes.
pub fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// `rel` in the checkout.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Whether this is a CI run (CI set and not empty), where a check that cannot run is a failure, not a skip.
pub fn on_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Reports that `test` cannot run and why: on CI it fails, so a missing prerequisite cannot pass for a green
/// check; elsewhere it is a skip, said on stderr so that it is not mistaken for a pass.
pub fn cannot_run(test: &str, why: &str) {
    assert!(!on_ci(), "{test} cannot run on CI: {why}");
    eprintln!("SKIPPED {test}: {why}");
}

/// A file or folder under ../shared (real media and the published model, kept beside the checkout), or None
/// after `cannot_run` on a clone without it.
pub fn shared_path(rel: &str, test: &str) -> Option<PathBuf> {
    let path = repo("../shared").join(rel);
    if path.exists() {
        return Some(path);
    }
    let why = format!(
        "{} is absent (it lives in ../shared beside the checkout)",
        path.display()
    );
    cannot_run(test, &why);
    None
}

/// A file or folder from ../shared/media, as `shared_path` finds it.
pub fn shared_media(rel: &str, test: &str) -> Option<PathBuf> {
    shared_path(&format!("media/{rel}"), test)
}

/// A textured gray frame whose overall brightness is `level`.
pub fn frame(size: Size, level: u8) -> Mat {
    gray_picture(size, |x, y| level.saturating_add(((x * 3 + y * 5) % 24) as u8))
}

/// A gray 8-bit BGR picture with the level `at(x, y)` at each pixel.
pub fn gray_picture(size: Size, at: impl Fn(i32, i32) -> u8) -> Mat {
    let px: Vec<Vec3b> = (0..size.area())
        .map(|i| Vec3b::all(at(i % size.width, i / size.width)))
        .collect();
    Mat::from_slice(&px)
        .unwrap()
        .reshape(3, size.height)
        .unwrap()
        .try_clone()
        .unwrap()
}

/// Writes an MJPG AVI with one frame per level.
pub fn write_video(path: &Path, fps: f64, size: Size, levels: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let fourcc = videoio::VideoWriter::fourcc('M', 'J', 'P', 'G').unwrap();
    let mut writer = videoio::VideoWriter::new(path, fourcc, fps, size, true).unwrap();
    assert!(writer.is_opened().unwrap());
    for &level in levels {
        writer.write(&frame(size, level)).unwrap();
    }
    writer.release().unwrap();
}

pub struct FilmInfo {
    pub frames: Vec<Mat>,
    pub fps: f64,
    pub fourcc: String,
}

/// Reads a film back with VideoCapture.
pub fn read_video(path: &Path) -> FilmInfo {
    let mut cap = videoio::VideoCapture::from_file(path, videoio::CAP_ANY).unwrap();
    assert!(cap.is_opened().unwrap(), "cannot open {}", path.display());
    let fps = cap.get(videoio::CAP_PROP_FPS).unwrap();
    let code = cap.get(videoio::CAP_PROP_FOURCC).unwrap() as u32;
    let fourcc = code.to_le_bytes().iter().map(|&b| b as char).collect();
    let mut frames = Vec::new();
    let mut frame = Mat::default();
    while cap.read(&mut frame).unwrap() && !frame.empty() {
        frames.push(frame.clone());
    }
    FilmInfo { frames, fps, fourcc }
}

/// Writes `image` to `path` (its format from the extension), making the folders it needs.
pub fn write_image(path: &Path, image: &Mat) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    assert!(
        imgcodecs::imwrite_def(path.to_str().unwrap(), image).unwrap(),
        "cannot write {}",
        path.display()
    );
}

pub fn read_image(path: &Path) -> Mat {
    let m = imgcodecs::imread(path, imgcodecs::IMREAD_UNCHANGED).unwrap();
    assert!(!m.empty(), "cannot read {}", path.display());
    m
}

/// An 8-bit BGR image in CIE Lab, as 32-bit floats (L from 0 to 100, a and b in their own units).
pub fn lab(bgr: &Mat) -> Mat {
    let mut float = Mat::default();
    bgr.convert_to(&mut float, opencv::core::CV_32F, 1.0 / 255.0, 0.0)
        .unwrap();
    let mut lab = Mat::default();
    opencv::imgproc::cvt_color_def(&float, &mut lab, opencv::imgproc::COLOR_BGR2Lab).unwrap();
    lab
}

/// Mean of the luma of a BGR image.
pub fn mean_gray(image: &Mat) -> f64 {
    let mut gray = Mat::default();
    opencv::imgproc::cvt_color_def(image, &mut gray, opencv::imgproc::COLOR_BGR2GRAY).unwrap();
    opencv::core::mean_def(&gray).unwrap()[0]
}

/// Mean absolute difference between a and b per channel value.
pub fn mean_abs_diff(a: &Mat, b: &Mat) -> f64 {
    let l1 = opencv::core::norm2(a, b, opencv::core::NORM_L1, &opencv::core::no_array()).unwrap();
    l1 / (a.total() * a.channels() as usize) as f64
}

/// The names of the visible files in `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Writes the built-in centres as an int64 .npy, as the published pts_in_hull.npy stores them.
pub fn write_points(path: &Path) {
    let mut header = String::from("{'descr': '<i8', 'fortran_order': False, 'shape': (313, 2), }");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in colorize::model::points::CENTRES.iter().flatten() {
        bytes.extend_from_slice(&(*v as i64).to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// A Python that has OpenCV 4 and numpy for running the recipe, or None after `cannot_run`.
pub fn recipe_python(test: &str) -> Option<&'static str> {
    for python in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(python)
            .args(["-c", "import cv2, numpy"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(python);
        }
    }
    cannot_run(
        test,
        "no python3 with cv2 and numpy to run the recipe (scripts/setup installs python3-opencv)",
    );
    None
}

/// Runs tests/recipe/recipe.py with the workspace's model.
pub fn run_recipe(python: &str, ws: &Workspace, args: &[&str]) {
    let points = ws.path("model/pts_in_hull.npy");
    if !points.exists() {
        write_points(&points);
    }
    let script = repo("tests/recipe/recipe.py");
    let (mode, rest) = args.split_first().unwrap();
    let out = Command::new(python)
        .arg(script)
        .arg(mode)
        .arg("--prototxt")
        .arg(ws.path("model/colorization_deploy_v2.prototxt"))
        .arg("--caffemodel")
        .arg(ws.path("model/colorization_release_v2.caffemodel"))
        .arg("--points")
        .arg(&points)
        .args(rest)
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "recipe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// How closely an image follows its expectation, over every channel value.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fidelity {
    pub values: u64,
    pub within_1: u64,
    pub squared_error: f64,
    pub max_diff: u8,
}

impl Fidelity {
    pub fn add(&mut self, expected: &Mat, actual: &Mat) {
        assert_eq!(
            (expected.size().unwrap(), expected.typ()),
            (actual.size().unwrap(), actual.typ())
        );
        for (e, a) in expected.data_bytes().unwrap().iter().zip(actual.data_bytes().unwrap()) {
            let d = e.abs_diff(*a);
            self.values += 1;
            self.within_1 += u64::from(d <= 1);
            self.squared_error += f64::from(d) * f64::from(d);
            self.max_diff = self.max_diff.max(d);
        }
    }

    pub fn merge(&mut self, other: &Fidelity) {
        self.values += other.values;
        self.within_1 += other.within_1;
        self.squared_error += other.squared_error;
        self.max_diff = self.max_diff.max(other.max_diff);
    }

    pub fn share_within_1(&self) -> f64 {
        self.within_1 as f64 / self.values as f64
    }

    pub fn psnr(&self) -> f64 {
        let mse = self.squared_error / self.values as f64;
        if mse == 0.0 {
            f64::INFINITY
        } else {
            10.0 * (255.0f64 * 255.0 / mse).log10()
        }
    }

    /// The foundation's fidelity target: 99.9 % of values within one level, PSNR at least 45 dB.
    pub fn meets_target(&self) -> bool {
        self.share_within_1() >= 0.999 && self.psnr() >= 45.0
    }
}

/// The frames of `dir` against those of `reference` (folders in the workspace): the same names, and how close.
pub fn compare_frames(ws: &Workspace, reference: &str, dir: &str) -> Fidelity {
    assert_eq!(
        names(&ws.path(dir)),
        names(&ws.path(reference)),
        "{dir} holds other frames"
    );
    let mut fidelity = Fidelity::default();
    for name in names(&ws.path(reference)) {
        let path = |d: &str| ws.path(&format!("{d}/{name}"));
        fidelity.add(&read_image(&path(reference)), &read_image(&path(dir)));
    }
    fidelity
}

/// Keeps expected and actual images where a person can look at them after a failed comparison.
pub fn keep_for_inspection(test: &str, expected: &Path, actual: &Path) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fidelity").join(test);
    std::fs::create_dir_all(&dir).unwrap();
    let name = expected.file_name().unwrap().to_string_lossy();
    std::fs::copy(expected, dir.join(format!("expected_{name}"))).unwrap();
    std::fs::copy(actual, dir.join(format!("actual_{name}"))).unwrap();
    dir
}

/// One stream of a media file as ffprobe reports it.
#[derive(Debug, Default)]
pub struct Stream {
    pub kind: String,
    pub codec: String,
    pub rate: String,
    pub seconds: f64,
    pub pix_fmt: String,
}

/// The streams of `path`, from ffprobe (installed with ffmpeg by scripts/setup).
pub fn probe(path: &Path) -> Vec<Stream> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name,r_frame_rate,duration,pix_fmt",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs (apt-get install ffmpeg)");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // ffprobe's JSON is flat enough here to read field by field.
    text.split('{')
        .skip(2)
        .map(|block| {
            let field = |name: &str| {
                let start = block.find(&format!("\"{name}\": "))? + name.len() + 4;
                let value = block[start..].split([',', '\n']).next()?.trim().trim_matches('"');
                Some(value.to_string())
            };
            Stream {
                kind: field("codec_type").unwrap_or_default(),
                codec: field("codec_name").unwrap_or_default(),
                rate: field("r_frame_rate").unwrap_or_default(),
                seconds: field("duration").and_then(|d| d.parse().ok()).unwrap_or(f64::NAN),
                pix_fmt: field("pix_fmt").unwrap_or_default(),
            }
        })
        .collect()
}

/// Makes a clip with ffmpeg: testsrc2 (a moving picture and a frame counter, so that every frame differs) of
/// `seconds` at `rate` and, when `audio`, a tone. `.avi` is MJPG; anything else H.264 with B-frames, as films
/// come, so that decoding order differs from display order, and AAC.
pub fn make_clip(path: &Path, rate: &str, seconds: f64, audio: bool) {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size=128x72:rate={rate}"));
    if audio {
        cmd.args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]);
    }
    cmd.args(["-t", &seconds.to_string()]);
    if path.extension().is_some_and(|e| e == "avi") {
        cmd.args(["-c:v", "mjpeg", "-q:v", "3"]);
    } else {
        cmd.args(["-c:v", "libx264", "-bf", "3", "-g", "48", "-pix_fmt", "yuv420p"]);
        if audio {
            cmd.args(["-c:a", "aac"]);
        }
    }
    let out = cmd.arg(path).output().expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(out.status.success(), "ffmpeg: {}", stderr(&out));
}

/// A record colorize sealed (`checksum HEX` as its last line: the first 8 bytes of the SHA-256 of all before it),
/// changed by `edit` as a test needs and sealed again, so that it reads as colorize wrote it.
pub fn edit_sealed(path: &Path, edit: impl FnOnce(&str) -> String) {
    use sha2::{Digest, Sha256};
    let text = std::fs::read_to_string(path).unwrap();
    let (body, _) = text.trim_end().rsplit_once('\n').unwrap();
    let body = edit(&format!("{body}\n"));
    let sum: String = Sha256::digest(body.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(path, format!("{body}checksum {sum}\n")).unwrap();
}
