//! Conservation laws: a basis of the left null space of the stoichiometry
//! matrix S (every c with cᵀS = 0, so cᵀn is constant along any run), in
//! exact integer arithmetic.
//!
//! A basis is not unique, and the one Gaussian elimination gives is often
//! mixed in sign (`A - C` where `A + B` and `B + C` hold). Non-negative laws
//! are what a reader expects and what bounds the reachable states, so the
//! basis is built from the minimal non-negative laws first (the Farkas
//! algorithm for the semi-positive invariants of a Petri net), smallest
//! support first, and completed from the elimination's basis only where the
//! non-negative ones do not span the whole space.

use crate::crn::Crn;

/// One law: Σ_i coefficients[i] · n_i stays constant, over the CRN's species.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConservationLaw {
    /// Per species (the CRN's order), in lowest terms; the first nonzero is positive.
    pub coefficients: Vec<i64>,
}

impl ConservationLaw {
    pub fn is_non_negative(&self) -> bool {
        self.coefficients.iter().all(|&c| c >= 0)
    }

    /// The conserved quantity at `amounts` (per species).
    pub fn total(&self, amounts: &[f64]) -> f64 {
        self.coefficients.iter().zip(amounts).map(|(&c, &a)| c as f64 * a).sum()
    }

    /// The law's left side, `A + B + 2 C` or `A - B`.
    pub fn text(&self, names: &[String]) -> String {
        let mut text = String::new();
        for (&c, name) in self.coefficients.iter().zip(names).filter(|(c, _)| **c != 0) {
            let sign = match (text.is_empty(), c < 0) {
                (true, false) => "",
                (true, true) => "-",
                (false, false) => " + ",
                (false, true) => " - ",
            };
            text.push_str(sign);
            if c.abs() != 1 {
                text.push_str(&format!("{} ", c.abs()));
            }
            text.push_str(name);
        }
        text
    }
}

/// Why the laws could not be computed exactly.
#[derive(Clone, Debug, PartialEq)]
pub enum ConservationError {
    /// The elimination would take more steps than [`MAX_WORK`].
    TooLarge { species: usize, reactions: usize },
    /// A coefficient left the integer range.
    Overflow,
}

/// Species² · (species + reactions) above this is refused: the dense exact
/// elimination takes seconds there, and a network that size has far too many
/// states for `--stationary` anyway.
pub const MAX_WORK: u128 = 2_000_000_000;

/// Intermediate rows above which the Farkas algorithm gives up on a
/// non-negative basis (its row count can grow exponentially) and the
/// elimination's basis is used as it is.
const FARKAS_MAX_ROWS: usize = 4096;

/// A basis of the conservation laws of `crn`: non-negative laws where they
/// span the space, the fewest species first.
pub fn conservation_laws(crn: &Crn) -> Result<Vec<ConservationLaw>, ConservationError> {
    let (n, m) = (crn.species.len(), crn.reactions.len());
    let work = (n as u128).pow(2) * (n + m) as u128;
    if work > MAX_WORK {
        return Err(ConservationError::TooLarge { species: n, reactions: m });
    }
    // Row i: species i's net change in every reaction, then the unit vector e_i.
    let rows: Vec<Vec<i128>> = (0..n)
        .map(|i| {
            let mut row = vec![0; m + n];
            row[m + i] = 1;
            row
        })
        .collect();
    let mut rows = rows;
    for (r, reaction) in crn.reactions.iter().enumerate() {
        for (s, d) in reaction.net_change() {
            rows[s.index()][r] = i128::from(d);
        }
    }
    let null_basis = left_null_space(rows.clone(), m)?;
    let dimension = null_basis.len();
    let mut semi_positive = farkas(rows, m)?.unwrap_or_default();
    // The fewest species first; among equals, the laws of the species declared first.
    semi_positive.sort_by_key(|v| (v.iter().filter(|&&c| c != 0).count(), std::cmp::Reverse(v.clone())));
    let mut basis = Echelon::default();
    let mut laws = Vec::new();
    for v in semi_positive.into_iter().chain(null_basis) {
        if laws.len() == dimension {
            break;
        }
        if basis.insert(&v)? {
            laws.push(law(v)?);
        }
    }
    Ok(laws)
}

