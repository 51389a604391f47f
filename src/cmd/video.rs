//! `colorize video`: films (files, folders, or every film in `input_videos/`) to colorized frames and finished
//! films, one model for the whole batch; a film that fails is reported and the rest go on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};

use super::batch;
use super::rerun;
use super::shared::{load_model, read_hints, threads, Outcome};
use super::video_guard::{self as guard, review, Job};
use crate::cli::{FrameFormat, VideoArgs};
use crate::film;
use crate::hints::HintFile;
use crate::model::{Colorizer, Model, Predicts};
use crate::output::{check_output, check_writable, FolderLock};
use crate::progress::Progress;

/// Where each film's results go: the film at `-o` (a folder when there are several films, or when it is one) and
/// its frames in a folder of their own, under a name that is the film's own (`batch::Names`). A film `-o` names
/// that another film made is refused without `--overwrite`.
fn destinations(args: &VideoArgs, inputs: Vec<PathBuf>, shard: Option<film::Shard>) -> Result<Vec<Job>> {
    let several = inputs.len() > 1;
    // A folder named as a film (out.mp4/) is a mistake, which check_output names.
    let into_folder = args.output.as_ref().is_some_and(|o| o.is_dir() && !film::is_film(o));
    if several && !into_folder && args.output.as_ref().is_some_and(|o| o.extension().is_some()) {
        bail!("with several films, -o names the folder to write them in, not a film");
    }
    let format = match args.frame_format {
        FrameFormat::Jpg => film::FrameFormat::Jpg,
        FrameFormat::Png => film::FrameFormat::Png,
    };
    let named_film = args.output.clone().filter(|_| !several && !into_folder);
    let film_at = |name: &str| match (&args.output, &named_film) {
        (_, Some(file)) => file.clone(),
        (Some(dir), None) => dir.join(format!("{name}.avi")),
        (None, _) => Path::new("colorized_videos").join(format!("{name}.avi")),
    };
    let frames_at = |name: &str| {
        (!args.no_frames).then(|| film::FramesFolder {
            dir: match (&args.frames_dir, several) {
                (Some(dir), true) => dir.join(name),
                (Some(dir), false) => dir.clone(),
                (None, _) => Path::new("colorized_frames").join(name),
            },
            format,
        })
    };
    let mut names = batch::Names::default();
    let mut jobs = Vec::new();
    for input in inputs {
        // Unreadable, or no file (a pipe would block), it is nobody's: its run says why.
        let digest = input.is_file().then(|| film::content_digest(&input).ok()).flatten();
        let name = names.choose(&input, digest.as_deref(), |name| {
            let outputs = film::Outputs::new(film_at(name), frames_at(name), shard);
            batch::Places {
                film: outputs.film().filter(|_| named_film.is_none()).map(Path::to_owned),
                frames: outputs
                    .frames()
                    .filter(|_| several || args.frames_dir.is_none())
                    .map(|f| f.dir.clone()),
            }
        });
        let outputs = film::Outputs::new(film_at(&name), frames_at(&name), shard);
        if let Some(film) = outputs.film() {
            check_output(film, &input)?;
            film::fourcc(film)?;
            if named_film.is_some() {
                guard::refuse_anothers(film, digest.as_deref(), args.overwrite)?;
            }
            guard::check_sheet(args, film)?;
            guard::check_page(args, film)?;
        }
        if let Some(frames) = outputs.frames() {
            check_writable(&frames.dir)?;
        }
        guard::check_report_json(args, &input, &outputs)?;
        jobs.push(Job { input, outputs, digest });
    }
    Ok(jobs)
}

