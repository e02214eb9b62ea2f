//! What an export wrote, and the one line that tells the user.

use std::path::PathBuf;
use std::time::Duration;

use super::ExportPlan;

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct ExportSummary {
    /// The export folder.
    pub out: PathBuf,
    /// Rows per split (train, val, test).
    pub per_split: [usize; 3],
    /// Image files placed (all formats).
    pub files: usize,
    /// Bytes of the source images placed.
    pub bytes: u64,
    /// Hard links that fell back to copies.
    pub link_fallbacks: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// The JSON report.
    pub report: serde_json::Value,
    /// Samples left out because their file is not a readable image (path, why).
    pub not_exported: Vec<(std::path::PathBuf, String)>,
}

impl ExportSummary {
    /// One line for the user: where, counts per split, what was left out, files and time.
    pub fn describe(&self, plan: &ExportPlan) -> String {
        let not_exported = if self.not_exported.is_empty() {
            String::new()
        } else {
            format!(
                ", {} not exported (not readable images, listed in report.md)",
                self.not_exported.len()
            )
        };
        let fallbacks = if self.link_fallbacks > 0 {
            format!(", {} hard links fell back to copies", self.link_fallbacks)
        } else {
            String::new()
        };
        format!(
            "Exported to {}: train {}, val {}, test {}; {} excluded, {} relabeled, {} duplicate groups kept in one split; {} image files ({:.1} MB){not_exported}{fallbacks} in {:.2}s",
            self.out.display(),
            self.per_split[0],
            self.per_split[1],
            self.per_split[2],
            plan.excluded.len(),
            plan.relabeled.len(),
            plan.groups.len(),
            self.files,
            self.bytes as f64 / 1e6,
            self.elapsed.as_secs_f64()
        )
    }
}
