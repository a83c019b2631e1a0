//! The SBML export cross-checked by independent tools: libSBML validates each
//! document with unit and modeling-practice checks on (zero errors, zero
//! warnings), and libRoadRunner must read back the stoichiometry and the
//! initial reaction rates that crnc computes itself.
//!
//! Needs a python with python-libsbml and libroadrunner: `CRNC_PYTHON`, else
//! `.venv/bin/python` (created by `scripts/test`). Without one the tests fail
//! rather than skip, so a missing venv cannot pass CI unnoticed.

mod common;

use common::sbml_external::{assert_external_sbml_ok, expected, run_checker, write_model};
use crnc::backend::sbml;
use crnc::crn::{
    Compartment, Crn, GroupId, LawTerm, MAIN_GROUP, Metadata, Origin, Parameter, Partner, Reaction, Species,
    SpeciesId,
};
use crnc::ir::{Quantity, RateLaw};
use serde_json::json;

// ---- hand-built networks ----

struct Net(Crn);

impl Net {
    fn new(name: &str, rate_law: RateLaw, volume: f64) -> Net {
        Net(Crn {
            name: name.into(),
            rate_law,
            volume,
            compartments: vec![],
            species: vec![],
            parameters: vec![],
            reactions: vec![],
            metadata: Metadata { source: format!("{name}.crnl"), generator: "crnc test".into() },
            groups: vec![MAIN_GROUP.into()],
        })
    }

    fn species(mut self, name: &str, initial: f64, quantity: Quantity) -> Net {
        self.0.species.push(Species::plain(name, initial, quantity));
        self
    }

    /// A compartment of its own size (`compartment name = size;`).
    fn compartment(mut self, name: &str, size: f64) -> Net {
        self.0.compartments.push(Compartment { name: name.into(), size, origin: Origin::default() });
        self
    }

    /// Puts the last species in a compartment (`species in compartment ...`).
    fn inside(mut self, compartment: &str) -> Net {
        self.0.species.last_mut().expect("a species first").compartment = Some(compartment.into());
        self
    }

    fn conc(self, name: &str, initial: f64) -> Net {
        self.species(name, initial, Quantity::Concentration)
    }

    fn param(mut self, name: &str, value: f64) -> Net {
        self.0.parameters.push(Parameter { name: name.into(), value, origin: Origin::default() });
        self
    }

    fn complex(&self, side: &[(&str, u32)]) -> Vec<(SpeciesId, u32)> {
        side.iter()
            .map(|&(name, n)| {
                let i = self.0.species.iter().position(|s| s.name == name).expect("declared species");
                (SpeciesId(i as u32), n)
            })
            .collect()
    }

    fn rate(&self, rate: Rate) -> (f64, Option<usize>) {
        match rate {
            Rate::K(v) => (v, None),
            Rate::Param(name) => {
                let p = self.0.parameters.iter().position(|p| p.name == name).expect("declared parameter");
                (self.0.parameters[p].value, Some(p))
            }
        }
    }

    fn reaction(mut self, reactants: &[(&str, u32)], products: &[(&str, u32)], rate: Rate) -> Net {
        let (rate, rate_param) = self.rate(rate);
        let r = Reaction {
            reactants: self.complex(reactants),
            products: self.complex(products),
            rate,
            rate_param,
            partner: None,
            label: None,
            origin: Origin::default(),
            law: None,
            group: GroupId::MAIN,
        };
        self.0.reactions.push(r);
        self
    }

    /// A reversible pair, split the way lowering splits it.
    fn reversible(mut self, reactants: &[(&str, u32)], products: &[(&str, u32)], kf: Rate, kr: Rate) -> Net {
        let at = self.0.reactions.len();
        self = self.reaction(reactants, products, kf).reaction(products, reactants, kr);
        self.0.reactions[at].partner = Some(Partner::Reverse(at + 1));
        self.0.reactions[at + 1].partner = Some(Partner::Forward(at));
        self
    }

