//! Why a VLM request gave no answer (shared by the request, the answer's reading and the label
//! scores).

/// Why a VLM request gave no answer.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum VlmError {
    /// The prompt file could not be read.
    #[error("cannot read the prompt file {path}: {reason}")]
    PromptFile {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The image could not be read or encoded for the request.
    #[error("{0}")]
    Image(String),
    /// The request failed: transport, timeout, an HTTP error status.
    #[error("{0}")]
    Request(String),
    /// The server answered with something that is not JSON.
    #[error("the server's answer is not JSON ({0})")]
    NotJson(String),
    /// The answer has no `choices`.
    #[error("the response has no choices")]
    NoChoices,
    /// A continuation response that cannot score its label (no prompt log-probabilities, or
    /// they do not spell the answer).
    #[error("{0}")]
    Continuation(String),
    /// A token log-probability that is not finite or is above 0.
    #[error(
        "the server sent an invalid log-probability {logprob} for the token `{token}` (must be a finite value <= 0)"
    )]
    BadLogprob {
        /// The value sent.
        logprob: f64,
        /// Its token.
        token: String,
    },
}
