//! `molecularity`: with `--max-order N` for N >= 2, every reaction with more
//! than N reactant molecules becomes bimolecular steps through intermediate
//! complexes in fast pre-equilibrium (docs/passes.md derives the rates and
//! measures the error).
//!
//! `A + B + C -> P @ k` becomes `A + B <-> A_B__r0 @ K·f, f` and
//! `A_B__r0 + C -> P @ k/K`: once the binding step is in equilibrium,
//! A_B = K·a·b and the second step runs at k·a·b·c. A longer complex binds one
//! molecule more per step (`A_B_C__r0`, ...), and the rate law's divisors are
//! carried over. Of a reversible reaction, each side above N is bound up this
//! way and each direction's rate constant is divided by its own side's K's, so
//! the product of the equilibrium constants along the new path is the old
//! kf/kr: detailed balance holds, and the original species keep their
//! equilibria, less what the intermediates hold.
//!
//! A reaction whose new rates would not be finite, positive numbers (orders
//! in the hundreds, rates near the float limits) is left whole, and the driver
//! reports it as above `--max-order` (E0400).

use std::collections::HashSet;

use super::Options;
use super::unit::{Unit, reactions, units};
use crate::crn::{Crn, Origin, Reaction, Role, Species, SpeciesId};
use crate::diagnostic::Diagnostic;
use crate::ir::Quantity;

pub const NAME: &str = "molecularity";

/// The default of [`Options::separation`]: the unbinding steps are 1000 times
/// faster than the fastest reaction, so the intermediates hold about 3% of
/// their molecules and the error of the split is of that order
/// (docs/passes.md, "The fast rate").
pub const DEFAULT_SEPARATION: f64 = 1e3;

type Complex = Vec<(SpeciesId, u32)>;

pub fn run(mut crn: Crn, options: &Options) -> (Crn, Vec<Diagnostic>) {
    let Some(max) = options.max_order.filter(|&n| n >= 2) else { return (crn, Vec::new()) };
    let mut split = Splitter::new(&crn, options.separation);
    let mut out = Vec::new();
    // Intermediates are tagged with the number of the reaction they serve in
    // the previous stage's dump, where the halves of a pair are adjacent.
    let mut at = 0;
    for unit in units(std::mem::take(&mut crn.reactions)) {
        let index = at;
        at += unit.len();
        match unit {
            Unit::Single(r) if r.order() > max => match split.plan(&crn, &r) {
                Some(first) => {
                    let (steps, core, gain) = split.bind(&crn, &r.reactants, first, &r.origin, index);
                    out.extend(steps);
                    out.push(Unit::Single(rewritten(r, core, None, gain)));
                }
                None => out.push(Unit::Single(r)),
            },
            Unit::Pair { forward, reverse } if forward.order() > max || reverse.order() > max => {
                // A side at most N stays as it is (no binding steps, gain 1).
                let plan =
                    |r: &Reaction| if r.order() > max { split.plan(&crn, r).map(Some) } else { Some(None) };
                let (Some(f), Some(r)) = (plan(&forward), plan(&reverse)) else {
                    out.push(Unit::Pair { forward, reverse });
                    continue;
                };
                let (left, left_gain) = split.side(&crn, &forward, f, index, &mut out);
                let (right, right_gain) = split.side(&crn, &reverse, r, index + 1, &mut out);
                out.push(Unit::Pair {
                    forward: rewritten(forward, left.clone(), Some(right.clone()), left_gain),
                    reverse: rewritten(reverse, right, Some(left), right_gain),
                });
            }
            unit => out.push(unit),
        }
    }
    crn.species.extend(split.species);
    crn.reactions = reactions(out);
    (crn, Vec::new())
}

/// The reaction on its new reactants (and products), its rate multiplied by
/// `gain`; a named rate loses its name, since the rate is no longer its value.
fn rewritten(r: Reaction, reactants: Complex, products: Option<Complex>, gain: f64) -> Reaction {
    Reaction {
        reactants,
        products: products.unwrap_or(r.products),
        rate: r.rate * gain,
        rate_param: None,
        origin: Origin { pass: NAME.to_string(), ..r.origin },
        ..r
    }
}

