//! `colorize image`: photos and folders of photos, each reported on its own, the worst outcome the exit code.

use anyhow::Result;

use super::shared::{load_model, workers, Outcome};
use crate::cli::{ImageArgs, ImageFormat};
use crate::output::check_writable;
use crate::photos;
use crate::progress::Progress;

pub fn run(args: ImageArgs) -> Result<Outcome> {
    let inputs = photos::expand_inputs(&args.inputs)?;
    check_writable(&args.output)?;
    let format = match args.format {
        ImageFormat::Png => Some("png".to_string()),
        ImageFormat::Jpg => Some("jpg".to_string()),
        ImageFormat::Same => None,
    };
    let options = photos::Options {
        out_dir: args.output,
        format,
        overwrite: args.overwrite,
        workers: workers(&args.run)?,
        contact_sheet: args.contact_sheet,
    };
    photos::check_distinct_outputs(&inputs, &options)?;
    let model = load_model(&args.model, args.exact)?;
    let progress = Progress::new("photos", args.run.quiet);
    progress.set_total(inputs.len() as u64);
    let photos::Batch { results, sheet } = photos::colorize_all(&inputs, &options, &model, &progress)?;
    progress.finish();
    let (mut failed, mut outcome) = (0, Outcome::Success);
    for (input, result) in results {
        match result {
            Ok(done) => {
                println!("{}", done.output.display());
                for note in done.notes {
                    eprintln!("warning: {}: {note}", input.display());
                }
            }
            Err(e) => {
                failed += 1;
                outcome = outcome.max(Outcome::of_error());
                eprintln!("error: {}: {e:#}", input.display());
            }
        }
    }
    if let Some(sheet) = sheet {
        println!("{}", sheet.display());
    }
    // With one photo its own error line says it all.
    if failed > 0 && inputs.len() > 1 {
        eprintln!("error: {failed} of {} photos could not be colorized", inputs.len());
    }
    Ok(outcome)
}
