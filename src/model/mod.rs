//! The network: finds and checks the model files, bakes in the fixed layers, and runs forward passes.
//! The only module that touches OpenCV's dnn.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use opencv::core::{Mat, Vector};
use opencv::dnn;
use opencv::prelude::*;
use sha2::{Digest, Sha256};

use crate::lab;
use files::{hex, CAFFEMODEL, POINTS, PROTOTXT};

pub mod caffe;
pub mod files;
pub mod points;

/// Which of OpenCV's dnn backends runs the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// OpenCV's own float32 code: the recipe's arithmetic.
    OpenCv,
    /// Intel's OpenVINO runtime through OpenCV, when the OpenCV build has it.
    OpenVino,
    /// OpenCV's CUDA backend (cuDNN) on an NVIDIA GPU, in half precision or float32.
    Cuda { half: bool },
}

impl Engine {
    /// Frames per forward pass when the user does not say. A GPU does a batch of 16 in little more time than one
    /// (the H100 measurements: 0.23 ms a frame at 16 against 1.91 at 1); the CPU backends gain nothing
    /// from batching on 2 cores, and a batch delays the first frame.
    pub fn default_batch(self) -> usize {
        match self {
            Engine::Cuda { .. } => 16,
            Engine::OpenCv | Engine::OpenVino => 1,
        }
    }
}

/// What `--backend` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// CUDA when this OpenCV has it and a GPU answers, else OpenVINO when this OpenCV has it, else OpenCV's own.
    Auto,
    Opencv,
    Openvino,
    /// NVIDIA GPU, half precision.
    Cuda,
    /// NVIDIA GPU, float32.
    CudaFp32,
}

/// What the OpenCV this program runs on offers beyond its own backend, on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Available {
    pub openvino: bool,
    pub cuda: Cuda,
    /// The CPU computes in bfloat16 (avx512_bf16 or amx_bf16), where OpenVINO runs the network in it: several
    /// times OpenCV's own float32 there, and slower than it on CPUs without (0.55 against 0.46 s a forward pass
    /// on a 2-core AVX2 EPYC).
    pub bf16: bool,
}

/// OpenCV's CUDA backend, as this build and machine have it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cuda {
    NotBuilt,
    /// Built with CUDA, but no GPU it can run on answers: none, no driver, or one older than the build's code.
    NoDevice,
    Ready,
}

impl Available {
    pub fn here() -> Available {
        Available {
            // Ask for targets, not backends: OpenCV lists OpenVINO under an internal id the bindings cannot name.
            openvino: dnn::get_available_targets(dnn::Backend::DNN_BACKEND_INFERENCE_ENGINE)
                .is_ok_and(|t| !t.is_empty()),
            cuda: cuda_here(),
            bf16: cpu_has_bf16(),
        }
    }
}

/// Whether the CPU has a bfloat16 dot product, as /proc/cpuinfo names it.
fn cpu_has_bf16() -> bool {
    std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|info| {
        info.lines()
            .filter(|line| line.starts_with("flags"))
            .any(|line| line.split_whitespace().any(|f| f == "avx512_bf16" || f == "amx_bf16"))
    })
}

fn cuda_here() -> Cuda {
    // OpenCV lists CUDA targets only when a GPU of a generation the build has code for answers; asked to run on
    // CUDA without one, it would fall back to the CPU with no more than a log line. So ask first.
    if dnn::get_available_targets(dnn::Backend::DNN_BACKEND_CUDA).is_ok_and(|t| !t.is_empty()) {
        Cuda::Ready
    } else if built_with("cuDNN:") {
        Cuda::NoDevice
    } else {
        Cuda::NotBuilt
    }
}

/// Whether OpenCV's build summary says YES on the line that starts with `what`.
fn built_with(what: &str) -> bool {
    opencv::core::get_build_information().is_ok_and(|info| {
        info.lines()
            .map(str::trim)
            .any(|line| line.starts_with(what) && line[what.len()..].trim_start().starts_with("YES"))
    })
}

