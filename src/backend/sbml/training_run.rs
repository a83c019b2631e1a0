//! A whole training run as one SBML model (`crnc compile --training-run`):
//! every reaction of the learning circuit, each kinetic law multiplied by the
//! gate of its group (a parameter that is 1 while a phase runs the group, else
//! 0), and one event per phase boundary doing what the host does there
//! (`sim::protocol::Executor`): load the sample, copy values, cancel rails,
//! reset transients, assign, update parameters, and switch the gates.
//!
//! The perturbations at one boundary (the ending phase's `after`, the
//! protocol's `after` at a sample's end, the next phase's `before`) are
//! composed by substitution into one event whose every assignment reads the
//! values before the boundary, as SBML evaluates all of an event's
//! assignments before it makes any. The first boundary, at time 0, is the
//! initial values; the last, at `t_end`, applies the last sample's update and
//! turns every gate off, so the state holds from then on.

use std::fmt;

use super::{
    Additions, Math, SbmlIds, UnitDefinition, concentration, document, ids, line, number, text, write_math,
};
use crate::crn::protocol::{self, Duration, Perturbation, Protocol, Slot, Source};
use crate::crn::{Crn, RailPair, SpeciesId, Violation};
use crate::ir::Quantity;
use crate::learn::data::Dataset;

/// What the export presents: the samples of `data` in file order, `epochs`
/// times (no reshuffle: `learn::train::train`'s order), from `params`.
pub struct Run<'a> {
    pub data: &'a Dataset,
    pub epochs: usize,
    /// The initial value of each learned parameter: its rails and value.
    pub params: &'a [(RailPair, f64)],
}

#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// The protocol does not fit the CRN: a bug in whoever built it.
    Invalid(Vec<Violation>),
    /// A sample the protocol cannot load (0-based, in the run's order).
    Load { sample: usize, why: String },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(v) => f.write_str(&protocol::does_not_fit(v)),
            Error::Load { sample, why } => write!(f, "sample {} of the run: {why}", sample + 1),
        }
    }
}

impl std::error::Error for Error {}

/// The SBML document of the run. The model is named `<network>_training_run`.
pub fn write(crn: &Crn, protocol: &Protocol, run: &Run<'_>) -> Result<String, Error> {
    let violations = protocol::validate(protocol, crn);
    if !violations.is_empty() {
        return Err(Error::Invalid(violations));
    }
    let mut start = crn.initial_concentrations();
    for &(pair, v) in run.params {
        pair.set(&mut start, v);
    }
    let switches = Schedule::new(crn, protocol).switches(run)?;
    let (first, events) = switches.split_first().expect("a run has its end");
    let mut exported = crn.clone();
    exported.name = format!("{}_training_run", crn.name);
    for (s, value) in exported.species.iter_mut().zip(&first.values) {
        let x = value.eval(&start);
        s.initial = match s.quantity {
            Quantity::Concentration => x,
            Quantity::Amount => x * crn.size(s),
        };
    }
    let ids = ids(&exported);
    let mut ns = super::Namespace::around(&ids);
    let names = Names {
        gates: crn.groups.iter().map(|g| ns.fresh(&format!("gate_{g}"))).collect(),
        t_end: ns.fresh("t_end"),
        concentration: ns.fresh("mole_per_litre"),
        events: (1..=events.len()).map(|k| ns.fresh(&format!("switch_{k}"))).collect(),
    };
    let t_end = switches.last().map_or(0.0, |s| s.time);
    let mut parameters: Vec<String> = crn
        .groups
        .iter()
        .zip(&names.gates)
        .enumerate()
        .map(|(g, (group, id))| {
            format!(
                r#"<parameter id="{id}" name="{}" value="{}" units="dimensionless" constant="false"/>"#,
                text(&format!("gate of group {group}")),
                u8::from(first.gates[g])
            )
        })
        .collect();
    parameters.push(format!(
        r#"<parameter id="{}" name="end of the training run" value="{}" units="second" constant="true"/>"#,
        names.t_end,
        number(t_end)
    ));
    let samples = run.data.len() * run.epochs;
    let notes = vec![
        format!(
            "A whole training run of {}: {} training samples in file order, {} epoch{} ({samples} steps), from the \
             initial parameters in the species' initial values; the protocol's phases run one after another.",
            crn.name,
            run.data.len(),
            run.epochs,
            if run.epochs == 1 { "" } else { "s" }
        ),
        "Each kinetic law is multiplied by the gate of its reaction group (gate_GROUP, 1 while a phase runs the \
         group, else 0). The initial values are the state after the first sample's load; each event switch_K at \
         a phase boundary sets the gates and does in one step what the host does there (load the next sample, \
         copy values, cancel rails, reset transients, assign, update parameters), every assignment reading the \
         values before the event."
            .to_string(),
        format!(
            "A steady-state phase runs for its time cap. The run ends at t_end = {}, when the last event applies \
             the last update and turns every gate off: simulate to t_end or beyond, and read the parameters' \
             rails.",
            number(t_end)
        ),
    ];
    let mut out = String::new();
    write_events(&mut out, &exported, &ids, &names, &switches);
    let mut reserved = names.gates.clone();
    reserved.extend([names.t_end.clone(), names.concentration.clone()]);
    reserved.extend(names.events.iter().cloned());
    let additions = Additions {
        reserved,
        notes,
        units: vec![UnitDefinition {
            id: names.concentration.clone(),
            name: "concentration".to_string(),
            units: vec![("mole", 1), ("litre", -1)],
        }],
        gates: names.gates.clone(),
        parameters,
        events: out,
    };
    Ok(super::text_of(|out| document(&exported, &ids, &additions, out)))
}

