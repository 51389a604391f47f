//! The network: finds and checks the model files, bakes in the fixed layers, and runs forward passes.
//! The only module that touches OpenCV's dnn.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, ensure, Context, Result};
use opencv::core::{Mat, Vector};
use opencv::dnn;
use opencv::prelude::*;
use sha2::{Digest, Sha256};

use crate::lab;
use files::{hex, CAFFEMODEL, POINTS, PROTOTXT};

pub mod caffe;
mod calibration;
mod engine;
pub mod entropy;
pub mod files;
mod int8;
pub mod points;
mod speed;

pub use engine::{choose_engine, Available, BackendChoice, Cuda, Engine, Pick};
pub use entropy::Uncertainty;
pub use int8::Precision;

/// Where the three model files are: named explicitly, or by their published names in the model folder.
#[derive(Clone, Debug)]
pub struct ModelFiles {
    pub prototxt: PathBuf,
    pub caffemodel: PathBuf,
    /// Optional: the centres are built in, and a points file only overrides them.
    pub points: Option<PathBuf>,
}

impl ModelFiles {
    pub fn locate(dir: &Path, prototxt: Option<PathBuf>, caffemodel: Option<PathBuf>, points: Option<PathBuf>) -> Self {
        let default_points = dir.join(POINTS);
        ModelFiles {
            prototxt: prototxt.unwrap_or_else(|| dir.join(PROTOTXT)),
            caffemodel: caffemodel.unwrap_or_else(|| dir.join(CAFFEMODEL)),
            points: points.or_else(|| default_points.exists().then_some(default_points)),
        }
    }
}

/// What makes two runs' predictions comparable: the backend, and the model as used (its files' digests and the
/// softmax scale baked in for the temperature).
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    pub engine: Engine,
    pub precision: Precision,
    pub softmax_scale: f32,
    /// Hex sha256 of the prototxt, of the weights as read (before baking) and of the colour points used.
    pub prototxt: String,
    pub caffemodel: String,
    pub points: String,
}

/// What a run asks of each forward pass: the colour, or the colour and the network's uncertainty (a review page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Predicts {
    Colour,
    ColourAndUncertainty,
}

/// The model, read and checked once; each worker makes its own `Colorizer` from it.
pub struct Model {
    prototxt: Vector<u8>,
    caffemodel: Vector<u8>,
    description: String,
    identity: Identity,
    /// Warnings for the user, such as weights other than the published release.
    pub notes: Vec<String>,
    /// Which backend `auto` chose on this CPU, and why.
    pub chosen: Option<String>,
    /// The prototxt cut for the int8 network, when the run asks for it.
    int8: Option<int8::Split>,
    /// The network `load` ran once to check the model: the first worker gets it, already built (and compiled, for
    /// OpenVINO), so a run builds no network twice.
    checked: Mutex<Option<Colorizer>>,
}

impl Model {
    /// Reads and checks the model files and bakes in the fixed layers, the softmax scale for `temperature` included.
    pub fn load(files: &ModelFiles, engine: Engine, temperature: f64) -> Result<Model> {
        Model::load_for(
            files,
            Pick::Engine(engine),
            Precision::Float,
            temperature,
            Predicts::Colour,
        )
    }

    /// `load`, with the network checked for what the run will ask of it: a backend that compiles the
    /// network (OpenVINO) compiles it for its outputs, so asking for more later would compile it again.
    pub fn load_for(
        files: &ModelFiles,
        pick: Pick,
        precision: Precision,
        temperature: f64,
        predicts: Predicts,
    ) -> Result<Model> {
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
        let identity = Identity {
            engine: pick.until_measured(),
            precision,
            softmax_scale: scale,
            prototxt: hex(&Sha256::digest(&prototxt)),
            caffemodel: weights_digest,
            points: hex(&Sha256::digest(&centres_bytes)),
        };
        let baked = caffe::bake_fixed_layers(weights, &centres, scale)
            .with_context(|| format!("caffemodel {} is unusable", files.caffemodel.display()))?;
        let mut model = Model {
            prototxt: Vector::from_slice(&prototxt),
            caffemodel: Vector::from_slice(&baked),
            description: format!("{} + {}", files.prototxt.display(), files.caffemodel.display()),
            identity,
            notes,
            chosen: None,
            int8: int8_split(&prototxt, precision, &files.prototxt)?,
            checked: Mutex::new(None),
        };
        if pick == Pick::FasterCpu {
            model.take_the_faster_cpu_backend()?;
        }
        model.check(predicts)?;
        Ok(model)
    }

