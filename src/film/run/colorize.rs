//! A film's run as a short sequence of named steps: the settings resolved into a plan, a reader that yields jobs,
//! a pool of networks that colour them, and a sink that writes frames and film in order and finishes the film.

use anyhow::{ensure, Context, Result};
use opencv::core::Mat;

use crate::film::base::frame::{Ab, Input, Key, Origin, Segment};
use crate::film::base::motion;
use crate::film::base::profile::{Profile, Stage};
use crate::film::colour::tracks;
use crate::film::plan::resolve::{Layout, Options, Plan};
use crate::film::read::jobs::{Jobs, Originals};
use crate::film::read::keys::Keys;
use crate::film::write::sink::Sink;
use crate::film::write::summary::Summary;
use crate::model::{Colorizer, Model, Predicts, Uncertainty};
use crate::progress::Progress;
use crate::{interrupt, pipeline};

/// Colorizes a film with `model`, one network of it (`nets`) per worker, its pictures made in `pictures`: every
/// frame of the range to the frames folder and the film, resuming an interrupted run. Returns what was done, and
/// the time spent in each stage. The networks are lent, so a batch of films builds (and OpenVINO compiles) them once. Every error is named for the
/// film here, in one place, so a batch's messages say which film failed and the messages below need not.
pub fn colorize(
    options: Options,
    model: &Model,
    nets: &mut [Colorizer],
    pictures: &rayon::ThreadPool,
    progress: &Progress,
) -> Result<(Summary, Profile)> {
    let name = options.input.display().to_string();
    run(options, model, nets, pictures, progress).context(name)
}

fn run(
    options: Options,
    model: &Model,
    nets: &mut [Colorizer],
    pictures: &rayon::ThreadPool,
    progress: &Progress,
) -> Result<(Summary, Profile)> {
    let profile = Profile::default();
    let (plan, source) = Plan::resolve(options, model.identity())?;
    if let Some(total) = plan.expected {
        progress.set_total(total as u64);
    }
    // Hints are followed through their shots first: a hint outside the film or an unreadable frame stops the run
    // before anything is written.
    let hints = profile.time(Stage::Hints, || {
        tracks::follow(&plan.input, plan.width, plan.render_size, plan.read, &plan.hints)
    })?;
    let (mut sink, earlier) = Sink::new(&plan, hints, pictures, &profile, progress)?;
    // The frames kept from the range's start on, without a gap, are done before the sink takes any.
    let resume_at = earlier.done_until(plan.span.start);
    let flow = plan
        .carries_colour
        .then(|| motion::Flow::new(motion::analysis_size(source.size)))
        .transpose()?;
    let keys = Keys::new(plan.keyframe_interval, plan.repeats, flow, &profile);
    let originals = originals(&plan);
    let jobs = Jobs::new(
        source,
        plan.span,
        earlier,
        plan.fingerprint.prediction.preparation(),
        originals,
        keys,
        &profile,
    );
    // Segments hold up to a keyframe interval of frames each, a batch up to `batch` segments. One batch waiting
    // per network keeps a GPU busy; single segments queue deeper, as they are quick to come and go.
    let in_flight = if plan.batch > 1 {
        nets.len() + 1
    } else {
        2 * nets.len() + 2
    };
    // A network with no measure of its doubt (DDColor) is asked for its colour alone; the page says it has none.
    let predicts = match plan.report {
        Some(_) if nets.iter().all(|net| net.doubts()) => Predicts::ColourAndUncertainty,
        _ => Predicts::Colour,
    };
    let work = |net: &mut Colorizer, batch: Vec<Segment<Key<Input>>>| {
        let index = batch.iter().find_map(|s| s.key.as_ref()).map_or(0, |k| k.index);
        pipeline::unpanic(|| forward(net, batch, predicts, &profile)).with_context(|| format!("frame {index}"))
    };
    let take = |(batch, unsure): Forwarded| sink.take(batch, unsure);
    let outcome = pipeline::run(pipeline::batched(jobs, plan.batch), nets, work, in_flight, take);
    if let Err(e) = outcome.and_then(|()| interrupt::check()) {
        // Frames before resume_at were on disk before the sink took any: stopped early in a resumed run (even
        // before its first batch), the first frame to do is no earlier.
        return Err(interrupted(&plan, (plan.span.start + sink.taken).max(resume_at)).unwrap_or(e));
    }
    Ok((sink.finish()?, profile))
}

