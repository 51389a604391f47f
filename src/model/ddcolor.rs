//! DDColor (Kang et al., ICCV 2023) from its ONNX export: read, and its graph checked before OpenCV sees it.

use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use super::files::hex;
use super::identity::Network;
use super::onnx;

/// The file's name in the model folder when `--onnx` does not name it.
pub const ONNX: &str = "ddcolor.onnx";

/// The network as OpenCV reads it, what identifies it, and what colorize must know of its graph.
pub struct Read {
    pub bytes: Vec<u8>,
    pub network: Network,
    pub graph: onnx::Graph,
}

pub fn read(path: &Path) -> Result<Read> {
    if !path.is_file() {
        anyhow::bail!(
            "DDColor's ONNX file not found at {} (`colorize fetch-model --model ddcolor` prints the steps that make \
             it from DDColor's published weights; or name it with --onnx)",
            path.display()
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let graph =
        onnx::inspect(&bytes).with_context(|| format!("{} is not a DDColor file colorize can use", path.display()))?;
    let network = Network::DDColor {
        onnx: hex(&Sha256::digest(&bytes)),
    };
    Ok(Read { bytes, network, graph })
}
