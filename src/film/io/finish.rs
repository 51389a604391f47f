//! Finishing a film, the same way for `video` and `assemble`: every frame checked to be stored, then the source's
//! sound (trimmed to the picture) and the exact rate through the `ffmpeg` program, then the rename into place.
//!
//! OpenCV's writer stores the frame rate as a decimal fraction (24000/1001 becomes 2997/125); ffmpeg re-times
//! the stream without re-encoding it, and copies the sound where the container takes it as it is.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::probe;
use crate::film::io::source::Source;
use crate::interrupt;
use crate::output::{self, TempFile};

/// Where a film's sound comes from: the source film, from this second on.
pub struct Sound<'a> {
    pub source: &'a Path,
    pub from: f64,
}

/// Checks a film named to give its sound (`assemble --audio-from`) before anything is written: it must be a file
/// that can be read, else the film would come out silent without a word. One with no sound stream is a note in
/// `notes`; without ffmpeg, `finish_film` warns that no film gets sound.
pub fn check_sound_source(source: &Path, notes: &mut Vec<String>) -> Result<()> {
    let refuse = |why: &str| {
        anyhow::anyhow!(
            "cannot take the sound from {}: {why} (give --audio-from the film whose sound to use)",
            source.display()
        )
    };
    let metadata = match std::fs::metadata(source) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(refuse("it does not exist")),
        Err(e) => return Err(refuse(&e.to_string())),
        Ok(metadata) => metadata,
    };
    if metadata.is_dir() {
        return Err(refuse("it is a folder"));
    }
    if !metadata.is_file() {
        return Err(refuse("it is not a regular file"));
    }
    std::fs::File::open(source).map_err(|e| refuse(&e.to_string()))?;
    if ffmpeg_available() && !probe::has_audio(source) {
        notes.push(format!("note: {} has no sound; the film is silent", source.display()));
    }
    Ok(())
}

/// Turns a closed film into the finished one at its destination; returns its path. `frames` is how many frames
/// were handed to the writer: OpenCV's writer reports no write errors, so a full disk shows only as a film
/// shorter than that. Warnings go to `notes`.
pub fn finish_film(
    closed: TempFile,
    frames: usize,
    fps: f64,
    sound: Option<Sound>,
    notes: &mut Vec<String>,
) -> Result<PathBuf> {
    let stored = Source::frame_count(closed.path())
        .with_context(|| format!("{} was written but cannot be read back", closed.destination().display()))?;
    if stored < frames {
        bail!(
            "{} could not be written completely: {stored} of {frames} frames stored (is the disk full?)",
            closed.destination().display()
        );
    }
    if !ffmpeg_available() {
        notes.push(
            "warning: ffmpeg not found: the film has no sound and its rate may be rounded (apt-get install ffmpeg)"
                .into(),
        );
        return closed.persist();
    }
    let sound = sound.filter(|s| probe::has_audio(s.source));
    if let Some(sound) = &sound {
        note_short_sound(sound, frames as f64 / fps, notes);
    }
    let muxed = TempFile::create(closed.destination(), "muxed")?;
    mux(&Mux {
        video: closed.path(),
        rate: rate_fraction(fps),
        sound: sound.as_ref().map(|s| (s.source, s.from)),
        seconds: frames as f64 / fps,
        output: muxed.path(),
    })
    .with_context(|| format!("cannot finish {}", closed.destination().display()))?;
    muxed.persist()
}

/// A note when the sound ends well before the picture (another film's sound given to `assemble`, or a film whose
/// sound stops early): the rest of the film is silent.
fn note_short_sound(sound: &Sound, seconds: f64, notes: &mut Vec<String>) {
    let Some(lasts) = probe::sound_seconds(sound.source) else {
        return;
    };
    let short = sound.from + seconds - lasts;
    // Encoders pad and trim sound by a fraction of a second.
    if short > 1.0 {
        notes.push(format!(
            "note: the sound of {} ends {short:.1} s before the picture does; the end of the film is silent",
            sound.source.display()
        ));
    }
}

