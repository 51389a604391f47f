//! `scripts/bundle` makes a folder that runs anywhere: unpacked far from the checkout, with an empty HOME, its
//! colorize still runs the network on OpenVINO and loads every library from the bundle or the system, none from
//! ~/.cache/colorize or the checkout.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use opencv::core::{self, Mat, Size};
use opencv::prelude::*;

use crate::support::{self, read_image, read_video, repo, stderr, write_image, write_video, Fidelity, Workspace};

/// Whether `path` is in one of the system's library folders, where Debian's libraries (libc, FFmpeg, codecs) live.
fn is_system(path: &Path) -> bool {
    ["/lib", "/lib64", "/usr/lib", "/usr/lib64"]
        .iter()
        .any(|dir| path.starts_with(dir))
}

/// Asserts that the library `what` found at `path` is inside `bundle` or the system's.
fn assert_stands_alone(bundle: &Path, path: &Path, what: &str) {
    let real = path
        .canonicalize()
        .unwrap_or_else(|e| panic!("{what}: {}: {e}", path.display()));
    assert!(
        real.starts_with(bundle) || is_system(&real),
        "{what} is {}, outside the bundle ({}) and the system",
        real.display(),
        bundle.display()
    );
}

/// What ldd resolves for `file`, as (name, path), with no LD_LIBRARY_PATH to help it.
fn ldd(file: &Path) -> Vec<(String, PathBuf)> {
    let out = Command::new("ldd")
        .arg(file)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("ldd runs");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "ldd {}: {text}", file.display());
    text.lines()
        .filter_map(|line| line.split_once(" => "))
        .map(|(name, rest)| {
            let path = rest.rsplit_once(" (").map_or(rest, |(path, _)| path).trim();
            assert_ne!(
                path,
                "not found",
                "ldd {}: {} is not found",
                file.display(),
                name.trim()
            );
            (name.trim().to_string(), PathBuf::from(path))
        })
        .collect()
}

/// The shared objects that every process of a run loaded (dlopen included), from the loader's own LD_DEBUG=scopes
/// report in `dir`, with their real paths.
fn loaded(dir: &Path) -> BTreeSet<PathBuf> {
    let mut objects = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let Some((_, object)) = line.split_once("object=") else {
                continue;
            };
            let path = Path::new(object.rsplit_once(" [").map_or(object, |(path, _)| path));
            // Programs (colorize, and ffmpeg for the sound) are not libraries; linux-vdso has no file.
            let is_library = path.file_name().is_some_and(|n| n.to_string_lossy().contains(".so"));
            if path.is_absolute() && is_library {
                objects.insert(
                    path.canonicalize()
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
                );
            }
        }
    }
    objects
}

/// What a portable bundle leaves to the host, by file name: glibc, the C++ runtime, NVIDIA's libraries, and the
/// OpenCL loader that OpenCV tries and does without.
fn host_provided(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    let glibc = [
        "ld-linux",
        "libc.so",
        "libm.so",
        "libmvec.so",
        "libdl.so",
        "libpthread.so",
        "librt.so",
        "libresolv.so",
        "libutil.so",
        "libanl.so",
    ];
    let runtime = ["libstdc++.so", "libgcc_s.so", "libOpenCL.so"];
    let nvidia = [
        "libcuda",
        "libcublas",
        "libcudnn",
        "libnpp",
        "libnvrtc",
        "libnvJitLink",
        "libnvidia-",
    ];
    glibc.iter().chain(&runtime).chain(&nvidia).any(|p| name.starts_with(p))
}

/// An unpacked bundle and the empty HOME its colorize runs with.
struct Bundle {
    root: PathBuf,
    portable: bool,
    home: tempfile::TempDir,
    _unpacked: tempfile::TempDir,
}

impl Bundle {
    /// Runs the bundled colorize in the workspace as a node would (no LD_LIBRARY_PATH, no XDG_CACHE_HOME, an empty
    /// HOME), asserts that every library it loaded came from the bundle or the system, and returns what it loaded.
    fn run(&self, ws: &Workspace, args: &[&str]) -> (Output, BTreeSet<PathBuf>) {
        let report = tempfile::tempdir().unwrap();
        let out = Command::new(self.root.join("bin/colorize"))
            .args(args)
            .current_dir(ws.dir.path())
            .env_remove("LD_LIBRARY_PATH")
            .env_remove("XDG_CACHE_HOME")
            .env("HOME", self.home.path())
            .env("LD_DEBUG", "scopes")
            .env("LD_DEBUG_OUTPUT", report.path().join("ld"))
            .output()
            .unwrap();
        let command = format!("bundled colorize {}", args.join(" "));
        eprintln!("{command}\n{}", stderr(&out));
        let libraries = loaded(report.path());
        assert!(!libraries.is_empty(), "{command}: the loader reported nothing");
        for library in &libraries {
            let what = format!("{command}: a library it loaded");
            if self.portable {
                assert!(
                    library.starts_with(&self.root) || host_provided(library),
                    "{what} is {}: a portable bundle takes only glibc and the C++ runtime from the system",
                    library.display()
                );
            } else {
                assert_stands_alone(&self.root, library, &what);
            }
        }
        (out, libraries)
    }

