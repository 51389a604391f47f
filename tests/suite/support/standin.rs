//! Stand-in models: the architecture of colorization_deploy_v2.prototxt with seeded random weights.
//!
//! No released weights exist on the machines that build this project, so tests and benchmarks write their own:
//! the same layer names, types and blob shapes, and, like the release, no blobs for `class8_ab` and
//! `conv8_313_rh`. `Width::Full` costs exactly what the real network costs; `Width::Narrow` keeps every layer
//! but an eighth of the channels, so a forward pass takes milliseconds.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use colorize::model::caffe::{BlobProto, LayerParameter, NetParameter};
use prost::Message;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    Full,
    Narrow,
}

enum Kind {
    Input,
    Conv {
        out: i64,
        kernel: i64,
        pad: i64,
        stride: i64,
        dilation: i64,
    },
    Deconv {
        out: i64,
        kernel: i64,
        pad: i64,
        stride: i64,
    },
    Relu,
    BatchNorm,
    Scale,
    Softmax,
    Silence,
}

struct Layer {
    name: &'static str,
    bottom: &'static str,
    top: &'static str,
    kind: Kind,
}

/// (stage, convolutions, channels, stride of the last, dilation) of the encoder, then the decoder.
const STAGES: [(u8, usize, i64, i64, i64); 7] = [
    (1, 2, 64, 2, 1),
    (2, 2, 128, 2, 1),
    (3, 3, 256, 2, 1),
    (4, 3, 512, 1, 1),
    (5, 3, 512, 1, 2),
    (6, 3, 512, 1, 2),
    (7, 3, 512, 1, 1),
];

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn layers(width: Width) -> Vec<Layer> {
    let ch = |c: i64| if width == Width::Full { c } else { c / 8 };
    let mut out = vec![Layer {
        name: "data_l",
        bottom: "",
        top: "data_l",
        kind: Kind::Input,
    }];
    let mut bottom = "data_l";
    for (stage, convs, channels, last_stride, dilation) in STAGES {
        for i in 1..=convs {
            let top = leak(format!("conv{stage}_{i}"));
            // The release names its first convolution bw_conv1_1; its output blob is still conv1_1.
            let name = if top == "conv1_1" { "bw_conv1_1" } else { top };
            let stride = if i == convs { last_stride } else { 1 };
            let kind = Kind::Conv {
                out: ch(channels),
                kernel: 3,
                pad: dilation,
                stride,
                dilation,
            };
            out.push(Layer {
                name,
                bottom,
                top,
                kind,
            });
            out.push(Layer {
                name: leak(format!("relu{stage}_{i}")),
                bottom: top,
                top,
                kind: Kind::Relu,
            });
            bottom = top;
        }
        let norm = leak(format!("{bottom}norm"));
        out.push(Layer {
            name: norm,
            bottom,
            top: norm,
            kind: Kind::BatchNorm,
        });
        bottom = norm;
    }
    let deconv = Kind::Deconv {
        out: ch(256),
        kernel: 4,
        pad: 1,
        stride: 2,
    };
    out.push(Layer {
        name: "conv8_1",
        bottom,
        top: "conv8_1",
        kind: deconv,
    });
    out.push(Layer {
        name: "relu8_1",
        bottom: "conv8_1",
        top: "conv8_1",
        kind: Kind::Relu,
    });
    for (name, prev, relu) in [("conv8_2", "conv8_1", "relu8_2"), ("conv8_3", "conv8_2", "relu8_3")] {
        let kind = Kind::Conv {
            out: ch(256),
            kernel: 3,
            pad: 1,
            stride: 1,
            dilation: 1,
        };
        out.push(Layer {
            name,
            bottom: prev,
            top: name,
            kind,
        });
        out.push(Layer {
            name: relu,
            bottom: name,
            top: name,
            kind: Kind::Relu,
        });
    }
    let logits = Kind::Conv {
        out: 313,
        kernel: 1,
        pad: 0,
        stride: 1,
        dilation: 1,
    };
    out.push(Layer {
        name: "conv8_313",
        bottom: "conv8_3",
        top: "conv8_313",
        kind: logits,
    });
    out.push(Layer {
        name: "conv8_313_rh",
        bottom: "conv8_313",
        top: "conv8_313_rh",
        kind: Kind::Scale,
    });
    out.push(Layer {
        name: "class8_313_rh",
        bottom: "conv8_313_rh",
        top: "class8_313_rh",
        kind: Kind::Softmax,
    });
    let decode = Kind::Conv {
        out: 2,
        kernel: 1,
        pad: 0,
        stride: 1,
        dilation: 1,
    };
    out.push(Layer {
        name: "class8_ab",
        bottom: "class8_313_rh",
        top: "class8_ab",
        kind: decode,
    });
    out.push(Layer {
        name: "Silence",
        bottom: "class8_ab",
        top: "",
        kind: Kind::Silence,
    });
    out
}

