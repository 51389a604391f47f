//! DDColor's file and flags refused before any work, in one `error:` line each that says what to do, with nothing
//! written and no crash: a file cut short, a file of another kind, a model with other inputs or outputs, an opset-18
//! export whose GELU crashes OpenCV 4.14's importer, and the 2016 network's settings given to DDColor.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

use opencv::core::Vector;

use crate::ddcolor::onnx;
use crate::report::{picture, write_film};
use crate::support::onnx::{gelu_model, graph_piece, merged, node, tensor, GraphProto, ModelProto, DYNAMO, LEGACY};
use crate::support::{fails_with, write_image, Workspace};

/// A workspace with a photo, `photo.png`, and a film of four frames, `film.avi`.
fn inputs() -> Workspace {
    let ws = Workspace::new();
    write_image(&ws.path("photo.png"), &picture(0, 0, false));
    let frames: Vec<_> = (0..4).map(|i| picture(i, 0, false)).collect();
    write_film(&ws.path("film.avi"), &frames);
    ws
}

/// `colorize image` on the photo, into `out`.
const PHOTO: &[&str] = &["image", "photo.png", "-o", "out"];

/// `colorize video` on the film, into `out.avi` and the frames folder `frames`.
const FILM: &[&str] = &["video", "film.avi", "-o", "out.avi", "--frames-dir", "frames"];

/// Checks that each of `commands` with `args` refuses in one line holding every one of `needles`, and writes
/// nothing.
fn refused_by(ws: &Workspace, commands: &[&[&str]], args: &[&str], needles: &[&str]) {
    for command in commands {
        fails_with(&ws.run(&[command, args].concat()), 1, needles);
        for written in ["out", "out.avi", "frames"] {
            assert!(!ws.path(written).exists(), "{args:?}: a refused run wrote {written}");
        }
    }
}

/// `refused_by` a photo's run and a film's.
fn refused(ws: &Workspace, args: &[&str], needles: &[&str]) {
    refused_by(ws, &[PHOTO, FILM], args, needles);
}

/// `--model ddcolor --onnx FILE` with `file` written as `name` in the workspace.
fn ddcolor_file<'a>(ws: &Workspace, name: &'a str, bytes: &[u8]) -> [&'a str; 4] {
    std::fs::write(ws.path(name), bytes).unwrap();
    ["--model", "ddcolor", "--onnx", name]
}

#[test]
fn an_onnx_file_cut_at_half_its_length_is_one_line() {
    let Some(standin) = onnx("an_onnx_file_cut_at_half_its_length_is_one_line") else {
        return;
    };
    let ws = inputs();
    let bytes = std::fs::read(standin).unwrap();
    let args = ddcolor_file(&ws, "cut.onnx", &bytes[..bytes.len() / 2]);
    let said = ["cut.onnx is not a DDColor file colorize can use: it is not a whole ONNX model: cut short"];
    refused(&ws, &args, &[said[0], "model/README.md"]);
}

#[test]
fn files_that_are_not_onnx_are_one_line() {
    let ws = inputs();
    // The workspace's 2016 network: its prototxt (text) and its weights (Caffe's protobuf).
    for file in [
        "model/colorization_deploy_v2.prototxt",
        "model/colorization_release_v2.caffemodel",
    ] {
        let args = ["--model", "ddcolor", "--onnx", file];
        refused(
            &ws,
            &args,
            &[
                &format!("{file} is not a DDColor file colorize can use: "),
                "model/README.md",
            ],
        );
    }
    refused(
        &ws,
        &["--model", "ddcolor", "--onnx", "photo.png"],
        &["photo.png is not a DDColor file colorize can use: it is not a whole ONNX model"],
    );
    refused(
        &ws,
        &["--model", "ddcolor"],
        &["DDColor's ONNX file not found at model/ddcolor.onnx", "--onnx"],
    );
}

/// The stand-in with one more graph input, or output: the same file otherwise, byte for byte.
#[test]
fn the_standin_with_another_input_or_output_is_one_line() {
    let Some(standin) = onnx("the_standin_with_another_input_or_output_is_one_line") else {
        return;
    };
    let ws = inputs();
    let bytes = std::fs::read(standin).unwrap();
    let more_in = graph_piece(GraphProto {
        input: vec![tensor("mask", &[1, 1, 256, 256])],
        ..Default::default()
    });
    let args = ddcolor_file(&ws, "two-inputs.onnx", &merged(&bytes, &more_in));
    refused(
        &ws,
        &args,
        &[
            "it takes 2 inputs (input, mask); DDColor's takes one",
            "model/README.md",
        ],
    );
    // The picture's lightness as a second output, made by a node of its own.
    let more_out = graph_piece(GraphProto {
        node: vec![node("Identity", &["input"], "lightness")],
        output: vec![tensor("lightness", &[1, 3, 256, 256])],
        ..Default::default()
    });
    let args = ddcolor_file(&ws, "two-outputs.onnx", &merged(&bytes, &more_out));
    refused(
        &ws,
        &args,
        &[
            "it gives 2 outputs (output, lightness); DDColor's gives one",
            "model/README.md",
        ],
    );
}

/// Set for a child process of the test below: the ONNX file OpenCV's importer is to read.
const OPENCV_READS: &str = "COLORIZE_TEST_OPENCV_READS";