    fn lib(&self, name: &str) -> PathBuf {
        self.root.join("lib").join(name)
    }
}

/// Whether the colorize under test runs on an OpenCV with OpenVINO, as scripts/build-opencv's, which is what
/// scripts/bundle packs; if not, says so through `cannot_run`.
fn has_openvino(ws: &Workspace, test: &str) -> bool {
    let version = String::from_utf8(ws.run(&["--version"]).stdout).unwrap();
    let has = version.contains("openvino");
    if !has {
        let why = format!(
            "the colorize under test runs on an OpenCV without OpenVINO ({}): scripts/bundle packs \
             scripts/build-opencv's",
            version.trim()
        );
        support::cannot_run(test, &why);
    }
    has
}

/// Runs scripts/bundle on the colorize under test, unpacks its tarball somewhere new and removes what the script
/// wrote, so that only the unpacked copy is left.
fn make_bundle(portable: bool) -> Bundle {
    let out = tempfile::tempdir().unwrap();
    let made = Command::new(repo("scripts/bundle"))
        .args(["--binary", env!("CARGO_BIN_EXE_colorize"), "--out"])
        .arg(out.path())
        .args(portable.then_some("--portable"))
        .output()
        .unwrap();
    let stderr = stderr(&made);
    eprintln!("scripts/bundle\n{stderr}");
    assert!(made.status.success(), "scripts/bundle failed: {stderr}");
    let printed: Vec<PathBuf> = String::from_utf8(made.stdout)
        .unwrap()
        .lines()
        .map(PathBuf::from)
        .collect();
    let [folder, tarball] = &printed[..] else {
        panic!("want the folder and the tarball on stdout, got {printed:?}")
    };
    let out_dir = out.path().canonicalize().unwrap();
    assert!(
        folder.starts_with(&out_dir) && folder.join("bin/colorize").is_file(),
        "{folder:?}"
    );
    assert!(
        tarball.starts_with(&out_dir) && tarball.is_file() && tarball.to_string_lossy().ends_with(".tar.gz"),
        "{tarball:?}"
    );

    let away = tempfile::tempdir().unwrap();
    let untar = Command::new("tar")
        .arg("-xzf")
        .arg(tarball)
        .arg("-C")
        .arg(away.path())
        .status()
        .unwrap();
    assert!(untar.success(), "tar -xzf {}", tarball.display());
    let root = away.path().join(folder.file_name().unwrap()).canonicalize().unwrap();
    assert_eq!(
        support::names(&root.join("lib")),
        support::names(&folder.join("lib")),
        "the tarball's lib/ is not the folder's"
    );
    drop(out);
    Bundle {
        root,
        portable,
        home: tempfile::tempdir().unwrap(),
        _unpacked: away,
    }
}

