//! Linear models on embeddings: multinomial logistic regression ([`logreg`]) trained by
//! L-BFGS ([`lbfgs`]), and stratified K-fold splits ([`folds`]). The label-quality probe
//! trains one per fold to get out-of-sample probabilities.

pub mod folds;
pub mod lbfgs;
pub mod logreg;

pub use folds::stratified_folds;
pub use logreg::{Fit, LogRegOptions, SoftmaxModel, Step, fit, fit_rows};
