//! The protocol beside the elementary CRN: which reaction groups run in which
//! phase, for how long, and what the host does to the state between phases
//! (domain.md §2.6, design.md §2.6). A learning circuit is one CRN whose
//! reactions carry groups plus this; a plain network's protocol is one phase
//! `main` running every group for the `simulate` block's `t_end`.
//!
//! Perturbations name species by id and find rails and parameters by role
//! ([`crate::crn::Role`], [`crate::crn::Rail`]), never by name. A protocol is
//! made by compiler passes, so a broken one is a compiler bug: [`validate`]
//! reports [`Violation`]s, as [`crate::crn::validate`] does for the CRN.

use crate::hash::HashSet;
use std::fmt;

use super::{Crn, GroupId, RailPair, Role, Sign, SpeciesId, Violation};
use crate::backend::number;

#[derive(Clone, Debug, PartialEq)]
pub struct Protocol {
    /// Run in order, once per sample.
    pub phases: Vec<Phase>,
    /// Applied after the last phase: the host's parameter update ends a
    /// training step there, before the next sample resets the transients.
    pub after: Vec<Perturbation>,
    /// How many leading phases make the prediction: after them the species
    /// with the role `output` hold ŷ (a plain network's one phase: 1).
    pub predict: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub name: String,
    /// The groups whose reactions run; every other reaction is off.
    pub groups: Vec<GroupId>,
    pub duration: Duration,
    /// Applied in order before the phase starts.
    pub before: Vec<Perturbation>,
    /// Applied in order after the phase ends, before anyone reads its state.
    pub after: Vec<Perturbation>,
}

/// How long a phase runs, from its own time 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Duration {
    /// A fixed time: the integration horizon T of a forward or backward phase.
    Time(f64),
    /// Until every |dx/dt| is at most `tolerance` (concentration per time),
    /// which must happen by `max_time`, else the run fails.
    SteadyState { tolerance: f64, max_time: f64 },
}

/// What the host does to the state between phases.
#[derive(Clone, Debug, PartialEq)]
pub enum Perturbation {
    /// Present a sample: each slot gets an input column, a target column or a constant.
    Load(Vec<Load>),
    /// Set each `to` species to the value of its `from` species, all read
    /// before any is written (z(T) into the backward network's reverse-time z).
    CopyValues(Vec<(SpeciesId, SpeciesId)>),
    /// P_p, P_m <- max(0, ±(P_p − P_m)) for every rail pair of the CRN.
    CancelRails,
    /// Every species that is not learned (parameter, potential) back to its
    /// initial value: 0 for the transients a construction makes.
    ResetTransients,
    /// Sets a signed value to Σ c·value (every term read before the value is
    /// written): a feedback sub-step's exact steady state.
    Assign { into: RailPair, terms: Vec<(RailPair, f64)> },
    /// The host form of θ <- θ − η·g on rails: P_p += η·G_m, P_m += η·G_p.
    /// (The chemical form is reactions in an update group.)
    UpdateParameters { rate: f64, pairs: Vec<Update> },
    /// Sets each species to its value, in its declared unit like its initial
    /// value: a scheduled assignment (`at 10: Q = 10;`).
    Set(Vec<(SpeciesId, f64)>),
}

/// One value loaded with a sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    pub into: Slot,
    pub from: Source,
}

/// Where a loaded value goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Slot {
    /// A single-rail species: the value must not be negative.
    Species(SpeciesId),
    /// A signed value: x_p = max(0, v), x_m = max(0, −v).
    Rails(RailPair),
}

/// Where a loaded value comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source {
    /// The sample's input column (0-based, in declaration order).
    Input(usize),
    /// The sample's target column.
    Target(usize),
    Constant(f64),
}

/// A parameter and the gradient accumulator that updates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Update {
    pub parameter: RailPair,
    pub gradient: RailPair,
}

impl Protocol {
    /// A plain network's protocol: one phase `main` running every group of
    /// `crn` for `t_end`.
    pub fn plain(crn: &Crn, t_end: f64) -> Protocol {
        let groups = (0..crn.groups.len()).map(|g| GroupId(g as u32)).collect();
        let main = Phase {
            name: super::MAIN_GROUP.to_string(),
            groups,
            duration: Duration::Time(t_end),
            before: Vec::new(),
            after: Vec::new(),
        };
        Protocol { phases: vec![main], after: Vec::new(), predict: 1 }
    }

