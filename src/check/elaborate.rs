//! Expansion of a network or module body into flat species and reactions:
//! arrays become one species per element (`x[0]`, `x[1]`, ...), `for` loops
//! are unrolled, and each module instantiation copies the module's body with
//! its species renamed under the instance's name (`dot1.y`).
//!
//! A [`Frame`] is the scope of one body: what its species names mean, and the
//! compile-time numbers (module parameters, loop variables) on
//! `Checker::numbers`. Bodies are expanded in three passes, so that a statement
//! may use a species declared or produced further down: declarations, then
//! instantiations at the top level of the body (which declare their outputs),
//! then reactions and loops. Reactions come out in statement order.

use crate::hash::HashSet;

use crate::backend::number;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::hash::{HashMap, IndexMap};
use crate::ir;
use crate::source::Span;
use crate::syntax::ast::{self, Expr, Initial, SpeciesRef, Statement};

use super::Checker;
use super::eval::Env;
use super::network::{Builder, SpeciesOrigin};
use super::ode::SignedVar;
use super::scope::{Def, ModRef};

/// Module instances nested deeper than this are refused: each level is a
/// frame of the checker's recursion (docs/limits.md).
pub const MAX_NESTING: usize = 64;

/// What the expansion budget counts; each unit is one step.
#[derive(Clone, Copy)]
pub(super) enum Work {
    Iteration,
    Species,
    Reaction,
    Instance,
    /// Elements of an array bound to a module's port, copied per instance.
    PortElement,
    /// Species and reactions copied by an `include`.
    Included,
    /// Pairs of terms multiplied while expanding an `ode` right-hand side.
    TermProduct,
}

const WORK_NAMES: [&str; 7] = [
    "loop iterations",
    "species",
    "reactions",
    "module instances",
    "array elements bound to ports",
    "included species and reactions",
    "products of ode terms",
];

/// `--max-expansion`: one budget for all the work of expanding a program
/// (every network of every loaded file), so that no combination of loops,
/// arrays, instances and includes runs for minutes or fills memory. Work is
/// charged before it is done; once the budget is spent, expansion stops.
pub(super) struct Budget {
    limit: u64,
    spent: [u64; WORK_NAMES.len()],
    pub exceeded: bool,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget { limit, spent: [0; WORK_NAMES.len()], exceeded: false }
    }
}

/// What a species name means in a body: one flat species or an array of them.
#[derive(Clone, Debug)]
pub(super) enum Binding {
    Scalar(String),
    Array(Vec<String>),
}

/// The scope of one body being expanded.
pub(super) struct Frame {
    /// Prefix of the flat names of species the body declares: empty in a
    /// network, `dot1.` in an instance.
    pub prefix: String,
    pub species: HashMap<String, Binding>,
    /// Where parameters outside the frame's numbers are looked up.
    pub env: Env,
    /// True in a module body, where network statements are not allowed.
    pub in_module: bool,
    /// The body's signed values by flat name, in declaration order.
    pub signed: IndexMap<String, SignedVar>,
    /// A Neural CRN's declarations (network bodies only).
    pub model: super::learning::ModelDecls,
}

impl Frame {
    pub fn network(env: Env) -> Frame {
        Frame {
            prefix: String::new(),
            species: HashMap::default(),
            env,
            in_module: false,
            signed: IndexMap::default(),
            model: Default::default(),
        }
    }
}

impl<'w> Checker<'w> {
    /// Charges `n` steps of `work` done at `span`; false once the budget is
    /// spent, after one E0230 that names the work and the flag that raises it.
    pub(super) fn charge(&mut self, work: Work, n: usize, span: Span) -> bool {
        let budget = &mut self.budget;
        if budget.exceeded {
            return false;
        }
        let spent = &mut budget.spent[work as usize];
        *spent = spent.saturating_add(n as u64);
        let total = budget.spent.iter().fold(0u64, |a, &b| a.saturating_add(b));
        if total <= budget.limit {
            return true;
        }
        budget.exceeded = true;
        let so_far: Vec<String> = WORK_NAMES
            .iter()
            .zip(budget.spent)
            .filter(|&(_, n)| n > 0)
            .map(|(what, n)| format!("{what} {n}"))
            .collect();
        let limit = budget.limit;
        self.diags.push(
            Diagnostic::error("E0230", format!("the expansion exceeds its budget of {limit} steps"))
                .with_primary(span, format!("the budget ran out here, on {}", WORK_NAMES[work as usize]))
                .with_note(format!(
                    "every loop iteration, species, reaction, module instance, array element bound to a port, included species or reaction and product of two ode terms is one step; counted: {}",
                    so_far.join(", ")
                ))
                .with_hint("check the loop bounds, array sizes and module calls; if the model is meant to be this large, raise the budget with `--max-expansion N`"),
        );
        false
    }

