//! `boltzmann_machine { ... }`: the edge-species chemical Boltzmann machine of
//! domain.md §3.8, and with `learn @ k;` the clamped copy, shared potentials
//! and learning rules of §3.7 (docs/language.md, "Boltzmann machines").
//!
//! A unit U is the pair `U_0` (1 at the start) / `U_1`, an edge W between
//! units the pair `W_0` / `W_1`, whose on-state the flips keep equal to the
//! product of its units' on-states. Unit i flips in each configuration c of
//! its neighbours, catalysed by their states, and every edge to an
//! on-neighbour flips with it:
//! `U_0 + Σ N_(c) + Σ_(on) W_0 <-> U_1 + Σ N_(c) + Σ_(on) W_1`, at the
//! block's `rate` as a prefactor (rates from the species' energies).
//!
//! `learn @ k;` adds the clamped copy (`clamped.U_0`, ...), one potential
//! `P_s` shared by each state s of the free copy and its clamped twin, and
//! the rule `learn P_s: s ~ clamped.s @ k` for every s; `clamp U ~ c * R @ r;`
//! pulls the clamped copy's `clamped.U_1` toward c·R through a potential
//! of its own, `P_clamped.U_1`. `delta = δ;` makes every learning and clamp
//! reaction reversible at ε = δ·k (domain.md §3.10, A8).

use crate::hash::HashSet;

use super::Checker;
use super::elaborate::Frame;
use super::network::{Builder, SpeciesOrigin, balanced};
use crate::backend::number;
use crate::crn::Role;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::ir::potentials::{LearningRule, Potential, Target};
use crate::ir::{self, Quantity};
use crate::source::Span;
use crate::syntax::ast::{BoltzmannItem, Ident};

/// Above this many neighbours a unit's 2^d flips are more than any model needs.
const MAX_NEIGHBOURS: usize = 16;

/// The prefix of the clamped copy's species.
const CLAMPED: &str = "clamped.";

/// A checked `boltzmann_machine` block.
#[derive(Clone, Debug)]
pub(super) struct Machine {
    span: Span,
    visible: Vec<String>,
    hidden: Vec<String>,
    /// (edge, unit, unit), in source order.
    edges: Vec<(String, String, String)>,
    rate: f64,
    learn: Option<f64>,
    /// (visible unit, target, rate).
    clamps: Vec<(String, Target, f64)>,
    /// `delta = δ;`: every learning and clamp reaction reversible at ε = δ·k
    /// (domain.md §3.10; A8 sweeps δ⁻¹ = k/ε for both).
    delta: Option<f64>,
}

impl Machine {
    /// The visible units' on-states, whose joint law a learner's report shows.
    pub(super) fn visible_states(&self) -> impl Iterator<Item = String> + '_ {
        self.visible.iter().map(|u| state(u, true))
    }

    fn units(&self) -> impl Iterator<Item = &String> {
        self.visible.iter().chain(&self.hidden)
    }

    /// Every two-state pair: units, then edges.
    fn pairs(&self) -> impl Iterator<Item = &String> {
        self.units().chain(self.edges.iter().map(|(w, _, _)| w))
    }

    /// The neighbours of `unit` with the edge to each, in edge order.
    fn neighbours<'m>(&'m self, unit: &'m str) -> impl Iterator<Item = (&'m str, &'m str)> + 'm {
        self.edges.iter().filter_map(move |(w, a, b)| match () {
            _ if a == unit => Some((b.as_str(), w.as_str())),
            _ if b == unit => Some((a.as_str(), w.as_str())),
            _ => None,
        })
    }
}

fn state(pair: &str, on: bool) -> String {
    format!("{pair}_{}", u8::from(on))
}

impl<'w> Checker<'w> {
    /// Checks a block and declares its species; the reactions come later
    /// ([`Checker::boltzmann_reactions`]), when energies are known.
    pub(super) fn declare_boltzmann(
        &mut self,
        b: &mut Builder,
        frame: &Frame,
        items: &[BoltzmannItem],
        span: Span,
    ) {
        let Some(machine) = self.machine(b, frame, items, span) else { return };
        let declare = |this: &mut Self, b: &mut Builder, name: String, initial: f64, role: Role| {
            let species = ir::Species {
                name: name.clone(),
                initial,
                quantity: Quantity::Amount,
                signed: false,
                span,
                role,
                rail: None,
                group: None,
                compartment: None,
            };
            b.declare(this, &name, species, SpeciesOrigin::Generated);
        };
        let copies: &[&str] = if machine.learn.is_some() { &["", CLAMPED] } else { &[""] };
        for copy in copies {
            for pair in machine.pairs() {
                declare(self, b, state(&format!("{copy}{pair}"), false), 1.0, Role::Plain);
                declare(self, b, state(&format!("{copy}{pair}"), true), 0.0, Role::Plain);
            }
        }
        if machine.learn.is_some() {
            for pair in machine.pairs() {
                for on in [false, true] {
                    declare(self, b, format!("P_{}", state(pair, on)), 1.0, Role::Potential);
                }
            }
            for (unit, _, _) in &machine.clamps {
                declare(self, b, format!("P_{CLAMPED}{}", state(unit, true)), 1.0, Role::Potential);
            }
        }
        b.machines.push(machine);
    }

