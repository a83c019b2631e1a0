//! Checking one network: settings, species, includes, reactions.

use std::sync::Arc;

use crate::hash::{HashMap, HashSet};

use crate::backend::number;
use crate::crn::Role;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::hash::IndexMap;
use crate::ir::{self, MAX_COEFFICIENT, RateLaw};
use crate::source::Span;
use crate::syntax::ast::{self, Complex, Direction, Expr, Statement};

use super::elaborate::Frame;
use super::eval::{Env, not_finite};
use super::scope::{Def, NetRef, ParamRef, duplicate, unknown_module};
use super::{Checker, unused_param};

const SETTINGS: &[&str] = &["rate_law", "volume", "annihilation", "separation", "balance"];

/// Where a species of the network came from.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum SpeciesOrigin {
    /// Declared by the network itself.
    Declared,
    Included(Span),
    /// Declared by binding a module instance's output.
    Output,
    /// Declared inside a module instance (`dot1.h`).
    Generated,
}

/// The settings of a network (`rate_law = combinatoric;`, ...).
struct Settings {
    rate_law: RateLaw,
    volume: f64,
    annihilation: f64,
    separation: Option<f64>,
    /// Where `balance = detailed;` asks for the cycle condition.
    detailed_balance: Option<Span>,
}

fn side_text(side: &[(String, u32)]) -> String {
    if side.is_empty() {
        return "0".to_string();
    }
    let terms: Vec<String> =
        side.iter().map(|(s, n)| if *n == 1 { s.clone() } else { format!("{n} {s}") }).collect();
    terms.join(" + ")
}

/// A reaction's rate constants as written: both given, or one kinetic
/// prefactor k for a reversible reaction, whose directions then follow the
/// species' energies ([`balanced`]).
pub(super) enum Rates {
    Given(ir::Rate, Option<ir::Rate>),
    Balanced(ir::Rate),
}

/// k± = k·e^(∓ΔE/2) with ΔE the products' energy less the reactants', so that
/// k₊/k₋ = e^(−ΔE) (domain.md §3.1) and the network is detailed balanced at
/// the energies. The prefactor is in the plain convention: under
/// `rate_law = combinatoric`, whose constants carry 1/∏α!, each direction's
/// written constant is multiplied by the factorials of the side it consumes.
/// Either constant past the float range (a complex of hundreds of molecules
/// under the combinatoric convention, whose factorials overflow, or energies
/// hundreds of k_B·T apart) is an error at `span`.
pub(super) fn balanced(
    b: &Builder,
    reactants: &[(String, u32)],
    products: &[(String, u32)],
    k: ir::Rate,
    span: Span,
) -> Result<(ir::Rate, ir::Rate), Diagnostic> {
    let energy = |side: &[(String, u32)]| -> f64 {
        side.iter().map(|(s, n)| f64::from(*n) * b.energies.get(s).map_or(0.0, |e| e.0)).sum()
    };
    let factorials = |side: &[(String, u32)]| b.rate_law.divisor(side.iter().map(|&(_, n)| n));
    let delta = energy(products) - energy(reactants);
    let direction = |sign: f64, side: &[(String, u32)]| {
        let scale = (sign * delta / 2.0).exp() * factorials(side);
        // A prefactor written as a parameter's name keeps it where nothing scales it.
        let param = if scale == 1.0 { k.param.clone() } else { None };
        ir::Rate { value: k.value * scale, param }
    };
    let (forward, reverse) = (direction(-1.0, reactants), direction(1.0, products));
    match [forward.value, reverse.value].into_iter().find(|v| !v.is_finite()) {
        None => Ok((forward, reverse)),
        Some(value) => Err(Diagnostic::error("E0302", "a rate constant balanced by the energies is not a finite number")
            .with_primary(span, format!("balancing this reaction gives {}", number(value)))
            .with_hint("give both rate constants, `@ forward, reverse`, or bring the energies or the complexes' sizes down")),
    }
}

/// Progress of checking one network.
pub(super) enum NetState {
    /// Being checked: it is on `Checker::including`, and meeting it again
    /// means an include cycle.
    InProgress,
    Failed,
    Done(Box<ir::Network>),
}

pub(super) struct Builder {
    /// An include failed, so species may be missing for reasons already reported.
    pub incomplete: bool,
    pub rate_law: RateLaw,
    volume: f64,
    /// The network's compartments and those of its includes, by name.
    pub compartments: IndexMap<String, ir::Compartment>,
    /// Rate of the annihilation of dual-rail values.
    pub annihilation: f64,
    pub species: IndexMap<String, (ir::Species, SpeciesOrigin)>,
    /// Species energies (`energy X = -3;`), with where each was set.
    pub energies: IndexMap<String, (f64, Span)>,
    /// `potential` statements, the network's and its includes'.
    pub potentials: Vec<ir::potentials::Potential>,
    /// `learn P: X ~ target;` rules, the network's and its includes'.
    pub learning_rules: Vec<ir::potentials::LearningRule>,
    /// The `boltzmann_machine` blocks checked so far, whose reactions come after their species.
    pub machines: Vec<super::boltzmann::Machine>,
    /// The `ode` equations of every body expanded so far.
    pub ode: ir::Ode,
    params: IndexMap<String, ir::Param>,
    /// Names of the module instances made so far (`dot1`, `outer.dot1`).
    instances: HashSet<String>,
    /// The next number to try for each `prefix + module`: a search from 1
    /// for every instance would be quadratic in a loop of instances.
    next_instance: HashMap<String, usize>,
}