    /// A plain network's protocol with its schedule (`at T: ...;`, in
    /// ascending time): the phase `main` cut at each scheduled time before
    /// `t_end`, the later pieces named `main@T` and each starting with its
    /// assignment. Assignments at or after `t_end` do not run. `Err` names a
    /// species the CRN lacks, which is a bug of the pass that lost it.
    pub fn scheduled(crn: &Crn, t_end: f64, schedule: &[crate::ir::Assignment]) -> Result<Protocol, String> {
        let mut protocol = Protocol::plain(crn, t_end);
        let template = protocol.phases.pop().expect("a plain protocol has one phase");
        let mut start = 0.0;
        let mut set = Vec::new();
        for assignment in schedule.iter().filter(|a| a.time < t_end) {
            protocol.phases.push(Phase {
                name: phase_name(&template.name, start),
                duration: Duration::Time(assignment.time - start),
                before: std::mem::take(&mut set),
                ..template.clone()
            });
            let id = |name: &str| match crn.species.iter().position(|s| s.name == name) {
                Some(i) => Ok(SpeciesId(i as u32)),
                None => Err(format!("the schedule names `{name}`, which the CRN does not have")),
            };
            let values = assignment.values.iter().map(|(n, v)| Ok((id(n)?, *v)));
            set = vec![Perturbation::Set(values.collect::<Result<_, String>>()?)];
            start = assignment.time;
        }
        protocol.phases.push(Phase {
            name: phase_name(&template.name, start),
            duration: Duration::Time(t_end - start),
            before: set,
            ..template
        });
        match validate(&protocol, crn).first() {
            Some(v) => Err(v.0.clone()),
            None => Ok(protocol),
        }
    }

    /// The protocol as `--emit protocol` prints it, species and groups by name.
    pub fn display<'a>(&'a self, crn: &'a Crn) -> impl fmt::Display + 'a {
        Shown { protocol: self, crn }
    }
}

/// `main` for the piece from t = 0, `main@T` for the one from T.
fn phase_name(main: &str, start: f64) -> String {
    if start == 0.0 { main.to_string() } else { format!("{main}@{}", number(start)) }
}

/// Checks that the protocol fits `crn`: phases named once, groups and species
/// in range, rail pairs that are rails of one value by role, an update that
/// moves gradients into parameters, finite positive durations and rates.
pub fn validate(protocol: &Protocol, crn: &Crn) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut fail = |msg: String| out.push(Violation(msg));
    if protocol.phases.is_empty() {
        fail("the protocol has no phase".to_string());
    }
    if protocol.predict > protocol.phases.len() {
        fail(format!("the prediction needs {} phases of {}", protocol.predict, protocol.phases.len()));
    }
    let mut names = HashSet::default();
    for phase in &protocol.phases {
        let at = &phase.name;
        if phase.name.is_empty() || !names.insert(phase.name.as_str()) {
            fail(format!("phase `{at}`: the name is empty or not unique"));
        }
        if phase.groups.is_empty() {
            fail(format!("phase `{at}`: runs no group"));
        }
        for (i, g) in phase.groups.iter().enumerate() {
            if g.index() >= crn.groups.len() || phase.groups[..i].contains(g) {
                fail(format!("phase `{at}`: group {} is out of range or listed twice", g.0));
            }
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        match phase.duration {
            Duration::Time(t) if !positive(t) => fail(format!("phase `{at}`: time {t} is not positive")),
            Duration::SteadyState { tolerance, max_time } if !(positive(tolerance) && positive(max_time)) => {
                fail(format!("phase `{at}`: tolerance {tolerance} or time cap {max_time} is not positive"))
            }
            _ => {}
        }
        for p in phase.before.iter().chain(&phase.after) {
            perturbation(crn, p, at, &mut fail);
        }
    }
    for p in &protocol.after {
        perturbation(crn, p, "after the last phase", &mut fail);
    }
    out
}

/// The error text of a protocol that [`validate`] refused.
pub fn does_not_fit(violations: &[Violation]) -> String {
    let all: Vec<&str> = violations.iter().map(|v| v.0.as_str()).collect();
    format!("the protocol does not fit the network: {}", all.join("; "))
}