    /// The block's flips (both copies), potentials and learning rules.
    pub(super) fn boltzmann_reactions(&mut self, b: &mut Builder, span: Span) -> Vec<ir::Reaction> {
        let Some(machine) = b.machines.iter().find(|m| m.span == span).cloned() else { return Vec::new() };
        let copies: &[&str] = if machine.learn.is_some() { &["", CLAMPED] } else { &[""] };
        let mut reactions = Vec::new();
        for copy in copies {
            for unit in machine.units() {
                let neighbours: Vec<(&str, &str)> = machine.neighbours(unit).collect();
                if neighbours.len() > MAX_NEIGHBOURS
                    || !self.charge(super::elaborate::Work::Reaction, 1 << neighbours.len(), span)
                {
                    return reactions;
                }
                for configuration in 0..1u32 << neighbours.len() {
                    let mut reactants = vec![(state(&format!("{copy}{unit}"), false), 1)];
                    let mut products = vec![(state(&format!("{copy}{unit}"), true), 1)];
                    for (j, &(neighbour, edge)) in neighbours.iter().enumerate() {
                        let on = configuration >> j & 1 == 1;
                        let catalyst = (state(&format!("{copy}{neighbour}"), on), 1);
                        reactants.push(catalyst.clone());
                        products.push(catalyst);
                        if on {
                            reactants.push((state(&format!("{copy}{edge}"), false), 1));
                            products.push((state(&format!("{copy}{edge}"), true), 1));
                        }
                    }
                    let k = ir::Rate { value: machine.rate, param: None };
                    let (forward, reverse) = match balanced(b, &reactants, &products, k, span) {
                        Ok(rates) => rates,
                        Err(d) => {
                            self.diags.push(d);
                            continue;
                        }
                    };
                    reactions.push(ir::Reaction {
                        label: None,
                        reactants,
                        products,
                        forward,
                        reverse: Some(reverse),
                        law: None,
                        span,
                        brought_in_at: Vec::new(),
                        group: crate::crn::GroupId::MAIN,
                    });
                }
            }
        }
        if let Some(k) = machine.learn {
            for pair in machine.pairs() {
                for on in [false, true] {
                    let s = state(pair, on);
                    let potential = format!("P_{s}");
                    let clamped = format!("{CLAMPED}{s}");
                    b.potentials.push(Potential {
                        name: potential.clone(),
                        species: vec![s.clone(), clamped.clone()],
                        span,
                    });
                    b.learning_rules.push(LearningRule {
                        potential,
                        model: s,
                        target: Target::Species { name: clamped, scale: 1.0 },
                        rate: k,
                        reverse: machine.delta.map(|d| d * k),
                        span,
                    });
                }
            }
            for (unit, target, rate) in &machine.clamps {
                let s = format!("{CLAMPED}{}", state(unit, true));
                let potential = format!("P_{s}");
                b.potentials.push(Potential { name: potential.clone(), species: vec![s.clone()], span });
                b.learning_rules.push(LearningRule {
                    potential,
                    model: s,
                    target: target.clone(),
                    rate: *rate,
                    reverse: machine.delta.map(|d| d * rate),
                    span,
                });
            }
        }
        reactions
    }

