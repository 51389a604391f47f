//! Progress on stderr: frames or photos done, rate and time left; silent with --quiet.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    unit: String,
}

impl Progress {
    /// A counter until the total is known (`set_total`), then a bar with the time left.
    pub fn new(unit: &str, quiet: bool) -> Progress {
        let bar = ProgressBar::no_length();
        bar.set_draw_target(if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        });
        let progress = Progress {
            bar,
            unit: unit.to_string(),
        };
        progress.style(&format!("{{prefix}}{{spinner}} {{pos}} {unit} {{per_sec}}"));
        progress
    }

    /// Names what is being counted, such as a film of a batch, before the count.
    pub fn labelled(self, label: &str) -> Progress {
        self.bar.set_prefix(format!("{label} "));
        self
    }

    pub fn set_total(&self, total: u64) {
        self.bar.set_length(total);
        self.style(&format!(
            "{{prefix}}{{bar:40}} {{pos}}/{{len}} {} {{per_sec}} ETA {{eta}}",
            self.unit
        ));
    }

    fn style(&self, template: &str) {
        self.bar
            .set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    }

    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Prints through the bar, so a line said while it runs is not drawn over.
    pub fn say(&self, print: impl FnOnce()) {
        self.bar.suspend(print);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
