//! `molecularity`: with `--max-order N` for N >= 2, every reaction with more
//! than N reactant molecules becomes bimolecular steps through intermediate
//! complexes in fast pre-equilibrium (docs/passes.md derives the rates and
//! measures the error).
//!
//! `A + B + C -> P @ k` becomes `A + B <-> A_B__r0 @ K·f, f` and
//! `A_B__r0 + C -> P @ k/K`: once the binding step is in equilibrium,
//! A_B = K·a·b and the second step runs at k·a·b·c. A longer complex binds one
//! molecule more per step (`A_B_C__r0`, ...), and the rate law's divisors are
//! carried over. The intermediates and steps belong to the reaction's group.
//! Of a reversible reaction, each side above N is bound up this
//! way and each direction's rate constant is divided by its own side's K's, so
//! the product of the equilibrium constants along the new path is the old
//! kf/kr: detailed balance holds, and the original species keep their
//! equilibria, less what the intermediates hold.
//!
//! A reaction whose new rates would not be finite, positive numbers (orders
//! in the hundreds, rates near the float limits), or with more than
//! [`MAX_MOLECULES`] reactant molecules, is left whole, and the driver reports
//! it as above `--max-order` (E0400). The steps and intermediates of all
//! splits together are bounded by `--max-expansion` (E0230), counted before
//! any is made.

use crate::hash::HashSet;

use super::Options;
use super::unit::{Unit, reactions, units};
use crate::crn::{Crn, GroupId, Origin, Reaction, Role, Species, SpeciesId};
use crate::diagnostic::Diagnostic;
use crate::ir::Quantity;

pub const NAME: &str = "molecularity";

/// The default of [`Options::separation`]: the unbinding steps are 1000 times
/// faster than the fastest reaction, and the intermediates hold at most about
/// 3% of their molecules (docs/passes.md, "The fast rate").
pub const DEFAULT_SEPARATION: f64 = 1e3;

/// A complex with more reactant molecules than this is not split: each
/// molecule costs an intermediate and two steps (docs/limits.md).
pub const MAX_MOLECULES: u64 = 1000;

/// Intermediate names list the species they bind up to about this length;
/// past it they count the rest (`A_B_and_7_more__r0`), so that the names of
/// a long split stay short instead of growing with each step.
const NAME_LENGTH: usize = 48;

type Complex = Vec<(SpeciesId, u32)>;

fn is_potential(crn: &Crn, s: SpeciesId) -> bool {
    crn.species(s).role == Role::Potential
}

pub fn run(mut crn: Crn, options: &Options) -> (Crn, Vec<Diagnostic>) {
    let Some(max) = options.max_order.filter(|&n| n >= 2) else { return (crn, Vec::new()) };
    // A split of m molecules makes m - 2 intermediates, each with a reversible step.
    let made: u64 = crn
        .reactions
        .iter()
        .filter(|r| r.law.is_none())
        .map(|r| u64::from(crn.molecularity(r)))
        .filter(|&m| m > u64::from(max) && m <= MAX_MOLECULES)
        .map(|m| 3 * (m - 2))
        .sum();
    if made > options.max_expansion {
        let d = Diagnostic::error(
            "E0230",
            format!("the molecularity pass would make {made} intermediates and steps, over the budget of {}", options.max_expansion),
        )
        .with_note(format!("each reactant molecule above two in a reaction above --max-order {max} costs an intermediate species and a reversible binding step"))
        .with_hint("raise the budget with `--max-expansion N`, or allow a higher `--max-order`");
        return (crn, vec![d]);
    }
    let mut split = Splitter::new(&crn, options.separation);
    let mut out = Vec::new();
    // Intermediates are tagged with the number of the reaction they serve in
    // the previous stage's dump, where the halves of a pair are adjacent.
    let mut at = 0;
    for unit in units(std::mem::take(&mut crn.reactions)) {
        let index = at;
        at += unit.len();
        match unit {
            // A reaction with a rate law stays whole; the driver reports it (E0400).
            Unit::Single(r) if r.law.is_none() && crn.molecularity(&r) > max => match split.plan(&crn, &r) {
                Some(plan) => {
                    let (core, gain) = split.bind(&crn, plan, &r, index, &mut out);
                    out.push(Unit::Single(rewritten(r, core, None, gain)));
                }
                None => out.push(Unit::Single(r)),
            },
            Unit::Pair { forward, reverse }
                if crn.molecularity(&forward) > max || crn.molecularity(&reverse) > max =>
            {
                // A side of at most N molecules stays as it is.
                let plan = |r: &Reaction| {
                    if crn.molecularity(r) > max { split.plan(&crn, r).map(Some) } else { Some(None) }
                };
                let (Some(f), Some(r)) = (plan(&forward), plan(&reverse)) else {
                    out.push(Unit::Pair { forward, reverse });
                    continue;
                };
                let mut side = |r: &Reaction, plan: Option<Plan>, index| match plan {
                    Some(plan) => split.bind(&crn, plan, r, index, &mut out),
                    None => (r.reactants.clone(), 1.0),
                };
                let (left, left_gain) = side(&forward, f, index);
                let (right, right_gain) = side(&reverse, r, index + 1);
                out.push(Unit::Pair {
                    forward: rewritten(forward, left.clone(), Some(right.clone()), left_gain),
                    reverse: rewritten(reverse, right, Some(left), right_gain),
                });
            }
            unit => out.push(unit),
        }
    }
    let first = SpeciesId(crn.species.len() as u32);
    crn.species.extend(split.species);
    let out = read_bound_catalysts(&crn, out, first, &split.holds);
    crn.reactions = reactions(out);
    (crn, Vec::new())
}

