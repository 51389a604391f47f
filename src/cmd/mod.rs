//! One file per subcommand, each checking its arguments once and turning them into work; `shared` holds what they
//! have in common: the outcome that becomes the exit code, loading the model, and sharing the cores.

mod assemble;
mod batch;
mod fetch_ddcolor;
mod fetch_model;
mod image;
mod rerun;
mod shared;
mod video;
mod video_guard;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::interrupt;
pub use shared::{version, Outcome};

pub fn run(cli: Cli) -> Result<Outcome> {
    // OpenCV logs its own errors to stderr before returning them; ours say it once, in one line.
    opencv::core::set_log_level(opencv::core::LogLevel::LOG_LEVEL_SILENT)?;
    // So does FFmpeg under OpenCV's videoio ("moov atom not found" before our line); a level the user set wins.
    if std::env::var_os("OPENCV_FFMPEG_LOGLEVEL").is_none() {
        std::env::set_var("OPENCV_FFMPEG_LOGLEVEL", "-8");
    }
    interrupt::install()?;
    match cli.command {
        Command::Image(args) => image::run(args),
        Command::Video(args) => video::run(*args),
        Command::Assemble(args) => assemble::run(args),
        Command::FetchModel(args) => fetch_model::run(args),
    }
}
