//! Where a classifier keeps its embedding: the input of its final classifier layer (the pooled
//! features), read in the same inference as the logits. A spec can name the value
//! (`"embedding": {"name": ...}`); otherwise it is found by walking back from the output,
//! through shape and activation operators, to the last `Gemm`/`MatMul` (its input) or a
//! `GlobalAveragePool`/`ReduceMean`/`Flatten` (its output).

use std::collections::{HashMap, HashSet};

use prost::Message;
use tract_onnx::pb;

/// The value a model's embedding is read from.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingValue {
    /// The ONNX value name.
    pub name: String,
    /// How it was chosen, for the user ("named in the spec", "the input of the last Gemm").
    pub found_by: String,
}

/// Operators the walk back from the output passes through (they keep the classifier's input).
const PASS_THROUGH: &[&str] = &[
    "Softmax",
    "LogSoftmax",
    "Sigmoid",
    "Identity",
    "Add",
    "Mul",
    "Div",
    "Reshape",
    "Flatten",
    "Squeeze",
    "Unsqueeze",
    "Cast",
    "Dropout",
];

/// The classifier layers whose input is the embedding.
const CLASSIFIERS: &[&str] = &["Gemm", "MatMul"];

/// Pooling layers whose output is the embedding when the walk meets one before a classifier
/// layer (a 1x1 convolution classifier is walked through).
const POOLINGS: &[&str] = &["GlobalAveragePool", "ReduceMean", "Flatten"];

/// Why a model has no embedding value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoEmbeddingValue {
    /// The spec names a value no node produces.
    #[error("the spec names the embedding `{0}`, but no node produces a value of that name")]
    NamedMissing(String),
    /// The graph has no output to walk back from.
    #[error("the model has no output")]
    NoOutput,
    /// The file has no graph.
    #[error("the model has no graph")]
    NoGraph,
    /// The file could not be read as ONNX.
    #[error("{0}")]
    Unreadable(String),
    /// Not read for this model (a helper model, a benchmark): why.
    #[error("{0}")]
    Off(&'static str),
    /// Walking back from the output met no classifier or pooling layer.
    #[error(
        "no embedding found: walking back from `{start}` met {walked} and no {} or {}; name it in the spec's \"embedding\": {{\"name\": ...}}",
        CLASSIFIERS.join("/"),
        POOLINGS.join("/")
    )]
    NotFound {
        /// The output walked back from.
        start: String,
        /// The layers met, last first (`no node` when none).
        walked: String,
    },
}

/// Finds the embedding value of `graph`: `named` when given (it must exist), else the input of
/// the classifier layer that feeds `output` (or the first graph output). The error names what
/// was considered.
pub fn locate_embedding(
    graph: &pb::GraphProto,
    output: Option<&str>,
    named: Option<&str>,
) -> Result<EmbeddingValue, NoEmbeddingValue> {
    let produced: HashMap<&str, &pb::NodeProto> = graph
        .node
        .iter()
        .flat_map(|n| n.output.iter().map(move |o| (o.as_str(), n)))
        .collect();
    if let Some(name) = named {
        let known = produced.contains_key(name) || graph.input.iter().any(|i| i.name == name);
        return if known {
            Ok(EmbeddingValue {
                name: name.to_string(),
                found_by: "named in the spec".into(),
            })
        } else {
            Err(NoEmbeddingValue::NamedMissing(name.to_string()))
        };
    }
    let constants: HashSet<&str> = graph
        .initializer
        .iter()
        .map(|i| i.name.as_str())
        .chain(
            graph
                .node
                .iter()
                .filter(|n| n.op_type == "Constant")
                .flat_map(|n| n.output.iter().map(String::as_str)),
        )
        .collect();
    let data_input = |n: &pb::NodeProto| {
        n.input
            .iter()
            .find(|i| !i.is_empty() && !constants.contains(i.as_str()))
            .cloned()
    };
    let start = match output {
        Some(o) => o.to_string(),
        None => graph
            .output
            .first()
            .map(|o| o.name.clone())
            .ok_or(NoEmbeddingValue::NoOutput)?,
    };
    let mut walked = Vec::new();
    let mut value = start.clone();
    let mut through_conv = false;
    while let Some(node) = produced.get(value.as_str()) {
        let op = node.op_type.as_str();
        walked.push(op.to_string());
        if CLASSIFIERS.contains(&op) {
            if let Some(input) = data_input(node) {
                return Ok(EmbeddingValue {
                    name: input,
                    found_by: format!("the input of the last {op}"),
                });
            }
            break;
        }
        if POOLINGS.contains(&op) {
            return Ok(EmbeddingValue {
                name: value,
                found_by: format!("the output of the last {op}"),
            });
        }
        // A 1x1 convolution as the classifier (SqueezeNet, MobileNet v1): once.
        let conv_classifier = op == "Conv" && !through_conv;
        through_conv |= conv_classifier;
        if !(PASS_THROUGH.contains(&op) || conv_classifier) || walked.len() > 16 {
            break;
        }
        match data_input(node) {
            Some(input) => value = input,
            None => break,
        }
    }
    Err(NoEmbeddingValue::NotFound {
        start,
        walked: if walked.is_empty() {
            "no node".to_string()
        } else {
            walked.join(" <- ")
        },
    })
}