/// For each species, whether some non-negative law among `laws` bounds its
/// count (a positive coefficient): its count cannot grow past the law's total.
pub fn bounded_species(laws: &[ConservationLaw], species: usize) -> Vec<bool> {
    (0..species).map(|i| laws.iter().any(|l| l.is_non_negative() && l.coefficients[i] > 0)).collect()
}

/// The law of an integer vector: lowest terms, first nonzero positive.
fn law(mut v: Vec<i128>) -> Result<ConservationLaw, ConservationError> {
    normalise(&mut v);
    if v.iter().find(|&&c| c != 0).is_some_and(|&c| c < 0) {
        v.iter_mut().for_each(|c| *c = -*c);
    }
    let coefficients: Result<Vec<i64>, _> =
        v.into_iter().map(|c| i64::try_from(c).map_err(|_| ConservationError::Overflow)).collect();
    Ok(ConservationLaw { coefficients: coefficients? })
}

/// The unit-vector parts of the rows whose first `m` entries eliminate to
/// zero: a basis of {c : cᵀS = 0}.
fn left_null_space(mut rows: Vec<Vec<i128>>, m: usize) -> Result<Vec<Vec<i128>>, ConservationError> {
    let mut pivoted = vec![false; rows.len()];
    for j in 0..m {
        let Some(p) = (0..rows.len()).find(|&i| !pivoted[i] && rows[i][j] != 0) else { continue };
        pivoted[p] = true;
        let pivot = rows[p].clone();
        for (i, row) in rows.iter_mut().enumerate() {
            if !pivoted[i] && row[j] != 0 {
                eliminate(row, &pivot, j)?;
            }
        }
    }
    Ok(rows.into_iter().zip(pivoted).filter(|(_, p)| !p).map(|(row, _)| row[m..].to_vec()).collect())
}

/// The minimal non-negative laws (their unit-vector parts), or `None` when
/// the algorithm's rows pass [`FARKAS_MAX_ROWS`].
fn farkas(mut rows: Vec<Vec<i128>>, m: usize) -> Result<Option<Vec<Vec<i128>>>, ConservationError> {
    for j in 0..m {
        let (zero, nonzero): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r[j] == 0);
        let (positive, negative): (Vec<_>, Vec<_>) = nonzero.into_iter().partition(|r| r[j] > 0);
        let mut next = zero;
        for p in &positive {
            for q in &negative {
                // |q_j|·p + p_j·q: zero in column j, non-negative in the unit-vector part.
                let mut row = p.clone();
                for (a, (&pk, &qk)) in row.iter_mut().zip(p.iter().zip(q)) {
                    *a = checked_sum(-q[j], pk, p[j], qk)?;
                }
                normalise(&mut row);
                next.push(row);
            }
        }
        rows = minimal_supports(next, m);
        if rows.len() > FARKAS_MAX_ROWS {
            return Ok(None);
        }
    }
    Ok(Some(rows.into_iter().map(|r| r[m..].to_vec()).collect()))
}

/// Drops duplicates and every row whose support (in the unit-vector part)
/// contains another row's: what remains are the extreme rays.
fn minimal_supports(mut rows: Vec<Vec<i128>>, m: usize) -> Vec<Vec<i128>> {
    rows.sort();
    rows.dedup();
    let supports: Vec<Vec<bool>> = rows.iter().map(|r| r[m..].iter().map(|&c| c != 0).collect()).collect();
    let contains = |a: &[bool], b: &[bool]| a.iter().zip(b).all(|(&x, &y)| x || !y);
    let keep: Vec<bool> = (0..rows.len())
        .map(|i| {
            !(0..rows.len()).any(|k| {
                k != i && contains(&supports[i], &supports[k]) && (supports[i] != supports[k] || k < i)
            })
        })
        .collect();
    rows.into_iter().zip(keep).filter(|(_, k)| *k).map(|(r, _)| r).collect()
}

