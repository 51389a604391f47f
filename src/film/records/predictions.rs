//! The keyframes' predictions (the network's a/b on its own grid), kept beside a run's frames or a shard's part,
//! so that a rerun that only finishes them differently (refinishing) runs no forward pass.
//!
//! One file: a header naming what decides the predictions (the fingerprint's prediction half), then one entry per
//! keyframe computed, appended in the order the sink takes them: the frame's index, the grid's rows and columns,
//! the network's mean uncertainty where the run measured it (for the review of a refinish), the values as the
//! network gave them (a and b interleaved, f32, little-endian), and a checksum of all that. The
//! sink appends a batch's entries before it writes the resume record, so the record never promises a frame whose
//! keyframe's prediction is not kept; an entry a kill cut short fails its length or checksum and counts as absent,
//! its keyframe computed again.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use opencv::core::{Mat, CV_32FC2};
use opencv::prelude::*;

use super::file;
use super::fingerprint::Fingerprint;
use crate::film::base::frame::{Ab, Origin};
use crate::output::{open_in_place, write_atomically};

/// Version 1: entries of index, rows, columns, values and an 8-byte checksum after a text header. Version 2: the
/// mean uncertainty after the columns. Version 3: the network's precision in the header's fingerprint.
const MAGIC: &str = "colorize-predictions 3";
/// Index (8 bytes), rows and columns (4 each), whether the uncertainty was measured (1) and its value (8), before
/// the values; the checksum after them.
const HEAD: usize = 25;
const CHECKSUM: usize = 8;
/// No network grid is larger: what a damaged entry's size is checked against.
const LARGEST_SIDE: u32 = 4096;

/// Where a shard's part (`--no-frames`) keeps its predictions: `.NAME.colorize-predictions` beside it.
pub fn beside_part(film: &Path) -> PathBuf {
    file::beside(film, "predictions")
}

/// The store as an earlier run left it: where each frame's prediction lies. Read on the reader's thread.
pub struct Recall {
    file: File,
    at: HashMap<usize, Entry>,
    /// What the store held when it was opened, for the line a refinish says.
    pub found: Found,
}

/// What a run found in the store before it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// Nothing to use: no store, or the run starts over.
    Nothing,
    /// The predictions of another input or other prediction settings (or a store of another version), not used.
    Others,
    /// Predictions of this run's input and settings.
    Ours,
}

#[derive(Clone, Copy)]
struct Entry {
    offset: u64,
    rows: u32,
    cols: u32,
}

impl Entry {
    fn len(self) -> usize {
        HEAD + self.rows as usize * self.cols as usize * 8 + CHECKSUM
    }
}

/// Whether a run takes up the predictions an earlier one stored (where they are of its prediction settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    Reuse,
    Restart,
}

/// The store's writing end: the sink appends each keyframe the network computed.
pub struct Keep {
    path: PathBuf,
    file: File,
}

/// Opens the store at `path` for a run with `fingerprint`: what it holds, if an earlier run with the same
/// prediction settings wrote it and `store` says to use it; otherwise it is started afresh.
pub fn open(path: &Path, fingerprint: &Fingerprint, store: Store) -> Result<(Recall, Keep)> {
    let header = format!("{MAGIC}\n{}\n", fingerprint.prediction_text());
    let found = match store {
        Store::Reuse => entries(path, &header),
        Store::Restart => None,
    };
    let held = match (&found, store) {
        (Some(_), _) => Found::Ours,
        (None, Store::Reuse) if path.is_file() => Found::Others,
        (None, _) => Found::Nothing,
    };
    let at = match found {
        Some((at, end)) => {
            // Whatever follows the last whole entry was cut short: new entries go after the whole ones.
            let file = open_in_place(path, OpenOptions::new().write(true))?;
            file.set_len(end)
                .with_context(|| format!("cannot write {}", path.display()))?;
            at
        }
        None => {
            write_atomically(path, header.as_bytes())?;
            HashMap::new()
        }
    };
    let recall = Recall {
        file: open_in_place(path, OpenOptions::new().read(true))?,
        at,
        found: held,
    };
    let keep = Keep {
        path: path.to_owned(),
        file: open_in_place(path, OpenOptions::new().append(true))?,
    };
    Ok((recall, keep))
}

