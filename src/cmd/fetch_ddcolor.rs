//! `colorize fetch-model --model ddcolor`. DDColor's weights are published for PyTorch only, so there is nothing
//! colorize could download and run: it checks the ONNX file made from them as a run checks it, and while there is
//! none that passes, prints the steps that make one, a shell script on stdout.

use std::path::Path;

use anyhow::{bail, Context, Result};

use super::shared::Outcome;
use crate::cli::FetchModelArgs;
use crate::model::files::{DDCOLOR_COMMIT, DDCOLOR_SOURCE, DDCOLOR_TINY};
use crate::model::{ddcolor, Network};

pub fn run(args: &FetchModelArgs) -> Result<Outcome> {
    let downloads = [(!args.mirror.is_empty(), "--mirror"), (args.overwrite, "--overwrite")];
    if let Some((_, flag)) = downloads.iter().find(|(given, _)| *given) {
        bail!(
            "{flag} is for downloading the 2016 network's files; DDColor's ONNX file is made from its weights, not \
             downloaded (drop {flag})"
        );
    }
    let path = args.onnx.clone().unwrap_or_else(|| args.dir.join(ddcolor::ONNX));
    if !path.exists() {
        print!("{}", steps(&path)?);
        eprintln!(
            "error: there is no DDColor ONNX file at {} and none to download: DDColor publishes its weights for \
             PyTorch only (the script printed on stdout makes the file from them with DDColor's own exporter; \
             then run this again to check it)",
            path.display()
        );
        return Ok(Outcome::Failed);
    }
    if !path.is_file() {
        bail!(
            "{} is not a file, so not DDColor's ONNX file (name the file with --onnx)",
            path.display()
        );
    }
    match ddcolor::read(&path) {
        Ok(read) => {
            let Network::DDColor { onnx: digest } = &read.network else {
                bail!("{} was read as another network than DDColor", path.display());
            };
            let side = read.graph.side;
            eprintln!(
                "{}: already there, checked: a DDColor export colorize can run, {side}x{side} pictures in and a/b \
                 out, {} bytes, sha256 {digest}",
                path.display(),
                read.bytes.len()
            );
            Ok(Outcome::Success)
        }
        Err(e) => {
            print!("{}", steps(&path)?);
            eprintln!("error: {e:#}; the script printed on stdout makes it again");
            Ok(Outcome::Failed)
        }
    }
}

/// The commands that make `onnx` from DDColor-T's published checkpoint, as a POSIX shell script, each line what a
/// person would type.
fn steps(onnx: &Path) -> Result<String> {
    let absolute = std::path::absolute(onnx).with_context(|| format!("cannot make {} absolute", onnx.display()))?;
    let text = absolute
        .to_str()
        .with_context(|| format!("{} is not UTF-8, so not a path a script can name", absolute.display()))?;
    let export_path = shlex::try_quote(text).with_context(|| format!("{} cannot be quoted", absolute.display()))?;
    let name = DDCOLOR_TINY.name;
    Ok(format!(
        "#!/bin/sh
# Makes the ONNX file colorize reads from DDColor's published weights (DDColor-T, ImageNet) with DDColor's own
# exporter, in a folder ddcolor-src made here, as
#   {text}
# Needs git, curl and Python 3; model/README.md in colorize says more.
set -e
git clone {DDCOLOR_SOURCE} ddcolor-src
cd ddcolor-src
git checkout {DDCOLOR_COMMIT}
python3 -m venv .venv
. .venv/bin/activate
# PyTorch for the CPU; the exporter also needs OpenCV (imported by DDColor's code), onnx, onnxruntime and onnxsim.
pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu
pip install opencv-python-headless onnx onnxruntime onnxsim
curl -L --fail -o {name} {url}
# torch 2.9 and later export with their new exporter unless told otherwise, and its GELU crashes OpenCV's importer.
sed -i.orig 's/opset_version=args.opset,/opset_version=args.opset, dynamo=False,/' scripts/export_onnx.py
# The side is fixed in the file: 256 for films; 512 (DDColor's own default) takes about 4 times as long a picture.
python scripts/export_onnx.py --model_path {name} --model_size {size} --input_size 256 --export_path {export_path}
",
        url = DDCOLOR_TINY.url,
        size = DDCOLOR_TINY.model_size,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_export_to_the_file_asked_for_quoted_for_the_shell() {
        let script = steps(Path::new("/films/my model's/ddcolor.onnx")).unwrap();
        let export = script.lines().last().unwrap();
        let words = shlex::split(export).unwrap();
        assert_eq!(words.last().unwrap(), "/films/my model's/ddcolor.onnx", "{export}");
        assert_eq!(words[words.len() - 2], "--export_path", "{export}");
    }

    #[test]
    fn steps_name_a_relative_file_by_where_it_is_from_here() {
        let script = steps(Path::new("model/ddcolor.onnx")).unwrap();
        let here = std::env::current_dir().unwrap().join("model/ddcolor.onnx");
        let quoted = shlex::try_quote(here.to_str().unwrap()).unwrap();
        assert!(script.contains(&format!("--export_path {quoted}\n")), "{script}");
    }

    #[test]
    fn steps_fetch_tiny_and_export_with_the_legacy_exporter() {
        let script = steps(Path::new("/m/ddcolor.onnx")).unwrap();
        assert!(script.contains(&format!("curl -L --fail -o {} {}", DDCOLOR_TINY.name, DDCOLOR_TINY.url)));
        assert!(script.contains("dynamo=False"));
        assert!(script.contains(&format!("git checkout {DDCOLOR_COMMIT}")));
        assert!(script.contains("--model_size tiny"));
    }
}
