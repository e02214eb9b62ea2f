//! ONNX Runtime backend through `ort` 2.0 with a dynamically loaded library. `Session::run`
//! takes `&mut self`, so each worker owns a session with one intra-op thread; parallelism comes
//! from the workers.

use ort::session::Session;
use ort::value::Tensor;

use super::ort_library::OrtRuntime;
use super::{Backend, BackendError, BackendFactory, BackendKind, RawOutput};
use crate::model::embedding_value::with_graph_output;
use crate::model::load::LoadedModel;

/// Creates one session per worker from the model bytes.
pub struct OrtFactory {
    bytes: Vec<u8>,
    input_name: String,
    output_name: Option<String>,
    embedding: Result<String, String>,
    shape: [usize; 3],
    runtime: OrtRuntime,
    /// The session made to check the model, handed to the first worker: one session start
    /// (about 40 ms for EfficientNet-Lite0) fewer per run.
    spare: std::sync::Mutex<Option<Session>>,
}

impl OrtFactory {
    /// Checks that a session can be created for `model`. The model's embedding value is made a
    /// graph output (in memory: the file is never written); if ONNX Runtime refuses that model,
    /// the original runs without embeddings.
    pub fn new(model: &LoadedModel, runtime: OrtRuntime) -> Result<Self, BackendError> {
        let original = crate::bounded_read::read_input(
            &model.onnx_path,
            crate::bounded_read::InputKind::Model,
        )
        .map_err(|e| BackendError::ReadModel {
            path: model.onnx_path.clone(),
            reason: e.to_string(),
        })?;
        let with_embedding = model.embedding.as_ref().map(|v| {
            let bytes = with_graph_output(&original, &v.name);
            (session(&runtime.environment, &bytes), bytes, v.name.clone())
        });
        let (probe, bytes, embedding) = match with_embedding {
            Ok((Ok(probe), bytes, name)) => (probe, bytes, Ok(name)),
            Ok((Err(why), _, _)) => (
                session(&runtime.environment, &original)?,
                original,
                Err(why.to_string()),
            ),
            Err(why) => (
                session(&runtime.environment, &original)?,
                original,
                Err(why.to_string()),
            ),
        };
        let input_name = match &model.spec.input.name {
            Some(n) => n.clone(),
            None => probe
                .inputs()
                .first()
                .map(|i| i.name().to_string())
                .ok_or_else(|| BackendError::Graph("the model has no inputs".into()))?,
        };
        let shape = model.spec.input.image_shape();
        Ok(Self {
            bytes,
            input_name,
            output_name: model.spec.output.name.clone(),
            embedding,
            shape,
            runtime,
            spare: std::sync::Mutex::new(Some(probe)),
        })
    }
}

fn session(env: &ort::environment::Environment, bytes: &[u8]) -> Result<Session, BackendError> {
    let options = |e: String| BackendError::Load(format!("ONNX Runtime session options: {e}"));
    Session::builder(env)
        .map_err(|e| options(e.to_string()))?
        .with_intra_threads(1)
        .map_err(|e| options(e.to_string()))?
        .with_inter_threads(1)
        .map_err(|e| options(e.to_string()))?
        .commit_from_memory(bytes)
        .map_err(|e| BackendError::Load(format!("ONNX Runtime could not load the model: {e}")))
}

impl BackendFactory for OrtFactory {
    fn create(&self) -> Result<Box<dyn Backend>, BackendError> {
        let spare = self.spare.lock().ok().and_then(|mut s| s.take());
        let session = match spare {
            Some(s) => s,
            None => session(&self.runtime.environment, &self.bytes)?,
        };
        Ok(Box::new(OrtBackend {
            session,
            input_name: self.input_name.clone(),
            output_name: self.output_name.clone(),
            embedding: self.embedding.as_ref().ok().cloned(),
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

    fn embedding(&self) -> Result<&str, &str> {
        self.embedding.as_deref().map_err(String::as_str)
    }
}

struct OrtBackend {
    session: Session,
    input_name: String,
    output_name: Option<String>,
    embedding: Option<String>,
    shape: [usize; 3],
}

/// `value`'s data split into `n` equal rows.
fn rows(value: &ort::value::DynValue, n: usize) -> Result<Vec<Vec<f32>>, BackendError> {
    let (_, data) = value
        .try_extract_tensor::<f32>()
        .map_err(|e| BackendError::Inference(e.to_string()))?;
    let per_row = data.len() / n.max(1);
    Ok(data
        .chunks_exact(per_row.max(1))
        .map(<[f32]>::to_vec)
        .collect())
}

impl Backend for OrtBackend {
    fn run(&mut self, input: &[f32], n: usize) -> Result<Vec<RawOutput>, BackendError> {
        let [a, b, c] = self.shape;
        let tensor = Tensor::from_array(([n, a, b, c], input.to_vec()))
            .map_err(|e| BackendError::Inference(e.to_string()))?;
        let outputs = self
            .session
            .run(ort::inputs![self.input_name.as_str() => tensor])
            .map_err(|e| BackendError::Inference(format!("ONNX Runtime inference failed: {e}")))?;
        let value = match &self.output_name {
            Some(name) => outputs
                .get(name.as_str())
                .ok_or_else(|| BackendError::Graph(format!("the model has no output `{name}`")))?,
            None => &outputs[0],
        };
        let logits = rows(value, n)?;
        let embeddings = match &self.embedding {
            Some(name) => {
                let value = outputs.get(name.as_str()).ok_or_else(|| {
                    BackendError::Graph(format!("the model has no output `{name}`"))
                })?;
                rows(value, n)?.into_iter().map(Some).collect()
            }
            None => vec![None; logits.len()],
        };
        Ok(logits
            .into_iter()
            .zip(embeddings)
            .map(|(logits, embedding)| RawOutput { logits, embedding })
            .collect())
    }
}
