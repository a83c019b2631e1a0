//! A distribution over counts, read from CSV, as an *environment network*
//! whose stationary law is that distribution exactly (docs/learning.md,
//! "Targets from data"): the target a learner is clamped to or matches means
//! with, when the target is data rather than a mechanism (domain.md §3.7).
//!
//! The file has a header naming the species, then one row per state. With a
//! last column `p` each row is a state and its weight (the layout of
//! `crnc analyze --stationary -o dist.csv`); without it each row is one
//! sample, and a state's weight is how often it occurs. Weights are
//! normalised.
//!
//! The network holds one indicator species per state (`state_j`, 1 while
//! the environment is in state j) and the columns' species, with the counts
//! of the most probable state at the start. From any state i it jumps to
//! state j at rate p_j (per unit time), moving the columns' counts from row
//! i's to row j's. The time spent in j is then a fraction p_j whatever the
//! order of visits: the stationary law of the columns is the file's. The
//! environment so leaves its state about once per unit time; a learner's
//! clamps and learning rates are set against that.

use std::collections::HashSet;
use std::fmt::Write;

use indexmap::IndexMap;

use super::bionetgen::Translation;
use super::identifier;
use crate::backend::number;
use crate::diagnostic::Diagnostic;
use crate::learn::data::csv::{Field, Row, rows};
use crate::source::{FileId, Origin, Span};

/// States above this make more than about 40,000 jump reactions (one per
/// ordered pair); a larger distribution should be binned or sampled.
pub const MAX_STATES: usize = 200;

/// The weight column's name in the header.
const WEIGHT: &str = "p";

/// The crnl text of the environment network named `network_name` for the
/// distribution in `text`, or the diagnostics that stopped the translation.
pub fn to_crnl(file: FileId, text: &str, network_name: &str) -> Result<Translation, Vec<Diagnostic>> {
    let law = read(file, text)?;
    Ok(write(file, &law, network_name))
}

/// The states of a distribution file, each with its weight (normalised) and
/// the row that first gave it.
struct Law<'a> {
    columns: Vec<Field<'a>>,
    states: IndexMap<Vec<u64>, (f64, Span)>,
}

fn read(file: FileId, text: &str) -> Result<Law<'_>, Vec<Diagnostic>> {
    let mut rows = rows(text);
    let Some(header) = rows.next() else {
        return Err(vec![error("the distribution file is empty", Span::new(file, 0, 0), "nothing here")
            .with_hint("write a header row naming the species, then one row per sample (or per state, with a last column `p`)")]);
    };
    let weighted = header.fields.last().is_some_and(|f| f.text == WEIGHT);
    let columns: Vec<Field> = header.fields[..header.fields.len() - usize::from(weighted)].to_vec();
    let mut errors = header_errors(file, &header, &columns);
    let mut states: IndexMap<Vec<u64>, (f64, Span)> = IndexMap::new();
    for row in rows {
        if row.fields.len() != header.fields.len() {
            errors.push(
                error(
                    format!("a row of {} fields under a header of {}", row.fields.len(), header.fields.len()),
                    row.span(file),
                    "this row",
                )
                .with_hint(format!(
                    "write one count per species{}",
                    if weighted { ", then the weight p" } else { "" }
                )),
            );
            continue;
        }
        let counts: Vec<Option<u64>> =
            row.fields[..columns.len()].iter().map(|f| count(f, file, &mut errors)).collect();
        let weight = if weighted { weight(&row.fields[columns.len()], file, &mut errors) } else { Some(1.0) };
        if let (Some(counts), Some(weight)) = (counts.into_iter().collect::<Option<Vec<u64>>>(), weight) {
            states.entry(counts).or_insert((0.0, row.span(file))).0 += weight;
        }
    }
    if errors.is_empty() {
        let total: f64 = states.values().map(|(w, _)| w).sum();
        if total <= 0.0 || !total.is_finite() {
            let what = if states.is_empty() { "holds no states" } else { "gives every state weight 0" };
            errors.push(
                error(format!("the distribution file {what}"), header.span(file), "the header")
                    .with_hint("add rows after the header; at least one state needs a weight above 0"),
            );
        } else if states.len() > MAX_STATES {
            errors.push(
                error(
                    format!("the distribution has {} states, over the {MAX_STATES} crnc takes", states.len()),
                    header.span(file),
                    "its species",
                )
                .with_note("the environment has one jump reaction per ordered pair of states")
                .with_hint("bin the counts, or sample fewer distinct states"),
            );
        } else {
            states.retain(|_, (w, _)| *w > 0.0);
            states.values_mut().for_each(|(w, _)| *w /= total);
        }
    }
    if errors.is_empty() { Ok(Law { columns, states }) } else { Err(errors) }
}

