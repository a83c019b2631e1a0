//! IR to elementary CRN: species get ids, reversible reactions split in two
//! (both halves in the reaction's group); roles, rails and groups carry over.

use crate::hash::HashMap;

use super::{Compartment, Crn, LawTerm, Metadata, Origin, Parameter, Partner, Reaction, Species, SpeciesId};
use crate::ir;
use crate::source::{SourceDb, Span};

pub fn lower(network: &ir::Network, db: &SourceDb) -> Crn {
    let origin = |span: Span| Origin {
        span: Some(span),
        brought_in_at: Vec::new(),
        location: Some(db.location(span)),
        pass: "source",
    };
    let reaction_origin =
        |r: &ir::Reaction| Origin { brought_in_at: r.brought_in_at.clone(), ..origin(r.span) };
    let ids: HashMap<&str, SpeciesId> =
        network.species.keys().enumerate().map(|(i, n)| (n.as_str(), SpeciesId(i as u32))).collect();
    let species = network
        .species
        .values()
        .map(|s| Species {
            name: s.name.clone(),
            role: s.role,
            rail: s.rail.clone(),
            group: s.group,
            initial: s.initial,
            quantity: s.quantity,
            origin: origin(s.span),
            compartment: s.compartment.clone(),
        })
        .collect();
    let compartments = network
        .compartments
        .values()
        .map(|c| Compartment { name: c.name.clone(), size: c.size, origin: origin(c.span) })
        .collect();
    let parameters: Vec<Parameter> = network
        .params
        .values()
        .map(|p| Parameter { name: p.name.clone(), value: p.value, origin: origin(p.span) })
        .collect();
    let param_index = |rate: &ir::Rate| {
        rate.param.as_ref().map(|n| network.params.get_index_of(n).expect("IR rate params are in the table"))
    };
    let complex = |c: &[(String, u32)]| -> Vec<(SpeciesId, u32)> {
        c.iter().map(|(n, k)| (ids[n.as_str()], *k)).collect()
    };
    let mut reactions = Vec::with_capacity(network.reactions.len());
    for r in network.reactions.iter() {
        let forward = Reaction {
            reactants: complex(&r.reactants),
            products: complex(&r.products),
            rate: r.forward.value,
            rate_param: param_index(&r.forward),
            partner: None,
            label: r.label.clone(),
            origin: reaction_origin(r),
            law: r.law.as_ref().map(|law| {
                law.iter()
                    .map(|t| LawTerm { coefficient: t.coefficient, factors: complex(&t.factors) })
                    .collect()
            }),
            group: r.group,
        };
        match &r.reverse {
            None => reactions.push(forward),
            Some(rev) => {
                let at = reactions.len();
                let reverse = Reaction {
                    reactants: forward.products.clone(),
                    products: forward.reactants.clone(),
                    rate: rev.value,
                    rate_param: param_index(rev),
                    partner: Some(Partner::Forward(at)),
                    label: r.label.as_ref().map(|l| format!("{l}_reverse")),
                    origin: reaction_origin(r),
                    law: None,
                    group: r.group,
                };
                reactions.push(Reaction { partner: Some(Partner::Reverse(at + 1)), ..forward });
                reactions.push(reverse);
            }
        }
    }
    Crn {
        name: network.name.clone(),
        rate_law: network.rate_law,
        volume: network.volume,
        compartments,
        species,
        parameters,
        reactions,
        metadata: Metadata {
            source: db.get(network.span.file).name.to_string(),
            generator: format!("crnc {}", env!("CARGO_PKG_VERSION")),
        },
        groups: network.groups.clone(),
    }
}