/// Makes intermediates and binding steps for one network.
struct Splitter {
    /// Concentration scale c: the largest initial concentration (1 if all
    /// are 0). An intermediate's equilibrium constant is set against it.
    scale: f64,
    /// The unbinding rate of every binding step: `separation` times the
    /// fastest reaction, each measured as k·c^(order-1).
    fast: f64,
    /// The intermediates made so far, after the network's species.
    species: Vec<Species>,
    taken: HashSet<String>,
    first_id: usize,
}

impl Splitter {
    fn new(crn: &Crn, separation: f64) -> Splitter {
        let scale = crn.initial_concentrations().into_iter().fold(0.0, f64::max);
        let scale = if scale > 0.0 { scale } else { 1.0 };
        let fastest = crn.reactions.iter().map(|r| speed(r, scale)).fold(0.0, f64::max);
        Splitter {
            scale,
            fast: separation * if fastest > 0.0 { fastest } else { 1.0 },
            species: Vec::new(),
            taken: crn.species.iter().map(|s| s.name.clone()).collect(),
            first_id: crn.species.len(),
        }
    }

    /// The equilibrium constant K1 of the first binding step of `r`'s
    /// reactants, or `None` when some new rate would not be a finite positive
    /// number. K1·c = sqrt(λ/f) with λ = k·c^(order-1): the first
    /// intermediate holds that fraction of its molecules, which balances the
    /// two errors of the split (docs/passes.md).
    fn plan(&self, crn: &Crn, r: &Reaction) -> Option<f64> {
        let first = (speed(r, self.scale) / self.fast).sqrt() / self.scale;
        let (_, gain) = self.chain(crn, &r.reactants, first);
        let rates = [first * self.fast, self.fast / self.scale, self.fast, r.rate * gain];
        rates.iter().all(|v| v.is_finite() && *v > 0.0).then_some(first)
    }

    /// The molecules of `complex` one by one, and the gain of the reaction
    /// that consumes the last intermediate and the last molecule in its place:
    /// 1/(K1·K2⋯) with the rate law's divisors of the first step and of the
    /// whole complex, so that its flux at binding equilibrium is the flux the
    /// complex had (later steps bind an intermediate to a molecule, two
    /// different species, so they have no divisor).
    fn chain(&self, crn: &Crn, complex: &[(SpeciesId, u32)], first: f64) -> (Vec<SpeciesId>, f64) {
        let molecules: Vec<SpeciesId> =
            complex.iter().flat_map(|&(s, n)| std::iter::repeat_n(s, n as usize)).collect();
        let binding = first * self.scale.powi(3 - molecules.len() as i32);
        let gain = crn.divisor(&pair(molecules[0], molecules[1])) / (crn.divisor(complex) * binding);
        (molecules, gain)
    }

    /// Binds up `complex` (of 3 or more molecules) with `first` as K1, later
    /// steps with K = 1/c: returns the reversible binding steps, the
    /// two-molecule complex that replaces it, and the gain for reactions
    /// consuming that complex.
    fn bind(
        &mut self,
        crn: &Crn,
        complex: &[(SpeciesId, u32)],
        first: f64,
        origin: &Origin,
        index: usize,
    ) -> (Vec<Unit>, Complex, f64) {
        let (molecules, gain) = self.chain(crn, complex, first);
        let (&last, bound) = molecules.split_last().expect("a split complex has 3 or more molecules");
        let origin = Origin { pass: NAME.to_string(), ..origin.clone() };
        let mut name = crn.species(bound[0]).name.clone();
        let mut held = bound[0];
        let mut steps = Vec::new();
        for (j, &next) in bound[1..].iter().enumerate() {
            name = format!("{name}_{}", crn.species(next).name);
            let made = self.intermediate(&format!("{name}__r{index}"), &origin);
            let together = pair(held, next);
            let k = if j == 0 { first } else { 1.0 / self.scale };
            let step = |reactants: &Complex, products: &Complex, rate| Reaction {
                reactants: reactants.clone(),
                products: products.clone(),
                rate,
                rate_param: None,
                partner: None,
                label: None,
                origin: origin.clone(),
            };
            let alone = vec![(made, 1)];
            steps.push(Unit::Pair {
                forward: step(&together, &alone, k * self.fast),
                reverse: step(&alone, &together, self.fast),
            });
            held = made;
        }
        (steps, pair(held, last), gain)
    }

