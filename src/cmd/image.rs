//! `colorize image`: photos and folders of photos, each reported on its own, the worst outcome the exit code.

use std::path::Path;

use anyhow::Result;

use super::rerun;
use super::shared::{load_model, read_hints, threads, Outcome};
use crate::cli::{ImageArgs, ImageFormat};
use crate::model::Predicts;
use crate::output::check_writable;
use crate::photos;
use crate::progress::Progress;

pub fn run(args: ImageArgs) -> Result<Outcome> {
    let inputs = photos::expand_inputs(&args.inputs, &args.output)?;
    check_writable(&args.output)?;
    let format = match args.format {
        ImageFormat::Png => Some("png".to_string()),
        ImageFormat::Jpg => Some("jpg".to_string()),
        ImageFormat::Same => None,
    };
    let report = args.report.then(|| rerun::photos(&args));
    let options = photos::Options {
        out_dir: args.output,
        format,
        overwrite: args.overwrite,
        workers: threads(&args.run)?.networks,
        contact_sheet: args.contact_sheet,
        hints: read_hints(&args.hints, args.exact)?,
        report,
    };
    photos::check_distinct_outputs(&inputs, &options)?;
    photos::check_sheet(&options)?;
    photos::check_hints(&inputs, &options.hints)?;
    let predicts = if args.report {
        Predicts::ColourAndUncertainty
    } else {
        Predicts::Colour
    };
    let model = load_model(&args.model, args.exact, predicts)?;
    let progress = Progress::new("photos", args.run.quiet);
    progress.set_total(inputs.len() as u64);
    let report = |input: &Path, result: &Result<photos::Done>| {
        progress.say(|| match result {
            Ok(done) => {
                println!("{}", done.output.display());
                for note in &done.notes {
                    eprintln!("warning: {}: {note}", input.display());
                }
                if done.hints > 0 {
                    eprintln!("note: {}: {} colour hints applied", input.display(), done.hints);
                }
            }
            Err(e) => eprintln!("error: {}: {e:#}", input.display()),
        })
    };
    let photos::Batch { failed, sheet, report } = photos::colorize_all(&inputs, &options, &model, &progress, report)?;
    progress.finish();
    let outcome = if failed > 0 {
        Outcome::of_error()
    } else {
        Outcome::Success
    };
    for path in sheet.iter().chain(&report) {
        println!("{}", path.display());
    }
    // With one photo its own error line says it all.
    if failed > 0 && inputs.len() > 1 {
        eprintln!("error: {failed} of {} photos could not be colorized", inputs.len());
    }
    Ok(outcome)
}