#[test]
fn a_bundle_runs_anywhere_on_its_own_libraries() {
    let test = "a_bundle_runs_anywhere_on_its_own_libraries";
    let ws = Workspace::new();
    if !has_openvino(&ws, test) {
        return;
    }
    let bundle = make_bundle(false);

    // (a) It starts, and OpenVINO (whose CPU plugin is loaded at run time, not linked) is among its backends.
    let (out, _) = bundle.run(&ws, &["--version"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let backends = stdout
        .split_once("dnn backends:")
        .unwrap_or_else(|| panic!("--version names no backends: {stdout}"))
        .1;
    assert!(
        backends.contains("openvino"),
        "the bundled colorize has no OpenVINO: {stdout}"
    );

    // (b) It colorizes a photo on OpenVINO, with the same pixels as the colorize it was made from.
    let gradient = support::gray_picture(Size::new(64, 48), |x, y| (40 + x * 2 + y) as u8);
    write_image(&ws.path("gradient.png"), &gradient);
    let model = ws.path("model");
    let model = model.to_str().unwrap();
    let photo = |to| {
        [
            "image",
            "gradient.png",
            "-o",
            to,
            "--model-dir",
            model,
            "--backend",
            "openvino",
            "-q",
        ]
    };
    let (out, libraries) = bundle.run(&ws, &photo("bundled"));
    assert!(out.status.success());
    let written = ws.path("bundled/Color_gradient.png");
    let colour = read_image(&written);
    assert_eq!(
        (colour.channels(), colour.size().unwrap()),
        (3, gradient.size().unwrap())
    );
    let mut channels = core::Vector::<Mat>::new();
    core::split(&colour, &mut channels).unwrap();
    let b_to_r = support::mean_abs_diff(&channels.get(0).unwrap(), &channels.get(2).unwrap());
    assert!(
        b_to_r > 1.0,
        "no colour was added: blue and red differ by {b_to_r:.2} on average"
    );
    assert!(ws.run(&photo("reference")).status.success());
    let reference = ws.path("reference/Color_gradient.png");
    let mut fidelity = Fidelity::default();
    fidelity.add(&read_image(&reference), &colour);
    if fidelity.max_diff > 1 {
        let kept = support::keep_for_inspection(test, &reference, &written);
        panic!(
            "the bundle's photo is not the original's ({fidelity:?}); both are in {}",
            kept.display()
        );
    }
    // The loader's report saw the plugin that dlopen brought in, so the check in `run` covered it.
    for name in [
        "libopencv_dnn.so.414",
        "libopenvino.so.2641",
        "libopenvino_intel_cpu_plugin.so",
    ] {
        assert!(
            libraries.contains(&bundle.lib(name)),
            "{name} was not loaded from the bundle: {libraries:#?}"
        );
    }

    // Films too: OpenCV's videoio on the system's FFmpeg.
    write_video(&ws.path("clip.avi"), 25.0, Size::new(32, 32), &[60, 90, 120]);
    let (out, _) = bundle.run(
        &ws,
        &[
            "video",
            "clip.avi",
            "-o",
            "film.avi",
            "--model-dir",
            model,
            "--backend",
            "openvino",
            "-q",
        ],
    );
    assert!(out.status.success());
    assert_eq!(read_video(&ws.path("film.avi")).frames.len(), 3);

    // (c) ldd finds each library of the program and of the CPU plugin in the bundle or the system, and every one
    // of OpenCV, OpenVINO and TBB in the bundle.
    for file in ["bin/colorize", "lib/libopenvino_intel_cpu_plugin.so"] {
        let resolved = ldd(&bundle.root.join(file));
        for (name, path) in &resolved {
            assert_stands_alone(&bundle.root, path, &format!("ldd {file}: {name}"));
        }
        let ours: Vec<_> = resolved
            .iter()
            .filter(|(name, _)| {
                ["libopencv_", "libopenvino", "libtbb"]
                    .iter()
                    .any(|p| name.starts_with(p))
            })
            .collect();
        assert!(
            !ours.is_empty(),
            "ldd {file} lists no OpenCV, OpenVINO or TBB: {resolved:?}"
        );
        for (name, path) in ours {
            let real = path.canonicalize().unwrap();
            assert!(
                real.starts_with(bundle.root.join("lib")),
                "ldd {file}: {name} is {}",
                real.display()
            );
        }
    }
}

#[test]
fn a_portable_bundle_takes_only_glibc_and_the_cpp_runtime_from_the_system() {
    let ws = Workspace::new();
    if !has_openvino(
        &ws,
        "a_portable_bundle_takes_only_glibc_and_the_cpp_runtime_from_the_system",
    ) {
        return;
    }
    let bundle = make_bundle(true);
    assert!(bundle.root.join("libexec/colorize").is_file());
    let model = ws.path("model");
    let model = model.to_str().unwrap();

    // A film with sound: the frames through the bundled OpenCV and FFmpeg, the sound through the bundled ffmpeg.
    support::make_clip(&ws.path("clip.mp4"), "25", 0.4, true);
    let (out, libraries) = bundle.run(
        &ws,
        &["video", "clip.mp4", "-o", "film.mkv", "--model-dir", model, "-q"],
    );
    assert!(out.status.success());
    let streams = support::probe(&ws.path("film.mkv"));
    assert!(
        streams.iter().any(|s| s.kind == "audio"),
        "no sound in the film: {streams:?}"
    );
    assert_eq!(read_video(&ws.path("film.mkv")).frames.len(), 10);
    // libavfilter is ffmpeg's, not colorize's: the wrapper put the bundled ffmpeg first on PATH.
    for name in [
        "libopencv_videoio.so.414",
        "libavcodec.so.59",
        "libavfilter.so.8",
        "libopenvino_intel_cpu_plugin.so",
    ] {
        assert!(
            libraries.contains(&bundle.lib(name)),
            "{name} was not loaded from the bundle: {libraries:#?}"
        );
    }
    // ldd agrees for every file, without the help of Debian's folders.
    for file in std::fs::read_dir(bundle.root.join("lib")).unwrap() {
        let file = file.unwrap().path();
        for (name, path) in ldd(&file) {
            let real = path.canonicalize().unwrap();
            assert!(
                real.starts_with(&bundle.root) || host_provided(&real),
                "ldd {}: {name} is {}",
                file.display(),
                real.display()
            );
        }
    }
}
