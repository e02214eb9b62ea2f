//! What one `stat` says of a listed file (a manifest row, a walked image file): there, a regular
//! file and how long, or why not.
//!
//! At a million rows the path walk of a full-path `stat` is most of its cost, so
//! [`check_all`] stats each file by name inside an open handle on its folder, kept while
//! consecutive rows share the folder (one `lstat`; a symlink or anything odd is asked again by
//! full path, which gives the same answer [`FileCheck::of`] gives).

use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// What one `stat` of a listed file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FileCheck {
    /// Not there, or not readable (why).
    Missing(String),
    /// Not a regular file (what it is).
    NotAFile(&'static str),
    /// A regular file of `len` bytes, reached through a symlink or not.
    File {
        /// Its length in bytes.
        len: u64,
        /// Whether the listed path is a symlink.
        link: bool,
    },
}

impl FileCheck {
    /// Checks `path` by its full path (an `lstat`, and a `stat` when it is a symlink).
    pub(crate) fn of(path: &Path) -> Self {
        let own = std::fs::symlink_metadata(path);
        let link = own.as_ref().is_ok_and(|m| m.file_type().is_symlink());
        let meta = match own {
            Ok(m) if !link => Ok(m),
            _ => std::fs::metadata(path),
        };
        match meta {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Self::Missing("file not found".into())
            }
            Err(e) => Self::Missing(format!("cannot read ({e})")),
            Ok(meta) => match super::image_io::not_a_file(&meta) {
                Some(kind) => Self::NotAFile(kind),
                None => Self::File {
                    len: meta.len(),
                    link,
                },
            },
        }
    }
}

/// Checks every listed path (`None` rows stay `None`), in parallel, each worker keeping the
/// folder of its last file open.
pub(crate) fn check_all(paths: &[Option<&Path>]) -> Vec<Option<FileCheck>> {
    paths
        .par_iter()
        .with_min_len(256)
        .map_init(Folder::default, |folder, p| p.map(|p| folder.check(p)))
        .collect()
}

/// The folder of the last file checked, and a handle on it (`None` when it did not open).
#[derive(Default)]
struct Folder {
    #[cfg(unix)]
    open: Option<(PathBuf, Option<rustix::fd::OwnedFd>)>,
}

impl Folder {
    #[cfg(unix)]
    fn check(&mut self, path: &Path) -> FileCheck {
        use rustix::fs::{AtFlags, FileType, Mode, OFlags};
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return FileCheck::of(path);
        };
        if parent.as_os_str().is_empty() {
            return FileCheck::of(path);
        }
        if self
            .open
            .as_ref()
            .is_none_or(|(dir, _)| dir.as_os_str() != parent.as_os_str())
        {
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(parent, flags, Mode::empty()).ok();
            self.open = Some((parent.to_path_buf(), fd));
        }
        let Some((_, Some(fd))) = &self.open else {
            return FileCheck::of(path);
        };
        match rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::RegularFile => {
                FileCheck::File {
                    len: st.st_size as u64,
                    link: false,
                }
            }
            Err(rustix::io::Errno::NOENT) => FileCheck::Missing("file not found".into()),
            _ => FileCheck::of(path),
        }
    }

    #[cfg(not(unix))]
    fn check(&mut self, path: &Path) -> FileCheck {
        FileCheck::of(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_folder_says_what_by_full_path_says() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.png"), b"12345").unwrap();
        std::fs::write(d.join("empty.png"), b"").unwrap();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/b.png"), b"xy").unwrap();
        std::fs::create_dir(d.join("folder.png")).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.join("a.png"), d.join("link.png")).unwrap();
            std::os::unix::fs::symlink(d.join("gone.png"), d.join("dangling.png")).unwrap();
        }
        let names = [
            "a.png",
            "empty.png",
            "sub/b.png",
            "sub/../a.png",
            "missing.png",
            "nowhere/x.png",
            "folder.png",
            "link.png",
            "dangling.png",
        ];
        let joined: Vec<PathBuf> = names.iter().map(|n| d.join(n)).collect();
        let mut paths: Vec<Option<&Path>> = joined.iter().map(|p| Some(p.as_path())).collect();
        paths.insert(2, None);
        let got = check_all(&paths);
        let want: Vec<Option<FileCheck>> = paths.iter().map(|p| p.map(FileCheck::of)).collect();
        assert_eq!(got, want);
        assert_eq!(
            got[0],
            Some(FileCheck::File {
                len: 5,
                link: false
            })
        );
        assert_eq!(got[6], Some(FileCheck::Missing("file not found".into())));
        assert_eq!(got[7], Some(FileCheck::NotAFile("a folder")));
        #[cfg(unix)]
        assert_eq!(got[8], Some(FileCheck::File { len: 5, link: true }));
    }
}