fn perturbation(crn: &Crn, p: &Perturbation, at: &str, fail: &mut impl FnMut(String)) {
    let exists = |s: SpeciesId| s.index() < crn.species.len();
    let species = |s: SpeciesId, fail: &mut dyn FnMut(String)| {
        if !exists(s) {
            fail(format!("`{at}`: species id {} is out of range", s.0));
        }
    };
    match p {
        Perturbation::Load(loads) => {
            for load in loads {
                match load.into {
                    Slot::Species(s) => species(s, fail),
                    Slot::Rails(pair) => rails(crn, pair, None, at, fail),
                }
                if let Source::Constant(v) = load.from
                    && !(v.is_finite() && (v >= 0.0 || matches!(load.into, Slot::Rails(_))))
                {
                    fail(format!("`{at}`: constant {v} does not fit its slot"));
                }
            }
        }
        Perturbation::CopyValues(copies) => {
            for &(from, to) in copies {
                species(from, fail);
                species(to, fail);
                if from == to {
                    fail(format!("`{at}`: a species copied onto itself"));
                }
            }
        }
        Perturbation::CancelRails | Perturbation::ResetTransients => {}
        Perturbation::Assign { into, terms } => {
            rails(crn, *into, None, at, fail);
            for &(pair, c) in terms {
                rails(crn, pair, None, at, fail);
                if !c.is_finite() {
                    fail(format!("`{at}`: coefficient {c} is not finite"));
                }
            }
        }
        Perturbation::Set(values) => {
            for &(s, v) in values {
                species(s, fail);
                if !(v.is_finite() && v >= 0.0) {
                    fail(format!("`{at}`: value {v} is not finite and non-negative"));
                }
            }
        }
        Perturbation::UpdateParameters { rate, pairs } => {
            if !(rate.is_finite() && *rate >= 0.0) {
                fail(format!("`{at}`: learning rate {rate} is not finite and non-negative"));
            }
            for u in pairs {
                rails(crn, u.parameter, Some(Role::Parameter), at, fail);
                rails(crn, u.gradient, Some(Role::Gradient), at, fail);
            }
        }
    }
}

/// `pair` is the + and − rail of one value (of `role`, when given).
fn rails(crn: &Crn, pair: RailPair, role: Option<Role>, at: &str, fail: &mut impl FnMut(String)) {
    let rail = |s: SpeciesId| crn.species.get(s.index()).and_then(|s| s.rail.as_ref().map(|r| (s, r)));
    match (rail(pair.plus), rail(pair.minus)) {
        (Some((p, rp)), Some((m, rm)))
            if rp.sign == Sign::Plus && rm.sign == Sign::Minus && rp.of == rm.of =>
        {
            if let Some(role) = role.filter(|&r| p.role != r || m.role != r) {
                fail(format!("`{at}`: the rails of `{}` are not of role {}", rp.of, role.name()));
            }
        }
        _ => fail(format!(
            "`{at}`: species {} and {} are not the + and - rails of one value",
            pair.plus.0, pair.minus.0
        )),
    }
}

struct Shown<'a> {
    protocol: &'a Protocol,
    crn: &'a Crn,
}