    /// Labels the last reaction, or the last pair as lowering does (the
    /// reverse half gets `_reverse`).
    fn label(mut self, label: &str) -> Net {
        let last = self.0.reactions.len() - 1;
        match self.0.reactions[last].partner {
            Some(Partner::Forward(i)) => {
                self.0.reactions[i].label = Some(label.into());
                self.0.reactions[last].label = Some(format!("{label}_reverse"));
            }
            _ => self.0.reactions[last].label = Some(label.into()),
        }
        self
    }

    fn build(self) -> Crn {
        let violations = crnc::crn::validate(&self.0);
        assert!(violations.is_empty(), "test network breaks the CRN invariants: {violations:?}");
        self.0
    }
}

#[derive(Clone, Copy)]
enum Rate {
    K(f64),
    Param(&'static str),
}
use Rate::{K, Param};

fn reversible_with_catalyst() -> Crn {
    Net::new("binding", RateLaw::MassAction, 1.0)
        .conc("A", 1.5)
        .conc("E", 0.2)
        .conc("B", 0.7)
        .conc("C", 0.0)
        .param("kon", 3.0)
        .param("koff", 0.25)
        .reversible(&[("A", 1), ("E", 1)], &[("B", 1), ("E", 1)], Param("kon"), Param("koff"))
        .label("bind")
        .reaction(&[("B", 1), ("E", 1)], &[("C", 1), ("E", 1)], K(1.25))
        .reaction(&[("C", 1)], &[], K(1e-7))
        .build()
}

fn amounts_in_volume() -> Crn {
    Net::new("amounts", RateLaw::MassAction, 2.5)
        .species("X", 5.0, Quantity::Amount)
        .species("Y", 2.0, Quantity::Amount)
        .conc("Z", 0.4)
        .reaction(&[("X", 1), ("Y", 1)], &[("Z", 1)], K(0.75))
        .reaction(&[("X", 2)], &[("Y", 1)], K(0.5))
        .reaction(&[("Z", 1), ("X", 1)], &[("X", 2)], K(1.5))
        .reversible(&[("Y", 1)], &[("Z", 2)], K(0.3), K(0.1))
        .reaction(&[], &[("X", 1)], K(0.05))
        .build()
}

/// Species in three compartments (one named `c`, as the reaction
/// compartment's id would be), amounts among them, and reactions across them.
fn compartments() -> Crn {
    Net::new("compartments", RateLaw::Combinatoric, 2.0)
        .compartment("c", 0.5)
        .compartment("outside", 8.0)
        .conc("S", 3.0)
        .conc("N", 1.5)
        .inside("c")
        .species("E", 6.0, Quantity::Amount)
        .inside("outside")
        .conc("P", 0.25)
        .inside("outside")
        .reaction(&[("S", 1), ("N", 2)], &[("N", 3)], K(0.4))
        .reversible(&[("N", 1)], &[("P", 1)], K(0.3), K(0.2))
        .reaction(&[("E", 1), ("S", 1)], &[("E", 1), ("P", 1)], K(0.05))
        .reaction(&[("E", 2)], &[("E", 1)], K(0.01))
        .build()
}

fn combinatoric() -> Crn {
    Net::new("combinatoric", RateLaw::Combinatoric, 1.0)
        .conc("A", 2.0)
        .conc("B", 3.0)
        .conc("C", 0.0)
        .conc("D", 10.0)
        .param("k3", 0.125)
        .reaction(&[("A", 2), ("B", 1)], &[("C", 1)], K(0.5))
        .reaction(&[("A", 3)], &[("A", 1)], Param("k3"))
        .reversible(&[("A", 2)], &[("C", 1)], K(1.0), K(2.0))
        // 25! exceeds 2^53: exercises the divisor in MathML e-notation.
        .reaction(&[("D", 25)], &[], K(1.0))
        .build()
}

/// 200! is beyond f64, so the divisor is left to MathML's `factorial`.
fn huge_coefficient() -> Crn {
    Net::new("huge", RateLaw::Combinatoric, 1.0)
        .conc("E", 1.0)
        .reaction(&[("E", 200)], &[("E", 199)], K(1.0))
        .build()
}

fn zero_order_source() -> Crn {
    Net::new("source", RateLaw::MassAction, 1.0)
        .conc("A", 0.0)
        .param("inflow", 0.05)
        .reaction(&[], &[("A", 1)], Param("inflow"))
        .reaction(&[("A", 1)], &[], K(0.1))
        .build()
}

fn names_needing_care() -> Crn {
    Net::new("1 odd-net", RateLaw::Combinatoric, 0.5)
        .conc("c", 1.0)
        .conc("1x", 2.0)
        .conc("a.b", 0.5)
        .conc("a_b", 0.25)
        .species("k", 3.0, Quantity::Amount)
        .conc("R1", 1.0)
        .param("per_second", 2.0)
        .param("kf", 0.5)
        .reaction(&[("c", 1)], &[("1x", 2)], Param("per_second"))
        .label("c")
        // The same parameter at order 2: its units conflict, so a local takes over.
        .reaction(&[("a.b", 1), ("a_b", 1)], &[("k", 1)], Param("per_second"))
        .reversible(&[("k", 2)], &[("R1", 1)], Param("kf"), K(4.0))
        .label("R1")
        .reaction(&[("1x", 1)], &[("c", 1)], K(1.0))
        .build()
}

/// A rate law (`2 P -> P2 @ law(0.001 P^2 - 0.001 P)`, `0 -> P @ law(2 + 0.5 P2)`)
/// written as the kinetic law itself.
fn rate_laws() -> Crn {
    let mut crn = Net::new("laws", RateLaw::MassAction, 1.0)
        .conc("P", 40.0)
        .conc("P2", 3.0)
        .reaction(&[("P", 2)], &[("P2", 1)], K(1.0))
        .reaction(&[], &[("P", 1)], K(1.0))
        .build();
    let term = |coefficient, factors: &[(u32, u32)]| LawTerm {
        coefficient,
        factors: factors.iter().map(|&(s, e)| (SpeciesId(s), e)).collect(),
    };
    crn.reactions[0].law = Some(vec![term(0.001, &[(0, 2)]), term(-0.001, &[(0, 1)])]);
    crn.reactions[1].law = Some(vec![term(2.0, &[]), term(0.5, &[(1, 1)])]);
    crn
}

#[test]
fn reactions_with_rate_laws() {
    assert_external_sbml_ok(&rate_laws(), "laws");
}

#[test]
fn reversible_reaction_with_catalyst() {
    assert_external_sbml_ok(&reversible_with_catalyst(), "binding");
}

#[test]
fn amount_species_in_a_volume_of_2_5() {
    assert_external_sbml_ok(&amounts_in_volume(), "amounts");
}

#[test]
fn species_in_compartments_of_different_sizes() {
    let crn = compartments();
    let ids = sbml::ids(&crn);
    assert_eq!(ids.compartments, ["c", "outside"]);
    assert_eq!(ids.compartment, "c_1");
    assert_external_sbml_ok(&crn, "compartments");
}

#[test]
fn combinatoric_rate_law() {
    assert_external_sbml_ok(&combinatoric(), "combinatoric");
}

#[test]
fn coefficient_whose_factorial_overflows() {
    assert_external_sbml_ok(&huge_coefficient(), "huge");
}

#[test]
fn zero_order_source_reaction() {
    assert_external_sbml_ok(&zero_order_source(), "source");
}

#[test]
fn species_named_c_and_names_needing_sanitising() {
    let crn = names_needing_care();
    let ids = sbml::ids(&crn);
    assert_eq!(ids.species, ["c", "_1x", "a_b_1", "a_b", "k", "R1"]);
    assert_ne!(ids.compartment, "c");
    let reactions: Vec<&str> = ids.reactions.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(reactions, ["c_2", "R2", "R1_1", "R4"]);
    assert_external_sbml_ok(&crn, "names");
}

/// Guards against a checker that passes everything.
#[test]
fn checker_rejects_a_wrong_rate() {
    let crn = reversible_with_catalyst();
    let (_dir, model) = write_model(&crn, "binding");
    let mut wrong = expected(&crn);
    wrong["rates"][0] = json!(wrong["rates"][0].as_f64().unwrap() * (1.0 + 1e-6));
    let out = run_checker(&model, &wrong);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
}

/// Guards against a checker that ignores libSBML's unit warnings.
#[test]
fn checker_rejects_numbers_without_units() {
    let crn = combinatoric();
    let (_dir, model) = write_model(&crn, "combinatoric");
    let doc = std::fs::read_to_string(&model).unwrap().replace(r#" sbml:units="dimensionless""#, "");
    std::fs::write(&model, doc).unwrap();
    let out = run_checker(&model, &expected(&crn));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("99505"), "{stdout}");
}

// ---- the bundled examples ----

#[test]
fn every_example_passes_libsbml_and_matches_roadrunner() {
    let mut checked = 0;
    for (stem, crns) in common::compiled_examples() {
        for crn in &crns {
            assert_external_sbml_ok(crn, &format!("{stem}-{}", crn.name));
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} example networks were checked");
}

// ---- scheduled assignments as events ----

/// `at T: X = v;` as SBML events: libSBML finds no error or warning, and libRoadRunner's
/// trajectory through the events matches crnc's ODE run of the same schedule.
#[test]
fn a_schedule_is_events_that_libroadrunner_runs_like_crnc() {
    use crnc::sim::run::{self, RunSettings};
    use crnc::sim::schedule;
    let src = "network Scheduled { volume = 2; species X = 1, Y; species amount Z = 4; \
               X -> Y @ 1; 0 -> X @ 0.5; Y + Z -> Z @ 0.25; at 1.5: X = 2, Z = 1; at 2.25: Y = 0; \
               simulate { t_end = 3; } }";
    let fs = crnc::source::MemoryFs::new().with("s.crnl", src);
    let lowered = common::compile(&fs, std::path::Path::new("s.crnl"), None, None).unwrap();
    let (t_end, points) = (3.0, 24);
    let cuts = schedule::cuts(&lowered.protocol, t_end);
    assert_eq!(cuts.iter().map(|c| c.time).collect::<Vec<_>>(), [1.5, 2.25]);
    let crn = &lowered.crn;
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("scheduled.xml");
    std::fs::write(&model, sbml::schedule::write(crn, &cuts)).unwrap();
    let out = run_checker(&model, &expected(crn));
    print!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let trajectory = dir.path().join("rr.csv");
    let status = std::process::Command::new(common::sbml_external::python())
        .arg(common::root().join("scripts/roadrunner_simulate.py"))
        .args([model.to_str().unwrap(), "3", &points.to_string(), "1e-10", "1e-14"])
        .arg(&trajectory)
        .status()
        .expect("python runs");
    assert_eq!(status.code(), Some(0), "libRoadRunner failed");
    let settings = RunSettings { t_end, points, rtol: 1e-10, atol: 1e-14, ..RunSettings::DEFAULT };
    let ours = run::simulate_scheduled(crn, &cuts, &settings).unwrap();
    let text = std::fs::read_to_string(&trajectory).unwrap();
    let width = crn.species.len();
    let mut compared = 0;
    for (row, line) in text.lines().skip(1).enumerate() {
        let theirs: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        // At an event's own time the two may report either side of the jump.
        if cuts.iter().any(|c| (c.time - theirs[0]).abs() < 1e-9) {
            continue;
        }
        assert!((theirs[0] - ours.times[row]).abs() < 1e-12);
        for (i, s) in crn.species.iter().enumerate() {
            // libRoadRunner reports concentrations; crnc each species in its unit (Z an amount).
            let mine =
                ours.values[row * width + i] / if s.quantity == Quantity::Amount { crn.volume } else { 1.0 };
            let excess = (mine - theirs[i + 1]).abs() / (1e-9 + 1e-6 * theirs[i + 1].abs());
            assert!(
                excess <= 1.0,
                "{} at t = {}: crnc {mine}, libRoadRunner {}",
                s.name,
                theirs[0],
                theirs[i + 1]
            );
        }
        compared += 1;
    }
    assert_eq!(compared, points + 1 - cuts.len());
}
