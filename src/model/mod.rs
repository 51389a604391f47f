//! The network: finds and checks the model files, bakes in the fixed layers, and runs forward passes.
//! The only module that touches OpenCV's dnn.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use opencv::core::{Mat, Vector};
use opencv::dnn;

use crate::lab::{self, Recipe};
use colorizer::{opencv_message, Layers};

pub mod caffe;
mod calibration;
mod colorizer;
pub mod ddcolor;
pub mod eccv16;
mod engine;
pub mod entropy;
pub mod files;
mod identity;
mod int8;
mod onnx;
pub mod points;
mod speed;

pub use colorizer::Colorizer;
pub use eccv16::CaffeFiles;
pub use engine::{choose_engine, Available, BackendChoice, Cuda, Engine, Pick};
pub use entropy::Uncertainty;
pub use identity::{Identity, Network};
pub use int8::Precision;

/// The side the 2016 network was trained at, and sees unless told otherwise.
pub const RENDER_SIZE: i32 = 224;

/// Which network, from which files.
#[derive(Clone, Debug)]
pub enum ModelFiles {
    /// Zhang et al. 2016, from its Caffe files.
    Eccv16(CaffeFiles),
    /// DDColor, from its ONNX export.
    DDColor(PathBuf),
}

/// What a run asks of each forward pass: the colour, or the colour and the network's uncertainty (a review page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Predicts {
    Colour,
    ColourAndUncertainty,
}

/// The network's description as OpenCV reads it.
enum Graph {
    Caffe {
        prototxt: Vector<u8>,
        caffemodel: Vector<u8>,
        /// The prototxt cut for the int8 network, when the run asks for it.
        int8: Option<int8::Split>,
    },
    /// An ONNX file, and the name of its a/b output.
    Onnx { bytes: Vector<u8>, output: String },
}

/// The model, read and checked once; each worker makes its own `Colorizer` from it.
pub struct Model {
    graph: Graph,
    /// The side of the square input a file fixes (DDColor's export); None where any size runs.
    side: Option<i32>,
    description: String,
    identity: Identity,
    /// Warnings for the user, such as weights other than the published release.
    pub notes: Vec<String>,
    /// Which backend `auto` chose on this CPU, and why.
    pub chosen: Option<String>,
    /// The network `load` ran once to check the model: the first worker gets it, already built (and compiled, for
    /// OpenVINO), so a run builds no network twice.
    checked: Mutex<Option<Colorizer>>,
}

impl Model {
    /// Reads and checks the model files, the 2016 network's with its fixed layers baked in (the softmax scale for
    /// `temperature` included).
    pub fn load(files: &ModelFiles, engine: Engine, temperature: f64) -> Result<Model> {
        let float = Precision::Float;
        Model::load_for(files, Pick::Engine(engine), float, temperature, Predicts::Colour)
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
        let (graph, side, network, notes, description) = match files {
            ModelFiles::Eccv16(files) => {
                let read = eccv16::read(files, temperature)?;
                let graph = Graph::Caffe {
                    prototxt: Vector::from_slice(&read.prototxt),
                    caffemodel: Vector::from_slice(&read.caffemodel),
                    int8: int8::split_for(&read.prototxt, precision, &files.prototxt)?,
                };
                let description = format!("{} + {}", files.prototxt.display(), files.caffemodel.display());
                (graph, None, read.network, read.notes, description)
            }
            ModelFiles::DDColor(path) => {
                if precision == Precision::Int8 {
                    bail!("--precision int8 is the 2016 network's; DDColor runs in float (drop --precision int8)");
                }
                let read = ddcolor::read(path)?;
                let graph = Graph::Onnx {
                    bytes: Vector::from_slice(&read.bytes),
                    output: read.graph.output,
                };
                (
                    graph,
                    Some(read.graph.side),
                    read.network,
                    Vec::new(),
                    path.display().to_string(),
                )
            }
        };
        let identity = Identity {
            engine: pick.until_measured(),
            precision,
            network,
        };
        let mut model = Model {
            graph,
            side,
            description,
            identity,
            notes,
            chosen: None,
            checked: Mutex::new(None),
        };
        if pick == Pick::FasterCpu {
            let key = speed::key(&model.speed_key(), precision);
            let (engine, why) = speed::faster(&key, |engine, rival| model.seconds_a_pass(engine, rival))?;
            model.identity.engine = engine;
            model.chosen = Some(why);
        }
        model.check(predicts)?;
        Ok(model)
    }