    /// Expands `statements` into `groups` (one reaction list per statement).
    pub(super) fn expand_body(
        &mut self,
        b: &mut Builder,
        frame: &mut Frame,
        statements: &'w [Statement],
        groups: &mut [Vec<ir::Reaction>],
    ) {
        if self.budget.exceeded {
            return;
        }
        for statement in statements {
            match statement {
                Statement::Species(decl) => self.declare_species(b, frame, decl),
                Statement::Signed(decl) => _ = self.declare_signed(frame, decl, crate::crn::Role::Plain),
                Statement::Model { kind, decl } if frame.in_module => {
                    self.not_in_module(decl.span, &format!("`{}`", kind.keyword()))
                }
                Statement::Model { kind, decl } if *kind != ast::ModelKind::State => {
                    self.declare_model(b, frame, *kind, decl)
                }
                Statement::Potential { decl, .. } if frame.in_module => {
                    self.not_in_module(decl.span, "`potential`")
                }
                Statement::Potential { decl, .. } => self.declare_potential(b, frame, decl),
                Statement::LearnRule { span, .. } if frame.in_module => {
                    self.not_in_module(*span, "a `learn` rule")
                }
                Statement::Boltzmann { span, .. } if frame.in_module => {
                    self.not_in_module(*span, "a `boltzmann_machine` block")
                }
                Statement::Boltzmann { items, span } => self.declare_boltzmann(b, frame, items, *span),
                _ => {}
            }
        }
        // A state's initial value reads the inputs, wherever they are declared.
        for statement in statements {
            if let Statement::Model { kind: ast::ModelKind::State, decl } = statement
                && !frame.in_module
            {
                self.declare_model(b, frame, ast::ModelKind::State, decl);
            }
        }
        // Declared after the inputs they read, states still print in source order.
        frame.signed.sort_by(|_, a, _, b| a.span.start.cmp(&b.span.start));
        // Before the instances and reactions, whose rates they give.
        for statement in statements {
            if let Statement::Energy { entries, .. } = statement {
                self.declare_energies(b, frame, statements, entries);
            }
        }
        if !frame.in_module {
            self.resolve_potentials(b, frame, statements);
        }
        for (i, statement) in statements.iter().enumerate() {
            if let Statement::Assign { targets, value, span } = statement {
                match self.module_called(frame, value) {
                    Some(module) => {
                        groups[i] =
                            self.instantiate(b, frame, module, targets, value, *span).unwrap_or_default()
                    }
                    None => _ = self.unknown_instance(b, frame, targets, value),
                }
            }
        }
        self.collect_odes(b, frame, statements);
        for (i, statement) in statements.iter().enumerate() {
            match statement {
                Statement::Reaction(r) => {
                    // Room for one: a first push gives four, and a large model has a
                    // statement per reaction.
                    groups[i].reserve_exact(1);
                    self.expand_reaction(b, frame, r, &mut groups[i])
                }
                Statement::Boltzmann { span, .. } if !frame.in_module => {
                    groups[i] = self.boltzmann_reactions(b, *span)
                }
                Statement::For { .. } => {
                    let mut out = Vec::new();
                    self.expand_nested(b, frame, statement, &mut out);
                    groups[i] = out;
                }
                Statement::Assign { .. }
                | Statement::Species(_)
                | Statement::Signed(_)
                | Statement::Model { .. }
                | Statement::Ode { .. }
                | Statement::Energy { .. }
                | Statement::Potential { .. }
                | Statement::LearnRule { .. }
                | Statement::Boltzmann { .. }
                | Statement::Param(_) => {}
                Statement::Include(id) if frame.in_module => self.not_in_module(id.span, "`include`"),
                Statement::Simulate { span, .. } if frame.in_module => {
                    self.not_in_module(*span, "a `simulate` block")
                }
                Statement::Compartment { span, .. } if frame.in_module => {
                    self.not_in_module(*span, "a `compartment`")
                }
                Statement::Schedule { span, .. } if frame.in_module => {
                    self.not_in_module(*span, "a scheduled assignment (`at`)")
                }
                Statement::Output { span, .. } if frame.in_module => self.not_in_module(*span, "`output`"),
                Statement::Train { span, .. } if frame.in_module => {
                    self.not_in_module(*span, "a `train` block")
                }
                Statement::Include(_)
                | Statement::Simulate { .. }
                | Statement::Compartment { .. }
                | Statement::Schedule { .. }
                | Statement::Output { .. }
                | Statement::Train { .. } => {}
            }
        }
    }

