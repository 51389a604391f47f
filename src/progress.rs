//! Progress on stderr: frames or photos done, rate and time left; silent with --quiet.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new(total: Option<u64>, unit: &str, quiet: bool) -> Progress {
        let bar = match total {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::no_length(),
        };
        let template = match total {
            Some(_) => format!("{{bar:40}} {{pos}}/{{len}} {unit} {{per_sec}} ETA {{eta}}"),
            None => format!("{{spinner}} {{pos}} {unit} {{per_sec}}"),
        };
        bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
        bar.set_draw_target(if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        });
        Progress { bar }
    }

    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Prints a line on stderr without tearing the bar.
    pub fn note(&self, message: &str) {
        if self.bar.is_hidden() {
            return;
        }
        self.bar.suspend(|| eprintln!("{message}"));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
