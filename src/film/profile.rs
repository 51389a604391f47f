//! Time spent in each stage of a film, summed over threads, for `--profile`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Clone, Copy)]
pub enum Stage {
    Decode,
    Pre,
    /// Optical flow from frames to their keyframes.
    Motion,
    Forward,
    Post,
    Encode,
}

const NAMES: [&str; 6] = ["decode", "pre", "motion", "forward", "post", "encode"];

#[derive(Default)]
pub struct Profile {
    nanos: [AtomicU64; 6],
}

impl Profile {
    pub fn time<T>(&self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.nanos[stage as usize].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }

    pub fn line(&self) -> String {
        let parts: Vec<String> = NAMES
            .iter()
            .zip(&self.nanos)
            .map(|(name, n)| format!("{name} {:.2} s", n.load(Ordering::Relaxed) as f64 / 1e9))
            .collect();
        format!("profile: {} (summed over threads)", parts.join(", "))
    }
}