/// The ids the run adds to the document.
struct Names {
    /// Per CRN group.
    gates: Vec<String>,
    t_end: String,
    /// The unit of a concentration constant.
    concentration: String,
    /// Per switch after the first.
    events: Vec<String>,
}

/// One phase boundary: from `time`, the groups in `gates` run, after every
/// species has been set to its value (in the values before the boundary).
struct Switch {
    time: f64,
    label: String,
    values: Vec<Value>,
    gates: Vec<bool>,
}

/// The protocol laid out in time.
struct Schedule<'a> {
    crn: &'a Crn,
    protocol: &'a Protocol,
    rails: Vec<RailPair>,
    initial: Vec<f64>,
}

impl<'a> Schedule<'a> {
    fn new(crn: &'a Crn, protocol: &'a Protocol) -> Schedule<'a> {
        Schedule { crn, protocol, rails: crn.rail_pairs(), initial: crn.initial_concentrations() }
    }

    /// Every boundary of the run, the first at time 0, the last at its end
    /// with every gate off.
    fn switches(&self, run: &Run<'_>) -> Result<Vec<Switch>, Error> {
        let identity = || (0..self.crn.species.len()).map(|s| Value::Species(SpeciesId(s as u32))).collect();
        let mut values: Vec<Value> = identity();
        let mut switches = Vec::new();
        let mut time = 0.0;
        let order = (0..run.epochs).flat_map(|epoch| run.data.samples().map(move |s| (epoch, s)));
        for (k, (epoch, (inputs, target))) in order.enumerate() {
            let sample = Sample { inputs, target, index: k };
            for phase in &self.protocol.phases {
                for p in &phase.before {
                    self.apply(p, &mut values, &sample)?;
                }
                let mut gates = vec![false; self.crn.groups.len()];
                for g in &phase.groups {
                    gates[g.index()] = true;
                }
                let label = format!("epoch {}, sample {}: {}", epoch + 1, k % run.data.len() + 1, phase.name);
                switches.push(Switch {
                    time,
                    label,
                    values: std::mem::replace(&mut values, identity()),
                    gates,
                });
                time += match phase.duration {
                    Duration::Time(t) => t,
                    // The executor's cap, by which the phase must have settled.
                    Duration::SteadyState { max_time, .. } => max_time,
                };
                for p in &phase.after {
                    self.apply(p, &mut values, &sample)?;
                }
            }
            for p in &self.protocol.after {
                self.apply(p, &mut values, &sample)?;
            }
        }
        let gates = vec![false; self.crn.groups.len()];
        switches.push(Switch { time, label: "end of the run".to_string(), values, gates });
        Ok(switches)
    }

    /// `p` after the perturbations already in `values`, as `Executor::apply` does it.
    fn apply(&self, p: &Perturbation, values: &mut [Value], sample: &Sample<'_>) -> Result<(), Error> {
        let value = |pair: RailPair, values: &[Value]| {
            Value::sum(vec![
                (1.0, values[pair.plus.index()].clone()),
                (-1.0, values[pair.minus.index()].clone()),
            ])
        };
        let set = |pair: RailPair, v: Value, values: &mut [Value]| {
            values[pair.minus.index()] = Value::positive(Value::sum(vec![(-1.0, v.clone())]));
            values[pair.plus.index()] = Value::positive(v);
        };
        match p {
            Perturbation::Load(loads) => {
                for load in loads {
                    let v = self.loaded(load.from, sample)?;
                    match load.into {
                        Slot::Species(s) if v < 0.0 => {
                            let name = &self.crn.species(s).name;
                            let why = format!(
                                "loads {} into `{name}`, a single-rail species, which cannot be negative",
                                number(v)
                            );
                            return Err(Error::Load { sample: sample.index, why });
                        }
                        Slot::Species(s) => values[s.index()] = Value::Constant(v),
                        Slot::Rails(pair) => set(pair, Value::Constant(v), values),
                    }
                }
            }
            Perturbation::CopyValues(copies) => {
                let read: Vec<Value> = copies.iter().map(|&(from, _)| values[from.index()].clone()).collect();
                for (&(_, to), v) in copies.iter().zip(read) {
                    values[to.index()] = v;
                }
            }
            Perturbation::Assign { into, terms } => {
                let v = Value::sum(terms.iter().map(|&(pair, c)| (c, value(pair, values))).collect());
                set(*into, v, values);
            }
            Perturbation::CancelRails => {
                for &pair in &self.rails {
                    let v = value(pair, values);
                    set(pair, v, values);
                }
            }
            Perturbation::ResetTransients => {
                for ((v, s), &initial) in values.iter_mut().zip(&self.crn.species).zip(&self.initial) {
                    if !s.role.is_learned() {
                        *v = Value::Constant(initial);
                    }
                }
            }
            Perturbation::Set(set) => {
                for &(s, v) in set {
                    values[s.index()] =
                        Value::Constant(crate::sim::schedule::concentration(self.crn, s.index(), v));
                }
            }
            Perturbation::UpdateParameters { rate, pairs } => {
                for u in pairs {
                    let (gp, gm) =
                        (values[u.gradient.plus.index()].clone(), values[u.gradient.minus.index()].clone());
                    let (pp, pm) = (u.parameter.plus.index(), u.parameter.minus.index());
                    values[pp] = Value::sum(vec![(1.0, values[pp].clone()), (*rate, gm)]);
                    values[pm] = Value::sum(vec![(1.0, values[pm].clone()), (*rate, gp)]);
                }
            }
        }
        Ok(())
    }

    fn loaded(&self, source: Source, sample: &Sample<'_>) -> Result<f64, Error> {
        // A data set has one target column.
        let missing =
            |what: String| Error::Load { sample: sample.index, why: format!("the sample has no {what}") };
        match source {
            Source::Constant(v) => Ok(v),
            Source::Input(i) => sample.inputs.get(i).copied().ok_or_else(|| missing(format!("input {i}"))),
            Source::Target(0) => Ok(sample.target),
            Source::Target(i) => Err(missing(format!("target {i}"))),
        }
    }
}

