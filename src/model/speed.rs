//! `--backend auto` on a CPU: OpenCV's own backend or OpenVINO, whichever runs this model faster on this machine.
//! The CPU's flags do not tell (OpenVINO's bfloat16 made the defaults 8.35x the recipe on a Zen 4, and gained
//! nothing on a Xeon with the same flag but no AMX), so a few forward passes of each do, once; the result is kept
//! in a small cache file, keyed by everything that decides it, and taken under a lock so that every run on the
//! machine uses the same choice (a different one would make a resumed run's predictions another backend's).

use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use super::engine::Engine;
use super::files::hex;
use super::int8::Precision;
use crate::output::{open_in_place, write_atomically};

const MAGIC: &str = "colorize-backend-speed 1";

/// Seconds a forward pass took on each CPU backend.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    pub opencv: f64,
    pub openvino: f64,
}

impl Measured {
    pub fn faster(self) -> Engine {
        if self.openvino < self.opencv {
            Engine::OpenVino
        } else {
            Engine::OpenCv
        }
    }

    /// Which backend, and why, for the run's notes and `--profile`.
    pub fn why(self, when: &str) -> String {
        let (chosen, other) = match self.faster() {
            Engine::OpenVino => (("OpenVINO", self.openvino), ("OpenCV's own", self.opencv)),
            _ => (("OpenCV's own", self.opencv), ("OpenVINO", self.openvino)),
        };
        format!(
            "backend: {} (auto), the faster here: {:.3} s a forward pass against {:.3} s on {} ({when})",
            chosen.0, chosen.1, other.1, other.0
        )
    }
}

/// What decides which backend is faster: the CPU (its name and flags), the OpenCV build (with its OpenVINO), and
/// the model (the digests of its files, as one text, and its precision).
pub fn key(model: &str, precision: Precision) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_once(':'))
            .map_or(String::new(), |(_, value)| value.trim().to_string())
    };
    let short = |text: &str| hex(&Sha256::digest(text.as_bytes()))[..16].to_string();
    let build = opencv::core::get_build_information().unwrap_or_default();
    format!(
        "cpu={} flags={} opencv={} model={}",
        field("model name").replace('\t', " "),
        short(&field("flags")),
        short(&build),
        short(&model_text(model, precision))
    )
}

/// The model as the key names it. A float network is named as before int8 existed, so the times measured then
/// still count.
fn model_text(model: &str, precision: Precision) -> String {
    match precision {
        Precision::Float => model.to_string(),
        Precision::Int8 => format!("{model} int8"),
    }
}

/// The cache's measurement for `key`, if it holds a sound one.
pub fn lookup(text: &str, key: &str) -> Option<Measured> {
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return None;
    }
    lines.find_map(|line| {
        let fields: Vec<&str> = line.split('\t').collect();
        let [found, opencv, openvino] = fields.as_slice() else {
            return None;
        };
        let seconds = |text: &str| text.parse::<f64>().ok().filter(|s| s.is_finite() && *s > 0.0);
        (*found == key).then_some(Measured {
            opencv: seconds(opencv)?,
            openvino: seconds(openvino)?,
        })
    })
}

