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
    /// Colour hints followed through their shots, before the run.
    Hints,
}

const NAMES: [&str; 7] = ["decode", "pre", "motion", "forward", "post", "encode", "hints"];

#[derive(Default)]
pub struct Profile {
    nanos: [AtomicU64; 7],
}

impl Profile {
    pub fn time<T>(&self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.nanos[stage as usize].fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }

    /// The share of a run of `seconds` that `networks` networks spent in forward passes: 1 when the network never
    /// waits for the rest of the pipeline.
    pub fn network_share(&self, networks: usize, seconds: f64) -> f64 {
        let forward = self.nanos[Stage::Forward as usize].load(Ordering::Relaxed) as f64 / 1e9;
        forward / networks.max(1) as f64 / seconds.max(f64::MIN_POSITIVE)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_share_is_forward_time_per_network_over_the_run() {
        let profile = Profile::default();
        profile.nanos[Stage::Forward as usize].store(6_000_000_000, Ordering::Relaxed);
        profile.nanos[Stage::Motion as usize].store(9_000_000_000, Ordering::Relaxed);
        assert!((profile.network_share(2, 4.0) - 0.75).abs() < 1e-9);
        assert!((profile.network_share(1, 12.0) - 0.5).abs() < 1e-9);
    }
}
