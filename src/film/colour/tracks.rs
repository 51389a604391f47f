//! Hints followed through their shots, before the run: a hint placed on one frame holds, forward and backward to
//! the cuts on either side, its points moving with the motion. The painter then finds each keyframe's hints here.
//!
//! A point moves along DIS flow from one frame to the next and is checked by the flow back: where the two do not
//! bring it home within TOLERANCE it is occluded or the flow is wrong there, and its track ends for the rest of the
//! shot in that direction. (Its correction of the colour still travels on with the keyframes' colour where that
//! can be carried: see the painter.)
//!
//! Films are decoded a second time for this, at the analysis size, which costs a few milliseconds a frame against
//! a forward pass's hundreds: from the first hint (or the first frame the run reads) on, until the last hint's
//! shot ends, its tracks are all lost, or the run's frames end. Flow is computed only where tracks are live, and
//! pictures are kept only from a shot's start to the last hint, for following hints backward.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use opencv::core::{Mat, Size, Vec2f};
use opencv::prelude::*;

use crate::film::base::flow::{self, Dis};
use crate::film::base::motion;
use crate::film::base::scene::{Scene, Shot};
use crate::film::io::source::Source;
use crate::hints::Hint;
use crate::interrupt;
use crate::lab::{self, Recipe};
use crate::position::Span;

/// Analysis pixels by which a point may miss its start, moved forward and back again, and still be followed. On
/// bikes.mp4 (100 hints from the true colour) 0.5 to 0.75 lost tracks worth 0.5 dB, 2 let wrong ones through
/// and cost 4 dB going backward.
const TOLERANCE: f32 = 1.0;
/// Where hints of several frames come near each other on one frame (within their radii and this share of the
/// frame's width), they disagree about that place, and the hint from the frame nearest in time wins.
const NEAR: f32 = 0.02;

/// Every frame's hints, in analysis pixels, and what became of the tracks.
#[derive(Default)]
pub struct Tracked {
    frames: BTreeMap<usize, Vec<Hint>>,
    /// Tracks (a hint in one direction) that ended before their shot did.
    pub lost: usize,
}

impl Tracked {
    /// The hints on frame `index`.
    pub fn at(&self, index: usize) -> &[Hint] {
        self.frames.get(&index).map_or(&[], Vec::as_slice)
    }

    /// Every frame that holds a hint, in order, with its hints.
    pub fn frames(&self) -> impl Iterator<Item = (usize, &[Hint])> {
        self.frames.iter().map(|(&index, hints)| (index, hints.as_slice()))
    }

    /// How many frames of `span` hold a hint.
    pub fn frames_in(&self, span: Span) -> usize {
        self.frames.keys().filter(|&&i| span.contains(i)).count()
    }
}

/// A hint on its way through a shot: where it is now (analysis pixels), and how far in time from its frame.
struct Track {
    hint: Hint,
    from: usize,
}

/// Follows `hints` (each on its frame, in source pixels of `native` size) through the film at `path` as the run
/// reads it (`width`; `render_size` for the cuts, told by the 2016 recipe's input, every network's gist), over
/// the frames `read` (from its start to its end, or on to the film's end).
pub fn follow(
    path: &Path,
    width: Option<u32>,
    render_size: i32,
    read: Span,
    hints: &[(usize, Hint)],
) -> Result<Tracked> {
    let mut tracked = Tracked::default();
    let (Some(first_hint), Some(last_hint)) = (hints.iter().map(|h| h.0).min(), hints.iter().map(|h| h.0).max()) else {
        return Ok(tracked);
    };
    let mut source = Source::open(path, width)?;
    let size = motion::analysis_size(source.size);
    let scale = size.width as f32 / source.native.width.max(1) as f32;
    let start = read.start.min(first_hint);
    if !source.skip_to(start).with_context(|| format!("frame {start}"))? {
        return Ok(tracked);
    }
    let mut flow = Dis::new(flow::MEDIUM)?;
    let mut scene = Scene::default();
    // The shot so far, kept for following hints backward, up to the last hint; past it, hints are only followed
    // forward, frame by frame, and nothing is kept.
    let mut shot: Vec<(usize, Mat)> = Vec::new();
    let mut ahead: Option<Ahead> = None;
    loop {
        interrupt::check()?;
        let index = source.position;
        let over = ahead.as_ref().is_some_and(|a| a.tracks.is_empty()) || read.is_past(index);
        let decoded = if index > last_hint && over {
            None
        } else {
            source.next_frame().with_context(|| format!("frame {index}"))?
        };
        let Some(decoded) = decoded else {
            follow_shot(&mut flow, &shot, hints, scale, &mut tracked).with_context(|| format!("frame {index}"))?;
            break;
        };
        let gist = lab::prepare(&decoded.picture, Recipe::Eccv16, render_size)?.input;
        let gray = motion::analysis_gray(&decoded.picture, size)?;
        if scene.shot(&gist)? == Shot::Starts {
            follow_shot(&mut flow, &shot, hints, scale, &mut tracked).with_context(|| format!("frame {index}"))?;
            shot.clear();
            if index > last_hint {
                break;
            }
        }
        if let Some(ahead) = &mut ahead {
            ahead.step(&mut flow, index, gray, &mut tracked)?;
            continue;
        }
        shot.push((index, gray));
        if index == last_hint {
            let tracks = follow_shot(&mut flow, &shot, hints, scale, &mut tracked)?;
            let (_, gray) = shot.pop().context("the shot holds the last hint's frame")?;
            shot.clear();
            ahead = Some(Ahead { gray, tracks });
        }
    }
    Ok(tracked)
}

