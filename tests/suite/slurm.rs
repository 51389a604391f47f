//! The Slurm launchers in deploy/slurm on a real single-node cluster started for the test (scripts/slurm-local):
//! a 4-task array colorizes the Chaplin clip into one frames folder, the dependent assemble job makes the film,
//! and its frames are a single machine's.

use std::path::Path;
use std::process::Command;

use crate::support::{cannot_run, names, probe, read_image, repo, shared_media, stderr, Fidelity, Workspace};

/// A cluster whose every file lives in a temporary folder; stopped (its own daemons only) when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    conf: String,
}

impl Cluster {
    fn start(test: &str) -> Option<Cluster> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            cannot_run(test, "starting Slurm's daemons needs root");
            return None;
        }
        if Command::new("slurmctld").arg("-V").output().is_err() {
            cannot_run(
                test,
                "Slurm is not installed (scripts/setup installs slurmctld, slurmd, slurm-client, munge)",
            );
            return None;
        }
        // Short: the munge socket's path must fit in a Unix socket address.
        let dir = tempfile::Builder::new().prefix("slurm.").tempdir_in("/tmp").unwrap();
        let out = Command::new(repo("scripts/slurm-local"))
            .arg("start")
            .arg(dir.path())
            .output()
            .unwrap();
        let mut cluster = Cluster {
            dir,
            conf: String::new(),
        };
        assert!(out.status.success(), "slurm-local start: {}", stderr(&out));
        let exports = String::from_utf8_lossy(&out.stdout);
        cluster.conf = exports
            .lines()
            .find_map(|l| l.strip_prefix("export SLURM_CONF="))
            .expect("slurm-local names its SLURM_CONF")
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string();
        Some(cluster)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(repo("scripts/slurm-local"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_job_array_and_its_assemble_job_make_a_single_machines_film() {
    let test = "a_job_array_and_its_assemble_job_make_a_single_machines_film";
    let Some(clip) = shared_media("video/chaplin_moviepy.mp4", test) else {
        return;
    };
    let Some(cluster) = Cluster::start(test) else {
        return;
    };
    let ws = Workspace::new();
    let clip = clip.to_str().unwrap();
    let model = ws.path("model");
    for (mode, extra) in [("exact", " --exact"), ("default", "")] {
        let settings = format!("--frame-format png --width 320 --model-dir {}{extra}", model.display());
        let single: Vec<String> = [
            "video",
            clip,
            "--frames-dir",
            &format!("single_{mode}"),
            "-o",
            &format!("{mode}.mkv"),
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(settings.split(' ').map(String::from))
        .collect();
        assert!(ws
            .run(&single.iter().map(String::as_str).collect::<Vec<_>>())
            .status
            .success());

        let (frames, film) = (ws.path(&format!("shards_{mode}")), ws.path(&format!("{mode}.mp4")));
        let out = Command::new(repo("deploy/slurm/submit"))
            .args(["--wait", "--logs"])
            .arg(ws.path("logs"))
            .args([Path::new(clip), &frames, &film])
            .arg("4")
            .env("SLURM_CONF", &cluster.conf)
            .env("COLORIZE", env!("CARGO_BIN_EXE_colorize"))
            .env("COLORIZE_ARGS", &settings)
            .output()
            .unwrap();
        eprintln!("submit ({mode}): {}", stderr(&out));
        for log in names(&ws.path("logs")) {
            eprintln!(
                "{log}:\n{}",
                std::fs::read_to_string(ws.path(&format!("logs/{log}"))).unwrap_or_default()
            );
        }
        assert!(out.status.success(), "the Slurm jobs failed ({mode})");

        assert_eq!(names(&frames).len(), 241, "{mode}: frames");
        let mut fidelity = Fidelity::default();
        for name in names(&ws.path(&format!("single_{mode}"))) {
            fidelity.add(
                &read_image(&ws.path(&format!("single_{mode}/{name}"))),
                &read_image(&frames.join(&name)),
            );
        }
        eprintln!(
            "{mode}: {:.4} % within 1 level of a single run",
            100.0 * fidelity.share_within_1()
        );
        if mode == "exact" {
            assert!(fidelity.psnr().is_infinite(), "--exact shards differ from a single run");
        } else {
            assert!(
                fidelity.share_within_1() >= 0.999,
                "{:.4} % within 1 level",
                100.0 * fidelity.share_within_1()
            );
        }
        let streams = probe(&film);
        let video = streams.iter().find(|s| s.kind == "video").expect("a picture");
        assert_eq!(video.rate, "25/1", "the source's rate");
        assert!(
            (video.seconds - 241.0 / 25.0).abs() < 0.05,
            "{} s of picture",
            video.seconds
        );
        assert!(streams.iter().any(|s| s.kind == "audio"), "the source's sound");
    }
}
