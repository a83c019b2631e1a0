//! The figure of a `crnc run`: which species, in which unit, means with bands.

use std::collections::HashSet;

use super::{Figure, Series};
use crate::crn::Crn;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::ir::Quantity;
use crate::sim::run::{RunSettings, Table};

/// At most this many series are drawn when none are chosen, to stay readable.
pub const DEFAULT_SERIES: usize = 8;

/// The species a run plots, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    pub species: Vec<String>,
    /// Species not drawn because none were chosen and there were too many.
    pub left_out: usize,
}

/// The unit of a species' column in the CSV (docs/formats.md, "Units").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Concentration,
    Amount,
    Molecules,
}

impl Unit {
    pub fn of(crn: &Crn, settings: &RunSettings, species: &str) -> Unit {
        let quantity = crn.species.iter().find(|s| s.name == species).map(|s| s.quantity);
        match quantity {
            _ if settings.counts => Unit::Molecules,
            Some(Quantity::Amount) => Unit::Amount,
            _ => Unit::Concentration,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Unit::Concentration => "concentration",
            Unit::Amount => "amount",
            Unit::Molecules => "molecules",
        }
    }
}

/// The species a plot entry names: `name` itself, its element `name[index]`,
/// or every element of the array `name`; empty when it names none. The
/// `simulate` block's `plot` list and `--species` both resolve through this.
pub fn entry_species(name: &str, index: Option<u64>, is_species: impl Fn(&str) -> bool) -> Vec<String> {
    match index {
        None if is_species(name) => vec![name.to_string()],
        None => (0..).map(|i| format!("{name}[{i}]")).take_while(|e| is_species(e)).collect(),
        Some(i) => Some(format!("{name}[{i}]")).filter(|e| is_species(e)).into_iter().collect(),
    }
}

/// What a run plots: the `--species` entries if any, else the `simulate`
/// block's list (resolved by the checker), else the first few species.
pub fn select(crn: &Crn, flag: &[String], block: &[String]) -> Result<Selection, Diagnostic> {
    let names: HashSet<&str> = crn.species.iter().map(|s| s.name.as_str()).collect();
    let is_species = |n: &str| names.contains(n);
    let mut chosen: Vec<String> = Vec::new();
    for entry in flag.iter().map(|e| e.trim()) {
        // `x[ 2 ]` reads as `x[2]`; a flat name such as `x[2]` also matches whole.
        let element = entry
            .strip_suffix(']')
            .and_then(|e| e.split_once('['))
            .and_then(|(name, index)| Some((name.trim(), index.trim().parse::<u64>().ok()?)));
        let found = match element {
            Some((name, index)) if !is_species(entry) => entry_species(name, Some(index), is_species),
            _ => entry_species(entry, None, is_species),
        };
        if found.is_empty() {
            let hint =
                did_you_mean(entry, crn.species.iter().map(|s| s.name.as_str())).unwrap_or_else(|| {
                    "`--species` takes species of this network, array elements `x[i]` and whole arrays `x`, \
                 separated by commas"
                        .to_string()
                });
            return Err(Diagnostic::error("E0200", format!("undefined species `{entry}` in `--species`"))
                .with_hint(hint));
        }
        chosen.extend(found);
    }
    if chosen.is_empty() {
        chosen = block.to_vec();
    }
    let mut left_out = 0;
    if chosen.is_empty() {
        chosen = crn.species.iter().take(DEFAULT_SERIES).map(|s| s.name.clone()).collect();
        left_out = crn.species.len() - chosen.len();
    }
    let mut seen = HashSet::new();
    chosen.retain(|s| seen.insert(s.clone()));
    Ok(Selection { species: chosen, left_out })
}

/// The figure of a run's table: one line per chosen species, and for an SSA
/// ensemble its mean with a band of ±1 sd (the sd and kurtosis stay in the CSV).
pub fn of_run(table: &Table, crn: &Crn, settings: &RunSettings, selection: &Selection) -> Figure {
    let column = |name: &str| table.column(name).map(|c| c.collect::<Vec<f64>>());
    let mut ensemble = false;
    let series: Vec<Series> = selection
        .species
        .iter()
        .filter_map(|name| {
            let times = table.times.iter().copied();
            if let Some(values) = column(name) {
                return Some(Series { name: name.clone(), points: times.zip(values).collect(), band: None });
            }
            let mean = column(&format!("{name}-mean"))?;
            let sd = column(&format!("{name}-sd"))?;
            ensemble = true;
            let band = times.clone().zip(mean.iter().zip(&sd)).map(|(t, (m, s))| (t, m - s, m + s)).collect();
            Some(Series { name: name.clone(), points: times.zip(mean).collect(), band: Some(band) })
        })
        .collect();
    let mut units: Vec<Unit> = selection.species.iter().map(|s| Unit::of(crn, settings, s)).collect();
    units.sort_by_key(|u| u.name());
    units.dedup();
    let y_label = units.iter().map(|u| u.name()).collect::<Vec<_>>().join(" or ");
    let series = if units.len() > 1 {
        // One axis, two units: each name says which it is.
        series
            .into_iter()
            .map(|s| Series {
                name: format!("{} ({})", s.name, Unit::of(crn, settings, &s.name).name()),
                ..s
            })
            .collect()
    } else {
        series
    };
    let mut title = format!("{} · {}", crn.name, table.summary.method);
    let mut notes = Vec::new();
    if ensemble {
        title.push_str(&format!(" · {} trajectories", settings.trajectories));
        notes.push("lines: mean; bands: ±1 sd".to_string());
    }
    if selection.left_out > 0 {
        notes.push(format!("{} more species not drawn", selection.left_out));
        notes.push("(choose with --species)".to_string());
    }
    Figure { title, x_label: "time".to_string(), y_label, series, notes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is(names: &'static [&'static str]) -> impl Fn(&str) -> bool {
        move |n| names.contains(&n)
    }

    #[test]
    fn an_entry_names_a_species_an_element_or_a_whole_array() {
        let names = is(&["A", "x[0]", "x[1]", "x[2]"]);
        assert_eq!(entry_species("A", None, &names), ["A"]);
        assert_eq!(entry_species("x", None, &names), ["x[0]", "x[1]", "x[2]"]);
        assert_eq!(entry_species("x", Some(1), &names), ["x[1]"]);
        assert!(entry_species("x", Some(3), &names).is_empty());
        assert!(entry_species("B", None, &names).is_empty());
    }
}