/// A learning reaction (one that changes only potentials, domain.md §3.5)
/// reads its catalyst's count; a molecule of it held in an intermediate is
/// still that species to the learning rule, so each learning unit with one
/// catalyst gets a copy per intermediate that holds the catalyst, at its rate
/// times the molecules held. Without them a unit bound in an intermediate
/// counts as neither of its states, and the potentials of its two states
/// drift together (their product is conserved only while every molecule is
/// counted: docs/passes.md, "Potentials").
fn read_bound_catalysts(
    crn: &Crn,
    units: Vec<Unit>,
    first: SpeciesId,
    holds: &[Vec<SpeciesId>],
) -> Vec<Unit> {
    let mut out = Vec::with_capacity(units.len());
    for unit in units {
        let copies: Vec<Unit> = match &unit {
            Unit::Single(r) => bound_readers(crn, r, first, holds).map(Unit::Single).collect(),
            Unit::Pair { forward, reverse } => bound_readers(crn, forward, first, holds)
                .zip(bound_readers(crn, reverse, first, holds))
                .map(|(forward, reverse)| Unit::Pair { forward, reverse })
                .collect(),
        };
        out.push(unit);
        out.extend(copies);
    }
    out
}

/// The copies of learning reaction `r` that read its one catalyst where an
/// intermediate holds it; none for another reaction.
fn bound_readers<'a>(
    crn: &'a Crn,
    r: &'a Reaction,
    first: SpeciesId,
    holds: &'a [Vec<SpeciesId>],
) -> impl Iterator<Item = Reaction> + 'a {
    let catalysts: Vec<SpeciesId> =
        r.reactants.iter().filter(|&&(s, _)| !is_potential(crn, s)).map(|&(s, _)| s).collect();
    let learning = r.law.is_none() && crn.is_learning(r);
    let catalyst = match catalysts[..] {
        [c] if learning && r.reactants.contains(&(c, 1)) && r.products.contains(&(c, 1)) => Some(c),
        _ => None,
    };
    let swap = move |side: &Complex, i: SpeciesId| -> Complex {
        side.iter().map(|&(s, n)| (if Some(s) == catalyst { i } else { s }, n)).collect()
    };
    holds.iter().enumerate().filter_map(move |(j, held)| {
        let c = catalyst?;
        let times = held.iter().filter(|&&m| m == c).count();
        let i = SpeciesId(first.0 + j as u32);
        (times > 0).then(|| Reaction {
            reactants: swap(&r.reactants, i),
            products: swap(&r.products, i),
            rate: r.rate * times as f64,
            rate_param: None,
            partner: None,
            label: None,
            origin: Origin { pass: NAME, ..r.origin.clone() },
            ..r.clone()
        })
    })
}

/// The reaction on its new reactants (and products), its rate multiplied by
/// `gain`; a named rate loses its name, since the rate is no longer its value.
fn rewritten(r: Reaction, reactants: Complex, products: Option<Complex>, gain: f64) -> Reaction {
    Reaction {
        reactants,
        products: products.unwrap_or(r.products),
        rate: r.rate * gain,
        rate_param: None,
        origin: Origin { pass: NAME, ..r.origin },
        ..r
    }
}