    fn machine(
        &mut self,
        b: &Builder,
        frame: &Frame,
        items: &[BoltzmannItem],
        span: Span,
    ) -> Option<Machine> {
        let errors = self.diags.len();
        let mut m = Machine {
            span,
            visible: Vec::new(),
            hidden: Vec::new(),
            edges: Vec::new(),
            rate: 1.0,
            learn: None,
            clamps: Vec::new(),
            delta: None,
        };
        let mut seen: HashSet<String> = HashSet::default();
        // Checked once every unit is known, against the names as written.
        let mut written_edges: Vec<(&Ident, &Ident, &Ident)> = Vec::new();
        let mut clamped_units: Vec<&Ident> = Vec::new();
        let mut fresh = |this: &mut Self, id: &Ident| {
            if !seen.insert(id.name.clone()) || b.species.contains_key(&state(&id.name, false)) {
                this.diags.push(bad(
                    id.span,
                    format!("`{}` is declared twice", id.name),
                    "each unit and edge has a name of its own, and its states `_0`, `_1` are new species",
                ));
                return false;
            }
            true
        };
        for item in items {
            match item {
                BoltzmannItem::Units { kind, names } => {
                    let list = match kind.name.as_str() {
                        "visible" => &mut m.visible,
                        "hidden" => &mut m.hidden,
                        _ => {
                            self.diags.push(bad(
                                kind.span,
                                format!("unknown list `{}`", kind.name),
                                "a block lists `visible` and `hidden` units, and `edges W = A * B`",
                            ));
                            continue;
                        }
                    };
                    for id in names {
                        if fresh(self, id) {
                            list.push(id.name.clone());
                        }
                    }
                }
                BoltzmannItem::Edges { kind, edges } if kind.name == "edges" => {
                    for (w, a, c) in edges {
                        if fresh(self, w) {
                            m.edges.push((w.name.clone(), a.name.clone(), c.name.clone()));
                            written_edges.push((w, a, c));
                        }
                    }
                }
                BoltzmannItem::Edges { kind, .. } => {
                    self.diags.push(bad(
                        kind.span,
                        format!("`{}` does not take edges", kind.name),
                        "write edges as `edges W = A * B;`",
                    ));
                }
                BoltzmannItem::Setting { name, value } if name.name == "rate" => {
                    let v = self.eval(value, frame.env)?;
                    if !(v.is_finite() && v > 0.0) {
                        self.diags.push(bad(
                            value.span(),
                            format!("the flip rate is {}", number(v)),
                            "`rate` is the flips' positive prefactor k (k± = k·e^(∓ΔE/2))",
                        ));
                    }
                    m.rate = v;
                }
                BoltzmannItem::Setting { name, value } if name.name == "delta" => {
                    let v = self.eval(value, frame.env)?;
                    if !(v.is_finite() && v > 0.0) {
                        self.diags.push(bad(
                            value.span(),
                            format!("delta is {}", number(v)),
                            "`delta` is the positive ratio ε/k of every learning and clamp reaction's reverse rate to its rate",
                        ));
                    }
                    m.delta = Some(v);
                }
                BoltzmannItem::Setting { name, .. } => {
                    self.diags.push(bad(
                        name.span,
                        format!("unknown setting `{}`", name.name),
                        "a block's settings are `rate = k;` (the flips) and `delta = eps / k;` (reversible learning)",
                    ));
                }
                BoltzmannItem::Learn { rate, .. } => {
                    let v = self.eval(rate, frame.env)?;
                    if !(v.is_finite() && v > 0.0) {
                        self.diags.push(bad(
                            rate.span(),
                            format!("the learning rate is {}", number(v)),
                            "`learn @ k;` takes a positive rate",
                        ));
                    }
                    m.learn = Some(v);
                }
                BoltzmannItem::Clamps { kind, clamps } if kind.name == "clamp" => {
                    for (unit, target, rate) in clamps {
                        clamped_units.push(unit);
                        let target = self.learning_target(b, frame, target);
                        let rate = self.eval(rate, frame.env);
                        if let (Some(target), Some(rate)) = (target, rate) {
                            m.clamps.push((unit.name.clone(), target, rate));
                        }
                    }
                }
                BoltzmannItem::Clamps { kind, .. } => {
                    self.diags.push(bad(
                        kind.span,
                        format!("unknown line `{}`", kind.name),
                        "clamps are written `clamp X0 ~ 0.04 * R0 @ 2.5;`",
                    ));
                }
            }
        }
        for (w, a, c) in written_edges {
            for end in [a, c] {
                if !m.units().any(|u| *u == end.name) {
                    let hint = match did_you_mean(&end.name, m.units().map(String::as_str)) {
                        Some(guess) => guess,
                        None => "an edge joins two units listed as `visible` or `hidden`".to_string(),
                    };
                    self.diags.push(bad(
                        end.span,
                        format!("edge `{}` joins `{}`, which is not a unit of the block", w.name, end.name),
                        &hint,
                    ));
                }
            }
            if a.name == c.name {
                self.diags.push(bad(
                    c.span,
                    format!("edge `{}` joins `{}` to itself", w.name, a.name),
                    "an edge joins two units",
                ));
            }
        }
        for unit in m.units() {
            if m.neighbours(unit).count() > MAX_NEIGHBOURS {
                self.diags.push(bad(
                    span,
                    format!("unit `{unit}` has more than {MAX_NEIGHBOURS} neighbours"),
                    "each unit flips once per configuration of its neighbours, 2^d reactions",
                ));
            }
        }
        for unit in clamped_units {
            if !m.visible.contains(&unit.name) {
                self.diags.push(bad(
                    unit.span,
                    format!("`{}` is clamped but is not a visible unit", unit.name),
                    "clamps pull the clamped copy's visible units toward the environment",
                ));
            }
        }
        if !m.clamps.is_empty() && m.learn.is_none() {
            self.diags.push(bad(
                span,
                "a clamp without `learn @ k;`",
                "the clamps act on the clamped copy, which `learn @ k;` makes",
            ));
        }
        if m.delta.is_some() && m.learn.is_none() {
            self.diags.push(bad(
                span,
                "`delta` without `learn @ k;`",
                "`delta` makes the learning and clamp reactions reversible; add `learn @ k;` to have them",
            ));
        }
        if m.visible.is_empty() && m.hidden.is_empty() {
            self.diags.push(bad(
                span,
                "a Boltzmann machine without units",
                "list them: `visible X0, X1; hidden H;`",
            ));
        }
        (self.diags.len() == errors).then_some(m)
    }
}

fn bad(span: Span, message: impl Into<String>, hint: &str) -> Diagnostic {
    Diagnostic::error("E0257", message).with_primary(span, "in this Boltzmann machine").with_hint(hint)
}
