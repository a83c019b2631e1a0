//! Loading: reads the root file and everything it imports, parses each once,
//! and reports missing files, unknown `std::` modules and import cycles. An
//! imported `.csv` is a distribution, loaded as its environment network
//! (`import::distribution`).

use crate::hash::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use petgraph::algo::tarjan_scc;
use petgraph::graphmap::DiGraphMap;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::import::distribution;
use crate::source::{FileId, FileSystem, SourceDb, Span, stdlib};
use crate::syntax::ast::{ImportTarget, Item, SourceFileAst};
use crate::syntax::parse_file;

/// One parsed file and the files its imports resolved to.
#[derive(Debug)]
pub struct ParsedFile {
    pub id: FileId,
    pub ast: SourceFileAst,
    /// For each import that resolved: the imported file and the import's span.
    pub imports: Vec<(FileId, Span)>,
}

/// Every file of one compilation, indexed by `FileId` (the root is `FileId(0)`
/// when loaded into an empty [`SourceDb`]).
#[derive(Debug, Default)]
pub struct Workspace {
    pub files: Vec<ParsedFile>,
    pub root: Option<FileId>,
    /// Files with syntax or import errors that may have lost a definition
    /// (a skipped statement, an import that failed): names missing from them
    /// are not reported again as undefined. A `;` put back or a `#` comment
    /// skipped loses nothing, so those files are checked in full.
    pub incomplete: HashSet<FileId>,
}

impl Workspace {
    pub fn file(&self, id: FileId) -> &ParsedFile {
        self.files.iter().find(|f| f.id == id).expect("every FileId of a workspace is loaded")
    }
}

/// Loads `root_path` (already read as `root_text`) and, transitively, its imports.
pub fn load(
    db: &mut SourceDb,
    fs: &dyn FileSystem,
    root_path: &Path,
    root_text: String,
) -> (Workspace, Vec<Diagnostic>) {
    let mut loader = Loader { db, fs, by_key: HashMap::default(), diagnostics: Vec::new() };
    let root = loader.add(root_path.display().to_string(), root_text, Some(root_path.to_path_buf()));
    let mut workspace = Workspace { files: Vec::new(), root: Some(root.0), incomplete: HashSet::default() };
    let mut queue = vec![root];
    let mut whole_errors = Vec::new();
    // Files with an import that failed: names they take from it are not reported missing.
    let mut failed_imports = HashSet::default();
    while let Some((id, dir)) = queue.pop() {
        let text = loader.db.get(id).text.clone();
        let parsed = parse_file(id, &text);
        let ast = parsed.ast;
        if parsed.lost_text {
            loader.diagnostics.extend(parsed.diagnostics);
        } else {
            whole_errors.extend(parsed.diagnostics);
        }
        let mut imports = Vec::new();
        for item in &ast.items {
            let Item::Import(import) = item else { continue };
            let Some((target, fresh)) = loader.resolve(&import.target, import.span, dir.as_deref()) else {
                failed_imports.insert(id);
                continue;
            };
            imports.push((target.0, import.span));
            if fresh {
                queue.push(target);
            }
        }
        workspace.files.push(ParsedFile { id, ast, imports });
    }
    workspace.files.sort_by_key(|f| f.id);
    let mut diagnostics = loader.diagnostics;
    diagnostics.extend(import_cycles(&workspace, db));
    workspace.incomplete = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| d.primary_span())
        .map(|s| s.file)
        .chain(failed_imports)
        .collect();
    diagnostics.extend(whole_errors);
    (workspace, diagnostics)
}

struct Loader<'a> {
    db: &'a mut SourceDb,
    fs: &'a dyn FileSystem,
    /// Normalised path or `std::` module name -> file, so a file is loaded once.
    by_key: HashMap<String, FileId>,
    diagnostics: Vec<Diagnostic>,
}

/// A loaded file and the directory its relative imports start from (none for stdlib).
type Loaded = (FileId, Option<PathBuf>);

