//! A frame's 8-bit picture, made off the sink's thread: the colour put on its L and the frame written to the
//! frames folder, or an earlier run's frame read back.

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use opencv::core::{Mat, Vector};
use opencv::imgcodecs;
use opencv::prelude::*;

use crate::film::base::frame::Frame;
use crate::film::base::frame::Picture;
use crate::film::base::profile::{Profile, Stage};
use crate::film::io::frame_dir::FrameDir;
use crate::image_io;
use crate::lab::{self, Recipe};

/// Makes a frame's 8-bit BGR picture; what the film needs of the frame comes back with it.
pub fn picture(
    frame: Frame<Picture>,
    frames: Option<&FrameDir>,
    recipe: Recipe,
    profile: &Profile,
) -> Result<(Frame<()>, Mat)> {
    let index = frame.index;
    let mut bgr = Mat::default();
    let frame = frame.try_map(|work| -> Result<()> {
        bgr = match work {
            Picture::OnDisk => {
                let path = frames
                    .context("a frame was skipped with no frames folder to find it in")?
                    .path(index);
                read_back(&path)?
            }
            Picture::Paint { l, ab } => {
                let bgr = profile.time(Stage::Post, || lab::finish(&l, &ab, recipe))?;
                if let Some(frames) = frames {
                    profile.time(Stage::Encode, || frames.write(index, &bgr))?;
                }
                bgr
            }
        };
        Ok(())
    })?;
    Ok((frame, bgr))
}

/// An earlier run's finished frame. One damaged since it was written is refused with the remedy, before libjpeg
/// can complain of it on stderr: without the frame, the resume record no longer holds, and the frames are made anew.
fn read_back(path: &Path) -> Result<Mat> {
    let damaged = || {
        anyhow!(
            "the finished frame {} is damaged (cut short since it was written?): delete it and run again, and the \
             frames are colorized anew",
            path.display()
        )
    };
    let bytes = std::fs::read(path).with_context(|| format!("cannot read the finished frame {}", path.display()))?;
    if bytes.starts_with(&[0xff, 0xd8]) && image_io::jpeg_cut_short(&bytes) {
        return Err(damaged());
    }
    imgcodecs::imdecode(&Vector::<u8>::from_slice(&bytes), imgcodecs::IMREAD_COLOR)
        .ok()
        .filter(|m| !m.empty())
        .ok_or_else(damaged)
}
