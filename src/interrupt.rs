//! Signals: Ctrl-C and SIGTERM ask the running work to stop cleanly (a second one ends the process at once, its
//! unfinished work files removed, and says so); SIGXFSZ is ignored so that a file-size limit shows up as a write
//! error naming the file, not a silent death.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use anyhow::Result;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// The work files (`output::TempFile`) there are now: ending the process at once skips their destructors, so the
/// handler removes them itself.
static WORK_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn work_files() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic elsewhere while holding it leaves the list as whole as it was.
    WORK_FILES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Notes a work file, to be removed if the process is ended at once.
pub fn track(path: &Path) {
    work_files().push(path.to_owned());
}

/// Forgets a work file that was moved into place or removed.
pub fn untrack(path: &Path) {
    work_files().retain(|p| p != path);
}

/// The error a run returns when it stopped because it was asked to.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

pub fn install() -> Result<()> {
    // SAFETY: setting a signal to SIG_IGN installs no handler code and is async-signal-safe.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    // ctrlc runs this on a thread of its own, not in the signal handler, so it may lock, remove and print.
    ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            for path in work_files().iter() {
                let _ = std::fs::remove_file(path);
            }
            eprintln!("error: stopped at once by a second interrupt; its unfinished work files are removed");
            std::process::exit(130);
        }
    })?;
    Ok(())
}

pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Fails with `Interrupted` once a stop was asked for.
pub fn check() -> Result<()> {
    if requested() {
        return Err(Interrupted.into());
    }
    Ok(())
}
