//! The check an ONNX file passes before OpenCV sees it: read with prost, a DDColor export or refused in one line
//! that says what is wrong and what to do. OpenCV's importer trusts the file, and some files crash it (SIGSEGV)
//! instead of failing, so nothing is handed to it that this check has not read whole.

use std::collections::HashSet;

use anyhow::{anyhow, bail, Result};
use prost::Message;

use proto::{GraphProto, ModelProto, ValueInfoProto, FLOAT};

mod gelu;
mod proto;

/// What colorize needs to know of a DDColor file, read from its graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    /// The name of the one input: float32 1x3xSxS, the picture's L alone rendered as RGB, 0..1.
    pub input: String,
    /// The name of the one output: float32 1x2xSxS, a and b in OpenCV's float Lab units.
    pub output: String,
    /// S: the side of the square picture the network takes and gives, fixed when it was exported.
    pub side: i32,
}

/// Reads an ONNX model and checks it is a DDColor export that OpenCV 4.14 can load without crashing.
pub fn inspect(bytes: &[u8]) -> Result<Graph> {
    let model = ModelProto::decode(bytes).map_err(|e| {
        anyhow!(
            "it is not a whole ONNX model: cut short, or another kind of file ({e}); download or export it \
             again (see model/README.md)"
        )
    })?;
    let graph = model.graph.as_ref().ok_or_else(|| {
        anyhow!("it holds no graph: it is not an ONNX model (export DDColor to ONNX as model/README.md says)")
    })?;
    opset(&model)?;
    complete(graph)?;
    let (input, output, side) = contract(graph)?;
    gelu::check(graph)?;
    Ok(Graph { input, output, side })
}

fn opset(model: &ModelProto) -> Result<i64> {
    model
        .opset_import
        .iter()
        .find(|o| matches!(o.domain.as_deref(), None | Some("" | "ai.onnx")))
        .and_then(|o| o.version)
        .ok_or_else(|| {
            anyhow!(
                "it names no version of ONNX's standard operators (opset_import): not a whole ONNX model; \
                 download or export it again (see model/README.md)"
            )
        })
}

/// Every value a node or the graph's outputs name is made by a node, an initializer or a graph input.
fn complete(graph: &GraphProto) -> Result<()> {
    if graph.node.is_empty() {
        bail!("its graph has no nodes: not a whole ONNX model; download or export it again (see model/README.md)");
    }
    let made: HashSet<&str> = (graph.input.iter().map(name))
        .chain(graph.initializer.iter().map(|t| t.name.as_deref().unwrap_or_default()))
        .chain(graph.node.iter().flat_map(|n| n.output.iter().map(String::as_str)))
        .collect();
    let reads = graph.node.iter().flat_map(|n| {
        let node = n.name.as_deref().or(n.op_type.as_deref()).unwrap_or("?");
        n.input.iter().map(move |i| (format!("node '{node}'"), i.as_str()))
    });
    let outputs = graph.output.iter().map(|o| ("the graph's output".to_string(), name(o)));
    for (reader, value) in reads.chain(outputs) {
        if !value.is_empty() && !made.contains(value) {
            bail!(
                "its graph is incomplete: {reader} reads '{value}', which no node, initializer or input makes \
                 (a damaged or partial file); download or export it again (see model/README.md)"
            );
        }
    }
    Ok(())
}

/// The input's and output's names and their side, when they are DDColor's: one float32 1x3xSxS input that is not
/// an initializer, one float32 1x2xSxS output, the same fixed S.
fn contract(graph: &GraphProto) -> Result<(String, String, i32)> {
    let initializers: HashSet<_> = graph.initializer.iter().map(|t| t.name.as_deref()).collect();
    let inputs: Vec<_> = graph
        .input
        .iter()
        .filter(|v| !initializers.contains(&v.name.as_deref()))
        .collect();
    let [input] = inputs.as_slice() else {
        bail!(
            "it takes {} inputs ({}); DDColor's takes one, float32 1x3xSxS: is it a DDColor export? (see \
             model/README.md)",
            inputs.len(),
            names(&inputs)
        );
    };
    let Some(side) = square(input, 3) else {
        bail!(
            "its input '{}' is {}; DDColor's is float32 1x3xSxS with a fixed side S: export DDColor with a fixed \
             --input_size (see model/README.md)",
            name(input),
            describe(input)
        );
    };
    let [output] = graph.output.as_slice() else {
        let outputs: Vec<_> = graph.output.iter().collect();
        bail!(
            "it gives {} outputs ({}); DDColor's gives one, float32 1x2xSxS: is it a DDColor export? (see \
             model/README.md)",
            outputs.len(),
            names(&outputs)
        );
    };
    if square(output, 2) != Some(side) {
        bail!(
            "its output '{}' is {}; DDColor's is float32 1x2x{side}x{side}, the side of its input: is it a DDColor \
             export? (see model/README.md)",
            name(output),
            describe(output)
        );
    }
    Ok((name(input).to_string(), name(output).to_string(), side))
}

