//! Runs the stages in order: load and parse, check, lower, the CRN passes,
//! verify. No I/O but through [`FileSystem`]; the CLI decides where output
//! goes.

use std::path::Path;
use std::sync::Arc;

use crate::backend::text::complex_text;
use crate::crn::passes::molecularity::{DEFAULT_SEPARATION, MAX_MOLECULES};
use crate::crn::passes::{Options, PASSES};
use crate::crn::{self, Crn};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::import::{bionetgen, crn_text, sbml};
use crate::ir::{self, learning};
use crate::load;
use crate::source::{FileId, FileSystem, SourceDb, Span};
use crate::syntax::ast::SourceFileAst;

/// What kind of file an input path is, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Crnl,
    /// The text reaction list (`.crn`, `.txt`).
    ReactionList,
    /// A BioNetGen network (`.net`), translated to crnl.
    BioNetGen,
    /// SBML (`.xml`, `.sbml`), translated to crnl.
    Sbml,
}

impl InputKind {
    pub fn of(path: &Path) -> InputKind {
        match path.extension().and_then(|e| e.to_str()) {
            Some("crn" | "txt") => InputKind::ReactionList,
            Some("net") => InputKind::BioNetGen,
            Some("xml" | "sbml") => InputKind::Sbml,
            _ => InputKind::Crnl,
        }
    }
}

/// Everything the front end produced for one input file.
pub struct FrontEnd {
    pub db: SourceDb,
    /// The input file (for a BioNetGen or SBML file, its crnl translation
    /// once it is made); `None` when it could not be read.
    pub root: Option<FileId>,
    /// The root file's syntax tree (crnl inputs only, and only with
    /// [`Flags::keep_ast`]).
    pub ast: Option<SourceFileAst>,
    /// The checked networks; empty when there were errors.
    pub program: ir::Program,
    pub diagnostics: Vec<Diagnostic>,
}

impl FrontEnd {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The default of `--max-expansion` (docs/limits.md): ten times the
/// 100,000-reaction benchmark, and about a second of expansion.
pub const DEFAULT_MAX_EXPANSION: u64 = 1_000_000;

/// What the command line asks of compilation besides the input: the flags
/// shared by `check`, `compile` and `run`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Flags {
    /// `--max-order N`
    pub max_order: Option<u32>,
    /// `--separation F`, over the network's `separation` setting.
    pub separation: Option<f64>,
    /// `--max-expansion N`: the budget of the checker's expansion and of
    /// the intermediates and steps the molecularity pass makes.
    pub max_expansion: u64,
    /// `crnc run`'s training flags that change the learning circuit.
    pub train: TrainFlags,
    /// `crnc run --t-end T`: the end time a plain network's protocol is cut
    /// for (its schedule's assignments at or after it do not run).
    pub t_end: Option<f64>,
    /// Whether [`FrontEnd::ast`] keeps the root file's syntax tree (for
    /// `--emit ast`). Without it the tree, a large model's largest structure,
    /// goes as soon as the checker is done with it.
    pub keep_ast: bool,
}

/// Training settings given on the command line over a `train` block's:
/// the ones the `learn` pass builds the circuit from.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TrainFlags {
    /// `--rate R`
    pub rate: Option<f64>,
    /// `--update host|chemical`
    pub update: Option<learning::Update>,
    /// `--gradient adjoint|first-order|reference`
    pub gradient: Option<learning::Gradient>,
    /// `--feedback chemical|exact`
    pub feedback: Option<learning::Feedback>,
}

impl TrainFlags {
    fn apply(&self, settings: &mut learning::TrainSettings) {
        settings.rate = self.rate.unwrap_or(settings.rate);
        settings.update = self.update.unwrap_or(settings.update);
        settings.gradient = self.gradient.unwrap_or(settings.gradient);
        settings.feedback = self.feedback.unwrap_or(settings.feedback);
    }
}

impl Default for Flags {
    fn default() -> Flags {
        Flags {
            max_order: None,
            separation: None,
            max_expansion: DEFAULT_MAX_EXPANSION,
            train: TrainFlags::default(),
            t_end: None,
            keep_ast: true,
        }
    }
}

