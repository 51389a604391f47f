//! The review's numbers: each frame's record, the run's settings, what is stored beside the frames for `assemble`,
//! and what the page says, as named fields serialised to JSON.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::Network;

/// What a run writes of its review: the page, the JSON alone, or both.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Wanted {
    pub page: Option<PathBuf>,
    pub json: Option<PathBuf>,
}

impl Wanted {
    /// Whether anything is written now (a shard's review waits for `assemble`).
    pub fn any(&self) -> bool {
        self.page.is_some() || self.json.is_some()
    }
}

/// `<name>.report.html` beside a film.
pub fn page_beside(film: &Path) -> PathBuf {
    let stem = film.file_stem().unwrap_or_default().to_string_lossy();
    film.with_file_name(format!("{stem}.report.html"))
}

/// How a frame got its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Its colour is the network's prediction for it, made in this run, stored by an earlier one, or painted by
    /// the run a resumed one carries on.
    Keyframe,
    /// Colour carried along the motion from the keyframes on either side.
    Carried,
    /// A keyframe that repeats the one before, whose prediction it reuses.
    Repeat,
}

impl Kind {
    /// Its name in the JSON and on the page.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Keyframe => "keyframe",
            Kind::Carried => "carried",
            Kind::Repeat => "repeat",
        }
    }
}

/// One frame of the film, as the page's JSON gives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameRecord {
    pub index: usize,
    /// Seconds from the film's start.
    pub time: f64,
    pub kind: Kind,
    /// A shot starts here.
    pub cut: bool,
    /// Colour change the motion does not explain since the frame before (mean CIE76 delta E, lightness included;
    /// 0 is perfectly steady); None at the film's first frame and at cuts.
    pub stability: Option<f64>,
    /// The network's mean normalised entropy (0 sure, 1 no idea); keyframes the network ran on only.
    pub uncertainty: Option<f64>,
    /// Colour hints placed on the frame (each holds through its shot).
    pub hints: usize,
}

/// The model as used, by the digests of its files. Untagged: the JSON of the 2016 network is what every earlier
/// run wrote, and a shard's review on disk reads back whichever network made it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ModelDigests {
    Eccv16 {
        prototxt: String,
        caffemodel: String,
        points: String,
    },
    DDColor {
        onnx: String,
    },
}

impl From<&Network> for ModelDigests {
    fn from(network: &Network) -> ModelDigests {
        match network.clone() {
            Network::Eccv16 {
                prototxt,
                caffemodel,
                points,
                ..
            } => ModelDigests::Eccv16 {
                prototxt,
                caffemodel,
                points,
            },
            Network::DDColor { onnx } => ModelDigests::DDColor { onnx },
        }
    }
}

impl ModelDigests {
    /// What the page's uncertainty is for this network: the one `model::ModelFiles::doubts` says it gives.
    pub fn doubt(&self) -> Doubt {
        match self {
            ModelDigests::Eccv16 { .. } => Doubt::Entropy,
            ModelDigests::DDColor { .. } => Doubt::Unmeasured,
        }
    }
}

/// The network's measure of its own doubt, which the page's uncertainty is; the JSON's `doubt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Doubt {
    /// The mean normalised entropy of the 2016 network's distribution over 313 colours (0 sure, 1 no idea).
    #[serde(rename = "entropy")]
    Entropy,
    /// DDColor gives one colour and no measure of its doubt: every uncertainty is null, and the page says why
    /// rather than show a measure made up for it.
    #[serde(rename = "none")]
    Unmeasured,
}

impl Doubt {
    /// What the page's header says the uncertainty is.
    pub fn said(self) -> &'static str {
        match self {
            Doubt::Entropy => {
                "the network's own: the mean normalised entropy of its distribution over 313 colours (0 sure, 1 no \
                 idea)"
            }
            Doubt::Unmeasured => "none: DDColor gives one colour and no measure of its doubt",
        }
    }
}

/// The run's settings, as the page's header and JSON give them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub frames: usize,
    /// Seconds of film.
    pub length: f64,
    pub fps: f64,
    /// Width and height of the frames coloured, and of the source (hint coordinates are the source's pixels).
    pub size: [i32; 2],
    pub source_size: [i32; 2],
    pub keyframe_interval: String,
    pub smooth: f64,
    pub saturation: f64,
    pub render_size: i32,
    pub backend: String,
    pub model: ModelDigests,
    /// Seconds the run took.
    pub seconds: f64,
    /// The run's command line, which the page extends with `--hints` to refinish this film.
    pub rerun: Rerun,
}

/// A run's command line as the page gives it back: the subcommand with every option that decides what it makes
/// (outputs, sizes, colour, model, earlier hints), and its inputs; paths as the run was given them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rerun {
    pub arguments: Vec<String>,
    /// `-o`: None for a shard's frames, whose film `assemble` names.
    pub output: Option<String>,
    pub inputs: Vec<String>,
}

impl Rerun {
    /// With the film `assemble` made of a shard's frames, where the run named none.
    pub fn or_film(mut self, film: &Path) -> Rerun {
        self.output.get_or_insert_with(|| film.to_string_lossy().into_owned());
        self
    }

    /// `colorize <arguments> --hints <hints> -- <inputs>`, every word quoted for a POSIX shell, so that a name
    /// holding spaces, quotes or `$(...)` is one word and runs nothing, and after `--`, so that a name starting
    /// with `-` is no option.
    pub fn command(&self, hints: &str) -> anyhow::Result<String> {
        let words = std::iter::once("colorize")
            .chain(self.arguments.iter().map(String::as_str))
            .chain(self.output.iter().flat_map(|film| ["-o", film.as_str()]))
            .chain(["--hints", hints, "--"])
            .chain(self.inputs.iter().map(String::as_str));
        shlex::try_join(words).map_err(|e| anyhow::anyhow!("the command that applies the hints: {e}"))
    }
}

/// What a run leaves beside its frames for `assemble` to write the page from, with the frames' records.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stored {
    pub film: String,
    pub settings: Settings,
}

/// Everything the page says, in numbers.
#[derive(Debug, Serialize)]
pub struct Data {
    pub film: String,
    /// What the frames' `uncertainty` measures, or that the network gives none.
    pub doubt: Doubt,
    pub settings: Settings,
    pub frames: Vec<FrameRecord>,
    pub attention: Vec<Attention>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Why {
    /// The network was unsure of the colour (the shot's most unsure keyframe).
    Unsure,
    /// The colour changed more than the motion explains.
    Unsteady,
}

/// A frame to look at, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Attention {
    pub frame: usize,
    pub time: f64,
    pub why: Why,
    pub reason: String,
    /// How far past its threshold (1 at it): what the list is sorted by.
    pub score: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record as the page's JSON and `.colorize-review` hold it: named fields, pinned here, read back.
    #[test]
    fn a_frame_record_is_written_as_named_fields_and_read_back() {
        let record = FrameRecord {
            index: 3,
            time: 0.12,
            kind: Kind::Keyframe,
            cut: true,
            stability: None,
            uncertainty: Some(0.5),
            hints: 0,
        };
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(
            json,
            r#"{"index":3,"time":0.12,"kind":"keyframe","cut":true,"stability":null,"uncertainty":0.5,"hints":0}"#
        );
        assert_eq!(serde_json::from_str::<FrameRecord>(&json).unwrap(), record);
        for kind in [Kind::Keyframe, Kind::Carried, Kind::Repeat] {
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.name()));
        }
    }
}
