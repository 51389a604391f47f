//! The command line, as clap parses it; each file of `cmd` checks its part and turns it into work.

mod values;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::film::{Interval, ShardSpec};
use crate::model::{self, caffe, BackendChoice};
use crate::position::Position;
use values::{
    batch, jobs, keyframe_interval, positive_fps, render_size, saturation, sheet_size, smooth_strength, temperature,
    warmup, width,
};

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
    /// Colorize films: dump the colorized frames and rebuild each film.
    Video(Box<VideoArgs>),
    /// Rebuild a film from a folder of frames, in numeric order.
    Assemble(AssembleArgs),
    /// Download the model files, each checked against its published size and sha256 before it takes its name;
    /// for DDColor, check its ONNX file, or print the steps that make it from its published weights.
    FetchModel(FetchModelArgs),
}

#[derive(Args, Debug)]
pub struct FetchModelArgs {
    /// Which network's files: the 2016 network's are downloaded; DDColor's weights are published for PyTorch only,
    /// so its ONNX file, made from them with DDColor's exporter, is checked as a run would check it, and while
    /// there is none the steps that make it are printed (model/README.md says more).
    #[arg(long, value_enum, default_value_t = Network::Eccv16)]
    pub model: Network,
    /// Folder to download into (the model folder, where DDColor's file is looked for).
    #[arg(long, value_name = "DIR", default_value = "model")]
    pub dir: PathBuf,
    /// DDColor's ONNX file [default: <dir>/ddcolor.onnx].
    #[arg(long, value_name = "FILE")]
    pub onnx: Option<PathBuf>,
    /// Base URL under which the files have their official names; tried in the order given, instead of the
    /// authors' locations.
    #[arg(long, value_name = "URL")]
    pub mirror: Vec<String>,
    /// Replace a file that is present but is not the published one.
    #[arg(long)]
    pub overwrite: bool,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Which network colours: Zhang et al.'s of 2016 (Caffe files), or DDColor of 2023 (an ONNX export of its
    /// published weights, model/README.md says how).
    #[arg(long, value_enum, default_value_t = Network::Eccv16)]
    pub model: Network,
    /// Folder holding the model files under their published names.
    #[arg(long, value_name = "DIR", default_value = "model")]
    pub model_dir: PathBuf,
    /// DDColor's ONNX file [default: <model-dir>/ddcolor.onnx].
    #[arg(long, value_name = "FILE")]
    pub onnx: Option<PathBuf>,
    /// Network description [default: <model-dir>/colorization_deploy_v2.prototxt].
    #[arg(long, value_name = "FILE")]
    pub prototxt: Option<PathBuf>,
    /// Network weights [default: <model-dir>/colorization_release_v2.caffemodel].
    #[arg(long, value_name = "FILE")]
    pub caffemodel: Option<PathBuf>,
    /// a/b cluster centres, shape (313, 2) [default: <model-dir>/pts_in_hull.npy if present, else built in].
    #[arg(long, value_name = "NPY")]
    pub points: Option<PathBuf>,
    /// Where the network runs. auto: a GPU when there is one, else whichever of OpenVINO and OpenCV's own runs
    /// this model faster on this CPU, measured once (a few forward passes of each, a few seconds) and kept in
    /// ~/.cache/colorize/backend-speed. --exact always runs on OpenCV's own backend.
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// The network's arithmetic. float: the backend's own (float32, or bfloat16 where OpenVINO finds the CPU has
    /// it). int8: the convolutions in 8-bit integers, calibrated on pictures colorize makes, the colour head in
    /// float32; on a CPU backend only, and not with --exact.
    #[arg(long, value_enum, default_value_t = Precision::Float)]
    pub precision: Precision,
    /// Temperature of the annealed mean that turns the network's 313 colour probabilities into one colour (Zhang
    /// et al., section 3.2), from 2e-34 (below, the scaled logits overflow f32) to 1: lower is more vivid, higher
    /// more muted. --exact keeps 0.38, the published model's.
    #[arg(long, value_name = "T", default_value_t = caffe::TEMPERATURE, value_parser = temperature,
          allow_negative_numbers = true)]
    pub temperature: f64,
}

/// `--model`'s values.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// Zhang, Isola & Efros, "Colorful Image Colorization", ECCV 2016: the recipe's network.
    Eccv16,
    /// Kang et al., "DDColor", ICCV 2023.
    #[value(name = "ddcolor")]
    DDColor,
}

/// `--backend`'s values; the model knows them as `BackendChoice`, without clap.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// CUDA when this OpenCV has it and a GPU answers, else the faster of OpenVINO and OpenCV's own here,
    /// measured once and kept.
    Auto,
    Opencv,
    Openvino,
    /// NVIDIA GPU, half precision.
    Cuda,
    /// NVIDIA GPU, float32.
    CudaFp32,
}

/// `--precision`'s values; the model knows them as `model::Precision`, without clap.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    Float,
    Int8,
}