/// How one reactant complex is bound up.
struct Plan {
    /// Its molecules in binding order: scarcest first, but for a second
    /// molecule of another species.
    molecules: Vec<SpeciesId>,
    /// Its potentials: the core carries them as the reaction did, and each
    /// binding step has a second channel that carries them as catalysts
    /// (docs/passes.md, "Potentials").
    potentials: Complex,
    /// The equilibrium constant of each binding step.
    constants: Vec<f64>,
    /// What the rate constant of the reaction is multiplied by when it
    /// consumes the last intermediate and the last molecule instead.
    gain: f64,
    /// The unbinding rate of every binding step.
    fast: f64,
}

/// Makes intermediates and binding steps for one network.
struct Splitter {
    /// Each species' concentration scale: its initial concentration, or the
    /// largest one in the network for a species that starts at 0 (1 when all
    /// do).
    scale: Vec<f64>,
    /// Per species, the fastest turnover of any reaction that touches it:
    /// how fast its amount can change, which the binding steps of a
    /// reaction that binds it must outpace.
    pace: Vec<f64>,
    separation: f64,
    /// The intermediates made so far, after the network's species.
    species: Vec<Species>,
    /// The molecules each of `species` holds.
    holds: Vec<Vec<SpeciesId>>,
    taken: HashSet<String>,
}

impl Splitter {
    fn new(crn: &Crn, separation: f64) -> Splitter {
        let initial = crn.initial_concentrations();
        let largest = initial.iter().copied().fold(0.0, f64::max);
        let fallback = if largest > 0.0 { largest } else { 1.0 };
        let scale: Vec<f64> = initial.into_iter().map(|x| if x > 0.0 { x } else { fallback }).collect();
        let mut pace = vec![0.0; crn.species.len()];
        for r in &crn.reactions {
            let tau = turnover(crn, &scale, r);
            for &(s, _) in r.reactants.iter().chain(&r.products) {
                pace[s.index()] = f64::max(pace[s.index()], tau);
            }
        }
        Splitter {
            pace,
            separation,
            scale,
            species: Vec::new(),
            holds: Vec::new(),
            taken: crn.species.iter().map(|s| s.name.clone()).collect(),
        }
    }

    /// The plan for `r`'s reactants, or `None` when some new rate would not
    /// be a finite positive number. With the molecules m1, m2, ... sorted by
    /// scale (m2 moved up), K1 = ε/c(m2) and later K = 1/c(m): every
    /// intermediate then holds at most about ε of each species it binds, and
    /// ε = sqrt(τ/f) for a reaction of turnover τ balances that error against
    /// the lag of the pre-equilibrium (docs/passes.md).
    fn plan(&self, crn: &Crn, r: &Reaction) -> Option<Plan> {
        if u64::from(crn.molecularity(r)) > MAX_MOLECULES {
            return None;
        }
        // Planned without its potentials, as if they were all 1.
        let (potentials, reactants) = r.reactants.iter().partition(|&&(s, _)| is_potential(crn, s));
        let r = &Reaction { reactants, ..r.clone() };
        let mut molecules: Vec<SpeciesId> =
            r.reactants.iter().flat_map(|&(s, n)| std::iter::repeat_n(s, n as usize)).collect();
        molecules.sort_by(|a, b| self.scale[a.index()].total_cmp(&self.scale[b.index()]));
        // The first pair binds two different species where it can: X + Y holds
        // one X per intermediate, X + X two, in an amount that grows as x².
        if let Some(other) = molecules.iter().position(|&m| m != molecules[0]) {
            molecules[1..=other].rotate_right(1);
        }
        // The binding steps unbind `separation` times faster than any
        // reaction changes a molecule they bind: a reaction far from the
        // network's fastest ones is not made as stiff as they would need.
        let pace = r.reactants.iter().map(|&(s, _)| self.pace[s.index()]).fold(0.0, f64::max);
        let fast = self.separation * if pace > 0.0 { pace } else { 1.0 };
        let epsilon = (turnover(crn, &self.scale, r) / fast).sqrt();
        let bound = &molecules[1..molecules.len() - 1];
        let constants: Vec<f64> = bound
            .iter()
            .enumerate()
            .map(|(j, m)| if j == 0 { epsilon } else { 1.0 } / self.scale[m.index()])
            .collect();
        // The flux through the core at binding equilibrium is the old flux:
        // the first step's divisor comes in, the whole complex's goes out
        // (later steps bind two different species and have none).
        let first = pair(molecules[0], molecules[1]);
        let gain = crn.divisor(&first) / (crn.divisor(&r.reactants) * constants.iter().product::<f64>());
        let mut rates = constants.iter().map(|k| k * fast).chain([fast, r.rate * gain]);
        rates.all(|v| v.is_finite() && v > 0.0).then_some(Plan {
            molecules,
            potentials,
            constants,
            gain,
            fast,
        })
    }

