//! What each species is made of, in molecules of the model: a species the
//! model names is itself, and an intermediate of the molecularity pass
//! holds the molecules its binding step joined. A molecule held in an
//! intermediate is still its species to the laws a learner reports
//! (docs/learning.md, "A7 after lowering"), so a count of X is the free X
//! plus every X held.

use super::{Crn, Reaction, Role, SpeciesId};

/// The side's species that are molecules of the vesicle: potentials, being
/// chemostats, are not.
fn molecules(crn: &Crn, side: &[(SpeciesId, u32)]) -> Vec<(SpeciesId, u32)> {
    side.iter().copied().filter(|&(s, _)| crn.species(s).role != Role::Potential).collect()
}

/// Per species of a CRN, the model molecules it is made of.
#[derive(Clone, Debug, PartialEq)]
pub struct Contents(Vec<Vec<(SpeciesId, u32)>>);

impl Contents {
    /// The contents of `crn`'s species. The binding step that makes an
    /// intermediate is the reaction whose one molecule produced is one of
    /// it (potentials, being chemostats, aside), from molecules that are not
    /// it; the pass makes each intermediate after the ones it binds, so one
    /// pass in species order sees every bound intermediate's contents first.
    /// An intermediate without such a step counts as itself.
    pub fn of(crn: &Crn) -> Contents {
        let is_intermediate = |s: SpeciesId| crn.species(s).role == Role::Intermediate;
        let mut made_by = vec![None; crn.species.len()];
        for (i, r) in crn.reactions.iter().enumerate() {
            if let [(s, 1)] = molecules(crn, &r.products)[..]
                && is_intermediate(s)
                && made_by[s.index()].is_none()
                && r.reactants.iter().all(|&(m, _)| m != s)
            {
                made_by[s.index()] = Some(i);
            }
        }
        let mut contents = Contents(Vec::with_capacity(crn.species.len()));
        for s in (0..crn.species.len() as u32).map(SpeciesId) {
            let held = match made_by[s.index()] {
                Some(r) => contents.held(crn, &crn.reactions[r].reactants),
                None => vec![(s, 1)],
            };
            contents.0.push(held);
        }
        contents
    }

    /// The model molecules a complex holds, potentials aside, sorted. A
    /// species past those read so far counts as itself.
    pub fn held(&self, crn: &Crn, side: &[(SpeciesId, u32)]) -> Vec<(SpeciesId, u32)> {
        let mut held: Vec<(SpeciesId, u32)> = Vec::new();
        for (m, n) in molecules(crn, side) {
            let itself = [(m, 1)];
            let parts = self.0.get(m.index()).map_or(&itself[..], |parts| &parts[..]);
            for &(part, k) in parts {
                match held.iter_mut().find(|(p, _)| *p == part) {
                    Some((_, count)) => *count += n * k,
                    None => held.push((part, n * k)),
                }
            }
        }
        held.sort();
        held
    }

    /// Whether `r` only binds molecules into an intermediate or unbinds
    /// them: both sides hold the same molecules. Such a step is not an
    /// event of the network as written.
    pub fn is_binding(&self, crn: &Crn, r: &Reaction) -> bool {
        let intermediate = |&(s, _): &(SpeciesId, u32)| crn.species(s).role == Role::Intermediate;
        let touches = r.reactants.iter().chain(&r.products).any(intermediate);
        touches && self.held(crn, &r.reactants) == self.held(crn, &r.products)
    }

    /// The model molecules species `s` is made of, with their counts.
    pub fn of_species(&self, s: SpeciesId) -> &[(SpeciesId, u32)] {
        &self.0[s.index()]
    }

    /// The species whose molecules include `s`'s, each with how many of
    /// `s` one holds: `s` itself first, then every intermediate holding it.
    pub fn holders(&self, s: SpeciesId) -> Vec<(SpeciesId, u32)> {
        let mut out = vec![(s, 1)];
        for (i, parts) in self.0.iter().enumerate().filter(|&(i, _)| i != s.index()) {
            if let Some(&(_, n)) = parts.iter().find(|&&(p, _)| p == s) {
                out.push((SpeciesId(i as u32), n));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::{Options, fixture, molecularity};
    use crate::ir::RateLaw;

    #[test]
    fn an_intermediate_holds_what_its_binding_steps_joined_and_potentials_are_not_held() {
        let [a, b, p] = [0, 1, 2].map(SpeciesId);
        let reaction = (vec![(a, 2), (b, 2), (p, 1)], vec![(p, 1)], 1.0, None);
        let mut crn =
            fixture::crn(RateLaw::MassAction, &[("A", 1.0), ("B", 2.0), ("P", 1.0)], vec![reaction]);
        crn.species[2].role = Role::Potential;
        let options = Options { max_order: Some(2), ..Options::default() };
        let crn = molecularity::run(crn, &options).0;
        let contents = Contents::of(&crn);
        assert_eq!(contents.of_species(a), [(a, 1)]);
        // Four molecules: two binding steps, holding two and three of them.
        let held: Vec<&[(SpeciesId, u32)]> =
            (3..crn.species.len() as u32).map(|i| contents.of_species(SpeciesId(i))).collect();
        assert_eq!(held, [&[(a, 1), (b, 1)][..], &[(a, 2), (b, 1)][..]]);
        assert_eq!(contents.holders(a), [(a, 1), (SpeciesId(3), 1), (SpeciesId(4), 2)]);
        assert_eq!(contents.holders(p), [(p, 1)]);
        // Two binding steps, each in two channels (with and without P), both ways, then the core.
        let binding: Vec<bool> = crn.reactions.iter().map(|r| contents.is_binding(&crn, r)).collect();
        assert_eq!(binding, [true, true, true, true, true, true, true, true, false]);
    }
}