    /// What the backends' speed depends on, of the model: its files.
    fn speed_key(&self) -> String {
        match &self.identity.network {
            Network::Eccv16 {
                prototxt, caffemodel, ..
            } => format!("{prototxt} {caffemodel}"),
            Network::DDColor { onnx } => onnx.clone(),
        }
    }

    /// Builds and runs one network now, so that a model OpenCV (or OpenVINO, which compiles the network on its
    /// first pass) rejects fails before any output is touched; the network is the first worker's.
    fn check(&self, predicts: Predicts) -> Result<()> {
        let blank = self.blank(self.side.unwrap_or(8))?;
        let mut checked = self.colorizer()?;
        // A network with no measure of its doubt (DDColor) is checked, and later asked, for its colour only.
        match predicts {
            Predicts::ColourAndUncertainty if checked.doubts() => drop(checked.predict_batch_unsure(&[&blank])?),
            _ => drop(checked.predict(&blank)?),
        }
        *self.checked.lock().unwrap_or_else(|e| e.into_inner()) = Some(checked);
        Ok(())
    }

    /// Seconds a forward pass of a picture at the network's usual size takes on `engine`: the median of three,
    /// after one that warms it up (OpenVINO compiles on its first). A first pass more than twice the `rival`'s
    /// settles it: DDColor at 512 takes seconds a pass on OpenCV's own backend.
    fn seconds_a_pass(&self, engine: Engine, rival: Option<f64>) -> Result<f64> {
        let input = self.blank(self.render_size(None))?;
        let mut net = self.colorizer_on(engine)?;
        let mut timed = || -> Result<f64> {
            let start = std::time::Instant::now();
            net.predict(&input).map(|_| start.elapsed().as_secs_f64())
        };
        let first = timed()?;
        if rival.is_some_and(|rival| first > 2.0 * rival) {
            return Ok(first);
        }
        let mut seconds: Vec<f64> = (0..3).map(|_| timed()).collect::<Result<_>>()?;
        seconds.sort_by(f64::total_cmp);
        Ok(seconds[1])
    }

    /// The network's input for a black picture of `side` pixels.
    fn blank(&self, side: i32) -> Result<Mat> {
        let black = Mat::new_rows_cols_with_default(side, side, opencv::core::CV_8UC3, 0.0.into())?;
        Ok(lab::prepare(&black, self.recipe(), side)?.input)
    }

    pub fn engine(&self) -> Engine {
        self.identity.engine
    }

    /// The backend and the model files' digests, for telling apart frames made by different models.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Whose arithmetic prepares the network's pictures and finishes its colour.
    pub fn recipe(&self) -> Recipe {
        self.identity.network.recipe()
    }

    /// The side the network sees in a run that asks for `asked` (`--render-size`, which `check_render_size`
    /// has checked).
    pub fn render_size(&self, asked: Option<i32>) -> i32 {
        self.side.or(asked).unwrap_or(RENDER_SIZE)
    }

    /// A file that fixes its input refuses another size.
    pub fn check_render_size(&self, asked: Option<i32>) -> Result<()> {
        match (self.side, asked) {
            (Some(fixed), Some(asked)) if fixed != asked => bail!(
                "{} takes {fixed}x{fixed} pictures only: drop --render-size {asked}, or export the file at that size \
                 (model/README.md)",
                self.description
            ),
            _ => Ok(()),
        }
    }

    pub fn colorizer(&self) -> Result<Colorizer> {
        if let Some(checked) = self.checked.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Ok(checked);
        }
        self.colorizer_on(self.identity.engine)
    }

    /// A network of this model on `engine`, whatever the model's own.
    fn colorizer_on(&self, engine: Engine) -> Result<Colorizer> {
        let preparation = lab::Preparation {
            recipe: self.recipe(),
            side: self.render_size(None),
        };
        let (net, layers) = match &self.graph {
            Graph::Caffe {
                caffemodel,
                int8: Some(split),
                ..
            } => {
                return Colorizer::int8(split, caffemodel, engine, preparation)
                    .with_context(|| format!("cannot make the int8 network of {}", self.description));
            }
            Graph::Caffe {
                prototxt, caffemodel, ..
            } => (dnn::read_net_from_caffe_buffer(prototxt, caffemodel), Layers::eccv16()),
            Graph::Onnx { bytes, output } => (dnn::read_net_from_onnx_buffer(bytes), Layers::onnx(output)),
        };
        let net = net.map_err(|e| {
            anyhow::anyhow!(
                "OpenCV cannot load the model {}: {}",
                self.description,
                opencv_message(&e)
            )
        })?;
        Colorizer::new(net, engine, layers, preparation)
    }
}