/// The cache with `measured` for `key`, other keys' sound lines kept.
pub fn store(text: &str, key: &str, measured: Measured) -> String {
    let mut out = format!("{MAGIC}\n");
    if text.lines().next() == Some(MAGIC) {
        for line in text.lines().skip(1) {
            let other = line.split('\t').next().filter(|k| *k != key);
            if other.is_some_and(|other| lookup(&format!("{MAGIC}\n{line}"), other).is_some()) {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.push_str(&format!("{key}\t{}\t{}\n", measured.opencv, measured.openvino));
    out
}

/// The cache file: under COLORIZE_CACHE, else XDG_CACHE_HOME or ~/.cache, in colorize/. None without a home.
fn cache_file() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = var("COLORIZE_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("colorize")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("colorize")))?;
    Some(dir.join("backend-speed"))
}

/// The faster CPU backend on this machine for the model `key` names, with why: from the cache, or measured now
/// with `seconds` (a forward pass's on a backend, given its rival's, if known) and kept.
pub fn faster(key: &str, seconds: impl Fn(Engine, Option<f64>) -> Result<f64>) -> Result<(Engine, String)> {
    let measure = || -> Result<Measured> {
        let openvino = seconds(Engine::OpenVino, None)?;
        Ok(Measured {
            opencv: seconds(Engine::OpenCv, Some(openvino))?,
            openvino,
        })
    };
    let Some(path) = cache_file() else {
        let measured = measure()?;
        return Ok((measured.faster(), measured.why("measured now")));
    };
    let dir = path.parent().unwrap_or(&path);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Held while this run reads, measures and writes: a run beside it waits and takes the same result.
    let lock = open_in_place(
        &path.with_extension("lock"),
        OpenOptions::new().write(true).create(true).truncate(false),
    )?;
    exclusive(&lock)?;
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    if let Some(measured) = lookup(&text, key) {
        return Ok((
            measured.faster(),
            measured.why(&format!("measured before, kept in {}", path.display())),
        ));
    }
    let measured = measure()?;
    write_atomically(&path, store(&text, key, measured).as_bytes())?;
    Ok((
        measured.faster(),
        measured.why(&format!("measured now, kept in {}", path.display())),
    ))
}

fn exclusive(file: &File) -> Result<()> {
    // SAFETY: flock on a descriptor `file` owns; the lock goes when it is closed.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error()).context("cannot lock the backend cache");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLOW_OPENVINO: Measured = Measured {
        opencv: 0.3,
        openvino: 0.4,
    };

    #[test]
    fn the_key_names_the_cpu_the_build_and_the_model() {
        let key = key("aa bb", Precision::Float);
        assert!(
            key.starts_with("cpu=") && key.contains(" flags=") && key.contains(" opencv="),
            "{key}"
        );
        assert!(!key.contains('\t') && !key.contains('\n'), "{key}");
        assert_ne!(
            key,
            super::key("aa bd", Precision::Float),
            "another model is another key"
        );
        assert_ne!(
            key,
            super::key("aa bb", Precision::Int8),
            "another precision is another key"
        );
        assert_eq!(key, super::key("aa bb", Precision::Float));
        // The float network's key is the one cached before int8 existed.
        assert!(
            key.ends_with(&format!("model={}", &hex(&Sha256::digest(b"aa bb"))[..16])),
            "{key}"
        );
    }

    #[test]
    fn a_measurement_is_kept_beside_other_keys_and_read_back() {
        let text = store("", "a", SLOW_OPENVINO);
        let fast = Measured {
            opencv: 0.4,
            openvino: 0.1,
        };
        let text = store(&text, "b", fast);
        assert_eq!(lookup(&text, "a"), Some(SLOW_OPENVINO));
        assert_eq!(lookup(&text, "b"), Some(fast));
        assert_eq!(lookup(&text, "c"), None);
        assert_eq!(
            (SLOW_OPENVINO.faster(), fast.faster()),
            (Engine::OpenCv, Engine::OpenVino)
        );
        // Measured again, a key's line is replaced, not added.
        let again = store(&text, "a", fast);
        assert_eq!(again.lines().count(), 3);
        assert_eq!(lookup(&again, "a"), Some(fast));
    }

    #[test]
    fn a_stale_or_damaged_cache_is_measured_again() {
        let text = store("", "this machine", SLOW_OPENVINO);
        // Another CPU, build or model: another key, not found.
        assert_eq!(lookup(&text, "another machine"), None);
        for damaged in [
            text.replace("0.4", "nan"),
            text.replace("0.4", "-1"),
            text.replace("\t0.4", ""),
            text.replace(MAGIC, "colorize-backend-speed 0"),
            text[..text.len() - 4].to_string(),
            String::from_utf8_lossy(&[0xff; 40]).into_owned(),
        ] {
            assert_eq!(lookup(&damaged, "this machine"), None, "{damaged:?}");
            // Stored over, a damaged line goes.
            let stored = store(&damaged, "this machine", SLOW_OPENVINO);
            assert_eq!(lookup(&stored, "this machine"), Some(SLOW_OPENVINO), "{stored:?}");
        }
    }

    #[test]
    fn the_reason_names_both_backends_and_their_times() {
        let why = SLOW_OPENVINO.why("measured now");
        assert_eq!(
            why,
            "backend: OpenCV's own (auto), the faster here: 0.300 s a forward pass against 0.400 s on OpenVINO \
             (measured now)"
        );
    }
}
