//! Signals: Ctrl-C and SIGTERM ask the running work to stop cleanly (a second one ends the process at once);
//! SIGXFSZ is ignored so that a file-size limit shows up as a write error naming the file, not a silent death.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;

static REQUESTED: AtomicBool = AtomicBool::new(false);

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
    ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
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
