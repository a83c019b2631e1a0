//! JSON of the elementary CRN (docs/formats.md): species and parameters by
//! index, reactions naming their species, origins as `file:line:col`. Groups
//! are written only when there are several, so a plain network's document
//! is what it was before groups existed.

use serde_json::{Value, json};

use crate::crn::{Crn, SpeciesId};

pub fn write(crn: &Crn) -> String {
    let grouped = crn.groups.len() > 1;
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
            if grouped {
                reaction["group"] = json!(crn.groups[r.group.index()]);
            }
            reaction
        })
        .collect();
    let species: Vec<Value> = crn
        .species
        .iter()
        .map(|s| {
            let mut species = json!(s);
            if let Some(g) = s.group.filter(|_| grouped) {
                species["group"] = json!(crn.groups[g.index()]);
            }
            species
        })
        .collect();
    let mut doc = json!({
        "format": "crnc-crn",
        "version": 1,
        "name": crn.name,
        "rate_law": crn.rate_law,
        "volume": crn.volume,
        "species": species,
        "parameters": crn.parameters,
        "reactions": reactions,
        "metadata": crn.metadata,
    });
    if grouped {
        doc["groups"] = json!(crn.groups);
    }
    // Only networks with compartments have the key, so one-volume documents stay as they were.
    if !crn.compartments.is_empty() {
        doc["compartments"] = json!(crn.compartments);
    }
    let mut text = serde_json::to_string_pretty(&doc).expect("CRN values always serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::fixture;
    use crate::crn::{GroupId, Role};
    use crate::ir::RateLaw;

    #[test]
    fn rails_and_groups_are_written_and_a_plain_network_has_no_groups() {
        let reactions = vec![(vec![(SpeciesId(0), 1)], vec![(SpeciesId(1), 1)], 1.0, None)];
        let plain = fixture::crn(RateLaw::MassAction, &[("P_p", 1.0), ("P_m", 0.0)], reactions);
        let doc: Value = serde_json::from_str(&write(&plain)).unwrap();
        assert!(doc.get("groups").is_none() && doc["reactions"][0].get("group").is_none());
        assert!(doc["species"][0].get("rail").is_none());
        let mut grouped = fixture::grouped(plain, &["forward", "update"], &[1]);
        fixture::rails(&mut grouped, 0, "P", Role::Parameter);
        grouped.species[1].group = Some(GroupId(1));
        let doc: Value = serde_json::from_str(&write(&grouped)).unwrap();
        assert_eq!(doc["groups"], json!(["forward", "update"]));
        assert_eq!(doc["reactions"][0]["group"], "update");
        assert_eq!(doc["species"][0]["role"], "parameter");
        assert_eq!(doc["species"][0]["rail"], json!({ "of": "P", "sign": "+" }));
        assert_eq!(doc["species"][1]["group"], "update");
        assert!(doc["species"][0].get("group").is_none());
    }
}
