//! `colorize fetch-model`: the published model files, resumed and verified; DDColor's in `fetch_ddcolor`.

use anyhow::{bail, Result};

use super::fetch_ddcolor;
use super::shared::Outcome;
use crate::cli::{FetchModelArgs, Network};
use crate::{fetch, interrupt};

/// Files written go to stdout; files already in place and failures to stderr.
pub fn run(args: FetchModelArgs) -> Result<Outcome> {
    match args.model {
        Network::Eccv16 => eccv16(args),
        Network::DDColor => fetch_ddcolor::run(&args),
    }
}

fn eccv16(args: FetchModelArgs) -> Result<Outcome> {
    if args.onnx.is_some() {
        bail!("--onnx names DDColor's file: add --model ddcolor, or drop --onnx");
    }
    let sources = if args.mirror.is_empty() {
        fetch::Sources::Published
    } else {
        fetch::Sources::mirrors(&args.mirror)?
    };
    let options = fetch::Options::new(args.overwrite, args.quiet);
    let results = fetch::fetch_model(&args.dir, &sources, &options)?;
    let mut failed = 0;
    for (path, result) in &results {
        match result {
            Ok(fetch::Outcome::Downloaded) => println!("{}", path.display()),
            Ok(fetch::Outcome::AlreadyThere) => {
                eprintln!("{}: already there, verified", path.display())
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {e:#}");
            }
        }
    }
    if interrupt::requested() {
        return Ok(Outcome::Interrupted);
    }
    if failed > 0 {
        eprintln!("error: {failed} of {} model files could not be fetched", results.len());
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Success)
}
