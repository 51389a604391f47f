//! Zhang et al.'s 2016 network from its Caffe files: read, checked, and the two fixed layers baked in.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use super::files::{self, hex, CAFFEMODEL, POINTS, PROTOTXT};
use super::identity::Network;
use super::{caffe, points};

/// Where the three files are: named explicitly, or by their published names in the model folder.
#[derive(Clone, Debug)]
pub struct CaffeFiles {
    pub prototxt: PathBuf,
    pub caffemodel: PathBuf,
    /// Optional: the centres are built in, and a points file only overrides them.
    pub points: Option<PathBuf>,
}

impl CaffeFiles {
    pub fn locate(dir: &Path, prototxt: Option<PathBuf>, caffemodel: Option<PathBuf>, points: Option<PathBuf>) -> Self {
        let default_points = dir.join(POINTS);
        CaffeFiles {
            prototxt: prototxt.unwrap_or_else(|| dir.join(PROTOTXT)),
            caffemodel: caffemodel.unwrap_or_else(|| dir.join(CAFFEMODEL)),
            points: points.or_else(|| default_points.exists().then_some(default_points)),
        }
    }
}

/// The network as OpenCV reads it, what identifies it, and warnings for the user.
pub struct Read {
    pub prototxt: Vec<u8>,
    pub caffemodel: Vec<u8>,
    pub network: Network,
    pub notes: Vec<String>,
}

/// Reads and checks the files and bakes in the fixed layers, the softmax scale for `temperature` included.
pub fn read(files: &CaffeFiles, temperature: f64) -> Result<Read> {
    for (path, what) in [(&files.prototxt, "prototxt"), (&files.caffemodel, "caffemodel")] {
        if !path.is_file() {
            bail!(
                "model {what} not found at {} (run `colorize fetch-model --dir {}`, see model/README.md, \
                 or name the files with --prototxt/--caffemodel)",
                path.display(),
                path.parent().map_or(".".into(), |p| p.display().to_string())
            );
        }
    }
    let prototxt =
        std::fs::read(&files.prototxt).with_context(|| format!("cannot read {}", files.prototxt.display()))?;
    check_prototxt(&prototxt).with_context(|| format!("prototxt {} is unusable", files.prototxt.display()))?;
    let centres = match &files.points {
        Some(path) => points::read(path)?,
        None => points::CENTRES,
    };
    let weights =
        std::fs::read(&files.caffemodel).with_context(|| format!("cannot read {}", files.caffemodel.display()))?;
    let weights_digest = hex(&Sha256::digest(&weights));
    let notes = release_check(&files.caffemodel, weights.len() as u64, &weights_digest)
        .into_iter()
        .collect();
    let scale = caffe::softmax_scale(temperature);
    let centres_bytes: Vec<u8> = centres.as_flattened().iter().flat_map(|v| v.to_le_bytes()).collect();
    let network = Network::Eccv16 {
        softmax_scale: scale,
        prototxt: hex(&Sha256::digest(&prototxt)),
        caffemodel: weights_digest,
        points: hex(&Sha256::digest(&centres_bytes)),
    };
    let caffemodel = caffe::bake_fixed_layers(weights, &centres, scale)
        .with_context(|| format!("caffemodel {} is unusable", files.caffemodel.display()))?;
    Ok(Read {
        prototxt,
        caffemodel,
        network,
        notes,
    })
}

/// A warning when the weights are not the published v2 release. Other releases of the same network (such as
/// colorization_release_v2_norebal.caffemodel) are legitimate, so this never stops the run.
fn release_check(path: &Path, size: u64, sha256: &str) -> Option<String> {
    let release = files::ModelFile::named(CAFFEMODEL)?.expected;
    (size != release.size || sha256 != release.sha256).then(|| {
        format!(
            "warning: {} is not the published {CAFFEMODEL} ({size} bytes, expected {}); using it as given",
            path.display(),
            release.size
        )
    })
}

fn check_prototxt(text: &[u8]) -> Result<()> {
    let text = std::str::from_utf8(text).context("it is not text")?;
    for layer in ["class8_ab", "conv8_313_rh", "data_l"] {
        if !text.contains(&format!("\"{layer}\"")) {
            bail!("it has no layer named {layer}; is it the colorization_deploy_v2 prototxt?");
        }
    }
    Ok(())
}
