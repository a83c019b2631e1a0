//! Why an analysis failed, and the diagnostic a user sees for it (codes
//! E1000-E1005, docs/diagnostics.md).

use super::conservation::ConservationError;
use super::states::Truncation;
use crate::crn::Crn;
use crate::diagnostic::Diagnostic;
use crate::sim::ssa::SsaError;

#[derive(Clone, Debug, PartialEq)]
pub enum AnalyzeError {
    /// An initial count that is not a whole number of molecules, or too large.
    InitialCount(SsaError),
    /// More states than `--max-states`; with the truncation of the last round
    /// that fitted and the stationary mass still at its edge.
    TooManyStates { limit: usize, truncation: Option<(Truncation, f64)> },
    /// Several closed classes reachable: one state of each.
    NotUnique { states: Vec<Vec<i64>> },
    /// A rate law's propensity is negative at `state`, or positive where its
    /// event would take the species at index `below_zero` under zero.
    Propensity { reaction: usize, value: f64, state: Vec<i64>, below_zero: Option<usize> },
    /// The conservation laws cannot be computed exactly.
    Conservation(ConservationError),
    /// The sparse solve failed.
    Solve(String),
}

impl AnalyzeError {
    /// The diagnostic of this error for network `crn`.
    pub fn diagnostic(&self, crn: &Crn) -> Diagnostic {
        let name = &crn.name;
        let names: Vec<&str> = crn.species.iter().map(|s| s.name.as_str()).collect();
        match self {
            AnalyzeError::InitialCount(e) => initial_count(crn, e),
            AnalyzeError::TooManyStates { limit, truncation } => {
                let d = Diagnostic::error(
                    "E1001",
                    format!("more than {limit} states are reachable from the initial state of `{name}` (`--max-states`)"),
                );
                let d = match truncation {
                    Some((t, mass)) => d.with_note(format!(
                        "the class is infinite in {}; cut at a total of {} molecules of them, the stationary mass at \
                         the cut was still {mass:e}, and the next cut has more states than that",
                        listed(t.species.iter().map(|&i| names[i])),
                        t.max_total
                    )),
                    None => d,
                };
                d.with_hint(
                    "raise `--max-states`; start nearer where the stationary mass lies (a truncation always holds \
                     the initial state); a network that grows without bound has no stationary distribution",
                )
            }
            AnalyzeError::NotUnique { states } => {
                let shown: Vec<String> = states.iter().take(2).map(|s| state_text(&names, s)).collect();
                Diagnostic::error(
                    "E1002",
                    format!(
                        "`{name}` has no unique stationary distribution: {} closed classes are reachable from its \
                         initial state",
                        states.len()
                    ),
                )
                .with_note(format!(
                    "for example {}: a run that enters one of them never leaves it, so where it ends up is chance",
                    shown.join(" and ")
                ))
                .with_hint("analyse from an initial state inside one class, or make the reactions that lead into them reversible")
            }
            AnalyzeError::Propensity { reaction, value, state, below_zero } => {
                let what = crn.reactions[*reaction].label.as_deref().map_or_else(
                    || format!("reaction {}", reaction + 1),
                    |label| format!("reaction `{label}`"),
                );
                let at = state_text(&names, state);
                let message = match below_zero {
                    Some(s) => format!(
                        "the rate law of {what} is {value} at the state {at}, but firing it would take the count of \
                         `{}` below zero",
                        names[*s]
                    ),
                    None => format!("the rate law of {what} is negative ({value}) at the state {at}"),
                };
                let d = Diagnostic::error("E1003", message).with_hint(
                    "a rate law must stay non-negative on every state the network can reach, and be 0 where its \
                     reaction would take a count below zero (e.g. a factor of the species it consumes)",
                );
                match crn.reactions[*reaction].origin.span {
                    Some(span) => d.with_primary(span, "this rate law"),
                    None => d,
                }
            }
            AnalyzeError::Conservation(ConservationError::TooLarge { species, reactions }) => Diagnostic::error(
                "E1004",
                format!("`{name}` is too large for exact analysis: {species} species and {reactions} reactions"),
            )
            .with_note("the exact conservation laws take species² x (species + reactions) steps, at most 2e9")
            .with_hint("exact analysis is for small networks; simulate large ones with `crnc run --method ssa`"),
            AnalyzeError::Conservation(ConservationError::Overflow) => Diagnostic::error(
                "E1004",
                format!("the conservation laws of `{name}` have coefficients beyond the integer range"),
            )
            .with_hint("exact analysis is for small networks; simulate large ones with `crnc run --method ssa`"),
            AnalyzeError::Solve(why) => {
                Diagnostic::error("E1005", format!("the stationary distribution of `{name}` could not be solved"))
                    .with_note(format!("the sparse LU of the generator failed: {why}"))
                    .with_hint("`--method generator` and `--method auto` use different methods; try the other")
            }
        }
    }
}

/// E1000 at the species' declaration.
fn initial_count(crn: &Crn, e: &SsaError) -> Diagnostic {
    let (species, why) = match e {
        SsaError::NotInteger { species, .. } => {
            (Some(species), "its initial count is not a whole number of molecules")
        }
        SsaError::TooLarge { species, .. } => (Some(species), "its initial count is too large"),
        _ => (None, ""),
    };
    let d = Diagnostic::error("E1000", format!("`{}` cannot be analysed in molecule counts", crn.name))
        .with_note(e.to_string())
        .with_hint("give whole molecule counts: scale the initial value, or the network's `volume`");
    let span =
        species.and_then(|name| crn.species.iter().find(|s| s.name == *name)).and_then(|s| s.origin.span);
    match span {
        Some(span) => d.with_primary(span, why),
        None => d,
    }
}

/// `{A = 1, B = 0}`.
fn state_text(names: &[&str], state: &[i64]) -> String {
    let counts: Vec<String> = names.iter().zip(state).map(|(n, c)| format!("{n} = {c}")).collect();
    format!("{{{}}}", counts.join(", "))
}

/// `` `X` and `P` ``, `` `A`, `B` and `C` ``.
fn listed<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}
