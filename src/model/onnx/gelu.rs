//! The GELUs that crash OpenCV 4.14's ONNX importer, found before it sees them.
//!
//! Before building the network, OpenCV fuses `x / sqrt(2) -> Erf -> Add -> Mul -> Mul` into one Gelu layer
//! (`GeluSubGraph` in modules/dnn/src/onnx/onnx_graph_simplifier.cpp). Its matcher starts at the last Mul and
//! walks up through each node's inputs, trying both orders of an Add's or a Mul's inputs, and does not require
//! the x of the Div and of the Mul to be the same: these five nodes match whatever order their inputs are in. It
//! then reads the *second* input of the Div, the Add and the last Mul as constants (`extractConstant(..., 1)`),
//! in that order, and gives up at the first whose value is not the GELU's (sqrt 2, 1, 0.5). When that input is
//! not a constant it reads a tensor that is not there (the first attribute of a node that has none, of no node
//! at all for a graph input, or an empty tensor) and the process dies with SIGSEGV in `GeluSubGraph::match`, at
//! any opset. Checked on 152 generated graphs (every order of these inputs, constants as initializers or as
//! Constant nodes, opsets 17 and 18, other constants): OpenCV 4.14 crashed on exactly the ones refused here.
//!
//! torch's legacy exporter writes `Mul(Mul(x, Add(Erf(Div(x, c)), c)), c)`: every constant second, which OpenCV
//! fuses. torch's dynamo exporter (opset 18) writes `Mul(x, Mul(0.5, Add(Erf(..), 1)))` or, in other releases,
//! `Mul(0.5, Mul(x, ..))`: the last Mul's second input is a node, and OpenCV crashes. The file is refused rather
//! than rewritten: re-encoding it would need every field of ONNX's schema, not the few read here, and the
//! network run would no longer be the file the user has (its digest, the order of its float products).

use std::collections::HashMap;

use anyhow::{bail, Result};

use super::proto::{GraphProto, NodeProto, TensorProto, FLOAT};

