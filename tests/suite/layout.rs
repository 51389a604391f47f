//! The layout of src/, read from the source itself: no file imports itself through others, rooms import only the
//! rooms below them, and files and functions stay short enough to hold in one's head.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// The rooms, from the top down: a file may import files of its own room and of rooms below it. A room is a
/// top-level module, or one of film/'s sub-folders; "" is the crate root, and "film" film/'s own files.
const ROOMS: [&str; 28] = [
    "",
    "cmd",
    "cli",
    "photos",
    "film",
    "film::run",
    "film::write",
    "film::review",
    "film::plan",
    "film::read",
    "film::records",
    "film::colour",
    "film::io",
    "film::base",
    "report",
    "hints",
    "sheet",
    "fetch",
    "model",
    "position",
    "lab",
    "image_io",
    "output",
    "pipeline",
    "progress",
    "threads",
    "interrupt",
    "shared_files",
];
const LONGEST_FILE: usize = 400;
const LONGEST_FUNCTION: usize = 60;

fn src() -> Vec<File> {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

/// The room of the file at `path` (from src/): its top-level module, or film/'s sub-folder it lies in.
fn room(path: &Path) -> String {
    let parts: Vec<String> = path
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [film, room, _, ..] if film == "film" => format!("film::{room}"),
        [top, _, ..] => top.clone(),
        [top] if top == "lib" => String::new(),
        [top] => top.clone(),
        [] => String::new(),
    }
}

/// The file a module is in, from src/, as `read` names files.
fn path_of<'a>(files: &'a [File], module: &Module) -> &'a Path {
    &files.iter().find(|f| &f.module == module).unwrap().path
}

fn rank(room: &str) -> usize {
    ROOMS
        .iter()
        .position(|r| *r == room)
        .unwrap_or_else(|| panic!("the room {room:?} is not in ROOMS: place it among the others"))
}