/// One compilation: the front end's results, and the chosen network through
/// every pass.
pub struct Compilation {
    pub front: FrontEnd,
    /// The CRN and the passes' warnings, or the diagnostics of selecting and
    /// lowering the network (empty when the front end already failed: its
    /// own diagnostics are in `front`).
    pub lowered: Result<Lowered, Vec<Diagnostic>>,
}

impl Compilation {
    /// Every diagnostic, the front end's first.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        let lowered = match &self.lowered {
            Ok(l) => &l.warnings,
            Err(d) => d,
        };
        self.front.diagnostics.iter().chain(lowered)
    }

    /// Every diagnostic as `crnc check --color never` prints it.
    pub fn rendered(&self) -> String {
        let all: Vec<Diagnostic> = self.diagnostics().cloned().collect();
        crate::diagnostic::render_human(&self.front.db, &all, crate::diagnostic::Color::Never)
    }

    /// The CRN, or the codes of every error.
    pub fn crn(self) -> Result<Crn, Vec<&'static str>> {
        let errors: Vec<&'static str> = self.diagnostics().filter(|d| d.is_error()).map(|d| d.code).collect();
        match self.lowered {
            Ok(l) if errors.is_empty() => Ok(l.crn),
            _ => Err(errors),
        }
    }
}

/// The library's entry point, which the command line and the tests share:
/// reads, parses and checks `path`, picks `network` (or the only one), and
/// runs every pass under `flags`.
pub fn compile(fs: &dyn FileSystem, path: &Path, network: Option<&str>, flags: &Flags) -> Compilation {
    compile_traced(fs, path, network, flags, |_, _| {})
}