fn error(message: impl Into<String>, span: Span, label: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0805", message).with_primary(span, label)
}

/// A header needs species names, each once and each a crnl identifier.
fn header_errors(file: FileId, header: &Row, columns: &[Field]) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    if columns.is_empty() {
        errors.push(
            error("the distribution file names no species", header.span(file), "the header")
                .with_hint("the first row names the species, e.g. `X0,X1` or `X0,X1,p`"),
        );
    }
    let mut seen = HashSet::new();
    for f in columns {
        if identifier(f.text) != f.text {
            let hint = if f.text.parse::<f64>().is_ok() {
                "the first row names the species; add a header such as `X0,X1`".to_string()
            } else {
                format!("name the column as a crnl species, e.g. `{}`", identifier(f.text).trim_matches('_'))
            };
            errors.push(
                error(format!("`{}` is not a species name", f.text), f.span(file), "this column")
                    .with_hint(hint),
            );
        } else if !seen.insert(f.text) {
            errors.push(
                error(format!("the species `{}` names two columns", f.text), f.span(file), "again here")
                    .with_hint("each column is one species; merge or rename them"),
            );
        }
    }
    errors
}

/// A count: a whole number from 0.
fn count(field: &Field, file: FileId, errors: &mut Vec<Diagnostic>) -> Option<u64> {
    match field.text.parse::<u64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(
                error(format!("`{}` is not a count", field.text), field.span(file), "in a species column")
                    .with_hint("a state gives each species a whole number of molecules, 0 or more"),
            );
            None
        }
    }
}

/// A weight: a finite number from 0.
fn weight(field: &Field, file: FileId, errors: &mut Vec<Diagnostic>) -> Option<f64> {
    match field.text.parse::<f64>() {
        Ok(w) if w.is_finite() && w >= 0.0 => Some(w),
        _ => {
            errors.push(
                error(format!("`{}` is not a weight", field.text), field.span(file), "in the column `p`")
                    .with_hint("a weight is a finite number, 0 or more; they need not add up to 1"),
            );
            None
        }
    }
}

/// The network's text, each species and jump mapped back to the header
/// field or the row it comes from.
fn write(file: FileId, law: &Law, network_name: &str) -> Translation {
    let names: Vec<&str> = law.columns.iter().map(|f| f.text).collect();
    let taken: HashSet<&str> = names.iter().copied().collect();
    let prefix = (0..)
        .map(|i| format!("state{}_", "_".repeat(i)))
        .find(|p| !taken.iter().any(|n| n.starts_with(p.as_str())))
        .expect("some prefix is free");
    let indicator = |j: usize| format!("{prefix}{j}");
    // The first of the most probable states, so that a tie starts in row order.
    let start =
        (0..law.states.len()).fold(0, |best, j| if law.states[j].0 > law.states[best].0 { j } else { best });
    let (start_counts, _) = law.states.get_index(start).expect("a law has a state");
    let mut out = String::new();
    let mut pieces = Vec::new();
    let _ = writeln!(
        out,
        "// Translated by crnc from a distribution over {} states: {prefix}j is 1 while the",
        law.states.len()
    );
    let _ =
        writeln!(out, "// environment is in row j's state; it jumps to state j at rate p_j from any other.");
    let _ = writeln!(out, "network {} {{", identifier(network_name));
    let _ = write!(out, "  species amount");
    for (j, _) in law.states.iter().enumerate() {
        let _ = write!(out, " {} = {},", indicator(j), u8::from(j == start));
    }
    for (i, column) in law.columns.iter().enumerate() {
        let at = out.len() + 1;
        let _ = write!(
            out,
            " {} = {}{}",
            column.text,
            start_counts[i],
            if i + 1 < names.len() { "," } else { ";" }
        );
        pieces.push((
            at..at + column.text.len(),
            column.span(file).start as usize..column.span(file).end as usize,
        ));
    }
    out.push('\n');
    for (i, (from, _)) in law.states.iter().enumerate() {
        for (j, (to, (p, row))) in law.states.iter().enumerate() {
            if i == j {
                continue;
            }
            let line = out.len();
            let _ = writeln!(
                out,
                "  {} -> {} @ {};",
                side(&indicator(i), &names, from, to),
                side(&indicator(j), &names, to, from),
                number(p / moved_factor(from, to))
            );
            pieces.push((line..out.len() - 1, row.start as usize..row.end as usize));
        }
    }
    out.push_str("}\n");
    Translation { text: out, origin: Origin { file, pieces } }
}