/// S when `value` is a float32 1 x `channels` x S x S tensor of fixed size.
fn square(value: &ValueInfoProto, channels: i64) -> Option<i32> {
    let tensor = value.r#type.as_ref()?.tensor_type.as_ref()?;
    let dims: Vec<Option<i64>> = tensor.shape.as_ref()?.dim.iter().map(|d| d.dim_value).collect();
    match (tensor.elem_type, dims.as_slice()) {
        (Some(FLOAT), [Some(1), Some(c), Some(h), Some(w)]) if *c == channels && h == w => {
            i32::try_from(*h).ok().filter(|&s| s > 0)
        }
        _ => None,
    }
}

fn name(value: &ValueInfoProto) -> &str {
    value.name.as_deref().unwrap_or_default()
}

fn names(values: &[&ValueInfoProto]) -> String {
    values.iter().map(|v| name(v)).collect::<Vec<_>>().join(", ")
}

/// A value's type as a person reads it: "float32 1x1x224x224", a dynamic axis by its name.
fn describe(value: &ValueInfoProto) -> String {
    let Some(tensor) = value.r#type.as_ref().and_then(|t| t.tensor_type.as_ref()) else {
        return "not a tensor".into();
    };
    let kind = match tensor.elem_type.unwrap_or_default() {
        FLOAT => "float32".to_string(),
        2 => "uint8".into(),
        6 => "int32".into(),
        7 => "int64".into(),
        10 => "float16".into(),
        11 => "float64".into(),
        16 => "bfloat16".into(),
        other => format!("of element type {other}"),
    };
    let Some(shape) = &tensor.shape else {
        return format!("{kind} of unknown shape");
    };
    let dims: Vec<String> = (shape.dim.iter())
        .map(|d| match (d.dim_value, &d.dim_param) {
            (Some(v), _) => v.to_string(),
            (None, Some(param)) if !param.is_empty() => param.clone(),
            _ => "?".into(),
        })
        .collect();
    format!("{kind} {}", dims.join("x"))
}

#[cfg(test)]
mod tests {
    use super::proto::build::{gelu, model, node, scalar, tensor, DYNAMO, LEGACY};
    use super::*;

    const STANDIN: &str = "model/ddcolor/ddcolor-narrow-standin-256.onnx";

    fn standin(test: &str) -> Option<Vec<u8>> {
        crate::shared_files::shared(STANDIN, test).map(|path| std::fs::read(path).unwrap())
    }

    fn refused(bytes: &[u8]) -> String {
        inspect(bytes).expect_err("refused").to_string()
    }

    /// One Conv from `input` to `output`, its weights an initializer.
    fn conv(input: ValueInfoProto, output: ValueInfoProto) -> GraphProto {
        let reads = [name(&input), "w"];
        GraphProto {
            node: vec![node("Conv", &reads, name(&output))],
            initializer: vec![scalar("w", 1.0)],
            input: vec![input],
            output: vec![output],
        }
    }

    fn ddcolor_like(input_dims: &[i64], output_dims: &[i64]) -> Vec<u8> {
        model(
            conv(tensor("input", FLOAT, input_dims), tensor("output", FLOAT, output_dims)),
            17,
        )
    }

    #[test]
    fn the_narrow_standin_passes() {
        let Some(bytes) = standin("the_narrow_standin_passes") else {
            return;
        };
        let graph = inspect(&bytes).unwrap();
        let expected = Graph {
            input: "input".into(),
            output: "output".into(),
            side: 256,
        };
        assert_eq!(graph, expected);
    }

    #[test]
    fn a_standin_cut_at_half_its_length_is_refused() {
        let Some(bytes) = standin("a_standin_cut_at_half_its_length_is_refused") else {
            return;
        };
        let message = refused(&bytes[..bytes.len() / 2]);
        assert!(
            message.starts_with("it is not a whole ONNX model: cut short"),
            "{message}"
        );
        assert!(message.contains("model/README.md"), "{message}");
    }

