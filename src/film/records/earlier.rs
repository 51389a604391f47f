//! What earlier runs left on disk that this one need not make again: the frames kept, shot by shot, and the
//! predictions stored.

use std::ops::Range;

use super::predictions::Recall;

/// What earlier runs left that this one need not make again.
#[derive(Default)]
pub struct Earlier {
    /// Frames on disk, finished as this run would finish them: ranges in order, apart.
    pub kept: Vec<Range<usize>>,
    /// Whether the last of them is the shot the last run stopped in, which this one carries on.
    pub carries_on: bool,
    /// Keyframes' predictions, from the store.
    pub stored: Option<Recall>,
}

impl Earlier {
    /// The first frame from `start` on that is not on disk: the frames before it are done without a gap (kept
    /// shots follow each other as separate ranges).
    pub fn done_until(&self, start: usize) -> usize {
        self.kept
            .iter()
            .try_fold(
                start,
                |end, kept| if kept.start == end { Ok(kept.end) } else { Err(end) },
            )
            .unwrap_or_else(|end| end)
    }

    pub fn keeps(&self, index: usize) -> bool {
        self.range_of(index).is_some()
    }

    /// Whether frame `index` lies in a shot this run leaves as it is: nothing painted depends on its motion.
    pub fn leaves(&self, index: usize) -> bool {
        self.range_of(index)
            .is_some_and(|k| !(self.carries_on && k + 1 == self.kept.len()))
    }

    /// Which of the kept ranges holds frame `index`.
    fn range_of(&self, index: usize) -> Option<usize> {
        let after = self.kept.partition_point(|r| r.start <= index);
        (after > 0 && self.kept[after - 1].contains(&index)).then(|| after - 1)
    }
}