/// Joins shards' parts of a film, in order and without re-encoding, into the finished film at `output` (the
/// `frames` they hold together, at `fps`, with `sound`).
pub fn join_parts(
    parts: &[PathBuf],
    output: &Path,
    frames: usize,
    fps: f64,
    sound: Option<Sound>,
    notes: &mut Vec<String>,
) -> Result<PathBuf> {
    let list = TempFile::create(output, "parts")?;
    let mut text = String::new();
    for part in parts {
        let path = std::path::absolute(part).with_context(|| format!("cannot find {}", part.display()))?;
        // The concat demuxer's quoting: inside '...', a quote is written '\''.
        text.push_str(&format!("file '{}'\n", path.to_string_lossy().replace('\'', "'\\''")));
    }
    std::io::Write::write_all(&mut list.file(), text.as_bytes())
        .with_context(|| format!("cannot write beside {}", output.display()))?;
    let joined = TempFile::create(output, "joined")?;
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i"])
        .arg(list.path())
        .args(["-map", "0:v:0", "-c", "copy"])
        .arg(joined.path());
    let (ok, stderr) = run_interruptibly(&mut cmd)?;
    if !ok {
        bail!(
            "ffmpeg could not join the parts into {}: {}",
            output.display(),
            stderr.lines().last().unwrap_or_default()
        );
    }
    finish_film(joined, frames, fps, sound, notes)
}

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

fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

struct Mux<'a> {
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
fn mux(job: &Mux) -> Result<()> {
    let reencode = if output::extension(job.output) == "avi" {
        "libmp3lame"
    } else {
        "aac"
    };
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
            cmd.args(["-map", "0:v:0", "-map", "1:a:0?", "-c:a", audio_codec]);
        } else {
            cmd.args(["-map", "0:v:0"]);
        }
        cmd.args(["-c:v", "copy", "-t", &format!("{:.6}", job.seconds)])
            .arg(job.output);
        let (ok, stderr) = run_interruptibly(&mut cmd)?;
        if ok {
            return Ok(());
        }
        last_error = stderr.lines().last().unwrap_or_default().to_string();
        if job.sound.is_none() {
            break;
        }
    }
    bail!("ffmpeg could not finish the film: {last_error}")
}

/// Runs a command to its end, or kills it when a stop is asked for: Ctrl-C during the last step must not be lost.
fn run_interruptibly(cmd: &mut Command) -> Result<(bool, String)> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run ffmpeg")?;
    // Read while it runs: one that says more than the pipe holds would otherwise wait for a reader while this
    // waits for it to exit.
    let mut pipe = child.stderr.take().context("cannot read what ffmpeg says")?;
    let said = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut pipe, &mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if interrupt::requested() {
            let _ = child.kill();
            let _ = child.wait();
            interrupt::check()?;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The pipe closes with the process, so the reader ends; it holds no lock and nothing in it panics.
    let stderr = said.join().unwrap_or_default();
    Ok((status.success(), stderr))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 30: ffmpeg's stderr was read only after it exited, so one that said more than a pipe holds waited
    /// for a reader forever, and colorize waited for it.
    #[test]
    fn a_chatty_program_is_read_while_it_runs_so_neither_waits_forever() {
        let mut chatty = Command::new("sh");
        let say = "i=0; while [ $i -lt 3000 ]; do echo 'a line of chatter, 3000 of them fill the pipe' >&2; \
                   i=$((i+1)); done; echo last >&2";
        chatty.args(["-c", say]);
        let (ok, said) = run_interruptibly(&mut chatty).unwrap();
        assert!(ok);
        assert_eq!(said.lines().count(), 3001);
        assert_eq!(said.lines().last(), Some("last"));
    }

    #[test]
    fn rates_become_exact_fractions() {
        assert_eq!(rate_fraction(25.0), (25, 1));
        assert_eq!(rate_fraction(24000.0 / 1001.0), (24000, 1001));
        assert_eq!(rate_fraction(30000.0 / 1001.0), (30000, 1001));
        assert_eq!(rate_fraction(7.5), (7500, 1000));
        assert_eq!(rate_fraction(12.345), (12345, 1000));
    }
}