struct Sample<'a> {
    inputs: &'a [f64],
    target: f64,
    /// In the run's order.
    index: usize,
}

/// A species' value after some perturbations, in the values before them.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Constant(f64),
    Species(SpeciesId),
    /// Σ c·v, with at least two terms or a coefficient other than 1.
    Sum(Vec<(f64, Value)>),
    /// max(0, v).
    Positive(Box<Value>),
}

impl Value {
    /// Σ c·v, nested sums flattened, constants added up, zero terms dropped.
    fn sum(terms: Vec<(f64, Value)>) -> Value {
        let mut constant = 0.0;
        let mut flat: Vec<(f64, Value)> = Vec::new();
        let add =
            |c: f64, v: Value, flat: &mut Vec<(f64, Value)>| match flat.iter_mut().find(|(_, w)| *w == v) {
                Some((d, _)) => *d += c,
                None => flat.push((c, v)),
            };
        for (c, v) in terms {
            match v {
                Value::Constant(x) => constant += c * x,
                Value::Sum(inner) => {
                    for (d, w) in inner {
                        match w {
                            Value::Constant(x) => constant += c * d * x,
                            w => add(c * d, w, &mut flat),
                        }
                    }
                }
                v => add(c, v, &mut flat),
            }
        }
        flat.retain(|(c, _)| *c != 0.0);
        if constant != 0.0 {
            flat.push((constant, Value::Constant(1.0)));
        }
        match flat.len() {
            0 => Value::Constant(0.0),
            1 if flat[0].0 == 1.0 => flat.pop().expect("one term").1,
            1 if matches!(flat[0].1, Value::Constant(_)) => Value::Constant(flat[0].0),
            _ => Value::Sum(flat),
        }
    }

