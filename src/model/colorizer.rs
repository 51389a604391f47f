//! One network instance, built for a backend, and its forward passes: the colour, and with the 2016 network the
//! doubt beside it.

use anyhow::{ensure, Context, Result};
use opencv::core::{Mat, Vector};
use opencv::dnn;
use opencv::prelude::*;

use super::engine::Engine;
use super::entropy::{self, Uncertainty};
use super::int8;
use crate::lab::{self, Recipe};

/// The layers a run reads and writes by name.
pub struct Layers {
    /// The layer whose output is a/b.
    output: String,
    /// The layer before the colour distribution's softmax, where the network has one.
    logits: Option<&'static str>,
}

impl Layers {
    pub fn eccv16() -> Layers {
        Layers {
            output: "class8_ab".into(),
            logits: Some("conv8_313"),
        }
    }

    pub fn onnx(output: &str) -> Layers {
        Layers {
            output: output.into(),
            logits: None,
        }
    }
}

/// One network instance; `Net` can move between threads but not be shared, so each worker owns one.
pub struct Colorizer {
    /// The network, or with `--precision int8` its float32 head.
    net: dnn::Net,
    /// With `--precision int8`, the quantized trunk that turns the input into the head's.
    trunk: Option<int8::Trunk>,
    layers: Layers,
    preparation: lab::Preparation,
}

impl Colorizer {
    pub fn new(mut net: dnn::Net, engine: Engine, layers: Layers, preparation: lab::Preparation) -> Result<Colorizer> {
        let (backend, target) = backend_of(engine);
        net.set_preferable_backend(backend as i32)?;
        net.set_preferable_target(target as i32)?;
        Ok(Colorizer {
            net,
            trunk: None,
            layers,
            preparation,
        })
    }

    /// The 2016 network with its trunk in int8 on `engine`, feeding its float32 head.
    pub fn int8(
        split: &int8::Split,
        caffemodel: &Vector<u8>,
        engine: Engine,
        preparation: lab::Preparation,
    ) -> Result<Colorizer> {
        let (trunk, net) = split.build(caffemodel, backend_of(engine).0)?;
        Ok(Colorizer {
            net,
            trunk: Some(trunk),
            layers: Layers::eccv16(),
            preparation,
        })
    }

    /// A picture as this network sees it, at the side it sees a photo.
    pub fn prepare(&self, bgr: &Mat) -> Result<lab::Prepared> {
        self.preparation.prepare(bgr)
    }

    pub fn recipe(&self) -> Recipe {
        self.preparation.recipe
    }

    /// Whether it gives a measure of its doubt beside its colour (`predict_batch_unsure`).
    pub fn doubts(&self) -> bool {
        self.layers.logits.is_some()
    }

    /// Runs the network on a prepared input blob and returns a/b at the network's output resolution.
    pub fn predict(&mut self, input: &Mat) -> Result<Mat> {
        let mut ab = self.predict_batch(&[input])?;
        Ok(ab.remove(0))
    }

    /// One forward pass over several prepared 1xCxSxS inputs stacked into one NxCxSxS blob: a GPU does a batch in
    /// little more time than a single frame.
    pub fn predict_batch(&mut self, inputs: &[&Mat]) -> Result<Vec<Mat>> {
        self.set_input(inputs)?;
        let out = self.net.forward_single(&self.layers.output).map_err(forward_failed)?;
        lab::ab_from_blob(&out)
    }

    /// As `predict_batch`, with each item's uncertainty from the same pass: the layer before the softmax is
    /// asked for as a second output only here, so a run without a review page costs what it did.
    pub fn predict_batch_unsure(&mut self, inputs: &[&Mat]) -> Result<Vec<(Mat, Uncertainty)>> {
        let logits = self
            .layers
            .logits
            .context("this network gives one colour and no measure of its doubt")?;
        self.set_input(inputs)?;
        let mut outs = Vector::<Mat>::new();
        let names = Vector::<String>::from_iter([self.layers.output.as_str(), logits]);
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

/// OpenCV's backend and target for `engine`.
fn backend_of(engine: Engine) -> (dnn::Backend, dnn::Target) {
    match engine {
        Engine::OpenCv => (dnn::Backend::DNN_BACKEND_OPENCV, dnn::Target::DNN_TARGET_CPU),
        Engine::OpenVino => (dnn::Backend::DNN_BACKEND_INFERENCE_ENGINE, dnn::Target::DNN_TARGET_CPU),
        Engine::Cuda { half: true } => (dnn::Backend::DNN_BACKEND_CUDA, dnn::Target::DNN_TARGET_CUDA_FP16),
        Engine::Cuda { half: false } => (dnn::Backend::DNN_BACKEND_CUDA, dnn::Target::DNN_TARGET_CUDA),
    }
}

fn forward_failed(e: opencv::Error) -> anyhow::Error {
    anyhow::anyhow!("forward pass failed: {}", opencv_message(&e))
}

/// The first line of OpenCV's message without the source location that precedes it.
pub fn opencv_message(e: &opencv::Error) -> String {
    let line = e.message.lines().next().unwrap_or_default();
    line.rsplit_once(") ").map_or(line, |(_, m)| m).trim().to_string()
}