/// The prototxt for `width`, in the layout of the published one.
pub fn prototxt(width: Width) -> String {
    let mut s = String::from("name: \"LtoAB\"\n");
    for l in layers(width) {
        let kind = match l.kind {
            Kind::Input => "Input",
            Kind::Conv { .. } => "Convolution",
            Kind::Deconv { .. } => "Deconvolution",
            Kind::Relu => "ReLU",
            Kind::BatchNorm => "BatchNorm",
            Kind::Scale => "Scale",
            Kind::Softmax => "Softmax",
            Kind::Silence => "Silence",
        };
        let _ = writeln!(s, "layer {{\n  name: \"{}\"\n  type: \"{kind}\"", l.name);
        if !l.bottom.is_empty() {
            let _ = writeln!(s, "  bottom: \"{}\"", l.bottom);
        }
        if !l.top.is_empty() {
            let _ = writeln!(s, "  top: \"{}\"", l.top);
        }
        match l.kind {
            Kind::Input => s.push_str("  input_param { shape { dim: 1 dim: 1 dim: 224 dim: 224 } }\n"),
            Kind::Conv {
                out,
                kernel,
                pad,
                stride,
                dilation,
            } => {
                let _ = writeln!(s, "  convolution_param {{ num_output: {out} kernel_size: {kernel} pad: {pad} stride: {stride} dilation: {dilation} }}");
            }
            Kind::Deconv {
                out,
                kernel,
                pad,
                stride,
            } => {
                let _ = writeln!(s, "  convolution_param {{ num_output: {out} kernel_size: {kernel} pad: {pad} stride: {stride} dilation: 1 }}");
            }
            Kind::Scale => s.push_str("  scale_param { bias_term: false filler { type: 'constant' value: 2.606 } }\n"),
            _ => {}
        }
        s.push_str("}\n");
    }
    s
}

/// splitmix64 and Box-Muller: a seeded normal source, so every run writes the same model.
struct Normal(u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn sample(&mut self, std: f64) -> f32 {
        let (u, v) = (1.0 - self.uniform(), self.uniform());
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos() * std) as f32
    }

    fn blob(&mut self, dims: &[i64], std: f64) -> BlobProto {
        let n = dims.iter().product::<i64>() as usize;
        BlobProto::new(dims, (0..n).map(|_| self.sample(std)).collect())
    }
}

/// The caffemodel for `width`: He-initialised convolutions (so activations stay near unit scale), identity
/// batch norms, and nothing for the two layers the caller must fill.
pub fn caffemodel(width: Width, seed: u64) -> Vec<u8> {
    let mut rng = Normal(seed);
    let mut channels = 1i64;
    let mut net = NetParameter {
        name: Some("LtoAB".into()),
        layer: Vec::new(),
    };
    for l in layers(width) {
        let blobs = match l.kind {
            Kind::Conv { out, kernel, .. } if l.name != "class8_ab" => {
                let fan_in = (channels * kernel * kernel) as f64;
                // L - 50 spans about +-50: scale the first layer down so its output is near unit scale too.
                let gain = if l.name == "bw_conv1_1" { 2.0 / 900.0 } else { 2.0 };
                let w = rng.blob(&[out, channels, kernel, kernel], (gain / fan_in).sqrt());
                let b = rng.blob(&[out], 0.1);
                channels = out;
                vec![w, b]
            }
            Kind::Deconv {
                out, kernel, stride, ..
            } => {
                let fan_in = (channels * (kernel / stride) * (kernel / stride)) as f64;
                let w = rng.blob(&[channels, out, kernel, kernel], (2.0 / fan_in).sqrt());
                let b = rng.blob(&[out], 0.1);
                channels = out;
                vec![w, b]
            }
            Kind::BatchNorm => {
                let c = channels as usize;
                vec![
                    BlobProto::new(&[channels], vec![0.0; c]),
                    BlobProto::new(&[channels], vec![1.0; c]),
                    BlobProto::new(&[1], vec![1.0]),
                ]
            }
            _ => Vec::new(),
        };
        let kind = match l.kind {
            Kind::Conv { .. } => "Convolution",
            Kind::Deconv { .. } => "Deconvolution",
            Kind::BatchNorm => "BatchNorm",
            _ => continue,
        };
        net.layer.push(LayerParameter::new(l.name, kind, blobs));
    }
    net.encode_to_vec()
}

/// Writes `colorization_deploy_v2.prototxt` and `colorization_release_v2.caffemodel` into `dir`.
pub fn write(dir: &Path, width: Width) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let prototxt_path = dir.join("colorization_deploy_v2.prototxt");
    let model_path = dir.join("colorization_release_v2.caffemodel");
    std::fs::write(&prototxt_path, prototxt(width)).unwrap();
    std::fs::write(&model_path, caffemodel(width, 2016)).unwrap();
    (prototxt_path, model_path)
}
