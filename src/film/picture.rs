//! A frame's 8-bit picture, made off the sink's thread: the colour put on its L and the frame written to the
//! frames folder, or an earlier run's frame read back.

use anyhow::{Context, Result};
use opencv::core::Mat;
use opencv::imgcodecs;
use opencv::prelude::*;

use super::frame::Frame;
use super::frame_dir::FrameDir;
use super::profile::{Profile, Stage};
use crate::lab;

/// How a frame's picture is made.
pub enum Picture {
    /// Read back: an earlier run finished it.
    OnDisk,
    /// `ab` put on `l`, then written to the frames folder.
    Paint { l: Mat, ab: Mat },
}

/// Makes a frame's 8-bit BGR picture; what the film needs of the frame comes back with it.
pub fn picture(frame: Frame<Picture>, frames: Option<&FrameDir>, profile: &Profile) -> Result<(Frame<()>, Mat)> {
    let bgr = match frame.work {
        Picture::OnDisk => {
            let path = frames
                .context("a frame was skipped with no frames folder to find it in")?
                .path(frame.index);
            imgcodecs::imread(&path, imgcodecs::IMREAD_COLOR)
                .ok()
                .filter(|m| !m.empty())
                .with_context(|| format!("cannot read the finished frame {}", path.display()))?
        }
        Picture::Paint { l, ab } => {
            let bgr = profile.time(Stage::Post, || lab::finish(&l, &ab))?;
            if let Some(frames) = frames {
                profile.time(Stage::Encode, || frames.write(frame.index, &bgr))?;
            }
            bgr
        }
    };
    let frame = Frame {
        index: frame.index,
        shot: frame.shot,
        seconds: frame.seconds,
        original: frame.original,
        work: (),
    };
    Ok((frame, bgr))
}