    /// Makes the plan's intermediates and reversible binding steps (into
    /// `out`) for reaction `r`, in its group; returns the complex that
    /// replaces the reactants (two molecules and the potentials), and the
    /// gain.
    fn bind(
        &mut self,
        crn: &Crn,
        plan: Plan,
        r: &Reaction,
        index: usize,
        out: &mut Vec<Unit>,
    ) -> (Complex, f64) {
        let origin = Origin { pass: NAME, ..r.origin.clone() };
        let (&last, bound) = plan.molecules.split_last().expect("a split complex has 3 or more molecules");
        let step = |reactants: &Complex, products: &Complex, potentials: &Complex, rate| Reaction {
            reactants: with_potentials(reactants, potentials),
            products: with_potentials(products, potentials),
            rate,
            rate_param: None,
            partner: None,
            label: None,
            origin: origin.clone(),
            law: None,
            group: r.group,
        };
        let mut listed = crn.species(bound[0]).name.clone();
        let mut more = 0;
        let mut held = bound[0];
        let mut holding = vec![bound[0]];
        for (&next, k) in bound[1..].iter().zip(plan.constants) {
            holding.push(next);
            let next_name = &crn.species(next).name;
            // The first intermediate always names both species it binds.
            if more == 0 && (held == bound[0] || listed.len() + 1 + next_name.len() <= NAME_LENGTH) {
                listed = format!("{listed}_{next_name}");
            } else {
                more += 1;
            }
            let name = match more {
                0 => format!("{listed}__r{index}"),
                _ => format!("{listed}_and_{more}_more__r{index}"),
            };
            let made = self.intermediate(crn, &name, &origin, r.group);
            self.holds.push(holding.clone());
            let together = pair(held, next);
            let alone = vec![(made, 1)];
            // Two channels of one equilibrium constant: without the
            // potentials, so that a side whose potentials fall towards 0
            // still unbinds at f, and with them, so that it unbinds at
            // f·(1 + M), keeping ahead of a core that M speeds up.
            let channels: &[Complex] = if plan.potentials.is_empty() {
                &[Vec::new()]
            } else {
                &[Vec::new(), plan.potentials.clone()]
            };
            for potentials in channels {
                out.push(Unit::Pair {
                    forward: step(&together, &alone, potentials, k * plan.fast),
                    reverse: step(&alone, &together, potentials, plan.fast),
                });
            }
            held = made;
        }
        (with_potentials(&pair(held, last), &plan.potentials), plan.gain)
    }

    /// A new intermediate species of `group`, 0 at the start, named `base`
    /// or, if that is taken, `base_2`, `base_3`, ...
    fn intermediate(&mut self, crn: &Crn, base: &str, origin: &Origin, group: GroupId) -> SpeciesId {
        let name = (1..)
            .map(|i| if i == 1 { base.to_string() } else { format!("{base}_{i}") })
            .find(|n| !self.taken.contains(n))
            .expect("some suffix is free");
        self.taken.insert(name.clone());
        self.species.push(Species {
            name,
            role: Role::Intermediate,
            rail: None,
            group: Some(group),
            initial: 0.0,
            quantity: Quantity::Concentration,
            origin: origin.clone(),
            // In the reaction volume, where the binding steps take place.
            compartment: None,
        });
        SpeciesId((crn.species.len() + self.species.len() - 1) as u32)
    }
}

/// How fast a reaction changes the species it touches, relative to their
/// amount: its flux at the concentration scales over the smallest scale
/// among its reactants and products.
fn turnover(crn: &Crn, scale: &[f64], r: &Reaction) -> f64 {
    let touched = r.reactants.iter().chain(&r.products).map(|&(s, _)| scale[s.index()]);
    crn.flux(r, scale) / touched.fold(f64::INFINITY, f64::min)
}

