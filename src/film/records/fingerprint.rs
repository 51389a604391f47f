//! What made a run's frames, as named fields that resume records and manifests store and compare: what decides
//! the network's predictions, and what only changes how they are finished into frames.

use std::fmt::{self, Display};
use std::str::FromStr;

use anyhow::{ensure, Context, Result};

use crate::film::base::interval::Interval;
use crate::lab::Preparation;
use crate::model::{Engine, Identity, Network, Precision};

#[derive(Clone, Debug, PartialEq)]
pub struct Fingerprint {
    pub prediction: Prediction,
    pub finishing: Finishing,
}

/// What decides the network's prediction for each keyframe: the pictures it sees, which frames are keyframes, and
/// the model and backend that compute it.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The input's content (`content_digest`), not its name.
    pub input: String,
    pub model: Identity,
    pub width: Option<u32>,
    pub render_size: i32,
    pub exact: bool,
    pub keyframe_interval: Interval,
    /// The first frame of the whole range all shards cover: keyframes are counted from it.
    pub start: usize,
}

impl Prediction {
    /// How the network's pictures are prepared: its own recipe, at the render size.
    pub fn preparation(&self) -> Preparation {
        Preparation {
            recipe: self.model.network.recipe(),
            side: self.render_size,
        }
    }
}

/// What only changes how the predictions are finished into frames.
#[derive(Clone, Debug, PartialEq)]
pub struct Finishing {
    pub painter: u32,
    pub smooth: f64,
    pub saturation: f64,
    /// The frames' image format; None when no frames are kept.
    pub frame_format: Option<String>,
    /// The colour hints' content (a digest); None without hints.
    pub hints: Option<String>,
}

/// How a message names the setting behind a field.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Setting {
    /// A value worth showing, such as a flag's.
    Value(&'static str),
    /// A digest, which says only that something changed.
    Content(&'static str),
}

/// One field as written: `name=value`.
struct Field {
    name: &'static str,
    value: String,
    setting: Setting,
}

fn field(name: &'static str, value: impl Display, setting: Setting) -> Field {
    Field {
        name,
        value: value.to_string(),
        setting,
    }
}

/// A setting that differs between two fingerprints.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingChange {
    setting: Setting,
    was: String,
    now: String,
}

impl Display for SettingChange {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.setting {
            Setting::Value(what) => write!(f, "{what} was {}, now {}", self.was, self.now),
            Setting::Content(what) => write!(f, "{what} changed"),
        }
    }
}

impl Fingerprint {
    /// The fields that decide the predictions, in the order written. The names and the spelling of every value
    /// are part of the records on disk: change them only with the records' version (the golden tests below hold
    /// them). The network's lines are its own: the 2016 network's four, as every earlier run wrote them, or
    /// DDColor's one.
    fn prediction_fields(&self) -> Vec<Field> {
        use Setting::{Content, Value};
        let p = &self.prediction;
        let mut fields = vec![
            field("input", &p.input, Content("the input's content")),
            field("backend", p.model.engine.name(), Value("--backend")),
            field("precision", p.model.precision.name(), Value("--precision")),
        ];
        match &p.model.network {
            Network::Eccv16 {
                softmax_scale,
                prototxt,
                caffemodel,
                points,
            } => fields.extend([
                field(
                    "softmax-scale",
                    softmax_scale,
                    Value("the softmax scale (--temperature)"),
                ),
                field("prototxt-sha256", prototxt, Content("the model's prototxt")),
                field("caffemodel-sha256", caffemodel, Content("the model's weights")),
                field("points-sha256", points, Content("the model's colour points")),
            ]),
            Network::DDColor { onnx } => fields.push(field("onnx-sha256", onnx, Content("DDColor's ONNX file"))),
        }
        fields.extend([
            field("width", optional(p.width.as_ref()), Value("--width")),
            field("render-size", p.render_size, Value("--render-size")),
            field("exact", on_off(p.exact), Value("--exact")),
            field("keyframe-interval", p.keyframe_interval, Value("--keyframe-interval")),
            field("start", p.start, Value("the first frame (--start)")),
        ]);
        fields
    }

    /// The fields that only finish the predictions into frames, in the order written.
    fn finishing_fields(&self) -> [Field; 5] {
        use Setting::{Content, Value};
        let f = &self.finishing;
        [
            field(
                "painter",
                f.painter,
                Value("the painter's version (how colorize makes colour)"),
            ),
            field("smooth", f.smooth, Value("--smooth")),
            field("saturation", f.saturation, Value("--saturation")),
            field(
                "frame-format",
                optional(f.frame_format.as_ref()),
                Value("--frame-format"),
            ),
            field(
                "hints",
                optional(f.hints.as_ref()),
                Content("the colour hints (--hints)"),
            ),
        ]
    }

    fn fields(&self) -> Vec<Field> {
        let mut fields = self.prediction_fields();
        fields.extend(self.finishing_fields());
        fields
    }

