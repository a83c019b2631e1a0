//! Polynomials in the species with constant coefficients: what an SBML
//! kinetic law must reduce to for crnc to write it as mass action, and what
//! the right-hand side of an `ode` equation is lowered from.
//!
//! A coefficient keeps, beside its value, the product of global parameters it
//! was built from (`2 * k1 / k2`), so that the translation can write `@ k1`
//! instead of a bare number; sums of unlike products lose that form and keep
//! only the value.

use std::collections::BTreeMap;

/// Species indices with their exponents (>= 1), sorted by species.
pub type Monomial = Vec<(usize, u32)>;

/// A coefficient: its value and, while it is one, a product `number * ∏ p^e`
/// of global parameters (by index, sorted, non-zero exponents).
#[derive(Clone, Debug, PartialEq)]
pub struct Coefficient {
    pub value: f64,
    pub product: Option<(f64, Vec<(usize, i32)>)>,
}

impl Coefficient {
    pub fn number(x: f64) -> Coefficient {
        Coefficient { value: x, product: Some((x, Vec::new())) }
    }

    pub fn parameter(index: usize, value: f64) -> Coefficient {
        Coefficient { value, product: Some((1.0, vec![(index, 1)])) }
    }

    pub fn times(&self, other: &Coefficient) -> Coefficient {
        let product = match (&self.product, &other.product) {
            (Some((a, pa)), Some((b, pb))) => Some((a * b, merge_exponents(pa, pb))),
            _ => None,
        };
        Coefficient { value: self.value * other.value, product }
    }

    pub fn reciprocal(&self) -> Coefficient {
        let product =
            self.product.as_ref().map(|(n, ps)| (1.0 / n, ps.iter().map(|&(p, e)| (p, -e)).collect()));
        Coefficient { value: 1.0 / self.value, product }
    }

    fn plus(&self, other: &Coefficient) -> Coefficient {
        let product = match (&self.product, &other.product) {
            (Some((a, pa)), Some((b, pb))) if pa == pb => Some((a + b, pa.clone())),
            _ => None,
        };
        Coefficient { value: self.value + other.value, product }
    }

    pub fn negated(&self) -> Coefficient {
        Coefficient { value: -self.value, product: self.product.as_ref().map(|(n, ps)| (-n, ps.clone())) }
    }
}

/// The product of two power products: exponents of a shared key add, and
/// zero exponents drop out. Both are sorted by key, so one linear merge does:
/// this runs for every pair of terms of a product.
fn merge_exponents<K: Ord + Copy, E: Exponent>(a: &[(K, E)], b: &[(K, E)]) -> Vec<(K, E)> {
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(&(ka, ea)), Some(&(kb, eb))) if ka == kb => {
                (i, j) = (i + 1, j + 1);
                (ka, ea.plus(eb))
            }
            (Some(&x), Some(&(kb, _))) if x.0 < kb => {
                i += 1;
                x
            }
            (_, Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, None) => unreachable!("the loop runs while one side has keys"),
        };
        if next.1 != E::default() {
            merged.push(next);
        }
    }
    merged
}

/// An exponent that saturates instead of overflowing: powers of powers
/// (`((x^1000)^1000)^1000`) pass any integer type, and a saturated exponent
/// is refused downstream as too large (E0222) rather than wrapping or panicking.
trait Exponent: Copy + PartialEq + Default {
    fn plus(self, other: Self) -> Self;
}

impl Exponent for u32 {
    fn plus(self, other: u32) -> u32 {
        self.saturating_add(other)
    }
}

impl Exponent for i32 {
    fn plus(self, other: i32) -> i32 {
        self.saturating_add(other)
    }
}

/// A sum of monomials with non-zero coefficients.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Polynomial {
    pub terms: BTreeMap<Monomial, Coefficient>,
}

/// Above this many terms a product is refused: real kinetic laws have a
/// handful, each term of an `ode` right-hand side becomes at least one
/// reaction, and `(a + b)^1000` should fail fast rather than fill memory.
pub const MAX_TERMS: usize = 10_000;

/// Above this many pairs of terms one product is refused even if like terms
/// would bring it under [`MAX_TERMS`]: the work, not the result, is bounded.
pub const MAX_PAIRS: usize = 1_000_000;

