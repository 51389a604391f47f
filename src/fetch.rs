//! Downloading the model files: sources tried in order, partial downloads resumed, and each file's size and sha256
//! checked before it takes its final name.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ureq::http::HeaderMap;
use ureq::Agent;

use crate::interrupt::{self, Interrupted};
pub use crate::model::files::Expected;
use crate::model::files::{Found, ModelFile, FILES};
use crate::output;

/// Where to look for the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sources {
    /// The authors' own locations.
    Published,
    /// Base URLs under which the files have their official names, tried in order.
    Mirrors(Vec<String>),
}

impl Sources {
    /// Mirrors as given on the command line; each must be an http or https URL.
    pub fn mirrors(bases: &[String]) -> Result<Sources> {
        for base in bases {
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                bail!("the mirror {base} is not usable: it is not an http:// or https:// URL (give the base URL under which the files have their official names)");
            }
        }
        Ok(Sources::Mirrors(bases.to_vec()))
    }

    /// The URLs to try for `file`, in order.
    pub fn urls(&self, file: &ModelFile) -> Vec<String> {
        match self {
            Sources::Published => file.published.iter().map(|u| u.to_string()).collect(),
            Sources::Mirrors(bases) => bases
                .iter()
                .map(|base| format!("{}/{}", base.trim_end_matches('/'), file.name))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Downloaded,
    /// The file was already in place with the expected size and digest; nothing was requested.
    AlreadyThere,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Replace a file that is present but not the expected one.
    pub overwrite: bool,
    pub quiet: bool,
    /// Limit for connecting, for the response to begin, and for each read of the body; never for the whole
    /// transfer, which takes minutes on a slow line.
    pub timeout: Duration,
}

impl Options {
    pub fn new(overwrite: bool, quiet: bool) -> Options {
        Options {
            overwrite,
            quiet,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Fetches every file of [`FILES`] into `dir`. One file failing does not stop the others: each gets its own
/// result. Ctrl-C does stop them.
pub fn fetch_model(dir: &Path, sources: &Sources, options: &Options) -> Result<Vec<(PathBuf, Result<Outcome>)>> {
    // create_dir_all would say only "File exists" of a file, or of a file on the way.
    if let Some(file) = dir.ancestors().find(|a| a.is_file()) {
        bail!(
            "cannot make the model folder {}: {} is a file (choose another with --dir)",
            dir.display(),
            file.display()
        );
    }
    fs::create_dir_all(dir).map_err(|e| {
        anyhow!(
            "creating the model folder {} failed: {e} (choose another with --dir)",
            dir.display()
        )
    })?;
    let mut results = Vec::new();
    for file in &FILES {
        let dest = dir.join(file.name);
        let result = fetch_file(&dest, file.expected, &sources.urls(file), options);
        results.push((dest, result));
        // Ctrl-C means stop, not go on to the next file.
        if interrupt::requested() {
            break;
        }
    }
    Ok(results)
}

/// Fetches one file to `dest` from the first of `urls` that gives exactly `expected`. The bytes gather in
/// `<dest>.partial`, which a later run resumes; only a verified file is ever moved to `dest`.
pub fn fetch_file(dest: &Path, expected: Expected, urls: &[String], options: &Options) -> Result<Outcome> {
    if dest.exists() {
        let found = Found::of(dest)?;
        if found.is(expected) {
            return Ok(Outcome::AlreadyThere);
        }
        if !options.overwrite {
            bail!(
                "refusing to replace {}: it is {found}, not the expected {expected} (pass --overwrite to replace it)",
                dest.display()
            );
        }
    }
    let partial = partial_path(dest);
    let agent = agent(options.timeout);
    let bar = bar(dest, expected.size, options.quiet);
    let mut failures = Vec::new();
    for url in urls {
        match attempt(&agent, url, &partial, expected, &bar) {
            Ok(()) => {
                bar.finish_and_clear();
                // With --overwrite this replaces the old file in one step: there is never a moment without one.
                fs::rename(&partial, dest)
                    .with_context(|| format!("moving {} to {} failed", partial.display(), dest.display()))?;
                return Ok(Outcome::Downloaded);
            }
            Err(e) if e.is::<Interrupted>() => {
                bar.finish_and_clear();
                let context = format!("fetching {} stopped{}", dest.display(), kept(&partial));
                return Err(e.context(context));
            }
            Err(e) => failures.push(format!("  {url}: {e:#}")),
        }
    }
    bar.finish_and_clear();
    bail!(
        "fetching {} failed: no source gave the expected file (check the network, pass --mirror URL for a copy \
         elsewhere, or follow the manual steps in model/README.md{}):\n{}",
        dest.display(),
        kept(&partial),
        failures.join("\n")
    )
}

/// A note on what a rerun would resume from, if anything.
fn kept(partial: &Path) -> String {
    match fs::metadata(partial).map_or(0, |m| m.len()) {
        0 => String::new(),
        n => format!(
            "; the {n} bytes received are kept in {} and a rerun resumes from there",
            partial.display()
        ),
    }
}

/// One source: resume whatever is in `partial`, then verify. When a resumed download fails verification the
/// leftover bytes may be what was wrong, not this source, so it gets one more try from the first byte.
fn attempt(agent: &Agent, url: &str, partial: &Path, expected: Expected, bar: &ProgressBar) -> Result<()> {
    let resumed_from = download(agent, url, partial, expected.size, bar)?;
    match verify(partial, expected) {
        Err(_) if resumed_from > 0 => {
            download(agent, url, partial, expected.size, bar)?;
            verify(partial, expected)
        }
        result => result,
    }
}

/// Brings `partial` up to `size` bytes from `url`, continuing what it already holds when the server allows.
/// Returns the number of bytes it started from. A body that ends early but cleanly is the server's whole file, for
/// `verify` to judge; only a broken connection leaves a partial worth resuming.
fn download(agent: &Agent, url: &str, partial: &Path, size: u64, bar: &ProgressBar) -> Result<u64> {
    let mut have = fs::metadata(partial).map_or(0, |m| m.len());
    if have > size {
        remove(partial)?;
        have = 0;
    }
    bar.set_position(have);
    if have == size {
        return Ok(have);
    }
    let mut request = agent.get(url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let response = request.call()?;
    let status = response.status();
    let start = match status.as_u16() {
        // A server that ignores Range sends the whole file.
        200 => 0,
        206 if have > 0 => {
            let start =
                range_start(response.headers()).context("the server answered 206 without a usable Content-Range")?;
            if start != have {
                bail!("the server sent a range from byte {start}, not from byte {have} as asked");
            }
            start
        }
        // Its file is shorter than what is already here: those bytes came from something else.
        416 if have > 0 => {
            remove(partial)?;
            bail!("the server has fewer bytes than the {have} already received (removed them; a rerun starts over)")
        }
        _ => bail!(
            "the server answered HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ),
    };
    // Never through a link planted at the partial's name: a fresh file replaces it, a resumed one is not a link.
    let mut file = if start == 0 {
        output::create_replacing(partial)?
    } else {
        output::open_in_place(partial, OpenOptions::new().append(true))?
    };
    bar.set_position(start);
    // One byte beyond the expected size is enough to tell that the server has something else.
    let body = response.into_body().into_reader().take(size - start + 1);
    receive(body, &mut file, partial, bar)?;
    Ok(start)
}

/// Appends what the server sends to `file` (the partial download at `partial`), chunk by chunk.
fn receive(mut body: impl Read, file: &mut File, partial: &Path, bar: &ProgressBar) -> Result<()> {
    let mut buf = vec![0; 64 * 1024];
    loop {
        // Ctrl-C stops between chunks, leaving a partial that a rerun resumes.
        interrupt::check()?;
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow!(e).context("the transfer broke off")),
        };
        file.write_all(&buf[..n])
            .with_context(|| format!("writing {} failed", partial.display()))?;
        bar.inc(n as u64);
    }
    file.sync_all()
        .with_context(|| format!("writing {} failed", partial.display()))
}

/// Keeps `partial` only if it is exactly what was expected: a bad one is removed so the next try starts clean.
fn verify(partial: &Path, expected: Expected) -> Result<()> {
    let found = Found::of(partial)?;
    if found.is(expected) {
        return Ok(());
    }
    remove(partial)?;
    bail!("received {found}, but expected {expected} (the download was removed)")
}

/// The start of a `Content-Range: bytes START-END/TOTAL` header.
fn range_start(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get("content-range")?.to_str().ok()?;
    let (start, _) = value.trim().strip_prefix("bytes ")?.split_once('-')?;
    start.trim().parse().ok()
}

fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    dest.with_file_name(name)
}

fn remove(path: &Path) -> Result<()> {
    fs::remove_file(path).with_context(|| format!("removing {} failed", path.display()))
}

fn agent(timeout: Duration) -> Agent {
    Agent::config_builder()
        // Statuses are answers to act on (200 to a Range request means start over), not failures.
        .http_status_as_error(false)
        .timeout_resolve(Some(timeout))
        .timeout_connect(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .timeout_per_read(Some(timeout))
        .build()
        .new_agent()
}

fn bar(dest: &Path, size: u64, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(size),
        if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{name} {{bar:40}} {{bytes}}/{{total_bytes}} {{bytes_per_sec}} ETA {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_give_each_file_under_its_official_name_in_order() {
        let sources = Sources::mirrors(&[
            "http://a.example/models/".to_string(),
            "https://b.example/m".to_string(),
        ])
        .unwrap();
        assert_eq!(
            sources.urls(&FILES[2]),
            [
                "http://a.example/models/colorization_release_v2.caffemodel",
                "https://b.example/m/colorization_release_v2.caffemodel"
            ]
        );
    }

    #[test]
    fn published_sources_keep_the_documented_order() {
        let urls = Sources::Published.urls(&FILES[2]);
        assert_eq!(urls.len(), 2);
        assert!(urls[0].starts_with("http://eecs.berkeley.edu/"));
        assert!(urls[1].starts_with("https://www.dropbox.com/"));
    }

    #[test]
    fn a_mirror_that_is_not_http_is_refused() {
        let e = Sources::mirrors(&["ftp://x/".to_string()]).unwrap_err();
        assert!(e.to_string().contains("ftp://x/"), "{e}");
    }

    #[test]
    fn content_range_start_is_parsed_and_garbage_is_not() {
        let mut headers = HeaderMap::new();
        headers.insert("content-range", "bytes 4972-9944/9945".parse().unwrap());
        assert_eq!(range_start(&headers), Some(4972));
        headers.insert("content-range", "bytes */9945".parse().unwrap());
        assert_eq!(range_start(&headers), None);
        assert_eq!(range_start(&HeaderMap::new()), None);
    }

    #[test]
    fn partial_sits_beside_the_destination() {
        assert_eq!(
            partial_path(Path::new("model/pts_in_hull.npy")),
            Path::new("model/pts_in_hull.npy.partial")
        );
    }
}
