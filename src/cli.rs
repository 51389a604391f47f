//! The command line, as clap parses it; `app` checks it and turns it into work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Bring old black-and-white photographs and films to colour (Zhang, Isola & Efros, ECCV 2016, on OpenCV dnn).
#[derive(Parser, Debug)]
#[command(name = "colorize")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Colorize photos: files and/or folders of images.
    Image(ImageArgs),
    /// Colorize a film: dump the colorized frames and rebuild the film.
    Video(VideoArgs),
    /// Rebuild a film from a folder of frames, in numeric order.
    Assemble(AssembleArgs),
}

#[derive(Args, Debug)]
pub struct ModelArgs {
    /// Folder holding the model files under their published names.
    #[arg(long, value_name = "DIR", default_value = "model")]
    pub model_dir: PathBuf,
    /// Network description [default: <model-dir>/colorization_deploy_v2.prototxt].
    #[arg(long, value_name = "FILE")]
    pub prototxt: Option<PathBuf>,
    /// Network weights [default: <model-dir>/colorization_release_v2.caffemodel].
    #[arg(long, value_name = "FILE")]
    pub caffemodel: Option<PathBuf>,
    /// a/b cluster centres, shape (313, 2) [default: <model-dir>/pts_in_hull.npy if present, else built in].
    #[arg(long, value_name = "NPY")]
    pub points: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
    /// Networks run side by side [default: chosen from the number of cores].
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub jobs: Option<u32>,
}

#[derive(Args, Debug)]
pub struct ImageArgs {
    /// Image files and/or folders of images.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder; each photo is written as Color_<name>.
    #[arg(short, long, value_name = "DIR", default_value = "colorized_images")]
    pub output: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ImageFormat::Same)]
    pub format: ImageFormat,
    /// Replace outputs that already exist.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpg,
    /// The input's own format.
    Same,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameFormat {
    Jpg,
    Png,
}

#[derive(Args, Debug)]
pub struct VideoArgs {
    /// The film to colorize.
    pub input: PathBuf,
    /// The colorized film (.avi: MJPG) [default: colorized_videos/<name>.avi].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Folder for the colorized frames [default: colorized_frames/<name>].
    #[arg(long, value_name = "DIR")]
    pub frames_dir: Option<PathBuf>,
    /// Image format of the frames.
    #[arg(long, value_enum, default_value_t = FrameFormat::Jpg)]
    pub frame_format: FrameFormat,
    /// Do not keep the frames, only the film.
    #[arg(long, conflicts_with = "frames_dir")]
    pub no_frames: bool,
    /// Frame rate of the output film [default: the source's].
    #[arg(long, value_name = "F", value_parser = positive_fps)]
    pub fps: Option<f64>,
    /// Shrink frames to this width first, aspect kept, as the recipe does [default: full resolution].
    #[arg(long, value_name = "W", value_parser = clap::value_parser!(u32).range(1..=16384))]
    pub width: Option<u32>,
    /// The recipe's per-frame arithmetic and nothing else: every frame computed, no reuse of repeats.
    #[arg(long)]
    pub exact: bool,
    /// Stop before this frame index (a preview of the start of the film).
    #[arg(long, value_name = "FRAME")]
    pub end: Option<usize>,
    /// Replace a film that already exists.
    #[arg(long)]
    pub overwrite: bool,
    /// Print the time spent in each stage.
    #[arg(long)]
    pub profile: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct AssembleArgs {
    /// Folder of numbered frames (frame_000000.jpg, ...).
    pub frames_dir: PathBuf,
    /// The film to write (.avi: MJPG).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Frame rate of the film.
    #[arg(long, value_name = "F", value_parser = positive_fps)]
    pub fps: f64,
    /// Replace a film that already exists.
    #[arg(long)]
    pub overwrite: bool,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

fn positive_fps(s: &str) -> Result<f64, String> {
    let fps: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if fps.is_finite() && fps > 0.0 && fps <= 1000.0 {
        Ok(fps)
    } else {
        Err(format!(
            "{s} is not a frame rate (give a number above 0 and at most 1000)"
        ))
    }
}