    fn positive(v: Value) -> Value {
        match v {
            Value::Constant(x) => Value::Constant(x.max(0.0)),
            // A value already clipped at 0 stays so.
            Value::Positive(_) => v,
            v => Value::Positive(Box::new(v)),
        }
    }

    /// The value at the state `x` (concentrations) before the perturbations.
    fn eval(&self, x: &[f64]) -> f64 {
        match self {
            Value::Constant(c) => *c,
            Value::Species(s) => x[s.index()],
            Value::Sum(terms) => terms.iter().map(|(c, v)| c * v.eval(x)).sum(),
            Value::Positive(v) => v.eval(x).max(0.0),
        }
    }

    /// MathML in concentration units (`unit` is the id of mole per litre).
    fn math(&self, crn: &Crn, ids: &SbmlIds, unit: &str) -> Math {
        match self {
            Value::Constant(c) => Math::quantity(*c, Some(unit.to_string())),
            Value::Species(s) => concentration(crn, ids, *s),
            Value::Sum(terms) => {
                let term = |(c, v): &(f64, Value)| match (*c, v) {
                    (c, Value::Constant(x)) => Math::quantity(c * x, Some(unit.to_string())),
                    (1.0, v) => v.math(crn, ids, unit),
                    (-1.0, v) => Math::Apply("minus", vec![v.math(crn, ids, unit)]),
                    (c, v) => Math::Apply("times", vec![Math::dimensionless(c), v.math(crn, ids, unit)]),
                };
                Math::Apply("plus", terms.iter().map(term).collect())
            }
            Value::Positive(v) => {
                Math::Apply("max", vec![Math::quantity(0.0, Some(unit.to_string())), v.math(crn, ids, unit)])
            }
        }
    }
}