impl From<Precision> for model::Precision {
    fn from(precision: Precision) -> model::Precision {
        match precision {
            Precision::Float => model::Precision::Float,
            Precision::Int8 => model::Precision::Int8,
        }
    }
}

impl From<Backend> for BackendChoice {
    fn from(backend: Backend) -> BackendChoice {
        match backend {
            Backend::Auto => BackendChoice::Auto,
            Backend::Opencv => BackendChoice::Opencv,
            Backend::Openvino => BackendChoice::Openvino,
            Backend::Cuda => BackendChoice::Cuda,
            Backend::CudaFp32 => BackendChoice::CudaFp32,
        }
    }
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
    /// Networks run side by side, sharing the cores between them, at most one per core [default: 1 network on every
    /// core, which measured fastest on 2 cores for both backends].
    #[arg(short, long, value_name = "N", value_parser = jobs, allow_negative_numbers = true)]
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
    /// The recipe's arithmetic: OpenCV's own float32 backend, whatever --backend says.
    #[arg(long)]
    pub exact: bool,
    /// Write contact-sheet.jpg in the output folder (--contact-sheet=N for other than 12): N photos evenly spread over the batch, original above
    /// colorized, each labelled with its file name.
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "12",
          value_parser = sheet_size)]
    pub contact_sheet: Option<usize>,
    /// Colour hints (repeatable): a CSV file with columns x, y, colour (#rrggbb), and optionally radius (pixels,
    /// default 3) and file (the photo, in a batch); or a scribble, a PNG with alpha the size of the photo whose
    /// opaque pixels give their colour. Coordinates are pixels of the photo, origin top left.
    #[arg(long, value_name = "PATH")]
    pub hints: Vec<PathBuf>,
    /// Write report.html in the output folder, a review page in one self-contained file: each photo before and
    /// after, the ones the network was least sure of first, and colour hints placed by clicking and saved as a
    /// --hints file.
    #[arg(long)]
    pub report: bool,
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
    /// Films and/or folders of films; a film already colorized is skipped, an interrupted one resumed
    /// [default: every film in input_videos/].
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The colorized film: .avi (MJPG, as the recipe), .mp4 or .mkv (H.264); with several films, or naming a folder
    /// that exists, the folder they go to as <name>.avi [default: colorized_videos/<name>.avi].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Folder for the colorized frames, a folder per film inside it when there are several; a rerun resumes from the
    /// frames found here [default: colorized_frames/<name>].
    #[arg(long, value_name = "DIR")]
    pub frames_dir: Option<PathBuf>,
    /// Image format of the frames.
    #[arg(long, value_enum, default_value_t = FrameFormat::Jpg)]
    pub frame_format: FrameFormat,
    /// Do not keep the frames, only the film (an interrupted run then cannot resume).
    #[arg(long, conflicts_with = "frames_dir")]
    pub no_frames: bool,
    /// Frame rate of the output film [default: the source's, exactly].
    #[arg(long, value_name = "F", value_parser = positive_fps, allow_negative_numbers = true)]
    pub fps: Option<f64>,
    /// Resize frames to this width first, aspect kept, as the recipe does (meant for shrinking: a width above the
    /// film's enlarges it, with a note) [default: full resolution].
    #[arg(long, value_name = "W", value_parser = width, allow_negative_numbers = true)]
    pub width: Option<u32>,
    /// The recipe's per-frame arithmetic and nothing else: every frame through the network, no smoothing, no reuse
    /// of repeats (so the settings of those are refused with it, as --temperature is).
    #[arg(long, conflicts_with_all = ["smooth", "keyframe_interval", "saturation"])]
    pub exact: bool,
    /// Steadiness of colour over time: weight of the past in a running mean of the keyframes' colour, carried
    /// along the motion and reset at scene cuts; 0 turns it off.
    #[arg(long, value_name = "S", default_value_t = 0.5, value_parser = smooth_strength, allow_negative_numbers = true)]
    pub smooth: f64,
    /// Run the network at least every K frames (1 to 25) and carry its colour along the motion to the frames
    /// between (more often where a shot starts or the picture changes too much to carry it); 1 runs it on every
    /// frame. `auto`: every third frame where the picture moves, up to every twelfth where the carried colour stays
    /// trustworthy (still shots).
    #[arg(long, value_name = "K|auto", default_value = "3", value_parser = keyframe_interval)]
    pub keyframe_interval: Interval,
    /// Keyframes per forward pass of the network [default: 16 on a GPU, where a batch costs little more than one
    /// frame; 1 on the CPU]. Frames are the same whatever the batch; larger batches hold more frames in memory.
    #[arg(long, value_name = "N", value_parser = batch)]
    pub batch: Option<usize>,
    /// Colour strength: 1.0 as predicted, 0 gray, above 1 more vivid.
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = saturation, allow_negative_numbers = true)]
    pub saturation: f64,
    /// Side of the square the 2016 network sees; larger keeps finer detail in the colour and costs more
    /// [default: 224; DDColor's is its ONNX file's].
    #[arg(long, value_name = "N", value_parser = render_size, allow_negative_numbers = true)]
    pub render_size: Option<i32>,
    /// Film of the original and the colorized frame next to each other.
    #[arg(long)]
    pub side_by_side: bool,
    /// First frame to colorize: a frame index or a time (4.8s, 1:30) [default: 0].
    #[arg(long, value_name = "POS", allow_negative_numbers = true)]
    pub start: Option<Position>,
    /// Stop before this frame index or time [default: the end of the film].
    #[arg(long, value_name = "POS", allow_negative_numbers = true)]
    pub end: Option<Position>,
    /// Colorize only part I (from 0) of N equal parts of the film (or of the --start/--end slice), into the frames
    /// folder, which any number of parts may share, or with --no-frames into its own part of the film at -o;
    /// `colorize assemble` joins them into the film. `auto` takes I
    /// and N from a Slurm job array, `auto/N` takes I from a Kubernetes Indexed Job.
    #[arg(long, value_name = "I/N|auto|auto/N", conflicts_with = "contact_sheet")]
    pub shard: Option<ShardSpec>,
    /// Frames before a shard's part colorized but not written, so its colour starts as a single run's would there
    /// [default: from --smooth and --keyframe-interval].
    #[arg(long, value_name = "K", requires = "shard", value_parser = warmup)]
    pub warmup: Option<usize>,
    /// Write <name>.sheet.jpg beside each film (--contact-sheet=N for other than 12): N frames evenly spread over it, original above colorized, each
    /// labelled with its time and frame index.
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "12",
          value_parser = sheet_size)]
    pub contact_sheet: Option<usize>,
    /// Write <name>.report.html beside each film, a review page in one self-contained file: a timeline of where
    /// the colour changes more than the motion explains and where the network was unsure, the frames to look at
    /// first before and after, and colour hints placed by clicking and saved as a --hints file. With --shard,
    /// the shard's records go beside its frames and `colorize assemble --report` writes the page.
    #[arg(long)]
    pub report: bool,
    /// Write the review's numbers as JSON to FILE (one film): each frame's kind, cut, stability and
    /// uncertainty, the attention list and the settings.
    #[arg(long, value_name = "FILE", conflicts_with = "shard")]
    pub report_json: Option<PathBuf>,
    /// Leave out the source's sound.
    #[arg(long)]
    pub no_audio: bool,
    /// Replace an existing film and its contact sheet, and frames of another run in the frames folder.
    #[arg(long)]
    pub overwrite: bool,
    /// Print the time spent in each stage.
    #[arg(long)]
    pub profile: bool,
    /// Colour hints (repeatable), each holding through its shot: a CSV file with columns x, y, colour (#rrggbb), and
    /// optionally radius (pixels, default 3), frame (index) or time (as --start takes it) [default: frame 0], and
    /// file (the film, in a batch); or a folder of scribbles, PNGs with alpha the size of a frame named by its index
    /// (000120.png or frame_000120.png) whose opaque pixels give their colour. Coordinates are pixels of the source
    /// frame at full size (before --width), origin top left.
    #[arg(long, value_name = "PATH", conflicts_with = "exact")]
    pub hints: Vec<PathBuf>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct AssembleArgs {
    /// A folder of numbered frames (frame_000000.jpg, ...), or the parts of a film that shards wrote with
    /// --no-frames, in any order.
    #[arg(value_name = "FRAMES_DIR|PART", required = true)]
    pub inputs: Vec<PathBuf>,
    /// The film to write: .avi (MJPG), .mp4, .mkv or .mov (H.264).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Frame rate of the film [default: the rate colorize recorded with the frames, the source's exact one].
    #[arg(long, value_name = "F", value_parser = positive_fps, allow_negative_numbers = true)]
    pub fps: Option<f64>,
    /// Give the film this film's sound, from the time of the first frame (a film without sound leaves it silent,
    /// with a note).
    #[arg(long, value_name = "SOURCE")]
    pub audio_from: Option<PathBuf>,
    /// Replace a film that already exists.
    #[arg(long)]
    pub overwrite: bool,
    /// Write <name>.report.html beside the film, the review page, from the records the run or its shards left
    /// beside the frames (they ran with --report).
    #[arg(long)]
    pub report: bool,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_named_in_messages_as_on_the_command_line() {
        for backend in Backend::value_variants() {
            let flag = backend.to_possible_value().unwrap();
            assert_eq!(BackendChoice::from(*backend).name(), flag.get_name());
        }
    }

    #[test]
    fn precisions_are_named_in_records_as_on_the_command_line() {
        for precision in Precision::value_variants() {
            let flag = precision.to_possible_value().unwrap();
            assert_eq!(model::Precision::from(*precision).name(), flag.get_name());
        }
    }
}