    /// Measures which CPU backend runs this model (at its precision) faster here, or reads it from the cache.
    fn take_the_faster_cpu_backend(&mut self) -> Result<()> {
        let key = speed::key(
            &self.identity.prototxt,
            &self.identity.caffemodel,
            self.identity.precision,
        );
        let (engine, why) = speed::faster(&key, |engine| self.seconds_a_pass(engine))?;
        self.identity.engine = engine;
        self.chosen = Some(why);
        Ok(())
    }

    /// Builds and runs one network now, so that a model OpenCV (or OpenVINO, which compiles the network on its
    /// first pass) rejects fails before any output is touched; the network is the first worker's.
    fn check(&self, predicts: Predicts) -> Result<()> {
        let blank = blank(8)?;
        let mut checked = self.colorizer()?;
        match predicts {
            Predicts::Colour => drop(checked.predict(&blank)?),
            Predicts::ColourAndUncertainty => drop(checked.predict_batch_unsure(&[&blank])?),
        }
        *self.checked.lock().unwrap_or_else(|e| e.into_inner()) = Some(checked);
        Ok(())
    }

    /// Seconds a forward pass of a picture at the network's usual size takes on `engine`: the median of three,
    /// after one that warms it up (OpenVINO compiles on its first).
    fn seconds_a_pass(&self, engine: Engine) -> Result<f64> {
        let input = blank(224)?;
        let mut net = self.colorizer_on(engine)?;
        net.predict(&input)?;
        let mut seconds: Vec<f64> = (0..3)
            .map(|_| {
                let start = std::time::Instant::now();
                net.predict(&input).map(|_| start.elapsed().as_secs_f64())
            })
            .collect::<Result<_>>()?;
        seconds.sort_by(f64::total_cmp);
        Ok(seconds[1])
    }

    pub fn engine(&self) -> Engine {
        self.identity.engine
    }

    /// The backend and the model files' digests, for telling apart frames made by different models.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    pub fn colorizer(&self) -> Result<Colorizer> {
        if let Some(checked) = self.checked.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Ok(checked);
        }
        self.colorizer_on(self.identity.engine)
    }

    /// A network of this model on `engine`, whatever the model's own.
    fn colorizer_on(&self, engine: Engine) -> Result<Colorizer> {
        let cannot_load = |e: opencv::Error| {
            anyhow::anyhow!(
                "OpenCV cannot load the model {}: {}",
                self.description,
                opencv_message(&e)
            )
        };
        let (backend, target) = backend_of(engine);
        if let Some(split) = &self.int8 {
            return int8_colorizer(split, &self.caffemodel, backend)
                .with_context(|| format!("cannot make the int8 network of {}", self.description));
        }
        let mut net = dnn::read_net_from_caffe_buffer(&self.prototxt, &self.caffemodel).map_err(cannot_load)?;
        net.set_preferable_backend(backend as i32)?;
        net.set_preferable_target(target as i32)?;
        Ok(Colorizer { net, trunk: None })
    }
}

/// OpenCV's backend and target for `engine`.
fn backend_of(engine: Engine) -> (dnn::Backend, dnn::Target) {
    match engine {
        Engine::OpenCv => (dnn::Backend::DNN_BACKEND_OPENCV, dnn::Target::DNN_TARGET_CPU),
        Engine::OpenVino => (dnn::Backend::DNN_BACKEND_INFERENCE_ENGINE, dnn::Target::DNN_TARGET_CPU),
        Engine::Cuda { half: true } => (dnn::Backend::DNN_BACKEND_CUDA, dnn::Target::DNN_TARGET_CUDA_FP16),
        Engine::Cuda { half: false } => (dnn::Backend::DNN_BACKEND_CUDA, dnn::Target::DNN_TARGET_CUDA),
    }
}