/// Where each frame's entry lies in the store at `path` and where the whole entries end, if the store is there and
/// its header is `header`. A later entry for a frame replaces an earlier one. A link at `path` holds none: the
/// store is started afresh in its place.
fn entries(path: &Path, header: &str) -> Option<(HashMap<usize, Entry>, u64)> {
    let file = open_in_place(path, OpenOptions::new().read(true)).ok()?;
    let size = file.metadata().ok()?.len();
    let mut file = BufReader::new(file);
    let mut start = vec![0u8; header.len()];
    file.read_exact(&mut start).ok()?;
    if start != header.as_bytes() {
        return None;
    }
    let mut at = HashMap::new();
    let mut offset = header.len() as u64;
    let mut head = [0u8; HEAD];
    while file.read_exact(&mut head).is_ok() {
        let index = u64::from_le_bytes(head[..8].try_into().ok()?) as usize;
        let rows = u32::from_le_bytes(head[8..12].try_into().ok()?);
        let cols = u32::from_le_bytes(head[12..16].try_into().ok()?);
        let entry = Entry { offset, rows, cols };
        let end = offset + entry.len() as u64;
        if rows == 0 || cols == 0 || rows > LARGEST_SIDE || cols > LARGEST_SIDE || end > size {
            break;
        }
        file.seek_relative((entry.len() - HEAD) as i64).ok()?;
        at.insert(index, entry);
        offset = end;
    }
    Some((at, offset))
}

impl Recall {
    /// How many frames' predictions the store holds.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Frame `index`'s prediction, exactly as the network gave it, with its uncertainty where it was measured; None
    /// when the store has none (or a damaged one).
    pub fn get(&mut self, index: usize) -> Result<Option<Ab>> {
        let Some(&entry) = self.at.get(&index) else {
            return Ok(None);
        };
        let mut bytes = vec![0u8; entry.len()];
        self.file.seek(SeekFrom::Start(entry.offset))?;
        self.file
            .read_exact(&mut bytes)
            .context("cannot read the stored predictions")?;
        let (body, sum) = bytes.split_at(entry.len() - CHECKSUM);
        if file::checksum(body) != *sum || body[..8] != (index as u64).to_le_bytes() {
            return Ok(None);
        }
        let mut ab = Mat::new_rows_cols_with_default(entry.rows as i32, entry.cols as i32, CV_32FC2, 0.0.into())?;
        ab.data_bytes_mut()?.copy_from_slice(&body[HEAD..]);
        let uncertainty = (body[16] == 1).then(|| f64::from_le_bytes(body[17..HEAD].try_into().unwrap_or_default()));
        Ok(Some(Ab {
            ab,
            origin: Origin::Store,
            uncertainty,
        }))
    }
}

