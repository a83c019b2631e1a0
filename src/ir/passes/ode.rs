//! The `ode` pass: signed values and `ode` equations lowered to mass-action
//! reactions by the catalytic sign-parity rule (domain.md §1.5-1.7;
//! docs/language.md).
//!
//! A value stays single rail when it starts non-negative and every term of
//! its equation that may be negative has it as a factor (the Hungarian
//! lemma: no negative cross-effects); the largest such set of values is
//! found as a fixpoint, since each value's proof may rely on others being
//! non-negative. Other signed values are dual rail `x_p - x_m`, with
//! `x_p + x_m -> 0` at the network's `annihilation` rate keeping one rail
//! near 0 (in each group that moves the value; `Ode::annihilation` may give
//! a value another rate, or none, in a group); the difference is exact
//! whatever that rate. A signed constant
//! that starts negative has only its `- ` rail.
//!
//! Each equation's right-hand side is rewritten over the rails (x becomes
//! x_p - x_m, |x| becomes x_p + x_m) and multiplied out, so that like terms
//! cancel; each term c·m then becomes `m -> m + x_s` with every factor a
//! catalyst, producing the target's rail s of the sign of c (or, for a
//! single-rail target, consuming the target where c < 0). The exception is
//! a term c·x·|x|^n·M of x's own equation with M never negative: it acts on
//! each rail alone, `(n+1) x_s + M -> (n+1∓1) x_s + M`, which gives
//! c·(x_p^(n+1) - x_m^(n+1))·M, that is c·x·|x|^n·M while one rail is near
//! 0. For n = 0 and c < 0 this is the exact linear decay; with n >= 1 it is
//! the rail-local self-term of the Neural CRNs (`2Z -> Z`, domain.md §2.4),
//! whose polynomial the user writes as `-k * z * abs(z)`.

use std::sync::Arc;

use crate::hash::{HashMap, HashSet};

use indexmap::IndexSet;

use crate::backend::number;
use crate::crn::passes::Options;
use crate::crn::{GroupId, Rail, Sign};
use crate::diagnostic::Diagnostic;
use crate::hash::IndexMap;
use crate::ir::{self, Equation, Network, Ode, RateLaw, Variable};
use crate::polynomial::{Coefficient, Monomial, Polynomial, TooManyTerms};

pub const NAME: &str = "ode";

/// How a variable of the system is held in species.
#[derive(Clone, Debug)]
enum Held {
    /// A species, or a signed value proved never negative: itself.
    Single(String),
    /// Two rails: the value is p - m.
    Dual { p: String, m: String },
    /// A signed constant that starts negative: the value is -m.
    Minus(String),
}

