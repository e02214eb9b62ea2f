//! What a model costs on a device besides its accuracy: the file's size and the memory one
//! inference session takes (loaded, built and run once on a blank image, in a child process).

use std::path::Path;

use super::backend::{BackendKind, resolve_backend};
use super::load::{LoadedModel, load_model};
use super::preprocess::{append_tensor, prepare_pixels};

/// Why a session's memory could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum FootprintError {
    /// The kernel offers no peak counter to reset (not Linux).
    #[error("cannot reset the peak memory counter (/proc/self/clear_refs)")]
    NoPeakCounter,
    /// The process's memory figures could not be read.
    #[error("cannot read /proc/self/status")]
    NoStatus,
    /// The model could not be loaded.
    #[error(transparent)]
    Model(#[from] super::load::ModelError),
    /// The backend could not load or run it.
    #[error(transparent)]
    Backend(#[from] super::backend::BackendError),
    /// The blank image could not be prepared for it.
    #[error(transparent)]
    Preprocess(#[from] super::preprocess::PreprocessError),
}

/// Size and memory of one model on this machine.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Footprint {
    /// Bytes of the ONNX file.
    pub file_bytes: u64,
    /// Peak resident memory that loading the model into its runtime, building one session and
    /// running one image added to a fresh process, in bytes. Measured in a child process (an
    /// allocator that keeps freed memory would hide a second model's cost in this one); `None`
    /// off Linux or when the child could not run.
    pub session_peak_bytes: Option<u64>,
}

/// Measures `model`'s footprint with `backend`, the memory in a child process running
/// `exe internal-footprint` (the labelscope binary; `None` skips the memory).
pub fn measure_footprint(
    model: &LoadedModel,
    backend: BackendKind,
    exe: Option<&Path>,
) -> Footprint {
    let file_bytes = std::fs::metadata(&model.onnx_path).map_or(0, |m| m.len());
    let model_file = model.spec_path.as_deref().unwrap_or(&model.onnx_path);
    let session_peak_bytes = exe.and_then(|exe| {
        let out = std::process::Command::new(exe)
            .args(["internal-footprint", "--backend", backend.name(), "--model"])
            .arg(model_file)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        out.status.success().then(|| text.trim().parse().ok())?
    });
    Footprint {
        file_bytes,
        session_peak_bytes,
    }
}

/// The labelscope binary running now, when this process is it (not a test harness).
pub fn labelscope_exe() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_string_lossy().into_owned();
    (stem == "labelscope").then_some(exe)
}

/// In the child: loads `model_file`, builds one session and runs one blank image; returns the
/// growth of peak resident memory in bytes.
pub fn session_peak_here(model_file: &Path, backend: BackendKind) -> Result<u64, FootprintError> {
    reset_peak().ok_or(FootprintError::NoPeakCounter)?;
    let before = proc_status_kib("VmRSS:").ok_or(FootprintError::NoStatus)?;
    let model = load_model(model_file)?;
    let resolved = resolve_backend(backend, &model)?;
    let input = &model.spec.input;
    let blank = image::DynamicImage::new_rgb8(input.width.max(1), input.height.max(1));
    let mut tensor = Vec::new();
    append_tensor(&prepare_pixels(&blank, input)?, input, &mut tensor);
    let mut session = resolved.factory.create()?;
    session.run(&tensor, 1)?;
    let peak = proc_status_kib("VmHWM:").ok_or(FootprintError::NoStatus)?;
    Ok(peak.saturating_sub(before) * 1024)
}

/// Resets the process's peak resident size (`VmHWM`) to the current one.
fn reset_peak() -> Option<()> {
    std::fs::write("/proc/self/clear_refs", "5").ok()
}

/// A `kB` line of `/proc/self/status` (`VmRSS:`, `VmHWM:`); `None` off Linux.
pub fn proc_status_kib(key: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// `bytes` for people: "4.9 MB".
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(human_bytes(4_912_345), "4.9 MB");
        assert_eq!(human_bytes(9_383_443), "9.4 MB");
        assert_eq!(human_bytes(1_500), "2 kB");
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(2_500_000_000), "2.50 GB");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_peak_counter_resets_and_reads() {
        assert!(reset_peak().is_some());
        let rss = proc_status_kib("VmRSS:").expect("VmRSS");
        let hwm = proc_status_kib("VmHWM:").expect("VmHWM");
        assert!(rss > 0 && hwm >= rss / 2);
    }
}
