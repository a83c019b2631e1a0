//! SBML (Level 2 and 3) translated to crnl, which then goes through the
//! ordinary front end, as BioNetGen files do.
//!
//! Semantics. SBML's kinetic law v is in amount per time, and each species
//! symbol in it means a concentration n/V_c (or the amount n, with
//! `hasOnlySubstanceUnits`). crnc's concentration is x = n/V_s in the
//! species' own compartment of size V_s, and a reaction's flux in amount per
//! time is V·f(x) for the reaction volume V, so a symbol is s = f·x with
//! f = V_s/V_c (or V_s). A law that is a polynomial Σ c·∏ s^e becomes, per
//! monomial, the mass-action reaction with reactants ∏ s^e (its factors),
//! products those plus the reaction's net change, and rate constant
//! c·∏ f^e / V; a negative monomial runs the reaction backwards. Boundary and
//! constant species have no net change, so they stay as catalysts where a law
//! names them. When every compartment that holds a species has one size, V
//! is that size and every V_s = V (f = 1 for concentrations); when sizes
//! differ, V = 1 (the flux is the law itself) and each species is declared
//! `in` its own compartment, so it keeps its declared unit.

mod document;
mod mathml;
mod translate;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

/// XML documents with more nodes than this are refused (about 2 GB of SBML).
const MAX_NODES: u32 = 100_000_000;

/// The crnl text for the SBML document `text` (`None` after errors), and the
/// diagnostics of the translation.
pub fn to_crnl(file: FileId, text: &str, fallback_name: &str) -> (Option<String>, Vec<Diagnostic>) {
    let doc = match parse(file, text) {
        Ok(doc) => doc,
        Err(d) => return (None, vec![d]),
    };
    let (model, mut diags) = document::read(file, &doc);
    let Some(model) = model else { return (None, diags) };
    let (crnl, more) = translate::translate(file, &model, fallback_name);
    diags.extend(more);
    (crnl, diags)
}

/// The values of the model's compartments (sizes) and global parameters,
/// which stay constant in every model crnc reads (it reads no rules or
/// events); for reports that list them beside the species.
pub fn constants(file: FileId, text: &str) -> Result<Vec<(String, f64)>, Vec<Diagnostic>> {
    let doc = parse(file, text).map_err(|d| vec![d])?;
    let model = match document::read(file, &doc) {
        (Some(model), _) => model,
        (None, diags) => return Err(diags),
    };
    let sizes = model.compartments.iter().filter_map(|c| Some((c.id.to_string(), c.size?)));
    Ok(sizes.chain(model.parameters.iter().map(|p| (p.id.to_string(), p.value))).collect())
}

