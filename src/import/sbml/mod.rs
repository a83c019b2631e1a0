//! SBML (Level 2 and 3) translated to crnl, which then goes through the
//! ordinary front end, as BioNetGen files do.
//!
//! Semantics. SBML's kinetic law v is in amount per time, and each species
//! symbol in it means a concentration n/V_c (or the amount n, with
//! `hasOnlySubstanceUnits`). crnc's state is x = n/V for the network's one
//! volume V, so a symbol is s = f·x with f = V/V_c (or V). A law that is a
//! polynomial Σ c·∏ s^e becomes, per monomial, the mass-action reaction with
//! reactants ∏ s^e (its factors), products those plus the reaction's net
//! change, and rate constant c·∏ f^e / V; a negative monomial runs the
//! reaction backwards. Boundary and constant species have no net change, so
//! they stay as catalysts where a law names them. V is the size shared by
//! the compartments of all concentration species; when sizes differ, V = 1
//! and every species is declared in amounts (warning W0005), since one
//! volume cannot report concentrations in two compartments.

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
    let doc = match roxmltree::Document::parse_with_options(text, options()) {
        Ok(doc) => doc,
        Err(e) => return (None, vec![document::syntax_error(file, text, &e)]),
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
    let doc = roxmltree::Document::parse_with_options(text, options())
        .map_err(|e| vec![document::syntax_error(file, text, &e)])?;
    let model = match document::read(file, &doc) {
        (Some(model), _) => model,
        (None, diags) => return Err(diags),
    };
    let sizes = model.compartments.iter().filter_map(|c| Some((c.id.to_string(), c.size?)));
    Ok(sizes.chain(model.parameters.iter().map(|p| (p.id.to_string(), p.value))).collect())
}

fn options<'i>() -> roxmltree::ParsingOptions<'i> {
    roxmltree::ParsingOptions { allow_dtd: true, nodes_limit: MAX_NODES, ..Default::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_term_that_consumes_what_it_does_not_depend_on_is_refused() {
        let doc = sbml(
            ONE_COMPARTMENT,
            &(species("A", false, false) + &species("B", false, false)),
            &reaction("A", "B", "<ci>k</ci>"),
        );
        let errs = translate(&doc).unwrap_err();
        assert_eq!(errs[0].code, "E0803", "{errs:?}");
        assert!(errs[0].message.contains("consumes `A` without depending on it"), "{}", errs[0].message);
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
    fn compartments_of_different_sizes_switch_to_amounts() {
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
        assert_eq!(diags[0].code, "W0005");
        assert!(crnl.contains("species amount A = 4;"), "{crnl}");
        // v = c k [A] = 2 k (n_A / 2) = k n_A.
        assert!(crnl.contains("r: A -> B @ k;"), "{crnl}");
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
