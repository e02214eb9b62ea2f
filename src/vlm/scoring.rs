//! How a VLM's per-label probabilities are scored: along the generated answer, or each label
//! as a continuation of the prompt.

/// How a VLM's per-label probabilities are scored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VlmScoring {
    /// Along the generated answer's tokens and their `top_logprobs` (one request an image;
    /// llama-server and vLLM): see [`super::label_scores`].
    #[default]
    Answer,
    /// Each label's whole answer as a continuation of the prompt, from the server's prompt
    /// log-probabilities (one more request per label; vLLM): see [`super::continuation`].
    Continuation,
}

impl VlmScoring {
    /// How the detail view and reports name it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Answer => {
                "each label scored along its tokens from the answer's log-probabilities, renormalised over the labels (forced choice)"
            }
            Self::Continuation => {
                "each label's whole answer scored as a continuation of the prompt (one request per label), renormalised over the labels (forced choice)"
            }
        }
    }
}
