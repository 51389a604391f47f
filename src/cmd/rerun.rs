//! The command line that makes a film or a batch of photos again, as the review page gives it with `--hints`
//! added: the same input, outputs and every setting that decides the pictures, so that it refinishes this film
//! (or redoes these photos) rather than starting a fresh run elsewhere.

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use crate::cli::{FrameFormat, ImageArgs, ImageFormat, ModelArgs, Network, VideoArgs};
use crate::film;
use crate::position::Position;
use crate::report::Rerun;

/// Collects words, paths as the run was given them.
#[derive(Default)]
struct Words(Vec<String>);

impl Words {
    fn flag(&mut self, flag: &str) {
        self.0.push(flag.to_string());
    }

    /// Each flag whose option is on.
    fn flags(&mut self, flags: &[(bool, &str)]) {
        for &(on, flag) in flags {
            if on {
                self.flag(flag);
            }
        }
    }

    /// What films and photos share at the end: the contact sheet, the model, and the hints given before.
    fn sheet_model_hints(&mut self, sheet: Option<usize>, model: &ModelArgs, exact: bool, hints: &[PathBuf]) {
        if let Some(pairs) = sheet {
            self.flag(&format!("--contact-sheet={pairs}"));
        }
        self.model(model, exact);
        for hints in hints {
            self.path("--hints", hints);
        }
    }

    fn value(&mut self, flag: &str, value: impl ToString) {
        self.0.extend([flag.to_string(), value.to_string()]);
    }

    fn path(&mut self, flag: &str, path: &Path) {
        self.value(flag, path.to_string_lossy());
    }

    fn position(&mut self, flag: &str, at: Option<Position>) {
        match at {
            Some(Position::Frame(i)) => self.value(flag, i),
            // Rust prints the shortest text that reads back as the same f64.
            Some(Position::Seconds(s)) => self.value(flag, format!("{s}s")),
            None => {}
        }
    }

    fn model(&mut self, model: &ModelArgs, exact: bool) {
        if let Some(network) = model.model.to_possible_value() {
            self.value("--model", network.get_name());
        }
        self.path("--model-dir", &model.model_dir);
        for (flag, path) in [
            ("--onnx", &model.onnx),
            ("--prototxt", &model.prototxt),
            ("--caffemodel", &model.caffemodel),
            ("--points", &model.points),
        ] {
            if let Some(path) = path {
                self.path(flag, path);
            }
        }
        if let Some(backend) = model.backend.to_possible_value() {
            self.value("--backend", backend.get_name());
        }
        if let Some(precision) = model.precision.to_possible_value() {
            self.value("--precision", precision.get_name());
        }
        // The temperature is the 2016 network's: --exact keeps the published one and refuses another, and DDColor
        // refuses it at all.
        if model.model == Network::Eccv16 && !exact {
            self.value("--temperature", model.temperature);
        }
    }
}

/// The film `input`'s run, writing `outputs`. A shard's frames make no film of their own: `assemble` adds it
/// (`Rerun::or_film`), and the command is the whole film's, without `--shard`.
pub fn film(args: &VideoArgs, input: &Path, outputs: &film::Outputs) -> Rerun {
    let mut words = Words::default();
    words.flag("video");
    match outputs.frames() {
        Some(frames) => words.path("--frames-dir", &frames.dir),
        None => words.flag("--no-frames"),
    }
    if args.frame_format == FrameFormat::Png {
        words.value("--frame-format", "png");
    }
    if let Some(fps) = args.fps {
        words.value("--fps", fps);
    }
    if let Some(width) = args.width {
        words.value("--width", width);
    }
    words.position("--start", args.start);
    words.position("--end", args.end);
    if args.exact {
        words.flag("--exact");
    } else {
        words.value("--smooth", args.smooth);
        words.value("--keyframe-interval", args.keyframe_interval);
        words.value("--saturation", args.saturation);
    }
    if let Some(side) = args.render_size {
        words.value("--render-size", side);
    }
    words.flags(&[
        (args.side_by_side, "--side-by-side"),
        (args.no_audio, "--no-audio"),
        (args.report, "--report"),
    ]);
    words.sheet_model_hints(args.contact_sheet, &args.model, args.exact, &args.hints);
    Rerun {
        arguments: words.0,
        output: outputs
            .film()
            .filter(|_| outputs.whole_film())
            .map(|film| film.to_string_lossy().into_owned()),
        inputs: vec![input.to_string_lossy().into_owned()],
    }
}

/// The batch of photos' run: the same inputs into the same folder, replacing the photos it made.
pub fn photos(args: &ImageArgs) -> Rerun {
    let mut words = Words::default();
    words.flag("image");
    // The photos it made are there: they are replaced.
    words.flag("--overwrite");
    if let Some(format) = args
        .format
        .to_possible_value()
        .filter(|_| args.format != ImageFormat::Same)
    {
        words.value("--format", format.get_name());
    }
    words.flags(&[(args.exact, "--exact"), (args.report, "--report")]);
    words.sheet_model_hints(args.contact_sheet, &args.model, args.exact, &args.hints);
    Rerun {
        arguments: words.0,
        output: Some(args.output.to_string_lossy().into_owned()),
        inputs: args.inputs.iter().map(|i| i.to_string_lossy().into_owned()).collect(),
    }
}