impl Shown<'_> {
    /// A species by name; an id out of range shows as `#id`, so that an
    /// invalid protocol can still be printed while it is debugged.
    fn species(&self, s: SpeciesId) -> String {
        match self.crn.species.get(s.index()) {
            Some(s) => s.name.clone(),
            None => format!("#{}", s.0),
        }
    }

    fn pair(&self, p: RailPair) -> String {
        format!("{}/{}", self.species(p.plus), self.species(p.minus))
    }

    fn perturbation(&self, p: &Perturbation) -> String {
        match p {
            Perturbation::Load(loads) => {
                let each = loads.iter().map(|l| {
                    let into = match l.into {
                        Slot::Species(s) => self.species(s),
                        Slot::Rails(p) => self.pair(p),
                    };
                    let from = match l.from {
                        Source::Input(i) => format!("input {i}"),
                        Source::Target(i) => format!("target {i}"),
                        Source::Constant(v) => number(v),
                    };
                    format!("{into} = {from}")
                });
                format!("load {}", each.collect::<Vec<_>>().join(", "))
            }
            Perturbation::CopyValues(copies) => {
                let each = copies
                    .iter()
                    .map(|&(from, to)| format!("{} -> {}", self.species(from), self.species(to)));
                format!("copy {}", each.collect::<Vec<_>>().join(", "))
            }
            Perturbation::CancelRails => "cancel rails".to_string(),
            Perturbation::Assign { into, terms } => {
                let mut sum = String::new();
                for (i, &(p, c)) in terms.iter().enumerate() {
                    let sign = match (i, c < 0.0) {
                        (0, false) => "",
                        (0, true) => "-",
                        (_, false) => " + ",
                        (_, true) => " - ",
                    };
                    let factor = if c.abs() == 1.0 { String::new() } else { format!("{} ", number(c.abs())) };
                    sum.push_str(&format!("{sign}{factor}{}", self.pair(p)));
                }
                format!("set {} = {sum}", self.pair(*into))
            }
            Perturbation::ResetTransients => "reset transients".to_string(),
            Perturbation::Set(values) => {
                let each = values.iter().map(|&(s, v)| format!("{} = {}", self.species(s), number(v)));
                format!("set {}", each.collect::<Vec<_>>().join(", "))
            }
            Perturbation::UpdateParameters { rate, pairs } => {
                let each =
                    pairs.iter().map(|u| format!("{} -= {}", self.pair(u.parameter), self.pair(u.gradient)));
                format!(
                    "update parameters at rate {}: {}",
                    number(*rate),
                    each.collect::<Vec<_>>().join(", ")
                )
            }
        }
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phases = self.protocol.phases.len();
        writeln!(f, "protocol of {} ({phases} phase{})", self.crn.name, if phases == 1 { "" } else { "s" })?;
        for phase in &self.protocol.phases {
            let groups: Vec<&str> = phase
                .groups
                .iter()
                .map(|g| self.crn.groups.get(g.index()).map_or("?", String::as_str))
                .collect();
            let duration = match phase.duration {
                Duration::Time(t) => format!("for t = {}", number(t)),
                Duration::SteadyState { tolerance, max_time } => format!(
                    "to steady state (|dx/dt| <= {}, at most t = {})",
                    number(tolerance),
                    number(max_time)
                ),
            };
            writeln!(f, "phase {} (groups {}) {duration}", phase.name, groups.join(", "))?;
            for p in &phase.before {
                writeln!(f, "  before: {}", self.perturbation(p))?;
            }
            for p in &phase.after {
                writeln!(f, "  after: {}", self.perturbation(p))?;
            }
        }
        for p in &self.protocol.after {
            writeln!(f, "after: {}", self.perturbation(p))?;
        }
        Ok(())
    }
}