/// The `<listOfEvents>` of every switch after the first.
fn write_events(o: &mut String, crn: &Crn, ids: &SbmlIds, names: &Names, switches: &[Switch]) {
    if switches.len() < 2 {
        return;
    }
    line(o, 2, "<listOfEvents>");
    for (k, pair) in switches.windows(2).enumerate() {
        let (before, switch) = (&pair[0], &pair[1]);
        line(
            o,
            3,
            &format!(
                r#"<event id="{}" name="{}" useValuesFromTriggerTime="true">"#,
                names.events[k],
                text(&switch.label)
            ),
        );
        line(o, 4, r#"<trigger initialValue="false" persistent="true">"#);
        let at =
            Math::Apply("geq", vec![Math::Time, Math::quantity(switch.time, Some("second".to_string()))]);
        write_math(o, 5, &at);
        line(o, 4, "</trigger>");
        line(o, 4, "<listOfEventAssignments>");
        for (g, id) in names.gates.iter().enumerate().filter(|&(g, _)| before.gates[g] != switch.gates[g]) {
            line(o, 5, &format!(r#"<eventAssignment variable="{id}">"#));
            write_math(o, 6, &Math::dimensionless(f64::from(u8::from(switch.gates[g]))));
            line(o, 5, "</eventAssignment>");
        }
        for (s, value) in switch.values.iter().enumerate() {
            let id = SpeciesId(s as u32);
            if *value == Value::Species(id) {
                continue;
            }
            let mut math = value.math(crn, ids, &names.concentration);
            if crn.species(id).quantity == Quantity::Amount {
                math = Math::Apply("times", vec![math, Math::Ci(ids.compartment_of(crn, id).to_string())]);
            }
            line(o, 5, &format!(r#"<eventAssignment variable="{}">"#, ids.species[s]));
            write_math(o, 6, &math);
            line(o, 5, "</eventAssignment>");
        }
        line(o, 4, "</listOfEventAssignments>");
        line(o, 3, "</event>");
    }
    line(o, 2, "</listOfEvents>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::fixture;
    use crate::crn::protocol::{Load, Phase, Update};
    use crate::crn::{GroupId, Role};
    use crate::ir::RateLaw;
    use crate::sim::ode::OdeOptions;
    use crate::sim::protocol::{Executor, Sample as HostSample};

    const X: SpeciesId = SpeciesId(0);
    const Y: SpeciesId = SpeciesId(1);

    /// Rails of x (input, s0-s1), z (state, s2-s3), P (parameter, s4-s5), G
    /// (gradient, s6-s7); a single-rail target T (s8); D (s9), the one
    /// species the phases' reactions touch (`a`: D -> 0, `b`: D -> 0 @ 2).
    fn circuit() -> (Crn, Protocol) {
        let d = SpeciesId(9);
        let species = [
            ("x_p", 0.0),
            ("x_m", 0.0),
            ("z_p", 0.0),
            ("z_m", 0.0),
            ("P_p", 0.9),
            ("P_m", 0.3),
            ("G_p", 0.0),
            ("G_m", 0.0),
            ("T", 0.0),
            ("D", 1.0),
        ];
        let reactions = vec![(vec![(d, 1)], vec![], 1.0, None), (vec![(d, 1)], vec![], 2.0, None)];
        let mut crn =
            fixture::grouped(fixture::crn(RateLaw::MassAction, &species, reactions), &["a", "b"], &[0, 1]);
        for (at, value, role) in [
            (0, "x", Role::Input),
            (2, "z", Role::State),
            (4, "P", Role::Parameter),
            (6, "G", Role::Gradient),
        ] {
            fixture::rails(&mut crn, at, value, role);
        }
        crn.species[8].role = Role::Target;
        let pair = |p: u32| RailPair { plus: SpeciesId(p), minus: SpeciesId(p + 1) };
        let (x, z, p, g) = (pair(0), pair(2), pair(4), pair(6));
        let load = Perturbation::Load(vec![
            Load { into: Slot::Rails(x), from: Source::Input(0) },
            Load { into: Slot::Rails(z), from: Source::Constant(-0.5) },
            Load { into: Slot::Species(SpeciesId(8)), from: Source::Target(0) },
        ]);
        let phases = vec![
            Phase {
                name: "a".into(),
                groups: vec![GroupId(0)],
                duration: Duration::Time(1.0),
                before: vec![Perturbation::ResetTransients, Perturbation::CancelRails, load],
                after: vec![Perturbation::CopyValues(vec![(x.plus, z.minus), (z.minus, x.minus)])],
            },
            Phase {
                name: "b".into(),
                groups: vec![GroupId(1)],
                duration: Duration::SteadyState { tolerance: 1e-3, max_time: 20.0 },
                before: vec![Perturbation::Assign { into: g, terms: vec![(z, 2.0), (x, -1.0)] }],
                after: vec![],
            },
        ];
        let update =
            Perturbation::UpdateParameters { rate: 0.3, pairs: vec![Update { parameter: p, gradient: g }] };
        (crn, Protocol { phases, after: vec![update], predict: 1 })
    }

    fn data(rows: &[(f64, f64)]) -> Dataset {
        let mut data = Dataset::new(vec!["x".into()], "y");
        for &(x, y) in rows {
            data.push(&[x], y);
        }
        data
    }

    #[test]
    fn the_switches_applied_in_turn_do_what_the_host_does() {
        let (crn, protocol) = circuit();
        let samples = data(&[(0.7, 2.0), (-1.2, 0.5)]);
        let run = Run { data: &samples, epochs: 2, params: &[] };
        let switches = Schedule::new(&crn, &protocol).switches(&run).unwrap();
        // Two phases per sample (1 and the cap 20), four samples, then the end.
        let times: Vec<f64> = switches.iter().map(|s| s.time).collect();
        assert_eq!(times, [0.0, 1.0, 21.0, 22.0, 42.0, 43.0, 63.0, 64.0, 84.0]);
        let gates: Vec<Vec<bool>> = switches.iter().map(|s| s.gates.clone()).collect();
        assert_eq!(gates[..3], [vec![true, false], vec![false, true], vec![true, false]]);
        assert_eq!(gates[8], [false, false]);
        assert_eq!(switches[7].label, "epoch 2, sample 2: b");

        let mut host = crn.initial_concentrations();
        let mut executor = Executor::new(&crn, &protocol, OdeOptions::default()).unwrap();
        for _ in 0..2 {
            for (inputs, target) in samples.samples() {
                let sample = HostSample { inputs, targets: &[target] };
                executor.run(&mut host, Some(&sample), |_, _, _| {}).unwrap();
            }
        }
        let mut exported = crn.initial_concentrations();
        for switch in &switches {
            exported = switch.values.iter().map(|v| v.eval(&exported)).collect();
        }
        // D is the phases' business; every other species is the perturbations'.
        for (s, (e, h)) in exported.iter().zip(&host).enumerate().take(9) {
            assert!((e - h).abs() <= 1e-15, "{}: exported {e}, host {h}", crn.species[s].name);
        }
        assert!(host[4] != 0.9 && host[4] - host[5] != 0.6, "the parameter moved: {host:?}");
    }

    #[test]
    fn a_negative_value_for_a_single_rail_species_names_its_sample() {
        let (crn, protocol) = circuit();
        let samples = data(&[(0.7, 2.0), (0.1, -0.5)]);
        let run = Run { data: &samples, epochs: 1, params: &[] };
        let err = write(&crn, &protocol, &run).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sample 2 of the run: loads -0.5 into `T`, a single-rail species, which cannot be negative"
        );
    }

    #[test]
    fn the_document_gates_each_group_and_ends_at_t_end() {
        let (crn, protocol) = circuit();
        let samples = data(&[(0.7, 2.0)]);
        let run = Run {
            data: &samples,
            epochs: 1,
            params: &[(RailPair { plus: SpeciesId(4), minus: SpeciesId(5) }, -0.25)],
        };
        let doc = write(&crn, &protocol, &run).unwrap();
        assert_eq!(doc.matches("<event ").count(), 2);
        assert!(doc.contains(r#"<parameter id="gate_a" name="gate of group a" value="1" units="dimensionless" constant="false"/>"#), "{doc}");
        assert!(doc.contains(r#"<parameter id="t_end" name="end of the training run" value="21" units="second" constant="true"/>"#));
        // The initial parameter -0.25 on its rails, then cancelled: P_m starts at 0.25.
        assert!(
            doc.contains(r#"<species id="P_m" name="P_m" compartment="c" initialConcentration="0.25""#),
            "{doc}"
        );
        let squashed: String = doc.lines().map(str::trim).collect();
        assert!(squashed.contains("<apply><times/><ci>gate_b</ci><ci>c</ci>"), "{doc}");
    }

    #[test]
    fn sums_flatten_and_cancel() {
        let x = Value::Species(X);
        let inner = Value::sum(vec![(1.0, x.clone()), (2.0, Value::Constant(3.0))]);
        let v = Value::sum(vec![(2.0, inner), (-2.0, x.clone())]);
        assert_eq!(v, Value::Constant(12.0));
        assert_eq!(Value::sum(vec![(1.0, x.clone())]), x);
        assert_eq!(Value::positive(Value::Constant(-1.0)), Value::Constant(0.0));
        let d = Value::sum(vec![(1.0, x.clone()), (-1.0, Value::Species(Y))]);
        assert_eq!(d.eval(&[5.0, 7.0]), -2.0);
        assert_eq!(Value::positive(d).eval(&[5.0, 7.0]), 0.0);
    }
}
