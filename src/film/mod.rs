//! Films, as a short sequence of named steps: the settings resolved into a plan, a reader that yields jobs, a pool
//! of networks that colour them, and a sink that writes frames and film in order and finishes the film.

mod colour;
mod finish;
mod frame;
mod frames;
mod plan;
mod position;
mod profile;
mod read;
mod resume;
mod sink;
mod timeline;
mod writer;

use anyhow::{bail, Context, Result};

use crate::model::{Colorizer, Model};
use crate::progress::Progress;
use crate::{interrupt, pipeline};
use colour::Scene;
pub use finish::{finish_film, Sound};
use frame::{Coloured, Frame, Job};
pub use plan::Options;
use plan::Plan;
pub use position::Position;
pub use profile::Profile;
use profile::Stage;
pub use read::{is_film, EXTENSIONS};
use read::{Jobs, Source};
use sink::Sink;
pub use sink::Summary;
pub use writer::{fourcc, Film};

/// Colorizes a film with `model`, one network of it (`nets`) per worker: every frame of the range to the frames
/// folder and the film, resuming an interrupted run. Returns what was done, and the time spent in each stage. The
/// networks are lent, so a batch of films builds (and OpenVINO compiles) them once.
pub fn colorize(
    options: &Options,
    model: &Model,
    nets: &mut [Colorizer],
    progress: &Progress,
) -> Result<(Summary, Profile)> {
    let profile = Profile::default();
    let mut source = Source::open(&options.input, options.width)?;
    let plan = Plan::resolve(options, &mut source, model.identity())?;
    if let Some(total) = plan.expected {
        progress.set_total(total as u64);
    }
    let (mut sink, resume_at) = Sink::new(&plan, &profile, progress)?;
    let jobs = Jobs {
        source,
        end: plan.end,
        resume_at,
        render_size: options.render_size,
        keep_original: options.side_by_side,
        keep_originals_of: &plan.sheet_picks,
        detect_repeats: !options.exact,
        scene: Scene::default(),
        profile: &profile,
    };
    let in_flight = 2 * nets.len() + 2;
    let work = |net: &mut Colorizer, frame: Frame<Job>| {
        let index = frame.index;
        pipeline::unpanic(|| forward(net, frame, &profile)).with_context(|| format!("frame {index}"))
    };
    let take = |frame: Frame<Coloured>| {
        let index = frame.index;
        sink.take(frame).with_context(|| format!("frame {index}"))
    };
    let outcome = pipeline::run(jobs, nets, work, in_flight, take);
    if let Err(e) = outcome.and_then(|()| interrupt::check()) {
        let name = options.input.display();
        if interrupt::requested() {
            let place = match &options.frames {
                Some((dir, _)) => format!(
                    "the frames before it are in {}; run the same command again to resume",
                    dir.display()
                ),
                None => "nothing was kept (--no-frames)".to_string(),
            };
            bail!("{name}: interrupted at frame {}: {place}", plan.start + sink.taken);
        }
        return Err(e.context(name.to_string()));
    }
    Ok((sink.finish()?, profile))
}

/// A worker's share of a frame: the forward pass, unless the frame is on disk already or repeats the last one.
fn forward(net: &mut Colorizer, frame: Frame<Job>, profile: &Profile) -> Result<Frame<Coloured>> {
    let work = match frame.work {
        Job::Resumed => Coloured::Resumed,
        Job::Computed { l, input, cut } => {
            interrupt::check()?;
            let ab = input
                .map(|input| profile.time(Stage::Forward, || net.predict(&input)))
                .transpose()?;
            Coloured::Computed { l, ab, cut }
        }
    };
    Ok(Frame {
        index: frame.index,
        seconds: frame.seconds,
        original: frame.original,
        work,
    })
}
