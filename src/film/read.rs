//! Decoding a film with VideoCapture, optionally shrinking each frame the way the recipe does.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::{imgproc, videoio};

pub struct Source {
    capture: videoio::VideoCapture,
    /// The first frame, decoded by `open` to prove the file holds pictures before any output is made.
    first: Option<Mat>,
    path: PathBuf,
    width: Option<i32>,
    /// Frames read so far; the index of the next frame.
    pub position: usize,
    /// The container's frame rate, when it reports a usable one.
    pub fps: Option<f64>,
    /// The container's frame count: only a hint for progress, the frames actually read are what count.
    pub frame_count_hint: Option<u64>,
    /// Size of the frames this source yields (after `width`).
    pub size: Size,
}

impl Source {
    pub fn open(path: &Path, width: Option<u32>) -> Result<Source> {
        if !path.is_file() {
            bail!("cannot read {}: no such file", path.display());
        }
        let capture = videoio::VideoCapture::from_file(path, videoio::CAP_ANY)
            .ok()
            .filter(|c| c.is_opened().unwrap_or(false))
            .with_context(|| format!("cannot open {} as a video (is it a video file?)", path.display()))?;
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
            capture,
            first: None,
            path: path.to_owned(),
            width,
            position: 0,
            fps,
            frame_count_hint,
            size: scaled_size(source_size, width),
        };
        source.first = source.decode()?;
        if source.first.is_none() {
            bail!("{}: no frame could be decoded (is it a video file?)", path.display());
        }
        Ok(source)
    }

    /// The number of frames a film's container says it holds (0 if it cannot be opened).
    pub fn frame_count(path: &Path) -> usize {
        let capture = videoio::VideoCapture::from_file(path, videoio::CAP_ANY);
        capture
            .and_then(|c| c.get(videoio::CAP_PROP_FRAME_COUNT))
            .map_or(0, |n| n.max(0.0) as usize)
    }

    /// Decodes and drops frames until the next one is `index`; false if the film ends first.
    pub fn skip_to(&mut self, index: usize) -> Result<bool> {
        if index > 0 && self.first.take().is_some() {
            self.position = 1;
        }
        while self.position < index {
            if !self
                .capture
                .grab()
                .with_context(|| format!("{}: cannot decode frame {}", self.path.display(), self.position))?
            {
                return Ok(false);
            }
            self.position += 1;
        }
        Ok(true)
    }

    /// The next frame as 8-bit BGR, or None at the end of the film.
    pub fn next_frame(&mut self) -> Result<Option<Mat>> {
        let frame = match self.first.take() {
            Some(frame) => Some(frame),
            None => self.decode()?,
        };
        if frame.is_some() {
            self.position += 1;
        }
        Ok(frame)
    }

    fn decode(&mut self) -> Result<Option<Mat>> {
        let mut frame = Mat::default();
        let more = self
            .capture
            .read(&mut frame)
            .with_context(|| format!("{}: cannot decode frame {}", self.path.display(), self.position))?;
        if !more || frame.empty() {
            return Ok(None);
        }
        let Some(width) = self.width else {
            return Ok(Some(frame));
        };
        let size = scaled_size(frame.size()?, Some(width));
        let mut small = Mat::default();
        imgproc::resize(&frame, &mut small, size, 0.0, 0.0, imgproc::INTER_AREA)?;
        Ok(Some(small))
    }
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

/// A place in a film: a frame index, or a time (`90s`, `1:30`, `0:01:30.5`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Position {
    Frame(usize),
    Seconds(f64),
}

impl Position {
    pub fn frame(self, fps: f64) -> usize {
        match self {
            Position::Frame(i) => i,
            Position::Seconds(s) => (s * fps).round() as usize,
        }
    }
}

impl std::str::FromStr for Position {
    type Err = String;

    fn from_str(s: &str) -> Result<Position, String> {
        let bad = || format!("'{s}' is neither a frame index (120) nor a time (4.8s, 1:30, 0:01:30.5)");
        if let Ok(i) = s.parse::<usize>() {
            return Ok(Position::Frame(i));
        }
        let seconds = if let Some(secs) = s.strip_suffix('s') {
            secs.parse::<f64>().map_err(|_| bad())?
        } else if s.contains(':') {
            s.split(':')
                // A negative part would count back from the ones before it: `1:-30` is no time, not 30 seconds.
                .try_fold(0.0, |acc, part| {
                    let v = part.parse::<f64>().ok().filter(|v| *v >= 0.0)?;
                    Some(acc * 60.0 + v)
                })
                .ok_or_else(bad)?
        } else {
            return Err(bad());
        };
        if seconds.is_finite() && seconds >= 0.0 {
            Ok(Position::Seconds(seconds))
        } else {
            Err(bad())
        }
    }
}

#[cfg(test)]
mod position_tests {
    use super::*;

    #[test]
    fn frames_and_times_parse() {
        assert_eq!("120".parse(), Ok(Position::Frame(120)));
        assert_eq!("4.8s".parse(), Ok(Position::Seconds(4.8)));
        assert_eq!("1:30".parse(), Ok(Position::Seconds(90.0)));
        assert_eq!("0:01:30.5".parse(), Ok(Position::Seconds(90.5)));
        assert!("-3".parse::<Position>().is_err());
        assert!("soon".parse::<Position>().is_err());
        assert_eq!(Position::Seconds(2.0).frame(24000.0 / 1001.0), 48);
    }
}