    /// A statement inside a loop: reactions, nested loops and instantiations.
    fn expand_nested(
        &mut self,
        b: &mut Builder,
        frame: &mut Frame,
        statement: &'w Statement,
        out: &mut Vec<ir::Reaction>,
    ) {
        match statement {
            Statement::Reaction(r) => self.expand_reaction(b, frame, r, out),
            Statement::For { var, start, end, body, span } => {
                let Some(range) = self.loop_range(frame, start, end) else { return };
                self.unroll(range, &var.name, *span, |this| {
                    for s in body {
                        this.expand_nested(b, frame, s, out);
                    }
                });
            }
            Statement::Assign { targets, value, span } => match self.module_called(frame, value) {
                Some(module) => out
                    .extend(self.instantiate(b, frame, module, targets, value, *span).into_iter().flatten()),
                None if self.unknown_instance(b, frame, targets, value) => {}
                None => self.diags.push(
                    Diagnostic::error("E0210", "only reactions, loops and module instances may be in a loop")
                        .with_primary(*span, "a setting inside a loop")
                        .with_hint("move settings out of the loop"),
                ),
            },
            Statement::Species(d) | Statement::Signed(d) | Statement::Model { decl: d, .. } => {
                self.diags.push(
                    Diagnostic::error("E0210", "species cannot be declared inside a loop")
                        .with_primary(d.span, "declared in a loop")
                        .with_hint(
                            "declare an array outside the loop, `species x[n];`, and use `x[i]` inside it",
                        ),
                )
            }
            Statement::Param(p) => self.diags.push(
                Diagnostic::error("E0210", "parameters cannot be defined inside a loop")
                    .with_primary(p.span, "defined in a loop")
                    .with_hint("use an expression of the loop variable where the value is needed"),
            ),
            Statement::Energy { span, .. } => self.diags.push(
                Diagnostic::error("E0210", "energies cannot be set inside a loop")
                    .with_primary(*span, "set in a loop")
                    .with_hint("set each species' energy outside the loop: `energy x[0] = -1, x[1] = -2;`"),
            ),
            Statement::Potential { decl: ast::SpeciesDecl { span, .. }, .. }
            | Statement::LearnRule { span, .. }
            | Statement::Boltzmann { span, .. } => self.diags.push(
                Diagnostic::error(
                    "E0210",
                    "potentials, learning rules and Boltzmann machines cannot be inside a loop",
                )
                .with_primary(*span, "in a loop")
                .with_hint("write one statement per potential or rule, outside the loop"),
            ),
            Statement::Include(id) => self.not_in_module(id.span, "`include` inside a loop"),
            Statement::Ode { span, .. } => self.not_in_module(*span, "an `ode` block inside a loop"),
            Statement::Simulate { span, .. } => self.not_in_module(*span, "a `simulate` block inside a loop"),
            Statement::Compartment { span, .. } => self.not_in_module(*span, "a `compartment` inside a loop"),
            Statement::Schedule { span, .. } => {
                self.not_in_module(*span, "a scheduled assignment (`at`) inside a loop")
            }
            Statement::Output { span, .. } => self.not_in_module(*span, "`output` inside a loop"),
            Statement::Train { span, .. } => self.not_in_module(*span, "a `train` block inside a loop"),
        }
    }

    /// Runs `body` once per value of a loop variable, each iteration charged
    /// to the budget (work even when it produces nothing); an error stops the
    /// loop, since later iterations would repeat it with other numbers.
    pub(super) fn unroll(
        &mut self,
        range: std::ops::Range<i64>,
        var: &str,
        span: Span,
        mut body: impl FnMut(&mut Self),
    ) {
        let errors_before = self.diags.len();
        for i in range {
            if !self.charge(Work::Iteration, 1, span) {
                break;
            }
            self.numbers_mut().push((var.to_string(), i as f64));
            body(self);
            self.numbers_mut().pop();
            if self.diags[errors_before..].iter().any(Diagnostic::is_error) {
                break;
            }
        }
        self.dedupe_since(errors_before);
    }

    fn expand_reaction(
        &mut self,
        b: &mut Builder,
        frame: &Frame,
        r: &ast::Reaction,
        out: &mut Vec<ir::Reaction>,
    ) {
        let reaction = self.reaction(b, frame, r);
        if self.charge(Work::Reaction, 1, r.span) {
            out.extend(reaction);
        }
    }

    pub(super) fn numbers_mut(&mut self) -> &mut Vec<(String, f64)> {
        self.numbers.last_mut().expect("every body being expanded has its list of numbers")
    }

