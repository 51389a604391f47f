//! The slice of Caffe's protobuf schema this project reads and writes, and baking the two fixed layers into a model.
//!
//! The released weights leave `class8_ab` (the a/b cluster centres) and `conv8_313_rh` (the softmax temperature)
//! empty: the recipe fills them through `Layer::set_blobs` after loading, which only the OpenCV backend honours.
//! Appending a second `layer` entry that carries the blobs makes them part of the model itself, so every backend
//! sees them. Protobuf concatenation appends to repeated fields, and OpenCV's importer takes a layer's blobs from
//! the first binary entry with that name that has any.

use anyhow::{bail, Result};
use prost::Message;

use super::points::Centres;

/// `conv8_313_rh` multiplies the logits by this before the softmax: the published prototxt's value, which stands
/// for the annealed-mean temperature T = 0.38 of Zhang et al. (section 3.2).
pub const SOFTMAX_SCALE: f32 = 2.606;

/// The temperature the published scale stands for.
pub const TEMPERATURE: f64 = 0.38;

/// The lowest temperature whose annealed mean stays finite. The softmax takes exp(s·z - max s·z), whose argument
/// is never above 0, so exp itself cannot overflow; what can is the product s·z, in f32 before the exp: once it
/// reaches ±inf, inf - inf is NaN and the pixel comes out white (every channel 255). With s = 2.606 x 0.38 / T
/// and |z| <= 65504, s·z stays below f32::MAX while T >= 2.606 x 0.38 x 65504 / f32::MAX = 1.906e-34, rounded up
/// here to a number a person can type. 65504, f16's largest finite value, bounds the logits of `conv8_313`: a
/// half-precision backend (`--backend cuda`) holds no larger one, so a model whose logits went past it would
/// already be broken there.
pub const MIN_TEMPERATURE: f64 = 2e-34;

/// The scale for an annealed-mean temperature: inversely proportional to it, and exactly the published value at
/// the default, so the default changes no pixel. Lower is more vivid (closer to the most likely colour), higher
/// more muted (closer to the mean of all).
pub fn softmax_scale(temperature: f64) -> f32 {
    if temperature == TEMPERATURE {
        SOFTMAX_SCALE
    } else {
        (f64::from(SOFTMAX_SCALE) * TEMPERATURE / temperature) as f32
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct NetParameter {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(message, repeated, tag = "100")]
    pub layer: Vec<LayerParameter>,
}

#[derive(Clone, PartialEq, Message)]
pub struct LayerParameter {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub r#type: Option<String>,
    #[prost(message, repeated, tag = "7")]
    pub blobs: Vec<BlobProto>,
}

#[derive(Clone, PartialEq, Message)]
pub struct BlobProto {
    #[prost(float, repeated, tag = "5")]
    pub data: Vec<f32>,
    #[prost(message, optional, tag = "7")]
    pub shape: Option<BlobShape>,
}

#[derive(Clone, PartialEq, Message)]
pub struct BlobShape {
    #[prost(int64, repeated, tag = "1")]
    pub dim: Vec<i64>,
}

impl BlobProto {
    pub fn new(dims: &[i64], data: Vec<f32>) -> Self {
        debug_assert_eq!(dims.iter().product::<i64>() as usize, data.len());
        BlobProto {
            data,
            shape: Some(BlobShape { dim: dims.to_vec() }),
        }
    }
}

impl LayerParameter {
    pub fn new(name: &str, kind: &str, blobs: Vec<BlobProto>) -> Self {
        LayerParameter {
            name: Some(name.into()),
            r#type: Some(kind.into()),
            blobs,
        }
    }
}

/// The blobs the recipe injects, as layers: `class8_ab` gets the centres as a (2, 313, 1, 1) convolution
/// (all a values, then all b values), `conv8_313_rh` a 1x313 scale (the recipe's 2.606).
pub fn fixed_layers(centres: &Centres, scale: f32) -> Vec<LayerParameter> {
    let ab: Vec<f32> = (0..2).flat_map(|c| centres.iter().map(move |p| p[c])).collect();
    vec![
        LayerParameter::new("class8_ab", "Convolution", vec![BlobProto::new(&[2, 313, 1, 1], ab)]),
        LayerParameter::new(
            "conv8_313_rh",
            "Scale",
            vec![BlobProto::new(&[1, 313], vec![scale; 313])],
        ),
    ]
}

/// Returns the caffemodel with the fixed layers appended. Walks the top-level wire format first so that a
/// truncated or foreign file is refused here, in one sentence, instead of deep inside OpenCV.
pub fn bake_fixed_layers(mut caffemodel: Vec<u8>, centres: &Centres, scale: f32) -> Result<Vec<u8>> {
    check_wire_format(&caffemodel)?;
    let extra = NetParameter {
        name: None,
        layer: fixed_layers(centres, scale),
    };
    extra.encode(&mut caffemodel)?;
    Ok(caffemodel)
}

/// Checks that `bytes` is a sequence of well-formed protobuf fields that holds at least one layer.
fn check_wire_format(bytes: &[u8]) -> Result<()> {
    let mut rest = bytes;
    let mut layers = 0usize;
    while !rest.is_empty() {
        let key = varint(&mut rest).ok_or_else(truncated)?;
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                varint(&mut rest).ok_or_else(truncated)?;
            }
            1 | 5 => {
                let n = if wire == 1 { 8 } else { 4 };
                rest = rest.get(n..).ok_or_else(truncated)?;
            }
            2 => {
                let len = varint(&mut rest).ok_or_else(truncated)?;
                let len = usize::try_from(len)
                    .ok()
                    .filter(|&l| l <= rest.len())
                    .ok_or_else(truncated)?;
                rest = &rest[len..];
                if field == 100 || field == 2 {
                    layers += 1;
                }
            }
            _ => bail!("not a Caffe model (unexpected protobuf wire type {wire})"),
        }
        if field == 0 {
            bail!("not a Caffe model (protobuf field number 0)");
        }
    }
    if layers == 0 {
        bail!("not a Caffe model (it holds no layers)");
    }
    Ok(())
}