impl Builder {
    /// Adds a species; declaring an included species sets its initial value here.
    pub fn declare(
        &mut self,
        checker: &mut Checker,
        name: &str,
        species: ir::Species,
        origin: SpeciesOrigin,
    ) {
        match self.species.get_mut(name) {
            None => {
                self.species.insert(name.to_string(), (species, origin));
            }
            // Declared again to set its initial value, an included potential stays one.
            Some(slot @ (_, SpeciesOrigin::Included(_))) => {
                let role = if species.role == Role::Plain { slot.0.role } else { species.role };
                *slot = (ir::Species { role, ..species }, origin)
            }
            Some((first, _)) => {
                let first = first.span;
                checker.diags.push(duplicate(name, species.span, first));
            }
        }
    }

    /// A fresh instance name: the module's name and the first free number.
    pub fn instance_name(&mut self, prefix: &str, module: &str) -> String {
        let base = format!("{prefix}{module}");
        let next = self.next_instance.entry(base.clone()).or_insert(1);
        let name = (*next..)
            .map(|i| format!("{base}{i}"))
            .find(|n| !self.instances.contains(n))
            .expect("some number is free");
        *next = name[base.len()..].parse::<usize>().expect("a number follows the base") + 1;
        self.instances.insert(name.clone());
        name
    }
}