pub fn run(mut network: Network, options: &Options) -> (Network, Vec<Diagnostic>) {
    if network.ode.is_empty() && !network.species.values().any(|s| s.signed) {
        return (network, Vec::new());
    }
    let ode = std::mem::take(&mut network.ode);
    let mut diags = Vec::new();
    let single = single_rail(&network, &ode, &mut diags);
    if !diags.is_empty() {
        return (network, diags);
    }
    let targets: HashSet<&str> = ode.equations.iter().map(|e| e.target.as_str()).collect();
    // Reactions may name the rails of a value (`x_p -> 0`): it then has both.
    let named: HashSet<&str> = network
        .reactions
        .iter()
        .flat_map(|r| r.reactants.iter().chain(&r.products))
        .filter_map(|(s, _)| s.strip_suffix("_p").or_else(|| s.strip_suffix("_m")))
        .collect();
    let mut held: HashMap<String, Held> = HashMap::default();
    let mut annihilations = Vec::new();
    let mut species = IndexMap::default();
    for (name, s) in std::mem::take(&mut network.species) {
        if !s.signed {
            species.insert(name, s);
            continue;
        }
        let mut rail = |rail: String, initial: f64, sign: Option<Sign>| {
            let of = sign.map(|sign| Rail { of: name.clone(), sign });
            let made = ir::Species { name: rail.clone(), initial, signed: false, rail: of, ..s.clone() };
            species.insert(rail.clone(), made);
            rail
        };
        // A learning value is loaded, copied and updated by the host with either sign.
        let railed = named.contains(name.as_str()) || s.role != crate::crn::Role::Plain;
        let h = if single.contains(&name) && !railed {
            Held::Single(rail(name.clone(), s.initial, None))
        } else if !targets.contains(name.as_str()) && !railed {
            Held::Minus(rail(format!("{name}_m"), -s.initial, Some(Sign::Minus)))
        } else {
            // Positive part and negative part; `0.0`, never `-0`, for the empty rail.
            let p =
                rail(format!("{name}_p"), if s.initial > 0.0 { s.initial } else { 0.0 }, Some(Sign::Plus));
            let m =
                rail(format!("{name}_m"), if s.initial < 0.0 { -s.initial } else { 0.0 }, Some(Sign::Minus));
            // One annihilation in every group whose equations move the value. A
            // learning value no equation moves (an input, a target) is only read:
            // the host cancels its rails when it loads it, so no reaction needs to.
            let mut groups: Vec<GroupId> =
                ode.equations.iter().filter(|e| e.target == name).map(|e| e.group).collect();
            groups.sort_unstable();
            groups.dedup();
            if groups.is_empty() && s.role == crate::crn::Role::Plain {
                groups.push(GroupId::MAIN);
            }
            for group in groups {
                let rate = ode.annihilation.get(&(name.clone(), group)).copied();
                if let Some(rate) = rate.unwrap_or(Some(network.annihilation)) {
                    annihilations.push(reaction(
                        vec![(p.clone(), 1), (m.clone(), 1)],
                        Vec::new(),
                        rate,
                        (s.span, group),
                        Vec::new(),
                    ));
                }
            }
            Held::Dual { p, m }
        };
        held.insert(name, h);
    }
    network.species = species;
    let mut lowering =
        Lowering { ode: &ode, held: &held, rate_law: network.rate_law, budget: options.max_expansion };
    for eq in &ode.equations {
        match lowering.equation(eq) {
            Ok(reactions) => Arc::make_mut(&mut network.reactions).extend(reactions),
            Err(d) => {
                diags.push(d);
                break;
            }
        }
    }
    Arc::make_mut(&mut network.reactions).extend(annihilations);
    (network, diags)
}

fn reaction(
    reactants: Vec<(String, u32)>,
    products: Vec<(String, u32)>,
    rate: f64,
    (span, group): (crate::source::Span, GroupId),
    brought_in_at: Vec<crate::source::Span>,
) -> ir::Reaction {
    ir::Reaction {
        group,
        label: None,
        reactants,
        products,
        forward: ir::Rate { value: rate, param: None },
        reverse: None,
        law: None,
        span,
        brought_in_at,
    }
}

struct Lowering<'a> {
    ode: &'a Ode,
    held: &'a HashMap<String, Held>,
    rate_law: RateLaw,
    /// Terms that may still be made (`--max-expansion`).
    budget: u64,
}