/// A product over [`MAX_TERMS`]: `terms` is how many it could have (the
/// bound from the factors' sizes, reached when no two products coincide).
#[derive(Debug, PartialEq)]
pub struct TooManyTerms {
    pub terms: u128,
}

impl Polynomial {
    pub fn constant(c: Coefficient) -> Polynomial {
        let mut p = Polynomial::default();
        p.add_term(Vec::new(), c);
        p
    }

    pub fn species(index: usize) -> Polynomial {
        let mut p = Polynomial::default();
        p.add_term(vec![(index, 1)], Coefficient::number(1.0));
        p
    }

    /// The value when no species occurs, else `None`.
    pub fn as_constant(&self) -> Option<&Coefficient> {
        match self.terms.iter().next() {
            None => None,
            Some((m, c)) if m.is_empty() && self.terms.len() == 1 => Some(c),
            Some(_) => None,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }

    fn add_term(&mut self, monomial: Monomial, c: Coefficient) {
        let sum = match self.terms.remove(&monomial) {
            Some(old) => old.plus(&c),
            None => c,
        };
        if sum.value != 0.0 {
            self.terms.insert(monomial, sum);
        }
    }

    pub fn plus(mut self, other: Polynomial) -> Polynomial {
        for (m, c) in other.terms {
            self.add_term(m, c);
        }
        self
    }

    pub fn negated(self) -> Polynomial {
        Polynomial { terms: self.terms.into_iter().map(|(m, c)| (m, c.negated())).collect() }
    }

    pub fn times(&self, other: &Polynomial) -> Result<Polynomial, TooManyTerms> {
        let pairs = self.terms.len().saturating_mul(other.terms.len());
        let too_many = TooManyTerms { terms: self.terms.len() as u128 * other.terms.len() as u128 };
        if pairs > MAX_PAIRS {
            return Err(too_many);
        }
        let mut product = Polynomial::default();
        for (ma, ca) in &self.terms {
            for (mb, cb) in &other.terms {
                product.add_term(merge_exponents(ma, mb), ca.times(cb));
            }
            // Like terms may still cancel, but memory is bounded as it goes.
            if product.terms.len() > MAX_TERMS {
                return Err(too_many);
            }
        }
        Ok(product)
    }

    pub fn scaled(self, c: &Coefficient) -> Polynomial {
        Polynomial { terms: self.terms.into_iter().map(|(m, k)| (m, k.times(c))).collect() }
    }

    /// `self^exponent`, or the number of terms it could have: a sum of n
    /// terms to the power e has at most C(n+e-1, e), one per multiset of e
    /// terms (every partial power has fewer, so the bound is the one to report).
    pub fn power(&self, exponent: u32) -> Result<Polynomial, TooManyTerms> {
        Ok(self.power_charged(exponent, |_| true)?.expect("nothing refuses the work"))
    }

    /// [`Polynomial::power`], asking `charge` before each multiplication
    /// whether its pairs of terms may be formed; `Ok(None)` when it says no.
    pub fn power_charged(
        &self,
        exponent: u32,
        mut charge: impl FnMut(usize) -> bool,
    ) -> Result<Option<Polynomial>, TooManyTerms> {
        let mut result = Polynomial::constant(Coefficient::number(1.0));
        for _ in 0..exponent {
            if !charge(result.terms.len().saturating_mul(self.terms.len())) {
                return Ok(None);
            }
            result = result.times(self).map_err(|_| TooManyTerms {
                terms: multisets(self.terms.len(), exponent).max(MAX_TERMS as u128 + 1),
            })?;
        }
        Ok(Some(result))
    }
}

impl Polynomial {
    /// ∂p/∂v, where `abs` is the variable standing for |v| when the
    /// polynomial has one. Below a ≥ 1 or b ≥ 2:
    /// d/dv v^a·|v|^b = (a+b)·v^(a-1)·|v|^b, and d/dv |v|^b = b·v·|v|^(b-2).
    /// A lone |v| has the derivative sgn v, which is no polynomial.
    pub fn derivative(&self, v: usize, abs: Option<usize>) -> Result<Polynomial, SignOfAbs> {
        let mut d = Polynomial::default();
        for (monomial, c) in &self.terms {
            let power = |of: Option<usize>| {
                of.and_then(|i| monomial.iter().find(|&&(x, _)| x == i)).map_or(0, |&(_, e)| e)
            };
            let (a, b) = (power(Some(v)), power(abs));
            let rest = || monomial.iter().filter(|&&(x, _)| x != v && Some(x) != abs).copied();
            let (factor, v_power, abs_power) = match (a, b) {
                (0, 0) => continue,
                (a, b) if a >= 1 => (a.saturating_add(b), a - 1, b),
                (_, 1) => return Err(SignOfAbs),
                (_, b) => (b, 1, b - 2),
            };
            let mut m: Monomial = rest().collect();
            m.extend([(v, v_power)].into_iter().filter(|&(_, e)| e > 0));
            m.extend(abs.map(|i| (i, abs_power)).filter(|&(_, e)| e > 0));
            m.sort_unstable();
            d.add_term(m, c.times(&Coefficient::number(f64::from(factor))));
        }
        Ok(d)
    }

