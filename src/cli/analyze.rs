//! `crnc analyze`: the conservation laws of a network, and with
//! `--stationary` its exact stationary distribution in molecule counts
//! (docs/analyze.md). Every output is computed before any is written, so a
//! failed analysis writes nothing.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use indexmap::IndexMap;
use serde::Serialize;

use super::{
    Common, finish, phases_at_once, refuse_outputs_over_inputs, split, start, whole, write_atomically,
};
use crnc::analyze::{self, AnalyzeError, ConservationLaw, MethodChoice, Options, Stationary};
use crnc::crn::Crn;
use crnc::diagnostic::Diagnostic;
use crnc::driver::Compilation;
use crnc::sim::plot;

#[derive(Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub(super) common: Common,
    /// Compute the exact stationary distribution in molecule counts (initial value x volume)
    #[arg(long)]
    stationary: bool,
    /// The most states to enumerate; past it the analysis stops with an error
    #[arg(long, value_name = "N", default_value_t = analyze::DEFAULT_MAX_STATES, requires = "stationary",
          allow_hyphen_values = true, value_parser = whole::<usize>(1))]
    max_states: usize,
    /// Write the marginal over these species instead of the whole distribution
    #[arg(long, value_name = "A,B,...", value_delimiter = ',', requires = "stationary")]
    species: Vec<String>,
    /// The product form where the network is detailed balanced (auto), or always the generator's null space
    #[arg(long, value_enum, ignore_case = true, default_value = "auto", requires = "stationary")]
    method: MethodArg,
    /// The distribution as CSV: the species, then `p`, one row per reachable state
    #[arg(short, long, value_name = "DIST.csv", requires = "stationary")]
    output: Option<PathBuf>,
    /// Write the conservation laws (and the distribution's states, method, truncated mass, means and variances) as JSON
    #[arg(long, value_name = "OUT.json")]
    summary: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    Auto,
    Generator,
}

pub fn analyze(args: &AnalyzeArgs) -> i32 {
    let started = Instant::now();
    let (Compilation { front, lowered }, reporter) = start(&args.common);
    let (lowered, mut diagnostics) = split(lowered);
    let outcome = lowered.ok_or_else(Vec::new).and_then(|lowered| {
        let crn = lowered.crn;
        if let Some(d) = phases_at_once(&crn, "analyze it as one network") {
            return Err(vec![d]);
        }
        refuse_outputs_over_inputs(&reporter.inputs, &[args.output.as_deref(), args.summary.as_deref()])?;
        let analysis = run(args, &crn).map_err(|d| vec![d])?;
        Ok((crn, analysis))
    });
    let (crn, analysis) = match outcome {
        Ok(done) => done,
        Err(errors) => {
            diagnostics.extend(errors);
            return finish(&reporter, &front.db, front.diagnostics, diagnostics);
        }
    };
    let wall_seconds = started.elapsed().as_secs_f64();
    let mut written = Vec::new();
    let files = [
        (args.output.as_ref(), analysis.csv.clone()),
        (args.summary.as_ref(), Some(summary_json(&crn, &analysis, wall_seconds))),
    ];
    for (path, text) in files {
        let (Some(path), Some(text)) = (path, text) else { continue };
        match write_atomically(&reporter.inputs, path, text.as_bytes()) {
            Ok(()) => written.push(path.display().to_string()),
            Err(d) => {
                diagnostics.push(d);
                break;
            }
        }
    }
    print!("{}", report(&crn, &analysis, &written));
    finish(&reporter, &front.db, front.diagnostics, diagnostics)
}

/// What an analysis found, ready to print and write.
struct Analysis {
    laws: Vec<ConservationLaw>,
    stationary: Option<Stationary>,
    /// The CSV of `-o`: the distribution or its marginal.
    csv: Option<String>,
}

fn run(args: &AnalyzeArgs, crn: &Crn) -> Result<Analysis, Diagnostic> {
    let columns = marginal_columns(crn, &args.species)?;
    let laws = analyze::conservation_laws(crn).map_err(|e| AnalyzeError::Conservation(e).diagnostic(crn))?;
    if !args.stationary {
        return Ok(Analysis { laws, stationary: None, csv: None });
    }
    let method = match args.method {
        MethodArg::Auto => MethodChoice::Auto,
        MethodArg::Generator => MethodChoice::Generator,
    };
    let options = Options { max_states: args.max_states, method, ..Options::default() };
    let stationary = analyze::stationary(crn, &laws, &options).map_err(|e| e.diagnostic(crn))?;
    let csv = args.output.as_ref().map(|_| match &columns {
        Some(columns) => stationary.distribution.marginal(columns).csv(),
        None => stationary.distribution.csv(),
    });
    Ok(Analysis { laws, stationary: Some(stationary), csv })
}

