//! Kinetics of some reaction groups only: what one phase of a protocol runs.

use super::kinetics::Kinetics;
use crate::crn::{Crn, GroupId};

impl Kinetics {
    /// The kinetics of the reactions of `groups`; the species are all of the
    /// CRN's, so states carry over between phases unchanged.
    pub fn of_groups(crn: &Crn, groups: &[GroupId]) -> Kinetics {
        let mut phase = crn.clone();
        phase.reactions.retain(|r| groups.contains(&r.group));
        // The kept reactions moved; Kinetics reads no partner links.
        for r in &mut phase.reactions {
            r.partner = None;
        }
        Kinetics::new(&phase)
    }
}
