//! Which of OpenCV's dnn backends runs the network: what this OpenCV and machine offer, and the choice for a run.

use anyhow::{bail, Result};
use opencv::dnn;

use super::int8::Precision;

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
    /// Its name in records and messages, which `named` reads back: spelled here, so that renaming a variant
    /// does not silently change every fingerprint on disk.
    pub fn name(self) -> &'static str {
        match self {
            Engine::OpenCv => "opencv",
            Engine::OpenVino => "openvino",
            Engine::Cuda { half: true } => "cuda",
            Engine::Cuda { half: false } => "cuda-fp32",
        }
    }

    pub fn named(name: &str) -> Option<Engine> {
        match name {
            "opencv" => Some(Engine::OpenCv),
            "openvino" => Some(Engine::OpenVino),
            "cuda" => Some(Engine::Cuda { half: true }),
            "cuda-fp32" => Some(Engine::Cuda { half: false }),
            _ => None,
        }
    }

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// CUDA when this OpenCV has it and a GPU answers, else the faster of OpenVINO and OpenCV's own, as measured
    /// on this machine (`speed.rs`).
    Auto,
    Opencv,
    Openvino,
    /// NVIDIA GPU, half precision.
    Cuda,
    /// NVIDIA GPU, float32.
    CudaFp32,
}

impl BackendChoice {
    /// The name the command line gives it, for messages that tell the user which flag to drop.
    pub fn name(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Opencv => "opencv",
            BackendChoice::Openvino => "openvino",
            BackendChoice::Cuda => "cuda",
            BackendChoice::CudaFp32 => "cuda-fp32",
        }
    }
}

/// What the OpenCV this program runs on offers beyond its own backend, on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Available {
    pub openvino: bool,
    pub cuda: Cuda,
    /// The CPU has a bfloat16 dot product (avx512_bf16 or amx_bf16), where OpenVINO computes the network in it:
    /// what its precision is. Not its speed: several times OpenCV's float32 on a Zen 4, no faster than it on a
    /// Xeon without AMX, so `auto` measures rather than reads the flags.
    pub bf16: bool,
    /// The CPU has an 8-bit dot product (avx512_vnni, avx_vnni or amx_int8). Without it OpenVINO's int8
    /// multiply-adds sum pairs in 16 bits, which saturate: capped below VNNI on a 2-core EPYC, the int8 network's
    /// photos came 33-38.5 dB from --exact, against 41.6-44.5 dB with it.
    pub vnni: bool,
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
            bf16: cpu_has(&["avx512_bf16", "amx_bf16"]),
            vnni: cpu_has(&["avx512_vnni", "avx_vnni", "amx_int8"]),
        }
    }
}

