//! How the cores are shared, decided once for a run: networks side by side, OpenCV's threads inside each, and the
//! pool that turns a film's colour into pictures.

use anyhow::{Context, Result};

/// The threads a run uses, from `-j` and the core count.
///
/// One network on every core beat two networks on one core each on the 2-core machines this was measured on
/// (OpenVINO 73 ms per frame against 132, OpenCV's own 213 against 220), so the cores are divided among the
/// networks and OpenCV runs that many threads inside each forward pass; OpenVINO takes its count from OpenCV's.
/// More networks than cores only cost memory (each holds its own copy of the weights) and time.
///
/// Pictures (colour put on L, converted, encoded and written, which at 1080p is most of a frame's time on the CPU)
/// are made between the networks' batches, so their pool takes every core, as rayon's global pool did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threads {
    /// Networks run side by side, one worker thread each.
    pub networks: usize,
    /// OpenCV's threads inside one network's forward pass.
    pub per_network: usize,
    /// Threads that make and write a film's pictures.
    pub pictures: usize,
}

impl Threads {
    /// For `asked` networks (`-j`, one if not given) on `cores` cores; with a warning when more networks are asked
    /// for than there are cores, which are all it runs.
    pub fn decide(asked: Option<usize>, cores: usize) -> (Threads, Option<String>) {
        let cores = cores.max(1);
        let asked = asked.unwrap_or(1).max(1);
        let warning = (asked > cores).then(|| {
            format!(
                "warning: -j {asked} asks for more networks than this machine's {cores} cores; running {cores} (each \
                 network holds its own copy of the model)"
            )
        });
        let networks = asked.min(cores);
        let threads = Threads {
            networks,
            per_network: (cores / networks).max(1),
            pictures: cores,
        };
        (threads, warning)
    }

    /// As `decide`, on this machine's cores.
    pub fn here(asked: Option<usize>) -> (Threads, Option<String>) {
        Threads::decide(asked, std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Tells OpenCV how many threads each forward pass may use: a setting of the whole process.
    pub fn apply_to_opencv(&self) -> Result<()> {
        let per_network = i32::try_from(self.per_network).unwrap_or(i32::MAX);
        opencv::core::set_num_threads(per_network).context("cannot set OpenCV's thread count")
    }

    /// The pool a film's pictures are made in.
    pub fn picture_pool(&self) -> Result<rayon::ThreadPool> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.pictures)
            .thread_name(|i| format!("pictures-{i}"))
            .build()
            .context("cannot start the threads that make pictures")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cores_are_divided_among_the_networks_and_pictures_take_them_all() {
        let (one, warning) = Threads::decide(None, 8);
        assert_eq!(
            one,
            Threads {
                networks: 1,
                per_network: 8,
                pictures: 8
            }
        );
        assert!(warning.is_none());
        let (three, _) = Threads::decide(Some(3), 8);
        assert_eq!((three.networks, three.per_network, three.pictures), (3, 2, 8));
        let (held, warning) = Threads::decide(Some(6), 2);
        assert_eq!((held.networks, held.per_network, held.pictures), (2, 1, 2));
        assert!(warning.is_some_and(|w| w.contains("-j 6") && w.contains("running 2")));
    }
}