/// [`compile`], showing `after` the output of each stage of [`stages`].
pub fn compile_traced(
    fs: &dyn FileSystem,
    path: &Path,
    network: Option<&str>,
    flags: &Flags,
    after: impl FnMut(&'static str, Stage),
) -> Compilation {
    let front = front_end_with(fs, path, flags);
    let lowered = match front.has_errors() {
        true => Err(Vec::new()),
        false => match select(&front, network) {
            Ok(n) => lower_traced(n, &front.db, flags, after),
            Err(d) => Err(vec![d]),
        },
    };
    Compilation { front, lowered }
}

/// Reads, parses and checks `path` and everything it imports.
pub fn front_end(fs: &dyn FileSystem, path: &Path) -> FrontEnd {
    front_end_with(fs, path, &Flags::default())
}

/// [`front_end`] under the budget of `flags`.
pub fn front_end_with(fs: &dyn FileSystem, path: &Path, flags: &Flags) -> FrontEnd {
    let mut db = SourceDb::default();
    let text = match fs.read(path) {
        Ok(text) => text,
        Err(e) => {
            let hint = match e.kind() {
                std::io::ErrorKind::FileTooLarge => {
                    "give a larger --max-input-mb, or split the model into files that import each other"
                }
                _ => {
                    "check the path; crnc reads .crnl, .crn reaction lists, SBML (.xml, .sbml) and BioNetGen .net"
                }
            };
            let d =
                Diagnostic::error("E0202", format!("cannot read `{}`: {e}", path.display())).with_hint(hint);
            return FrontEnd { db, root: None, ast: None, program: empty_program(), diagnostics: vec![d] };
        }
    };
    match InputKind::of(path) {
        InputKind::ReactionList => {
            let file = db.add(path.display().to_string(), text);
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("network");
            let (network, diagnostics) = crn_text::read(file, &db.get(file).text, stem);
            let mut program = empty_program();
            if let Some(n) = network {
                program.networks.insert(n.name.clone(), n);
            }
            FrontEnd { db, root: Some(file), ast: None, program, diagnostics }
        }
        InputKind::BioNetGen => {
            let file = db.add(path.display().to_string(), text);
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("network");
            match bionetgen::to_crnl(file, &db.get(file).text, stem) {
                // The translation is the root (`crnc import` writes it); its
                // diagnostics are shown on the .net file's lines.
                Ok(translation) => {
                    let mut front =
                        crnl_front_end(db, fs, &path.with_extension("net.crnl"), translation.text, flags);
                    if let Some(made) = front.root {
                        front.db.set_origin(made, translation.origin);
                    }
                    front
                }
                Err(diagnostics) => {
                    FrontEnd { db, root: Some(file), ast: None, program: empty_program(), diagnostics }
                }
            }
        }
        InputKind::Sbml => {
            let file = db.add(path.display().to_string(), text);
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("network");
            match sbml::to_crnl(file, &db.get(file).text, stem) {
                (Some(crnl), warnings) => {
                    let mut front = crnl_front_end(db, fs, &path.with_extension("xml.crnl"), crnl, flags);
                    front.diagnostics.splice(0..0, warnings);
                    front
                }
                (None, diagnostics) => {
                    FrontEnd { db, root: Some(file), ast: None, program: empty_program(), diagnostics }
                }
            }
        }
        InputKind::Crnl => crnl_front_end(db, fs, path, text, flags),
    }
}

fn crnl_front_end(
    mut db: SourceDb,
    fs: &dyn FileSystem,
    path: &Path,
    text: String,
    flags: &Flags,
) -> FrontEnd {
    let (workspace, mut diagnostics) = load::load(&mut db, fs, path, text);
    let (program, check_diags) =
        crate::check::check(&workspace, workspace.incomplete.clone(), flags.max_expansion);
    diagnostics.extend(check_diags);
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    let root = workspace.root;
    let ast = workspace.files.into_iter().find(|f| flags.keep_ast && Some(f.id) == root).map(|f| f.ast);
    let program = if has_errors { empty_program() } else { program };
    FrontEnd { db, root: workspace.root, ast, program, diagnostics }
}

fn empty_program() -> ir::Program {
    ir::Program { networks: Default::default() }
}

/// The network to compile from a front end without errors: the one named, or the only one.
pub fn select<'f>(front: &'f FrontEnd, name: Option<&str>) -> Result<&'f ir::Network, Diagnostic> {
    let program = &front.program;
    let names = || program.networks.keys().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    match name {
        Some(name) => program.networks.get(name).ok_or_else(|| {
            let d = Diagnostic::error("E0501", format!("no network named `{name}` in this file"));
            let hint = did_you_mean(name, program.networks.keys().map(String::as_str))
                .unwrap_or_else(|| format!("the file defines {}", names()));
            d.with_hint(hint)
        }),
        None => match program.networks.len() {
            1 => Ok(&program.networks[0]),
            0 => Err(no_network(front.root)),
            _ => {
                let d = Diagnostic::error("E0501", "the file defines several networks; choose one")
                    .with_note(format!("the networks are {}", names()))
                    .with_hint("pass `--network NAME`");
                Err(program.networks.values().fold(d, |d, n| d.with_secondary(n.span, "a network")))
            }
        },
    }
}

/// E0500, at the start of the file: there is no one place a network is missing from.
fn no_network(root: Option<FileId>) -> Diagnostic {
    let d = Diagnostic::error("E0500", "the file defines no network")
        .with_hint("add `network Name { ... }`, or import the file from one that does");
    match root {
        Some(file) => d.with_primary(Span::new(file, 0, 0), "this file has no `network` block"),
        None => d,
    }
}

/// The elementary CRN of a network and the warnings its passes found.
#[derive(Debug)]
pub struct Lowered {
    pub crn: Crn,
    /// How the CRN's groups run: a learning circuit's phases, or one phase
    /// `main` for the `simulate` block's end time.
    pub protocol: crn::protocol::Protocol,
    /// A Neural CRN's model and training settings (command-line overrides
    /// applied), which a training run needs beside the protocol.
    pub learning: Option<ir::learning::Learning>,
    pub warnings: Vec<Diagnostic>,
}

/// The stage that turns IR into the CRN; the passes of [`PASSES`] follow it.
pub const LOWER: &str = "lower";