impl Checker<'_> {
    pub(super) fn declares_species(&self, net: NetRef, name: &str) -> bool {
        self.network_ast(net).statements.iter().any(|s| match s {
            Statement::Species(d) | Statement::Signed(d) | Statement::Model { decl: d, .. } => {
                d.entries.iter().any(|e| e.name.name == name)
            }
            _ => false,
        })
    }

    /// Checks a network once; false if it has errors (already reported).
    pub(super) fn ensure_network(&mut self, net: NetRef) -> bool {
        if let Some(state) = self.networks.get(&net) {
            return matches!(state, NetState::Done(_));
        }
        self.networks.insert(net, NetState::InProgress);
        self.including.push(net);
        let errors_before = self.error_count();
        let ast = self.network_ast(net);
        let env = Env::Network(net);
        let Settings { rate_law, volume, annihilation, separation, detailed_balance } =
            self.settings(ast, env);
        let compartments = self.compartments(ast, env);
        let mut b = Builder {
            incomplete: false,
            rate_law,
            volume,
            compartments,
            annihilation,
            species: Default::default(),
            energies: IndexMap::default(),
            potentials: Vec::new(),
            learning_rules: Vec::new(),
            machines: Vec::new(),
            ode: ir::Ode::default(),
            params: IndexMap::default(),
            instances: HashSet::default(),
            next_instance: HashMap::default(),
        };

        // Includes first, so the network's own declarations may override
        // their initial values; reactions come out in statement order.
        let mut groups: Vec<Vec<ir::Reaction>> = vec![Vec::new(); ast.statements.len()];
        for (i, statement) in ast.statements.iter().enumerate() {
            if let Statement::Include(id) = statement {
                match self.include(&mut b, net, id) {
                    Some(reactions) => groups[i] = reactions,
                    None => b.incomplete = true,
                }
            }
        }
        let mut frame = Frame::network(env);
        self.numbers.push(Vec::new()); // the network's loop variables
        self.expand_body(&mut b, &mut frame, &ast.statements, &mut groups);
        let clean_so_far = self.error_count() == errors_before;
        let learning = self.learning(ast, &b, &mut frame, self.is_root(net.file), clean_so_far);
        let schedule = self.schedule(ast, &b, &frame);
        self.numbers.pop();
        // Sized first: a flattening collect would grow by doubling, to twice the room at worst.
        let mut reactions: Vec<ir::Reaction> = Vec::with_capacity(groups.iter().map(Vec::len).sum());
        reactions.extend(groups.into_iter().flatten());
        if let Some(at) = detailed_balance
            && self.error_count() == errors_before
        {
            self.check_detailed_balance(at, rate_law, &reactions);
        }
        self.compartment_names_unique(&b, net);

        // A signed value's rails exist only after the `ode` pass: `plot`
        // may name them (which of them exist is checked when plotting).
        let rails = |name: &str| -> Vec<String> {
            match b.species.get(name) {
                Some((s, _)) if s.signed => vec![format!("{name}_p"), format!("{name}_m")],
                Some(_) => vec![name.to_string()],
                None => Vec::new(),
            }
        };
        let is_rail = |name: &str| {
            let value = name.strip_suffix("_p").or_else(|| name.strip_suffix("_m"));
            value.and_then(|v| b.species.get(v)).is_some_and(|(s, _)| s.signed)
        };
        let mut simulate = self.simulate_spec(
            ast,
            env,
            |name| b.species.contains_key(name) || is_rail(name),
            || b.species.keys().flat_map(|n| rails(n)).collect(),
        );
        if simulate.visible.is_empty() {
            simulate.visible = b.machines.iter().flat_map(|m| m.visible_states()).collect();
        }
        // After an error some reactions are missing, so "unused" would be noise.
        let clean = self.error_count() == errors_before && !b.incomplete;
        if self.is_root(net.file) && clean {
            self.warn_unused_in_network(&b, &reactions, net);
        }
        let state = if clean {
            NetState::Done(Box::new(ir::Network {
                name: ast.name.name.clone(),
                span: ast.name.span,
                rate_law: b.rate_law,
                volume: b.volume,
                annihilation: b.annihilation,
                compartments: b.compartments,
                separation,
                species: b.species.into_iter().map(|(k, (s, _))| (k, s)).collect(),
                energies: b.energies.into_iter().map(|(k, (e, _))| (k, e)).collect(),
                potentials: b.potentials,
                learning_rules: b.learning_rules,
                params: b.params,
                reactions: Arc::new(reactions),
                ode: b.ode,
                learning,
                protocol: None,
                simulate,
                schedule,
                groups: vec![crate::crn::MAIN_GROUP.to_string()],
            }))
        } else {
            NetState::Failed
        };
        let ok = matches!(state, NetState::Done(_));
        self.networks.insert(net, state);
        self.including.pop();
        ok
    }

    /// The network's `compartment` statements. A bad size is reported and
    /// the compartment kept at size 1, so its species are not reported again.
    fn compartments(&mut self, ast: &ast::Network, env: Env) -> IndexMap<String, ir::Compartment> {
        let mut out: IndexMap<String, ir::Compartment> = IndexMap::default();
        for statement in &ast.statements {
            let Statement::Compartment { name, size, .. } = statement else { continue };
            if let Some(first) = out.get(&name.name) {
                self.diags.push(duplicate(&name.name, name.span, first.span));
                continue;
            }
            let what = format!("size of compartment `{}`", name.name);
            let size = self.positive_setting(&what, size, env).unwrap_or(1.0);
            out.insert(name.name.clone(), ir::Compartment { name: name.name.clone(), size, span: name.span });
        }
        out
    }

    /// A compartment's name is neither a species nor a parameter of the
    /// network, so that `in c` and a name in an expression never mean two things.
    fn compartment_names_unique(&mut self, b: &Builder, net: NetRef) {
        for c in b.compartments.values() {
            let param = self.locals[&net].get(&c.name).map(|&(_, span)| span).or_else(|| {
                match self.scopes[&net.file].get(&c.name) {
                    Some(&Def::Param(_, span)) => Some(span),
                    _ => None,
                }
            });
            if let Some(other) = b.species.get(&c.name).map(|(s, _)| s.span).or(param) {
                let (first, again) = if (other.file, other.start) < (c.span.file, c.span.start) {
                    (other, c.span)
                } else {
                    (c.span, other)
                };
                self.diags.push(duplicate(&c.name, again, first).with_note(
                    "compartments share one name space with the network's species and parameters",
                ));
            }
        }
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    fn settings(&mut self, ast: &ast::Network, env: Env) -> Settings {
        let mut seen: IndexMap<String, Span> = IndexMap::default();
        let (mut rate_law, mut volume, mut annihilation) =
            (RateLaw::MassAction, 1.0, ir::DEFAULT_ANNIHILATION);
        let (mut separation, mut detailed_balance) = (None, None);
        for statement in &ast.statements {
            let Statement::Assign { targets, value, span } = statement else { continue };
            if matches!(value, Expr::Call { .. }) && !is_setting(targets) {
                continue; // an instance (or a call of no module), with the body
            }
            let [ast::SpeciesRef { name, indices, .. }] = targets.as_slice() else {
                self.diags.push(
                    Diagnostic::error("E0211", "only a module instance can bind several species or none")
                        .with_primary(*span, "not a setting and not a module instance")
                        .with_hint("a setting is `name = value;`; an instance is `y = module(inputs);`"),
                );
                continue;
            };
            if !indices.is_empty() {
                self.diags.push(unknown_setting("network", name, SETTINGS));
                continue;
            }
            if let Some(&first) = seen.get(&name.name) {
                self.diags.push(duplicate(&name.name, name.span, first));
                continue;
            }
            seen.insert(name.name.clone(), name.span);
            match name.name.as_str() {
                "rate_law" => match value.as_name().and_then(|v| RateLaw::from_name(&v.name)) {
                    Some(law) => rate_law = law,
                    None => self.diags.push(
                        Diagnostic::error("E0205", "unknown rate law")
                            .with_primary(value.span(), "expected `mass_action` or `combinatoric`")
                            .with_hint(
                                "`mass_action` is v = k·∏x^α; `combinatoric` divides by ∏α! as Catalyst.jl does",
                            ),
                    ),
                },
                "volume" => volume = self.positive_setting("volume", value, env).unwrap_or(volume),
                "annihilation" => {
                    annihilation = self.positive_setting("annihilation", value, env).unwrap_or(annihilation)
                }
                "separation" => separation = self.positive_setting("separation", value, env),
                "balance" => match value.as_name().map(|v| v.name.as_str()) {
                    Some("detailed") => detailed_balance = Some(*span),
                    _ => self.diags.push(
                        Diagnostic::error("E0205", "unknown balance")
                            .with_primary(value.span(), "expected `detailed`")
                            .with_hint("`balance = detailed;` checks that the rates satisfy detailed balance (docs/language.md)"),
                    ),
                },
                _ => self.diags.push(unknown_setting("network", name, SETTINGS)),
            }
        }
        Settings { rate_law, volume, annihilation, separation, detailed_balance }
    }

    /// `balance = detailed` (set at `at`): every reaction reversible mass
    /// action, and the rates satisfying Wegscheider's cycle condition.
    fn check_detailed_balance(&mut self, at: Span, rate_law: RateLaw, reactions: &[ir::Reaction]) {
        let mut species: IndexMap<&str, ()> = IndexMap::default();
        let mut changes = Vec::new();
        let mut log_ratios = Vec::new();
        for r in reactions {
            let Some(reverse) = r.reverse.as_ref().filter(|_| r.law.is_none()) else {
                self.diags.push(
                    Diagnostic::error(
                        "E0252",
                        "a detailed-balanced network has only reversible mass-action reactions",
                    )
                    .with_primary(r.span, "this one runs one way")
                    .with_secondary(at, "the network is declared detailed balanced here")
                    .with_hint(
                        "write it `<->` with one prefactor, its rates then follow the species' energies",
                    ),
                );
                return;
            };
            let mut change: Vec<(usize, i64)> = Vec::new();
            for (name, n, sign) in
                r.reactants.iter().map(|(s, n)| (s, n, -1)).chain(r.products.iter().map(|(s, n)| (s, n, 1)))
            {
                let (index, _) = species.insert_full(name, ());
                change.push((index, sign * i64::from(*n)));
            }
            // The plain convention's constants: a combinatoric one carries 1/∏α!.
            let plain =
                |rate: f64, side: &[(String, u32)]| rate / rate_law.divisor(side.iter().map(|&(_, n)| n));
            changes.push(change);
            log_ratios.push((plain(r.forward.value, &r.reactants) / plain(reverse.value, &r.products)).ln());
        }
        let Some(cycle) = crate::crn::balance::broken_cycle(species.len(), &changes, &log_ratios) else {
            return;
        };
        let (first, _) = cycle.steps[0];
        let named: Vec<String> = cycle
            .steps
            .iter()
            .map(|&(r, times)| {
                let text = format!(
                    "{} <-> {}",
                    side_text(&reactions[r].reactants),
                    side_text(&reactions[r].products)
                );
                match times {
                    1 => format!("({text})"),
                    -1 => format!("reversed ({text})"),
                    t => format!("{t} × ({text})"),
                }
            })
            .collect();
        let mut d = Diagnostic::error("E0253", "these rates break detailed balance")
            .with_primary(reactions[first].span, "on a cycle whose rate product is not 1")
            .with_secondary(at, "the network is declared detailed balanced here")
            .with_note(format!(
                "around the cycle {}, the product of forward over reverse rate constants is {}, not 1",
                named.join(", then "),
                number(cycle.log_product.exp())
            ));
        for &(r, _) in &cycle.steps[1..] {
            d = d.with_secondary(reactions[r].span, "also on the cycle");
        }
        self.diags.push(d.with_hint(
            "give each reversible reaction one prefactor (`A <-> B @ k;`) and the species energies (`energy A = ...;`): their rates then balance",
        ));
    }

    /// Reports an assignment in `frame` that binds a call of no module
    /// (`c = ad(a, b);`), in network and module bodies alike; false for
    /// anything else. In a network, a setting's value may be a call (`exp`).
    pub(super) fn unknown_instance(
        &mut self,
        b: &mut Builder,
        frame: &Frame,
        targets: &[ast::SpeciesRef],
        value: &Expr,
    ) -> bool {
        let Expr::Call { function, .. } = value else { return false };
        if !frame.in_module && is_setting(targets) {
            return false;
        }
        self.diags.push(unknown_module(function, &self.scopes[&frame.env.file()]));
        // Its outputs are undeclared now; saying so at every use would be noise.
        b.incomplete = true;
        true
    }

    fn positive_setting(&mut self, name: &str, value: &Expr, env: Env) -> Option<f64> {
        let v = self.eval(value, env)?;
        if v.is_finite() && v > 0.0 {
            return Some(v);
        }
        self.diags.push(
            Diagnostic::error("E0205", format!("the {name} must be a positive finite number"))
                .with_primary(value.span(), format!("this evaluates to {}", number(v))),
        );
        None
    }

    pub(super) fn initial_value(&mut self, name: &str, expr: &Expr, env: Env) -> Option<f64> {
        let v = self.eval(expr, env)?;
        if !v.is_finite() {
            self.diags.push(not_finite(&format!("the initial value of `{name}`"), expr.span(), v));
            return None;
        }
        if v < 0.0 {
            self.diags.push(
                Diagnostic::error("E0304", format!("negative initial value for `{name}`"))
                    .with_primary(expr.span(), format!("this evaluates to {}", number(v)))
                    .with_hint(
                        "concentrations and amounts are never negative; a signed quantity needs two species",
                    ),
            );
            return None;
        }
        Some(v)
    }

    /// Merges an included network's species and parameters; returns its reactions.
    fn include(&mut self, b: &mut Builder, net: NetRef, id: &ast::Ident) -> Option<Vec<ir::Reaction>> {
        let target = match self.scopes[&net.file].get(&id.name) {
            Some(&Def::Network(target, _)) => target,
            Some(&Def::Module(_, def)) => {
                self.diags.push(
                    Diagnostic::error("E0207", format!("`{}` is a module, not a network", id.name))
                        .with_primary(id.span, "included here")
                        .with_secondary(def, "the module is defined here")
                        .with_hint(format!(
                            "a module is instantiated, not included: `y = {}(inputs);`",
                            id.name
                        )),
                );
                return None;
            }
            Some(&Def::Param(_, def)) => {
                self.diags.push(
                    Diagnostic::error("E0207", format!("`{}` is a parameter, not a network", id.name))
                        .with_primary(id.span, "included here")
                        .with_secondary(def, "the parameter is defined here")
                        .with_hint(
                            "`include` copies a network's species and reactions; a parameter is used \
                             by writing its name in a rate or an initial value",
                        ),
                );
                return None;
            }
            // The import that should have brought it failed, and said why.
            None if self.incomplete_files.contains(&id.span.file) => return None,
            None => {
                let networks: Vec<String> = self.scopes[&net.file]
                    .iter()
                    .filter(|(_, d)| matches!(d, Def::Network(..)))
                    .map(|(n, _)| n.clone())
                    .collect();
                let hint = did_you_mean(&id.name, networks.iter().map(String::as_str))
                    .unwrap_or_else(|| "networks from other files need an `import` first".to_string());
                self.diags.push(
                    Diagnostic::error("E0200", format!("no network named `{}`", id.name))
                        .with_primary(id.span, "not a network in scope")
                        .with_hint(hint),
                );
                return None;
            }
        };
        if let Some(start) = self.including.iter().position(|&n| n == target) {
            let mut names: Vec<&str> =
                self.including[start..].iter().map(|&n| self.network_ast(n).name.name.as_str()).collect();
            names.push(&id.name);
            self.diags.push(
                Diagnostic::error("E0203", format!("network `{}` includes itself", id.name))
                    .with_primary(id.span, "this include closes a cycle")
                    .with_note(format!("cycle: {}", names.join(" -> ")))
                    .with_hint("a network cannot contain itself, directly or through other includes"),
            );
            return None;
        }
        if !self.ensure_network(target) {
            return None;
        }
        let NetState::Done(inner) = &self.networks[&target] else { unreachable!("ensured above") };
        let size = inner.species.len() + inner.reactions.len();
        if !self.charge(super::elaborate::Work::Included, size, id.span) {
            return None;
        }
        let NetState::Done(inner) = &self.networks[&target] else { unreachable!("ensured above") };
        let inner = inner.as_ref().clone();
        // The includer's annihilation rate will hold the included signed values.
        let signed = inner.species.values().any(|s| s.signed);
        let settings = |law: &RateLaw, volume: f64, annihilation: f64| match signed {
            true => format!("rate_law = {}, volume = {volume}, annihilation = {annihilation}", law.name()),
            false => format!("rate_law = {}, volume = {volume}", law.name()),
        };
        if inner.rate_law != b.rate_law
            || inner.volume != b.volume
            || (signed && inner.annihilation != b.annihilation)
        {
            self.diags.push(
                Diagnostic::error("E0209", format!("network `{}` has different settings", id.name))
                    .with_primary(id.span, "included here")
                    .with_secondary(
                        inner.span,
                        format!("it uses {}", settings(&inner.rate_law, inner.volume, inner.annihilation)),
                    )
                    .with_note(format!(
                        "this network uses {}",
                        settings(&b.rate_law, b.volume, b.annihilation)
                    ))
                    .with_hint(match signed {
                        true => "set the same `rate_law`, `volume` and `annihilation` in both networks",
                        false => "set the same `rate_law` and `volume` in both networks",
                    }),
            );
            return None;
        }
        for (name, c) in &inner.compartments {
            match b.compartments.get(name) {
                None => {
                    _ = b.compartments.insert(name.clone(), ir::Compartment { span: id.span, ..c.clone() })
                }
                Some(own) if own.size == c.size => {}
                Some(own) => {
                    self.diags.push(
                        Diagnostic::error(
                            "E0209",
                            format!("included networks disagree on compartment `{name}`"),
                        )
                        .with_primary(id.span, format!("brings in `{name}` of size {}", number(c.size)))
                        .with_secondary(own.span, format!("`{name}` has size {} here", number(own.size)))
                        .with_secondary(c.span, "the included network's compartment")
                        .with_hint("give the compartment one size in every network, or rename one of them"),
                    );
                    return None;
                }
            }
        }
        // The included reactions' rates already follow these: the includer
        // may not set them again (E0251 points at the include).
        for (name, &energy) in &inner.energies {
            b.energies.entry(name.clone()).or_insert((energy, id.span));
        }
        for p in &inner.potentials {
            if !b.potentials.iter().any(|q| q.name == p.name) {
                b.potentials.push(p.clone());
            }
        }
        b.learning_rules.extend(inner.learning_rules.iter().cloned());
        for (name, s) in inner.species {
            match b.species.get(&name) {
                None => {
                    b.species.insert(name, (s, SpeciesOrigin::Included(id.span)));
                }
                Some((_, SpeciesOrigin::Declared | SpeciesOrigin::Output | SpeciesOrigin::Generated)) => {}
                Some((prev, SpeciesOrigin::Included(prev_at))) => {
                    if prev.compartment != s.compartment {
                        let place = |c: &Option<String>| match c {
                            Some(c) => format!("in compartment `{c}`"),
                            None => "in the reaction compartment".to_string(),
                        };
                        self.diags.push(
                            Diagnostic::error(
                                "E0209",
                                format!("included networks disagree on species `{name}`"),
                            )
                            .with_primary(id.span, format!("puts `{name}` {}", place(&s.compartment)))
                            .with_secondary(*prev_at, format!("puts `{name}` {}", place(&prev.compartment)))
                            .with_hint(format!(
                                "declare `{name}` in this network to choose its compartment: `species {name};` or \
                                 `species in {} {name};`",
                                s.compartment.as_ref().or(prev.compartment.as_ref()).map_or("c", String::as_str)
                            )),
                        );
                    } else if prev.initial != s.initial || prev.quantity != s.quantity {
                        self.diags.push(
                            Diagnostic::error(
                                "E0209",
                                format!("included networks disagree on species `{name}`"),
                            )
                            .with_primary(id.span, format!("starts `{name}` at {}", s.initial))
                            .with_secondary(*prev_at, format!("starts `{name}` at {}", prev.initial))
                            .with_hint(format!(
                                "declare `species {name} = ...;` here to choose its initial value"
                            )),
                        );
                    }
                }
            }
        }
        // Rename clashing parameters all at once, so a new name never collides
        // with, or is rewritten again by, another rename.
        let mut renames: HashMap<String, String> = HashMap::default();
        for (name, p) in &inner.params {
            let fresh = match b.params.get(name) {
                None => name.clone(),
                Some(existing) if existing.value == p.value => continue,
                Some(_) => unique_name(&format!("{}_{name}", id.name), |n| {
                    b.params.contains_key(n) || inner.params.contains_key(n)
                }),
            };
            if fresh != *name {
                renames.insert(name.clone(), fresh.clone());
            }
            b.params.insert(fresh.clone(), ir::Param { name: fresh, ..p.clone() });
        }
        b.ode.extend(&inner.ode, Some(id.span));
        let mut reactions = Arc::unwrap_or_clone(inner.reactions);
        for r in &mut reactions {
            // Includes recorded inside `inner` are nested within this one.
            r.brought_in_at.insert(0, id.span);
            for rate in std::iter::once(&mut r.forward).chain(r.reverse.as_mut()) {
                if let Some(fresh) = rate.param.as_ref().and_then(|p| renames.get(p)) {
                    rate.param = Some(fresh.clone());
                }
            }
        }
        Some(reactions)
    }

    pub(super) fn reaction(
        &mut self,
        b: &mut Builder,
        frame: &Frame,
        r: &ast::Reaction,
    ) -> Option<ir::Reaction> {
        let reactants = self.complex(b, frame, &r.reactants);
        let products = self.complex(b, frame, &r.products);
        let (rates, law) = match law_call(r) {
            Some(call) => {
                let law = self.law(b, frame, r, call);
                (Some(Rates::Given(ir::Rate { value: 1.0, param: None }, None)), law.map(Some))
            }
            None => (self.rates(b, r, frame.env), Some(None)),
        };
        let (reactants, products, rates, law) = (reactants?, products?, rates?, law?);
        let (forward, reverse) = match rates {
            Rates::Given(forward, reverse) => (forward, reverse),
            Rates::Balanced(k) => match balanced(b, &reactants, &products, k, r.span) {
                Ok((forward, reverse)) => (forward, Some(reverse)),
                Err(d) => {
                    self.diags.push(d);
                    return None;
                }
            },
        };
        let reaction = ir::Reaction {
            label: r.label.as_ref().map(|l| l.name.clone()),
            reactants,
            products,
            forward,
            reverse,
            span: r.span,
            brought_in_at: Vec::new(),
            law,
            group: crate::crn::GroupId::MAIN,
        }
        .without_zero_rates()?;
        if same_multiset(&reaction.reactants, &reaction.products) {
            self.diags.push(
                Diagnostic::warning("W0003", "this reaction has no net effect")
                    .with_primary(r.span, "every species is consumed and produced in equal numbers")
                    .with_hint("it changes nothing; remove it, or check the coefficients"),
            );
        }
        Some(reaction)
    }

    /// `@ law(EXPR)`: the polynomial EXPR over the species, as the rate law
    /// that replaces mass action for this reaction (docs/language.md, "Rate laws").
    fn law(
        &mut self,
        b: &Builder,
        frame: &Frame,
        r: &ast::Reaction,
        call: &Expr,
    ) -> Option<Vec<ir::LawTerm>> {
        let Expr::Call { args, span, .. } = call else { unreachable!("law_call returns a call") };
        if r.direction == Direction::Reversible {
            self.diags.push(
                Diagnostic::error("E0301", "a reaction with a rate law cannot be reversible")
                    .with_primary(*span, "a rate law gives one direction's flux")
                    .with_hint(
                        "write `->`, with the reverse direction as a reaction of its own or inside the law",
                    ),
            );
            return None;
        }
        let [expr] = args.as_slice() else {
            self.diags.push(
                Diagnostic::error("E0208", format!("`law` takes 1 argument, not {}", args.len()))
                    .with_primary(*span, "wrong number of arguments")
                    .with_hint(
                        "write the rate law as one polynomial over the species: `law(k * A * (A - 1) / 2)`",
                    ),
            );
            return None;
        };
        let (terms, names) = self.law_polynomial(b, frame, expr)?;
        let mut law = Vec::with_capacity(terms.terms.len());
        for (monomial, c) in terms.terms {
            if !c.value.is_finite() {
                self.diags.push(not_finite("a coefficient of the rate law", expr.span(), c.value));
                return None;
            }
            let factors = monomial.iter().map(|&(v, e)| (names[&v].clone(), e)).collect();
            law.push(ir::LawTerm { coefficient: c.value, factors });
        }
        Some(law)
    }

    fn complex(&mut self, b: &Builder, frame: &Frame, c: &Complex) -> Option<Vec<(String, u32)>> {
        match c {
            Complex::Empty { .. } => Some(Vec::new()),
            Complex::Number { text, .. } if text.parse::<f64>() == Ok(0.0) => Some(Vec::new()),
            Complex::Number { text, span } => {
                self.diags.push(
                    Diagnostic::error("E0303", format!("`{text}` is not a complex"))
                        .with_primary(*span, "a number alone cannot be a reactant or product")
                        .with_hint(
                            "write `0` or `∅` for nothing, or put the coefficient before a species: `2 X`",
                        ),
                );
                None
            }
            Complex::Terms(terms) => {
                let mut out: Vec<(String, u32)> = Vec::with_capacity(terms.len());
                let mut ok = true;
                for t in terms {
                    let n = match &t.coefficient {
                        None => Some(1),
                        Some((text, span)) => self.coefficient(text, *span),
                    };
                    let species = self.species_ref(b, frame, &t.species);
                    match (n, species) {
                        (Some(n), Some(name)) => match out.iter_mut().find(|(s, _)| *s == name) {
                            Some((_, m)) => *m = m.saturating_add(n),
                            None => out.push((name, n)),
                        },
                        _ => ok = false,
                    }
                }
                if let Some((name, n)) = out.iter().find(|(_, n)| *n > MAX_COEFFICIENT) {
                    let span = terms.first().map(|t| t.span).expect("a non-empty complex");
                    self.diags.push(absurd_coefficient(
                        span.to(terms[terms.len() - 1].span),
                        &format!("{n} molecules of `{name}` in one complex"),
                    ));
                    ok = false;
                }
                ok.then_some(out)
            }
        }
    }

    fn coefficient(&mut self, text: &str, span: Span) -> Option<u32> {
        let value: f64 = text.parse().unwrap_or(f64::INFINITY);
        if value > f64::from(MAX_COEFFICIENT) {
            self.diags.push(absurd_coefficient(span, &format!("the coefficient `{text}` is too large")));
            return None;
        }
        if value.fract() != 0.0 {
            self.diags.push(
                Diagnostic::error(
                    "E0303",
                    format!("stoichiometric coefficient `{text}` is not a whole number"),
                )
                .with_primary(span, "molecules come in whole numbers")
                .with_hint("to scale a rate, change the rate constant after `@` instead"),
            );
            return None;
        }
        if value < 1.0 {
            self.diags.push(
                Diagnostic::error("E0303", "a stoichiometric coefficient of 0")
                    .with_primary(span, "this term takes part zero times")
                    .with_hint("remove the term from the complex"),
            );
            return None;
        }
        Some(value as u32)
    }

    fn rates(&mut self, b: &mut Builder, r: &ast::Reaction, env: Env) -> Option<Rates> {
        let wrong = match r.direction {
            Direction::Forward => r.rates.len() > 1,
            Direction::Reversible => r.rates.len() > 2,
        };
        if wrong {
            let (message, hint) = match r.direction {
                Direction::Forward => (
                    format!("a `->` reaction takes one rate constant, not {}", r.rates.len()),
                    "for a reversible reaction with forward and reverse rates, write `<->`",
                ),
                Direction::Reversible => (
                    format!("a `<->` reaction takes at most two rate constants, not {}", r.rates.len()),
                    "write `@ forward, reverse`, e.g. `A <-> B @ 2.0, 0.5;`, or one prefactor for rates from the species' energies",
                ),
            };
            let span = r.rates[0].span().to(r.rates[r.rates.len() - 1].span());
            self.diags.push(
                Diagnostic::error("E0301", message).with_primary(span, "rates given here").with_hint(hint),
            );
            return None;
        }
        let mut rates = Vec::new();
        for expr in &r.rates {
            rates.push(self.rate(b, expr, env));
        }
        let mut rates = rates.into_iter();
        let one = || ir::Rate { value: 1.0, param: None };
        let forward = rates.next().unwrap_or_else(|| Some(one()))?;
        Some(match (r.direction, rates.next()) {
            (Direction::Forward, _) => Rates::Given(forward, None),
            (Direction::Reversible, Some(reverse)) => Rates::Given(forward, Some(reverse?)),
            (Direction::Reversible, None) => Rates::Balanced(forward),
        })
    }

    /// `energy X = -3, Y = 0.5;`: each species of this body at most once, a
    /// finite number of k_B·T.
    pub(super) fn declare_energies(
        &mut self,
        b: &mut Builder,
        frame: &Frame,
        body: &[Statement],
        entries: &[(ast::SpeciesRef, Expr)],
    ) {
        // An instance's species and outputs get their rates inside the module,
        // before this body could set their energies.
        let bound: HashSet<&str> = body
            .iter()
            .filter_map(|s| match s {
                Statement::Assign { targets, value: Expr::Call { .. }, .. } => Some(targets),
                _ => None,
            })
            .flatten()
            .map(|t| t.name.name.as_str())
            .collect();
        for (target, expr) in entries {
            if target.name.name.contains('.') || bound.contains(target.name.name.as_str()) {
                self.diags.push(
                    Diagnostic::error("E0250", format!("`{}` belongs to a module instance", target.name.name))
                        .with_primary(target.span, "its energy is set in the module that declares it")
                        .with_hint("set the energy in the module's body (from a module parameter if it varies), or declare the species here and pass it to the module"),
                );
                continue;
            }
            // An array named whole: every element (an ensemble's copies).
            let (Some(names), Some(value)) =
                (self.species_or_elements(b, frame, target), self.eval(expr, frame.env))
            else {
                continue;
            };
            if !value.is_finite() {
                self.diags.push(not_finite("the energy", expr.span(), value));
                continue;
            }
            for name in names {
                match b.energies.get(&name) {
                    Some(&(_, first)) => self.diags.push(
                        Diagnostic::error("E0251", format!("the energy of `{name}` is set twice"))
                            .with_primary(target.span, "set again here")
                            .with_secondary(first, "first set here")
                            .with_hint("a species has one energy; remove one of the two"),
                    ),
                    None => _ = b.energies.insert(name, (value, target.span)),
                }
            }
        }
    }

    fn rate(&mut self, b: &mut Builder, expr: &Expr, env: Env) -> Option<ir::Rate> {
        let value = self.eval(expr, env)?;
        if !value.is_finite() {
            self.diags.push(not_finite("the rate constant", expr.span(), value));
            return None;
        }
        if value < 0.0 {
            self.diags.push(
                Diagnostic::error("E0300", "negative rate constant")
                    .with_primary(expr.span(), format!("this evaluates to {}", number(value)))
                    .with_hint("rate constants are positive; to run a reaction backwards, swap its sides"),
            );
            return None;
        }
        if value == 0.0 {
            self.diags.push(zero_rate(expr.span()));
            return Some(ir::Rate { value, param: None });
        }
        // A rate written as one parameter's name keeps that name for export,
        // unless an included network already took the name for another value.
        let global = expr.as_name().filter(|id| self.number_in_scope(&id.name).is_none());
        let param = global.and_then(|id| {
            let r = self.resolve_param(id, env)?;
            let span = self.param_ast(r).0.span;
            match b.params.get(&id.name) {
                Some(p) if p.value != value => None,
                Some(_) => Some(id.name.clone()),
                None => {
                    b.params.insert(id.name.clone(), ir::Param { name: id.name.clone(), value, span });
                    Some(id.name.clone())
                }
            }
        });
        Some(ir::Rate { value, param })
    }

    fn warn_unused_in_network(&mut self, b: &Builder, reactions: &[ir::Reaction], net: NetRef) {
        let used: HashSet<&str> = reactions
            .iter()
            .flat_map(|r| {
                let law = r.law.iter().flatten().flat_map(|t| &t.factors);
                r.reactants.iter().chain(&r.products).chain(law)
            })
            .map(|(n, _)| n.as_str())
            .chain(b.ode.equations.iter().map(|eq| eq.target.as_str()))
            .chain(b.ode.variables.iter().map(|v| v.name.as_str()))
            .chain(b.learning_rules.iter().flat_map(|rule| rule.species()))
            .collect();
        for (name, (s, origin)) in &b.species {
            // A Neural CRN's inputs, state and parameters are read by the
            // protocol and the `learn` pass, not only by reactions.
            let plain = s.role == crate::crn::Role::Plain;
            if *origin == SpeciesOrigin::Declared && plain && !used.contains(name.as_str()) {
                self.diags.push(
                    Diagnostic::warning("W0001", format!("species `{name}` takes part in no reaction"))
                        .with_primary(s.span, "declared here")
                        .with_hint("remove it, or add the reactions that use it"),
                );
            }
        }
        let locals: Vec<(ParamRef, ast::Ident)> =
            self.locals[&net].values().map(|&(r, _)| (r, self.param_ast(r).0.clone())).collect();
        for (r, id) in locals {
            if !self.used.contains(&r) {
                self.diags.push(unused_param(&id));
            }
        }
    }
}