impl Lowering<'_> {
    fn held(&self, name: &str) -> Held {
        self.held.get(name).cloned().unwrap_or_else(|| Held::Single(name.to_string()))
    }

    fn equation(&mut self, eq: &Equation) -> Result<Vec<ir::Reaction>, Diagnostic> {
        let target = self.held(&eq.target);
        let mut species: IndexSet<String> = IndexSet::new();
        // Terms for the catalytic rule, railed together below so like terms cancel.
        let mut rest = Vec::new();
        let mut out = Vec::new();
        for (monomial, c) in &eq.rhs.terms {
            let local = match &target {
                Held::Dual { p, m } => self.rail_local(monomial, &eq.target).map(|n| (n, [p, m])),
                _ => None,
            };
            let Some((n, rails)) = local else {
                rest.push((monomial, c));
                continue;
            };
            let others: Monomial =
                monomial.iter().filter(|&&(v, _)| self.ode.variables[v].name != eq.target).copied().collect();
            let others = self.railed(&others, &Coefficient::number(1.0), &mut species, eq)?;
            for (m, k) in &others.terms {
                for rail in rails {
                    let mut reactants = names(m, &species);
                    add(&mut reactants, rail, n + 1);
                    let mut products = names(m, &species);
                    let left = if c.value < 0.0 { n } else { n + 2 };
                    if left > 0 {
                        add(&mut products, rail, left);
                    }
                    out.push(self.reaction(reactants, products, c.value.abs() * k.value, eq)?);
                }
            }
        }
        let mut railed = Polynomial::default();
        for (monomial, c) in rest {
            railed = railed.plus(self.railed(monomial, c, &mut species, eq)?);
        }
        for (m, c) in &railed.terms {
            let reactants = names(m, &species);
            let mut products = reactants.clone();
            match (&target, c.value > 0.0) {
                (Held::Dual { p, .. }, true) => add(&mut products, p, 1),
                (Held::Dual { m, .. }, false) => add(&mut products, m, 1),
                (Held::Single(s), true) => add(&mut products, s, 1),
                // The proof of non-negativity made the target a factor of every such term.
                (Held::Single(s), false) => {
                    if remove_one(&mut products, s).is_none() {
                        return Err(negative_cross_effect(eq, &self.ode.variables, &eq.target));
                    }
                }
                (Held::Minus(_), _) => unreachable!("a value with an equation is not a constant"),
            }
            out.push(self.reaction(reactants, products, c.value.abs(), eq)?);
        }
        Ok(out)
    }

    /// `Some(n)` when the term is c·x·|x|^n·M of x's own equation with M
    /// never negative: one that acts on each rail alone.
    fn rail_local(&self, monomial: &Monomial, target: &str) -> Option<u32> {
        let mut linear = false;
        let mut n = 0;
        for &(v, e) in monomial {
            let var = &self.ode.variables[v];
            match (var.name == target, var.abs) {
                (true, false) if e == 1 => linear = true,
                (true, false) => return None,
                (true, true) => n = e,
                (false, true) => {}
                (false, false) => match self.held(&var.name) {
                    Held::Single(_) => {}
                    Held::Dual { .. } | Held::Minus(_) => return None,
                },
            }
        }
        linear.then_some(n)
    }

    /// c·∏ v^e with every variable replaced by its rails, multiplied out
    /// over `species` (indices into it).
    fn railed(
        &mut self,
        monomial: &Monomial,
        c: &Coefficient,
        species: &mut IndexSet<String>,
        eq: &Equation,
    ) -> Result<Polynomial, Diagnostic> {
        let mut result = Polynomial::constant(c.clone());
        for &(v, e) in monomial {
            let Variable { name, abs } = &self.ode.variables[v];
            let mut rail = |s: &str| Polynomial::species(species.insert_full(s.to_string()).0);
            let image = match (self.held(name), abs) {
                (Held::Single(s), _) => rail(&s),
                (Held::Dual { p, m }, false) => rail(&p).plus(rail(&m).negated()),
                (Held::Dual { p, m }, true) => rail(&p).plus(rail(&m)),
                (Held::Minus(m), false) => rail(&m).negated(),
                (Held::Minus(m), true) => rail(&m),
            };
            let too_many = |e: TooManyTerms| too_many_terms(e, eq);
            result = result.times(&image.power(e).map_err(too_many)?).map_err(too_many)?;
            self.charge(result.terms.len(), eq)?;
        }
        Ok(result)
    }

    fn charge(&mut self, terms: usize, eq: &Equation) -> Result<(), Diagnostic> {
        match self.budget.checked_sub(terms as u64) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(Diagnostic::error("E0230", "the ode equations expand to more terms than the budget allows")
                .with_primary(eq.span, "the budget ran out on this equation")
                .with_note("every term of every equation, over the rails of its signed values, is one step of `--max-expansion`")
                .with_hint("raise the budget with `--max-expansion N` if the model is meant to be this large")),
        }
    }

    fn reaction(
        &self,
        reactants: Vec<(String, u32)>,
        products: Vec<(String, u32)>,
        c: f64,
        eq: &Equation,
    ) -> Result<ir::Reaction, Diagnostic> {
        let symmetry = self.rate_law.divisor(reactants.iter().map(|&(_, n)| n));
        let rate = c * symmetry;
        // Powers multiply coefficients; rails and the combinatoric ∏α! multiply them again.
        if !rate.is_finite() {
            return Err(Diagnostic::error(
                "E0302",
                "a term of the right-hand side has a rate that is not a finite number",
            )
            .with_primary(eq.span, format!("a term of this equation expands to the rate {}", number(rate)))
            .with_hint("rescale the equation: a power of a sum raises its coefficients to that power"));
        }
        if let Some(&(_, n)) = products.iter().chain(&reactants).find(|&&(_, n)| n > ir::MAX_COEFFICIENT) {
            return Err(Diagnostic::error("E0222", format!("a term needs {n} molecules of one species"))
                .with_primary(
                    eq.span,
                    format!("at most {} molecules of one species per complex", ir::MAX_COEFFICIENT),
                )
                .with_hint("each power becomes that many molecules in a reaction; rescale the equation"));
        }
        Ok(reaction(reactants, products, rate, (eq.span, eq.group), eq.brought_in_at.clone()))
    }
}

