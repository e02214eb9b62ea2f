//! tract-onnx backend: the graph is optimised once for a concrete `[1, ...]` input shape and the
//! resulting plan is shared by every worker (running it takes `&self`).

use std::sync::Arc;

use tract_onnx::prelude::*;

use super::{Backend, BackendError, BackendFactory, BackendKind, RawOutput};
use crate::model::load::LoadedModel;

type Plan = Arc<TypedSimplePlan>;

/// Shares one optimised plan between workers.
pub struct TractFactory {
    plan: Plan,
    shape: [usize; 4],
    embedding: Result<String, String>,
}

impl TractFactory {
    /// Loads and optimises `model` for batch size 1, with the embedding as a second output when
    /// the model has one (without it, if tract cannot expose it: predictions still work).
    pub fn new(model: &LoadedModel) -> Result<Self, BackendError> {
        let Ok(value) = &model.embedding else {
            let why = model
                .embedding
                .as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default();
            return Self::build(model, None).map(|(plan, shape)| Self {
                plan,
                shape,
                embedding: Err(why),
            });
        };
        match Self::build(model, Some(&value.name)) {
            Ok((plan, shape)) => Ok(Self {
                plan,
                shape,
                embedding: Ok(value.name.clone()),
            }),
            Err(why) => Self::build(model, None).map(|(plan, shape)| Self {
                plan,
                shape,
                embedding: Err(why.to_string()),
            }),
        }
    }

    fn build(
        model: &LoadedModel,
        embedding: Option<&str>,
    ) -> Result<(Plan, [usize; 4]), BackendError> {
        let input = &model.spec.input;
        let [a, b, c] = input.image_shape();
        let shape = [1, a, b, c];
        let path = &model.onnx_path;
        let fail = |e: TractError| {
            BackendError::Load(format!("tract could not load {}: {e:#}", path.display()))
        };
        crate::bounded_read::check_input(path, crate::bounded_read::InputKind::Model)
            .map_err(|e| BackendError::Load(e.to_string()))?;
        let mut graph = tract_onnx::onnx().model_for_path(path).map_err(fail)?;
        let input_idx = match &input.name {
            Some(name) => graph
                .input_outlets()
                .map_err(fail)?
                .iter()
                .position(|o| graph.node(o.node).name == *name)
                .ok_or_else(|| {
                    BackendError::Graph(format!(
                        "the model has no input called `{name}`: {}",
                        path.display()
                    ))
                })?,
            None => 0,
        };
        graph = graph
            .with_input_fact(input_idx, f32::fact(shape).into())
            .map_err(fail)?;
        if let Some(out) = &model.spec.output.name {
            graph = graph.with_outputs_by_name([out.as_str()]).map_err(fail)?;
        }
        if let Some(name) = embedding {
            let logits = *graph
                .output_outlets()
                .map_err(fail)?
                .first()
                .ok_or_else(|| BackendError::Graph("the model has no output".into()))?;
            let value = graph.find_outlet_label(name).ok_or_else(|| {
                BackendError::Graph(format!(
                    "tract finds no value `{name}` to read the embedding from: {}",
                    path.display()
                ))
            })?;
            graph
                .select_output_outlets(&[logits, value])
                .map_err(fail)?;
        }
        let plan = graph
            .into_optimized()
            .map_err(fail)?
            .into_runnable()
            .map_err(fail)?;
        Ok((plan, shape))
    }
}

impl BackendFactory for TractFactory {
    fn create(&self) -> Result<Box<dyn Backend>, BackendError> {
        Ok(Box::new(TractBackend {
            plan: self.plan.clone(),
            shape: self.shape,
        }))
    }

    fn kind(&self) -> BackendKind {
        BackendKind::Tract
    }

    fn describe(&self) -> String {
        "tract-onnx 0.23 (pure Rust)".to_string()
    }

    fn embedding(&self) -> Result<&str, &str> {
        self.embedding.as_deref().map_err(String::as_str)
    }
}

struct TractBackend {
    plan: Plan,
    shape: [usize; 4],
}

impl Backend for TractBackend {
    fn run(&mut self, input: &[f32], n: usize) -> Result<Vec<RawOutput>, BackendError> {
        let per_image = input.len() / n.max(1);
        let mut rows = Vec::with_capacity(n);
        for chunk in input.chunks_exact(per_image) {
            let failed =
                |e: TractError| BackendError::Inference(format!("tract inference failed: {e:#}"));
            let tensor = Tensor::from_shape(&self.shape, chunk).map_err(failed)?;
            let outputs = self.plan.run(tvec!(tensor.into())).map_err(failed)?;
            let flat = |t: &TValue| -> Result<Vec<f32>, BackendError> {
                let view = t.to_plain_array_view::<f32>().map_err(failed)?;
                Ok(view.iter().copied().collect())
            };
            let first = outputs
                .first()
                .ok_or_else(|| BackendError::Graph("the model produced no output".into()))?;
            rows.push(RawOutput {
                logits: flat(first)?,
                embedding: outputs.get(1).map(flat).transpose()?,
            });
        }
        Ok(rows)
    }
}
