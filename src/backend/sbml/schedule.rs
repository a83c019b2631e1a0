//! A plain network with a schedule (`at T: X = v;`) as SBML: the plain
//! export plus one `<event>` per scheduled time, triggered by `time >= T`
//! (persistent, `initialValue="false"` as libSBML expects for Level 3),
//! whose event assignments set each species in its declared unit (an amount
//! for `hasOnlySubstanceUnits` species, else a concentration).

use std::io::{self, Write};

use super::{Additions, Math, UnitDefinition, document, ids, line, number, text_of, write_math};
use crate::crn::Crn;
use crate::ir::Quantity;
use crate::sim::schedule::Cut;

/// The SBML document of `crn` with an event for each of `cuts`
/// ([`crate::sim::schedule::cuts`] of its protocol); without cuts, the plain export.
pub fn write(crn: &Crn, cuts: &[Cut]) -> String {
    text_of(|out| write_to(crn, cuts, out))
}

/// [`write`] to `out`, a piece at a time ([`super::write_to`]).
pub fn write_to(crn: &Crn, cuts: &[Cut], out: &mut dyn Write) -> io::Result<()> {
    let ids = ids(crn);
    if cuts.is_empty() {
        return document(crn, &ids, &Additions::default(), out);
    }
    let mut ns = super::Namespace::around(&ids);
    let concentration = ns.fresh("mole_per_litre");
    let events: Vec<String> = (1..=cuts.len()).map(|k| ns.fresh(&format!("schedule_{k}"))).collect();
    let mut o = String::new();
    line(&mut o, 2, "<listOfEvents>");
    for (cut, id) in cuts.iter().zip(&events) {
        line(
            &mut o,
            3,
            &format!(
                r#"<event id="{id}" name="at t = {}" useValuesFromTriggerTime="true">"#,
                number(cut.time)
            ),
        );
        line(&mut o, 4, r#"<trigger initialValue="false" persistent="true">"#);
        let at = Math::Apply("geq", vec![Math::Time, Math::quantity(cut.time, Some("second".to_string()))]);
        write_math(&mut o, 5, &at);
        line(&mut o, 4, "</trigger>");
        line(&mut o, 4, "<listOfEventAssignments>");
        for &(s, v) in &cut.values {
            let unit = match crn.species[s].quantity {
                Quantity::Amount => "mole".to_string(),
                Quantity::Concentration => concentration.clone(),
            };
            line(&mut o, 5, &format!(r#"<eventAssignment variable="{}">"#, ids.species[s]));
            write_math(&mut o, 6, &Math::quantity(v, Some(unit)));
            line(&mut o, 5, "</eventAssignment>");
        }
        line(&mut o, 4, "</listOfEventAssignments>");
        line(&mut o, 3, "</event>");
    }
    line(&mut o, 2, "</listOfEvents>");
    let times: Vec<String> = cuts.iter().map(|c| number(c.time)).collect();
    let additions = Additions {
        reserved: std::iter::once(concentration.clone()).chain(events).collect(),
        notes: vec![format!(
            "Scheduled assignments: the events at t = {} set species to fixed values (crnl's `at T: X = v;`).",
            times.join(", ")
        )],
        units: vec![UnitDefinition {
            id: concentration,
            name: "concentration".to_string(),
            units: vec![("mole", 1), ("litre", -1)],
        }],
        events: o,
        ..Additions::default()
    };
    document(crn, &ids, &additions, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::fixture;
    use crate::ir::RateLaw;

    #[test]
    fn each_cut_is_one_event_setting_its_species_in_their_units() {
        let mut crn = fixture::crn(RateLaw::MassAction, &[("X", 0.0), ("Y", 1.0)], vec![]);
        crn.species[1].quantity = Quantity::Amount;
        let cuts =
            [Cut { time: 2.5, values: vec![(0, 3.0), (1, 4.0)] }, Cut { time: 7.0, values: vec![(0, 0.0)] }];
        let doc = write(&crn, &cuts);
        assert_eq!(doc.matches("<event ").count(), 2);
        assert_eq!(doc.matches(r#"<trigger initialValue="false" persistent="true">"#).count(), 2);
        assert!(doc.contains(r#"name="at t = 2.5""#) && doc.contains(r#"name="at t = 7""#), "{doc}");
        assert!(
            doc.contains(r#"sbml:units="mole_per_litre""#) && doc.contains(r#"sbml:units="mole""#),
            "{doc}"
        );
        assert_eq!(write(&crn, &[]), super::super::write(&crn));
    }
}
