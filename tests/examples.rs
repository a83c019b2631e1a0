//! Every example compiles; its elementary CRN (`--emit crn`), text reaction
//! list and JSON are snapshot-tested; the text output reads back to the same CRN.

mod common;

use crnc::backend::{json, sbml, text};
use crnc::crn::{self, Crn};
use crnc::driver;
use crnc::sim::kinetics::Kinetics;
use crnc::source::MemoryFs;

#[test]
fn examples_exist() {
    assert!(common::examples().len() >= 6, "examples/ should hold the bundled examples");
}

#[test]
fn every_example_compiles_and_matches_its_snapshots() {
    for (stem, crns) in common::compiled_examples() {
        // The checked IR: modules, loops and ode blocks expanded (`--emit ir`).
        let front =
            driver::front_end(&crnc::source::RealFs::default(), format!("examples/{stem}.crnl").as_ref());
        for crn in &crns {
            let name = format!("{stem}__{}", crn.name);
            insta::assert_snapshot!(format!("{name}.ir"), front.program.networks[&crn.name].to_string());
            insta::assert_snapshot!(format!("{name}.crn_dump"), crn::dump(crn));
            insta::assert_snapshot!(format!("{name}.text"), text::write(crn));
            insta::assert_snapshot!(format!("{name}.json"), json::write(crn));
        }
    }
}

/// What the text format keeps: everything but origins, roles, rails, parameter names and labels.
fn comparable(crn: &Crn) -> String {
    let mut c = crn.clone();
    c.parameters.clear();
    c.metadata.source.clear();
    for s in &mut c.species {
        s.origin = Default::default();
        // Roles and rails are what the compiler knows, not what the file says.
        s.role = crnc::crn::Role::Plain;
        s.rail = None;
    }
    for r in &mut c.reactions {
        r.origin = Default::default();
        r.rate_param = None;
        r.label = None;
    }
    format!("{c:#?}")
}

#[test]
fn text_output_reads_back_to_the_same_crn() {
    for (stem, crns) in common::compiled_examples() {
        for crn in &crns {
            let written = text::write(crn);
            let path = format!("{stem}.crn");
            let fs = MemoryFs::new().with(&path, written.clone());
            let back = common::compile(&fs, path.as_ref(), None, None)
                .unwrap_or_else(|e| panic!("{stem}: {e}\n{written}"))
                .crn;
            assert_eq!(comparable(&back), comparable(crn), "{stem}: round trip changed the CRN");
            assert_eq!(
                text::write(&back).lines().skip(3).collect::<Vec<_>>(),
                written.lines().skip(3).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn the_ir_printout_is_valid_crnl_that_compiles_to_the_same_crn() {
    for (stem, crns) in common::compiled_examples() {
        for crn in &crns {
            let fs_path = format!("{stem}.crnl");
            let front =
                driver::front_end(&crnc::source::RealFs::default(), format!("examples/{fs_path}").as_ref());
            let ir = front.program.networks[&crn.name].to_string();
            let fs = MemoryFs::new().with(&fs_path, ir.clone());
            let again = common::compile_all(&fs, fs_path.as_ref());
            assert_eq!(
                comparable(&again[0]),
                comparable(crn),
                "{stem}: --emit ir does not compile back\n{ir}"
            );
        }
    }
}

/// crnc's SBML, read back by crnc's SBML importer, gives the same species,
/// initial values and ODE right-hand side (at a spread of states): the
/// exporter's compartment, amount units, combinatoric factors and reversible
/// pairs all translate back.
#[test]
fn sbml_output_imports_back_to_the_same_dynamics() {
    for (stem, crns) in common::compiled_examples() {
        for crn in &crns {
            let path = format!("{stem}.xml");
            let fs = MemoryFs::new().with(&path, sbml::write(crn));
            let back =
                common::compile(&fs, path.as_ref(), None, None).unwrap_or_else(|e| panic!("{stem}: {e}")).crn;
            // Species come back under their real names (`w[0]`, `dot1.h`), which the
            // export keeps as SBML names beside sanitised ids (`w_0_`, `dot1_h`).
            let names: Vec<(String, _)> = back.species.iter().map(|s| (s.name.clone(), s.quantity)).collect();
            let exported: Vec<(String, _)> =
                crn.species.iter().map(|s| (s.name.clone(), s.quantity)).collect();
            assert_eq!(names, exported, "{stem}");
            assert_eq!(back.initial_concentrations(), crn.initial_concentrations(), "{stem}");
            let (ours, theirs) = (Kinetics::new(crn), Kinetics::new(&back));
            for state in 0..5 {
                let x: Vec<f64> =
                    (0..crn.species.len()).map(|i| 0.1 + ((i * 7 + state * 3) % 11) as f64).collect();
                let (mut a, mut b) = (vec![0.0; x.len()], vec![0.0; x.len()]);
                ours.rhs(&x, &mut a);
                theirs.rhs(&x, &mut b);
                for (i, (a, b)) in a.iter().zip(&b).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                        "{stem}: d{}/dt {a} vs {b}",
                        crn.species[i].name
                    );
                }
            }
        }
    }
}

/// The acceptance test of the molecularity pass: with `--max-order 2` (as
/// `crnc check --max-order 2` runs it) every network of every example
/// compiles, and to reactions of at most two reactant molecules.
#[test]
fn every_example_passes_max_order_two() {
    std::env::set_current_dir(common::root()).expect("crate root exists");
    let fs = crnc::source::RealFs::default();
    for path in common::examples() {
        let front = driver::front_end(&fs, &path);
        for name in front.program.networks.keys() {
            let split = common::compile(&fs, &path, Some(name), Some(2))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .crn;
            assert!(split.reactions.iter().all(|r| split.molecularity(r) <= 2), "{name}");
            assert_eq!(crn::validate(&split), vec![], "{name}");
        }
    }
}
