//! Checks the parsed command line, turns it into work, and reports: results on stdout, the rest on stderr.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::cli::{
    AssembleArgs, Cli, Command, FrameFormat, ImageArgs, ImageFormat, ModelArgs, RunArgs, VideoArgs,
};
use crate::model::{Model, ModelFiles};
use crate::progress::Progress;
use crate::{photos, video};

/// The version line: this program's, and the OpenCV it runs on.
pub fn version() -> String {
    let opencv = opencv::core::get_version_string().unwrap_or_else(|_| "unknown".into());
    format!("{} (OpenCV {opencv})", env!("CARGO_PKG_VERSION"))
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    // OpenCV logs its own errors to stderr before returning them; ours say it once, in one line.
    opencv::core::set_log_level(opencv::core::LogLevel::LOG_LEVEL_SILENT)?;
    match cli.command {
        Command::Image(args) => image(args),
        Command::Video(args) => video(args),
        Command::Assemble(args) => assemble(args),
    }
}

fn load_model(args: &ModelArgs) -> Result<Model> {
    Model::load(&ModelFiles::locate(
        &args.model_dir,
        args.prototxt.clone(),
        args.caffemodel.clone(),
        args.points.clone(),
    ))
}

/// Networks side by side, and OpenCV threads for each, from `-j` and the core count.
fn workers(run: &RunArgs) -> Result<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = run.jobs.map_or(1, |j| j as usize);
    opencv::core::set_num_threads((cores / workers).max(1) as i32)?;
    Ok(workers)
}

fn image(args: ImageArgs) -> Result<ExitCode> {
    let inputs = photos::expand_inputs(&args.inputs)?;
    let format = match args.format {
        ImageFormat::Png => Some("png".to_string()),
        ImageFormat::Jpg => Some("jpg".to_string()),
        ImageFormat::Same => None,
    };
    let options = photos::Options {
        out_dir: args.output,
        format,
        overwrite: args.overwrite,
        workers: workers(&args.run)?,
    };
    let model = load_model(&args.model)?;
    let progress = Progress::new(Some(inputs.len() as u64), "photos", args.run.quiet);
    let results = photos::colorize_all(&inputs, &options, &model, &progress)?;
    progress.finish();
    let mut failed = 0;
    for (input, result) in results {
        match result {
            Ok(output) => println!("{}", output.display()),
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e:#}", input.display());
            }
        }
    }
    if failed > 0 {
        eprintln!(
            "error: {failed} of {} photos could not be colorized",
            inputs.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn video(args: VideoArgs) -> Result<ExitCode> {
    let stem = args
        .input
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let film = args
        .output
        .unwrap_or_else(|| Path::new("colorized_videos").join(format!("{stem}.avi")));
    refuse_to_clobber(&film, &args.input, args.overwrite)?;
    let frames = (!args.no_frames).then(|| {
        let dir = args
            .frames_dir
            .unwrap_or_else(|| Path::new("colorized_frames").join(&stem));
        let ext = match args.frame_format {
            FrameFormat::Jpg => "jpg",
            FrameFormat::Png => "png",
        };
        (dir, ext.to_string())
    });
    let options = video::Options {
        input: args.input,
        film: Some(film),
        frames,
        fps: args.fps,
        width: args.width,
        exact: args.exact,
        workers: workers(&args.run)?,
        end: args.end,
    };
    let model = load_model(&args.model)?;
    let hint = video::read::Source::open(&options.input, None)?.frame_count_hint;
    let total = match (hint, args.end) {
        (Some(n), Some(end)) => Some(n.min(end as u64)),
        (hint, end) => hint.or(end.map(|e| e as u64)),
    };
    let progress = Progress::new(total, "frames", args.run.quiet);
    let summary = video::colorize(&options, &model, &progress)?;
    progress.finish();
    if let Some((dir, _)) = &options.frames {
        println!("{}", dir.display());
    }
    if let Some(film) = &summary.film {
        println!("{}", film.display());
    }
    if args.profile {
        eprintln!("{}", summary.profile.line());
    }
    eprintln!(
        "colorized {} frames ({} computed, {} reused) in {:.1} s, {:.2} frames/s",
        summary.frames,
        summary.computed,
        summary.frames - summary.computed,
        summary.seconds,
        summary.frames as f64 / summary.seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

fn assemble(args: AssembleArgs) -> Result<ExitCode> {
    refuse_to_clobber(&args.output, &args.frames_dir, args.overwrite)?;
    let progress = Progress::new(None, "frames", args.quiet);
    let frames = video::assemble::assemble(&args.frames_dir, &args.output, args.fps, &progress)?;
    progress.finish();
    println!("{}", args.output.display());
    eprintln!("assembled {frames} frames at {} fps", args.fps);
    Ok(ExitCode::SUCCESS)
}

/// Refuses an output that would replace the input or, without `--overwrite`, any existing file.
fn refuse_to_clobber(output: &Path, input: &Path, overwrite: bool) -> Result<()> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(output, input) {
        bail!(
            "the output {} is the input; choose another name with -o",
            output.display()
        );
    }
    if output.exists() && !overwrite {
        bail!(
            "{} already exists (pass --overwrite to replace it)",
            output.display()
        );
    }
    Ok(())
}