/// A graph output (or value) `name` of type float, shape unknown.
pub fn float_value(name: &str) -> pb::ValueInfoProto {
    pb::ValueInfoProto {
        name: name.to_string(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: pb::tensor_proto::DataType::Float as i32,
                shape: None,
            })),
            ..Default::default()
        }),
        doc_string: String::new(),
    }
}

/// `bytes` (an ONNX model) with `name` added as a graph output of type float. The addition is
/// appended as a second `graph` field, which protobuf parsers merge into the first: every
/// byte of the original stays as it was.
pub fn with_graph_output(bytes: &[u8], name: &str) -> Vec<u8> {
    let addition = pb::ModelProto {
        graph: Some(pb::GraphProto {
            output: vec![float_value(name)],
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut out = bytes.to_vec();
    out.extend_from_slice(&addition.encode_to_vec());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(op: &str, inputs: &[&str], output: &str) -> pb::NodeProto {
        pb::NodeProto {
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            ..Default::default()
        }
    }

    fn graph(nodes: Vec<pb::NodeProto>, initializers: &[&str], output: &str) -> pb::GraphProto {
        pb::GraphProto {
            node: nodes,
            initializer: initializers
                .iter()
                .map(|n| pb::TensorProto {
                    name: n.to_string(),
                    ..Default::default()
                })
                .collect(),
            output: vec![pb::ValueInfoProto {
                name: output.into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn the_classifier_input_is_the_embedding() {
        let g = graph(
            vec![
                node("GlobalAveragePool", &["x"], "pooled"),
                node("Flatten", &["pooled"], "flat"),
                node("Gemm", &["flat", "w", "b"], "logits"),
                node("Softmax", &["logits"], "probs"),
            ],
            &["w", "b"],
            "probs",
        );
        let found = locate_embedding(&g, None, None).unwrap();
        assert_eq!(found.name, "flat");
        assert_eq!(found.found_by, "the input of the last Gemm");
        // A MatMul whose weight comes first still yields the data input.
        let g = graph(
            vec![
                node("MatMul", &["w", "feat"], "mm"),
                node("Add", &["mm", "b"], "logits"),
            ],
            &["w", "b"],
            "logits",
        );
        assert_eq!(locate_embedding(&g, None, None).unwrap().name, "feat");
    }

    #[test]
    fn a_pooling_before_a_conv_classifier_is_used_and_failures_name_the_walk() {
        let g = graph(
            vec![
                node("GlobalAveragePool", &["x"], "pooled"),
                node("Conv", &["pooled", "w"], "conv"),
                node("Reshape", &["conv", "shape"], "logits"),
            ],
            &["w", "shape"],
            "logits",
        );
        let found = locate_embedding(&g, None, None).unwrap();
        assert_eq!(found.name, "pooled");
        let g = graph(
            vec![
                node("GlobalAveragePool", &["x"], "inner"),
                node("Mul", &["x", "inner"], "scaled"),
                node("ConvTranspose", &["scaled", "w"], "up"),
                node("Sigmoid", &["up"], "logits"),
            ],
            &["w"],
            "logits",
        );
        let err = locate_embedding(&g, None, None).unwrap_err().to_string();
        assert!(
            err.contains("met Sigmoid <- ConvTranspose") && err.contains("Gemm/MatMul"),
            "{err}"
        );
        let err = locate_embedding(&g, None, Some("nope"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`nope`"), "{err}");
        assert_eq!(
            locate_embedding(&g, None, Some("inner")).unwrap().name,
            "inner"
        );
    }

    #[test]
    fn an_added_output_merges_into_the_graph() {
        let model = pb::ModelProto {
            ir_version: 8,
            graph: Some(graph(
                vec![node("Gemm", &["flat", "w"], "logits")],
                &["w"],
                "logits",
            )),
            ..Default::default()
        };
        let bytes = model.encode_to_vec();
        let rewritten = with_graph_output(&bytes, "flat");
        assert!(rewritten.starts_with(&bytes));
        let back = pb::ModelProto::decode(rewritten.as_slice()).unwrap();
        let g = back.graph.unwrap();
        let outputs: Vec<_> = g.output.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(outputs, ["logits", "flat"]);
        assert_eq!(g.node.len(), 1);
        assert_eq!(back.ir_version, 8);
    }
}
