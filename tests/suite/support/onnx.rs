//! ONNX files written by the tests: the slice of ONNX's protobuf schema (onnx/onnx.proto) they need, to build a
//! small graph or a piece to append to a whole file. Protobuf merges what follows into what came before (a
//! message field is merged, a repeated one appended to), so the stand-in's bytes followed by a `ModelProto` holding
//! only a graph input are the stand-in with one more input, every field it has kept as it is.

use prost::Message;

#[derive(Clone, PartialEq, Message)]
pub struct ModelProto {
    #[prost(string, optional, tag = "6")]
    pub doc_string: Option<String>,
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
}

#[derive(Clone, PartialEq, Message)]
pub struct OperatorSetIdProto {
    #[prost(string, optional, tag = "1")]
    pub domain: Option<String>,
    #[prost(int64, optional, tag = "2")]
    pub version: Option<i64>,
}

#[derive(Clone, PartialEq, Message)]
pub struct GraphProto {
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeProto>,
    #[prost(message, repeated, tag = "5")]
    pub initializer: Vec<TensorProto>,
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueInfoProto>,
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueInfoProto>,
}

#[derive(Clone, PartialEq, Message)]
pub struct NodeProto {
    #[prost(string, repeated, tag = "1")]
    pub input: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    pub output: Vec<String>,
    #[prost(string, optional, tag = "3")]
    pub name: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub op_type: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    #[prost(int32, optional, tag = "2")]
    pub data_type: Option<i32>,
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    #[prost(string, optional, tag = "8")]
    pub name: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ValueInfoProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
}

#[derive(Clone, PartialEq, Message)]
pub struct TypeProto {
    #[prost(message, optional, tag = "1")]
    pub tensor_type: Option<TensorType>,
}

#[derive(Clone, PartialEq, Message)]
pub struct TensorType {
    #[prost(int32, optional, tag = "1")]
    pub elem_type: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub shape: Option<TensorShapeProto>,
}

#[derive(Clone, PartialEq, Message)]
pub struct TensorShapeProto {
    #[prost(message, repeated, tag = "1")]
    pub dim: Vec<Dimension>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Dimension {
    #[prost(int64, optional, tag = "1")]
    pub dim_value: Option<i64>,
}

/// TensorProto.DataType FLOAT.
const FLOAT: i32 = 1;

/// A float32 tensor value of fixed `dims`.
pub fn tensor(name: &str, dims: &[i64]) -> ValueInfoProto {
    let dim = dims.iter().map(|&d| Dimension { dim_value: Some(d) }).collect();
    let tensor_type = TensorType {
        elem_type: Some(FLOAT),
        shape: Some(TensorShapeProto { dim }),
    };
    ValueInfoProto {
        name: Some(name.to_string()),
        r#type: Some(TypeProto {
            tensor_type: Some(tensor_type),
        }),
    }
}

pub fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.to_string()],
        name: Some(format!("{op}_{output}")),
        op_type: Some(op.to_string()),
    }
}

/// A float32 initializer of `dims` holding `values`.
pub fn weights(name: &str, dims: &[i64], values: Vec<f32>) -> TensorProto {
    TensorProto {
        dims: dims.to_vec(),
        data_type: Some(FLOAT),
        float_data: values,
        name: Some(name.to_string()),
    }
}

/// The inputs of a GELU's Add, first Mul and last Mul: `Mul(?, Mul(?, Add(Erf(Div(x, sqrt 2)), 1)))`.
pub type Order = [[&'static str; 2]; 3];

/// torch's legacy exporter (`dynamo=False`): `Mul(Mul(x, Add(erf, 1)), 0.5)`, which OpenCV 4.14 fuses.
pub const LEGACY: Order = [["e", "one"], ["input", "a"], ["m", "half"]];

/// torch's dynamo exporter (its default from torch 2.9, opset 18): `Mul(x, Mul(0.5, Add(erf, 1)))`.
pub const DYNAMO: Order = [["e", "one"], ["half", "a"], ["input", "m"]];

/// A model in DDColor's contract at opset `opset`: its 1x3x8x8 input through one GELU with its nodes in `order`,
/// then a 1x1 convolution to the 1x2x8x8 output.
pub fn gelu_model(order: Order, opset: i64) -> Vec<u8> {
    let [add, mul, last] = order;
    let graph = GraphProto {
        node: vec![
            node("Div", &["input", "sqrt2"], "d"),
            node("Erf", &["d"], "e"),
            node("Add", &add, "a"),
            node("Mul", &mul, "m"),
            node("Mul", &last, "g"),
            node("Conv", &["g", "w"], "output"),
        ],
        initializer: vec![
            weights("w", &[2, 3, 1, 1], vec![0.5; 6]),
            weights("sqrt2", &[], vec![std::f32::consts::SQRT_2]),
            weights("one", &[], vec![1.0]),
            weights("half", &[], vec![0.5]),
        ],
        input: vec![tensor("input", &[1, 3, 8, 8])],
        output: vec![tensor("output", &[1, 2, 8, 8])],
    };
    let opset = OperatorSetIdProto {
        domain: Some(String::new()),
        version: Some(opset),
    };
    ModelProto {
        doc_string: None,
        graph: Some(graph),
        opset_import: vec![opset],
    }
    .encode_to_vec()
}

/// `whole` with `more` merged into it: the bytes of a model followed by those of a piece of one.
pub fn merged(whole: &[u8], more: &ModelProto) -> Vec<u8> {
    [whole, &more.encode_to_vec()].concat()
}

/// A piece of a model holding a graph `graph` and nothing else.
pub fn graph_piece(graph: GraphProto) -> ModelProto {
    ModelProto {
        doc_string: None,
        graph: Some(graph),
        opset_import: Vec::new(),
    }
}