    /// One `name=value` line per field.
    pub fn to_text(&self) -> String {
        lines(&self.fields())
    }

    /// The lines of the fields that decide the predictions: what a store of them is keyed by.
    pub fn prediction_text(&self) -> String {
        lines(&self.prediction_fields())
    }

    /// The lines of the fields that only finish the predictions into frames.
    pub fn finishing_text(&self) -> String {
        lines(&self.finishing_fields())
    }

    /// Reads back what `to_text` wrote: every field, by name, in order, and nothing else.
    pub fn parse(text: &str) -> Result<Fingerprint> {
        // The network's lines follow input, backend and precision.
        let ddcolor = text.lines().nth(3).is_some_and(|line| line.starts_with("onnx-sha256="));
        let mut lines = text.lines();
        let mut next = |name: &str| -> Result<&str> {
            let line = lines.next().with_context(|| format!("no {name} in the fingerprint"))?;
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
                .with_context(|| format!("the fingerprint has '{line}' where {name} belongs"))
        };
        let input = next("input")?.to_string();
        let backend = next("backend")?;
        let engine = Engine::named(backend).with_context(|| format!("'{backend}' is not a backend"))?;
        let precision = next("precision")?;
        let precision = Precision::named(precision).with_context(|| format!("'{precision}' is not a precision"))?;
        let network = if ddcolor {
            Network::DDColor {
                onnx: next("onnx-sha256")?.to_string(),
            }
        } else {
            Network::Eccv16 {
                softmax_scale: number(next("softmax-scale")?)?,
                prototxt: next("prototxt-sha256")?.to_string(),
                caffemodel: next("caffemodel-sha256")?.to_string(),
                points: next("points-sha256")?.to_string(),
            }
        };
        let prediction = Prediction {
            input,
            model: Identity {
                engine,
                precision,
                network,
            },
            width: read_optional(next("width")?)?,
            render_size: number(next("render-size")?)?,
            exact: read_on_off(next("exact")?)?,
            keyframe_interval: number(next("keyframe-interval")?)?,
            start: number(next("start")?)?,
        };
        let finishing = Finishing {
            painter: number(next("painter")?)?,
            smooth: number(next("smooth")?)?,
            saturation: number(next("saturation")?)?,
            frame_format: read_optional(next("frame-format")?)?,
            hints: read_optional(next("hints")?)?,
        };
        let parsed = Fingerprint { prediction, finishing };
        // Whatever this version would not write the same way (an extra line, another spelling of a number) is
        // not its fingerprint.
        ensure!(
            parsed.to_text() == text,
            "the fingerprint is not one this colorize writes"
        );
        Ok(parsed)
    }

    /// The settings that differ from `was` to this fingerprint, in the order written.
    /// What makes the predictions of a run recorded as `found` other than this one's, in words; None when the
    /// network would predict the same.
    pub fn other_predictions(&self, found: &Fingerprint) -> Option<String> {
        if found.prediction == self.prediction {
            return None;
        }
        let was = Fingerprint {
            prediction: found.prediction.clone(),
            finishing: self.finishing.clone(),
        };
        let changes: Vec<String> = self.changes_from(&was).iter().map(ToString::to_string).collect();
        Some(changes.join("; "))
    }

    /// The settings that differ from `was` to this fingerprint, in the order written; another network is one
    /// change, `--model`, whose own fields are not compared.
    pub fn changes_from(&self, was: &Fingerprint) -> Vec<SettingChange> {
        let (network, network_was) = (
            self.prediction.model.network.name(),
            was.prediction.model.network.name(),
        );
        let other_network = (network != network_was).then(|| SettingChange {
            setting: Setting::Value("--model"),
            was: network_was.to_string(),
            now: network.to_string(),
        });
        let was = was.fields();
        let changed = self.fields().into_iter().filter_map(|now| {
            let before = was.iter().find(|w| w.name == now.name)?;
            (before.value != now.value).then(|| SettingChange {
                setting: now.setting,
                was: before.value.clone(),
                now: now.value,
            })
        });
        other_network.into_iter().chain(changed).collect()
    }
}

fn lines(fields: &[Field]) -> String {
    fields.iter().map(|f| format!("{}={}\n", f.name, f.value)).collect()
}

/// `none` for an absent value: never an empty field, and never Rust's `Some(..)`.
fn optional<T: Display>(value: Option<&T>) -> String {
    value.map_or_else(|| "none".to_string(), |v| v.to_string())
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

fn number<T: FromStr>(text: &str) -> Result<T> {
    text.parse().ok().with_context(|| format!("'{text}' is not a number"))
}

fn read_optional<T: FromStr>(text: &str) -> Result<Option<T>> {
    match text {
        "none" => Ok(None),
        _ => text
            .parse()
            .map(Some)
            .ok()
            .with_context(|| format!("'{text}' is not a value")),
    }
}

fn read_on_off(text: &str) -> Result<bool> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => anyhow::bail!("'{text}' is neither on nor off"),
    }
}

#[cfg(test)]
pub(crate) mod tests;