    #[test]
    fn files_of_other_kinds_are_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
        assert!(
            refused(png).starts_with("it is not a whole ONNX model"),
            "{}",
            refused(png)
        );
        assert!(refused(b"").starts_with("it holds no graph"), "{}", refused(b""));
    }

    #[test]
    fn a_graph_reading_an_initializer_it_lacks_is_refused() {
        let mut graph = conv(
            tensor("input", FLOAT, &[1, 3, 8, 8]),
            tensor("output", FLOAT, &[1, 2, 8, 8]),
        );
        graph.initializer.clear();
        let message = refused(&model(graph, 17));
        assert!(
            message.contains("node 'Conv_output' reads 'w', which no node"),
            "{message}"
        );
    }

    #[test]
    fn a_model_naming_no_operator_set_is_refused() {
        let graph = conv(
            tensor("input", FLOAT, &[1, 3, 8, 8]),
            tensor("output", FLOAT, &[1, 2, 8, 8]),
        );
        let bytes = proto::ModelProto {
            graph: Some(graph),
            opset_import: vec![],
        }
        .encode_to_vec();
        assert!(refused(&bytes).contains("names no version of ONNX's standard operators"));
    }

    #[test]
    fn the_2016_networks_input_is_refused_saying_what_it_is() {
        let message = refused(&ddcolor_like(&[1, 1, 224, 224], &[1, 2, 224, 224]));
        let expected = "its input 'input' is float32 1x1x224x224; DDColor's is float32 1x3xSxS with a fixed side S";
        assert!(message.starts_with(expected), "{message}");
    }

    #[test]
    fn a_dynamic_side_is_refused() {
        let mut input = tensor("input", FLOAT, &[1, 3, 0, 0]);
        let dims = &mut input
            .r#type
            .as_mut()
            .unwrap()
            .tensor_type
            .as_mut()
            .unwrap()
            .shape
            .as_mut()
            .unwrap()
            .dim;
        for (dim, param) in dims[2..].iter_mut().zip(["height", "width"]) {
            *dim = proto::Dimension {
                dim_value: None,
                dim_param: Some(param.into()),
            };
        }
        let message = refused(&model(conv(input, tensor("output", FLOAT, &[1, 2, 8, 8])), 17));
        assert!(
            message.starts_with("its input 'input' is float32 1x3xheightxwidth;"),
            "{message}"
        );
    }

    #[test]
    fn a_model_with_another_input_is_refused() {
        let mut graph = conv(
            tensor("input", FLOAT, &[1, 3, 8, 8]),
            tensor("output", FLOAT, &[1, 2, 8, 8]),
        );
        graph.input.push(tensor("mask", FLOAT, &[1, 1, 8, 8]));
        let message = refused(&model(graph, 17));
        assert!(
            message.starts_with("it takes 2 inputs (input, mask); DDColor's takes one"),
            "{message}"
        );
    }

    #[test]
    fn an_output_of_another_side_or_kind_is_refused() {
        let message = refused(&ddcolor_like(&[1, 3, 256, 256], &[1, 2, 128, 128]));
        assert!(message.starts_with("its output 'output' is float32 1x2x128x128; DDColor's is float32 1x2x256x256"));
        let message = refused(&ddcolor_like(&[1, 3, 256, 256], &[1, 313, 256, 256]));
        assert!(
            message.starts_with("its output 'output' is float32 1x313x256x256;"),
            "{message}"
        );
    }

    /// Exporters before IR version 4 list the initializers among the inputs: they are weights, not inputs.
    #[test]
    fn initializers_listed_as_inputs_are_no_inputs() {
        let mut graph = conv(
            tensor("input", FLOAT, &[1, 3, 8, 8]),
            tensor("output", FLOAT, &[1, 2, 8, 8]),
        );
        graph.input.push(tensor("w", FLOAT, &[1]));
        assert_eq!(inspect(&model(graph, 9)).unwrap().side, 8);
    }

    /// The crash depends on the order of the GELU's nodes, not on the opset: torch's new exporter writes opset 18
    /// in the order that crashes, its legacy one the order OpenCV fuses, at whatever opset.
    #[test]
    fn an_opset_18_export_with_torch_dynamo_gelu_is_refused_and_the_legacy_order_passes() {
        let message = refused(&model(gelu(DYNAMO[0], std::f32::consts::SQRT_2), 18));
        assert!(
            message.starts_with("its GELU ending at node 'Mul_g' has its constants in an order"),
            "{message}"
        );
        assert!(message.ends_with("re-export with torch.onnx.export(..., dynamo=False), see model/README.md"));
        refused(&model(gelu(DYNAMO[0], std::f32::consts::SQRT_2), 17));
        assert!(inspect(&model(gelu(LEGACY, std::f32::consts::SQRT_2), 18)).is_ok());
    }
}
