//! JSON of the elementary CRN (docs/formats.md): species and parameters by
//! index, reactions naming their species, origins as `file:line:col`.

use serde_json::{Value, json};

use crate::crn::{Crn, SpeciesId};

pub fn write(crn: &Crn) -> String {
    let side = |c: &[(SpeciesId, u32)]| -> Vec<Value> {
        c.iter().map(|&(s, n)| json!({ "species": crn.species(s).name, "coefficient": n })).collect()
    };
    let reactions: Vec<Value> = crn
        .reactions
        .iter()
        .map(|r| {
            let mut reaction = json!({
                "label": r.label,
                "reactants": side(&r.reactants),
                "products": side(&r.products),
                "rate": r.rate,
                "parameter": r.rate_param.map(|p| &crn.parameters[p].name),
                "partner": r.partner,
                "origin": r.origin,
            });
            // A rate law replaces the rate: its terms, species by name.
            if let Some(law) = &r.law {
                let terms: Vec<Value> = law
                    .iter()
                    .map(|t| {
                        let factors: Vec<Value> = t
                            .factors
                            .iter()
                            .map(|&(s, e)| json!({ "species": crn.species(s).name, "exponent": e }))
                            .collect();
                        json!({ "coefficient": t.coefficient, "factors": factors })
                    })
                    .collect();
                reaction["law"] = Value::Array(terms);
            }
            reaction
        })
        .collect();
    let mut doc = json!({
        "format": "crnc-crn",
        "version": 1,
        "name": crn.name,
        "rate_law": crn.rate_law,
        "volume": crn.volume,
        "species": crn.species,
        "parameters": crn.parameters,
        "reactions": reactions,
        "metadata": crn.metadata,
    });
    // Only networks with compartments have the key, so one-volume documents stay as they were.
    if !crn.compartments.is_empty() {
        doc["compartments"] = json!(crn.compartments);
    }
    let mut text = serde_json::to_string_pretty(&doc).expect("CRN values always serialise");
    text.push('\n');
    text
}