/// Parses the XML, refusing entity declarations before roxmltree expands
/// them: it bounds their nesting (billion laughs) but not their expanded
/// size, so one 70,000-character entity referenced 70,000 times costs 4.9 GB.
/// SBML has no use for entities (libSBML's writers never declare one), so a
/// refusal loses no model; a DOCTYPE without them is still read.
fn parse<'i>(file: FileId, text: &'i str) -> Result<roxmltree::Document<'i>, Diagnostic> {
    if let Some(at) = text.find("<!DOCTYPE").and_then(|d| text[d..].find("<!ENTITY").map(|e| d + e)) {
        return Err(document::entity_declared(file, text, at));
    }
    let options = roxmltree::ParsingOptions { allow_dtd: true, nodes_limit: MAX_NODES, ..Default::default() };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| document::syntax_error(file, text, &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use translate::is_crnl_name as is_crnl_name_for_test;

    fn sbml(compartments: &str, species: &str, reactions: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="m">
    <listOfCompartments>{compartments}</listOfCompartments>
    <listOfSpecies>{species}</listOfSpecies>
    <listOfParameters><parameter id="k" value="0.5" constant="true"/><parameter id="kr" value="2" constant="true"/></listOfParameters>
    <listOfReactions>{reactions}</listOfReactions>
  </model>
</sbml>"#
        )
    }

    fn reaction(reactants: &str, products: &str, law: &str) -> String {
        let refs = |list: &str| {
            list.split_whitespace()
                .map(|s| format!(r#"<speciesReference species="{s}" stoichiometry="1" constant="true"/>"#))
                .collect::<String>()
        };
        format!(
            r#"<reaction id="r" reversible="false"><listOfReactants>{}</listOfReactants><listOfProducts>{}</listOfProducts>
            <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">{law}</math></kineticLaw></reaction>"#,
            refs(reactants),
            refs(products)
        )
    }

    const ONE_COMPARTMENT: &str = r#"<compartment id="c" spatialDimensions="3" size="2" constant="true"/>"#;

    fn species(id: &str, only_substance: bool, boundary: bool) -> String {
        format!(
            r#"<species id="{id}" compartment="c" initialAmount="4" hasOnlySubstanceUnits="{only_substance}" boundaryCondition="{boundary}" constant="false"/>"#
        )
    }

    fn translate(doc: &str) -> Result<String, Vec<Diagnostic>> {
        match to_crnl(FileId(0), doc, "fallback") {
            (Some(crnl), _) => Ok(crnl),
            (None, diags) => Err(diags),
        }
    }

    #[test]
    fn reversible_mass_action_in_one_compartment() {
        // c * (k*A*B - kr*C): concentrations in volume 2, so the rates are k and kr.
        let law = "<apply><times/><ci>c</ci><apply><minus/><apply><times/><ci>k</ci><ci>A</ci><ci>B</ci></apply>\
                   <apply><times/><ci>kr</ci><ci>C</ci></apply></apply></apply>";
        let doc = sbml(
            ONE_COMPARTMENT,
            &(species("A", false, false) + &species("B", false, false) + &species("C", false, false)),
            &reaction("A B", "C", law),
        );
        let crnl = translate(&doc).unwrap();
        assert!(crnl.contains("volume = 2;"), "{crnl}");
        assert!(crnl.contains("species A = 2;"), "{crnl}");
        assert!(crnl.contains("r: A + B <-> C @ k, kr;"), "{crnl}");
    }

    #[test]
    fn amounts_boundary_species_and_higher_powers() {
        // k * A^2 with A in amounts, B fixed: 2A -> A + B would change B, so B stays out.
        let law = "<apply><times/><ci>k</ci><apply><power/><ci>A</ci><cn>2</cn></apply></apply>";
        let doc = sbml(
            ONE_COMPARTMENT,
            &(species("A", true, false) + &species("B", false, true)),
            &reaction("A", "B", law),
        );
        let crnl = translate(&doc).unwrap();
        assert!(crnl.contains("species amount A = 4;"), "{crnl}");
        // v = k n², x = n / 2: d x/dt = -k (2x)² / 2 = -2k x², written as 2A -> A at rate 2k... per molecule of A.
        assert!(crnl.contains("r: 2 A -> A @ 2 * k;"), "{crnl}");
    }

    #[test]
    fn a_term_that_consumes_what_it_does_not_depend_on_becomes_a_rate_law() {
        let doc = sbml(
            ONE_COMPARTMENT,
            &(species("A", false, false) + &species("B", false, false)),
            &reaction("A", "B", "<ci>k</ci>"),
        );
        let crnl = translate(&doc).unwrap();
        assert!(crnl.contains("r: A -> B @ law("), "{crnl}");
    }

    #[test]
    fn falling_factorial_and_mixed_sign_laws_are_one_reaction_with_their_law() {
        // k * A * (A - 1) / 2 for 2 A -> B: the term -k/2 A would run it backwards without B.
        let law = "<apply><divide/><apply><times/><ci>k</ci><ci>A</ci><apply><minus/><ci>A</ci><cn>1</cn></apply></apply><cn>2</cn></apply>";
        let species = species("A", false, false) + &species("B", false, false);
        let doc = sbml(ONE_COMPARTMENT, &species, &reaction("A A", "B", law));
        let crnl = translate(&doc);
        let crnl = crnl.unwrap_or_else(|e| panic!("{e:?}"));
        assert!(crnl.contains("-> B @ law("), "{crnl}");
        assert_eq!(crnl.matches("@").count(), 1, "{crnl}");
        // k * (10 - A) * (9 - A) for -> A: terms of both signs that are no mirror pairs
        // (k * (10 - A) alone is the mirror pair 0 <-> A and stays mass action).
        let minus = |n: u32| format!("<apply><minus/><cn>{n}</cn><ci>A</ci></apply>");
        let law = format!("<apply><times/><ci>k</ci>{}{}</apply>", minus(10), minus(9));
        let law = law.as_str();
        let doc = sbml(ONE_COMPARTMENT, &species, &reaction("", "A", law));
        let crnl = translate(&doc).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(crnl.contains("r: 0 -> A @ law("), "{crnl}");
    }

    #[test]
    fn michaelis_menten_is_not_a_polynomial() {
        let law = "<apply><divide/><apply><times/><ci>k</ci><ci>A</ci></apply><apply><plus/><ci>kr</ci><ci>A</ci></apply></apply>";
        let doc = sbml(
            ONE_COMPARTMENT,
            &(species("A", false, false) + &species("B", false, false)),
            &reaction("A", "B", law),
        );
        let errs = translate(&doc).unwrap_err();
        assert_eq!(errs[0].code, "E0802");
        assert!(errs[0].notes.iter().any(|n| n.contains("k * A / (kr + A)")), "{:?}", errs[0].notes);
    }

    #[test]
    fn compartments_of_different_sizes_keep_each_species_in_its_own() {
        let compartments = format!(
            r#"{ONE_COMPARTMENT}<compartment id="d" spatialDimensions="2" size="5" constant="true"/>"#
        );
        let b = species("B", false, false).replace(r#"compartment="c""#, r#"compartment="d""#);
        let law = "<apply><times/><ci>c</ci><ci>k</ci><ci>A</ci></apply>";
        let (crnl, diags) = to_crnl(
            FileId(0),
            &sbml(&compartments, &(species("A", false, false) + &b), &reaction("A", "B", law)),
            "x",
        );
        let crnl = crnl.unwrap();
        assert_eq!(diags, vec![]);
        assert!(crnl.contains("volume = 1;\n  compartment c = 2;\n  compartment d = 5;\n"), "{crnl}");
        // Amounts of 4 over their own sizes.
        assert!(crnl.contains("species in c A = 2;"), "{crnl}");
        assert!(crnl.contains("species in d B = 0.8;"), "{crnl}");
        // v = c k [A] in amount per time, the flux in volume 1.
        assert!(crnl.contains("r: A -> B @ 2 * k;"), "{crnl}");
    }

    #[test]
    fn entity_declarations_are_refused_before_expansion() {
        // 70,000 references to a 70,000-character entity would expand to 4.9 GB.
        let value = "x".repeat(70_000);
        let refs = "&e;".repeat(70_000);
        let doc = format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE sbml [<!ENTITY e \"{value}\">]>\n<sbml level=\"3\" version=\"2\"><model>{refs}</model></sbml>"
        );
        let started = std::time::Instant::now();
        let errs = translate(&doc).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
        assert_eq!(errs[0].code, "E0800", "{errs:?}");
        assert!(errs[0].message.contains("declares an XML entity"), "{}", errs[0].message);
        // A DOCTYPE without entities is still read.
        let plain = sbml(ONE_COMPARTMENT, &species("A", false, false), "")
            .replace("<sbml ", "<!DOCTYPE sbml>\n<sbml ");
        translate(&plain).unwrap();
    }

    #[test]
    fn a_compartment_without_size_is_needed_only_for_concentrations() {
        let sizeless = r#"<compartment id="c" spatialDimensions="3" constant="true"/>"#;
        let law = "<apply><times/><ci>k</ci><ci>A</ci></apply>";
        let amounts = species("A", true, false) + &species("B", true, false);
        let crnl = translate(&sbml(sizeless, &amounts, &reaction("A", "B", law))).unwrap();
        assert!(crnl.contains("volume = 1;"), "{crnl}");
        assert!(crnl.contains("r: A -> B @ k;"), "{crnl}");
        let mixed = species("A", true, false) + &species("B", false, false);
        let errs = translate(&sbml(sizeless, &mixed, &reaction("A", "B", law))).unwrap_err();
        assert_eq!(errs[0].code, "E0804", "{errs:?}");
        // A size that is given is never taken as missing: 0 is an error even for amounts.
        let zero = r#"<compartment id="c" spatialDimensions="3" size="0" constant="true"/>"#;
        let errs = translate(&sbml(zero, &amounts, &reaction("A", "B", law))).unwrap_err();
        assert_eq!(errs[0].code, "E0804", "{errs:?}");
    }

    #[test]
    fn species_names_that_are_crnl_names_replace_ids() {
        let named =
            |id: &str, name: &str| species(id, false, false).replace("/>", &format!(r#" name="{name}"/>"#));
        let all = named("w_0_", "w[0]")
            + &named("dot1_h", "dot1.h")
            + &named("g", "glucose 6-phosphate")
            + &named("B", "k") // a parameter's id: B keeps its own
            + &named("C", "C");
        let law = "<apply><times/><ci>k</ci><ci>w_0_</ci><ci>B</ci></apply>";
        let crnl = translate(&sbml(ONE_COMPARTMENT, &all, &reaction("w_0_ B", "dot1_h g C", law))).unwrap();
        assert!(crnl.contains("species `w[0]` = 2;"), "{crnl}");
        assert!(crnl.contains("species `dot1.h` = 2;"), "{crnl}");
        assert!(crnl.contains("species g = 2; // in `c`; name: glucose 6-phosphate"), "{crnl}");
        assert!(crnl.contains("species B = 2; // in `c`; name: k"), "{crnl}");
        assert!(crnl.contains("r: `w[0]` + B -> `dot1.h` + g + C @ 0.5 * k;"), "{crnl}");
        for name in ["x", "w[0]", "m[1][20].y", "dot1.h"] {
            assert!(is_crnl_name_for_test(name), "{name}");
        }
        for name in ["", "a b", "w[]", "w[x]", "1x", "a..b", "network", "w[0"] {
            assert!(!is_crnl_name_for_test(name), "{name}");
        }
    }

    #[test]
    fn documents_that_are_not_sbml_are_reported() {
        assert_eq!(translate("<sbml><model>").unwrap_err()[0].code, "E0800");
        assert_eq!(translate("<html/>").unwrap_err()[0].code, "E0800");
        let rules = sbml(ONE_COMPARTMENT, &species("A", false, false), "").replace(
            "<listOfReactions>",
            r#"<listOfRules><rateRule variable="A"/></listOfRules><listOfReactions>"#,
        );
        assert_eq!(translate(&rules).unwrap_err()[0].code, "E0801");
    }
}
