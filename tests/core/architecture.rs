//! The crate's layering, checked on its source: no module names another that names it back
//! (`crate::`, `super::` or `self::` paths, outside unit tests), so each pair of modules
//! depends one way only and a type both sides need lives in a third module.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type ModPath = Vec<String>;

/// Every `.rs` file under `dir`, as (module path, source).
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<ModPath, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut p = prefix.to_vec();
            p.push(name);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut p = prefix.to_vec();
            if !matches!(name.as_str(), "mod" | "lib" | "main") {
                p.push(name);
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests may reach anywhere.
            let code = match text.find("#[cfg(test)]\nmod tests {") {
                Some(k) => text[..k].to_string(),
                None => text,
            };
            out.insert(p, code);
        }
    }
}

/// The `a::b::c` paths starting with `crate`, `super` or `self` in `code`.
fn paths(code: &str) -> Vec<Vec<String>> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(k) = code[from..].find(start) {
            let at = from + k;
            from = at + start.len();
            if code[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = &code[at..];
            let end = rest
                .char_indices()
                .find(|&(_, c)| !(is_ident(c) || c == ':'))
                .map_or(rest.len(), |(i, _)| i);
            let segments: Vec<String> = rest[..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            found.push(segments);
        }
    }
    found
}

/// The module `path` (written in module `here`) names: the longest prefix that is a module.
fn resolve(here: &[String], path: &[String], mods: &BTreeMap<ModPath, String>) -> Option<ModPath> {
    let (mut base, mut rest) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("self") => (here.to_vec(), &path[1..]),
        Some("super") => (here.to_vec(), path),
        _ => return None,
    };
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    let full: ModPath = base.into_iter().chain(rest.iter().cloned()).collect();
    (1..=full.len())
        .rev()
        .map(|k| full[..k].to_vec())
        .find(|p| mods.contains_key(p))
}

#[test]
fn no_module_names_one_that_names_it_back() {
    let mut mods = BTreeMap::new();
    modules(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut mods,
    );
    assert!(mods.len() > 100, "read the crate's modules");
    let mut deps: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (here, code) in &mods {
        for path in paths(code) {
            if let Some(to) = resolve(here, &path, &mods)
                // A module naming its own ancestor (the `impl` of a parent's type) is not a
                // dependency between siblings.
                && !here.starts_with(&to)
            {
                deps.entry(here.clone()).or_default().insert(to);
            }
        }
    }
    let both_ways: Vec<String> = deps
        .iter()
        .flat_map(|(a, tos)| {
            tos.iter()
                .filter(|b| *a < **b && deps.get(*b).is_some_and(|back| back.contains(a)))
                .map(move |b| format!("{} <-> {}", a.join("::"), b.join("::")))
        })
        .collect();
    assert!(
        both_ways.is_empty(),
        "modules naming each other: {both_ways:#?}"
    );
}

#[test]
fn the_check_sees_a_two_way_pair() {
    let mut mods = BTreeMap::new();
    let m = |s: &str| s.split("::").map(str::to_string).collect::<ModPath>();
    mods.insert(
        m("model::cache"),
        "use super::predict::SampleOutcome;".to_string(),
    );
    mods.insert(
        m("model::predict"),
        "use super::cache::PredictionCache;".to_string(),
    );
    let to = resolve(
        &m("model::cache"),
        &paths(&mods[&m("model::cache")])[0],
        &mods,
    );
    assert_eq!(to, Some(m("model::predict")));
    let back = resolve(
        &m("model::predict"),
        &paths(&mods[&m("model::predict")])[0],
        &mods,
    );
    assert_eq!(back, Some(m("model::cache")));
}
