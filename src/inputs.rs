//! Everything a command reads, in one place: the dataset (its manifest, every sample's file
//! resolved through symlinks, its state folder) and every file an argument names (the model,
//! its spec and labels file, an embedder, predictions, prompt files, edit files). Every writer
//! checks its output against these ([`Inputs::check_file_output`],
//! [`Inputs::check_folder_output`]): no write, replace or delete may touch an input. How an
//! input is read (regular files only, with a size limit) is [`crate::bounded_read`].

use std::path::{Path, PathBuf};

use crate::dataset::Dataset;
use crate::dataset::locations::{Conflict, SourceLocations, resolve_path};
use crate::outputs::OutputError;

/// The inputs of one command, each named for the refusal message.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Resolved input files.
    files: Vec<(PathBuf, String)>,
    /// Resolved folders that are inputs as a whole (the state folder, a folder of prediction
    /// parts): nothing is written inside them.
    folders: Vec<(PathBuf, String)>,
    /// Each dataset's sample files and the folders holding them, with its root and source
    /// (a command may read two: `select`'s labelled set and its pool).
    sources: Vec<(PathBuf, PathBuf, SourceLocations)>,
}

impl Inputs {
    /// No inputs yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an input file or folder (`what` names it: "predictions file", ...).
    pub fn file(mut self, path: &Path, what: &str) -> Self {
        let resolved = resolve_path(path);
        if resolved.is_dir() {
            self.folders.push((resolved, what.to_string()));
        } else {
            self.files.push((resolved, what.to_string()));
        }
        self
    }

    /// Adds a model given as `path` (an `.onnx` or a spec `.json`) and every file it is made
    /// of: the ONNX file, the spec (a sidecar one too) and the labels file the spec names.
    pub fn model(mut self, path: &Path, what: &str) -> Self {
        self = self.file(path, what);
        let sidecar = path.with_extension("json");
        if sidecar.is_file() {
            self = self.file(&sidecar, &format!("{what}'s spec"));
        }
        if let Ok((files, _)) = crate::model::load::model_files(path) {
            self = self.file(&files.onnx, &format!("{what}'s ONNX file"));
            if let Some(spec) = &files.spec {
                self = self.file(spec, &format!("{what}'s spec"));
            }
            if let Some(labels) = &files.labels {
                self = self.file(labels, &format!("{what}'s labels file"));
            }
        }
        self
    }

    /// Adds a dataset: its manifest, its state folder (journal, caches) and every sample's
    /// file and folder (resolved once: adding the same dataset again changes nothing).
    pub fn dataset(mut self, ds: &Dataset) -> Self {
        if self
            .sources
            .iter()
            .any(|(root, source, _)| *root == ds.root && *source == ds.source)
        {
            return self;
        }
        if ds.source.is_file() {
            self = self.file(&ds.source, "dataset manifest");
        }
        let state = ds.root.join(crate::state::STATE_DIR_NAME);
        self.folders
            .push((resolve_path(&state), "dataset's state folder".into()));
        self.sources
            .push((ds.root.clone(), ds.source.clone(), SourceLocations::of(ds)));
        self
    }

    /// The resolved sources of every dataset added.
    fn sources(&self) -> impl Iterator<Item = &SourceLocations> {
        self.sources.iter().map(|(_, _, s)| s)
    }

    /// The input file (or input folder) that lies inside `dir` or is `dir`, if any.
    fn input_inside(&self, dir: &Path) -> Option<(&Path, &str)> {
        self.files
            .iter()
            .chain(&self.folders)
            .find(|(p, _)| p.starts_with(dir))
            .map(|(p, w)| (p.as_path(), w.as_str()))
    }

    /// The input folder `path` lies in, if any.
    fn folder_holding(&self, path: &Path) -> Option<&str> {
        self.folders
            .iter()
            .find(|(p, _)| path.starts_with(p))
            .map(|(_, w)| w.as_str())
    }

    /// Checks that `out` may be written as a file: it is no input, lies in no input folder, is
    /// not a folder, and is not put beside the dataset's images (in a folder holding samples,
    /// where it could be taken for one or replace one).
    pub fn check_file_output(&self, out: &Path) -> Result<PathBuf, OutputError> {
        let resolved = resolve_path(out);
        if resolved.is_dir() {
            return Err(OutputError::IsFolder(resolved));
        }
        let is_input = |what: &str| OutputError::IsInput {
            out: resolved.clone(),
            what: what.to_string(),
        };
        if let Some((_, what)) = self.files.iter().find(|(p, _)| *p == resolved) {
            return Err(is_input(what));
        }
        if let Some(what) = self.folder_holding(&resolved) {
            return Err(is_input(what));
        }
        for sources in self.sources() {
            if sources.is_source_file(&resolved) {
                return Err(is_input("image of a sample"));
            }
            if let Some(dir) = resolved.parent()
                && sources.holds_samples(dir)
            {
                return Err(OutputError::BesideSamples {
                    out: resolved.clone(),
                    dir: dir.to_path_buf(),
                });
            }
        }
        Ok(resolved)
    }

    /// Checks that `out` may be written (or replaced) as a folder: not a source folder of the
    /// dataset, not inside one or around one, holding no input and inside no input folder.
    pub fn check_folder_output(&self, out: &Path) -> Result<PathBuf, OutputError> {
        let target = resolve_path(out);
        for sources in self.sources() {
            match sources.conflict(&target) {
                Some(Conflict::Inside(source_root)) => {
                    return Err(OutputError::InsideSource {
                        target,
                        source_root,
                    });
                }
                Some(Conflict::Contains(source_root)) => {
                    return Err(OutputError::ContainsSource {
                        target,
                        source_root,
                    });
                }
                None => {}
            }
        }
        if let Some(what) = self.folder_holding(&target) {
            return Err(OutputError::IsInput {
                out: target,
                what: what.to_string(),
            });
        }
        if let Some((input, what)) = self.input_inside(&target) {
            return Err(OutputError::ContainsInput {
                target: target.clone(),
                input: input.to_path_buf(),
                what: what.to_string(),
            });
        }
        if target.is_file() {
            return Err(OutputError::NotAFolder(target));
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_folder_holding_an_input_is_refused_as_an_output_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(work.join("preds.csv"), "path,pred\n").unwrap();
        let inputs = Inputs::new().file(&work.join("preds.csv"), "predictions file");
        let err = inputs.check_folder_output(&work).unwrap_err();
        assert!(err.to_string().contains("predictions file"), "{err}");
        assert!(inputs.check_folder_output(tmp.path()).is_err());
        assert!(
            inputs
                .check_folder_output(&tmp.path().join("other"))
                .is_ok()
        );
        let err = inputs
            .check_file_output(&work.join("preds.csv"))
            .unwrap_err();
        assert!(err.to_string().contains("predictions file"), "{err}");
        assert!(inputs.check_file_output(&work.join("new.csv")).is_ok());
    }
}