/// `complex` and the potentials of the reaction it came from (species
/// apart from its own).
fn with_potentials(complex: &Complex, potentials: &Complex) -> Complex {
    complex.iter().chain(potentials).copied().collect()
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
        // Scale c = 1, the only reaction turns over 2, so the unbinding rate is 2000 and K1 = sqrt(2/2000).
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

    /// The unbinding rate of the split of `A + B + C -> D @ 2` next to a reaction at 1000.
    fn unbinding_beside(fast: (Complex, Complex)) -> f64 {
        let species = [("A", 1.0), ("B", 1.0), ("C", 1.0), ("D", 1.0), ("E", 1.0), ("F", 1.0)];
        let reactions =
            vec![(vec![(A, 1), (B, 1), (C, 1)], vec![(D, 1)], 2.0, None), (fast.0, fast.1, 1000.0, None)];
        let crn = split(fixture::crn(RateLaw::MassAction, &species, reactions), Some(2));
        let unbinding = crn
            .reactions
            .iter()
            .find(|r| matches!(r.reactants[..], [(s, 1)] if crn.species(s).role == Role::Intermediate));
        unbinding.expect("an unbinding step").rate
    }

    #[test]
    fn binding_steps_outpace_the_reactions_near_their_molecules_not_the_whole_network() {
        // A fast reaction among other species leaves the split at F times its own turnover...
        assert_eq!(unbinding_beside((vec![(E, 1)], vec![(F, 1)])), 2000.0);
        // ...one that changes a bound molecule makes the binding F times faster than itself.
        assert_eq!(unbinding_beside((vec![(E, 1)], vec![(A, 1)])), 1e6);
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
    fn potentials_are_not_bound_but_multiply_the_core_and_a_second_channel_of_each_binding_step() {
        // An ECBM flip: unit A, catalyst B, edge C, potentials E (A's side) and F (the other).
        let flip = vec![
            (
                vec![(A, 1), (B, 1), (C, 1), (E, 1)],
                vec![(D, 1), (B, 1), (F, 1)],
                1.0,
                Some(Partner::Reverse(1)),
            ),
            (
                vec![(D, 1), (B, 1), (F, 1)],
                vec![(A, 1), (B, 1), (C, 1), (E, 1)],
                1.0,
                Some(Partner::Forward(0)),
            ),
        ];
        let species = [("A", 1.0), ("B", 1.0), ("C", 1.0), ("D", 1.0), ("E", 1.0), ("F", 1.0)];
        let mut crn = fixture::crn(RateLaw::MassAction, &species, flip);
        for s in [E, F] {
            crn.species[s.index()].role = Role::Potential;
        }
        assert_eq!((crn.molecularity(&crn.reactions[0]), crn.reactions[0].order()), (3, 4));
        let crn = split(crn, Some(2));
        // Only the three molecules of the long side are bound: one intermediate, its binding
        // step twice (without and with E), and the core, which turns E into F as the flip did.
        assert_eq!(names(&crn)[6..], ["A_B__r0"]);
        let ab = SpeciesId(6);
        let r = &crn.reactions;
        assert_eq!(r.len(), 6);
        assert_eq!((&r[0].reactants, &r[0].products), (&vec![(A, 1), (B, 1)], &vec![(ab, 1)]));
        assert_eq!(
            (&r[2].reactants, &r[2].products),
            (&vec![(A, 1), (B, 1), (E, 1)], &vec![(ab, 1), (E, 1)])
        );
        assert_eq!((r[2].rate, r[3].rate), (r[0].rate, r[1].rate), "one equilibrium constant");
        assert_eq!((&r[4].reactants, &r[4].products), (&vec![(ab, 1), (C, 1), (E, 1)], &r[5].reactants));
        assert_eq!(r[5].reactants, [(D, 1), (B, 1), (F, 1)]);
        assert!(r.iter().all(|r| crn.molecularity(r) <= 2 && r.partner.is_some()));
    }

    #[test]
    fn a_learning_reaction_also_reads_its_catalyst_where_an_intermediate_holds_it() {
        // A + 2B -> C splits through A_B (one A, one B); E is a potential learning from B.
        let reactions = vec![
            (vec![(A, 1), (B, 2)], vec![(C, 1)], 1.0, None),
            (vec![(E, 1), (B, 1)], vec![(E, 2), (B, 1)], 0.5, Some(Partner::Reverse(2))),
            (vec![(E, 2), (B, 1)], vec![(E, 1), (B, 1)], 0.1, Some(Partner::Forward(1))),
            (vec![(E, 1), (D, 1)], vec![(D, 1)], 0.5, None),
        ];
        let species = [("A", 1.0), ("B", 1.0), ("C", 1.0), ("D", 1.0), ("E", 1.0)];
        let mut crn = fixture::crn(RateLaw::MassAction, &species, reactions);
        crn.species[E.index()].role = Role::Potential;
        let crn = split(crn, Some(2));
        let ab = SpeciesId(5);
        assert_eq!(names(&crn)[5], "A_B__r0");
        let text: Vec<(Complex, Complex, f64)> =
            crn.reactions.iter().map(|r| (r.reactants.clone(), r.products.clone(), r.rate)).collect();
        // The pair is copied whole, right after itself; D is held nowhere.
        assert_eq!(
            text[3..7],
            [
                (vec![(E, 1), (B, 1)], vec![(E, 2), (B, 1)], 0.5),
                (vec![(E, 2), (B, 1)], vec![(E, 1), (B, 1)], 0.1),
                (vec![(E, 1), (ab, 1)], vec![(E, 2), (ab, 1)], 0.5),
                (vec![(E, 2), (ab, 1)], vec![(E, 1), (ab, 1)], 0.1),
            ]
        );
        assert_eq!(crn.reactions[6].partner, Some(Partner::Forward(5)));
        assert_eq!(crn.reactions.len(), 8);
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

    #[test]
    fn steps_and_intermediates_stay_in_their_reactions_group() {
        let reactions = vec![
            (vec![(A, 1), (B, 1), (C, 1)], vec![(D, 1)], 1.0, None),
            (vec![(A, 1), (B, 1), (C, 1)], vec![(E, 1)], 1.0, None),
        ];
        let species = [("A", 1.0), ("B", 1.0), ("C", 1.0), ("D", 1.0), ("E", 1.0)];
        let net = fixture::grouped(
            fixture::crn(RateLaw::MassAction, &species, reactions),
            &["one", "two"],
            &[1, 0],
        );
        let crn = split(net, Some(2));
        assert_eq!(names(&crn)[5..], ["A_B__r0", "A_B__r1"]);
        let groups: Vec<_> = crn.species[5..].iter().map(|s| s.group).collect();
        assert_eq!(groups, [Some(GroupId(1)), Some(GroupId(0))]);
        // Each reaction touches only its own group's intermediates.
        for r in &crn.reactions {
            for &(s, _) in r.reactants.iter().chain(&r.products).filter(|(s, _)| s.index() >= 5) {
                assert_eq!(crn.species[s.index()].group, Some(r.group), "{r:?}");
            }
        }
        let per_group = |g| crn.reactions.iter().filter(|r| r.group == GroupId(g)).count();
        assert_eq!((per_group(0), per_group(1)), (3, 3));
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever the groups, every reaction after the split touches
            /// only intermediates of its own group, and each group keeps as
            /// many reactions that are not binding steps as it had.
            #[test]
            fn splits_stay_in_their_group(
                reactions in prop::collection::vec((prop::collection::btree_map(0u32..4, 1u32..3, 1..4), 0u32..3), 1..8)
            ) {
                let groups: Vec<u32> = reactions.iter().map(|r| r.1).collect();
                let species = [("A", 1.0), ("B", 2.0), ("C", 0.5), ("D", 1.0)];
                let list = reactions
                    .into_iter()
                    .map(|(r, _)| (r.into_iter().map(|(s, n)| (SpeciesId(s), n)).collect(), vec![], 1.0, None))
                    .collect();
                let before = fixture::grouped(fixture::crn(RateLaw::MassAction, &species, list), &["a", "b", "c"], &groups);
                let after = split(before.clone(), Some(2));
                for r in &after.reactions {
                    prop_assert!(r.order() <= 2);
                    for &(s, _) in r.reactants.iter().chain(&r.products).filter(|(s, _)| s.index() >= 4) {
                        prop_assert_eq!(after.species[s.index()].group, Some(r.group));
                    }
                }
                for g in 0..3 {
                    let cores = after.reactions.iter().filter(|r| r.group == GroupId(g) && r.partner.is_none()).count();
                    prop_assert_eq!(cores, groups.iter().filter(|&&h| h == g).count());
                }
            }
        }
    }
}
