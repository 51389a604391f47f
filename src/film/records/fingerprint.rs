//! What made a run's frames, as named fields that resume records and manifests store and compare: what decides
//! the network's predictions, and what only changes how they are finished into frames.

use std::fmt::{self, Display};
use std::str::FromStr;

use anyhow::{ensure, Context, Result};

use crate::film::base::interval::Interval;
use crate::model::{Engine, Identity, Precision};

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
    /// Every field, in the order written. The names and the spelling of every value are part of the records on
    /// disk: change them only with the records' version (the golden test below holds them).
    fn fields(&self) -> [Field; 17] {
        use Setting::{Content, Value};
        let (p, f) = (&self.prediction, &self.finishing);
        [
            field("input", &p.input, Content("the input's content")),
            field("backend", p.model.engine.name(), Value("--backend")),
            field("precision", p.model.precision.name(), Value("--precision")),
            field(
                "softmax-scale",
                p.model.softmax_scale,
                Value("the softmax scale (--temperature)"),
            ),
            field("prototxt-sha256", &p.model.prototxt, Content("the model's prototxt")),
            field("caffemodel-sha256", &p.model.caffemodel, Content("the model's weights")),
            field("points-sha256", &p.model.points, Content("the model's colour points")),
            field("width", optional(p.width.as_ref()), Value("--width")),
            field("render-size", p.render_size, Value("--render-size")),
            field("exact", on_off(p.exact), Value("--exact")),
            field("keyframe-interval", p.keyframe_interval, Value("--keyframe-interval")),
            field("start", p.start, Value("the first frame (--start)")),
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

    /// One `name=value` line per field.
    pub fn to_text(&self) -> String {
        lines(&self.fields())
    }

    /// The lines of the fields that decide the predictions: what a store of them is keyed by.
    pub fn prediction_text(&self) -> String {
        lines(&self.fields()[..PREDICTION_FIELDS])
    }

    /// The lines of the fields that only finish the predictions into frames.
    pub fn finishing_text(&self) -> String {
        lines(&self.fields()[PREDICTION_FIELDS..])
    }

    /// Reads back what `to_text` wrote: every field, by name, in order, and nothing else.
    pub fn parse(text: &str) -> Result<Fingerprint> {
        let mut lines = text.lines();
        let mut next = |name: &str| -> Result<&str> {
            let line = lines.next().with_context(|| format!("no {name} in the fingerprint"))?;
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
                .with_context(|| format!("the fingerprint has '{line}' where {name} belongs"))
        };
        let input = next("input")?.to_string();
        let backend = next("backend")?;
        let precision = next("precision")?;
        let model = Identity {
            engine: Engine::named(backend).with_context(|| format!("'{backend}' is not a backend"))?,
            precision: Precision::named(precision).with_context(|| format!("'{precision}' is not a precision"))?,
            softmax_scale: number(next("softmax-scale")?)?,
            prototxt: next("prototxt-sha256")?.to_string(),
            caffemodel: next("caffemodel-sha256")?.to_string(),
            points: next("points-sha256")?.to_string(),
        };
        let prediction = Prediction {
            input,
            model,
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

    pub fn changes_from(&self, was: &Fingerprint) -> Vec<SettingChange> {
        was.fields()
            .into_iter()
            .zip(self.fields())
            .filter(|(was, now)| was.value != now.value)
            .map(|(was, now)| SettingChange {
                setting: now.setting,
                was: was.value,
                now: now.value,
            })
            .collect()
    }
}

/// How many of the fields, first, are the `Prediction` half's.
const PREDICTION_FIELDS: usize = 12;

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
pub(crate) mod tests {
    use super::*;

    /// A fingerprint with every field set to something recognisable.
    pub fn sample() -> Fingerprint {
        Fingerprint {
            prediction: Prediction {
                input: "3000000:0a1b".into(),
                model: Identity {
                    engine: Engine::OpenVino,
                    precision: Precision::Int8,
                    softmax_scale: 2.606,
                    prototxt: "aa11".into(),
                    caffemodel: "bb22".into(),
                    points: "cc33".into(),
                },
                width: Some(160),
                render_size: 224,
                exact: false,
                keyframe_interval: Interval::Every(3),
                start: 10,
            },
            finishing: Finishing {
                painter: 2,
                smooth: 0.5,
                saturation: 1.0,
                frame_format: Some("jpg".into()),
                hints: Some("ee44".into()),
            },
        }
    }

    #[test]
    fn the_text_on_disk_is_pinned_field_by_field() {
        assert_eq!(
            sample().to_text(),
            "input=3000000:0a1b\n\
             backend=openvino\n\
             precision=int8\n\
             softmax-scale=2.606\n\
             prototxt-sha256=aa11\n\
             caffemodel-sha256=bb22\n\
             points-sha256=cc33\n\
             width=160\n\
             render-size=224\n\
             exact=off\n\
             keyframe-interval=3\n\
             start=10\n\
             painter=2\n\
             smooth=0.5\n\
             saturation=1\n\
             frame-format=jpg\n\
             hints=ee44\n"
        );
    }

    #[test]
    fn the_halves_split_where_the_prediction_ends() {
        let f = sample();
        assert!(f.prediction_text().ends_with("start=10\n"));
        assert!(f.finishing_text().starts_with("painter=2\n"));
        assert_eq!(f.prediction_text() + &f.finishing_text(), f.to_text());
    }

    #[test]
    fn every_backend_precision_and_absent_value_has_its_own_spelling() {
        let mut f = sample();
        f.prediction.width = None;
        f.prediction.exact = true;
        f.finishing.frame_format = None;
        f.finishing.hints = None;
        let text = f.to_text();
        for line in ["width=none\n", "exact=on\n", "frame-format=none\n", "hints=none\n"] {
            assert!(text.contains(line), "{line} not in {text}");
        }
        for (engine, line) in [
            (Engine::OpenCv, "backend=opencv\n"),
            (Engine::OpenVino, "backend=openvino\n"),
            (Engine::Cuda { half: true }, "backend=cuda\n"),
            (Engine::Cuda { half: false }, "backend=cuda-fp32\n"),
        ] {
            f.prediction.model.engine = engine;
            let text = f.to_text();
            assert!(text.contains(line), "{line} not in {text}");
            assert_eq!(Fingerprint::parse(&text).unwrap(), f);
        }
        for (precision, line) in [
            (Precision::Float, "precision=float\n"),
            (Precision::Int8, "precision=int8\n"),
        ] {
            f.prediction.model.precision = precision;
            let text = f.to_text();
            assert!(text.contains(line), "{line} not in {text}");
            assert_eq!(Fingerprint::parse(&text).unwrap(), f);
        }
    }

    #[test]
    fn what_is_written_reads_back_and_nothing_else_does() {
        let f = sample();
        assert_eq!(Fingerprint::parse(&f.to_text()).unwrap(), f);
        let text = f.to_text();
        for broken in [
            text.replace("width=160", "width=Some(160)"),
            text.replace("backend=openvino", "backend=OpenVino"),
            text.replace("precision=int8\n", ""),
            text.replace("precision=int8", "precision=Int8"),
            text.replace("exact=off", "exact=false"),
            text.replace("smooth=0.5", "smooth=0.50"),
            text.replace("start=10\n", ""),
            format!("{text}hints=none\n"),
            text.replace("hints=ee44\n", ""),
            String::new(),
        ] {
            assert!(Fingerprint::parse(&broken).is_err(), "{broken}");
        }
    }

    #[test]
    fn a_change_names_the_setting_and_its_values() {
        let was = sample();
        let mut now = sample();
        now.prediction.width = None;
        now.prediction.model.caffemodel = "dd44".into();
        now.finishing.saturation = 1.5;
        let said: Vec<String> = now.changes_from(&was).iter().map(|c| c.to_string()).collect();
        assert_eq!(
            said,
            [
                "the model's weights changed",
                "--width was 160, now none",
                "--saturation was 1, now 1.5"
            ]
        );
        assert!(was.changes_from(&sample()).is_empty());
    }
}