/// The engine for a run, and a notice when the choice differs from what was asked. `--exact` keeps the
/// recipe's arithmetic, which only OpenCV's own backend gives.
pub fn choose_engine(choice: BackendChoice, exact: bool, here: Available) -> Result<(Engine, Option<String>)> {
    let cpu = if here.openvino && here.bf16 {
        Engine::OpenVino
    } else {
        Engine::OpenCv
    };
    let gpu = |half| match here.cuda {
        Cuda::Ready => Ok(Engine::Cuda { half }),
        Cuda::NotBuilt => bail!("this OpenCV has no CUDA backend (build it with scripts/build-opencv --cuda)"),
        Cuda::NoDevice => bail!("{NO_GPU}"),
    };
    match (choice, exact) {
        (BackendChoice::Opencv, _) | (BackendChoice::Auto, true) => Ok((Engine::OpenCv, None)),
        (other, true) => bail!(
            "--exact runs on OpenCV's own CPU backend; drop --backend {}",
            clap::ValueEnum::to_possible_value(&other).map_or_else(String::new, |v| v.get_name().to_string())
        ),
        (BackendChoice::Openvino, false) if !here.openvino => {
            bail!("this OpenCV has no OpenVINO backend (build the project's OpenCV with scripts/build-opencv)")
        }
        (BackendChoice::Openvino, false) => Ok((Engine::OpenVino, None)),
        (BackendChoice::Cuda, false) => Ok((gpu(true)?, None)),
        (BackendChoice::CudaFp32, false) => Ok((gpu(false)?, None)),
        (BackendChoice::Auto, false) => Ok(match (here.cuda, cpu) {
            (Cuda::Ready, _) => (Engine::Cuda { half: true }, None),
            (Cuda::NoDevice, Engine::OpenVino) => (cpu, Some(format!("note: {NO_GPU}; running on OpenVINO (CPU)"))),
            (Cuda::NoDevice, _) => (
                cpu,
                Some(format!("note: {NO_GPU}; running on OpenCV's own CPU backend")),
            ),
            // Only a bfloat16 CPU makes OpenVINO the faster one; elsewhere OpenCV's own is the right choice.
            (Cuda::NotBuilt, Engine::OpenCv) if here.bf16 => (
                cpu,
                Some("note: this OpenCV has no OpenVINO backend; running on OpenCV's own, which is slower".into()),
            ),
            (Cuda::NotBuilt, _) => (cpu, None),
        }),
    }
}

const NO_GPU: &str = "this OpenCV has CUDA, but no NVIDIA GPU it can run on answers (none, no driver, or one \
                      older than the GPU generations it was built for)";

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

/// The model, read and checked once; each worker makes its own `Colorizer` from it.
pub struct Model {
    engine: Engine,
    prototxt: Vector<u8>,
    caffemodel: Vector<u8>,
    description: String,
    /// The backend and a digest of the three files as used: what makes two runs' frames comparable.
    identity: String,
    /// Warnings for the user, such as weights other than the published release.
    pub notes: Vec<String>,
    /// The network `load` ran once to check the model: the first worker gets it, already built (and compiled, for
    /// OpenVINO), so a run builds no network twice.
    checked: Mutex<Option<Colorizer>>,
}

impl Model {
    /// Reads and checks the model files and bakes in the fixed layers, the softmax scale for `temperature` included.
    pub fn load(files: &ModelFiles, engine: Engine, temperature: f64) -> Result<Model> {
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
        let identity = format!(
            "{engine:?} scale={scale} prototxt={} caffemodel={weights_digest} points={}",
            hex(&Sha256::digest(&prototxt)),
            hex(&Sha256::digest(
                centres
                    .as_flattened()
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<u8>>()
            ))
        );
        let baked = caffe::bake_fixed_layers(weights, &centres, scale)
            .with_context(|| format!("caffemodel {} is unusable", files.caffemodel.display()))?;
        let model = Model {
            engine,
            prototxt: Vector::from_slice(&prototxt),
            caffemodel: Vector::from_slice(&baked),
            description: format!("{} + {}", files.prototxt.display(), files.caffemodel.display()),
            identity,
            notes,
            checked: Mutex::new(None),
        };
        // Build and run one network now, so that a model OpenCV (or OpenVINO, which compiles the network on
        // its first pass) rejects fails before any output is touched.
        let blank = lab::prepare(
            &Mat::new_rows_cols_with_default(8, 8, opencv::core::CV_8UC3, 0.0.into())?,
            224,
        )?;
        let mut checked = model.colorizer()?;
        checked.predict(&blank.input)?;
        *model.checked.lock().unwrap_or_else(|e| e.into_inner()) = Some(checked);
        Ok(model)
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The backend and the model files' digests, for telling apart frames made by different models.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    pub fn colorizer(&self) -> Result<Colorizer> {
        if let Some(checked) = self.checked.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Ok(checked);
        }
        let mut net = dnn::read_net_from_caffe_buffer(&self.prototxt, &self.caffemodel).map_err(|e| {
            anyhow::anyhow!(
                "OpenCV cannot load the model {}: {}",
                self.description,
                opencv_message(&e)
            )
        })?;
        let (backend, target) = match self.engine {
            Engine::OpenCv => (dnn::Backend::DNN_BACKEND_OPENCV, dnn::Target::DNN_TARGET_CPU),
            Engine::OpenVino => (dnn::Backend::DNN_BACKEND_INFERENCE_ENGINE, dnn::Target::DNN_TARGET_CPU),
            Engine::Cuda { half: true } => (dnn::Backend::DNN_BACKEND_CUDA, dnn::Target::DNN_TARGET_CUDA_FP16),
            Engine::Cuda { half: false } => (dnn::Backend::DNN_BACKEND_CUDA, dnn::Target::DNN_TARGET_CUDA),
        };
        net.set_preferable_backend(backend as i32)?;
        net.set_preferable_target(target as i32)?;
        Ok(Colorizer { net })
    }
}