/// The species of `--species` (names, elements, whole arrays, as `crnc run`
/// reads them) as columns, or `None` for the whole distribution.
fn marginal_columns(crn: &Crn, species: &[String]) -> Result<Option<Vec<usize>>, Diagnostic> {
    if species.is_empty() {
        return Ok(None);
    }
    let chosen = plot::select(crn, species, &[])?;
    let index = |name: &String| crn.species.iter().position(|s| s.name == *name).expect("a selected species");
    Ok(Some(chosen.species.iter().map(index).collect()))
}

/// Each species' initial amount in molecules (per unit volume, as the SSA counts them).
fn amounts(crn: &Crn) -> Vec<f64> {
    crn.initial_concentrations().iter().zip(crn.sizes()).map(|(x, size)| x * size).collect()
}

fn names(crn: &Crn) -> Vec<String> {
    crn.species.iter().map(|s| s.name.clone()).collect()
}

/// The report on standard output.
fn report(crn: &Crn, analysis: &Analysis, written: &[String]) -> String {
    let names = names(crn);
    let mut text =
        format!("`{}`: {} species, {} reactions\n", crn.name, crn.species.len(), crn.reactions.len());
    if analysis.laws.is_empty() {
        text.push_str("conservation laws: none\n");
    } else {
        text.push_str(&format!(
            "conservation laws ({}, in initial molecules: value x compartment size):\n",
            analysis.laws.len()
        ));
        let amounts = amounts(crn);
        for law in &analysis.laws {
            text.push_str(&format!("  {} = {}\n", law.text(&names), significant(law.total(&amounts))));
        }
    }
    if let Some(s) = &analysis.stationary {
        text.push_str(&format!(
            "stationary distribution: {} states, {}, truncated mass {}\n",
            s.distribution.len(),
            s.method.name(),
            crnc::backend::number(s.truncated_mass)
        ));
        if let Some(t) = &s.truncation {
            let cut: Vec<&str> = t.species.iter().map(|&i| names[i].as_str()).collect();
            text.push_str(&format!("  truncated at {} <= {}\n", cut.join(" + "), t.max_total));
        }
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).max("species".len());
        text.push_str(&format!("  {:<width$}  {:>16}  {:>16}\n", "species", "mean", "variance"));
        for ((name, mean), variance) in
            names.iter().zip(s.distribution.means()).zip(s.distribution.variances())
        {
            text.push_str(&format!(
                "  {name:<width$}  {:>16}  {:>16}\n",
                significant(mean),
                significant(variance)
            ));
        }
    }
    if !written.is_empty() {
        text.push_str(&format!("wrote {}\n", written.join(", ")));
    }
    text
}

/// Ten significant digits, trailing zeros dropped: stable across round-off
/// in the last digits, and enough to read a probability's mean.
fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (9 - x.abs().log10().floor() as i32).clamp(0, 20) as usize;
    let text = format!("{x:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    if text == "-0" { "0".to_string() } else { text.to_string() }
}

#[derive(Serialize)]
struct Summary<'a> {
    network: &'a str,
    conservation_laws: Vec<LawSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    states: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated_mass: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncation: Option<TruncationSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    means: Option<IndexMap<&'a str, f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    variances: Option<IndexMap<&'a str, f64>>,
    wall_seconds: f64,
}

#[derive(Serialize)]
struct LawSummary<'a> {
    text: String,
    coefficients: IndexMap<&'a str, i64>,
    total: f64,
}

#[derive(Serialize)]
struct TruncationSummary<'a> {
    species: Vec<&'a str>,
    max_total: i64,
}

fn summary_json(crn: &Crn, analysis: &Analysis, wall_seconds: f64) -> String {
    let names = names(crn);
    let species: Vec<&str> = crn.species.iter().map(|s| s.name.as_str()).collect();
    let amounts = amounts(crn);
    let conservation_laws = analysis
        .laws
        .iter()
        .map(|law| LawSummary {
            text: law.text(&names),
            coefficients: species
                .iter()
                .zip(&law.coefficients)
                .filter(|(_, c)| **c != 0)
                .map(|(n, c)| (*n, *c))
                .collect(),
            total: law.total(&amounts),
        })
        .collect();
    let s = analysis.stationary.as_ref();
    let per_species = |values: Vec<f64>| species.iter().copied().zip(values).collect::<IndexMap<_, _>>();
    let summary = Summary {
        network: &crn.name,
        conservation_laws,
        states: s.map(|s| s.distribution.len()),
        method: s.map(|s| s.method.name()),
        truncated_mass: s.map(|s| s.truncated_mass),
        truncation: s.and_then(|s| s.truncation.as_ref()).map(|t| TruncationSummary {
            species: t.species.iter().map(|&i| species[i]).collect(),
            max_total: t.max_total,
        }),
        means: s.map(|s| per_species(s.distribution.means())),
        variances: s.map(|s| per_species(s.distribution.variances())),
        wall_seconds,
    };
    serde_json::to_string_pretty(&summary).expect("the summary serialises") + "\n"
}
