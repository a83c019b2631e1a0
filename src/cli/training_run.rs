//! `crnc compile MODEL --training-run`: the whole training run that `crnc
//! run` would do (its data, order, epochs and initial parameters) as one
//! SBML model with events (`backend::sbml::training_run`, docs/training.md).

use std::path::PathBuf;

use clap::Args;

use super::train::{DataFiles, data_sets, internal};
use super::{CompileArgs, Format, finish, format_of, split, start, write_atomically, write_stdout};
use crnc::backend::sbml::training_run::{self, Run};
use crnc::diagnostic::Diagnostic;
use crnc::driver::{Compilation, FrontEnd, Lowered};
use crnc::learn::train::initial_params;
use crnc::source::SourceDb;

#[derive(Args)]
#[command(next_help_heading = "Training run export (a model with a `train` block)")]
pub(super) struct TrainingRunArgs {
    /// Write the whole training run (every phase for every training sample, switched by events) as
    /// one SBML model
    #[arg(long)]
    pub(super) training_run: bool,
    /// With --training-run: the training data (CSV, as `crnc run --data`; default: the train block's data)
    #[arg(long, value_name = "TRAIN.csv", requires = "training_run")]
    data: Option<PathBuf>,
    /// With --training-run: passes over the training data (default: the train block's)
    #[arg(long, value_name = "N", requires = "training_run", allow_hyphen_values = true, value_parser = super::whole::<usize>(0))]
    epochs: Option<usize>,
    /// With --training-run: the seed of generated data and of the initial parameters (default: the train block's)
    #[arg(long, value_name = "S", requires = "training_run", allow_hyphen_values = true, value_parser = super::whole::<u64>(0))]
    seed: Option<u64>,
}

pub(super) fn compile(args: &CompileArgs) -> i32 {
    let (Compilation { front, lowered }, reporter) = start(&args.common);
    let FrontEnd { mut db, diagnostics: front_diagnostics, .. } = front;
    let (lowered, mut diagnostics) = split(lowered);
    if let Some(d) = misuse(args) {
        diagnostics.push(d);
        return finish(&reporter, &db, front_diagnostics, diagnostics);
    }
    if let Some(lowered) = lowered {
        let written = export(args, &mut db, &lowered).and_then(|sbml| {
            match &args.output {
                Some(out) => write_atomically(&reporter.inputs_with(&db), out, sbml.as_bytes()),
                None => write_stdout(&sbml),
            }
            .map_err(|d| vec![d])
        });
        diagnostics.extend(written.err().unwrap_or_default());
    }
    finish(&reporter, &db, front_diagnostics, diagnostics)
}

/// E0609: flags that cannot go with `--training-run`.
fn misuse(args: &CompileArgs) -> Option<Diagnostic> {
    let refuse = |what: String, hint: &str| {
        Some(
            Diagnostic::error("E0609", format!("`--training-run` cannot {what}"))
                .with_hint(hint.to_string())
                .with_note("a training run is written as one SBML Level 3 Version 2 model with events"),
        )
    };
    if args.phase.is_some() {
        return refuse(
            "write one phase (`--phase`)".to_string(),
            "drop `--phase`: the training run holds every phase, or drop `--training-run` to write one phase",
        );
    }
    if args.emit.is_some() {
        return refuse(
            "be combined with `--emit`".to_string(),
            "drop `--emit`; `crnc compile --emit protocol` shows the phases the run is made of",
        );
    }
    let format = match (args.format, &args.output) {
        (Some(f), _) => Ok(f),
        (None, Some(out)) => format_of(out),
        (None, None) => Ok(Format::Sbml),
    };
    match format {
        Ok(Format::Sbml) => None,
        Ok(Format::Crn) => refuse("write a reaction list".to_string(), "write it to a .sbml or .xml file"),
        Ok(Format::Json) => refuse("write JSON".to_string(), "write it to a .sbml or .xml file"),
        Err(d) => Some(d),
    }
}

/// The SBML of the run `crnc run` would do with the same flags.
fn export(args: &CompileArgs, db: &mut SourceDb, lowered: &Lowered) -> Result<String, Vec<Diagnostic>> {
    let Lowered { crn, protocol, learning, .. } = lowered;
    let Some(learning) = learning else {
        return Err(vec![
            Diagnostic::error("E0608", format!("`{}` has no `train` block: there is no training run to write", crn.name))
                .with_hint("`--training-run` exports a Neural CRN's training (a network with `learn`, `output` and `train`); write a plain network without it"),
        ]);
    };
    let flags = &args.training_run;
    let seed = flags.seed.unwrap_or(learning.settings.seed);
    let files = DataFiles { train: flags.data.as_deref(), validation: None, test: None };
    let sets = data_sets(&args.common.file, &files, db, learning, seed)?;
    let values = initial_params(learning, seed);
    let mut params = Vec::with_capacity(values.len());
    for (p, v) in learning.params.iter().zip(values) {
        let pair = crn
            .rails_of(&p.name)
            .ok_or_else(|| vec![internal(&format!("the learning circuit has no rails of `{}`", p.name))])?;
        params.push((pair, v));
    }
    let run =
        Run { data: &sets.train, epochs: flags.epochs.unwrap_or(learning.settings.epochs), params: &params };
    training_run::write(crn, protocol, &run).map_err(|e| match e {
        training_run::Error::Invalid(_) => vec![internal(&e.to_string())],
        training_run::Error::Load { .. } => vec![
            Diagnostic::error("E0610", format!("the training run of `{}` cannot be written", crn.name))
                .with_note(e.to_string())
                .with_hint(
                    "check the training data: a value loaded into a single-rail species must not be negative",
                ),
        ],
    })
}