    fn not_in_module(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::error("E0211", format!("{what} is not allowed here"))
                .with_primary(span, "only in the body of a network")
                .with_hint("modules and loops hold species, parameters, reactions, loops and instances"),
        );
    }

    /// `start..end` as whole numbers, `end` excluded.
    pub(super) fn loop_range(
        &mut self,
        frame: &Frame,
        start: &Expr,
        end: &Expr,
    ) -> Option<std::ops::Range<i64>> {
        let (a, z) = (
            self.whole_number(frame, start, "a loop bound")?,
            self.whole_number(frame, end, "a loop bound")?,
        );
        // The budget bounds the iterations, charged one by one; an empty range is not an error.
        Some(a..z)
    }

    /// A compile-time expression that must be a whole number.
    pub(super) fn whole_number(&mut self, frame: &Frame, expr: &Expr, what: &str) -> Option<i64> {
        let v = self.eval(expr, frame.env)?;
        if v.fract() != 0.0 || !v.is_finite() || v.abs() > 9.0e15 {
            self.diags.push(
                Diagnostic::error("E0210", format!("{what} must be a whole number"))
                    .with_primary(expr.span(), format!("this evaluates to {}", number(v)))
                    .with_hint("use whole numbers for sizes, indices and loop bounds"),
            );
            return None;
        }
        Some(v as i64)
    }

    /// Declares the species of one declaration under the frame's prefix.
    pub(super) fn declare_species(&mut self, b: &mut Builder, frame: &mut Frame, decl: &ast::SpeciesDecl) {
        let compartment = match &decl.compartment {
            None => None,
            Some(c) if b.compartments.contains_key(&c.name) => Some(c.name.clone()),
            Some(c) => {
                // Declared anyway (the network has failed), so its uses are not reported again.
                self.diags.push(unknown_compartment(c, b));
                None
            }
        };
        for entry in &decl.entries {
            if frame.in_module && frame.species.contains_key(&entry.name.name) {
                if let Some(c) = &decl.compartment {
                    // The caller's species is already placed; moving it here would be a second placement.
                    self.diags.push(
                        Diagnostic::error(
                            "E0211",
                            format!("port `{}` cannot be placed in a compartment", entry.name.name),
                        )
                        .with_primary(c.span, "the caller's species keeps its own compartment")
                        .with_hint(
                            "declare the species `in` the compartment where the module is instantiated",
                        ),
                    );
                    continue;
                }
                self.initialise_port(b, frame, decl, entry);
                continue;
            }
            let Some(size) = self.entry_size(frame, entry) else { continue };
            let initials = self.initial_values(frame, entry, size.unwrap_or(1), false);
            let names = self.bind_entry(frame, entry, size);
            let origin =
                if frame.prefix.is_empty() { SpeciesOrigin::Declared } else { SpeciesOrigin::Generated };
            for (name, initial) in names.iter().zip(initials) {
                let species = ir::Species {
                    name: name.clone(),
                    initial,
                    quantity: decl.quantity,
                    signed: false,
                    span: entry.name.span,
                    role: crate::crn::Role::Plain,
                    rail: None,
                    group: None,
                    compartment: compartment.clone(),
                };
                b.declare(self, name, species, origin);
            }
        }
    }

    /// The size of a declared entry: `Some(None)` for a scalar, `Some(Some(n))`
    /// for an array (charged to the budget before its names are made);
    /// `None` after an error.
    pub(super) fn entry_size(&mut self, frame: &Frame, entry: &ast::SpeciesEntry) -> Option<Option<usize>> {
        let Some(expr) = &entry.size else {
            return self.charge(Work::Species, 1, entry.name.span).then_some(None);
        };
        match self.whole_number(frame, expr, "an array size")? {
            n if n >= 1 => self.charge(Work::Species, n as usize, expr.span()).then_some(Some(n as usize)),
            n => {
                self.diags.push(
                    Diagnostic::error("E0210", format!("an array of {n} species"))
                        .with_primary(expr.span(), "an array has at least one element")
                        .with_hint("give the array at least one element"),
                );
                None
            }
        }
    }

    /// The flat names of a declared entry (`x`, or `x[0]`, `x[1]`, ...),
    /// bound to its name in the frame.
    pub(super) fn bind_entry(
        &mut self,
        frame: &mut Frame,
        entry: &ast::SpeciesEntry,
        size: Option<usize>,
    ) -> Vec<String> {
        let flat = format!("{}{}", frame.prefix, entry.name.name);
        let (names, binding) = match size {
            None => (vec![flat.clone()], Binding::Scalar(flat)),
            Some(n) => {
                let names: Vec<String> = (0..n).map(|i| format!("{flat}[{i}]")).collect();
                (names.clone(), Binding::Array(names))
            }
        };
        frame.species.insert(entry.name.name.clone(), binding);
        names
    }

    /// `species y = v;` in a module, for one of its ports: the initial value
    /// of the species bound to it, unless the caller declared that species
    /// (the caller's declaration wins, as a network's does over an include).
    fn initialise_port(
        &mut self,
        b: &mut Builder,
        frame: &Frame,
        decl: &ast::SpeciesDecl,
        entry: &ast::SpeciesEntry,
    ) {
        let names = match &frame.species[&entry.name.name] {
            Binding::Scalar(name) => vec![name.clone()],
            Binding::Array(names) => names.clone(),
        };
        if entry.size.is_some() != matches!(frame.species[&entry.name.name], Binding::Array(_)) {
            self.diags.push(
                Diagnostic::error(
                    "E0211",
                    format!("`{}` is declared with another shape than its port", entry.name.name),
                )
                .with_primary(entry.name.span, "the shape differs from the port's")
                .with_hint("declare a port's initial value with the port's own shape"),
            );
            return;
        }
        let values = self.initial_values(frame, entry, names.len(), false);
        for (name, value) in names.iter().zip(values) {
            if let Some((species, origin)) = b.species.get_mut(name)
                && matches!(origin, SpeciesOrigin::Output | SpeciesOrigin::Generated)
            {
                species.initial = value;
                species.quantity = decl.quantity;
            }
        }
    }

    /// The initial value of each of `n` elements (0 when not given; after an
    /// error, 0 so that checking goes on); negative ones only if `signed`.
    pub(super) fn initial_values(
        &mut self,
        frame: &Frame,
        entry: &ast::SpeciesEntry,
        n: usize,
        signed: bool,
    ) -> Vec<f64> {
        let name = &entry.name.name;
        let value = |this: &mut Self, expr: &Expr| {
            let v = match signed {
                true => this.finite_value(name, expr, frame),
                false => this.initial_value(name, expr, frame.env),
            };
            v.unwrap_or(0.0)
        };
        match &entry.initial {
            None => vec![0.0; n],
            Some(Initial::Draw(draw)) => {
                self.diags.push(super::learning::draw_outside_learn(draw.span()));
                vec![0.0; n]
            }
            Some(Initial::Value(expr)) => vec![value(self, expr); n],
            Some(Initial::List(values, span)) => {
                if values.len() != n {
                    self.diags.push(
                        Diagnostic::error(
                            "E0210",
                            format!("{} initial values for {n} species", values.len()),
                        )
                        .with_primary(*span, format!("expected {n} values"))
                        .with_hint("give one value per element, or one value for all: `= 0.5`"),
                    );
                    return vec![0.0; n];
                }
                values.iter().map(|v| value(self, v)).collect()
            }
            Some(Initial::Each { value: each, var }) => (0..n)
                .map(|i| {
                    self.numbers_mut().push((var.name.clone(), i as f64));
                    let v = value(self, each);
                    self.numbers_mut().pop();
                    v
                })
                .collect(),
        }
    }

    /// The flat name of a species reference that must be one species.
    pub(super) fn species_ref(&mut self, b: &Builder, frame: &Frame, r: &SpeciesRef) -> Option<String> {
        self.one_species(b, frame, r, false)
    }

    /// The flat name of a reference to one species or, with `signed`, one
    /// signed value.
    pub(super) fn one_species(
        &mut self,
        b: &Builder,
        frame: &Frame,
        r: &SpeciesRef,
        signed: bool,
    ) -> Option<String> {
        let index = self.one_index(r)?;
        let is_signed = |name: &str| {
            frame.signed.contains_key(name) || b.species.get(name).is_some_and(|(s, _)| s.signed)
        };
        match self.binding(b, frame, &r.name, index, r.span)? {
            Binding::Scalar(name) if !signed && is_signed(&name) => {
                self.diags.push(
                    Diagnostic::error(
                        "E0220",
                        format!("`{}` is a signed value, held in two rails", r.name.name),
                    )
                    .with_primary(r.span, "not one species")
                    .with_hint(format!(
                        "reactions name its rails `{0}_p` and `{0}_m`; the value is {0}_p - {0}_m",
                        r.name.name
                    )),
                );
                None
            }
            Binding::Scalar(name) => Some(name),
            Binding::Array(elements) => {
                self.diags.push(
                    Diagnostic::error(
                        "E0210",
                        format!("`{}` is an array of {} species", r.name.name, elements.len()),
                    )
                    .with_primary(r.span, "one species is needed here")
                    .with_hint(format!("pick an element: `{}[i]`", r.name.name)),
                );
                None
            }
        }
    }

    /// The index of a reference (`None` for none); two or more are an error.
    fn one_index<'r>(&mut self, r: &'r SpeciesRef) -> Option<Option<&'r Expr>> {
        match r.indices.as_slice() {
            [] => Some(None),
            [i] => Some(Some(i)),
            [_, second, ..] => {
                self.diags.push(
                    Diagnostic::error("E0210", format!("`{}` takes one index", r.name.name))
                        .with_primary(second.span(), "a second index")
                        .with_hint("arrays have one dimension; for a table, use `x[i * n + j]`"),
                );
                None
            }
        }
    }

    /// What `name` or `name[index]` refers to in the frame.
    pub(super) fn binding(
        &mut self,
        b: &Builder,
        frame: &Frame,
        name: &ast::Ident,
        index: Option<&Expr>,
        span: Span,
    ) -> Option<Binding> {
        // Names the frame does not bind may still be flat names: an included
        // species, or a path into an instance (`dot1.y`).
        let fallback;
        let bound: &Binding = match frame.species.get(&name.name) {
            Some(bound) => bound,
            None => match self.flat_element(b, frame, name, index)? {
                // One element, found without listing the whole array.
                Some(element) => return Some(element),
                None => match flat_binding(b, &format!("{}{}", frame.prefix, name.name)) {
                    Some(found) => {
                        fallback = found;
                        &fallback
                    }
                    None => {
                        self.undefined_species(b, frame, name);
                        return None;
                    }
                },
            },
        };
        let Some(index) = index else {
            if let Binding::Array(elements) = bound
                && !self.charge(Work::PortElement, elements.len(), span)
            {
                return None;
            }
            return Some(bound.clone());
        };
        let i = self.whole_number(frame, index, "an index")?;
        match bound {
            Binding::Array(elements) => match usize::try_from(i).ok().and_then(|i| elements.get(i)) {
                Some(e) => Some(Binding::Scalar(e.clone())),
                None => {
                    self.diags.push(
                        Diagnostic::error("E0210", format!("index {i} is out of range for `{}`", name.name))
                            .with_primary(
                                span,
                                format!("`{}` has elements 0 to {}", name.name, elements.len() - 1),
                            )
                            .with_hint("check the index expression and the loop bounds"),
                    );
                    None
                }
            },
            Binding::Scalar(_) => {
                self.diags.push(
                    Diagnostic::error("E0210", format!("`{}` is one species, not an array", name.name))
                        .with_primary(span, "indexed here")
                        .with_hint(format!("declare an array to index it: `species {}[n];`", name.name)),
                );
                None
            }
        }
    }

    /// `name[index]` as a flat name of the network (an included array, or a
    /// path into an instance): `Some(None)` when there is no such element or
    /// no index, `None` after an error in the index.
    fn flat_element(
        &mut self,
        b: &Builder,
        frame: &Frame,
        name: &ast::Ident,
        index: Option<&Expr>,
    ) -> Option<Option<Binding>> {
        let Some(index) = index else { return Some(None) };
        let i = self.whole_number(frame, index, "an index")?;
        let element = format!("{}{}[{i}]", frame.prefix, name.name);
        Some(b.species.contains_key(&element).then_some(Binding::Scalar(element)))
    }

    fn undefined_species(&mut self, b: &Builder, frame: &Frame, id: &ast::Ident) {
        // A failed include, import or declaration was already reported; what
        // it would have declared is not "undefined" a second time. Nor is
        // what an exceeded budget left unexpanded.
        if b.incomplete || self.budget.exceeded || self.incomplete_files.contains(&id.span.file) {
            return;
        }
        let names: Vec<&str> =
            frame.species.keys().map(String::as_str).chain(b.species.keys().map(String::as_str)).collect();
        let hint = did_you_mean(&id.name, names.iter().copied())
            .unwrap_or_else(|| format!("declare it: `species {};`", id.name));
        let place =
            if frame.in_module { "not declared in this module" } else { "not declared in this network" };
        self.diags.push(
            Diagnostic::error("E0200", format!("undefined species `{}`", id.name))
                .with_primary(id.span, place)
                .with_hint(hint),
        );
    }

    /// The module `value` instantiates, if it is a call of one.
    fn module_called(&self, frame: &Frame, value: &Expr) -> Option<ModRef> {
        let Expr::Call { function, .. } = value else { return None };
        match self.scopes[&frame.env.file()].get(&function.name) {
            Some(&Def::Module(m, _)) => Some(m),
            _ => None,
        }
    }

    /// Expands one instance of `module`; its reactions, or `None` after errors.
    fn instantiate(
        &mut self,
        b: &mut Builder,
        caller: &mut Frame,
        module: ModRef,
        targets: &[SpeciesRef],
        call: &Expr,
        span: Span,
    ) -> Option<Vec<ir::Reaction>> {
        let Expr::Call { function, params, args, .. } = call else { return None };
        let ast = self.module_ast(module);
        if !self.charge(Work::Instance, 1, span) {
            return None;
        }
        if self.instantiating.len() >= MAX_NESTING && !self.instantiating.contains(&module) {
            self.diags.push(
                Diagnostic::error("E0231", format!("module instances nest deeper than {MAX_NESTING} levels"))
                    .with_primary(function.span, format!("this instance would be level {}", MAX_NESTING + 1))
                    .with_secondary(ast.name.span, "the module")
                    .with_note(format!("instances may nest at most {MAX_NESTING} levels deep (docs/limits.md)"))
                    .with_hint("flatten the hierarchy: instantiate some modules side by side instead of inside each other"),
            );
            return None;
        }
        if self.instantiating.contains(&module) {
            self.diags.push(
                Diagnostic::error("E0203", format!("module `{}` instantiates itself", ast.name.name))
                    .with_primary(function.span, "this instance closes a cycle")
                    .with_secondary(ast.name.span, "the module")
                    .with_hint("a module cannot contain an instance of itself, directly or through others"),
            );
            return None;
        }
        let numbers = self.module_numbers(caller, ast, params, span)?;
        let inst = b.instance_name(&caller.prefix, &ast.name.name);
        let mut frame = Frame {
            prefix: format!("{inst}."),
            species: HashMap::default(),
            env: Env::File(module.file),
            in_module: true,
            signed: IndexMap::default(),
            model: Default::default(),
        };
        self.numbers.push(numbers);
        self.instantiating.push(module);
        let errors_before = self.diags.len();
        let equations_before = b.ode.equations.len();
        let ports = self.bind_ports(b, caller, &mut frame, ast, args, targets, span);
        let mut groups = vec![Vec::new(); ast.statements.len()];
        if ports.is_some() {
            self.module_params(&frame, ast);
            self.expand_body(b, &mut frame, &ast.statements, &mut groups);
        }
        self.instantiating.pop();
        self.numbers.pop();
        self.point_at_call(errors_before, &inst, &ast.name.name, span);
        ports?;
        let mut reactions: Vec<ir::Reaction> = groups.into_iter().flatten().collect();
        for r in &mut reactions {
            r.brought_in_at.insert(0, span);
        }
        for eq in &mut b.ode.equations[equations_before..] {
            eq.brought_in_at.insert(0, span);
        }
        Some(reactions)
    }

    /// The module's compile-time parameters: arguments in order, then defaults.
    fn module_numbers(
        &mut self,
        caller: &Frame,
        ast: &ast::Module,
        params: &[Expr],
        span: Span,
    ) -> Option<Vec<(String, f64)>> {
        if params.len() > ast.params.len() {
            self.diags.push(arity(ast, "parameters", ast.params.len(), params.len(), span));
            return None;
        }
        let given: Vec<Option<f64>> = params.iter().map(|p| self.eval(p, caller.env)).collect();
        let mut numbers: Vec<(String, f64)> = Vec::new();
        for (i, (name, default)) in ast.params.iter().enumerate() {
            let value = match (given.get(i), default) {
                (Some(v), _) => (*v)?,
                (None, Some(expr)) => {
                    // Defaults may use the parameters before them.
                    self.numbers.push(numbers.clone());
                    let v = self.eval(expr, Env::File(name.span.file));
                    self.numbers.pop();
                    v?
                }
                (None, None) => {
                    self.diags.push(arity(ast, "parameters", ast.params.len(), params.len(), span));
                    return None;
                }
            };
            numbers.push((name.name.clone(), value));
        }
        Some(numbers)
    }

    /// Binds the module's inputs to the caller's species and its outputs to
    /// the targets, declaring targets the caller does not have yet.
    #[allow(clippy::too_many_arguments)]
    fn bind_ports(
        &mut self,
        b: &mut Builder,
        caller: &mut Frame,
        frame: &mut Frame,
        ast: &ast::Module,
        args: &[Expr],
        targets: &[SpeciesRef],
        span: Span,
    ) -> Option<()> {
        if args.len() != ast.inputs.len() {
            self.diags.push(arity(ast, "input species", ast.inputs.len(), args.len(), span));
            return None;
        }
        if targets.len() != ast.outputs.len() {
            self.diags.push(arity(ast, "outputs", ast.outputs.len(), targets.len(), span));
            return None;
        }
        let mut ok = true;
        for (port, arg) in ast.inputs.iter().zip(args) {
            let binding = match arg {
                Expr::Name(id) => self.in_caller(|this| this.binding(b, caller, id, None, id.span)),
                Expr::Index { name, indices, span } if indices.len() == 1 => {
                    self.in_caller(|this| this.binding(b, caller, name, indices.first(), *span))
                }
                other => {
                    self.diags.push(
                        Diagnostic::error("E0211", "a module input must be a species")
                            .with_primary(other.span(), "not a species name")
                            .with_hint("pass a species, an array, or an element `x[i]`"),
                    );
                    None
                }
            };
            ok &= binding.and_then(|bd| self.fit_port(frame, port, bd, arg.span())).is_some();
        }
        for (port, target) in ast.outputs.iter().zip(targets) {
            let size = self.port_size(frame, port);
            let binding = self.in_caller(|this| this.output_binding(b, caller, target, size));
            ok &= binding.and_then(|bd| self.fit_port(frame, port, bd, target.span)).is_some();
        }
        ok.then_some(())
    }

    /// Runs `f` with the caller's compile-time numbers on top: an instance's
    /// arguments and targets (`m(x[i])` in a loop) are the caller's expressions.
    fn in_caller<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let instance = self.numbers.pop().expect("the instance's numbers are on top");
        let out = f(self);
        self.numbers.push(instance);
        out
    }

    fn port_size(&mut self, frame: &Frame, port: &ast::Port) -> Option<Option<usize>> {
        match &port.size {
            None => Some(None),
            Some(expr) => Some(Some(usize::try_from(self.whole_number(frame, expr, "a port size")?).ok()?)),
        }
    }

    /// Checks a binding against a port's shape and binds the port's name.
    fn fit_port(&mut self, frame: &mut Frame, port: &ast::Port, binding: Binding, at: Span) -> Option<()> {
        let size = self.port_size(frame, port)?;
        let fits = match (&binding, size) {
            (Binding::Scalar(_), None) => true,
            (Binding::Array(v), Some(n)) => v.len() == n,
            _ => false,
        };
        if !fits {
            let shape = |b: &Binding| match b {
                Binding::Scalar(_) => "one species".to_string(),
                Binding::Array(v) => format!("an array of {}", v.len()),
            };
            let wanted = size.map_or("one species".to_string(), |n| format!("an array of {n}"));
            self.diags.push(
                Diagnostic::error(
                    "E0211",
                    format!("`{}` takes {wanted}, not {}", port.name.name, shape(&binding)),
                )
                .with_primary(at, format!("{} given here", shape(&binding)))
                .with_secondary(port.name.span, "the module's port")
                .with_hint("pass a species of the shape the module declares"),
            );
            return None;
        }
        frame.species.insert(port.name.name.clone(), binding);
        Some(())
    }

    /// A target of an instance: a species the caller has, or a new one.
    fn output_binding(
        &mut self,
        b: &mut Builder,
        caller: &mut Frame,
        target: &SpeciesRef,
        size: Option<Option<usize>>,
    ) -> Option<Binding> {
        let flat = format!("{}{}", caller.prefix, target.name.name);
        let known = caller.species.contains_key(&target.name.name)
            || b.species.contains_key(&flat)
            || b.species.contains_key(&format!("{flat}[0]"));
        if known || !target.indices.is_empty() {
            let index = self.one_index(target)?;
            return self.binding(b, caller, &target.name, index, target.span);
        }
        let size = size?;
        if !self.charge(Work::Species, size.unwrap_or(1), target.span) {
            return None;
        }
        let names: Vec<String> = match size {
            None => vec![flat.clone()],
            Some(n) => (0..n).map(|i| format!("{flat}[{i}]")).collect(),
        };
        let origin = if caller.prefix.is_empty() { SpeciesOrigin::Output } else { SpeciesOrigin::Generated };
        for name in &names {
            let species = ir::Species {
                name: name.clone(),
                initial: 0.0,
                quantity: ast::Quantity::Concentration,
                signed: false,
                span: target.span,
                role: crate::crn::Role::Plain,
                rail: None,
                group: None,
                compartment: None,
            };
            b.declare(self, name, species, origin);
        }
        let binding = if size.is_some() { Binding::Array(names) } else { Binding::Scalar(flat) };
        caller.species.insert(target.name.name.clone(), binding.clone());
        Some(binding)
    }

    /// A module's own `param` statements, evaluated in order for this instance.
    fn module_params(&mut self, frame: &Frame, ast: &ast::Module) {
        for statement in &ast.statements {
            let Statement::Param(p) = statement else { continue };
            for (id, expr) in &p.entries {
                if let Some(v) = self.eval(expr, frame.env) {
                    self.numbers_mut().push((id.name.clone(), v));
                }
            }
        }
    }

    /// Errors found inside an instance also point at the call that made it;
    /// the same error in several instances is reported once.
    fn point_at_call(&mut self, from: usize, inst: &str, module: &str, call: Span) {
        self.dedupe_since(from);
        for d in &mut self.diags[from..] {
            if !d.labels.iter().any(|l| l.span == call) {
                let label = format!("in `{inst}`, an instance of `{module}` made here");
                *d = std::mem::replace(d, Diagnostic::error("", "")).with_secondary(call, label);
            }
        }
    }

    /// Drops diagnostics after `from` that repeat an earlier one (same code,
    /// message and place): a loop or a module repeats its statements.
    fn dedupe_since(&mut self, from: usize) {
        if from == self.diags.len() {
            return;
        }
        let new: Vec<Diagnostic> = self.diags.drain(from..).collect();
        // A set of keys, not a scan per diagnostic: instances and loops may repeat many.
        let mut seen: HashSet<(&str, String, Option<Span>)> =
            self.diags.iter().map(|e| (e.code, e.message.clone(), e.primary_span())).collect();
        for d in new {
            if seen.insert((d.code, d.message.clone(), d.primary_span())) {
                self.diags.push(d);
            }
        }
    }
}

