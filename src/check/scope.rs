//! Name tables: what each file and each network can see.

use crate::diagnostic::{Diagnostic, closest};
use crate::hash::IndexMap;
use crate::load::Workspace;
use crate::source::{FileId, Span, stdlib};
use crate::syntax::ast::{Ident, Item, Network, Statement};

/// A network: the file that defines it and its index among that file's items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NetRef {
    pub file: FileId,
    pub item: usize,
}

/// A module: the file that defines it and its index among that file's items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModRef {
    pub file: FileId,
    pub item: usize,
}

/// A parameter definition, located by AST indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamRef {
    Global { file: FileId, item: usize, entry: usize },
    Local { net: NetRef, statement: usize, entry: usize },
}

/// Something a top-level name can refer to, with the span of its definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Def {
    Param(ParamRef, Span),
    Network(NetRef, Span),
    Module(ModRef, Span),
}

impl Def {
    pub fn span(self) -> Span {
        match self {
            Def::Param(_, s) | Def::Network(_, s) | Def::Module(_, s) => s,
        }
    }
}

/// The names visible at the top level of each file: its own definitions and
/// those of the files it imports directly.
pub fn file_scopes(ws: &Workspace, diags: &mut Vec<Diagnostic>) -> Vec<(FileId, IndexMap<String, Def>)> {
    let own: Vec<(FileId, IndexMap<String, Def>)> =
        ws.files.iter().map(|f| (f.id, own_definitions(f.id, &f.ast.items, diags))).collect();
    let own_of = |id: FileId| &own.iter().find(|(f, _)| *f == id).expect("loaded file").1;
    ws.files
        .iter()
        .map(|f| {
            let mut scope = own_of(f.id).clone();
            for &(target, import_span) in &f.imports {
                for (name, &def) in own_of(target) {
                    match scope.get(name) {
                        None => {
                            scope.insert(name.clone(), def);
                        }
                        Some(&existing) if existing == def => {}
                        Some(&existing) => diags.push(
                            Diagnostic::error("E0201", format!("`{name}` is defined twice"))
                                .with_primary(import_span, format!("this import brings another `{name}`"))
                                .with_secondary(existing.span(), "already defined here")
                                .with_secondary(def.span(), "the imported definition")
                                .with_hint("rename one of the two definitions"),
                        ),
                    }
                }
            }
            (f.id, scope)
        })
        .collect()
}

fn own_definitions(file: FileId, items: &[Item], diags: &mut Vec<Diagnostic>) -> IndexMap<String, Def> {
    let mut names: IndexMap<String, Def> = IndexMap::default();
    for (item, it) in items.iter().enumerate() {
        let defs: Vec<(&str, Def)> = match it {
            Item::Import(_) => continue,
            Item::Network(n) => {
                vec![(n.name.name.as_str(), Def::Network(NetRef { file, item }, n.name.span))]
            }
            Item::Module(m) => {
                vec![(m.name.name.as_str(), Def::Module(ModRef { file, item }, m.name.span))]
            }
            Item::Param(p) => p
                .entries
                .iter()
                .enumerate()
                .map(|(entry, (id, _))| {
                    (id.name.as_str(), Def::Param(ParamRef::Global { file, item, entry }, id.span))
                })
                .collect(),
        };
        for (name, def) in defs {
            insert_unique(&mut names, name, def, def.span(), diags);
        }
    }
    names
}

/// Inserts `name`, or reports E0201 pointing at both definitions.
pub fn insert_unique<T: Copy + HasSpan>(
    table: &mut IndexMap<String, T>,
    name: &str,
    value: T,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if let Some(previous) = table.get(name) {
        diags.push(duplicate(name, span, previous.def_span()));
        return false;
    }
    table.insert(name.to_string(), value);
    true
}

/// E0200 for a call that instantiates no module (`c = ad(a, b);`): the
/// closest module in scope, or the standard-library import that brings one in.
pub fn unknown_module(function: &Ident, scope: &IndexMap<String, Def>) -> Diagnostic {
    let name = function.name.as_str();
    let in_scope: Vec<&str> =
        scope.iter().filter(|(_, d)| matches!(d, Def::Module(..))).map(|(n, _)| n.as_str()).collect();
    let library = std_modules();
    let defined_in = |module: &str| library.iter().find(|(_, names)| names.iter().any(|n| n == module));
    let hint = if let Some(close) = closest(name, in_scope.iter().copied()) {
        format!("did you mean `{close}`?")
    } else if let Some((file, _)) = defined_in(name) {
        format!("`{name}` is in the standard library: add `import {file};` at the top of the file")
    } else if let Some(close) =
        closest(name, library.iter().flat_map(|(_, names)| names.iter().map(String::as_str)))
    {
        let (file, _) = defined_in(close).expect("a library module comes from a library file");
        format!("did you mean `{close}`? It is in the standard library: add `import {file};`")
    } else {
        let listing: Vec<String> =
            library.iter().map(|(file, names)| format!("{file} ({})", names.join(", "))).collect();
        format!(
            "a module is defined with `module` or imported; the standard library has {}",
            listing.join(", ")
        )
    };
    let mut d = Diagnostic::error("E0200", format!("no module `{name}`"))
        .with_primary(function.span, "not a module in scope")
        .with_hint(hint);
    if !in_scope.is_empty() {
        d = d.with_note(format!("the modules in scope are {}", in_scope.join(", ")));
    }
    d
}

/// Each standard-library file that defines modules, with their names:
/// parsed once per process, since an unknown call repeated in every instance
/// of a module would otherwise parse the library each time.
fn std_modules() -> &'static [(&'static str, Vec<String>)] {
    static MODULES: std::sync::OnceLock<Vec<(&'static str, Vec<String>)>> = std::sync::OnceLock::new();
    MODULES.get_or_init(parse_std_modules)
}

fn parse_std_modules() -> Vec<(&'static str, Vec<String>)> {
    stdlib::modules()
        .filter_map(|file| {
            let (ast, _) = crate::syntax::parse(FileId(0), stdlib::source(file)?);
            let names: Vec<String> = ast
                .items
                .iter()
                .filter_map(|item| match item {
                    Item::Module(m) => Some(m.name.name.clone()),
                    _ => None,
                })
                .collect();
            (!names.is_empty()).then_some((file, names))
        })
        .collect()
}

pub fn duplicate(name: &str, span: Span, previous: Span) -> Diagnostic {
    Diagnostic::error("E0201", format!("`{name}` is defined twice"))
        .with_primary(span, "defined again here")
        .with_secondary(previous, "first defined here")
        .with_hint("each name may be defined once in a scope; rename or remove one")
}

pub trait HasSpan {
    fn def_span(&self) -> Span;
}

impl HasSpan for Def {
    fn def_span(&self) -> Span {
        self.span()
    }
}

impl HasSpan for (ParamRef, Span) {
    fn def_span(&self) -> Span {
        self.1
    }
}

/// A network's own parameters, by name.
pub fn local_params(
    net: NetRef,
    network: &Network,
    diags: &mut Vec<Diagnostic>,
) -> IndexMap<String, (ParamRef, Span)> {
    let mut table = IndexMap::default();
    for (statement, s) in network.statements.iter().enumerate() {
        let Statement::Param(p) = s else { continue };
        for (entry, (id, _)) in p.entries.iter().enumerate() {
            let r = ParamRef::Local { net, statement, entry };
            insert_unique(&mut table, &id.name, (r, id.span), id.span, diags);
        }
    }
    table
}