fn options(args: &VideoArgs, job: &Job, model: &Model, hints: &Arc<Vec<HintFile>>) -> film::Options {
    film::Options {
        input: job.input.clone(),
        outputs: job.outputs.clone(),
        fps: args.fps,
        width: args.width,
        exact: args.exact,
        start: args.start,
        end: args.end,
        smooth: args.smooth,
        keyframe_interval: args.keyframe_interval,
        batch: args.batch.unwrap_or_else(|| model.engine().default_batch()),
        saturation: args.saturation,
        render_size: model.render_size(args.render_size),
        layout: if args.side_by_side {
            film::Layout::SideBySide
        } else {
            film::Layout::Colour
        },
        audio: !args.no_audio,
        overwrite: args.overwrite,
        contact_sheet: args.contact_sheet,
        warmup: args.warmup,
        hints: Arc::clone(hints),
        report: review(args, job),
        rerun: rerun::film(args, &job.input, &job.outputs),
    }
}

/// Refuses what a batch of `films` films cannot do with these arguments, before any work.
fn check_batch(args: &VideoArgs, films: usize, shard: Option<film::Shard>) -> Result<()> {
    if args.report_json.is_some() && films != 1 {
        bail!("--report-json names one file: name one film, or use --report, whose page holds the same JSON");
    }
    if shard.is_some() && films != 1 {
        bail!("--shard colorizes a part of one film: name one film");
    }
    if shard.is_some() && args.report && args.no_frames {
        bail!(
            "--report with --shard keeps the shard's review beside its frames for `colorize assemble --report`: \
             drop --no-frames"
        );
    }
    if let (Some(shard), true, None) = (shard, args.no_frames, &args.output) {
        bail!(
            "--shard with --no-frames writes this shard's part of the film: name it with -o (such as -o part-{}.mp4)",
            shard.index
        );
    }
    Ok(())
}

/// The model, with what the run asks of it, and one network of it per worker.
fn load(args: &VideoArgs, networks: usize) -> Result<(Model, Vec<Colorizer>)> {
    let predicts = if args.report || args.report_json.is_some() {
        Predicts::ColourAndUncertainty
    } else {
        Predicts::Colour
    };
    let model = load_model(&args.model, args.exact, predicts)?;
    model.check_render_size(args.render_size)?;
    let nets = (0..networks).map(|_| model.colorizer()).collect::<Result<Vec<_>>>()?;
    Ok((model, nets))
}

pub fn run(args: VideoArgs) -> Result<Outcome> {
    batch::check_named(&args.inputs, args.contact_sheet.is_some())?;
    let inputs = batch::inputs(&args.inputs)?;
    let shard = args
        .shard
        .map(|spec| spec.resolve(|name| std::env::var(name).ok()))
        .transpose()?;
    let films = destinations(&args, inputs, shard)?;
    check_batch(&args, films.len(), shard)?;
    // One film is refused at once when another run writes its frames; a batch goes on to its other films.
    if let [job] = &films[..] {
        if let Some(frames) = job.outputs.frames() {
            FolderLock::check_free(&frames.dir, shard.map(|s| s.tag()).as_deref())?;
        }
    }
    let hints = Arc::new(read_hints(&args.hints, args.exact)?);
    let inputs: Vec<&Path> = films.iter().map(|f| f.input.as_path()).collect();
    film::check_hints(&inputs, &hints)?;
    let threads = threads(&args.run)?;
    let pictures = threads.picture_pool()?;
    let loading = Instant::now();
    let (model, mut nets) = load(&args, threads.networks)?;
    let loaded = loading.elapsed().as_secs_f64();
    let mut outcome = Outcome::Success;
    let mut rows = Vec::new();
    for (k, film) in films.iter().enumerate() {
        let label = format!("{} ({} of {})", film.input.display(), k + 1, films.len());
        // A film there already is made again only where its finishing settings changed: refinished.
        let due = || film::refinish_due(&options(&args, film, &model, &hints), model.identity());
        let (result, row) = match guard::skipped(&args, film, films.len(), due) {
            Err(e) => {
                eprintln!("error: {}: {e:#}", film.input.display());
                (Outcome::of_error(), "refused".to_string())
            }
            Ok(Some((why, row))) => {
                eprintln!("{label}: {why}");
                (Outcome::Success, row.to_string())
            }
            Ok(None) => colorize_one(&args, film, (&model, &mut nets), &pictures, &hints, &label),
        };
        outcome = outcome.max(result);
        rows.push(format!("  {}: {row}", film.input.display()));
        if outcome == Outcome::Interrupted {
            for film in &films[k + 1..] {
                rows.push(format!("  {}: not started", film.input.display()));
            }
            break;
        }
    }
    if films.len() > 1 {
        eprintln!(
            "{} films, model loaded once in {loaded:.1} s:\n{}",
            films.len(),
            rows.join("\n")
        );
    }
    Ok(outcome)
}

