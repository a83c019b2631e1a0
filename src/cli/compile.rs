//! `crnc compile`: the CRN in an output format, or one stage of the compiler
//! (`--emit`). The output format's writer streams into the output file, so a
//! large model's output is never whole in memory.

use std::io::Write;

use crnc::backend;
use crnc::crn::protocol::Protocol;
use crnc::crn::{self, Crn};
use crnc::diagnostic::Diagnostic;
use crnc::driver::{self, Compilation, Lowered};

use super::{
    CompileArgs, Format, Stage, finish, format_of, phases_at_once, split, start_with, training_run,
    write_atomically_with, write_stdout, write_stdout_with,
};

pub(super) fn compile(args: &CompileArgs) -> i32 {
    if args.training_run.training_run {
        return training_run::compile(args);
    }
    let mut after_stage = None;
    let flags = driver::Flags {
        keep_ast: args.emit == Some(Stage::Ast),
        ..args.common.flags(driver::TrainFlags::default(), None)
    };
    let (Compilation { front, lowered }, reporter) = start_with(&args.common, flags, |name, stage| {
        if args.emit == Some(Stage::After(name)) {
            after_stage = Some(stage.dump());
        }
    });
    if args.emit == Some(Stage::Ast)
        && let Some(ast) = &front.ast
    {
        // Compact: pretty-printing indents by depth, quadratic in the nesting of an expression.
        println!("{}", serde_json::to_string(ast).expect("the AST serialises"));
    }
    let format = match (args.format, &args.output) {
        (Some(f), _) => Ok(f),
        (None, Some(out)) => format_of(out),
        (None, None) => Ok(Format::Crn),
    };
    let format = match format {
        Ok(f) => f,
        Err(d) => return finish(&reporter, &front.db, front.diagnostics, vec![d]),
    };
    let (crn, mut diagnostics) = split(lowered);
    let Some(Lowered { crn, protocol, .. }) = crn else {
        return finish(&reporter, &front.db, front.diagnostics, diagnostics);
    };
    let crn = match &args.phase {
        None => crn,
        Some(name) => match protocol.phases.iter().find(|p| p.name == *name) {
            Some(phase) => crn::phase::network(&crn, phase),
            None => {
                diagnostics.push(unknown_phase(&crn.name, name, &protocol));
                return finish(&reporter, &front.db, front.diagnostics, diagnostics);
            }
        },
    };
    let one_phase = args.phase.is_some();
    let text = match args.emit {
        None => None,
        Some(Stage::Ast) => None,
        Some(Stage::Ir) => Some(front.program.networks[&crn.name].to_string()),
        Some(Stage::After(_)) => after_stage,
        Some(Stage::Crn) => Some(crn::dump(&crn)),
        Some(Stage::Protocol) => Some(protocol.display(&crn).to_string()),
    };
    let written = match (args.emit, text) {
        (None, _) => match refusal(&crn, format, one_phase) {
            Some(d) => Err(d),
            None => {
                let write = |out: &mut dyn Write| render(&crn, &protocol, format, one_phase, out);
                match &args.output {
                    Some(out) => write_atomically_with(&reporter.inputs, out, write),
                    None => write_stdout_with(write),
                }
            }
        },
        (Some(_), Some(text)) => write_stdout(&text),
        (Some(_), None) => Ok(()),
    };
    diagnostics.extend(written.err());
    let code = finish(&reporter, &front.db, front.diagnostics, diagnostics);
    // The process ends next, and the system takes its memory back at once:
    // freeing a 100,000-reaction model's trees one allocation at a time took
    // a twentieth of its compile.
    std::mem::forget((front.ast, front.program, crn));
    code
}

/// E0607: `--phase` names no phase of the protocol.
fn unknown_phase(network: &str, name: &str, protocol: &Protocol) -> Diagnostic {
    let names: Vec<&str> = protocol.phases.iter().map(|p| p.name.as_str()).collect();
    let listed = format!("the phases of `{network}` are {}", names.join(", "));
    let hint = match crnc::diagnostic::did_you_mean(name, names.iter().copied()) {
        Some(guess) => format!("{guess} {listed}"),
        None => listed,
    };
    Diagnostic::error("E0607", format!("`{network}` has no phase `{name}`"))
        .with_hint(hint)
        .with_note("`crnc compile --emit protocol` lists the phases and what runs in each")
}

/// Why `format` cannot say the CRN, if it cannot; `one_phase` when it is one
/// phase's network, whose groups all run together.
fn refusal(crn: &Crn, format: Format, one_phase: bool) -> Option<Diagnostic> {
    if format != Format::Json
        && !one_phase
        && let Some(d) = phases_at_once(crn, "write it as one network")
    {
        return Some(d);
    }
    match format {
        Format::Crn => backend::text::unsupported(crn),
        Format::Sbml | Format::Json => None,
    }
}

/// Writes the CRN in `format` (which [`refusal`] accepted) to `out`. A plain
/// network's SBML carries its schedule (the cuts of its `protocol`); a
/// learning circuit's phases are no schedule.
fn render(
    crn: &Crn,
    protocol: &Protocol,
    format: Format,
    one_phase: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let plain = !one_phase && crn.groups.len() == 1;
    let cuts = if plain { crnc::sim::schedule::cuts(protocol, f64::INFINITY) } else { Vec::new() };
    match format {
        Format::Sbml => backend::sbml::schedule::write_to(crn, &cuts, out),
        Format::Crn => out.write_all(backend::text::write_scheduled(crn, &cuts).as_bytes()),
        Format::Json => out.write_all(backend::json::write(crn).as_bytes()),
    }
}
