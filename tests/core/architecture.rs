//! The crate's layering, checked on its source: the modules (files) depend on each other without
//! a circle of any length, and so do the folders under each folder. A dependency is any path
//! starting with `crate`, `super` or `self`, in code or in a `use` tree (braces expanded), outside
//! unit tests and comments. A type two sides need lives in a third module.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type ModPath = Vec<String>;
type Graph = BTreeMap<ModPath, BTreeSet<ModPath>>;

/// Every `.rs` file under `dir`, as (module path, source without unit tests and comments).
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
                Some(k) => &text[..k],
                None => &text,
            };
            out.insert(p, strip_comments(code));
        }
    }
}

/// `code` without `//` comments (doc comments included: an intra-doc link is not a
/// dependency the compiler sees, but the check counts it, so it is kept out of both).
fn strip_comments(code: &str) -> String {
    code.lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string ("https://...") is not a comment start.
            Some(k) if l[..k].matches('"').count() % 2 == 0 => &l[..k],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths of a `use` tree (`crate::{a::B, c::{self, D}}` gives `crate::a::B`, `crate::c`,
/// `crate::c::D`).
fn expand_use(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or("").trim().to_string()];
    };
    let prefix = &tree[..open];
    let close = tree.rfind('}').unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let (mut parts, mut cur, mut depth) = (Vec::new(), String::new(), 0);
    for c in inner.chars() {
        match c {
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            '{' => {
                depth += 1;
                cur.push(c);
            }
            '}' => {
                depth -= 1;
                cur.push(c);
            }
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .flat_map(expand_use)
        .map(|e| {
            if e == "self" {
                prefix.trim_end_matches("::").to_string()
            } else {
                format!("{prefix}{e}")
            }
        })
        .collect()
}

/// The `a::b::c` paths starting with `crate`, `super` or `self` in `code`: in `use` trees and
/// anywhere else.
fn paths(code: &str) -> Vec<Vec<String>> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let mut rest = String::new();
    let mut from = 0;
    while let Some(k) = code[from..].find("use ") {
        let at = from + k;
        // A `use` item starts its line (after `pub`, `pub(crate)`, ...): not "use" in a string.
        let line_start = code[..at].rfind('\n').map_or(0, |n| n + 1);
        let before = code[line_start..at].trim();
        let is_item = before.is_empty() || before.starts_with("pub");
        match code[at..].find(';') {
            Some(end) if is_item => {
                rest.push_str(&code[from..at]);
                found.extend(expand_use(&code[at + 4..at + end]));
                from = at + end + 1;
            }
            _ => {
                rest.push_str(&code[from..at + 4]);
                from = at + 4;
            }
        }
    }
    rest.push_str(&code[from..]);
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(k) = rest[from..].find(start) {
            let at = from + k;
            from = at + start.len();
            if rest[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let tail = &rest[at..];
            let end = tail
                .char_indices()
                .find(|&(_, c)| !(is_ident(c) || c == ':'))
                .map_or(tail.len(), |(i, _)| i);
            found.push(tail[..end].to_string());
        }
    }
    found
        .iter()
        .map(|p| p.replace(' ', ""))
        .filter(|p| {
            ["crate", "super", "self"]
                .iter()
                .any(|s| p.split("::").next() == Some(s))
        })
        .map(|p| {
            p.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
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

/// Which module depends on which (a module naming its own ancestor, the `impl` of a parent's
/// type or a re-export, is not counted).
fn graph(mods: &BTreeMap<ModPath, String>) -> Graph {
    let mut deps = Graph::new();
    for (here, code) in mods {
        for path in paths(code) {
            if let Some(to) = resolve(here, &path, mods)
                && !here.starts_with(&to)
            {
                deps.entry(here.clone()).or_default().insert(to);
            }
        }
    }
    deps
}

/// The strongly connected components of more than one node (Tarjan): each is a circle.
fn circles(deps: &Graph) -> Vec<Vec<ModPath>> {
    struct Walk<'a> {
        deps: &'a Graph,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a ModPath) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.deps.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    comp.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut walk = Walk {
        deps,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    let nodes: BTreeSet<&ModPath> = deps.keys().chain(deps.values().flatten()).collect();
    for v in nodes {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.out
}

/// For every folder, the graph between what it holds (a child file or folder stands for all
/// that lies under it).
fn folder_graphs(deps: &Graph) -> BTreeMap<ModPath, Graph> {
    let mut out: BTreeMap<ModPath, Graph> = BTreeMap::new();
    for (a, tos) in deps {
        for b in tos {
            // The deepest folder holding both, and the child of it each lies under.
            let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
            if common >= a.len() || common >= b.len() {
                continue;
            }
            let parent = a[..common].to_vec();
            let (ca, cb) = (a[..=common].to_vec(), b[..=common].to_vec());
            out.entry(parent)
                .or_default()
                .entry(ca)
                .or_default()
                .insert(cb);
        }
    }
    out
}

fn crate_graph() -> Graph {
    let mut mods = BTreeMap::new();
    modules(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut mods,
    );
    assert!(mods.len() > 100, "read the crate's modules");
    graph(&mods)
}

fn show(circles: &[Vec<ModPath>]) -> Vec<String> {
    circles
        .iter()
        .map(|c| {
            c.iter()
                .map(|m| m.join("::"))
                .collect::<Vec<_>>()
                .join(" -> ")
        })
        .collect()
}

#[test]
fn no_circle_of_modules_of_any_length() {
    let found = circles(&crate_graph());
    assert!(found.is_empty(), "modules in a circle: {:#?}", show(&found));
}

#[test]
fn no_circle_of_folders_under_any_folder() {
    let mut found = Vec::new();
    for (parent, g) in folder_graphs(&crate_graph()) {
        for c in circles(&g) {
            found.push(format!("in {}: {}", parent.join("::"), show(&[c])[0]));
        }
    }
    assert!(found.is_empty(), "folders in a circle: {found:#?}");
}

#[test]
fn the_check_sees_a_circle_of_three_through_a_use_tree() {
    let m = |s: &str| s.split("::").map(str::to_string).collect::<ModPath>();
    let mut mods = BTreeMap::new();
    mods.insert(
        m("cli::args"),
        "pub use super::{embed::EmbedArgs, x};".into(),
    );
    mods.insert(m("cli::embed"), "use super::common::{self, run};".into());
    mods.insert(m("cli::common"), "fn f(a: super::args::A) {}".into());
    mods.insert(
        m("cli::x"),
        strip_comments("// super::args is named only in a comment"),
    );
    let deps = graph(&mods);
    assert_eq!(
        show(&circles(&deps)),
        vec!["cli::args -> cli::common -> cli::embed"]
    );
    // Folders: `a/` uses `b/`, whose file uses `a/`'s.
    let mut mods = BTreeMap::new();
    mods.insert(m("a::q"), "use crate::b::r::R;".into());
    mods.insert(m("b::r"), "use crate::{a::q::Q};".into());
    mods.insert(m("a"), String::new());
    mods.insert(m("b"), String::new());
    let folders = folder_graphs(&graph(&mods));
    assert_eq!(show(&circles(&folders[&Vec::new()])), vec!["a -> b"]);
}