    /// One side of a reversible pair: bound up when a plan was made, else as
    /// it is. The binding steps go to `out`.
    fn side(
        &mut self,
        crn: &Crn,
        r: &Reaction,
        plan: Option<f64>,
        index: usize,
        out: &mut Vec<Unit>,
    ) -> (Complex, f64) {
        match plan {
            Some(first) => {
                let (steps, core, gain) = self.bind(crn, &r.reactants, first, &r.origin, index);
                out.extend(steps);
                (core, gain)
            }
            None => (r.reactants.clone(), 1.0),
        }
    }

    /// A new intermediate species, 0 at the start, named `base` or, if that
    /// is taken, `base_2`, `base_3`, ...
    fn intermediate(&mut self, base: &str, origin: &Origin) -> SpeciesId {
        let name = (1..)
            .map(|i| if i == 1 { base.to_string() } else { format!("{base}_{i}") })
            .find(|n| !self.taken.contains(n))
            .expect("some suffix is free");
        self.taken.insert(name.clone());
        self.species.push(Species {
            name,
            role: Role::Intermediate,
            initial: 0.0,
            quantity: Quantity::Concentration,
            origin: origin.clone(),
        });
        SpeciesId((self.first_id + self.species.len() - 1) as u32)
    }
}

/// A reaction's pseudo-first-order rate at concentration scale c, k·c^(order-1):
/// how fast it turns over its reactants.
fn speed(r: &Reaction, scale: f64) -> f64 {
    r.rate * scale.powi(r.order() as i32 - 1)
}