/// Whether the CPU has any of `flags`, as /proc/cpuinfo names them.
fn cpu_has(flags: &[&str]) -> bool {
    std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|info| {
        info.lines()
            .filter(|line| line.starts_with("flags"))
            .any(|line| line.split_whitespace().any(|f| flags.contains(&f)))
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

/// What runs the network: an engine, or on a CPU where both backends run, whichever is the faster here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    Engine(Engine),
    FasterCpu,
}

impl Pick {
    /// The engine before any measuring: for the faster CPU backend, OpenCV's own until it is measured.
    pub fn until_measured(self) -> Engine {
        match self {
            Pick::Engine(engine) => engine,
            Pick::FasterCpu => Engine::OpenCv,
        }
    }
}

/// What runs the network, and a notice when the choice differs from what was asked. `--exact` keeps the
/// recipe's arithmetic, which only OpenCV's own backend gives.
pub fn choose_engine(
    choice: BackendChoice,
    exact: bool,
    precision: Precision,
    here: Available,
) -> Result<(Pick, Option<String>)> {
    if precision == Precision::Int8 {
        return int8_engine(choice, exact, here);
    }
    let cpu = if here.openvino {
        Pick::FasterCpu
    } else {
        Pick::Engine(Engine::OpenCv)
    };
    let gpu = |half| match here.cuda {
        Cuda::Ready => Ok(Engine::Cuda { half }),
        Cuda::NotBuilt => bail!("this OpenCV has no CUDA backend (build it with scripts/build-opencv --cuda)"),
        Cuda::NoDevice => bail!("{NO_GPU}"),
    };
    let engine = |engine| Ok((Pick::Engine(engine), None));
    match (choice, exact) {
        (BackendChoice::Opencv, _) | (BackendChoice::Auto, true) => engine(Engine::OpenCv),
        (other, true) => bail!(
            "--exact runs on OpenCV's own CPU backend; drop --backend {}",
            other.name()
        ),
        (BackendChoice::Openvino, false) if !here.openvino => {
            bail!("this OpenCV has no OpenVINO backend (build the project's OpenCV with scripts/build-opencv)")
        }
        (BackendChoice::Openvino, false) => engine(Engine::OpenVino),
        (BackendChoice::Cuda, false) => engine(gpu(true)?),
        (BackendChoice::CudaFp32, false) => engine(gpu(false)?),
        (BackendChoice::Auto, false) => Ok(match (here.cuda, cpu) {
            (Cuda::Ready, _) => (Pick::Engine(Engine::Cuda { half: true }), None),
            (Cuda::NoDevice, Pick::FasterCpu) => (cpu, Some(format!("note: {NO_GPU}; running on the CPU"))),
            (Cuda::NoDevice, _) => (
                cpu,
                Some(format!("note: {NO_GPU}; running on OpenCV's own CPU backend")),
            ),
            (Cuda::NotBuilt, _) => (cpu, None),
        }),
    }
}

/// What runs the int8 network: a CPU backend, OpenCV's int8 layers having no CUDA code.
fn int8_engine(choice: BackendChoice, exact: bool, here: Available) -> Result<(Pick, Option<String>)> {
    if exact {
        bail!("--exact is the recipe's float32 arithmetic; drop --precision int8");
    }
    let cpu = match (choice, here.openvino) {
        (BackendChoice::Openvino, false) => {
            bail!("this OpenCV has no OpenVINO backend (build the project's OpenCV with scripts/build-opencv)")
        }
        (BackendChoice::Opencv, _) | (BackendChoice::Auto, false) => Pick::Engine(Engine::OpenCv),
        (BackendChoice::Openvino, true) => Pick::Engine(Engine::OpenVino),
        (BackendChoice::Auto, true) => Pick::FasterCpu,
        (BackendChoice::Cuda | BackendChoice::CudaFp32, _) => bail!(
            "the int8 network runs on the CPU, OpenCV's CUDA backend has no int8 layers; drop --backend {} or \
             --precision int8",
            choice.name()
        ),
    };
    // OpenCV's own int8 sums in 32 bits on every CPU; OpenVINO's in 16 without VNNI.
    let notice = match (here.cuda, here.vnni || cpu == Pick::Engine(Engine::OpenCv)) {
        (Cuda::Ready, _) => Some("note: the int8 network runs on the CPU, not on the GPU".into()),
        (_, false) => Some(
            "note: this CPU has no 8-bit dot product (VNNI), without which OpenVINO's int8 sums saturate: expect \
             colour further from --exact than with it (33-38 dB against 41-45 where measured)"
                .into(),
        ),
        (_, true) => None,
    };
    Ok((cpu, notice))
}

const NO_GPU: &str = "this OpenCV has CUDA, but no NVIDIA GPU it can run on answers (none, no driver, or one \
                      older than the GPU generations it was built for)";

#[cfg(test)]
mod tests {
    use super::*;

    fn here(openvino: bool, cuda: Cuda) -> Available {
        Available {
            openvino,
            cuda,
            bf16: true,
            vnni: true,
        }
    }

    #[test]
    fn engines_read_back_by_the_names_they_are_recorded_under() {
        for engine in [
            Engine::OpenCv,
            Engine::OpenVino,
            Engine::Cuda { half: true },
            Engine::Cuda { half: false },
        ] {
            assert_eq!(Engine::named(engine.name()), Some(engine));
        }
        assert_eq!(Engine::named("OpenCv"), None);
    }

    #[test]
    fn auto_prefers_a_gpu_then_the_faster_cpu_backend_and_says_when_a_cuda_build_finds_no_gpu() {
        let auto = |h| choose_engine(BackendChoice::Auto, false, Precision::Float, h).unwrap();
        assert_eq!(
            auto(here(true, Cuda::Ready)),
            (Pick::Engine(Engine::Cuda { half: true }), None)
        );
        assert_eq!(auto(here(true, Cuda::NotBuilt)), (Pick::FasterCpu, None));
        let (pick, notice) = auto(here(true, Cuda::NoDevice));
        assert_eq!(pick, Pick::FasterCpu);
        let notice = notice.unwrap();
        assert!(
            notice.contains("no NVIDIA GPU") && notice.contains("on the CPU"),
            "{notice}"
        );
        let (pick, notice) = auto(here(false, Cuda::NoDevice));
        assert_eq!(pick, Pick::Engine(Engine::OpenCv));
        assert!(notice.unwrap().contains("OpenCV's own CPU backend"));
        assert_eq!(auto(here(false, Cuda::NotBuilt)), (Pick::Engine(Engine::OpenCv), None));
    }

    #[test]
    fn auto_measures_whatever_the_cpu_flags_say() {
        for bf16 in [true, false] {
            let h = Available {
                bf16,
                ..here(true, Cuda::NotBuilt)
            };
            assert_eq!(
                choose_engine(BackendChoice::Auto, false, Precision::Float, h)
                    .unwrap()
                    .0,
                Pick::FasterCpu
            );
        }
    }

    #[test]
    fn exact_always_runs_on_opencv() {
        for h in [here(true, Cuda::Ready), here(false, Cuda::NotBuilt)] {
            assert_eq!(
                choose_engine(BackendChoice::Auto, true, Precision::Float, h).unwrap(),
                (Pick::Engine(Engine::OpenCv), None)
            );
            assert_eq!(
                choose_engine(BackendChoice::Opencv, true, Precision::Float, h).unwrap(),
                (Pick::Engine(Engine::OpenCv), None)
            );
        }
        for (choice, name) in [
            (BackendChoice::Openvino, "openvino"),
            (BackendChoice::Cuda, "cuda"),
            (BackendChoice::CudaFp32, "cuda-fp32"),
        ] {
            let err = choose_engine(choice, true, Precision::Float, here(true, Cuda::Ready))
                .unwrap_err()
                .to_string();
            assert!(err.ends_with(&format!("drop --backend {name}")), "{err}");
        }
    }

    #[test]
    fn asking_for_a_missing_backend_is_an_error_that_says_how_to_get_it() {
        let ask = |choice, h| choose_engine(choice, false, Precision::Float, h);
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
            (Pick::Engine(Engine::OpenVino), None)
        );
        assert_eq!(
            ask(BackendChoice::Opencv, here(true, Cuda::Ready)).unwrap(),
            (Pick::Engine(Engine::OpenCv), None)
        );
        assert_eq!(
            ask(BackendChoice::CudaFp32, here(false, Cuda::Ready)).unwrap(),
            (Pick::Engine(Engine::Cuda { half: false }), None)
        );
    }

    #[test]
    fn the_int8_network_runs_on_a_cpu_backend_and_never_with_exact() {
        let int8 = |choice, h| choose_engine(choice, false, Precision::Int8, h);
        assert_eq!(
            int8(BackendChoice::Auto, here(true, Cuda::NotBuilt)).unwrap(),
            (Pick::FasterCpu, None)
        );
        assert_eq!(
            int8(BackendChoice::Auto, here(false, Cuda::NotBuilt)).unwrap(),
            (Pick::Engine(Engine::OpenCv), None)
        );
        let (pick, notice) = int8(BackendChoice::Auto, here(true, Cuda::Ready)).unwrap();
        assert_eq!(pick, Pick::FasterCpu);
        assert!(notice.unwrap().contains("runs on the CPU"));
        assert_eq!(
            int8(BackendChoice::Openvino, here(true, Cuda::NotBuilt)).unwrap().0,
            Pick::Engine(Engine::OpenVino)
        );
        assert_eq!(
            int8(BackendChoice::Opencv, here(true, Cuda::NotBuilt)).unwrap().0,
            Pick::Engine(Engine::OpenCv)
        );
        let err = int8(BackendChoice::Openvino, here(false, Cuda::NotBuilt)).unwrap_err();
        assert!(err.to_string().contains("scripts/build-opencv"), "{err}");
        for (choice, name) in [(BackendChoice::Cuda, "cuda"), (BackendChoice::CudaFp32, "cuda-fp32")] {
            let err = int8(choice, here(true, Cuda::Ready)).unwrap_err().to_string();
            assert!(
                err.contains(&format!("drop --backend {name} or --precision int8")),
                "{err}"
            );
        }
        let no_vnni = Available {
            vnni: false,
            ..here(true, Cuda::NotBuilt)
        };
        let (pick, notice) = int8(BackendChoice::Auto, no_vnni).unwrap();
        assert_eq!(pick, Pick::FasterCpu);
        assert!(notice.unwrap().contains("no 8-bit dot product (VNNI)"));
        assert_eq!(
            int8(BackendChoice::Opencv, no_vnni).unwrap(),
            (Pick::Engine(Engine::OpenCv), None)
        );
        let err = choose_engine(BackendChoice::Auto, true, Precision::Int8, here(true, Cuda::NotBuilt)).unwrap_err();
        assert!(err.to_string().ends_with("drop --precision int8"), "{err}");
    }
}