/// Where a film's time went, and how busy its `networks` were over its `seconds`.
fn say_profile(profile: &film::Profile, networks: usize, seconds: f64) {
    eprintln!(
        "{}; network busy {:.0} % of the run ({networks} network{})",
        profile.line(),
        100.0 * profile.network_share(networks, seconds),
        if networks == 1 { "" } else { "s" }
    );
}

/// Colorizes one film of the batch and reports it; returns its outcome and its line for the batch summary.
fn colorize_one(
    args: &VideoArgs,
    job: &Job,
    (model, nets): (&Model, &mut [Colorizer]),
    pictures: &rayon::ThreadPool,
    hints: &Arc<Vec<HintFile>>,
    label: &str,
) -> (Outcome, String) {
    let progress = Progress::new("frames", args.run.quiet).labelled(label);
    let started = Instant::now();
    let options = options(args, job, model, hints);
    let result = film::colorize(options, model, nets, pictures, &progress);
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let (summary, profile) = match result {
        Ok(done) => done,
        Err(e) => {
            // film::colorize names the film in every error it returns.
            eprintln!("error: {e:#}");
            let outcome = Outcome::of_error();
            let word = if outcome == Outcome::Interrupted {
                "interrupted"
            } else {
                "failed"
            };
            return (outcome, format!("{word} after {seconds:.1} s"));
        }
    };
    (
        Outcome::Success,
        say_done(args, &summary, &profile, nets.len(), seconds),
    )
}

/// Says what a film's run made and did: its paths on stdout, its notes and summary line on stderr. Returns the
/// line.
fn say_done(
    args: &VideoArgs,
    summary: &film::Summary,
    profile: &film::Profile,
    networks: usize,
    seconds: f64,
) -> String {
    let paths = summary.frames_dir.iter().chain(&summary.film).chain(&summary.sheet);
    for path in paths.chain(&summary.report) {
        println!("{}", path.display());
    }
    if args.profile {
        say_profile(profile, networks, seconds);
    }
    for note in &summary.notes {
        eprintln!("{note}");
    }
    if let Some(hints) = &summary.hints {
        eprintln!(
            "colour hints: {} given, held on {} frames; {} tracks lost before their shot ended",
            hints.given, hints.frames, hints.lost
        );
    }
    let resumed = if summary.counts.resumed > 0 {
        format!(", {} already done", summary.counts.resumed)
    } else {
        String::new()
    };
    let stored = if summary.counts.stored > 0 {
        format!(", {} from stored predictions", summary.counts.stored)
    } else {
        String::new()
    };
    let line = format!(
        "colorized {} frames ({} keyframes: {} computed{stored}, {} repeats; {} carried along the motion{resumed}; \
         {} cuts; {} forward passes) in {seconds:.1} s, {:.2} frames/s",
        summary.frame_count,
        summary.counts.keyframes,
        summary.counts.computed,
        summary.counts.keyframes - summary.counts.computed - summary.counts.stored,
        summary.frame_count - summary.counts.keyframes - summary.counts.resumed,
        summary.counts.cuts,
        summary.counts.forward_passes,
        summary.frame_count as f64 / seconds.max(1e-9)
    );
    eprintln!("{line}");
    line
}
