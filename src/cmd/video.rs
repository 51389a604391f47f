//! `colorize video`: one film to colorized frames and a finished film.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use super::shared::{load_model, workers, Outcome};
use crate::cli::{FrameFormat, VideoArgs};
use crate::film;
use crate::output::{check_writable, refuse_to_clobber};
use crate::progress::Progress;

/// Checks the arguments, all before any work: outputs that can be written and that replace nothing unasked.
fn check(args: VideoArgs) -> Result<film::Options> {
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
    film::fourcc(&film)?;
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
    Ok(film::Options {
        input: args.input,
        film,
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
    })
}

pub fn run(args: VideoArgs) -> Result<Outcome> {
    let (quiet, profile_wanted) = (args.run.quiet, args.profile);
    let model = args.model.clone();
    let exact = args.exact;
    let options = check(args)?;
    let model = load_model(&model, exact)?;
    let progress = Progress::new("frames", quiet);
    let started = Instant::now();
    let (summary, profile) = film::colorize(&options, &model, &progress)?;
    let seconds = started.elapsed().as_secs_f64();
    progress.finish();
    for path in summary.frames_dir.iter().chain([&summary.film]) {
        println!("{}", path.display());
    }
    if profile_wanted {
        eprintln!("{}", profile.line());
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
        "colorized {} frames ({} computed, {} reused{resumed}) in {seconds:.1} s, {:.2} frames/s",
        summary.frames,
        summary.computed,
        summary.frames - summary.computed - summary.resumed,
        summary.frames as f64 / seconds.max(1e-9)
    );
    Ok(Outcome::Success)
}
