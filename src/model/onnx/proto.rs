//! The slice of ONNX's protobuf schema (onnx/onnx.proto) that the check reads: the graph's nodes, initializers,
//! inputs and outputs with their types, and the operator sets. prost skips every field not declared here.

use prost::Message;

#[derive(Clone, PartialEq, Message)]
pub struct ModelProto {
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphProto>,
    #[prost(message, repeated, tag = "8")]
    pub opset_import: Vec<OperatorSetIdProto>,
}

#[derive(Clone, PartialEq, Message)]
pub struct OperatorSetIdProto {
    /// Empty or "ai.onnx" for the standard operators.
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
    #[prost(message, repeated, tag = "5")]
    pub attribute: Vec<AttributeProto>,
}

#[derive(Clone, PartialEq, Message)]
pub struct AttributeProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(message, optional, tag = "5")]
    pub t: Option<TensorProto>,
}

#[derive(Clone, PartialEq, Message)]
pub struct TensorProto {
    #[prost(int64, repeated, tag = "1")]
    pub dims: Vec<i64>,
    #[prost(int32, optional, tag = "2")]
    pub data_type: Option<i32>,
    #[prost(float, repeated, tag = "4")]
    pub float_data: Vec<f32>,
    #[prost(int32, repeated, tag = "5")]
    pub int32_data: Vec<i32>,
    #[prost(int64, repeated, tag = "7")]
    pub int64_data: Vec<i64>,
    #[prost(string, optional, tag = "8")]
    pub name: Option<String>,
    #[prost(bytes = "vec", optional, tag = "9")]
    pub raw_data: Option<Vec<u8>>,
    #[prost(double, repeated, tag = "10")]
    pub double_data: Vec<f64>,
    #[prost(uint64, repeated, tag = "11")]
    pub uint64_data: Vec<u64>,
    /// 1 (EXTERNAL): the data lies in another file.
    #[prost(int32, optional, tag = "14")]
    pub data_location: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ValueInfoProto {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<TypeProto>,
}

/// Only the tensor member of TypeProto's `value` oneof: sequences, maps and the rest are no picture.
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

/// One axis: a fixed size, a named (dynamic) one, or neither (unknown).
#[derive(Clone, PartialEq, Message)]
pub struct Dimension {
    #[prost(int64, optional, tag = "1")]
    pub dim_value: Option<i64>,
    #[prost(string, optional, tag = "2")]
    pub dim_param: Option<String>,
}

/// TensorProto.DataType FLOAT.
pub const FLOAT: i32 = 1;

/// Small models built in code, for the tests of the check.
#[cfg(test)]
pub mod build {
    use super::*;

    pub fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
        NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            name: Some(format!("{op}_{output}")),
            op_type: Some(op.to_string()),
            attribute: vec![],
        }
    }

    pub fn scalar(name: &str, value: f32) -> TensorProto {
        TensorProto {
            data_type: Some(FLOAT),
            float_data: vec![value],
            name: Some(name.to_string()),
            ..Default::default()
        }
    }

    /// A Constant node holding `value`, as torch's legacy exporter writes one.
    pub fn constant(output: &str, value: f32) -> NodeProto {
        let attribute = AttributeProto {
            name: Some("value".into()),
            t: Some(scalar("", value)),
        };
        NodeProto {
            attribute: vec![attribute],
            ..node("Constant", &[], output)
        }
    }

    pub fn tensor(name: &str, elem_type: i32, dims: &[i64]) -> ValueInfoProto {
        let dim = dims
            .iter()
            .map(|&d| Dimension {
                dim_value: Some(d),
                dim_param: None,
            })
            .collect();
        let tensor_type = TensorType {
            elem_type: Some(elem_type),
            shape: Some(TensorShapeProto { dim }),
        };
        ValueInfoProto {
            name: Some(name.to_string()),
            r#type: Some(TypeProto {
                tensor_type: Some(tensor_type),
            }),
        }
    }

    /// DDColor's input and output around one Erf GELU: input -> Div -> Erf -> Add -> Mul -> Mul -> Conv ->
    /// output, with `order` the inputs of the Add and the two Muls and the constants as initializers.
    pub fn gelu(order: Order, divisor: f32) -> GraphProto {
        let [add, mul, last] = order;
        GraphProto {
            node: vec![
                node("Div", &["input", "sqrt2"], "d"),
                node("Erf", &["d"], "e"),
                node("Add", &add, "a"),
                node("Mul", &mul, "m"),
                node("Mul", &last, "g"),
                node("Conv", &["g", "w"], "output"),
            ],
            initializer: ["w", "sqrt2", "one", "half"]
                .into_iter()
                .zip([1.0, divisor, 1.0, 0.5])
                .map(|(name, value)| scalar(name, value))
                .collect(),
            input: vec![tensor("input", FLOAT, &[1, 3, 8, 8])],
            output: vec![tensor("output", FLOAT, &[1, 2, 8, 8])],
        }
    }

    /// The inputs of a GELU's Add, first Mul and last Mul.
    pub type Order = [[&'static str; 2]; 3];

    /// torch's legacy exporter: `Mul(Mul(x, Add(erf, 1)), 0.5)`, which OpenCV fuses.
    pub const LEGACY: Order = [["e", "one"], ["input", "a"], ["m", "half"]];

    /// The two orders of torch's dynamo exporter (its torchlib's `_aten_gelu_approximate_none` has had both), which
    /// crash OpenCV: `Mul(x, Mul(0.5, Add(erf, 1)))` and `Mul(0.5, Mul(x, Add(erf, 1)))`.
    pub const DYNAMO: [Order; 2] = [
        [["e", "one"], ["half", "a"], ["input", "m"]],
        [["e", "one"], ["input", "a"], ["half", "m"]],
    ];

    /// The encoded model of `graph` for the standard operator set `opset`.
    pub fn model(graph: GraphProto, opset: i64) -> Vec<u8> {
        let opset = OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(opset),
        };
        ModelProto {
            graph: Some(graph),
            opset_import: vec![opset],
        }
        .encode_to_vec()
    }
}
