//! Mass-action propensities by the shape of their reactants, so that the
//! common shapes (nothing, one molecule, two distinct, a pair of one kind)
//! cost one multiplication or two, with no loop over a reactant list.

use crate::sim::kinetics::Kinetics;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Form {
    Source,
    Single(u32),
    Pair(u32, u32),
    Dimer(u32),
    /// Any other reactants, or a rate law: the general propensity.
    Other,
}

pub(super) fn forms(kin: &Kinetics) -> Vec<Form> {
    (0..kin.reactions())
        .map(|r| match (kin.law(r).is_some(), kin.reactants(r)) {
            (true, _) => Form::Other,
            (false, []) => Form::Source,
            (false, &[(s, 1)]) => Form::Single(s),
            (false, &[(s, 2)]) => Form::Dimer(s),
            (false, &[(a, 1), (b, 1)]) => Form::Pair(a, b),
            _ => Form::Other,
        })
        .collect()
}

/// The propensity of a reaction of form `form` with constant `c` at counts
/// `n`, bit for bit what [`super::propensity`] gives: the same products in
/// the same order. `general` computes it for [`Form::Other`].
#[inline(always)]
pub(super) fn evaluate(form: Form, c: f64, n: &[i64], general: impl FnOnce() -> f64) -> f64 {
    match form {
        Form::Source => c,
        Form::Single(s) => c * n[s as usize] as f64,
        Form::Pair(a, b) => c * n[a as usize] as f64 * n[b as usize] as f64,
        Form::Dimer(s) => {
            let x = n[s as usize];
            if x < 2 { 0.0 } else { c * x as f64 * (x - 1) as f64 }
        }
        Form::Other => general(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kinetics::test_kinetics;

    /// Every form against the general propensity, at counts around the
    /// thresholds where a reactant runs out.
    #[test]
    fn every_form_gives_the_general_propensity_bit_for_bit() {
        type Reactants = &'static [(u32, u32)];
        let cases: [(Reactants, Form); 6] = [
            (&[], Form::Source),
            (&[(1, 1)], Form::Single(1)),
            (&[(2, 2)], Form::Dimer(2)),
            (&[(0, 1), (2, 1)], Form::Pair(0, 2)),
            (&[(0, 3)], Form::Other),
            (&[(0, 1), (1, 1), (2, 1)], Form::Other),
        ];
        for (reactants, form) in cases {
            let kin = test_kinetics(3, &[(reactants, &[(0, 1)], 0.37)]);
            assert_eq!(forms(&kin), vec![form]);
            for n in [[0, 0, 0], [1, 2, 1], [3, 0, 2], [7, 11, 13], [1 << 40, 5, 1 << 33]] {
                let general = super::super::propensity(&kin, &kin.k, 0, &n);
                let got = evaluate(form, kin.k[0], &n, || general);
                assert_eq!(got.to_bits(), general.to_bits(), "{reactants:?} at {n:?}");
            }
        }
    }
}
