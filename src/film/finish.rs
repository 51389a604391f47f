//! Finishing a film with the `ffmpeg` program: the source's sound, trimmed to the picture, and its exact rate.
//!
//! OpenCV's writer stores the frame rate as a decimal fraction (24000/1001 becomes 2997/125); ffmpeg re-times
//! the stream without re-encoding it, and copies the sound where the container takes it as it is.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// The frame rate as a fraction: NTSC-style rates exactly (N*1000/1001), others to a thousandth.
pub fn rate_fraction(fps: f64) -> (u64, u64) {
    for den in [1, 1001, 1000] {
        let num = (fps * den as f64).round();
        if num >= 1.0 && (num / den as f64 - fps).abs() < 1e-6 * fps.max(1.0) {
            return (num as u64, den);
        }
    }
    ((fps * 1000.0).round().max(1.0) as u64, 1000)
}

pub fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn has_audio(source: &Path) -> bool {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "a",
            "-show_entries",
            "stream=index",
            "-of",
            "csv=p=0",
        ])
        .arg(source)
        .stderr(Stdio::null())
        .output();
    out.is_ok_and(|o| o.status.success() && !o.stdout.trim_ascii().is_empty())
}

pub struct Mux<'a> {
    /// The film as OpenCV wrote it.
    pub video: &'a Path,
    pub rate: (u64, u64),
    /// Where to take the sound from, and from which second of it, when the film has any.
    pub sound: Option<(&'a Path, f64)>,
    /// Length of the picture, to trim the sound to.
    pub seconds: f64,
    pub output: &'a Path,
}

/// Writes `output` from `video` (and the sound); copies the sound stream, or re-encodes it if the container refuses.
pub fn mux(job: &Mux) -> Result<()> {
    let ext = job
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let reencode = if ext == "avi" { "libmp3lame" } else { "aac" };
    let mut last_error = String::new();
    for audio_codec in ["copy", reencode] {
        let mut cmd = Command::new("ffmpeg");
        cmd.args([
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-r",
            &format!("{}/{}", job.rate.0, job.rate.1),
            "-i",
        ])
        .arg(job.video);
        if let Some((source, start)) = job.sound {
            cmd.args(["-ss", &format!("{start:.6}"), "-i"]).arg(source);
            cmd.args(["-map", "0:v:0", "-map", "1:a:0", "-c:a", audio_codec]);
        } else {
            cmd.args(["-map", "0:v:0"]);
        }
        cmd.args(["-c:v", "copy", "-t", &format!("{:.6}", job.seconds)])
            .arg(job.output);
        let out = cmd.stdin(Stdio::null()).output().context("cannot run ffmpeg")?;
        if out.status.success() {
            return Ok(());
        }
        last_error = String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        if job.sound.is_none() {
            break;
        }
    }
    let _ = std::fs::remove_file(job.output);
    bail!("ffmpeg could not finish {}: {last_error}", job.output.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_become_exact_fractions() {
        assert_eq!(rate_fraction(25.0), (25, 1));
        assert_eq!(rate_fraction(24000.0 / 1001.0), (24000, 1001));
        assert_eq!(rate_fraction(30000.0 / 1001.0), (30000, 1001));
        assert_eq!(rate_fraction(7.5), (7500, 1000));
        assert_eq!(rate_fraction(12.345), (12345, 1000));
    }
}