/// One network instance; `Net` can move between threads but not be shared, so each worker owns one.
pub struct Colorizer {
    net: dnn::Net,
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
        let stacked;
        let blob = match inputs {
            [one] => *one,
            _ => {
                stacked = lab::stack(inputs)?;
                &stacked
            }
        };
        self.net.set_input_def(blob)?;
        let out = self
            .net
            .forward_single("class8_ab")
            .map_err(|e| anyhow::anyhow!("forward pass failed: {}", opencv_message(&e)))?;
        lab::ab_from_blob(&out)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn here(openvino: bool, cuda: Cuda) -> Available {
        Available {
            openvino,
            cuda,
            bf16: true,
        }
    }

    #[test]
    fn auto_prefers_a_gpu_then_openvino_and_says_when_a_cuda_build_finds_no_gpu() {
        let auto = |h| choose_engine(BackendChoice::Auto, false, h).unwrap();
        assert_eq!(auto(here(true, Cuda::Ready)), (Engine::Cuda { half: true }, None));
        assert_eq!(auto(here(true, Cuda::NotBuilt)), (Engine::OpenVino, None));
        let (engine, notice) = auto(here(true, Cuda::NoDevice));
        assert_eq!(engine, Engine::OpenVino);
        let notice = notice.unwrap();
        assert!(
            notice.contains("no NVIDIA GPU") && notice.contains("OpenVINO (CPU)"),
            "{notice}"
        );
        let (engine, notice) = auto(here(false, Cuda::NoDevice));
        assert_eq!(engine, Engine::OpenCv);
        assert!(notice.unwrap().contains("OpenCV's own CPU backend"));
        let (engine, notice) = auto(here(false, Cuda::NotBuilt));
        assert_eq!(engine, Engine::OpenCv);
        assert!(notice.unwrap().contains("no OpenVINO"));
    }

    #[test]
    fn auto_takes_openvino_only_on_a_cpu_that_computes_in_bfloat16() {
        let avx2 = |openvino, cuda| Available {
            bf16: false,
            ..here(openvino, cuda)
        };
        let auto = |h| choose_engine(BackendChoice::Auto, false, h).unwrap();
        assert_eq!(auto(avx2(true, Cuda::NotBuilt)), (Engine::OpenCv, None));
        assert_eq!(auto(avx2(false, Cuda::NotBuilt)), (Engine::OpenCv, None));
        assert_eq!(auto(avx2(true, Cuda::Ready)), (Engine::Cuda { half: true }, None));
        let (engine, notice) = auto(avx2(true, Cuda::NoDevice));
        assert_eq!(engine, Engine::OpenCv);
        assert!(notice.unwrap().contains("OpenCV's own CPU backend"));
        // Asked for by name, OpenVINO runs wherever the build has it.
        assert_eq!(
            choose_engine(BackendChoice::Openvino, false, avx2(true, Cuda::NotBuilt)).unwrap(),
            (Engine::OpenVino, None)
        );
    }

    #[test]
    fn exact_always_runs_on_opencv() {
        for h in [here(true, Cuda::Ready), here(false, Cuda::NotBuilt)] {
            assert_eq!(
                choose_engine(BackendChoice::Auto, true, h).unwrap(),
                (Engine::OpenCv, None)
            );
            assert_eq!(
                choose_engine(BackendChoice::Opencv, true, h).unwrap(),
                (Engine::OpenCv, None)
            );
        }
        for (choice, name) in [
            (BackendChoice::Openvino, "openvino"),
            (BackendChoice::Cuda, "cuda"),
            (BackendChoice::CudaFp32, "cuda-fp32"),
        ] {
            let err = choose_engine(choice, true, here(true, Cuda::Ready))
                .unwrap_err()
                .to_string();
            assert!(err.ends_with(&format!("drop --backend {name}")), "{err}");
        }
    }

    #[test]
    fn asking_for_a_missing_backend_is_an_error_that_says_how_to_get_it() {
        let ask = |choice, h| choose_engine(choice, false, h);
        let err = ask(BackendChoice::Openvino, here(false, Cuda::Ready)).unwrap_err();
        assert!(err.to_string().contains("scripts/build-opencv"), "{err}");
        let err = ask(BackendChoice::Cuda, here(true, Cuda::NotBuilt)).unwrap_err();
        assert!(err.to_string().contains("scripts/build-opencv --cuda"), "{err}");
        for choice in [BackendChoice::Cuda, BackendChoice::CudaFp32] {
            let err = ask(choice, here(true, Cuda::NoDevice)).unwrap_err();
            assert!(err.to_string().contains("no NVIDIA GPU"), "{err}");
        }
        assert_eq!(
            ask(BackendChoice::Openvino, here(true, Cuda::Ready)).unwrap(),
            (Engine::OpenVino, None)
        );
        assert_eq!(
            ask(BackendChoice::Opencv, here(true, Cuda::Ready)).unwrap(),
            (Engine::OpenCv, None)
        );
        assert_eq!(
            ask(BackendChoice::CudaFp32, here(false, Cuda::Ready)).unwrap(),
            (Engine::Cuda { half: false }, None)
        );
    }
}
