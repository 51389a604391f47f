//! The reader's side of the pipeline: an iterator of segments, each frame decoded, analysed and judged in source
//! order.

use anyhow::{Context, Result};
use opencv::core::Size;

use super::keys::{Analysed, Keys, Role};
use crate::film::base::frame::{Input, Key, Segment};
use crate::film::base::motion;
use crate::film::base::profile::{Profile, Stage};
use crate::film::io::source::{Decoded, Source};
use crate::film::records::earlier::Earlier;
use crate::interrupt;
use crate::lab::Preparation;
use crate::position::Span;

/// Which source frames travel on with their colour: for side-by-side films, or those a contact sheet shows.
#[derive(Clone, Copy)]
pub enum Originals<'a> {
    All,
    Only(&'a [usize]),
}

/// The reader's half of the pipeline: frames from where `source` stands (a shard's warmup) through `range`
/// (and on to the next keyframe), analysed and grouped into segments. Frames kept on disk are still decoded and
/// judged, so keyframes and cuts match an uninterrupted run; keyframes whose prediction is stored carry it instead
/// of the network's input.
pub struct Jobs<'a> {
    source: Source,
    range: Span,
    earlier: Earlier,
    preparation: Preparation,
    originals: Originals<'a>,
    /// The size of the pictures flow is computed on, when colour is carried.
    analysis: Option<Size>,
    keys: Keys<'a>,
    profile: &'a Profile,
    done: bool,
}

impl<'a> Jobs<'a> {
    pub fn new(
        source: Source,
        range: Span,
        earlier: Earlier,
        preparation: Preparation,
        originals: Originals<'a>,
        keys: Keys<'a>,
        profile: &'a Profile,
    ) -> Jobs<'a> {
        Jobs {
            source,
            range,
            earlier,
            preparation,
            originals,
            analysis: keys.analysis_size(),
            keys,
            profile,
            done: false,
        }
    }
}

impl Iterator for Jobs<'_> {
    type Item = Result<Segment<Key<Input>>>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let index = self.source.position;
            let segment = self.step().with_context(|| format!("frame {index}"));
            if segment.is_err() {
                self.done = true;
            }
            if let Some(segment) = segment.transpose() {
                return Some(segment);
            }
        }
        None
    }
}

impl Jobs<'_> {
    /// Reads one frame; returns the segment it completes, if it does.
    fn step(&mut self) -> Result<Option<Segment<Key<Input>>>> {
        interrupt::check()?;
        let index = self.source.position;
        let beyond = self.range.is_past(index);
        if beyond && !self.keys.waiting() {
            self.done = true;
            return Ok(None);
        }
        let Some(decoded) = self.profile.time(Stage::Decode, || self.source.next_frame())? else {
            self.done = true;
            return self.keys.finish();
        };
        let frame = self.profile.time(Stage::Pre, || self.analyse(index, decoded))?;
        let mut segment = self.keys.push(frame)?;
        self.done = beyond && segment.is_some();
        if let Some(segment) = &mut segment {
            self.recall(segment)?;
        }
        Ok(segment)
    }

    /// Puts the stored prediction, if there is one, where the keyframe's input to the network was.
    fn recall(&mut self, segment: &mut Segment<Key<Input>>) -> Result<()> {
        let (Some(stored), Some(key)) = (&mut self.earlier.stored, &mut segment.key) else {
            return Ok(());
        };
        if let Key::Computed {
            net: Some(input @ Input::Blob(_)),
            ..
        } = &mut key.work
        {
            if let Some(ab) = stored.get(key.index)? {
                *input = Input::Stored(ab);
            }
        }
        Ok(())
    }

    fn analyse(&self, index: usize, decoded: Decoded) -> Result<Analysed> {
        let prepared = self.preparation.prepare(&decoded.picture)?;
        // In a shot left as it is, keyframes are chosen for no frame painted: its motion is not worked out.
        let gray = self
            .analysis
            .filter(|_| !self.earlier.leaves(index))
            .map(|size| motion::analysis_gray(&decoded.picture, size))
            .transpose()?;
        let role = self.role(index);
        let keep = role.in_range()
            && match self.originals {
                Originals::All => true,
                Originals::Only(picks) => picks.binary_search(&index).is_ok(),
            };
        Ok(Analysed {
            index,
            seconds: decoded.seconds,
            original: keep.then_some(decoded.picture),
            l: prepared.l,
            input: prepared.input,
            gist: prepared.gist,
            gray,
            role,
        })
    }

    fn role(&self, index: usize) -> Role {
        let beyond = self.range.is_past(index);
        let written = !beyond && index >= self.range.start;
        // A warmup only sets the colour for the first frame written: kept, that frame has it already.
        let resumed = match (written, beyond) {
            (true, _) => self.earlier.keeps(index),
            (false, false) => self.earlier.keeps(self.range.start),
            (false, true) => false,
        };
        match (written, resumed) {
            (true, true) => Role::Resumed,
            (true, false) => Role::Written,
            (false, true) => Role::Settled,
            (false, false) if beyond => Role::ReadAhead,
            (false, false) => Role::Warmup,
        }
    }
}