impl Keep {
    /// Appends frame `index`'s prediction and its uncertainty.
    pub fn keep(&mut self, index: usize, prediction: &Ab) -> Result<()> {
        let ab = &prediction.ab;
        ensure!(
            ab.typ() == CV_32FC2 && ab.is_continuous(),
            "frame {index}: a prediction is two f32 channels"
        );
        let mut entry = Vec::with_capacity(HEAD + ab.total() * 8 + CHECKSUM);
        entry.extend_from_slice(&(index as u64).to_le_bytes());
        entry.extend_from_slice(&(ab.rows() as u32).to_le_bytes());
        entry.extend_from_slice(&(ab.cols() as u32).to_le_bytes());
        entry.push(u8::from(prediction.uncertainty.is_some()));
        entry.extend_from_slice(&prediction.uncertainty.unwrap_or_default().to_le_bytes());
        entry.extend_from_slice(ab.data_bytes()?);
        entry.extend_from_slice(&file::checksum(&entry));
        self.file
            .write_all(&entry)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::film::records::fingerprint::tests::sample;
    use opencv::core::Vec2f;

    /// A 56x56 grid of values no two alike, with fractions a text format would round.
    fn prediction(seed: f32) -> Mat {
        let mut ab = Mat::new_rows_cols_with_default(56, 56, CV_32FC2, 0.0.into()).unwrap();
        for (i, v) in ab.data_typed_mut::<Vec2f>().unwrap().iter_mut().enumerate() {
            *v = Vec2f::from([seed + i as f32 / 3.0, -seed - (i as f32).sqrt()]);
        }
        ab
    }

    /// `prediction(seed)` as the network gave it, with an uncertainty measured for positive seeds.
    fn stored(seed: f32) -> Ab {
        Ab {
            ab: prediction(seed),
            origin: Origin::Network,
            uncertainty: (seed > 0.0).then_some(f64::from(seed) / 10.0),
        }
    }

    fn bytes(m: &Mat) -> Vec<u8> {
        m.data_bytes().unwrap().to_vec()
    }

    #[test]
    fn predictions_read_back_bit_exactly_after_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".colorize-predictions");
        let (_, mut keep) = open(&path, &sample(), Store::Reuse).unwrap();
        keep.keep(0, &stored(1.0)).unwrap();
        keep.keep(12, &stored(-7.25)).unwrap();
        drop(keep);
        let (mut recall, mut keep) = open(&path, &sample(), Store::Reuse).unwrap();
        assert_eq!(recall.len(), 2);
        assert_eq!(bytes(&recall.get(12).unwrap().unwrap().ab), bytes(&prediction(-7.25)));
        assert_eq!(bytes(&recall.get(0).unwrap().unwrap().ab), bytes(&prediction(1.0)));
        assert!(recall.get(3).unwrap().is_none());
        assert_eq!(recall.get(0).unwrap().unwrap().uncertainty, Some(0.1));
        assert_eq!(recall.get(12).unwrap().unwrap().uncertainty, None);
        keep.keep(24, &stored(3.0)).unwrap();
        let (mut recall, _) = open(&path, &sample(), Store::Reuse).unwrap();
        assert_eq!(bytes(&recall.get(24).unwrap().unwrap().ab), bytes(&prediction(3.0)));
        // One keyframe at the network's resolution for render size 224: 56 x 56 x 2 f32 and 33 bytes of framing.
        let header = format!("{MAGIC}\n{}\n", sample().prediction_text()).len() as u64;
        assert_eq!(std::fs::metadata(&path).unwrap().len(), header + 3 * 25_121);
    }

    #[test]
    fn other_prediction_settings_or_overwrite_start_afresh_and_finishing_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        open(&path, &sample(), Store::Reuse)
            .unwrap()
            .1
            .keep(5, &stored(2.0))
            .unwrap();
        let mut refinished = sample();
        refinished.finishing.smooth = 0.9;
        assert_eq!(open(&path, &refinished, Store::Reuse).unwrap().0.len(), 1);
        let mut wider = sample();
        wider.prediction.width = Some(320);
        let (recall, _) = open(&path, &wider, Store::Reuse).unwrap();
        assert_eq!((recall.len(), recall.found), (0, Found::Others));
        open(&path, &sample(), Store::Reuse)
            .unwrap()
            .1
            .keep(5, &stored(2.0))
            .unwrap();
        assert_eq!(open(&path, &sample(), Store::Restart).unwrap().0.len(), 0);
    }

    #[test]
    fn an_entry_cut_short_or_damaged_counts_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let (_, mut keep) = open(&path, &sample(), Store::Reuse).unwrap();
        for index in [0, 3, 6] {
            keep.keep(index, &stored(index as f32)).unwrap();
        }
        drop(keep);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 25_121;
        bytes[last - 100] ^= 1;
        bytes.truncate(bytes.len() - 10);
        std::fs::write(&path, &bytes).unwrap();
        let (mut recall, mut keep) = open(&path, &sample(), Store::Reuse).unwrap();
        assert!(recall.get(0).unwrap().is_some());
        assert!(recall.get(3).unwrap().is_none(), "its checksum fails");
        assert!(recall.get(6).unwrap().is_none(), "cut short");
        // The torn tail is cut off, so an entry appended now reads back.
        keep.keep(6, &stored(6.0)).unwrap();
        let (mut recall, _) = open(&path, &sample(), Store::Reuse).unwrap();
        assert_eq!(
            recall.get(6).unwrap().map(|p| p.ab.data_bytes().unwrap().to_vec()),
            Some(prediction(6.0).data_bytes().unwrap().to_vec())
        );
    }
}