fn truncated() -> anyhow::Error {
    anyhow::anyhow!("the file ends in the middle of a record: it is truncated or not a Caffe model (download it again)")
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::points::CENTRES;

    #[test]
    fn the_default_temperature_bakes_the_published_scale_and_lower_is_sharper() {
        assert_eq!(softmax_scale(TEMPERATURE), SOFTMAX_SCALE);
        let scales: Vec<f32> = [0.2, 0.38, 0.7, 1.0].map(softmax_scale).to_vec();
        assert!(scales.windows(2).all(|w| w[0] > w[1]), "{scales:?}");
        assert!((softmax_scale(1.0) - 0.99028).abs() < 1e-5);
    }

    /// f16's largest finite value, the bound on the logits `MIN_TEMPERATURE` is derived from.
    const LARGEST_LOGIT: f64 = 65504.0;

    #[test]
    fn at_the_lowest_temperature_the_largest_logit_scales_to_a_finite_f32() {
        let derived = f64::from(SOFTMAX_SCALE) * TEMPERATURE * LARGEST_LOGIT / f64::from(f32::MAX);
        assert!(
            MIN_TEMPERATURE >= derived && MIN_TEMPERATURE < derived * 1.1,
            "{derived:e}"
        );
        let scale = softmax_scale(MIN_TEMPERATURE);
        assert!((scale * LARGEST_LOGIT as f32).is_finite(), "{scale}");
        assert!((-scale * LARGEST_LOGIT as f32).is_finite(), "{scale}");
        // Below the derived bound the same logit overflows: the bound is where it must be.
        let below = softmax_scale(derived * 0.99);
        assert!((below * LARGEST_LOGIT as f32).is_infinite(), "{below}");
    }

    fn small_model() -> Vec<u8> {
        let layer = LayerParameter::new("conv", "Convolution", vec![BlobProto::new(&[1, 1, 1, 1], vec![0.5])]);
        NetParameter {
            name: Some("n".into()),
            layer: vec![layer],
        }
        .encode_to_vec()
    }

    #[test]
    fn baked_model_decodes_with_the_fixed_blobs_appended() {
        let baked = bake_fixed_layers(small_model(), &CENTRES, SOFTMAX_SCALE).unwrap();
        let net = NetParameter::decode(baked.as_slice()).unwrap();
        let names: Vec<_> = net.layer.iter().map(|l| l.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["conv", "class8_ab", "conv8_313_rh"]);
        let ab = &net.layer[1].blobs[0];
        assert_eq!(ab.shape.as_ref().unwrap().dim, [2, 313, 1, 1]);
        // First the a of every centre, then the b of every centre.
        assert_eq!((ab.data[0], ab.data[313]), (CENTRES[0][0], CENTRES[0][1]));
        assert_eq!((ab.data[312], ab.data[625]), (CENTRES[312][0], CENTRES[312][1]));
        assert!(net.layer[2].blobs[0].data.iter().all(|&s| s == SOFTMAX_SCALE));
    }

    #[test]
    fn truncated_model_is_refused() {
        let model = small_model();
        let err = bake_fixed_layers(model[..model.len() - 3].to_vec(), &CENTRES, SOFTMAX_SCALE).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn foreign_files_are_refused() {
        assert!(bake_fixed_layers(b"\x89PNG\r\n\x1a\n".to_vec(), &CENTRES, SOFTMAX_SCALE).is_err());
        assert!(bake_fixed_layers(Vec::new(), &CENTRES, SOFTMAX_SCALE).is_err());
    }
}
