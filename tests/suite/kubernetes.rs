//! The Kubernetes manifests in deploy/kubernetes, exercised without a cluster: the Indexed Job's container
//! command run here once per completion index, as its pods would, then the assemble Job's.

use std::process::Command;

use crate::support::{self, probe, repo, stderr, Workspace};

/// The manifest's container `command: [...]` and the value of `key: N` if asked, as written.
fn manifest(name: &str) -> (Vec<String>, String) {
    let path = repo("deploy/kubernetes").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("command: "))
        .unwrap_or_else(|| panic!("{name} has no one-line command"));
    let words = line
        .trim()
        .strip_prefix('[')
        .and_then(|l| l.strip_suffix(']'))
        .unwrap_or_else(|| panic!("{name}: the command is not a [\"...\"] list"))
        .split(',')
        .map(|w| w.trim().trim_matches('"').to_string())
        .collect();
    (words, text)
}

fn field(text: &str, key: &str) -> usize {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {key}"))
}

/// Runs a container command with /data mapped onto the workspace and `colorize` onto the binary under test.
fn run_in_pod(ws: &Workspace, command: &[String], index: Option<usize>) {
    let data = ws.dir.path().to_str().unwrap();
    let args: Vec<String> = command[1..].iter().map(|w| w.replace("/data", data)).collect();
    assert_eq!(command[0], "colorize");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_colorize"));
    cmd.args(&args).current_dir(ws.dir.path());
    if let Some(index) = index {
        cmd.env("JOB_COMPLETION_INDEX", index.to_string());
    }
    let out = cmd.output().unwrap();
    eprintln!("pod {index:?}: colorize {}\n{}", args.join(" "), stderr(&out));
    assert!(out.status.success(), "the pod's command failed");
}

#[test]
fn the_indexed_job_and_the_assemble_job_make_the_film() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("input")).unwrap();
    std::fs::create_dir_all(ws.path("output")).unwrap();
    support::make_clip(&ws.path("input/film.mp4"), "25", 4.0, true);

    let (shards, text) = manifest("colorize-shards.yaml");
    let completions = field(&text, "completions");
    assert!(text.contains("completionMode: Indexed"));
    let spec = shards.iter().position(|w| w == "--shard").map(|i| &shards[i + 1]);
    assert_eq!(
        spec.map(String::as_str),
        Some(format!("auto/{completions}").as_str()),
        "--shard must match completions"
    );
    for index in 0..completions {
        run_in_pod(&ws, &shards, Some(index));
    }
    let (assemble, _) = manifest("colorize-assemble.yaml");
    run_in_pod(&ws, &assemble, None);

    let streams = probe(&ws.path("output/film.mp4"));
    let video = streams.iter().find(|s| s.kind == "video").expect("a picture");
    assert_eq!(video.rate, "25/1");
    assert!((video.seconds - 4.0).abs() < 0.05, "{} s of picture", video.seconds);
    assert!(streams.iter().any(|s| s.kind == "audio"), "no sound");
    assert_eq!(support::names(&ws.path("frames")).len(), 100);
}