fn names(m: &Monomial, species: &IndexSet<String>) -> Vec<(String, u32)> {
    m.iter().map(|&(s, e)| (species[s].clone(), e)).collect()
}

fn add(side: &mut Vec<(String, u32)>, name: &str, n: u32) {
    match side.iter_mut().find(|(s, _)| s == name) {
        Some((_, m)) => *m += n,
        None => side.push((name.to_string(), n)),
    }
}

fn remove_one(side: &mut Vec<(String, u32)>, name: &str) -> Option<()> {
    let i = side.iter().position(|(s, _)| s == name)?;
    side[i].1 -= 1;
    if side[i].1 == 0 {
        side.remove(i);
    }
    Some(())
}

/// E0223: a product over [`crate::polynomial::MAX_TERMS`] terms.
pub(crate) fn too_many_terms(e: TooManyTerms, eq: &Equation) -> Diagnostic {
    crate::check::too_many_terms(e, eq.span)
}

/// The signed values that provably stay non-negative: the largest set whose
/// every possibly negative term has its target as a factor. A species whose
/// equation breaks this is an error (E0221).
fn single_rail(network: &Network, ode: &Ode, diags: &mut Vec<Diagnostic>) -> HashSet<String> {
    let signed: HashMap<&str, f64> =
        network.species.values().filter(|s| s.signed).map(|s| (s.name.as_str(), s.initial)).collect();
    let targets: HashSet<&str> = ode.equations.iter().map(|e| e.target.as_str()).collect();
    let mut single: HashSet<String> =
        signed.iter().filter(|&(_, &v)| v >= 0.0).map(|(&n, _)| n.to_string()).collect();
    // The sign of a factor: species, single-rail values and absolute values
    // are >= 0, a signed constant keeps the sign it starts with, other
    // values may be either.
    let sign = |single: &HashSet<String>, v: &Variable| match signed.get(v.name.as_str()) {
        _ if v.abs => Some(1),
        None => Some(1),
        Some(_) if single.contains(&v.name) => Some(1),
        Some(&initial) if !targets.contains(v.name.as_str()) => Some(if initial < 0.0 { -1 } else { 1 }),
        Some(_) => None,
    };
    loop {
        let failing: Vec<&str> = ode
            .equations
            .iter()
            .filter(|eq| single.contains(&eq.target))
            .filter(|eq| offending_term(eq, &ode.variables, |v| sign(&single, v)).is_some())
            .map(|eq| eq.target.as_str())
            .collect();
        if failing.is_empty() {
            break;
        }
        for target in failing {
            single.remove(target);
        }
    }
    for eq in ode.equations.iter().filter(|eq| !signed.contains_key(eq.target.as_str())) {
        if offending_term(eq, &ode.variables, |v| sign(&single, v)).is_some() {
            diags.push(negative_cross_effect(eq, &ode.variables, &eq.target));
        }
    }
    single
}

