//! The benchmark networks come as BioNetGen `.net` files and as SBML: both
//! importers must give the same network, species for species, with the same
//! ODE right-hand side.

mod common;

use std::io::Read;
use std::path::Path;

use crnc::crn::Crn;
use crnc::sim::kinetics::Kinetics;
use crnc::source::MemoryFs;

/// The file's text, gunzipped when only the `.gz` exists.
fn read(path: &Path) -> String {
    if path.exists() {
        return std::fs::read_to_string(path).unwrap();
    }
    let gz = path.with_extension(format!("{}.gz", path.extension().unwrap().to_str().unwrap()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(&gz).unwrap_or_else(|e| panic!("{}: {e}", gz.display())),
    )
    .read_to_string(&mut text)
    .unwrap();
    text
}

fn compile(name: &str, text: String) -> Crn {
    let fs = MemoryFs::new().with(name, text);
    common::compile_all(&fs, name.as_ref()).remove(0)
}

#[test]
fn sbml_and_bionetgen_forms_of_the_benchmark_networks_agree() {
    let bench = common::root().join("../shared/bench/networks");
    for name in ["multistate", "multisite2", "egfr_net", "BCR"] {
        let from_net = compile("n.net", read(&bench.join(format!("{name}.net"))));
        let from_sbml = compile("n.xml", read(&bench.join(format!("{name}.xml"))));
        assert_eq!(from_net.species.len(), from_sbml.species.len(), "{name}");
        assert_eq!(from_net.reactions.len(), from_sbml.reactions.len(), "{name}");
        assert_eq!(from_net.initial_concentrations(), from_sbml.initial_concentrations(), "{name}");
        let (a, b) = (Kinetics::new(&from_net), Kinetics::new(&from_sbml));
        let x: Vec<f64> = (0..from_net.species.len()).map(|i| 1.0 + (i % 13) as f64 * 10.0).collect();
        let (mut da, mut db) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        a.rhs(&x, &mut da);
        b.rhs(&x, &mut db);
        let scale = da.iter().map(|v| v.abs()).fold(0.0, f64::max);
        for (i, (u, v)) in da.iter().zip(&db).enumerate() {
            assert!((u - v).abs() <= 1e-9 * scale, "{name}: species {i}: {u} vs {v}");
        }
    }
}
