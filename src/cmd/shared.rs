//! What the subcommands share: the outcome that becomes the exit code, loading the model, the threads, and the
//! colour hints files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::cli::{ModelArgs, Network, Precision, RunArgs};
use crate::hints::{self, HintFile};
use crate::interrupt;
use crate::model::{self, caffe, ddcolor, CaffeFiles, Model, ModelFiles, Predicts};
use crate::threads::Threads;

/// How a run ended, ordered by severity: the worst outcome of a batch is the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Success,
    /// Something failed, and said so on stderr.
    Failed,
    /// Stopped by Ctrl-C or SIGTERM.
    Interrupted,
}

impl Outcome {
    /// The outcome of an error that ended a run: it was stopped, or it failed.
    pub fn of_error() -> Outcome {
        if interrupt::requested() {
            Outcome::Interrupted
        } else {
            Outcome::Failed
        }
    }

    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failed => ExitCode::FAILURE,
            // 128 + SIGINT, as shells report a run stopped by Ctrl-C.
            Outcome::Interrupted => ExitCode::from(130),
        }
    }
}

/// The version line: this program's, and the OpenCV it runs on.
pub fn version() -> String {
    let opencv = opencv::core::get_version_string().unwrap_or_else(|_| "unknown".into());
    let here = model::Available::here();
    let backends = [
        Some("opencv"),
        here.openvino.then_some("openvino"),
        match here.cuda {
            model::Cuda::Ready => Some("cuda"),
            model::Cuda::NoDevice => Some("cuda (no GPU answers)"),
            model::Cuda::NotBuilt => None,
        },
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    format!(
        "{} (OpenCV {opencv}; dnn backends: {backends})",
        env!("CARGO_PKG_VERSION")
    )
}

/// The files of the network `--model` names, refusing the 2016 network's settings for another.
pub fn model_files(args: &ModelArgs, exact: bool) -> Result<ModelFiles> {
    match args.model {
        Network::Eccv16 => {
            if args.onnx.is_some() {
                bail!("--onnx names DDColor's file: add --model ddcolor, or drop --onnx");
            }
            if exact && args.temperature != caffe::TEMPERATURE {
                bail!(
                    "--exact keeps the published temperature {} (drop --temperature, or --exact)",
                    caffe::TEMPERATURE
                );
            }
            Ok(ModelFiles::Eccv16(CaffeFiles::locate(
                &args.model_dir,
                args.prototxt.clone(),
                args.caffemodel.clone(),
                args.points.clone(),
            )))
        }
        Network::DDColor => {
            let eccv16_only = [
                (exact, "--exact (the 2016 recipe)"),
                (args.temperature != caffe::TEMPERATURE, "--temperature"),
                (args.prototxt.is_some(), "--prototxt"),
                (args.caffemodel.is_some(), "--caffemodel"),
                (args.points.is_some(), "--points"),
                (args.precision == Precision::Int8, "--precision int8"),
            ];
            if let Some((_, flag)) = eccv16_only.iter().find(|(given, _)| *given) {
                bail!("{flag} is the 2016 network's; DDColor has no such setting (drop it, or drop --model ddcolor)");
            }
            Ok(ModelFiles::DDColor(
                args.onnx.clone().unwrap_or_else(|| args.model_dir.join(ddcolor::ONNX)),
            ))
        }
    }
}

pub fn load_model(args: &ModelArgs, exact: bool, predicts: Predicts) -> Result<Model> {
    let files = model_files(args, exact)?;
    let precision = args.precision.into();
    let (pick, notice) = model::choose_engine(args.backend.into(), exact, precision, model::Available::here())?;
    if let Some(notice) = notice {
        eprintln!("{notice}");
    }
    let model = Model::load_for(&files, pick, precision, args.temperature, predicts)?;
    for note in model.notes.iter().chain(&model.chosen) {
        eprintln!("{note}");
    }
    Ok(model)
}

/// The threads of this run (`threads.rs` says how they are decided), with OpenCV told its share.
pub fn threads(run: &RunArgs) -> Result<Threads> {
    let (threads, warning) = Threads::here(run.jobs.map(|j| j as usize));
    if let Some(warning) = warning {
        eprintln!("{warning}");
    }
    threads.apply_to_opencv()?;
    Ok(threads)
}

/// Reads every hints file before any picture is touched; an empty one is a warning.
pub fn read_hints(paths: &[PathBuf], exact: bool) -> Result<Vec<HintFile>> {
    if exact && !paths.is_empty() {
        bail!("--exact is the recipe, which has no colour hints (drop --hints, or --exact)");
    }
    let mut files = Vec::new();
    for path in paths {
        let file = hints::read(path)?;
        for note in &file.notes {
            eprintln!("note: hints {}: {note}", path.display());
        }
        if file.hints.is_empty() {
            eprintln!("warning: hints {} holds no hints", path.display());
        }
        files.push(file);
    }
    Ok(files)
}