/// A flat name of the network as a binding: one species, or the elements
/// `name[0]`, `name[1]`, ... of an array.
fn flat_binding(b: &Builder, flat: &str) -> Option<Binding> {
    // The rails of a signed value exist once the `ode` pass has run, which
    // then gives the value both, whatever its sign.
    let value = flat.strip_suffix("_p").or_else(|| flat.strip_suffix("_m"));
    let rail = value.and_then(|v| b.species.get(v)).is_some_and(|(s, _)| s.signed);
    if b.species.contains_key(flat) || rail {
        return Some(Binding::Scalar(flat.to_string()));
    }
    let elements: Vec<String> =
        (0..).map(|i| format!("{flat}[{i}]")).take_while(|e| b.species.contains_key(e)).collect();
    (!elements.is_empty()).then_some(Binding::Array(elements))
}

/// E0211 for a call with the wrong number of parameters, inputs or outputs.
fn arity(ast: &ast::Module, what: &str, wanted: usize, given: usize, call: Span) -> Diagnostic {
    let signature = module_signature(ast);
    Diagnostic::error("E0211", format!("module `{}` takes {wanted} {what}, not {given}", ast.name.name))
        .with_primary(call, "this instance")
        .with_secondary(ast.name.span, "the module")
        .with_hint(format!("instantiate it as `{signature}`"))
}

