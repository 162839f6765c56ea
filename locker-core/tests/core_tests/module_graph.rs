//! The module graph of a crate's sources and its import circles, for the layout rule (issue
//! 15): `locker-core`'s (`layout.rs`) and `locker-server`'s (its `layout.rs` includes this
//! file by path).
//!
//! Every source file is one module (`service/doors.rs` is `service::doors`, a `mod.rs` is its
//! folder). A module depends on another when its non-test code names it through `crate::`
//! or `super::`. Test code (`#[cfg(test)]` items and `*_tests.rs` files) may reach anywhere,
//! so it is left out. A module and its own children are one family and never a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module with the modules it names.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every module of the crate under `src` with the modules its non-test code names.
pub fn module_graph(src: &Path) -> Graph {
    let mut raw = Graph::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).expect("under src");
        if relative.to_string_lossy().ends_with("_tests.rs") || relative.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        raw.insert(module_name(relative), scan(&relative.to_string_lossy(), &text));
    }
    resolve(raw)
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// `service/doors.rs` → `service::doors`, `service/mod.rs` → `service`, `lib.rs` → ``.
pub fn module_name(relative: &Path) -> String {
    let mut parts: Vec<String> =
        relative.with_extension("").components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// The absolute paths (`a::b::Item`) named by the non-test code of the file at `file`.
/// `super::` is made absolute from the file's module; the paths are resolved to modules
/// later, once every module is known.
pub fn scan(file: &str, text: &str) -> BTreeSet<String> {
    let module = module_name(Path::new(file));
    let parent: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    let parent = &parent[..parent.len().saturating_sub(1)];
    let code = without_test_items(&without_comments(text));
    let mut paths = BTreeSet::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent.to_vec())] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            let preceded_by_ident = rest[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_');
            rest = &rest[at + prefix.len()..];
            if preceded_by_ident {
                continue;
            }
            let joined = |tail: &str| base.iter().copied().chain(tail.split("::")).collect::<Vec<_>>().join("::");
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find(';').unwrap_or(group.len());
                paths.extend(group_paths(&group[..end]).iter().map(|p| joined(p)));
            } else {
                let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
                paths.insert(joined(rest[..end].trim_end_matches(':')));
            }
        }
    }
    paths
}

/// The paths of a `use` group body: `a::X, b::{c, d::Y}` → `a::X`, `b::c`, `b::d::Y`.
fn group_paths(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<String> = vec![String::new()];
    let mut word = String::new();
    for c in body.chars() {
        match c {
            '{' => {
                stack.push(format!("{}{}", stack.last().unwrap(), word.trim()));
                word.clear();
            }
            ',' | '}' => {
                if !word.trim().is_empty() {
                    out.push(format!("{}{}", stack.last().unwrap(), word.trim()));
                }
                word.clear();
                if c == '}' && stack.len() > 1 {
                    stack.pop();
                }
            }
            c if c.is_whitespace() => {}
            c => word.push(c),
        }
    }
    if !word.trim().is_empty() {
        out.push(format!("{}{}", stack.last().unwrap(), word.trim()));
    }
    out.into_iter().map(|p| p.split(" as ").next().unwrap_or(&p).to_string()).collect()
}

fn without_comments(text: &str) -> String {
    text.lines().map(|line| line.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// `text` with every item under `#[cfg(test)]` (a `mod tests { .. }`, a `use`, a fn) cut out.
fn without_test_items(text: &str) -> String {
    let mut out = text.to_string();
    while let Some(at) = out.find("#[cfg(test)]") {
        let after = &out[at..];
        let (brace, semi) = (after.find('{'), after.find(';'));
        let end = match (brace, semi) {
            (_, Some(s)) if brace.is_none_or(|b| s < b) => at + s + 1,
            (Some(b), _) => {
                let mut depth = 0;
                let mut end = out.len();
                for (i, c) in out[at + b..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = at + b + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            _ => out.len(),
        };
        out.replace_range(at..end, "");
    }
    out
}

/// Maps each named path to the longest module it starts with, dropping paths inside the
/// naming module's own family (itself, its ancestors, its descendants) and unknown roots
/// (external crates reached through `crate::` re-exports do not occur).
pub fn resolve(raw: Graph) -> Graph {
    let modules: BTreeSet<String> = raw.keys().cloned().collect();
    let module_of = |path: &str| {
        let segments: Vec<&str> = path.split("::").collect();
        (1..=segments.len()).rev().map(|n| segments[..n].join("::")).find(|c| modules.contains(c))
    };
    let family = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"));
    raw.iter()
        .map(|(module, paths)| {
            let targets = paths
                .iter()
                .filter_map(|p| module_of(p))
                .filter(|t| !t.is_empty() && !module.is_empty() && !family(module, t))
                .collect();
            (module.clone(), targets)
        })
        .collect()
}

/// The strongly connected groups of more than one module (Tarjan).
pub fn circles(graph: &Graph) -> Vec<BTreeSet<String>> {
    struct Walk<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        groups: Vec<BTreeSet<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, v: &'g str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    self.low.insert(v, self.low[v].min(self.low[w]));
                } else if self.stack.contains(&w) {
                    self.low.insert(v, self.low[v].min(self.index[w]));
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = BTreeSet::new();
                while let Some(w) = self.stack.pop() {
                    group.insert(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    self.groups.push(group);
                }
            }
        }
    }
    let mut walk = Walk { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), groups: Vec::new() };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.groups
}

/// `circles` of `graph` in words, one strongly connected group per paragraph with its edges.
pub fn describe(graph: &Graph, circles: &[BTreeSet<String>]) -> String {
    circles
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|m| format!("  {m} -> {:?}", graph[m].intersection(group).collect::<Vec<_>>()))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}
