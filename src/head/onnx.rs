//! A deployable model: the original ONNX graph up to the embedding value, then the new head
//! (Flatten, Gemm with the standardisation folded into its weights, and Softmax when the
//! original gave probabilities). The original file is read, never written.

use prost::Message;
use tract_onnx::pb;

use super::train::Head;

/// Names of what the head adds to the graph.
const FLAT: &str = "labelscope_head_input";
const WEIGHTS: &str = "labelscope_head_weights";
const BIAS: &str = "labelscope_head_bias";
const LOGITS: &str = "labelscope_head_logits";
const PROBS: &str = "labelscope_head_probabilities";

/// The name of the new model's output.
pub fn output_name(softmax: bool) -> &'static str {
    if softmax { PROBS } else { LOGITS }
}

fn tensor(name: &str, dims: &[i64], values: Vec<f32>) -> pb::TensorProto {
    pb::TensorProto {
        name: name.to_string(),
        dims: dims.to_vec(),
        data_type: pb::tensor_proto::DataType::Float as i32,
        float_data: values,
        ..Default::default()
    }
}

fn node(op: &str, inputs: &[&str], output: &str, attrs: Vec<pb::AttributeProto>) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.to_string(),
        name: output.to_string(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.to_string()],
        attribute: attrs,
        ..Default::default()
    }
}

fn int_attr(name: &str, value: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.to_string(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i: value,
        ..Default::default()
    }
}

use super::HeadError;

/// The model `bytes` cut at `embedding` (a value name) with `head` on top. Nodes the embedding
/// does not depend on (the old classifier) are dropped, as are their initializers.
pub fn model_with_head(
    bytes: &[u8],
    embedding: &str,
    head: &Head,
    softmax: bool,
) -> Result<Vec<u8>, HeadError> {
    let mut model = pb::ModelProto::decode(bytes)
        .map_err(|e| HeadError::Onnx(format!("cannot read the ONNX model: {e}")))?;
    let graph = model
        .graph
        .as_mut()
        .ok_or_else(|| HeadError::Onnx("the ONNX model has no graph".into()))?;
    // Walk back from the embedding: keep the nodes (in their order) it depends on.
    let mut needed: std::collections::HashSet<String> = [embedding.to_string()].into();
    let mut keep = vec![false; graph.node.len()];
    for (k, n) in graph.node.iter().enumerate().rev() {
        if n.output.iter().any(|o| needed.contains(o)) {
            keep[k] = true;
            needed.extend(n.input.iter().filter(|i| !i.is_empty()).cloned());
        }
    }
    let produced = graph
        .node
        .iter()
        .flat_map(|n| n.output.iter())
        .chain(graph.input.iter().map(|i| &i.name))
        .chain(graph.initializer.iter().map(|t| &t.name))
        .any(|o| o == embedding);
    if !produced {
        return Err(HeadError::Onnx(format!(
            "the graph has no value `{embedding}`"
        )));
    }
    let mut k = 0;
    graph.node.retain(|_| {
        k += 1;
        keep[k - 1]
    });
    graph.initializer.retain(|t| needed.contains(&t.name));
    graph.input.retain(|i| needed.contains(&i.name));
    graph.value_info.retain(|v| needed.contains(&v.name));
    let (w, b) = head.folded();
    let (dim, classes) = (w.nrows() as i64, w.ncols() as i64);
    graph.initializer.push(tensor(
        WEIGHTS,
        &[dim, classes],
        w.iter().copied().collect(),
    ));
    graph.initializer.push(tensor(BIAS, &[classes], b.to_vec()));
    graph.node.push(node(
        "Flatten",
        &[embedding],
        FLAT,
        vec![int_attr("axis", 1)],
    ));
    graph
        .node
        .push(node("Gemm", &[FLAT, WEIGHTS, BIAS], LOGITS, Vec::new()));
    if softmax {
        graph
            .node
            .push(node("Softmax", &[LOGITS], PROBS, vec![int_attr("axis", 1)]));
    }
    let out = output_name(softmax);
    graph.output = vec![crate::model::embedding_value::float_value(out)];
    graph.name = format!("{} with a labelscope head", graph.name);
    model.producer_name = "labelscope".into();
    model.producer_version = env!("CARGO_PKG_VERSION").into();
    Ok(model.encode_to_vec())
}
