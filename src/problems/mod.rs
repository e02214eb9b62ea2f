//! Finding problems automatically: suspected label errors (confident learning), text and
//! watermark contamination (PP-OCR text detector), exact and near duplicates, unreadable and
//! odd images. Every finding names its sample, kind and a score; nothing is dropped silently.

pub mod aligned;
pub mod duplicates;
pub mod embedding_checks;
pub mod facts;
pub mod findings;
pub mod index;
pub mod kind;
pub mod near_copies;
pub mod pipeline;
pub mod signature;
pub mod signature_store;
pub mod text;
pub mod text_boxes;

pub use aligned::{PixelCheckOptions, PixelCopy, Signature, pixel_copies, signature};
pub use duplicates::{DEFAULT_NEAR_DISTANCE, DuplicateGroup, find_duplicates};
pub use embedding_checks::{
    EmbeddingCheckOptions, EmbeddingChecks, embedding_checks, embedding_checks_in,
};
pub use facts::{
    FACTS_PART_EXT, GatheredFacts, ImageFacts, collect_facts, colour_name, image_facts,
    write_facts_part,
};
pub use findings::{Finding, FindingKind, ProblemOptions, Problems};
pub use index::ProblemIndex;
pub use pipeline::{
    AnalysisInputs, EmbeddingAnalysis, Needs, ProblemInputs, analyse_embeddings, find_problems,
    image_checks, label_issues,
};
pub use signature_store::{SignatureSink, Signatures};