/// OpenCV's own importer on the file `OPENCV_READS` names; run alone in a child process by the test below, which
/// sees whether it crashed.
#[test]
#[ignore = "run in a child process by an_opset_18_export_whose_gelu_crashes_opencv_is_refused_without_a_crash"]
fn opencv_reads_the_onnx_file_named_in_the_environment() {
    let path = std::env::var(OPENCV_READS).expect("the file to read, in COLORIZE_TEST_OPENCV_READS");
    let bytes = Vector::from_slice(&std::fs::read(path).unwrap());
    let read = opencv::dnn::read_net_from_onnx_buffer(&bytes);
    eprintln!("OpenCV read the file: {:?}", read.map(|_| ()));
}

/// The signal that ended OpenCV's importer on `path`, in a process of its own; None when it did not crash.
fn opencv_crash(path: &Path) -> Option<i32> {
    let test = "ddcolor_files::opencv_reads_the_onnx_file_named_in_the_environment";
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--ignored", "--test-threads", "1"])
        .env(OPENCV_READS, path)
        .output()
        .unwrap();
    if out.status.signal().is_none() {
        assert!(out.status.success(), "{}", crate::support::stderr(&out));
    }
    out.status.signal()
}

/// torch's new exporter writes opset 18 with its GELU in an order that OpenCV 4.14's importer crashes on (SIGSEGV,
/// shown here in a process of its own). colorize refuses the file in one line naming the fix, and does not crash;
/// the legacy exporter's order, the only difference, OpenCV reads.
#[test]
fn an_opset_18_export_whose_gelu_crashes_opencv_is_refused_without_a_crash() {
    let ws = inputs();
    let args = ddcolor_file(&ws, "dynamo.onnx", &gelu_model(DYNAMO, 18));
    assert_eq!(
        opencv_crash(&ws.path("dynamo.onnx")),
        Some(libc::SIGSEGV),
        "OpenCV's importer no longer crashes on the dynamo GELU"
    );
    let said = "dynamo.onnx is not a DDColor file colorize can use: its GELU ending at node 'Mul_g' has its \
                constants in an order that crashes OpenCV 4.14's ONNX importer";
    refused(
        &ws,
        &args,
        &[said, "re-export with torch.onnx.export(..., dynamo=False)"],
    );
    std::fs::write(ws.path("legacy.onnx"), gelu_model(LEGACY, 18)).unwrap();
    assert_eq!(opencv_crash(&ws.path("legacy.onnx")), None);
}

/// The settings of the 2016 network, and a side other than the file's, are refused with DDColor; DDColor's file is
/// refused with the 2016 network.
#[test]
fn the_2016_networks_settings_with_ddcolor_are_one_line() {
    let Some(standin) = onnx("the_2016_networks_settings_with_ddcolor_are_one_line") else {
        return;
    };
    let ws = inputs();
    let ddcolor = ["--model", "ddcolor", "--onnx", standin.as_str()];
    let with = |more: &[&'static str]| [&ddcolor[..], more].concat();
    refused_by(
        &ws,
        &[FILM],
        &with(&["--render-size", "224"]),
        &["takes 256x256 pictures only: drop --render-size 224, or export the file at that size"],
    );
    let eccv16_only = [
        (
            &["--exact"][..],
            "--exact (the 2016 recipe) is the 2016 network's; DDColor has no such setting (drop it, or drop --model \
             ddcolor)",
        ),
        (&["--temperature", "0.5"], "--temperature is the 2016 network's"),
        (&["--precision", "int8"], "--precision int8 is the 2016 network's"),
        (
            &["--prototxt", "model/colorization_deploy_v2.prototxt"],
            "--prototxt is the 2016 network's",
        ),
    ];
    for (flags, said) in eccv16_only {
        refused(&ws, &with(flags), &[said]);
    }
    refused(
        &ws,
        &["--onnx", standin.as_str()],
        &["--onnx names DDColor's file: add --model ddcolor, or drop --onnx"],
    );
}

/// Frames made with one DDColor file are not refinished or resumed with another (another export, its digest
/// other): refused naming the file, and nothing touched.
#[test]
fn frames_of_one_ddcolor_file_are_not_taken_over_with_another() {
    let Some(standin) = onnx("frames_of_one_ddcolor_file_are_not_taken_over_with_another") else {
        return;
    };
    let ws = inputs();
    let other = ModelProto {
        doc_string: Some("another export".into()),
        ..Default::default()
    };
    let bytes = merged(&std::fs::read(&standin).unwrap(), &other);
    let [.., other] = ddcolor_file(&ws, "other.onnx", &bytes);
    let film = |file: &str| -> Vec<String> {
        let args = [
            "video",
            "film.avi",
            "--model",
            "ddcolor",
            "--onnx",
            file,
            "--frames-dir",
            "frames",
            "-o",
        ];
        args.iter().chain(&["out.avi", "-q"]).map(|s| s.to_string()).collect()
    };
    ws.ok(&crate::support::refs(&film(&standin)));
    let made = std::fs::read(ws.path("frames/frame_000002.jpg")).unwrap();
    let out = ws.run(&crate::support::refs(&film(other)));
    fails_with(&out, 1, &["DDColor's ONNX file changed", "--overwrite"]);
    std::fs::remove_file(ws.path("out.avi")).unwrap();
    let out = ws.run(&crate::support::refs(&film(other)));
    fails_with(&out, 1, &["DDColor's ONNX file changed", "--overwrite"]);
    assert_eq!(std::fs::read(ws.path("frames/frame_000002.jpg")).unwrap(), made);
}