/// What a stage hands out: the IR before `lower`, the CRN from then on.
#[derive(Clone, Copy)]
pub enum Stage<'a> {
    Ir(&'a ir::Network),
    Crn(&'a Crn),
}

impl Stage<'_> {
    /// The stage's output as `--emit` prints it: crnl for the IR, the
    /// listing of [`crn::dump`] for the CRN.
    pub fn dump(&self) -> String {
        match self {
            Stage::Ir(network) => network.to_string(),
            Stage::Crn(crn) => crn::dump(crn),
        }
    }
}

/// The stages after the checker in order, each `(name, one line for
/// --help)`: the IR passes, `lower`, the CRN passes. What [`lower_traced`]
/// reports and `--emit` accepts.
pub fn stages() -> impl Iterator<Item = (&'static str, &'static str)> {
    let lower = (LOWER, "The CRN as lowered from the IR, before any CRN pass");
    let ir = ir::passes::PASSES.iter().map(|p| (p.name, p.about));
    ir.chain(std::iter::once(lower)).chain(PASSES.iter().map(|p| (p.name, p.about)))
}

/// Lowers a checked network to the elementary CRN, runs the passes and
/// enforces `max_order`. An `Err` holds every diagnostic, warnings included.
pub fn lower(
    network: &ir::Network,
    db: &SourceDb,
    max_order: Option<u32>,
) -> Result<Lowered, Vec<Diagnostic>> {
    lower_traced(network, db, &Flags { max_order, ..Flags::default() }, |_, _| {})
}