/// The protocol of a learning circuit, its values resolved in the final
/// `crn`: a signed value to its rail pair (found by role), any other value
/// to its species. `Err` names a value the CRN lacks, which is a bug of the
/// pass that made the protocol.
pub fn resolve(protocol: &crate::ir::learning::Protocol, crn: &Crn) -> Result<Protocol, String> {
    use crate::ir::learning::Step;
    let slot = |value: &str| -> Result<Slot, String> {
        if let Some(pair) = crn.rails_of(value) {
            return Ok(Slot::Rails(pair));
        }
        match crn.species.iter().position(|s| s.name == value) {
            Some(i) => Ok(Slot::Species(SpeciesId(i as u32))),
            None => Err(format!("the protocol names `{value}`, which the CRN does not have")),
        }
    };
    let pair = |value: &str| crn.rails_of(value).ok_or_else(|| format!("`{value}` has no pair of rails"));
    let step = |step: &Step| -> Result<Perturbation, String> {
        Ok(match step {
            Step::ResetTransients => Perturbation::ResetTransients,
            Step::CancelRails => Perturbation::CancelRails,
            Step::Load(loads) => Perturbation::Load(
                loads
                    .iter()
                    .map(|(v, from)| Ok(Load { into: slot(v)?, from: *from }))
                    .collect::<Result<_, String>>()?,
            ),
            Step::Assign { into, terms } => Perturbation::Assign {
                into: pair(into)?,
                terms: terms.iter().map(|(v, c)| Ok((pair(v)?, *c))).collect::<Result<_, String>>()?,
            },
            Step::Update { rate, pairs } => Perturbation::UpdateParameters {
                rate: *rate,
                pairs: pairs
                    .iter()
                    .map(|(p, g)| Ok(Update { parameter: pair(p)?, gradient: pair(g)? }))
                    .collect::<Result<_, String>>()?,
            },
        })
    };
    let phases = protocol
        .phases
        .iter()
        .map(|p| {
            Ok(Phase {
                name: p.name.clone(),
                groups: p.groups.clone(),
                duration: p.duration,
                before: p.before.iter().map(step).collect::<Result<_, String>>()?,
                after: p.after.iter().map(step).collect::<Result<_, String>>()?,
            })
        })
        .collect::<Result<_, String>>()?;
    let after = protocol.after.iter().map(step).collect::<Result<_, String>>()?;
    let resolved = Protocol { phases, after, predict: protocol.predict };
    match validate(&resolved, crn).first() {
        Some(v) => Err(v.0.clone()),
        None => Ok(resolved),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::fixture::{self, Complex};
    use crate::ir::RateLaw;

    /// A learning-shaped network: x (input), z and its reverse-time copy zr
    /// (states), P (parameter) and G (gradient) on rails, a target Y; groups
    /// forward and backward.
    fn net() -> Crn {
        let species = [
            ("x_p", 0.0),
            ("x_m", 0.0),
            ("z_p", 0.0),
            ("z_m", 0.0),
            ("P_p", 1.0),
            ("P_m", 0.0),
            ("G_p", 0.0),
            ("G_m", 0.0),
            ("Y", 0.0),
            ("zr_p", 0.0),
            ("zr_m", 0.0),
        ];
        let s = SpeciesId;
        let reactions: Vec<(Complex, Complex, f64, _)> = vec![
            (vec![(s(0), 1), (s(4), 1)], vec![(s(0), 1), (s(4), 1), (s(2), 1)], 1.0, None),
            (vec![(s(9), 1)], vec![(s(9), 1), (s(6), 1)], 1.0, None),
        ];
        let mut crn = fixture::grouped(
            fixture::crn(RateLaw::MassAction, &species, reactions),
            &["forward", "backward"],
            &[0, 1],
        );
        fixture::rails(&mut crn, 0, "x", Role::Input);
        fixture::rails(&mut crn, 2, "z", Role::State);
        fixture::rails(&mut crn, 4, "P", Role::Parameter);
        fixture::rails(&mut crn, 6, "G", Role::Gradient);
        fixture::rails(&mut crn, 9, "zr", Role::State);
        crn.species[8].role = Role::Target;
        crn
    }

    fn pair(plus: u32) -> RailPair {
        RailPair { plus: SpeciesId(plus), minus: SpeciesId(plus + 1) }
    }

    fn training_step() -> Protocol {
        let load = vec![
            Load { into: Slot::Rails(pair(0)), from: Source::Input(0) },
            Load { into: Slot::Species(SpeciesId(8)), from: Source::Target(0) },
        ];
        Protocol {
            phases: vec![
                Phase {
                    name: "forward".into(),
                    groups: vec![GroupId(0)],
                    duration: Duration::Time(1.0),
                    before: vec![Perturbation::ResetTransients, Perturbation::Load(load)],
                    after: vec![],
                },
                Phase {
                    name: "backward".into(),
                    groups: vec![GroupId(1)],
                    duration: Duration::SteadyState { tolerance: 1e-8, max_time: 40.0 },
                    before: vec![Perturbation::CopyValues(vec![
                        (SpeciesId(2), SpeciesId(9)),
                        (SpeciesId(3), SpeciesId(10)),
                    ])],
                    after: vec![],
                },
            ],
            after: vec![
                Perturbation::UpdateParameters {
                    rate: 0.1,
                    pairs: vec![Update { parameter: pair(4), gradient: pair(6) }],
                },
                Perturbation::CancelRails,
            ],
            predict: 1,
        }
    }

    #[test]
    fn a_training_step_is_valid_and_prints_by_name() {
        let crn = net();
        assert_eq!(validate(&training_step(), &crn), vec![]);
        insta::assert_snapshot!(training_step().display(&crn).to_string());
    }

    #[test]
    fn a_plain_protocol_runs_every_group_for_the_end_time() {
        let crn = net();
        let plain = Protocol::plain(&crn, 5.0);
        assert_eq!(validate(&plain, &crn), vec![]);
        assert_eq!(plain.phases[0].groups, [GroupId(0), GroupId(1)]);
        assert_eq!(
            plain.display(&crn).to_string(),
            "protocol of t (1 phase)\nphase main (groups forward, backward) for t = 5\n"
        );
    }

    #[test]
    fn a_schedule_cuts_main_before_the_end_time() {
        let crn = net();
        let at = |time: f64, name: &str| crate::ir::Assignment {
            time,
            values: vec![(name.to_string(), 2.0)],
            span: crate::source::Span::new(crate::source::FileId(0), 0, 0),
        };
        let schedule = [at(1.5, "Y"), at(4.0, "x_p"), at(9.0, "Y")];
        let protocol = Protocol::scheduled(&crn, 5.0, &schedule).unwrap();
        assert_eq!(
            protocol.display(&crn).to_string(),
            "protocol of t (3 phases)\nphase main (groups forward, backward) for t = 1.5\n\
             phase main@1.5 (groups forward, backward) for t = 2.5\n  before: set Y = 2\n\
             phase main@4 (groups forward, backward) for t = 1\n  before: set x_p = 2\n"
        );
        assert_eq!(Protocol::scheduled(&crn, 5.0, &[]).unwrap(), Protocol::plain(&crn, 5.0));
        let unknown = Protocol::scheduled(&crn, 5.0, &[at(1.0, "W")]).unwrap_err();
        assert_eq!(unknown, "the schedule names `W`, which the CRN does not have");
        let mut broken = protocol.clone();
        broken.phases[1].before = vec![Perturbation::Set(vec![(SpeciesId(11), -1.0)])];
        let found: Vec<String> = validate(&broken, &crn).into_iter().map(|v| v.0).collect();
        assert_eq!(
            found,
            [
                "`main@1.5`: species id 11 is out of range",
                "`main@1.5`: value -1 is not finite and non-negative"
            ]
        );
    }

    #[test]
    fn every_broken_reference_is_reported() {
        let crn = net();
        let broken = |change: &dyn Fn(&mut Protocol)| {
            let mut p = training_step();
            change(&mut p);
            validate(&p, &crn).into_iter().map(|v| v.0).collect::<Vec<_>>()
        };
        type Change = dyn Fn(&mut Protocol);
        let cases: [(&Change, &str); 10] = [
            (&|p| p.phases.clear(), "the protocol has no phase"),
            (&|p| p.phases[1].name = "forward".into(), "phase `forward`: the name is empty or not unique"),
            (
                &|p| p.phases[0].groups = vec![GroupId(2)],
                "phase `forward`: group 2 is out of range or listed twice",
            ),
            (&|p| p.phases[0].groups.clear(), "phase `forward`: runs no group"),
            (
                &|p| p.phases[0].duration = Duration::Time(f64::NAN),
                "phase `forward`: time NaN is not positive",
            ),
            (
                &|p| p.phases[1].before = vec![Perturbation::CopyValues(vec![(SpeciesId(11), SpeciesId(2))])],
                "`backward`: species id 11 is out of range",
            ),
            (
                &|p| {
                    p.phases[0].before = vec![Perturbation::Load(vec![Load {
                        into: Slot::Rails(pair(1)),
                        from: Source::Input(0),
                    }])]
                },
                "`forward`: species 1 and 2 are not the + and - rails of one value",
            ),
            (
                &|p| {
                    p.phases[0].before = vec![Perturbation::Load(vec![Load {
                        into: Slot::Species(SpeciesId(8)),
                        from: Source::Constant(-1.0),
                    }])]
                },
                "`forward`: constant -1 does not fit its slot",
            ),
            (
                &|p| {
                    p.after[0] = Perturbation::UpdateParameters {
                        rate: 0.1,
                        pairs: vec![Update { parameter: pair(6), gradient: pair(4) }],
                    }
                },
                "`after the last phase`: the rails of `G` are not of role parameter",
            ),
            (
                &|p| p.after[0] = Perturbation::UpdateParameters { rate: -1.0, pairs: vec![] },
                "`after the last phase`: learning rate -1 is not finite and non-negative",
            ),
        ];
        for (change, message) in cases {
            let found = broken(change);
            assert!(found.iter().any(|f| f == message), "expected {message:?}, found {found:?}");
        }
    }
}