/// The prototxt (read from `path`) cut for the int8 network when `precision` asks for it (`int8.rs`).
fn int8_split(prototxt: &[u8], precision: Precision, path: &Path) -> Result<Option<int8::Split>> {
    match precision {
        Precision::Float => Ok(None),
        Precision::Int8 => int8::Split::new(prototxt)
            .map(Some)
            .with_context(|| format!("prototxt {} has no int8 network", path.display())),
    }
}

/// A network whose trunk runs in int8 on `backend` and feeds its float32 head.
fn int8_colorizer(split: &int8::Split, caffemodel: &Vector<u8>, backend: dnn::Backend) -> Result<Colorizer> {
    let (trunk, net) = split.build(caffemodel, backend)?;
    Ok(Colorizer {
        net,
        trunk: Some(trunk),
    })
}

/// The network's input for a black picture of `side` pixels.
fn blank(side: i32) -> Result<Mat> {
    let black = Mat::new_rows_cols_with_default(side, side, opencv::core::CV_8UC3, 0.0.into())?;
    Ok(lab::prepare(&black, 224)?.input)
}

/// One network instance; `Net` can move between threads but not be shared, so each worker owns one.
pub struct Colorizer {
    /// The network, or with `--precision int8` its float32 head.
    net: dnn::Net,
    /// With `--precision int8`, the quantized trunk that turns the input into the head's.
    trunk: Option<int8::Trunk>,
}

impl Colorizer {
    /// Runs the network on a prepared input blob and returns a/b at the network's output resolution.
    pub fn predict(&mut self, input: &Mat) -> Result<Mat> {
        let mut ab = self.predict_batch(&[input])?;
        Ok(ab.remove(0))
    }

    /// One forward pass over several prepared 1x1xSxS inputs stacked into one Nx1xSxS blob: a GPU does a batch in
    /// little more time than a single frame.
    pub fn predict_batch(&mut self, inputs: &[&Mat]) -> Result<Vec<Mat>> {
        self.set_input(inputs)?;
        let out = self.net.forward_single("class8_ab").map_err(forward_failed)?;
        lab::ab_from_blob(&out)
    }

    /// As `predict_batch`, with each item's uncertainty from the same pass: the layer before the softmax is
    /// asked for as a second output only here, so a run without a review page costs what it did.
    pub fn predict_batch_unsure(&mut self, inputs: &[&Mat]) -> Result<Vec<(Mat, Uncertainty)>> {
        self.set_input(inputs)?;
        let mut outs = Vector::<Mat>::new();
        let names = Vector::<String>::from_iter(["class8_ab", "conv8_313"]);
        self.net.forward(&mut outs, &names).map_err(forward_failed)?;
        let ab = lab::ab_from_blob(&outs.get(0)?)?;
        let unsure = entropy::uncertainty(&outs.get(1)?)?;
        ensure!(
            ab.len() == unsure.len(),
            "the network gave a/b and colour distributions for different batches"
        );
        Ok(ab.into_iter().zip(unsure).collect())
    }

    fn set_input(&mut self, inputs: &[&Mat]) -> Result<()> {
        let stacked;
        let input = match inputs {
            [one] => *one,
            _ => {
                stacked = lab::stack(inputs)?;
                &stacked
            }
        };
        match &mut self.trunk {
            Some(trunk) => {
                let features = trunk.run(input).map_err(forward_failed)?;
                self.net.set_input_def(&features)?
            }
            None => self.net.set_input_def(input)?,
        }
        Ok(())
    }
}

fn forward_failed(e: opencv::Error) -> anyhow::Error {
    anyhow::anyhow!("forward pass failed: {}", opencv_message(&e))
}

/// The first line of OpenCV's message without the source location that precedes it.
fn opencv_message(e: &opencv::Error) -> String {
    let line = e.message.lines().next().unwrap_or_default();
    line.rsplit_once(") ").map_or(line, |(_, m)| m).trim().to_string()
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