    /// The polynomial with variable `v` replaced by `q`.
    pub fn substituted(&self, v: usize, q: &Polynomial) -> Result<Polynomial, TooManyTerms> {
        let mut result = Polynomial::default();
        for (monomial, c) in &self.terms {
            let e = monomial.iter().find(|&&(x, _)| x == v).map_or(0, |&(_, e)| e);
            let rest: Monomial = monomial.iter().filter(|&&(x, _)| x != v).copied().collect();
            let mut term = Polynomial::default();
            term.add_term(rest, c.clone());
            result = result.plus(if e == 0 { term } else { term.times(&q.power(e)?)? });
        }
        Ok(result)
    }

    /// The polynomial over renumbered variables; variables that `rename`
    /// maps to one index multiply.
    pub fn renamed(&self, rename: impl Fn(usize) -> usize) -> Polynomial {
        let mut result = Polynomial::default();
        for (monomial, c) in &self.terms {
            let mut renamed: Monomial = Vec::with_capacity(monomial.len());
            let mut sorted: Monomial = monomial.iter().map(|&(x, e)| (rename(x), e)).collect();
            sorted.sort_unstable();
            for (x, e) in sorted {
                match renamed.last_mut() {
                    Some((last, total)) if *last == x => *total = total.saturating_add(e),
                    _ => renamed.push((x, e)),
                }
            }
            result.add_term(renamed, c.clone());
        }
        result
    }

    /// The variables that occur, sorted.
    pub fn variables(&self) -> Vec<usize> {
        let mut vs: Vec<usize> = self.terms.keys().flatten().map(|&(x, _)| x).collect();
        vs.sort_unstable();
        vs.dedup();
        vs
    }

