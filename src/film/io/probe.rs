//! Asking ffprobe about a film: the one place its command is built, and the questions the film path asks it.

use std::path::Path;
use std::process::{Command, Stdio};

/// What ffprobe says of `entries` (such as `stream=index`) for the streams `streams` selects (such as `v:0`) in
/// `path`: one line a stream, values separated by commas. None when ffprobe is missing or cannot read the file:
/// every question asked here has an answer that is safe without it.
pub fn ask(path: &Path, streams: &str, entries: &str) -> Option<String> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", streams, "-show_entries", entries])
        .args(["-of", "csv=p=0"])
        .arg(path)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Whether the film has a sound stream; without ffprobe, as if it had none.
pub fn has_audio(path: &Path) -> bool {
    ask(path, "a", "stream=index").is_some_and(|streams| !streams.is_empty())
}

/// How long the film's sound lasts, in seconds: its stream's duration, or the container's where the stream keeps
/// none (Matroska); None without ffprobe or sound.
pub fn sound_seconds(path: &Path) -> Option<f64> {
    ["stream=duration", "format=duration"]
        .iter()
        .find_map(|entry| ask(path, "a:0", entry)?.lines().next()?.parse().ok())
}
