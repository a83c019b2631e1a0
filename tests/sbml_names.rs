//! crnc's SBML export writes species ids an SBML tool accepts (`w_0_`,
//! `dot1_h`) with the real names beside them; the importer reads them back
//! under the real names (`w[0]`, `dot1.h`), as the text list does with its
//! `# name:` headers.

use crnc::backend::sbml;
use crnc::driver;
use crnc::source::MemoryFs;

const MODEL: &str = r#"
module dot[n](w[n], x[n]) -> y {
  species h = 1, g[2] = 0;
  for i in 0..n { w[i] + x[i] + h -> w[i] + x[i] + y + h; }
  y + h -> h + g[0] + g[1];
}

network Names {
  species w[2] = [1, 2], x[2] = 0.5;
  y = dot[2](w, x);
}
"#;

fn compile(fs: &MemoryFs, path: &str) -> crnc::crn::Crn {
    let front = driver::front_end(fs, path.as_ref());
    assert!(!front.has_errors(), "{path}: {:?}", front.diagnostics);
    let network = driver::select(&front, None).expect("one network");
    driver::lower(network, &front.db, None).expect("no order limit").crn
}

#[test]
fn array_and_instance_names_survive_an_sbml_round_trip() {
    let crn = compile(&MemoryFs::new().with("names.crnl", MODEL), "names.crnl");
    let names: Vec<&str> = crn.species.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["w[0]", "w[1]", "x[0]", "x[1]", "y", "dot1.h", "dot1.g[0]", "dot1.g[1]"]);
    let xml = sbml::write(&crn);
    assert!(
        xml.contains(r#"id="w_0_" name="w[0]""#) && xml.contains(r#"id="dot1_h" name="dot1.h""#),
        "{xml}"
    );
    let back = compile(&MemoryFs::new().with("names.xml", xml), "names.xml");
    let back_names: Vec<&str> = back.species.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(back_names, names);
}
