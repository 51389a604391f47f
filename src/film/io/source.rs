//! Decoding a film with VideoCapture (optionally shrunk the way the recipe does): frames in source order with
//! their time, and a seek that lands where decoding from the start would.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::{imgproc, videoio};

use super::probe;
use crate::{image_io, output};

/// The fewest pixels a film's frames may have on their longer side: OpenCV's DIS flow measures no less, and its
/// MJPG writer corrupts memory on 4x4 frames.
const MIN_SIDE: i32 = 12;

/// The most frames in a row that may fail to decode before the film is taken to end there.
const MAX_DAMAGED: usize = 250;

/// How far ahead a frame must be for `skip_to` to seek rather than decode its way there.
const SEEK_BEYOND: usize = 48;

/// The frame rate taken for a film whose container reports none: PAL's, at which most old film was transferred.
pub const FALLBACK_FPS: f64 = 25.0;

/// What a film's file name ends in, for finding the films in a folder.
pub const EXTENSIONS: [&str; 12] = [
    "mp4", "mkv", "avi", "mov", "m4v", "webm", "mpg", "mpeg", "wmv", "ogv", "ts", "flv",
];

pub fn is_film(path: &Path) -> bool {
    EXTENSIONS.contains(&output::extension(path).as_str())
}

/// A decoded frame and its time in the film, in seconds from the film's start, where the container gives one.
pub struct Decoded {
    pub picture: Mat,
    pub seconds: Option<f64>,
}

pub struct Source {
    path: PathBuf,
    capture: videoio::VideoCapture,
    /// The time of frame 0, where a seek's landing is checked from, when the container gives one.
    first_seconds: Option<f64>,
    /// A frame decoded but not yet handed out: the first one, which `open` decodes to prove the file holds
    /// pictures, or the one `skip_to` decodes to prove the range is not empty.
    pending: Option<Decoded>,
    width: Option<i32>,
    /// The index of the next frame `next_frame` returns.
    pub position: usize,
    /// The container's frame rate, when it reports a usable one.
    pub fps: Option<f64>,
    /// The container's frame count: only a hint for progress, the frames actually read are what count.
    pub frame_count_hint: Option<u64>,
    /// Size of the frames this source yields (after `width`), and of the film's own.
    pub size: Size,
    pub native: Size,
}