/// Refuses a graph with a GELU that OpenCV 4.14's importer would crash on.
pub fn check(graph: &GraphProto) -> Result<()> {
    let makers = Makers::new(graph);
    for (erf, node) in graph.node.iter().enumerate() {
        if !is(node, "Erf", 1) {
            continue;
        }
        let Some(div) = makers.node(&node.input[0]).filter(|&d| is(&graph.node[d], "Div", 2)) else {
            continue;
        };
        for add in makers.users(erf, "Add") {
            for mul in makers.users(add, "Mul") {
                for last in makers.users(mul, "Mul") {
                    if makers.crashes([(div, SQRT_2), (add, 1.0), (last, 0.5)]) {
                        let node = &graph.node[last];
                        let name = node.name.as_deref().filter(|n| !n.is_empty());
                        bail!(
                            "its GELU ending at node '{}' has its constants in an order that crashes OpenCV 4.14's \
                             ONNX importer, as torch's new exporter (opset 18) writes them: re-export with \
                             torch.onnx.export(..., dynamo=False), see model/README.md",
                            name.or(node.output.first().map(String::as_str)).unwrap_or("?")
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

const SQRT_2: f64 = std::f64::consts::SQRT_2;

fn is(node: &NodeProto, op: &str, inputs: usize) -> bool {
    node.op_type.as_deref() == Some(op) && node.input.len() == inputs
}

/// What makes a value, as OpenCV's importer looks it up: an initializer of that name first (its
/// `getInputInitializerId`), then a graph input, then the first node with that output (`getInputNodeId`).
#[derive(Clone, Copy)]
enum Maker {
    Initializer(usize),
    Input,
    Node(usize),
}

/// What OpenCV reads where it expects a constant.
enum Constant {
    /// Nothing: reading it crashes.
    Missing,
    Value(f32),
    /// Data OpenCV reads without crashing, not as a float here; taken as the GELU's value, so that the checks
    /// after it still run.
    Unread,
}

struct Makers<'a> {
    graph: &'a GraphProto,
    by_name: HashMap<&'a str, Maker>,
    /// For each node, the nodes that read one of its outputs.
    users: Vec<Vec<usize>>,
}

impl<'a> Makers<'a> {
    fn new(graph: &'a GraphProto) -> Self {
        let mut by_name = HashMap::new();
        let initializers = graph
            .initializer
            .iter()
            .enumerate()
            .map(|(i, t)| (&t.name, Maker::Initializer(i)));
        let inputs = graph.input.iter().map(|v| (&v.name, Maker::Input));
        for (name, maker) in initializers.chain(inputs) {
            by_name.entry(name.as_deref().unwrap_or_default()).or_insert(maker);
        }
        for (i, node) in graph.node.iter().enumerate() {
            for output in &node.output {
                by_name.entry(output.as_str()).or_insert(Maker::Node(i));
            }
        }
        let mut makers = Makers {
            graph,
            by_name,
            users: vec![vec![]; graph.node.len()],
        };
        for (i, node) in graph.node.iter().enumerate() {
            for input in &node.input {
                if let Some(maker) = makers.node(input) {
                    if !makers.users[maker].contains(&i) {
                        makers.users[maker].push(i);
                    }
                }
            }
        }
        makers
    }

    fn node(&self, name: &str) -> Option<usize> {
        match self.by_name.get(name) {
            Some(&Maker::Node(i)) => Some(i),
            _ => None,
        }
    }

    /// The nodes of type `op` with two inputs that read an output of `node`.
    fn users(&self, node: usize, op: &'a str) -> impl Iterator<Item = usize> + '_ {
        self.users[node]
            .iter()
            .copied()
            .filter(move |&u| is(&self.graph.node[u], op, 2))
    }

    /// Whether OpenCV crashes reading the second input of each node as the value given, in turn.
    fn crashes(&self, reads: [(usize, f64); 3]) -> bool {
        for (node, expected) in reads {
            match self.constant(&self.graph.node[node].input[1]) {
                Constant::Missing => return true,
                Constant::Value(v) if (f64::from(v) - expected).abs() >= f64::from(f32::EPSILON) => return false,
                Constant::Value(_) | Constant::Unread => {}
            }
        }
        false
    }

    fn constant(&self, name: &str) -> Constant {
        if name.is_empty() {
            // OpenCV's own empty initializer, which it adds for skipped optional inputs.
            return Constant::Missing;
        }
        match self.by_name.get(name) {
            Some(&Maker::Initializer(i)) => as_matrix(&self.graph.initializer[i]),
            Some(Maker::Input) => Constant::Missing,
            Some(&Maker::Node(i)) => match self.graph.node[i].attribute.first() {
                Some(attribute) => attribute.t.as_ref().map_or(Constant::Missing, as_matrix),
                None => Constant::Missing,
            },
            // OpenCV throws an error for a name nothing makes, and the graph's completeness check refuses it first.
            None => Constant::Unread,
        }
    }
}

/// A tensor as OpenCV's `getMatFromTensor` reads it: no data, or a size 0, gives an empty matrix.
fn as_matrix(t: &TensorProto) -> Constant {
    const EXTERNAL: i32 = 1;
    let raw = t.raw_data.as_deref().unwrap_or_default();
    let has_data = !raw.is_empty()
        || !t.float_data.is_empty()
        || !t.double_data.is_empty()
        || !t.int64_data.is_empty()
        || !t.int32_data.is_empty()
        || !t.uint64_data.is_empty()
        || t.data_location == Some(EXTERNAL);
    if !has_data || t.dims.contains(&0) {
        return Constant::Missing;
    }
    match (t.data_type, t.float_data.first(), raw.first_chunk::<4>()) {
        (Some(FLOAT), Some(&v), _) => Constant::Value(v),
        (Some(FLOAT), None, Some(bytes)) => Constant::Value(f32::from_le_bytes(*bytes)),
        _ => Constant::Unread,
    }
}

#[cfg(test)]
mod tests {
    use super::super::proto::build::{constant, gelu, tensor, Order, DYNAMO, LEGACY};
    use super::*;

    fn refused(graph: &GraphProto) -> String {
        check(graph).expect_err("refused").to_string()
    }

    #[test]
    fn torch_dynamo_gelu_that_crashes_opencv_is_refused() {
        for order in DYNAMO {
            let message = refused(&gelu(order, SQRT_2 as f32));
            assert!(message.contains("node 'Mul_g'"), "{message}");
            assert!(message.contains("torch.onnx.export(..., dynamo=False)"), "{message}");
        }
    }

    /// OpenCV reads the Add's second input as the 1 and crashes when it is the Erf.
    #[test]
    fn a_gelu_adding_its_one_first_is_refused() {
        let [_, mul, last] = LEGACY;
        refused(&gelu([["one", "e"], mul, last], SQRT_2 as f32));
    }

    #[test]
    fn the_legacy_exporters_gelu_passes_with_initializers_or_constant_nodes() {
        let mut graph = gelu(LEGACY, SQRT_2 as f32);
        check(&graph).unwrap();
        // As torch's legacy exporter writes them: Constant nodes, not initializers.
        let values = graph.initializer.split_off(1);
        let constants = values
            .iter()
            .map(|t| constant(t.name.as_deref().unwrap(), t.float_data[0]));
        graph.node.splice(0..0, constants);
        check(&graph).unwrap();
    }

    /// OpenCV reads the Div's constant first and stops there when it is not sqrt 2, before the node that would
    /// crash it: such a graph loads, and is not refused.
    #[test]
    fn a_division_by_another_constant_is_no_gelu_and_passes() {
        for order in DYNAMO {
            check(&gelu(order, 2.0)).unwrap();
        }
    }

    /// A graph input has no node in OpenCV's importer: reading it as a constant dereferences nothing.
    #[test]
    fn a_gelu_scaled_by_a_graph_input_is_refused() {
        let [add, mul, _]: Order = LEGACY;
        let mut graph = gelu([add, mul, ["m", "scale"]], SQRT_2 as f32);
        graph.input.push(tensor("scale", 1, &[1]));
        refused(&graph);
    }

    #[test]
    fn a_constant_without_data_is_missing_and_one_with_data_is_read() {
        let empty = TensorProto {
            data_type: Some(FLOAT),
            ..Default::default()
        };
        assert!(matches!(as_matrix(&empty), Constant::Missing));
        let raw = TensorProto {
            raw_data: Some(0.5f32.to_le_bytes().to_vec()),
            ..empty.clone()
        };
        assert!(matches!(as_matrix(&raw), Constant::Value(v) if v == 0.5));
        let sized_zero = TensorProto { dims: vec![0], ..raw };
        assert!(matches!(as_matrix(&sized_zero), Constant::Missing));
    }
}
