//! Thin entry point: parse, run, print the error once as one line, map it to the exit code.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use colorize::{app, cli::Cli};

fn main() -> ExitCode {
    let matches = Cli::command().version(&*app::version().leak()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // 128 + SIGINT, as shells report a run stopped by Ctrl-C.
            if colorize::interrupt::requested() {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
