//! Checks the parsed command line, turns it into work, and reports: results on stdout, the rest on stderr.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::cli::{AssembleArgs, Cli, Command, FrameFormat, ImageArgs, ImageFormat, ModelArgs, RunArgs, VideoArgs};
use crate::model::{self, Model, ModelFiles};
use crate::progress::Progress;
use crate::video::write::check_writable;
use crate::{fetch, interrupt, photos, video};

/// The version line: this program's, and the OpenCV it runs on.
pub fn version() -> String {
    let opencv = opencv::core::get_version_string().unwrap_or_else(|_| "unknown".into());
    let backends = if model::openvino_available() {
        "opencv, openvino"
    } else {
        "opencv"
    };
    format!(
        "{} (OpenCV {opencv}; dnn backends: {backends})",
        env!("CARGO_PKG_VERSION")
    )
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    // OpenCV logs its own errors to stderr before returning them; ours say it once, in one line.
    opencv::core::set_log_level(opencv::core::LogLevel::LOG_LEVEL_SILENT)?;
    interrupt::install()?;
    match cli.command {
        Command::Image(args) => image(args),
        Command::Video(args) => video(args),
        Command::Assemble(args) => assemble(args),
        Command::FetchModel(args) => fetch_model(args),
    }
}

fn load_model(args: &ModelArgs, exact: bool) -> Result<Model> {
    let files = ModelFiles::locate(
        &args.model_dir,
        args.prototxt.clone(),
        args.caffemodel.clone(),
        args.points.clone(),
    );
    let (engine, notice) = model::choose_engine(args.backend, exact, model::openvino_available())?;
    if let Some(notice) = notice {
        eprintln!("{notice}");
    }
    let model = Model::load(&files, engine)?;
    for note in &model.notes {
        eprintln!("{note}");
    }
    Ok(model)
}

/// Networks side by side, and threads for each, from `-j` and the core count. One network on every core beat
/// two networks on one core each on the 2-core machines this was measured on (OpenVINO 73 ms per frame against 132,
/// OpenCV's own 213 against 220); OpenVINO takes its thread count from OpenCV's.
fn workers(run: &RunArgs) -> Result<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = run.jobs.map_or(1, |j| j as usize);
    opencv::core::set_num_threads((cores / workers).max(1) as i32)?;
    Ok(workers)
}

fn image(args: ImageArgs) -> Result<ExitCode> {
    let inputs = photos::expand_inputs(&args.inputs)?;
    check_writable(&args.output)?;
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
    let model = load_model(&args.model, args.exact)?;
    let progress = Progress::new("photos", args.run.quiet);
    progress.set_total(inputs.len() as u64);
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
        eprintln!("error: {failed} of {} photos could not be colorized", inputs.len());
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
    check_writable(film.parent().unwrap_or(Path::new(".")))?;
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
    if let Some((dir, _)) = &frames {
        check_writable(dir)?;
    }
    let options = video::Options {
        input: args.input,
        film: Some(film),
        frames,
        fps: args.fps,
        width: args.width,
        exact: args.exact,
        workers: workers(&args.run)?,
        start: args.start,
        end: args.end,
        smooth: args.smooth,
        saturation: args.saturation,
        render_size: args.render_size,
        side_by_side: args.side_by_side,
        audio: !args.no_audio,
        overwrite: args.overwrite,
    };
    let model = load_model(&args.model, options.exact)?;
    let progress = Progress::new("frames", args.run.quiet);
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
    for note in &summary.notes {
        eprintln!("{note}");
    }
    let resumed = if summary.resumed > 0 {
        format!(", {} already done", summary.resumed)
    } else {
        String::new()
    };
    eprintln!(
        "colorized {} frames ({} computed, {} reused{resumed}) in {:.1} s, {:.2} frames/s",
        summary.frames,
        summary.computed,
        summary.frames - summary.computed - summary.resumed,
        summary.seconds,
        summary.frames as f64 / summary.seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

fn assemble(args: AssembleArgs) -> Result<ExitCode> {
    refuse_to_clobber(&args.output, &args.frames_dir, args.overwrite)?;
    let progress = Progress::new("frames", args.quiet);
    let frames = video::assemble::assemble(&args.frames_dir, &args.output, args.fps, &progress)?;
    progress.finish();
    println!("{}", args.output.display());
    eprintln!("assembled {frames} frames at {} fps", args.fps);
    Ok(ExitCode::SUCCESS)
}

/// Fetches the model: files written on stdout; files already in place and failures on stderr.
fn fetch_model(args: crate::cli::FetchModelArgs) -> Result<ExitCode> {
    let sources = if args.mirror.is_empty() {
        fetch::Sources::Published
    } else {
        fetch::Sources::mirrors(&args.mirror)?
    };
    let options = fetch::Options::new(args.overwrite, args.quiet);
    let results = fetch::fetch_model(&args.dir, &sources, &options)?;
    let mut failed = 0;
    for (path, result) in &results {
        match result {
            Ok(fetch::Outcome::Downloaded) => println!("{}", path.display()),
            Ok(fetch::Outcome::AlreadyThere) => {
                eprintln!("{}: already there, verified", path.display())
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e:#}");
            }
        }
    }
    if interrupt::requested() {
        return Ok(ExitCode::from(130));
    }
    if failed > 0 {
        eprintln!("error: {failed} of {} model files could not be fetched", results.len());
        return Ok(ExitCode::FAILURE);
    }
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
        bail!("{} already exists (pass --overwrite to replace it)", output.display());
    }
    Ok(())
}