/// The complex of two molecules.
fn pair(a: SpeciesId, b: SpeciesId) -> Complex {
    if a == b { vec![(a, 2)] } else { vec![(a, 1), (b, 1)] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::passes::fixture::{self, Complex};
    use crate::crn::{Partner, validate};
    use crate::ir::RateLaw;

    fn split(crn: Crn, max_order: Option<u32>) -> Crn {
        let (crn, diagnostics) = run(crn, &Options { max_order, ..Options::default() });
        assert_eq!(validate(&crn), vec![]);
        assert!(diagnostics.is_empty());
        crn
    }

    fn names(crn: &Crn) -> Vec<&str> {
        crn.species.iter().map(|s| s.name.as_str()).collect()
    }

    /// `reactants -> products @ rate` over species S0..S5, all starting at 1.
    fn one(rate_law: RateLaw, reactants: Complex, products: Complex, rate: f64) -> Crn {
        let species = [("A", 1.0), ("B", 1.0), ("C", 1.0), ("D", 1.0), ("E", 1.0), ("F", 1.0)];
        fixture::crn(rate_law, &species, vec![(reactants, products, rate, None)])
    }

    const A: SpeciesId = SpeciesId(0);
    const B: SpeciesId = SpeciesId(1);
    const C: SpeciesId = SpeciesId(2);
    const D: SpeciesId = SpeciesId(3);
    const E: SpeciesId = SpeciesId(4);
    const F: SpeciesId = SpeciesId(5);

    #[test]
    fn a_trimolecular_reaction_becomes_a_binding_step_and_a_bimolecular_one() {
        let crn = split(one(RateLaw::MassAction, vec![(A, 1), (B, 1), (C, 1)], vec![(D, 1)], 2.0), Some(2));
        let ab = SpeciesId(6);
        assert_eq!(names(&crn)[6], "A_B__r0");
        assert_eq!((crn.species[6].role, crn.species[6].initial), (Role::Intermediate, 0.0));
        // Scale c = 1, fastest reaction 2, so the unbinding rate is 2000 and K1 = sqrt(2/2000).
        let k1 = (2.0f64 / 2000.0).sqrt();
        let r = &crn.reactions;
        assert_eq!(r.len(), 3);
        assert_eq!((&r[0].reactants, &r[0].products), (&vec![(A, 1), (B, 1)], &vec![(ab, 1)]));
        assert_eq!((r[0].rate, r[1].rate), (k1 * 2000.0, 2000.0));
        assert_eq!(r[1].partner, Some(Partner::Forward(0)));
        assert_eq!((&r[2].reactants, &r[2].products), (&vec![(ab, 1), (C, 1)], &vec![(D, 1)]));
        assert!((r[2].rate - 2.0 / k1).abs() < 1e-12 * r[2].rate);
        assert!(r.iter().all(|r| r.order() <= 2 && r.origin.pass == NAME));
    }

    #[test]
    fn longer_complexes_bind_one_molecule_per_step() {
        let five = vec![(A, 1), (B, 1), (C, 1), (D, 1), (E, 1)];
        let crn = split(one(RateLaw::MassAction, five, vec![(F, 1)], 1.0), Some(2));
        assert_eq!(names(&crn)[6..], ["A_B__r0", "A_B_C__r0", "A_B_C_D__r0"]);
        assert_eq!(crn.reactions.len(), 3 * 2 + 1);
        assert!(crn.reactions.iter().all(|r| r.order() <= 2));
        let core = crn.reactions.last().unwrap();
        assert_eq!(core.reactants, [(SpeciesId(8), 1), (E, 1)]);
        // K1 = sqrt(1/1000), later steps K = 1/c = 1: the core runs at k/K1.
        assert!((core.rate - 1000f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn repeated_species_carry_the_combinatoric_divisor() {
        // 3X -> 0 runs at k·x³/3!; X + X <-> X_X holds K1·x²/2!, so the core
        // X_X + X -> 0 runs at k·2!/(3!·K1).
        for (rate_law, divisor) in [(RateLaw::MassAction, 1.0), (RateLaw::Combinatoric, 3.0)] {
            let crn = split(one(rate_law, vec![(A, 3)], vec![], 1.0), Some(2));
            assert_eq!(crn.reactions[0].reactants, [(A, 2)]);
            assert_eq!(names(&crn)[6], "A_A__r0");
            let k1 = crn.reactions[0].rate / crn.reactions[1].rate;
            assert!((crn.reactions[2].rate - 1.0 / (divisor * k1)).abs() < 1e-9, "{rate_law:?}");
        }
    }

    #[test]
    fn both_sides_of_a_reversible_reaction_are_bound_up_when_too_long() {
        // A + 2B <-> 3B, Schlögl's step: each side has three molecules.
        let pair = vec![
            (vec![(A, 1), (B, 2)], vec![(B, 3)], 1.0, Some(Partner::Reverse(1))),
            (vec![(B, 3)], vec![(A, 1), (B, 2)], 0.5, Some(Partner::Forward(0))),
        ];
        let crn = split(fixture::crn(RateLaw::MassAction, &[("A", 1.0), ("B", 1.0)], pair), Some(2));
        assert_eq!(names(&crn), ["A", "B", "A_B__r0", "B_B__r1"]);
        let (ab, bb) = (SpeciesId(2), SpeciesId(3));
        let core = &crn.reactions[4];
        assert_eq!((&core.reactants, &core.products), (&vec![(ab, 1), (B, 1)], &vec![(bb, 1), (B, 1)]));
        assert_eq!(crn.reactions[5].partner, Some(Partner::Forward(4)));
        assert!(crn.reactions.iter().all(|r| r.order() <= 2 && r.partner.is_some()));
    }

    #[test]
    fn only_reactions_above_the_limit_change_and_a_limit_below_two_changes_nothing() {
        let reactions = vec![
            (vec![(A, 1), (B, 1), (C, 1)], vec![], 1.0, None),
            (vec![(A, 1), (B, 1), (C, 1), (D, 1)], vec![], 1.0, None),
        ];
        let crn = || {
            fixture::crn(
                RateLaw::MassAction,
                &[("A", 1.0), ("B", 1.0), ("C", 1.0), ("D", 1.0)],
                reactions.clone(),
            )
        };
        let three = split(crn(), Some(3));
        assert_eq!(three.reactions[0], crn().reactions[0]);
        assert_eq!(names(&three)[4..], ["A_B__r1", "A_B_C__r1"]);
        for max_order in [None, Some(0), Some(1)] {
            assert_eq!(split(crn(), max_order), crn());
        }
    }

    #[test]
    fn a_reaction_whose_rates_would_overflow_is_left_whole() {
        let crn = split(one(RateLaw::MassAction, vec![(A, 1), (B, 1), (C, 1)], vec![], 1e307), Some(2));
        assert_eq!(crn.reactions.len(), 1);
        assert_eq!(crn.reactions[0].order(), 3);
        assert_eq!(crn.species.len(), 6);
    }

    #[test]
    fn intermediate_names_never_clash_with_species() {
        let species = [("A", 1.0), ("B", 1.0), ("A_B__r0", 1.0)];
        let reaction = (vec![(A, 1), (B, 2)], vec![(C, 1)], 1.0, None);
        let crn = split(fixture::crn(RateLaw::MassAction, &species, vec![reaction]), Some(2));
        assert_eq!(names(&crn)[3], "A_B__r0_2");
    }
}