/// Runs the IR passes on a checked network: the network whose every
/// equation is a reaction, ready for `lower`. An `Err` holds every diagnostic.
pub fn ir_passes(
    network: &ir::Network,
    flags: &Flags,
    mut after: impl FnMut(&'static str, Stage),
) -> Result<(ir::Network, Vec<Diagnostic>), Vec<Diagnostic>> {
    let options = pass_options(network, flags);
    let mut network = network.clone();
    if let Some(learning) = &mut network.learning {
        flags.train.apply(&mut learning.settings);
    }
    let mut diagnostics = Vec::new();
    for pass in &ir::passes::PASSES {
        let found;
        (network, found) = (pass.run)(network, &options);
        let failed = found.iter().any(Diagnostic::is_error);
        diagnostics.extend(found);
        if failed {
            return Err(diagnostics);
        }
        after(pass.name, Stage::Ir(&network));
    }
    Ok((network, diagnostics))
}

fn pass_options(network: &ir::Network, flags: &Flags) -> Options {
    Options {
        max_order: flags.max_order,
        separation: flags.separation.or(network.separation).unwrap_or(DEFAULT_SEPARATION),
        max_expansion: flags.max_expansion,
    }
}

/// [`lower`], with every flag, showing `after` the CRN after each stage of [`stages`].
pub fn lower_traced(
    network: &ir::Network,
    db: &SourceDb,
    flags: &Flags,
    mut after: impl FnMut(&'static str, Stage),
) -> Result<Lowered, Vec<Diagnostic>> {
    let max_order = flags.max_order;
    let options = pass_options(network, flags);
    let (mut network, mut diagnostics) = ir_passes(network, flags, &mut after)?;
    let mut crn = crn::lower(&network, db);
    // The reactions are the CRN's now; a large model's copy of them goes before the passes run.
    network.reactions = Arc::default();
    debug_assert_valid(LOWER, &crn);
    after(LOWER, Stage::Crn(&crn));
    for pass in &PASSES {
        let found;
        (crn, found) = (pass.run)(crn, &options);
        diagnostics.extend(found);
        debug_assert_valid(pass.name, &crn);
        after(pass.name, Stage::Crn(&crn));
    }
    // After a pass's own error (an exceeded budget) what it left whole is no news.
    if let Some(max) = max_order.filter(|_| !diagnostics.iter().any(Diagnostic::is_error)) {
        diagnostics.extend(crn::max_order_violations(&crn, max).map(|(_, r)| too_high_order(&crn, r, max)));
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        Err(diagnostics)
    } else {
        let protocol = match &network.protocol {
            Some(p) => crn::protocol::resolve(p, &crn).map_err(|why| vec![internal(&why)])?,
            None => {
                let t_end = (flags.t_end.or(network.simulate.t_end))
                    .unwrap_or(crate::sim::run::RunSettings::DEFAULT.t_end);
                crn::protocol::Protocol::scheduled(&crn, t_end, &network.schedule)
                    .map_err(|why| vec![internal(&why)])?
            }
        };
        Ok(Lowered { crn, protocol, learning: network.learning, warnings: diagnostics })
    }
}

/// A broken invariant between passes: a bug of crnc, reported as an error
/// rather than a panic.
fn internal(why: &str) -> Diagnostic {
    Diagnostic::error("E0999", format!("internal error: {why}"))
        .with_note("this is a bug in crnc, not in the model")
        .with_hint("please report it with the model")
}

/// E0400 for a reaction above `--max-order`: with N >= 2 the molecularity
/// pass splits every reaction it can, so what is left could not be split.
fn too_high_order(crn: &Crn, r: &crn::Reaction, max: u32) -> Diagnostic {
    let text = format!("{} -> {}", complex_text(crn, &r.reactants), complex_text(crn, &r.products));
    let order = crn.molecularity(r);
    if r.law.is_some() {
        let d = Diagnostic::error(
            "E0400",
            format!(
                "reaction `{text}` has a rate law, so it cannot be made elementary for --max-order {max}"
            ),
        )
        .with_hint(
            "a rate law is not mass action, so the molecularity pass cannot split it: \
             write the reaction as mass-action steps, or compile without --max-order",
        );
        let d = with_origin_labels(d, &r.origin, order);
        return match &r.origin.location {
            Some(at) => d.with_note(format!("it comes from {at} ({})", r.origin.pass)),
            None => d,
        };
    }
    let hint = if max >= 2 && u64::from(order) > MAX_MOLECULES {
        format!(
            "the molecularity pass splits complexes of at most {MAX_MOLECULES} molecules (docs/limits.md); write the reaction with fewer"
        )
    } else if max >= 2 {
        "crnc cannot split it: a rate constant of its steps would be 0 or overflow a 64-bit float".to_string()
    } else {
        "crnc splits reactions into bimolecular steps with --max-order 2, but no further".to_string()
    };
    let d = Diagnostic::error(
        "E0400",
        format!("reaction `{text}` has {order} reactant molecules, more than --max-order {max}"),
    )
    .with_hint(hint);
    let d = with_origin_labels(d, &r.origin, order);
    match &r.origin.location {
        Some(at) => d.with_note(format!("it comes from {at} ({})", r.origin.pass)),
        None => d,
    }
}

/// Points at where a reaction is written and, for one brought in by an
/// include or a module instance, at the statements that brought it in: the
/// outermost is the primary label, since it is in the network being compiled.
fn with_origin_labels(d: Diagnostic, origin: &crn::Origin, order: u32) -> Diagnostic {
    let Some(span) = origin.span else { return d };
    let written = format!("order {order} reaction");
    let Some((outermost, inner)) = origin.brought_in_at.split_first() else {
        return d.with_primary(span, written);
    };
    let d = d.with_primary(*outermost, format!("this brings in an {written}"));
    inner
        .iter()
        .fold(d, |d, &at| d.with_secondary(at, "the reaction comes in through this"))
        .with_secondary(span, format!("{written}, written here"))
}

/// After every pass in debug builds: a broken invariant is a compiler bug.
fn debug_assert_valid(pass: &str, crn: &Crn) {
    if cfg!(debug_assertions) {
        let violations = crn::validate(crn);
        assert!(violations.is_empty(), "invariants broken after pass `{pass}`: {violations:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemoryFs;

    #[test]
    fn the_syntax_tree_is_kept_only_when_asked() {
        let fs = MemoryFs::new().with("m.crnl", "network N { species A = 1; A -> 0 @ 2; }");
        let path = Path::new("m.crnl");
        let kept = front_end(&fs, path);
        assert!(kept.ast.is_some_and(|ast| ast.items.len() == 1));
        let dropped = front_end_with(&fs, path, &Flags { keep_ast: false, ..Flags::default() });
        assert!(dropped.ast.is_none());
        assert_eq!(dropped.program.networks.len(), 1, "the network is checked all the same");
        assert!(dropped.diagnostics.is_empty());
    }
}