/// Whether an assignment's targets name one network setting.
fn is_setting(targets: &[ast::SpeciesRef]) -> bool {
    matches!(targets, [t] if t.indices.is_empty() && SETTINGS.contains(&t.name.name.as_str()))
}

/// E0205 for a setting name that is not one of `known`.
pub(super) fn unknown_setting(kind: &str, name: &ast::Ident, known: &[&str]) -> Diagnostic {
    let hint = did_you_mean(&name.name, known.iter().copied())
        .unwrap_or_else(|| format!("the {kind} settings are {}", known.join(", ")));
    Diagnostic::error("E0205", format!("unknown {kind} setting `{}`", name.name))
        .with_primary(name.span, format!("not a {kind} setting"))
        .with_hint(hint)
}

/// W0004: a zero rate switches its direction off (common in generated models
/// and parameter sweeps), so it is a warning, and the direction is left out.
pub fn zero_rate(span: Span) -> Diagnostic {
    Diagnostic::warning("W0004", "zero rate constant")
        .with_primary(span, "this direction never happens and is left out")
        .with_hint("remove it, or give it a positive rate")
}

fn absurd_coefficient(span: Span, message: &str) -> Diagnostic {
    Diagnostic::error("E0303", message.to_string())
        .with_primary(span, format!("at most {MAX_COEFFICIENT} molecules of one species per complex"))
        .with_hint("elementary reactions involve a few molecules; rescale the species instead")
}

fn same_multiset(a: &[(String, u32)], b: &[(String, u32)]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn unique_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2..).map(|i| format!("{base}_{i}")).find(|n| !taken(n)).expect("some suffix is free")
}

/// The `law(...)` call when a reaction's one rate is written as one.
fn law_call(r: &ast::Reaction) -> Option<&Expr> {
    match r.rates.as_slice() {
        [call @ Expr::Call { function, params, .. }] if function.name == "law" && params.is_empty() => {
            Some(call)
        }
        _ => None,
    }
}
