//! Finding ONNX Runtime's shared library with no setup: `ORT_DYLIB_PATH`, next to the
//! executable, the `onnxruntime` Python package in the active virtualenv/conda environment or in
//! the user's and system site-packages, then the system library path.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[cfg(target_os = "windows")]
const LIB_PREFIX: &str = "onnxruntime.dll";
#[cfg(target_os = "macos")]
const LIB_PREFIX: &str = "libonnxruntime";
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
const LIB_PREFIX: &str = "libonnxruntime.so";

fn is_ort_lib(name: &str) -> bool {
    name.starts_with(LIB_PREFIX)
        && !name.contains("providers")
        && (cfg!(not(target_os = "macos")) || name.ends_with(".dylib"))
}

/// The ONNX Runtime libraries in `dir` (versioned names first, so the real file wins over links).
fn libs_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| is_ort_lib(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    found
}

/// `site-packages`-like folders under a Python prefix (`lib/python3.*/site-packages`, ...).
fn site_dirs(prefix: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for lib in ["lib", "lib64", "Lib"] {
        let lib_dir = prefix.join(lib);
        out.push(lib_dir.join("site-packages"));
        for entry in std::fs::read_dir(&lib_dir).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with("python3") {
                out.push(entry.path().join("site-packages"));
                out.push(entry.path().join("dist-packages"));
            }
        }
    }
    out
}

/// Site-packages folders the default `python3` knows (user and system), asked once.
fn python_site_dirs() -> Vec<PathBuf> {
    let script =
        "import site,sys;print('\\n'.join(site.getsitepackages()+[site.getusersitepackages()]))";
    std::process::Command::new("python3")
        .args(["-c", script])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Every place ONNX Runtime was found, in the order they are tried.
pub fn find_onnxruntime_candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        out.push(PathBuf::from(p));
    }
    if let Some(dir) = std::env::current_exe()
        .ok()
        .as_deref()
        .and_then(Path::parent)
    {
        out.extend(libs_in(dir));
        out.extend(libs_in(&dir.join("lib")));
    }
    let mut sites = Vec::new();
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(prefix) = std::env::var_os(var).filter(|p| !p.is_empty()) {
            sites.extend(site_dirs(Path::new(&prefix)));
        }
    }
    if let Some(home) = dirs::home_dir() {
        sites.extend(site_dirs(&home.join(".local")));
    }
    for prefix in ["/usr/local", "/usr", "/opt/conda"] {
        sites.extend(site_dirs(Path::new(prefix)));
    }
    sites.push(PathBuf::from("/usr/lib/python3/dist-packages"));
    let mut seen = std::collections::HashSet::new();
    let mut scan = |sites: Vec<PathBuf>, out: &mut Vec<PathBuf>| {
        for site in sites {
            if seen.insert(site.clone()) {
                out.extend(libs_in(&site.join("onnxruntime").join("capi")));
            }
        }
    };
    scan(sites, &mut out);
    if out.is_empty() {
        scan(python_site_dirs(), &mut out);
    }
    out
}

/// A loaded ONNX Runtime: where the library came from and the process-wide environment.
#[derive(Clone)]
pub struct OrtRuntime {
    /// The shared library that was loaded.
    pub library: PathBuf,
    /// The environment sessions are created in.
    pub environment: ort::environment::Environment,
}

static LOADED: OnceLock<Result<OrtRuntime, super::BackendError>> = OnceLock::new();

/// Why one candidate library could not be loaded.
#[derive(Debug, thiserror::Error)]
enum TryLoadError {
    #[error(transparent)]
    Load(#[from] ort::LoadDynamicError),
    #[error(transparent)]
    Init(#[from] ort::Error),
}

fn try_load(path: &Path) -> Result<OrtRuntime, TryLoadError> {
    let builder = ort::init_from(path)?;
    let environment = builder.with_name("labelscope").build()?;
    Ok(OrtRuntime {
        library: path.to_path_buf(),
        environment,
    })
}

/// Loads ONNX Runtime once per process from the first candidate that works (then the system
/// library path). Returns the runtime, or why none could be loaded.
pub fn load_onnxruntime() -> Result<OrtRuntime, super::BackendError> {
    LOADED
        .get_or_init(|| {
            let mut tried = Vec::new();
            for candidate in find_onnxruntime_candidates() {
                match try_load(&candidate) {
                    Ok(rt) => return Ok(rt),
                    Err(e) => tried.push(e.to_string()),
                }
            }
            // Finally the system library path (LD_LIBRARY_PATH, ldconfig).
            let system = PathBuf::from(if cfg!(target_os = "windows") {
                "onnxruntime.dll"
            } else {
                LIB_PREFIX
            });
            try_load(&system).map_err(|e| {
                tried.push(e.to_string());
                super::BackendError::OrtNotFound { tried }
            })
        })
        .clone()
}