impl Source {
    /// Errors do not name `path`: the caller does, once.
    pub fn open(path: &Path, width: Option<u32>) -> Result<Source> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("no such file"),
            Ok(m) if !m.is_file() => bail!("not a regular file (a film is read from a file)"),
            _ => {}
        }
        // OpenCV says only that it cannot open what it cannot read.
        std::fs::File::open(path).context("cannot read it")?;
        if image_io::is_image(path) {
            bail!("a photo, not a film (colorize it with `colorize image`)");
        }
        let capture = videoio::VideoCapture::from_file(path, videoio::CAP_ANY)
            .ok()
            .filter(|c| c.is_opened().unwrap_or(false))
            .context("cannot open it as a video (is it a video file?)")?;
        let fps = capture
            .get(videoio::CAP_PROP_FPS)
            .ok()
            .filter(|f| f.is_finite() && (1.0..=1000.0).contains(f));
        let count = capture.get(videoio::CAP_PROP_FRAME_COUNT).unwrap_or(0.0);
        let frame_count_hint = (count.is_finite() && count >= 1.0).then_some(count as u64);
        let source_size = Size::new(
            capture.get(videoio::CAP_PROP_FRAME_WIDTH).unwrap_or(0.0) as i32,
            capture.get(videoio::CAP_PROP_FRAME_HEIGHT).unwrap_or(0.0) as i32,
        );
        let width = width.map(|w| i32::try_from(w).unwrap_or(i32::MAX));
        let mut source = Source {
            path: path.to_owned(),
            capture,
            first_seconds: None,
            pending: None,
            width,
            position: 0,
            fps,
            frame_count_hint,
            size: scaled_size(source_size, width),
            native: source_size,
        };
        source.pending = source.decode()?;
        let Some(first) = &source.pending else {
            bail!("no frame could be decoded (is it a video file?)");
        };
        let size = first.picture.size()?;
        if size.width.max(size.height) < MIN_SIDE {
            bail!(
                "its frames are {}x{}{}: too small to colorize (a film needs {MIN_SIDE} pixels one way or the other, \
                 where the motion between frames can be measured)",
                size.width,
                size.height,
                if width.is_some() { " at --width" } else { "" }
            );
        }
        source.first_seconds = first.seconds;
        Ok(source)
    }

    /// The number of frames a film's container says it holds.
    pub fn frame_count(path: &Path) -> Result<usize> {
        let capture = videoio::VideoCapture::from_file(path, videoio::CAP_ANY)
            .ok()
            .filter(|c| c.is_opened().unwrap_or(false))
            .context("cannot open it as a video")?;
        Ok(capture
            .get(videoio::CAP_PROP_FRAME_COUNT)
            .map_or(0, |n| n.max(0.0) as usize))
    }

    /// Moves on until the next frame is `index`; false if the film has no frame `index`.
    pub fn skip_to(&mut self, index: usize) -> Result<bool> {
        // Decoding is cheap next to colorizing, but a shard near the end of a feature would still spend minutes.
        if index > self.position + SEEK_BEYOND && self.seek(index)? {
            return Ok(true);
        }
        while self.position < index {
            if self.pending.take().is_none() && !self.grab()? {
                return Ok(false);
            }
            self.position += 1;
        }
        if self.pending.is_none() {
            self.pending = self.decode()?;
        }
        Ok(self.pending.is_some())
    }

    /// Seeks to frame `index` where the film has a constant rate, and checks that the frame there has the time that
    /// rate gives it. Where it has not (an edit list, a seek that is not frame-exact, no such frame), the film is
    /// opened afresh at frame 0 to be decoded forward, and false is returned.
    fn seek(&mut self, index: usize) -> Result<bool> {
        let (Some(fps), Some(first_seconds)) = (self.fps, self.first_seconds) else {
            return Ok(false);
        };
        if !constant_rate(&self.path) {
            return Ok(false);
        }
        if self
            .capture
            .set(videoio::CAP_PROP_POS_FRAMES, index as f64)
            .unwrap_or(false)
        {
            let landed = self.decode()?;
            let expected = first_seconds + index as f64 / fps;
            if let Some(frame) = landed.filter(|f| f.seconds.is_some_and(|s| (s - expected).abs() < 0.25 / fps)) {
                self.pending = Some(frame);
                self.position = index;
                return Ok(true);
            }
        }
        *self = Source::open(&self.path, self.width.map(|w| w as u32))?;
        Ok(false)
    }

    /// The next frame as 8-bit BGR with its time, or None at the end of the film.
    pub fn next_frame(&mut self) -> Result<Option<Decoded>> {
        let frame = match self.pending.take() {
            Some(frame) => Some(frame),
            None => self.decode()?,
        };
        if frame.is_some() {
            self.position += 1;
        }
        Ok(frame)
    }

    /// Grabs the next frame, going on past a damaged stretch: a grab that fails is tried again while the container
    /// announces frames still to come (each failed try uses up what could not be decoded), up to a bound, as the
    /// count is only a hint; at the film's end the tries fail at once.
    fn grab(&mut self) -> Result<bool> {
        let announced = self.frame_count_hint.map_or(0, |n| n as usize);
        let tries = announced.saturating_sub(self.position).clamp(1, MAX_DAMAGED);
        for _ in 0..tries {
            if self.capture.grab().context("cannot decode the film")? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn decode(&mut self) -> Result<Option<Decoded>> {
        let mut frame = Mat::default();
        if !self.grab()? || !self.capture.retrieve_def(&mut frame).context("cannot decode")? || frame.empty() {
            return Ok(None);
        }
        // OpenCV reports the time of the frame just read, from its own timestamp: what keeps a film whose frames
        // are unevenly spaced in step with its sound.
        let seconds = self
            .capture
            .get(videoio::CAP_PROP_POS_MSEC)
            .ok()
            .map(|ms| ms / 1000.0)
            .filter(|s| s.is_finite());
        let picture = match self.width {
            None => frame,
            Some(width) => {
                let size = scaled_size(frame.size()?, Some(width));
                let mut small = Mat::default();
                imgproc::resize(&frame, &mut small, size, 0.0, 0.0, imgproc::INTER_AREA)?;
                small
            }
        };
        Ok(Some(Decoded { picture, seconds }))
    }
}

/// Whether a seek by frame index lands where decoding from the start would: OpenCV seeks to the time index / fps,
/// which is that frame's only when every frame lasts 1 / fps. MP4 and MOV keep a table of every frame, so ffprobe's
/// average rate is the true one and equals the nominal rate only then. Other containers cannot tell: MKV derives
/// its average from the nominal rate, and AVI's index counts the empty entries that stand for dropped frames,
/// which decoding skips. Those are decoded from the start.
fn constant_rate(path: &Path) -> bool {
    if !["mp4", "m4v", "mov"].contains(&output::extension(path).as_str()) {
        return false;
    }
    let rates = probe::ask(path, "v:0", "stream=r_frame_rate,avg_frame_rate");
    matches!(rates.as_deref().and_then(|r| r.split_once(',')), Some((nominal, average)) if nominal == average && nominal != "0/0")
}

/// The recipe's `imutils.resize(frame, width=W)`: aspect kept, height truncated.
fn scaled_size(size: Size, width: Option<i32>) -> Size {
    match width {
        Some(w) if size.width > 0 => Size::new(w, ((size.height as f64 * w as f64 / size.width as f64) as i32).max(1)),
        _ => size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_keeps_aspect_and_truncates_height_like_imutils() {
        assert_eq!(scaled_size(Size::new(640, 360), Some(500)), Size::new(500, 281));
        assert_eq!(scaled_size(Size::new(1920, 1080), Some(500)), Size::new(500, 281));
        assert_eq!(scaled_size(Size::new(640, 360), None), Size::new(640, 360));
        assert_eq!(scaled_size(Size::new(3000, 1), Some(10)), Size::new(10, 1));
    }
}