/// E0221: a species' equation may decrease it through a term without it.
fn negative_cross_effect(eq: &Equation, variables: &IndexSet<Variable>, target: &str) -> Diagnostic {
    let term = offending_term(eq, variables, |v| (v.abs).then_some(1)).unwrap_or_default();
    Diagnostic::error("E0221", format!("species `{target}` could become negative"))
        .with_primary(eq.span, format!("the term `{term}` may be negative and has no factor `{target}`"))
        .with_note("a species is a concentration, so its equation may only decrease it through terms that have it as a factor (no negative cross-effects)")
        .with_hint(format!("declare it `signed {target}` to represent it with two rails"))
}

/// The first term of the equation that may be negative without the target
/// as a factor, as text. `sign` gives a factor's sign, `None` when unknown.
fn offending_term(
    eq: &Equation,
    variables: &IndexSet<Variable>,
    sign: impl Fn(&Variable) -> Option<i32>,
) -> Option<String> {
    eq.rhs.terms.iter().find_map(|(monomial, c)| {
        let has_target = monomial.iter().any(|&(v, _)| variables[v].name == eq.target);
        let factor_signs: Option<i32> =
            monomial.iter().map(|&(v, e)| if e % 2 == 0 { Some(1) } else { sign(&variables[v]) }).product();
        let positive = c.value > 0.0 && factor_signs == Some(1);
        (!positive && !has_target).then(|| {
            let term = Polynomial { terms: [(monomial.clone(), c.clone())].into() };
            ir::OdeText(variables, &term).to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::diagnostic::Diagnostic;
    use crate::driver;
    use crate::source::MemoryFs;

    /// The reactions producing `z` in `z' = rhs`, or the error codes.
    fn producing_z(rhs: &str) -> Result<usize, Vec<&'static str>> {
        let src = format!(
            "network P {{ species x = 0.1, w = 0.1, u = 0.1, v = 0.1, a = 0.1, z; ode {{ z' = {rhs}; }} }}"
        );
        let crn = compiled(&src)?;
        let z = crn.species.iter().position(|s| s.name == "z").expect("z");
        Ok(crn.reactions.iter().filter(|r| r.products.iter().any(|&(s, _)| s.index() == z)).count())
    }

    fn compiled(src: &str) -> Result<crate::crn::Crn, Vec<&'static str>> {
        let fs = MemoryFs::new().with("p.crnl", src);
        driver::compile(&fs, Path::new("p.crnl"), None, &driver::Flags::default()).crn()
    }

    #[test]
    fn powers_whose_partial_products_exceeded_the_limit_expand_in_full() {
        // Each of these once gave no reaction at all, and z stayed 0.
        assert_eq!(producing_z("(x+w+u+v+a)^13"), Ok(2380));
        assert_eq!(producing_z("(x+w+u+v+a)^14"), Ok(3060));
        assert_eq!(producing_z("(x+w+u+v)^24"), Ok(2925));
        assert_eq!(producing_z("(x+w+u)^100"), Ok(5151));
    }

    #[test]
    fn a_right_hand_side_beyond_the_limit_is_an_error_with_the_count() {
        assert_eq!(producing_z("(x+w+u+v+a)^30"), Err(vec!["E0223"]));
        assert_eq!(producing_z("(x+w+u+v+a)^10 * (x+w+u+v+a)^10"), Err(vec!["E0223"]));
        let fs = MemoryFs::new()
            .with("p.crnl", "network P { species x = 0.1, w, u, v, a, z; ode { z' = (x+w+u+v+a)^30; } }");
        let c = driver::compile(&fs, Path::new("p.crnl"), None, &driver::Flags::default());
        let d: &Diagnostic = c.diagnostics().find(|d| d.code == "E0223").expect("E0223");
        assert!(d.labels.iter().any(|l| l.message.contains("46376 terms")), "{d:?}");
    }

    #[test]
    fn a_power_whose_coefficients_overflow_is_an_error() {
        // 10^400 was an infinite rate, and a panic in the IR's invariants.
        assert_eq!(producing_z("(10*x)^400"), Err(vec!["E0302"]));
        assert_eq!(producing_z("(2*x + 3*w)^700"), Err(vec!["E0302"]));
        assert_eq!(producing_z("(10*x)^300"), Ok(1));
    }
}