impl Loader<'_> {
    fn add(&mut self, name: String, text: String, path: Option<PathBuf>) -> Loaded {
        let dir = path.as_deref().map(|p| p.parent().unwrap_or(Path::new("")).to_path_buf());
        let key = path.as_deref().map_or_else(|| name.clone(), |p| normalise(p).display().to_string());
        let id = self.db.add(name, text);
        self.by_key.insert(key, id);
        (id, dir)
    }

    /// The imported file, and whether it was loaded just now.
    fn resolve(&mut self, target: &ImportTarget, span: Span, dir: Option<&Path>) -> Option<(Loaded, bool)> {
        match target {
            ImportTarget::File { path, span: path_span } => {
                let Some(dir) = dir else {
                    self.diagnostics.push(
                        Diagnostic::error("E0202", "the standard library cannot import files")
                            .with_primary(*path_span, "file import inside a std module"),
                    );
                    return None;
                };
                let full = normalise(&dir.join(path));
                let key = full.display().to_string();
                if let Some(&id) = self.by_key.get(&key) {
                    return Some(((id, full.parent().map(Path::to_path_buf)), false));
                }
                match self.fs.read(&full) {
                    Ok(text) if full.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => {
                        self.distribution(key, text, full).map(|loaded| (loaded, true))
                    }
                    Ok(text) => Some((self.add(key, text, Some(full)), true)),
                    Err(e) => {
                        self.diagnostics.push(
                            Diagnostic::error("E0202", format!("cannot read imported file `{path}`"))
                                .with_primary(*path_span, format!("{} ({e})", full.display()))
                                .with_hint("import paths are relative to the importing file"),
                        );
                        None
                    }
                }
            }
            ImportTarget::Module { path } => {
                let name = path.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join("::");
                if let Some(&id) = self.by_key.get(&name) {
                    return Some(((id, None), false));
                }
                match stdlib::source(&name) {
                    Some(text) => Some((self.add(name, text.to_string(), None), true)),
                    None => {
                        let module_span = path[0].span.to(path[path.len() - 1].span);
                        let mut d =
                            Diagnostic::error("E0204", format!("no module `{name}` in the standard library"))
                                .with_primary(module_span, "unknown module")
                                .with_secondary(span, "imported here");
                        let hint = match did_you_mean(&name, stdlib::modules()) {
                            Some(s) => s,
                            None if path[0].name != "std" => {
                                "module paths start with `std::`; to import a file, write `import \"path.crnl\";`"
                                    .to_string()
                            }
                            None => format!("the standard library has: {}", stdlib::modules().collect::<Vec<_>>().join(", ")),
                        };
                        d = d.with_hint(hint);
                        self.diagnostics.push(d);
                        None
                    }
                }
            }
        }
    }
}

impl Loader<'_> {
    /// An imported CSV distribution: its environment network (a translation
    /// whose spans point into the CSV), named after the file.
    fn distribution(&mut self, key: String, text: String, path: PathBuf) -> Option<Loaded> {
        let csv = self.db.add(key.clone(), text);
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("distribution").to_string();
        match distribution::to_crnl(csv, &self.db.get(csv).text, &name) {
            Ok(translation) => {
                let loaded = self.add(format!("{key}.crnl"), translation.text, Some(path));
                self.db.set_origin(loaded.0, translation.origin);
                Some(loaded)
            }
            Err(diagnostics) => {
                self.diagnostics.extend(diagnostics);
                None
            }
        }
    }
}

/// `a/./b/../c` -> `a/c`, without touching the file system (so it also works in memory).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// One error per import cycle, at the import that closes it.
fn import_cycles(workspace: &Workspace, db: &SourceDb) -> Vec<Diagnostic> {
    let mut graph: DiGraphMap<u32, Span> = DiGraphMap::new();
    for f in &workspace.files {
        graph.add_node(f.id.0);
        for &(target, span) in &f.imports {
            graph.add_edge(f.id.0, target.0, span);
        }
    }
    let mut out = Vec::new();
    for mut component in tarjan_scc(&graph) {
        let self_loop = component.len() == 1 && graph.contains_edge(component[0], component[0]);
        if component.len() < 2 && !self_loop {
            continue;
        }
        component.sort_unstable();
        // Walk the cycle from its first file so the message reads as a path.
        let start = component[0];
        let mut path = vec![start];
        let mut at = start;
        loop {
            let next = graph
                .neighbors(at)
                .filter(|n| component.contains(n))
                .min_by_key(|&n| if n == start { 0 } else { n + 1 })
                .expect("every file in a cycle imports another file of it");
            if next == start || path.contains(&next) {
                let closing = *graph.edge_weight(at, next).expect("edge exists");
                path.push(next);
                let names: Vec<&str> = path.iter().map(|&f| &*db.get(FileId(f)).name).collect();
                out.push(
                    Diagnostic::error("E0203", "import cycle")
                        .with_primary(closing, "this import closes a cycle")
                        .with_note(format!("cycle: {}", names.join(" -> ")))
                        .with_hint("move the shared definitions into a file that both can import"),
                );
                break;
            }
            path.push(next);
            at = next;
        }
    }
    out
}