    /// The value at `x` (indexed by variable).
    pub fn value(&self, x: &[f64]) -> f64 {
        self.terms.iter().map(|(m, c)| m.iter().fold(c.value, |v, &(i, e)| v * x[i].powi(e as i32))).sum()
    }
}

/// The derivative of a lone |v|, sgn v, is not a polynomial.
#[derive(Debug, PartialEq)]
pub struct SignOfAbs;

/// C(n+k-1, k), saturating: the number of multisets of k out of n things.
fn multisets(n: usize, k: u32) -> u128 {
    let (n, k) = (n as u128, u128::from(k));
    // Each partial product C(n-1+i, i) is a whole number, so the division is exact.
    (1..=k).try_fold(1u128, |c, i| c.checked_mul(n + i - 1).map(|c| c / i)).unwrap_or(u128::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(i: usize, v: f64) -> Polynomial {
        Polynomial::constant(Coefficient::parameter(i, v))
    }

    #[test]
    fn products_keep_their_parameters_and_like_terms_add() {
        // k0 * (S0 + S1) - k0 * S1 = k0 * S0
        let s = Polynomial::species(0).plus(Polynomial::species(1));
        let law =
            k(0, 2.0).times(&s).unwrap().plus(k(0, 2.0).times(&Polynomial::species(1)).unwrap().negated());
        assert_eq!(law.terms.len(), 1);
        let c = &law.terms[&vec![(0, 1)]];
        assert_eq!(c.value, 2.0);
        assert_eq!(c.product, Some((1.0, vec![(0, 1)])));
    }

    #[test]
    fn division_by_a_parameter_cancels_it() {
        let c = Coefficient::parameter(3, 4.0).times(&Coefficient::parameter(3, 4.0).reciprocal());
        assert_eq!(c.value, 1.0);
        assert_eq!(c.product, Some((1.0, vec![])));
    }

    #[test]
    fn unlike_products_keep_only_the_value() {
        let sum = k(0, 1.5).plus(k(1, 2.0));
        let c = sum.as_constant().unwrap();
        assert_eq!(c.value, 3.5);
        assert_eq!(c.product, None);
    }

    #[test]
    fn powers_expand_and_blow_ups_are_refused() {
        let s = Polynomial::species(0).plus(Polynomial::species(1));
        let square = s.power(2).unwrap();
        assert_eq!(square.terms[&vec![(0, 1), (1, 1)]].value, 2.0);
        assert_eq!(square.terms[&vec![(0, 2)]].value, 1.0);
        let wide = (0..200).map(Polynomial::species).fold(Polynomial::default(), Polynomial::plus);
        assert_eq!(wide.power(3), Err(TooManyTerms { terms: 1_353_400 }));
    }

    #[test]
    fn a_power_within_the_limit_expands_however_large_its_partial_products_look() {
        // 2380 terms times 5 was refused as 11,900 > 10,000 before the result was counted.
        let five = (0..5).map(Polynomial::species).fold(Polynomial::default(), Polynomial::plus);
        assert_eq!(five.power(14).unwrap().terms.len(), 3060);
        assert_eq!(five.power(30), Err(TooManyTerms { terms: 46_376 }));
        let three = (0..3).map(Polynomial::species).fold(Polynomial::default(), Polynomial::plus);
        assert_eq!(three.power(100).unwrap().terms.len(), 5151);
        assert_eq!(multisets(0, 3), 0);
        assert_eq!(multisets(1000, 1000), u128::MAX);
    }

    #[test]
    fn powers_of_powers_saturate_their_exponents() {
        let x = Polynomial::species(0).power(1000).unwrap().power(1000).unwrap();
        let huge = x.power(1000).unwrap().power(1000).unwrap();
        assert_eq!(huge.terms.keys().next().unwrap(), &vec![(0, u32::MAX)]);
    }
    #[test]
    fn derivatives_of_powers_and_absolute_values() {
        // v = 0, |v| = 1, w = 2: p = 3 v^2 w - 0.15 v|v| + |v|^3
        let (v, a, w) = (Polynomial::species(0), Polynomial::species(1), Polynomial::species(2));
        let c = |x: f64| Polynomial::constant(Coefficient::number(x));
        let p = c(3.0)
            .times(&v.power(2).unwrap())
            .unwrap()
            .times(&w)
            .unwrap()
            .plus(c(-0.15).times(&v).unwrap().times(&a).unwrap())
            .plus(a.power(3).unwrap());
        let d = p.derivative(0, Some(1)).unwrap();
        // 6 v w - 0.3 |v| + 3 v |v|
        assert_eq!(d.terms.len(), 3);
        assert_eq!(d.terms[&vec![(0, 1), (2, 1)]].value, 6.0);
        assert_eq!(d.terms[&vec![(1, 1)]].value, -0.3);
        assert_eq!(d.terms[&vec![(0, 1), (1, 1)]].value, 3.0);
        // Numerically, on both signs of v.
        for &x in &[-1.7, -0.3, 0.4, 2.2] {
            let at = |x: f64| p.value(&[x, x.abs(), 0.9]);
            let numeric = (at(x + 1e-6) - at(x - 1e-6)) / 2e-6;
            assert!((d.value(&[x, x.abs(), 0.9]) - numeric).abs() < 1e-6, "at {x}");
        }
        assert_eq!(a.derivative(0, Some(1)), Err(SignOfAbs));
        assert!(w.derivative(0, Some(1)).unwrap().is_zero());
    }

    #[test]
    fn substitution_and_renaming() {
        // (x0 + x1)^2 with x1 := 2 x0 is 9 x0^2; renaming x1 to x0 gives 4 x0^2.
        let s = Polynomial::species(0).plus(Polynomial::species(1)).power(2).unwrap();
        let two_x0 = Polynomial::species(0).scaled(&Coefficient::number(2.0));
        let sub = s.substituted(1, &two_x0).unwrap();
        assert_eq!(sub.terms.len(), 1);
        assert_eq!(sub.terms[&vec![(0, 2)]].value, 9.0);
        let renamed = s.renamed(|_| 0);
        assert_eq!(renamed.terms[&vec![(0, 2)]].value, 4.0);
        assert_eq!(s.renamed(|i| 5 - i).variables(), vec![4, 5]);
    }
}