/// Rows in echelon form, for telling whether a vector adds to their span.
#[derive(Default)]
struct Echelon {
    rows: Vec<(usize, Vec<i128>)>,
}

impl Echelon {
    /// Adds `v` if it is independent of the rows so far; says whether it was.
    fn insert(&mut self, v: &[i128]) -> Result<bool, ConservationError> {
        let mut v = v.to_vec();
        for (pivot, row) in &self.rows {
            if v[*pivot] != 0 {
                eliminate(&mut v, row, *pivot)?;
            }
        }
        match v.iter().position(|&c| c != 0) {
            Some(pivot) => {
                self.rows.push((pivot, v));
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// row <- pivot_j · row - row_j · pivot (zero in column j), in lowest terms.
fn eliminate(row: &mut [i128], pivot: &[i128], j: usize) -> Result<(), ConservationError> {
    let (a, b) = (pivot[j], row[j]);
    for (x, &p) in row.iter_mut().zip(pivot) {
        *x = checked_sum(a, *x, -b, p)?;
    }
    normalise(row);
    Ok(())
}

/// a·x + b·y, or an overflow error.
fn checked_sum(a: i128, x: i128, b: i128, y: i128) -> Result<i128, ConservationError> {
    a.checked_mul(x)
        .zip(b.checked_mul(y))
        .and_then(|(u, v)| u.checked_add(v))
        .ok_or(ConservationError::Overflow)
}

/// Divides by the greatest common divisor of the entries.
fn normalise(v: &mut [i128]) {
    let g = v.iter().fold(0i128, |g, &c| gcd(g, c.abs()));
    if g > 1 {
        v.iter_mut().for_each(|c| *c /= g);
    }
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::tests::crn_of;

    fn texts(src: &str) -> Vec<String> {
        let crn = crn_of(src);
        let names: Vec<String> = crn.species.iter().map(|s| s.name.clone()).collect();
        conservation_laws(&crn).unwrap().iter().map(|l| l.text(&names)).collect()
    }

    #[test]
    fn a_cycle_conserves_its_total() {
        assert_eq!(
            texts("network C { species A = 1, B, C; A -> B @ 1; B -> C @ 2; C -> A @ 3; }"),
            ["A + B + C"]
        );
    }

    #[test]
    fn dimerisation_conserves_monomers_counted_twice_in_the_dimer() {
        assert_eq!(texts("network D { species A = 4, B; 2 A <-> B @ 1, 1; }"), ["A + 2 B"]);
    }

    /// Elimination alone would give `A - C` beside one of them; both
    /// non-negative laws are found instead.
    #[test]
    fn the_basis_is_non_negative_where_it_can_be() {
        let laws = texts("network E { species A = 1, B, C; A + C -> B @ 1; B -> A + C @ 1; }");
        assert_eq!(laws, ["A + B", "B + C"]);
    }

    #[test]
    fn a_law_with_both_signs_is_kept_when_there_is_no_other() {
        assert_eq!(texts("network M { species A = 3, B = 2; A + B -> 0 @ 1; }"), ["A - B"]);
    }

    #[test]
    fn an_open_network_has_none_and_a_catalyst_is_its_own_law() {
        assert_eq!(texts("network O { species X, Q = 100; 0 <-> X @ 1, 1; X + Q -> Q @ 1; }"), ["Q"]);
    }

    #[test]
    fn bounded_species_are_those_of_a_non_negative_law() {
        let crn =
            crn_of("network B { species A = 3, B = 2, X; A + B -> 0 @ 1; 0 -> X @ 1; A <-> X @ 1, 1; }");
        let laws = conservation_laws(&crn).unwrap();
        assert_eq!(bounded_species(&laws, 3), [false, false, false]);
        let crn = crn_of("network B { species A = 3, B = 2, X; A <-> B @ 1, 1; 0 <-> X @ 1, 1; }");
        let laws = conservation_laws(&crn).unwrap();
        assert_eq!(bounded_species(&laws, 3), [true, true, false]);
    }
}