/// `indicator + n·S + ...` for the counts of `state` above those of `other`:
/// a jump consumes what the new state has less of and makes what it has more.
fn side(indicator: &str, names: &[&str], state: &[u64], other: &[u64]) -> String {
    let mut terms = vec![indicator.to_string()];
    for ((name, &n), &m) in names.iter().zip(state).zip(other) {
        match n.saturating_sub(m) {
            0 => {}
            1 => terms.push(name.to_string()),
            k => terms.push(format!("{k} {name}")),
        }
    }
    terms.join(" + ")
}

/// The mass-action propensity of a jump out of `from` is its rate times
/// n!/(n − α)! for each species it consumes α of (n molecules held): the
/// rate is divided by that, so the jump runs at exactly p_j.
fn moved_factor(from: &[u64], to: &[u64]) -> f64 {
    from.iter().zip(to).map(|(&n, &m)| ((m.min(n) + 1)..=n).map(|k| k as f64).product::<f64>()).product()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translated(text: &str) -> String {
        to_crnl(FileId(0), text, "law").unwrap_or_else(|d| panic!("{d:?}")).text
    }

    fn codes(text: &str) -> Vec<String> {
        match to_crnl(FileId(0), text, "law") {
            Ok(t) => panic!("translated:\n{}", t.text),
            Err(d) => d.iter().map(|d| format!("{}: {}", d.code, d.message)).collect(),
        }
    }

    #[test]
    fn samples_become_states_weighted_by_how_often_they_occur() {
        let text = translated("A,B\n0,1\n1,0\n0,1\n0,1\n");
        // (0,1) three times of four: the start, and the target of jumps at 0.75.
        assert!(text.contains("state_0 = 1, state_1 = 0, A = 0, B = 1;"), "{text}");
        assert!(text.contains("state_1 + A -> state_0 + B @ 0.75;"), "{text}");
        assert!(text.contains("state_0 + B -> state_1 + A @ 0.25;"), "{text}");
    }

    #[test]
    fn weights_are_normalised_and_states_of_weight_zero_dropped() {
        let text = translated("X,p\n0,2\n3,6\n5,0\n");
        assert!(!text.contains("state_2"), "{text}");
        // Leaving 3 X for 0 consumes three molecules: the rate is divided by 3! to run at 0.25.
        let expected = format!("state_1 + 3 X -> state_0 @ {};", number(0.25 / 6.0));
        assert!(text.contains(&expected), "{text}");
        assert!(text.contains("state_0 -> state_1 + 3 X @ 0.75;"), "{text}");
    }

    #[test]
    fn indicator_names_avoid_the_columns() {
        let text = translated("state_0,p\n0,1\n1,1\n");
        assert!(text.contains("state__0") && text.contains("state_0 = 0"), "{text}");
    }

    #[test]
    fn every_jump_maps_back_to_the_row_of_the_state_it_enters() {
        let csv = "A,B\n0,1\n1,0\n";
        let t = to_crnl(FileId(0), csv, "law").unwrap();
        let jump = t.text.find("state_0 + B -> state_1 + A").unwrap();
        let (_, row) = t.origin.pieces.iter().find(|(made, _)| made.start == jump - 2).unwrap();
        assert_eq!(&csv[row.clone()], "1,0");
    }

    #[test]
    fn bad_files_say_what_is_wrong_where() {
        assert_eq!(codes(""), ["E0805: the distribution file is empty"]);
        assert_eq!(codes("A,B\n"), ["E0805: the distribution file holds no states"]);
        assert_eq!(codes("A,p\n1,0\n"), ["E0805: the distribution file gives every state weight 0"]);
        assert_eq!(
            codes("0,1\n1,0\n"),
            ["E0805: `0` is not a species name", "E0805: `1` is not a species name"]
        );
        assert_eq!(codes("A,A\n0,1\n"), ["E0805: the species `A` names two columns"]);
        assert_eq!(
            codes("A,B\n0\n1.5,-1\n"),
            [
                "E0805: a row of 1 fields under a header of 2",
                "E0805: `1.5` is not a count",
                "E0805: `-1` is not a count"
            ]
        );
        assert_eq!(
            codes("A,p\n1,-2\n2,inf\n"),
            ["E0805: `-2` is not a weight", "E0805: `inf` is not a weight"]
        );
        let many: String = (0..=MAX_STATES).map(|i| format!("{i}\n")).collect();
        assert_eq!(
            codes(&format!("A\n{many}")),
            [format!(
                "E0805: the distribution has {} states, over the {MAX_STATES} crnc takes",
                MAX_STATES + 1
            )]
        );
    }
}