/// Hints followed forward past the last frame any was placed on.
struct Ahead {
    /// The last frame's analysis picture.
    gray: Mat,
    tracks: Vec<Track>,
}

impl Ahead {
    /// Moves the tracks on to frame `index` and files them there.
    fn step(&mut self, flow: &mut Dis, index: usize, gray: Mat, tracked: &mut Tracked) -> Result<()> {
        let before = self.tracks.len();
        self.tracks = moved(flow, &self.gray, &gray, std::mem::take(&mut self.tracks))?;
        tracked.lost += before - self.tracks.len();
        if !self.tracks.is_empty() {
            let near = NEAR * gray.cols() as f32;
            let tracks = self
                .tracks
                .iter()
                .map(|t| Track {
                    hint: t.hint.clone(),
                    from: t.from,
                })
                .collect();
            tracked.frames.insert(index, nearest_first(index, tracks, near));
        }
        self.gray = gray;
        Ok(())
    }
}

/// Follows the hints placed on the frames of (the start of) one shot forward and backward through it, and files
/// them on every frame they reach. Returns the tracks that reach its last frame going forward.
fn follow_shot(
    flow: &mut Dis,
    shot: &[(usize, Mat)],
    hints: &[(usize, Hint)],
    scale: f32,
    tracked: &mut Tracked,
) -> Result<Vec<Track>> {
    let (Some(first), Some(last)) = (shot.first(), shot.last()) else {
        return Ok(Vec::new());
    };
    let placed: Vec<(usize, Hint)> = hints
        .iter()
        .filter(|(frame, _)| (first.0..=last.0).contains(frame))
        .map(|(frame, hint)| (*frame, scaled(hint, scale)))
        .collect();
    if placed.is_empty() {
        return Ok(Vec::new());
    }
    let mut ahead = Vec::new();
    let mut reached: BTreeMap<usize, Vec<Track>> = BTreeMap::new();
    for direction in [Direction::Forward, Direction::Backward] {
        let order: Vec<usize> = match direction {
            Direction::Forward => (0..shot.len()).collect(),
            Direction::Backward => (0..shot.len()).rev().collect(),
        };
        let mut live: Vec<Track> = Vec::new();
        for (step, &i) in order.iter().enumerate() {
            let index = shot[i].0;
            if step > 0 {
                let previous = &shot[order[step - 1]].1;
                let before = live.len();
                live = moved(flow, previous, &shot[i].1, live)?;
                tracked.lost += before - live.len();
            }
            // A hint's own frame is filed once, going forward.
            let here = placed.iter().filter(|(frame, _)| *frame == index);
            live.extend(here.map(|(frame, hint)| Track {
                hint: hint.clone(),
                from: *frame,
            }));
            let files = live
                .iter()
                .filter(|t| direction == Direction::Forward || t.from != index);
            reached.entry(index).or_default().extend(files.map(|t| Track {
                hint: t.hint.clone(),
                from: t.from,
            }));
        }
        if direction == Direction::Forward {
            ahead = live;
        }
    }
    let width = shot[0].1.cols() as f32;
    for (index, tracks) in reached {
        tracked.frames.insert(index, nearest_first(index, tracks, NEAR * width));
    }
    Ok(ahead)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

fn scaled(hint: &Hint, scale: f32) -> Hint {
    Hint {
        x: hint.x * scale,
        y: hint.y * scale,
        ab: hint.ab,
        radius: hint.radius * scale,
    }
}

/// The tracks moved from `from` to `to` (analysis grays), less those that the flow back does not bring home.
fn moved(flow: &mut Dis, from: &Mat, to: &Mat, tracks: Vec<Track>) -> Result<Vec<Track>> {
    if tracks.is_empty() {
        return Ok(tracks);
    }
    let (ahead, back) = (flow.flow(from, to)?, flow.flow(to, from)?);
    let size = from.size()?;
    let mut kept = Vec::with_capacity(tracks.len());
    for mut track in tracks {
        let Some(step) = sample(&ahead, size, track.hint.x, track.hint.y)? else {
            continue;
        };
        let (x, y) = (track.hint.x + step[0], track.hint.y + step[1]);
        let Some(home) = sample(&back, size, x, y)? else {
            continue;
        };
        if (x + home[0] - track.hint.x).hypot(y + home[1] - track.hint.y) > TOLERANCE {
            continue;
        }
        (track.hint.x, track.hint.y) = (x, y);
        kept.push(track);
    }
    Ok(kept)
}

/// The flow at (x, y), bilinear; None outside the picture.
fn sample(flow: &Mat, size: Size, x: f32, y: f32) -> Result<Option<[f32; 2]>> {
    let (w, h) = (size.width as f32, size.height as f32);
    if !(x >= 0.0 && y >= 0.0 && x <= w - 1.0 && y <= h - 1.0) {
        return Ok(None);
    }
    let data = flow.data_typed::<Vec2f>()?;
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = (
        (x0 + 1).min(size.width as usize - 1),
        (y0 + 1).min(size.height as usize - 1),
    );
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |x: usize, y: usize| data[y * size.width as usize + x];
    let mix = |c: usize| {
        let top = at(x0, y0)[c] * (1.0 - fx) + at(x1, y0)[c] * fx;
        let bottom = at(x0, y1)[c] * (1.0 - fx) + at(x1, y1)[c] * fx;
        top * (1.0 - fy) + bottom * fy
    };
    Ok(Some([mix(0), mix(1)]))
}

/// A frame's hints, those from frames nearest in time first; a hint that comes near one from a nearer frame
/// disagrees with it there and is left out.
fn nearest_first(index: usize, mut tracks: Vec<Track>, near: f32) -> Vec<Hint> {
    tracks.sort_by_key(|t| t.from.abs_diff(index));
    let mut kept: Vec<Track> = Vec::with_capacity(tracks.len());
    for track in tracks {
        let distance = track.from.abs_diff(index);
        let clash = kept.iter().any(|k| {
            k.from.abs_diff(index) < distance
                && (k.hint.x - track.hint.x).hypot(k.hint.y - track.hint.y) <= k.hint.radius + track.hint.radius + near
        });
        if !clash {
            kept.push(track);
        }
    }
    kept.into_iter().map(|t| t.hint).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured gray picture with a brighter textured square at (x, 20): something to follow.
    fn picture(x: i32) -> Mat {
        let size = Size::new(160, 90);
        let texture: Vec<u8> = (0..size.area())
            .map(|i| {
                let (px, py) = (i % size.width, i / size.width);
                let inside = (x..x + 30).contains(&px) && (20..50).contains(&py);
                let u = if inside { px - x } else { px };
                // Noise, blurred by nothing: every place looks unlike its neighbours, as film grain and detail do.
                let noise = ((u as u32).wrapping_mul(2_654_435_761) ^ (py as u32).wrapping_mul(40_503)) >> 7;
                (if inside { 140 } else { 40 }) + (noise % 60) as u8
            })
            .collect();
        Mat::from_slice(&texture)
            .unwrap()
            .reshape(1, size.height)
            .unwrap()
            .try_clone()
            .unwrap()
    }

    fn hint(x: f32, y: f32) -> Hint {
        Hint {
            x,
            y,
            ab: [-30.0, 20.0],
            radius: 2.0,
        }
    }

    #[test]
    fn a_hint_moves_with_its_object_forward_and_backward_through_the_shot() {
        // The square moves 3 pixels a frame, frames 10 to 29; a hint on frame 15 at its centre.
        let shot: Vec<(usize, Mat)> = (10..30).map(|i| (i, picture(10 + 3 * (i as i32 - 10)))).collect();
        let on_square = (15, hint(40.0, 35.0));
        let mut flow = Dis::new(flow::MEDIUM).unwrap();
        let mut tracked = Tracked::default();
        follow_shot(&mut flow, &shot, &[on_square], 1.0, &mut tracked).unwrap();
        for index in [10, 15, 22, 29] {
            let hints = tracked.at(index);
            assert_eq!(hints.len(), 1, "frame {index}");
            let expected = 40.0 + 3.0 * (index as f32 - 15.0);
            assert!(
                // Flow errs by a fraction of a pixel a frame, and a track adds them up: within 3 pixels after 42.
                (hints[0].x - expected).abs() < 3.0 && (hints[0].y - 35.0).abs() < 3.0,
                "frame {index}: at ({}, {}), the square's centre at ({expected}, 35)",
                hints[0].x,
                hints[0].y
            );
        }
        assert_eq!(tracked.lost, 0);
        assert_eq!(
            tracked.frames_in(Span {
                start: 12,
                end: Some(20)
            }),
            8
        );
        assert!(tracked.at(30).is_empty() && tracked.at(9).is_empty());
    }

    #[test]
    fn where_hints_of_two_frames_meet_the_nearer_in_time_wins() {
        let track = |from, x| Track {
            hint: hint(x, 10.0),
            from,
        };
        let kept = nearest_first(8, vec![track(0, 50.0), track(10, 51.0), track(0, 120.0)], 3.0);
        let places: Vec<f32> = kept.iter().map(|h| h.x).collect();
        assert_eq!(places, [51.0, 120.0]);
    }
}
