//! Class names as file names: labels may contain anything; paths we write never do.

/// Whether `label` can be used verbatim as a single path component on every platform.
pub fn is_safe_file_name(label: &str) -> bool {
    !label.is_empty()
        && !label.starts_with('.')
        && !label.ends_with(' ')
        && label.len() <= 200
        && !label.chars().any(|c| {
            c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
        })
}

/// A file-system-safe rendering of `label`: unsafe characters become `_`, leading dots are
/// stripped, empty names become `class`. Distinct labels may collide; see [`safe_file_names`].
pub fn safe_file_name(label: &str) -> String {
    let mapped: String = label
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = mapped.trim_start_matches('.').trim();
    let truncated: String = trimmed.chars().take(120).collect();
    if truncated.is_empty() {
        "class".to_string()
    } else {
        truncated
    }
}

/// Safe, distinct file names for `labels` (same order); collisions get `_2`, `_3`, ... suffixes.
pub fn safe_file_names(labels: &[String]) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
    labels
        .iter()
        .map(|l| {
            let base = safe_file_name(l);
            let mut name = base.clone();
            let mut n = 2;
            while !used.insert(name.to_lowercase()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            name
        })
        .collect()
}

/// `path` as text that still names the file: valid UTF-8 as is, and each byte of a non-UTF-8
/// name as `\xNN` (as Python's `backslashreplace` writes it), never U+FFFD.
pub fn path_text(path: &std::path::Path) -> String {
    if let Some(s) = path.to_str() {
        return s.to_string();
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in path.as_os_str().as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_labels_never_become_paths() {
        for bad in [
            "T-shirt/top",
            "..",
            "../etc",
            "a\\b",
            ".hidden",
            "nul\0byte",
            "",
        ] {
            assert!(!is_safe_file_name(bad), "{bad:?}");
            let safe = safe_file_name(bad);
            assert!(is_safe_file_name(&safe), "{bad:?} -> {safe:?}");
            assert!(!safe.contains('/') && !safe.contains("..") && !safe.contains('\0'));
        }
        assert_eq!(safe_file_name("T-shirt/top"), "T-shirt_top");
        assert!(is_safe_file_name("Ankle boot"));
    }

    #[test]
    fn collisions_are_resolved() {
        let names = safe_file_names(&["a/b".into(), "a_b".into(), "A_B".into()]);
        assert_eq!(names, vec!["a_b", "a_b_2", "A_B_3"]);
    }
}
