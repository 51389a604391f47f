//! `fetch-model --model ddcolor`: nothing to download, so the steps that make DDColor's ONNX file while there is
//! none that passes, and a file already there checked as a run checks it.

use std::path::Path;
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

use crate::support::{fails_with, shared_path, stderr};

fn fetch_model(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_colorize"))
        .arg("fetch-model")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    eprintln!("colorize fetch-model {}\n{}", args.join(" "), stderr(&out));
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `script` is a shell script that `sh` can parse.
fn parses(script: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steps.sh");
    std::fs::write(&path, script).unwrap();
    Command::new("sh").arg("-n").arg(&path).status().unwrap().success()
}

#[test]
fn without_its_file_ddcolor_gets_the_steps_that_make_it_and_a_failure() {
    let work = tempfile::tempdir().unwrap();
    let out = fetch_model(work.path(), &["--model", "ddcolor", "--dir", "my models"]);
    fails_with(&out, 1, &["my models/ddcolor.onnx", "PyTorch only", "stdout"]);
    let script = stdout(&out);
    let target = work.path().join("my models/ddcolor.onnx");
    let quoted = shlex::try_quote(target.to_str().unwrap()).unwrap().into_owned();
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    assert!(
        script.contains(&format!("--input_size 256 --export_path {quoted}\n")),
        "{script}"
    );
    assert!(
        script.contains("https://huggingface.co/piddnad/DDColor-models/resolve/main/ddcolor_paper_tiny.pth"),
        "{script}"
    );
    assert!(script.contains("dynamo=False"), "{script}");
    assert!(parses(&script), "sh cannot parse it:\n{script}");
    // It only says what to do: nothing is made, not even the folder.
    assert!(std::fs::read_dir(work.path()).unwrap().next().is_none());
}

#[test]
fn a_ddcolor_file_in_place_is_checked_and_named_with_its_side_and_digest() {
    let test = "a_ddcolor_file_in_place_is_checked_and_named_with_its_side_and_digest";
    let Some(standin) = shared_path("model/ddcolor/ddcolor-narrow-standin-256.onnx", test) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let model = work.path().join("model");
    std::fs::create_dir(&model).unwrap();
    std::fs::copy(&standin, model.join("ddcolor.onnx")).unwrap();
    let out = fetch_model(work.path(), &["--model", "ddcolor"]);
    let said = stderr(&out);
    assert!(out.status.success(), "{said}");
    let bytes = std::fs::read(&standin).unwrap();
    let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert!(said.starts_with("model/ddcolor.onnx: already there, checked"), "{said}");
    assert!(said.contains("256x256"), "{said}");
    assert!(said.contains(&digest), "{said}");
    assert!(said.contains(&format!("{} bytes", bytes.len())), "{said}");
    assert_eq!(stdout(&out), "");
}

#[test]
fn a_file_that_is_not_ddcolors_is_refused_in_one_line_and_left_in_place() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("mine.onnx"), b"").unwrap();
    let out = fetch_model(work.path(), &["--model", "ddcolor", "--onnx", "mine.onnx"]);
    fails_with(&out, 1, &["mine.onnx is not a DDColor file", "no graph"]);
    assert!(parses(&stdout(&out)));
    assert_eq!(std::fs::read(work.path().join("mine.onnx")).unwrap(), b"");
}

#[test]
fn the_2016_networks_download_flags_are_refused_for_ddcolor_and_onnx_for_it() {
    let work = tempfile::tempdir().unwrap();
    let out = fetch_model(work.path(), &["--model", "ddcolor", "--mirror", "http://127.0.0.1:9/"]);
    fails_with(&out, 1, &["--mirror", "not downloaded"]);
    let out = fetch_model(work.path(), &["--model", "ddcolor", "--overwrite"]);
    fails_with(&out, 1, &["--overwrite"]);
    let out = fetch_model(work.path(), &["--onnx", "ddcolor.onnx"]);
    fails_with(&out, 1, &["--onnx", "--model ddcolor"]);
    assert!(std::fs::read_dir(work.path()).unwrap().next().is_none());
}

#[test]
fn a_run_without_ddcolors_file_points_to_the_command_that_says_how_to_make_it() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("old.png"), b"not read: the model is looked for first").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_colorize"))
        .args(["image", "old.png", "--model", "ddcolor"])
        .current_dir(work.path())
        .output()
        .unwrap();
    fails_with(
        &out,
        1,
        &["model/ddcolor.onnx", "fetch-model --model ddcolor", "--onnx"],
    );
}