/// What a run stopped by the user at frame `at` says: where the frames are to resume from. None when the run was
/// not stopped.
fn interrupted(plan: &Plan, at: usize) -> Option<anyhow::Error> {
    if !interrupt::requested() {
        return None;
    }
    let place = match plan.outputs.frames() {
        Some(frames) => format!(
            "the frames before it are in {}; run the same command again to resume",
            frames.dir.display()
        ),
        None => "nothing was kept (--no-frames)".to_string(),
    };
    Some(anyhow::anyhow!("interrupted at frame {at}: {place}"))
}

/// Which source frames travel with their colour: all for a side-by-side film or a review page (which shows any
/// frame before and after), else those on the contact sheet.
fn originals(plan: &Plan) -> Originals<'_> {
    match (plan.layout, &plan.report) {
        (Layout::SideBySide, _) | (_, Some(_)) => Originals::All,
        (Layout::Colour, None) => Originals::Only(&plan.sheet_picks),
    }
}

/// The uncertainty of each keyframe the network ran on, by frame index, when a review page asks for it.
type Unsure = Vec<(usize, Uncertainty)>;

/// A batch with the network's predictions, and their uncertainty.
type Forwarded = (Vec<Segment<Key<Ab>>>, Unsure);

/// A worker's share of a batch: one forward pass for the keyframes that need one, that is all but those on disk
/// already, those that repeat the last, and those whose prediction an earlier run stored; with their uncertainty
/// too when a review page asks for it.
fn forward(
    net: &mut Colorizer,
    batch: Vec<Segment<Key<Input>>>,
    predicts: Predicts,
    profile: &Profile,
) -> Result<Forwarded> {
    interrupt::check()?;
    let (indices, inputs): (Vec<usize>, Vec<&Mat>) = batch
        .iter()
        .filter_map(|segment| {
            let key = segment.key.as_ref()?;
            match &key.work {
                Key::Computed {
                    net: Some(Input::Blob(input)),
                    ..
                } => Some((key.index, input)),
                _ => None,
            }
        })
        .unzip();
    let (predicted, uncertain) = predict(net, &inputs, indices, predicts, profile)?;
    ensure!(
        predicted.len() == inputs.len(),
        "the network gave {} predictions for {} frames",
        predicted.len(),
        inputs.len()
    );
    let mut predicted = predicted.into_iter();
    // Uncertainties come in the same order, when they come at all.
    let mut means = uncertain.iter().map(|(_, u)| u.mean);
    // One prediction per blob, in order: `inputs` was taken from these same keyframes.
    let mut coloured = |input: Input| match input {
        Input::Blob(_) => predicted.next().map(|ab| Ab {
            ab,
            origin: Origin::Network,
            uncertainty: means.next(),
        }),
        Input::Stored(ab) => Some(ab),
    };
    let segments = batch
        .into_iter()
        .map(|segment| Segment {
            between: segment.between,
            key: segment
                .key
                .map(|key| key.map(|work| work.with_net(|net| net.and_then(&mut coloured)))),
        })
        .collect();
    Ok((segments, uncertain))
}

/// One forward pass over `inputs` (the keyframes `indices`), with their uncertainty when `predicts` says.
fn predict(
    net: &mut Colorizer,
    inputs: &[&Mat],
    indices: Vec<usize>,
    predicts: Predicts,
    profile: &Profile,
) -> Result<(Vec<Mat>, Unsure)> {
    Ok(match (inputs.is_empty(), predicts) {
        (true, _) => (Vec::new(), Vec::new()),
        (false, Predicts::Colour) => (profile.time(Stage::Forward, || net.predict_batch(inputs))?, Vec::new()),
        (false, Predicts::ColourAndUncertainty) => {
            let both = profile.time(Stage::Forward, || net.predict_batch_unsure(inputs))?;
            let (ab, uncertain): (Vec<Mat>, Vec<Uncertainty>) = both.into_iter().unzip();
            (ab, indices.into_iter().zip(uncertain).collect())
        }
    })
}
