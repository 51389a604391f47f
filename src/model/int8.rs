//! The int8 network (`--precision int8`): the network's trunk, every convolution up to the logits, quantized to
//! 8-bit integers by OpenCV's `Net::quantize`, calibrated on pictures colorize makes itself (`calibration.rs`);
//! the head that turns the trunk's features into colour (the logits, their scale, the softmax over 313 colours
//! and the annealed mean) stays in float32.
//!
//! The head stays float because quantizing it costs what int8 is allowed to cost and more: OpenCV quantizes a
//! softmax's output in steps of 1/256 and the logits before it in steps of a tenth of a unit, which the scale of
//! 2.606 turns into about ±20 % on each colour's probability; on the full-size stand-in the whole network in int8
//! came out 37.3 dB from `--exact` on ../shared/media/photos, the trunk alone 40.8 dB on the same calibration. The
//! head is 0.7 % of the network's operations.

use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use opencv::core::{Mat, Vector, CV_32F};
use opencv::dnn;
use opencv::prelude::*;

use super::calibration;

/// The arithmetic the network runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    /// The backend's own: float32, or bfloat16 where OpenVINO finds the CPU computes in it, or half on a GPU.
    Float,
    /// The trunk in 8-bit integers, the head in float32.
    Int8,
}

impl Precision {
    /// Its name in records and messages, which `named` reads back.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Float => "float",
            Precision::Int8 => "int8",
        }
    }

    pub fn named(name: &str) -> Option<Precision> {
        match name {
            "float" => Some(Precision::Float),
            "int8" => Some(Precision::Int8),
            _ => None,
        }
    }
}

/// The prototxt (read from `path`) cut for the int8 network when `precision` asks for it.
pub fn split_for(prototxt: &[u8], precision: Precision, path: &Path) -> Result<Option<Split>> {
    match precision {
        Precision::Float => Ok(None),
        Precision::Int8 => Split::new(prototxt)
            .map(Some)
            .with_context(|| format!("prototxt {} has no int8 network", path.display())),
    }
}

/// The layer the head starts at: the logits over the 313 colours.
const HEAD: &str = "conv8_313";

/// The prototxt cut in two where the head starts, and the pictures the trunk is calibrated on.
pub struct Split {
    trunk: Vector<u8>,
    head: Vector<u8>,
    calibration: Mat,
}

impl Split {
    /// Cuts `prototxt` before the layer named `conv8_313`: the trunk is every layer before it; the head is an
    /// input standing for the blob that layer reads, then that layer and every one after it.
    pub fn new(prototxt: &[u8]) -> Result<Split> {
        let text = std::str::from_utf8(prototxt).context("it is not text")?;
        let layers = layers(text)?;
        let Some(head) = layers.iter().find(|l| l.name.as_deref() == Some(HEAD)) else {
            bail!("it has no layer named {HEAD}, where the int8 network's float head starts");
        };
        let [bottom] = head.bottoms.as_slice() else {
            bail!("its layer {HEAD} reads {} blobs, not one", head.bottoms.len());
        };
        let input = format!("layer {{\n  name: \"int8_trunk\"\n  type: \"Input\"\n  top: \"{bottom}\"\n}}\n");
        Ok(Split {
            trunk: Vector::from_slice(&text.as_bytes()[..head.start]),
            head: Vector::from_slice((input + &text[head.start..]).as_bytes()),
            calibration: calibration::blob()?,
        })
    }

    /// The trunk, quantized and set to run on `backend`, and the head on OpenCV's own float32 backend.
    pub fn build(&self, caffemodel: &Vector<u8>, backend: dnn::Backend) -> Result<(Trunk, dnn::Net)> {
        let said = |what: &'static str| {
            move |e: opencv::Error| anyhow::anyhow!("{what}: {}", super::colorizer::opencv_message(&e))
        };
        let mut float = dnn::read_net_from_caffe_buffer(&self.trunk, caffemodel).map_err(said("the trunk"))?;
        // Per channel: one scale for each convolution's output channel; per tensor measured 4 dB further from
        // --exact on the full-size stand-in.
        let mut net = float
            .quantize(&self.calibration, CV_32F, CV_32F, true)
            .map_err(said("OpenCV cannot quantize the trunk"))?;
        let outputs = net.get_unconnected_out_layers_names()?;
        ensure!(
            outputs.len() == 1,
            "the network before {HEAD} ends in {} blobs, not one",
            outputs.len()
        );
        net.set_preferable_backend(backend as i32)?;
        net.set_preferable_target(dnn::Target::DNN_TARGET_CPU as i32)?;
        let mut head = dnn::read_net_from_caffe_buffer(&self.head, caffemodel).map_err(said("the head"))?;
        head.set_preferable_backend(dnn::Backend::DNN_BACKEND_OPENCV as i32)?;
        head.set_preferable_target(dnn::Target::DNN_TARGET_CPU as i32)?;
        Ok((Trunk { net }, head))
    }
}

/// The quantized trunk: takes the network's input, gives the head's (in float32).
pub struct Trunk {
    net: dnn::Net,
}

impl Trunk {
    pub fn run(&mut self, input: &Mat) -> opencv::Result<Mat> {
        self.net.set_input_def(input)?;
        self.net.forward_single_def()
    }
}

/// A top-level `layer { ... }` of a prototxt: where it starts, its name and the blobs it reads.
#[derive(Debug, PartialEq)]
struct Layer {
    start: usize,
    name: Option<String>,
    bottoms: Vec<String>,
}

/// A piece of protobuf text format, with where it starts.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Word(&'a str),
    Text(String),
    Open,
    Close,
    Colon,
}

