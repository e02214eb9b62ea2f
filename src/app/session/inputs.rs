//! Every file the window has read for this session besides the dataset: the model and its
//! files, predictions files (main and compared), the embedder. The window's writers (export,
//! the trained head) check their targets against it, as the CLI's do against its arguments.

use std::path::Path;

use super::Session;
use crate::inputs::Inputs;

impl Session {
    /// The files this session read besides the dataset itself.
    pub fn inputs(&self) -> Inputs {
        let mut inputs = Inputs::new();
        if let Some(m) = &self.predictions.model {
            inputs = inputs.model(&m.onnx_path, "model");
            if let Some(spec) = &m.spec_path {
                inputs = inputs.model(spec, "model");
            }
        }
        let sets = self
            .predictions
            .set
            .as_deref()
            .into_iter()
            .chain(&self.compare.sets);
        for set in sets {
            let path = Path::new(&set.source);
            if !set.source.is_empty() && path.exists() {
                inputs = inputs.file(path, "predictions file");
            }
        }
        if let Some(e) = &self.embeddings.embedder {
            inputs = inputs.model(e, "embedder");
        }
        inputs
    }
}