#[test]
fn no_file_imports_itself_through_others() {
    let files = src();
    let loops: Vec<String> = loops(&files)
        .iter()
        .map(|files| {
            files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    assert!(
        loops.is_empty(),
        "files that import themselves through others:\n{}",
        loops.join("\n")
    );
}

#[test]
fn rooms_import_only_the_rooms_below_them() {
    let files = src();
    let mut upward = Vec::new();
    for file in &files {
        let from = room(&file.path);
        for import in &file.imports {
            let to = room(path_of(&files, import));
            if from != to && rank(&from) > rank(&to) {
                upward.push(format!(
                    "{} ({from}) imports {} ({to})",
                    file.path.display(),
                    import.join("::")
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "lower rooms importing higher ones:\n{}",
        upward.join("\n")
    );
}

#[test]
fn files_and_functions_stay_short() {
    let mut long = Vec::new();
    for file in src() {
        if file.lines > LONGEST_FILE {
            long.push(format!("{}: {} lines", file.path.display(), file.lines));
        }
        for (name, lines) in file.functions.iter().filter(|(_, lines)| *lines > LONGEST_FUNCTION) {
            long.push(format!("{}: fn {name}, {lines} lines", file.path.display()));
        }
    }
    assert!(
        long.is_empty(),
        "over {LONGEST_FILE} lines a file or {LONGEST_FUNCTION} a function:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_reader_finds_loops_and_upward_imports() {
    // The rules above hold only if the reading sees imports: a planted loop and an upward import must show.
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write("lib.rs", "mod film;\nmod model;\n");
    write("film/mod.rs", "mod base;\nmod io;\n");
    write("film/base/mod.rs", "pub mod frame;\n");
    write(
        "film/base/frame.rs",
        "use crate::film::io::source::Source;\npub struct Frame;\n",
    );
    write("film/io/mod.rs", "pub mod source;\n");
    write(
        "film/io/source.rs",
        "pub struct Source(super::super::base::frame::Frame);\n",
    );
    write(
        "model/mod.rs",
        "fn f() { crate::film::io::source::open(); }\n#[cfg(test)]\nmod tests { use crate::film; }\n",
    );
    let files = read(dir.path());
    let looped: BTreeSet<String> = loops(&files)
        .concat()
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    assert_eq!(
        looped,
        BTreeSet::from(["film/base/frame.rs".into(), "film/io/source.rs".into()])
    );
    let model = files.iter().find(|f| f.module == ["model"]).unwrap();
    assert_eq!(
        model.imports,
        BTreeSet::from([vec!["film".to_string(), "io".into(), "source".into()]])
    );
    let imported = path_of(&files, model.imports.first().unwrap());
    assert_eq!(
        (room(imported).as_str(), room(&model.path).as_str()),
        ("film::io", "model")
    );
}

/// A module of the crate by its path from the crate root (`["film", "read", "jobs"]`), the root being empty.
type Module = Vec<String>;

/// One source file: its module, its length and the modules (files) it imports.
struct File {
    path: PathBuf,
    module: Module,
    lines: usize,
    imports: BTreeSet<Module>,
    /// Each function's name and its length in lines, from `fn` to its closing brace.
    functions: Vec<(String, usize)>,
}

/// Every library file under `src` (the binary's `main.rs` is left out: nothing imports it).
fn read(src: &Path) -> Vec<File> {
    let mut paths = Vec::new();
    collect(src, &mut paths);
    let modules: BTreeMap<PathBuf, Module> = paths.iter().map(|p| (p.clone(), module_of(src, p))).collect();
    let known: BTreeSet<Module> = modules.values().cloned().collect();
    paths
        .iter()
        .filter(|p| p.strip_prefix(src).unwrap() != Path::new("main.rs"))
        .map(|path| {
            let text = fs::read_to_string(path).unwrap();
            let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let module = modules[path].clone();
            let mut visitor = Imports {
                known: &known,
                file: module.clone(),
                inner: Vec::new(),
                imports: BTreeSet::new(),
                functions: Vec::new(),
            };
            visitor.visit_file(&syntax);
            let mut imports = visitor.imports;
            imports.remove(&module);
            File {
                path: path.strip_prefix(src).unwrap().to_path_buf(),
                module,
                lines: text.lines().count(),
                imports,
                functions: visitor.functions,
            }
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
}

fn module_of(src: &Path, path: &Path) -> Module {
    let relative = path.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Module = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

struct Imports<'a> {
    known: &'a BTreeSet<Module>,
    file: Module,
    /// Inline modules (`mod tests { .. }`) around the code being read.
    inner: Vec<String>,
    imports: BTreeSet<Module>,
    functions: Vec<(String, usize)>,
}

impl Imports<'_> {
    fn here(&self) -> Module {
        self.file.iter().chain(&self.inner).cloned().collect()
    }

    /// The file a path names, if it names one of the crate's.
    fn import(&mut self, path: &[String]) {
        let Some(first) = path.first() else { return };
        let mut absolute = match first.as_str() {
            "crate" => Vec::new(),
            "self" | "super" => self.here(),
            _ => {
                let mut child = self.here();
                child.push(first.clone());
                if !self.known.contains(&child) {
                    return;
                }
                self.here()
            }
        };
        let mut rest = path;
        while let Some(head) = rest.first() {
            match head.as_str() {
                "crate" | "self" => {}
                "super" => {
                    absolute.pop();
                }
                _ => break,
            }
            rest = &rest[1..];
        }
        absolute.extend(rest.iter().cloned());
        while !absolute.is_empty() && !self.known.contains(&absolute) {
            absolute.pop();
        }
        if self.known.contains(&absolute) {
            self.imports.insert(absolute);
        }
    }

    fn function(&mut self, name: String, sig: &syn::Signature, block: &syn::Block) {
        let start = sig.fn_token.span.start().line;
        let end = block.brace_token.span.close().end().line;
        self.functions.push((name, end - start + 1));
    }
}

fn flatten(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            if n.ident != "self" {
                path.push(n.ident.to_string());
            }
            out.push(path);
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push(path);
        }
        syn::UseTree::Glob(_) => out.push(prefix.clone()),
        syn::UseTree::Group(g) => {
            for tree in &g.items {
                flatten(tree, prefix, out);
            }
        }
    }
}

/// Whether an item is compiled for tests alone.
fn for_tests(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|arg| arg == "test"))
}

impl<'ast> Visit<'ast> for Imports<'_> {
    // Tests may reach anything; what the program imports is what shapes it.
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Impl(i) => &i.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !for_tests(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.inner.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.inner.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        flatten(&item.tree, &mut Vec::new(), &mut paths);
        for path in paths {
            self.import(&path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if names.len() > 1 {
            self.import(&names);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.function(item.sig.ident.to_string(), &item.sig, &item.block);
        syn::visit::visit_item_fn(self, item);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.function(item.sig.ident.to_string(), &item.sig, &item.block);
        syn::visit::visit_impl_item_fn(self, item);
    }
}

/// Files that import themselves through others: each loop as its files.
fn loops(files: &[File]) -> Vec<Vec<&File>> {
    let index: BTreeMap<&Module, usize> = files.iter().enumerate().map(|(i, f)| (&f.module, i)).collect();
    let mut graph = petgraph::graph::DiGraph::<usize, ()>::new();
    let nodes: Vec<_> = (0..files.len()).map(|i| graph.add_node(i)).collect();
    for (i, file) in files.iter().enumerate() {
        for to in file.imports.iter().filter_map(|m| index.get(m)) {
            graph.add_edge(nodes[i], nodes[*to], ());
        }
    }
    petgraph::algo::tarjan_scc(&graph)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| component.into_iter().map(|n| &files[graph[n]]).collect())
        .collect()
}