fn module_signature(ast: &ast::Module) -> String {
    let port =
        |p: &ast::Port| if p.size.is_some() { format!("{}[..]", p.name.name) } else { p.name.name.clone() };
    let outputs: Vec<String> = ast.outputs.iter().map(port).collect();
    let inputs: Vec<String> = ast.inputs.iter().map(port).collect();
    let params: Vec<&str> = ast.params.iter().map(|(p, _)| p.name.as_str()).collect();
    let params = if params.is_empty() { String::new() } else { format!("[{}]", params.join(", ")) };
    let lhs = if outputs.is_empty() { String::new() } else { format!("{} = ", outputs.join(", ")) };
    format!("{lhs}{}{params}({});", ast.name.name, inputs.join(", "))
}

/// `species in c ...` naming no compartment of the network.
fn unknown_compartment(c: &ast::Ident, b: &Builder) -> Diagnostic {
    let hint = did_you_mean(&c.name, b.compartments.keys().map(String::as_str))
        .unwrap_or_else(|| format!("declare it in the network first: `compartment {} = SIZE;`", c.name));
    Diagnostic::error("E0200", format!("no compartment named `{}`", c.name))
        .with_primary(c.span, "not a compartment of this network")
        .with_hint(hint)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::driver;
    use crate::source::MemoryFs;

    #[test]
    fn an_instance_in_a_loop_binds_elements_chosen_by_the_loop_variable() {
        // The loop variable was looked up among the module's parameters: "undefined name `i`".
        let src = "module m(a) -> b { a -> b; }
                   network L { species x[3] = 1, y[3]; for i in 0..3 { y[i] = m(x[i]); } }";
        let front = driver::front_end(&MemoryFs::new().with("l.crnl", src), Path::new("l.crnl"));
        assert!(!front.has_errors(), "{:?}", front.diagnostics);
        let reactions = &front.program.networks[0].reactions;
        assert_eq!(reactions.len(), 3);
        assert_eq!(reactions[2].reactants, [("x[2]".to_string(), 1)]);
        assert_eq!(reactions[2].products, [("y[2]".to_string(), 1)]);
    }
}
