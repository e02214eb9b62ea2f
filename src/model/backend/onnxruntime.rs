//! ONNX Runtime backend through `ort` 2.0 with a dynamically loaded library. `Session::run`
//! takes `&mut self`, so each worker owns a session with one intra-op thread; parallelism comes
//! from the workers.

use ort::session::Session;
use ort::value::Tensor;

use super::ort_library::OrtRuntime;
use super::{Backend, BackendFactory, BackendKind};
use crate::model::load::LoadedModel;

/// Creates one session per worker from the model bytes.
pub struct OrtFactory {
    bytes: Vec<u8>,
    input_name: String,
    output_name: Option<String>,
    shape: [usize; 3],
    runtime: OrtRuntime,
}

impl OrtFactory {
    /// Checks that a session can be created for `model`.
    pub fn new(model: &LoadedModel, runtime: OrtRuntime) -> Result<Self, String> {
        let bytes = std::fs::read(&model.onnx_path)
            .map_err(|e| format!("cannot read {}: {e}", model.onnx_path.display()))?;
        let probe = session(&runtime.environment, &bytes)?;
        let input_name = match &model.spec.input.name {
            Some(n) => n.clone(),
            None => probe
                .inputs()
                .first()
                .map(|i| i.name().to_string())
                .ok_or("the model has no inputs")?,
        };
        let shape = model.spec.input.image_shape();
        Ok(Self {
            bytes,
            input_name,
            output_name: model.spec.output.name.clone(),
            shape,
            runtime,
        })
    }
}

fn session(env: &ort::environment::Environment, bytes: &[u8]) -> Result<Session, String> {
    let options = |e: String| format!("ONNX Runtime session options: {e}");
    Session::builder(env)
        .map_err(|e| options(e.to_string()))?
        .with_intra_threads(1)
        .map_err(|e| options(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| options(e.to_string()))?
        .commit_from_memory(bytes)
        .map_err(|e| format!("ONNX Runtime could not load the model: {e}"))
}

impl BackendFactory for OrtFactory {
    fn create(&self) -> Result<Box<dyn Backend>, String> {
        Ok(Box::new(OrtBackend {
            session: session(&self.runtime.environment, &self.bytes)?,
            input_name: self.input_name.clone(),
            output_name: self.output_name.clone(),
            shape: self.shape,
        }))
    }

    fn kind(&self) -> BackendKind {
        BackendKind::OnnxRuntime
    }

    fn describe(&self) -> String {
        format!(
            "onnxruntime (ort 2.0) from {}",
            self.runtime.library.display()
        )
    }
}

struct OrtBackend {
    session: Session,
    input_name: String,
    output_name: Option<String>,
    shape: [usize; 3],
}

impl Backend for OrtBackend {
    fn run(&mut self, input: &[f32], n: usize) -> Result<Vec<Vec<f32>>, String> {
        let [a, b, c] = self.shape;
        let tensor =
            Tensor::from_array(([n, a, b, c], input.to_vec())).map_err(|e| format!("{e}"))?;
        let outputs = self
            .session
            .run(ort::inputs![self.input_name.as_str() => tensor])
            .map_err(|e| format!("ONNX Runtime inference failed: {e}"))?;
        let value = match &self.output_name {
            Some(name) => outputs
                .get(name.as_str())
                .ok_or_else(|| format!("the model has no output `{name}`"))?,
            None => &outputs[0],
        };
        let (_, data) = value
            .try_extract_tensor::<f32>()
            .map_err(|e| format!("{e}"))?;
        let per_row = data.len() / n.max(1);
        Ok(data
            .chunks_exact(per_row.max(1))
            .map(<[f32]>::to_vec)
            .collect())
    }
}
