//! What identifies the network a run used: which, from which files, on which backend.

use super::engine::Engine;
use super::int8::Precision;
use crate::lab::Recipe;

/// What makes two runs' predictions comparable: the backend, the precision, and the network as used.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    pub engine: Engine,
    pub precision: Precision,
    pub network: Network,
}

/// The network as used: which, and the hex sha256 of its files as read.
#[derive(Clone, Debug, PartialEq)]
pub enum Network {
    Eccv16 {
        /// The softmax scale baked in for the temperature.
        softmax_scale: f32,
        prototxt: String,
        /// The weights as read, before baking.
        caffemodel: String,
        /// The colour points used.
        points: String,
    },
    DDColor {
        onnx: String,
    },
}

impl Network {
    /// Its name on the command line and in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Network::Eccv16 { .. } => "eccv16",
            Network::DDColor { .. } => "ddcolor",
        }
    }

    pub fn recipe(&self) -> Recipe {
        match self {
            Network::Eccv16 { .. } => Recipe::Eccv16,
            Network::DDColor { .. } => Recipe::DDColor,
        }
    }
}