/// The layers of a prototxt, in order. Reads protobuf's text format as far as telling blocks, fields and quoted
/// strings (with their escapes) apart, comments skipped; what the fields mean is OpenCV's to read.
fn layers(text: &str) -> Result<Vec<Layer>> {
    let tokens = tokens(text)?;
    let mut layers = Vec::new();
    let mut depth = 0usize;
    for (i, (at, token)) in tokens.iter().enumerate() {
        match token {
            Token::Open => depth += 1,
            Token::Close => depth = depth.checked_sub(1).context("a } closes no block")?,
            Token::Word(word) if depth == 0 && *word == "layer" => layers.push(Layer {
                start: *at,
                name: None,
                bottoms: Vec::new(),
            }),
            Token::Word(field) if depth == 1 => {
                let (Some(Token::Colon), Some(Token::Text(value))) =
                    (tokens.get(i + 1).map(|t| &t.1), tokens.get(i + 2).map(|t| &t.1))
                else {
                    continue;
                };
                let Some(layer) = layers.last_mut() else {
                    continue;
                };
                match *field {
                    "name" => layer.name = Some(value.clone()),
                    "bottom" => layer.bottoms.push(value.clone()),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    ensure!(depth == 0, "a block is not closed");
    Ok(layers)
}

fn tokens(text: &str) -> Result<Vec<(usize, Token<'_>)>> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '#' => while chars.next_if(|&(_, c)| c != '\n').is_some() {},
            '{' | '<' => tokens.push((at, Token::Open)),
            '}' | '>' => tokens.push((at, Token::Close)),
            ':' => tokens.push((at, Token::Colon)),
            '"' | '\'' => {
                let mut value = String::new();
                loop {
                    let (_, next) = chars.next().context("a quoted string is not closed")?;
                    match next {
                        '\\' => value.push(chars.next().context("a quoted string is not closed")?.1),
                        _ if next == c => break,
                        _ => value.push(next),
                    }
                }
                tokens.push((at, Token::Text(value)));
            }
            _ if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' => {
                let mut end = at + c.len_utf8();
                while let Some((i, c)) = chars.next_if(|&(_, c)| c.is_alphanumeric() || "_-.+".contains(c)) {
                    end = i + c.len_utf8();
                }
                tokens.push((at, Token::Word(&text[at..end])));
            }
            _ => {}
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = r#"name: "LtoAB"  # a comment with a { brace
layer {
  name: "data_l"
  type: "Input"
  top: "data_l"
  input_param { shape { dim: 1 dim: 1 dim: 224 dim: 224 } }
}
layer {
  name: 'conv8_3'
  type: "Convolution"
  bottom: "data_l"
  top: "conv8_3"
  param { lr_mult: 0 }
  convolution_param { num_output: 4 kernel_size: 1 }
}
layer {
  name: "conv8_313"
  type: "Convolution"
  bottom: "conv8_3"  # } not a brace
  top: "conv8_313"
  convolution_param { num_output: 313 kernel_size: 1 }
}
layer { name: "class8_ab" type: "Convolution" bottom: "conv8_313" top: "class8_ab" }
"#;

    #[test]
    fn layers_are_read_with_their_names_and_inputs_whatever_the_quotes_and_comments() {
        let found = layers(NET).unwrap();
        let names: Vec<_> = found.iter().map(|l| l.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["data_l", "conv8_3", "conv8_313", "class8_ab"]);
        assert_eq!(found[2].bottoms, ["conv8_3"]);
        assert!(NET[found[2].start..].starts_with("layer {\n  name: \"conv8_313\""));
        assert!(found[0].bottoms.is_empty());
        // A field named inside a nested block is not the layer's.
        assert_eq!(
            layers("layer { p { name: \"x\" } name: \"y\" }").unwrap()[0]
                .name
                .as_deref(),
            Some("y")
        );
        assert_eq!(
            layers(r#"layer { name: "a\"b" }"#).unwrap()[0].name.as_deref(),
            Some("a\"b")
        );
    }

    #[test]
    fn the_prototxt_is_cut_where_the_head_starts_and_the_head_reads_the_trunks_blob() {
        let split = Split::new(NET.as_bytes()).unwrap();
        let trunk = String::from_utf8(split.trunk.to_vec()).unwrap();
        let head = String::from_utf8(split.head.to_vec()).unwrap();
        assert!(trunk
            .trim_end()
            .ends_with("convolution_param { num_output: 4 kernel_size: 1 }\n}"));
        assert!(!trunk.contains("conv8_313"));
        assert!(head.starts_with("layer {\n  name: \"int8_trunk\"\n  type: \"Input\"\n  top: \"conv8_3\"\n}\n"));
        assert!(head.ends_with(&NET[NET.find("layer {\n  name: \"conv8_313\"").unwrap()..]));
    }

    #[test]
    fn a_prototxt_the_int8_network_cannot_be_cut_from_is_refused_in_words() {
        for (text, said) in [
            ("layer { name: \"conv8_3\" }", "no layer named conv8_313"),
            (
                "layer { name: \"conv8_313\" bottom: \"a\" bottom: \"b\" }",
                "reads 2 blobs",
            ),
            ("layer { name: \"conv8_313\" bottom: \"a\" ", "not closed"),
            ("layer { name: \"conv8_313 }", "not closed"),
            ("} layer {", "closes no block"),
        ] {
            let err = Split::new(text.as_bytes()).err().unwrap().to_string();
            assert!(err.contains(said), "{text}: {err}");
        }
        assert!(Split::new(b"\xff\xfe").is_err());
    }

    #[test]
    fn precisions_read_back_by_the_names_they_are_recorded_under() {
        for precision in [Precision::Float, Precision::Int8] {
            assert_eq!(Precision::named(precision.name()), Some(precision));
        }
        assert_eq!(Precision::named("Int8"), None);
    }
}
