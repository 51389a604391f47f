//! Thin entry point: parse, run, print an error once as one line, map the outcome to the exit code.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use colorize::cli::Cli;
use colorize::cmd::{self, Outcome};

fn main() -> ExitCode {
    let matches = Cli::command().version(&*cmd::version().leak()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let outcome = cmd::run(cli).unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        Outcome::of_error()
    });
    outcome.exit_code()
}
