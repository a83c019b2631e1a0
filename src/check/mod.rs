//! Resolve and check: syntax tree to IR.
//!
//! Resolves every name (parameters, species, networks, includes), evaluates
//! constant expressions, validates rates, initial values and coefficients,
//! and reports all problems of all loaded files in one run. Warnings are only
//! given for the root file: imported libraries are not the user's to tidy.

mod boltzmann;
mod elaborate;
mod eval;
mod learning;
mod network;
mod ode;
mod potentials;
mod schedule;
mod scope;
mod simulate;
mod train;

pub use elaborate::MAX_NESTING;
pub use network::zero_rate;
pub(crate) use ode::too_many_terms;

use crate::hash::{HashMap, HashSet};

use crate::diagnostic::Diagnostic;
use crate::hash::IndexMap;
use crate::ir;
use crate::load::Workspace;
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, Item};
use network::NetState;
use scope::{Def, NetRef, ParamRef};

/// Checks every network of every loaded file; returns the root file's networks.
/// `incomplete_files` are files with syntax or import errors: names missing
/// from them are not reported again as undefined.
/// `max_expansion` is the budget of `--max-expansion` (elaborate::Budget).
pub fn check(
    ws: &Workspace,
    incomplete_files: HashSet<FileId>,
    max_expansion: u64,
) -> (ir::Program, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let scopes = scope::file_scopes(ws, &mut diags);
    let mut locals = HashMap::default();
    for f in &ws.files {
        for (item, it) in f.ast.items.iter().enumerate() {
            if let Item::Network(n) = it {
                let net = NetRef { file: f.id, item };
                locals.insert(net, scope::local_params(net, n, &mut diags));
            }
        }
    }
    let mut checker = Checker {
        ws,
        scopes: scopes.into_iter().collect(),
        locals,
        values: HashMap::default(),
        evaluating: Vec::new(),
        used: HashSet::default(),
        networks: HashMap::default(),
        including: Vec::new(),
        numbers: Vec::new(),
        instantiating: Vec::new(),
        ode_variables: indexmap::IndexSet::new(),
        budget: elaborate::Budget::new(max_expansion),
        incomplete_files,
        diags,
    };
    let mut program = ir::Program { networks: IndexMap::default() };
    for f in &ws.files {
        for (item, it) in f.ast.items.iter().enumerate() {
            if let Item::Network(_) = it {
                checker.ensure_network(NetRef { file: f.id, item });
            }
        }
        // Top-level parameters are evaluated even when nothing uses them, so
        // that their errors are reported.
        for (item, it) in f.ast.items.iter().enumerate() {
            if let Item::Param(p) = it {
                for entry in 0..p.entries.len() {
                    checker.param(ParamRef::Global { file: f.id, item, entry });
                }
            }
        }
    }
    checker.warn_unused_globals();
    if let Some(root) = ws.root {
        for item in 0..ws.file(root).ast.items.len() {
            if let Some(NetState::Done(network)) = checker.networks.remove(&NetRef { file: root, item }) {
                program.networks.insert(network.name.clone(), *network);
            }
        }
    }
    (program, checker.diags)
}

struct Checker<'w> {
    ws: &'w Workspace,
    scopes: HashMap<FileId, IndexMap<String, Def>>,
    locals: HashMap<NetRef, IndexMap<String, (ParamRef, Span)>>,
    /// Evaluated parameters; `None` when evaluation failed (already reported).
    values: HashMap<ParamRef, Option<f64>>,
    /// Parameters being evaluated, innermost last, to detect cycles.
    evaluating: Vec<ParamRef>,
    used: HashSet<ParamRef>,
    networks: HashMap<NetRef, NetState>,
    /// Networks being checked, outermost first: an include chain, to name a cycle.
    including: Vec<NetRef>,
    /// Compile-time numbers of the bodies being expanded (loop variables,
    /// module parameters), one list per body, innermost body last.
    numbers: Vec<Vec<(String, f64)>>,
    /// Modules being instantiated, outermost first, to catch recursion.
    instantiating: Vec<scope::ModRef>,
    /// Species and signed values of the `ode` blocks being lowered, numbered.
    ode_variables: indexmap::IndexSet<ir::Variable>,
    budget: elaborate::Budget,
    incomplete_files: HashSet<FileId>,
    diags: Vec<Diagnostic>,
}

impl<'w> Checker<'w> {
    fn is_root(&self, file: FileId) -> bool {
        self.ws.root == Some(file)
    }

    fn network_ast(&self, net: NetRef) -> &'w ast::Network {
        match &self.ws.file(net.file).ast.items[net.item] {
            Item::Network(n) => n,
            _ => unreachable!("a NetRef always points at a network item"),
        }
    }

    fn module_ast(&self, m: scope::ModRef) -> &'w ast::Module {
        match &self.ws.file(m.file).ast.items[m.item] {
            Item::Module(module) => module,
            _ => unreachable!("a ModRef always points at a module item"),
        }
    }

    fn param_ast(&self, r: ParamRef) -> &'w (ast::Ident, ast::Expr) {
        match r {
            ParamRef::Global { file, item, entry } => match &self.ws.file(file).ast.items[item] {
                Item::Param(p) => &p.entries[entry],
                _ => unreachable!("a global ParamRef points at a param item"),
            },
            ParamRef::Local { net, statement, entry } => match &self.network_ast(net).statements[statement] {
                ast::Statement::Param(p) => &p.entries[entry],
                _ => unreachable!("a local ParamRef points at a param statement"),
            },
        }
    }

    fn warn_unused_globals(&mut self) {
        let Some(root) = self.ws.root else { return };
        for (item, it) in self.ws.file(root).ast.items.iter().enumerate() {
            let Item::Param(p) = it else { continue };
            for (entry, (id, _)) in p.entries.iter().enumerate() {
                if !self.used.contains(&ParamRef::Global { file: root, item, entry }) {
                    self.diags.push(unused_param(id));
                }
            }
        }
    }
}

fn unused_param(id: &ast::Ident) -> Diagnostic {
    Diagnostic::warning("W0002", format!("parameter `{}` is never used", id.name))
        .with_primary(id.span, "defined here")
        .with_hint("remove it, or use it in a rate or an initial value")
}
