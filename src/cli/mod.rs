//! Command-line interface: parses flags, runs the driver, writes files and
//! prints diagnostics. Exit codes: 0 ok, 1 user error, 2 internal error.

mod analyze;
mod compile;
mod run;
mod train;
mod training_run;

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crnc::crn::Crn;
use crnc::diagnostic::{self, Color, Diagnostic};
use crnc::driver::{self, Compilation, InputKind, Lowered};
use crnc::source::{RealFs, SourceDb};

const EXAMPLES: &str = "\
Examples:
  crnc compile examples/brusselator.crnl -o brusselator.sbml
  crnc compile model.crnl --network Toggle -o toggle.crn
  crnc compile model.crnl --emit crn
  crnc check model.crnl --max-order 2 --diagnostics json
  crnc import model.xml -o model.crnl
  crnc run model.xml --t-end 100 -o trajectories.csv";

#[derive(Parser)]
#[command(name = "crnc", version, about = "A compiler for chemical learning circuits", after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a model to elementary reactions and write them in a format.
    #[command(after_help = "Formats by extension: .sbml/.xml (SBML L3V2), .crn/.txt (reaction list), .json")]
    Compile(CompileArgs),
    /// Check a model and print its diagnostics; writes nothing.
    Check(CheckArgs),
    /// Simulate a model (deterministic ODE or exact SSA) and write its trajectories as CSV.
    #[command(after_help = "Settings come from the network's `simulate { ... }` block; flags override them.")]
    Run(Box<run::RunArgs>),
    /// Translate an SBML model, a BioNetGen network or a reaction list into crnl source.
    #[command(after_help = "The crnl is checked before it is written: what it says compiles.")]
    Import(ImportArgs),
    /// Conservation laws, and the exact stationary distribution of a small network in molecule counts.
    #[command(after_help = "With --stationary: the product form where the network is detailed balanced, \
                            else the null space of the master equation's generator (docs/analyze.md).")]
    Analyze(Box<analyze::AnalyzeArgs>),
}

#[derive(Args)]
struct ImportArgs {
    #[command(flatten)]
    common: Common,
    /// Output file (.crnl); without it, the crnl goes to standard output
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct Common {
    /// Input file: crnl source (.crnl), a reaction list (.crn), SBML (.xml, .sbml) or BioNetGen (.net)
    file: PathBuf,
    /// Which network of the file (needed when it defines several)
    #[arg(long, value_name = "NAME")]
    network: Option<String>,
    /// Every reaction must have at most this many reactant molecules: with N >= 2, reactions above N
    /// are split into bimolecular steps; with N < 2 they are errors
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = whole::<u32>(0))]
    max_order: Option<u32>,
    /// Largest input file read, in MiB (the model and each file it imports)
    #[arg(long, value_name = "MIB", default_value_t = RealFs::DEFAULT_MAX_BYTES >> 20, allow_hyphen_values = true, value_parser = whole::<u64>(1))]
    max_input_mb: u64,
    /// With --max-order: how many times faster than the fastest reaction the binding steps are
    /// (error about F^-1/2; overrides the network's `separation`; default 1000)
    #[arg(long, value_name = "F", allow_hyphen_values = true, value_parser = positive_number)]
    separation: Option<f64>,
    /// The budget of steps for expanding loops, arrays, module instances and includes, and for
    /// the molecularity pass's intermediates and steps
    #[arg(long, value_name = "N", default_value_t = driver::DEFAULT_MAX_EXPANSION, allow_hyphen_values = true, value_parser = whole::<u64>(1))]
    max_expansion: u64,
    /// How to print diagnostics (always on standard error)
    #[arg(long, value_enum, ignore_case = true, default_value = "human")]
    diagnostics: DiagnosticsFormat,
    /// Colour in human diagnostics
    #[arg(long, value_enum, ignore_case = true, default_value = "auto")]
    color: ColorChoice,
}

impl Common {
    fn flags(&self, train: driver::TrainFlags, t_end: Option<f64>) -> driver::Flags {
        driver::Flags {
            max_order: self.max_order,
            separation: self.separation,
            max_expansion: self.max_expansion,
            train,
            t_end,
            // Only `crnc compile --emit ast` shows the syntax tree.
            keep_ast: false,
        }
    }
}

/// A flag parser for a whole number of at least `min`, saying why a value is refused.
pub(crate) fn whole<T: TryFrom<u64>>(min: u64) -> impl Fn(&str) -> Result<T, String> + Clone {
    move |s| whole_u64(s, min).and_then(|n| T::try_from(n).map_err(|_| format!("`{s}` is too large")))
}

fn whole_u64(s: &str, min: u64) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if n >= min => Ok(n),
        Ok(_) => Err(format!("expected a whole number of at least {min}")),
        Err(_) if s.starts_with('-') => {
            Err(format!("`{s}` is negative; expected a whole number of at least {min}"))
        }
        // `1e6` is a natural way to write a count; take it when it is whole.
        Err(_) => match s.parse::<f64>() {
            Ok(v) if v.fract() == 0.0 && v >= min as f64 && v < 2f64.powi(64) => Ok(v as u64),
            _ => Err(format!("`{s}` is not a whole number (at least {min})")),
        },
    }
}

fn positive_number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

#[derive(Args)]
struct CompileArgs {
    #[command(flatten)]
    common: Common,
    /// Output file; the format follows its extension unless --format is given.
    /// Without it, the output goes to standard output.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, ignore_case = true)]
    format: Option<Format>,
    /// Print a compiler stage to standard output instead of writing output
    #[arg(long, value_name = "STAGE", value_parser = stage_parser())]
    emit: Option<Stage>,
    /// Write only this phase of a learning circuit (its groups' reactions and the species they touch)
    #[arg(long, value_name = "NAME")]
    phase: Option<String>,
    #[command(flatten)]
    training_run: training_run::TrainingRunArgs,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    common: Common,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiagnosticsFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// SBML Level 3 Version 2
    Sbml,
    /// Text reaction list (crnsimulator format)
    Crn,
    /// JSON of the elementary CRN
    Json,
}

/// What `--emit` prints.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Ast,
    Ir,
    /// The IR or CRN after one of the driver's stages (a pass, or `lower`).
    After(&'static str),
    /// The final CRN.
    Crn,
    /// The protocol beside the final CRN.
    Protocol,
}

/// `--emit`'s values: `ast`, `ir`, every CRN stage the driver names, `crn`, `protocol`.
fn stage_parser() -> impl clap::builder::TypedValueParser<Value = Stage> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let fixed = [
        ("ast", "The syntax tree of the root file, as one line of JSON"),
        ("ir", "The checked IR, printed as crnl"),
    ];
    let last = [
        ("crn", "The final elementary CRN with origins (after every pass)"),
        ("protocol", "The phases that run the CRN's reaction groups, and what happens between them"),
    ];
    let values = fixed.into_iter().chain(driver::stages()).chain(last);
    PossibleValuesParser::new(values.map(|(name, about)| PossibleValue::new(name).help(about))).map(|name| {
        match name.as_str() {
            "ast" => Stage::Ast,
            "ir" => Stage::Ir,
            "crn" => Stage::Crn,
            "protocol" => Stage::Protocol,
            _ => {
                Stage::After(driver::stages().map(|(n, _)| n).find(|n| *n == name).expect("a possible value"))
            }
        }
    })
}

/// Stack for the compiler thread: generous, because serialising or walking
/// a pathological syntax tree may recurse deeply.
const STACK_BYTES: usize = 256 << 20;

pub fn main() -> i32 {
    // A bad flag is a user error (exit 1); --help and --version succeed.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    // A panic ends the thread, not the process, and becomes exit code 2.
    let worker = std::thread::Builder::new().stack_size(STACK_BYTES).spawn(move || run(cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!(
                "error: internal compiler error (a bug in crnc, not in your model); please report it with the input"
            );
            2
        }
    }
}

fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => {
            let (Compilation { front, lowered }, reporter) = start(&args.common);
            let (_, more) = split(lowered);
            finish(&reporter, &front.db, front.diagnostics, more)
        }
        Command::Compile(args) => compile::compile(&args),
        Command::Run(args) => run::run(&args),
        Command::Import(args) => import(&args),
        Command::Analyze(args) => analyze::analyze(&args),
    }
}

/// The translation of a non-crnl input (or the IR printout of a reaction
/// list), written only when the whole front end accepted it.
fn import(args: &ImportArgs) -> i32 {
    let (Compilation { front, lowered }, reporter) = start(&args.common);
    let translated = matches!(InputKind::of(&args.common.file), InputKind::BioNetGen | InputKind::Sbml);
    let (crn, mut diagnostics) = split(lowered);
    let crnl = match (front.root.filter(|_| translated), crn) {
        (_, None) => return finish(&reporter, &front.db, front.diagnostics, diagnostics),
        (Some(file), Some(_)) => front.db.get(file).text.clone(),
        (None, Some(lowered)) => front.program.networks[&lowered.crn.name].to_string(),
    };
    let written = match &args.output {
        Some(out) => write_atomically(&reporter.inputs, out, crnl.as_bytes()),
        None => write_stdout(&crnl),
    };
    diagnostics.extend(written.err());
    finish(&reporter, &front.db, front.diagnostics, diagnostics)
}

fn write_stdout(text: &str) -> Result<(), Diagnostic> {
    write_stdout_with(|out| out.write_all(text.as_bytes()))
}

/// Standard output through a buffer, for a `write` that makes many small writes.
fn write_stdout_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Diagnostic> {
    let mut stdout = BufWriter::new(std::io::stdout().lock());
    match write(&mut stdout).and_then(|_| stdout.flush()) {
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Diagnostic::error("E0600", format!("cannot write to standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// E0604: a learning circuit's groups run in separate phases, so writing
/// them as one network would be a different system.
fn phases_at_once(crn: &Crn, what: &str) -> Option<Diagnostic> {
    (crn.groups.len() > 1).then(|| {
        Diagnostic::error(
            "E0604",
            format!("`{}` is a learning circuit whose {} reaction groups run in separate phases: crnc cannot {what}", crn.name, crn.groups.len()),
        )
        .with_note(format!("the groups are {}; `--emit protocol` shows the phases", crn.groups.join(", ")))
        .with_hint("inspect it with `crnc compile --emit crn`, `--emit protocol` or `--format json` (which keeps the groups); `crnc run` trains it, and `--phase NAME` writes one phase's network")
    })
}

fn format_of(path: &Path) -> Result<Format, Diagnostic> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("sbml" | "xml") => Ok(Format::Sbml),
        Some("crn" | "txt") => Ok(Format::Crn),
        Some("json") => Ok(Format::Json),
        _ => {
            Err(Diagnostic::error("E0601", format!("cannot tell the output format of `{}`", path.display()))
                .with_hint(
                    "use an extension .sbml, .xml, .crn, .txt or .json, or pass --format sbml|crn|json",
                ))
        }
    }
}

/// What lowering made if it succeeded (its warnings taken out), and the
/// diagnostics it found either way.
pub(crate) fn split(lowered: Result<Lowered, Vec<Diagnostic>>) -> (Option<Lowered>, Vec<Diagnostic>) {
    match lowered {
        Ok(mut l) => {
            let warnings = std::mem::take(&mut l.warnings);
            (Some(l), warnings)
        }
        Err(diagnostics) => (None, diagnostics),
    }
}

/// Writes through a temporary file in the same directory and renames it, so a
/// failed or interrupted run never leaves a partial output file. A file the
/// run read (the model or an import) is never overwritten. An output that
/// exists and is not a regular file (`/dev/null`, `/dev/stdout`, a pipe) is
/// written in place: a rename would replace the device with a file.
pub(crate) fn write_atomically(inputs: &[PathBuf], path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    write_atomically_with(inputs, path, |out| out.write_all(bytes))
}

/// [`write_atomically`] of what `write` writes, through a buffer, so that
/// an output need not be whole in memory before it is written.
pub(crate) fn write_atomically_with(
    inputs: &[PathBuf],
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Diagnostic> {
    refuse_overwriting_an_input(inputs, path)?;
    let cannot_write = |e: std::io::Error| {
        Diagnostic::error("E0600", format!("cannot write `{}`: {e}", path.display()))
            .with_hint("check that the directory exists and is writable")
    };
    let buffered = |file: std::fs::File| {
        let mut out = BufWriter::new(file);
        write(&mut out).and_then(|_| out.flush())
    };
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return std::fs::OpenOptions::new().write(true).open(path).and_then(buffered).map_err(cannot_write);
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.crnc-{}.tmp", std::process::id()));
    let result = std::fs::File::create(&tmp).and_then(buffered).and_then(|_| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        cannot_write(e)
    })
}

/// Refuses, before a long run, every output in `outputs` that is a file the
/// run reads, so that no output is written and no run is wasted.
pub(crate) fn refuse_outputs_over_inputs(
    inputs: &[PathBuf],
    outputs: &[Option<&Path>],
) -> Result<(), Vec<Diagnostic>> {
    let refused: Vec<Diagnostic> =
        outputs.iter().flatten().filter_map(|out| refuse_overwriting_an_input(inputs, out).err()).collect();
    if refused.is_empty() { Ok(()) } else { Err(refused) }
}

fn refuse_overwriting_an_input(inputs: &[PathBuf], path: &Path) -> Result<(), Diagnostic> {
    // An output that does not exist yet cannot be an input; canonical paths see through links.
    let Ok(out) = std::fs::canonicalize(path) else { return Ok(()) };
    match inputs.iter().find(|p| **p == out) {
        Some(input) => Err(Diagnostic::error(
            "E0602",
            format!(
                "the output `{}` is the input file `{}`: writing it would destroy an input of the run",
                path.display(),
                input.display()
            ),
        )
        .with_hint("give another output file with -o")),
        None => Ok(()),
    }
}

/// Generated models (BioNetGen files) can repeat one warning thousands of times.
const WARNINGS_PER_CODE: usize = 10;

pub(crate) struct Reporter {
    format: DiagnosticsFormat,
    color: Color,
    /// The files the front end read, which no output may overwrite.
    pub(crate) inputs: Vec<PathBuf>,
}

impl Reporter {
    /// The front end's files and every file read into `db` since (data
    /// files, initial parameters), as canonical paths.
    pub(crate) fn inputs_with(&self, db: &crnc::source::SourceDb) -> Vec<PathBuf> {
        let read = db.files().filter_map(|f| std::fs::canonicalize(&*f.name).ok());
        self.inputs.iter().cloned().chain(read).collect()
    }
}

/// Compiles the file of `common` (the one path of `check`, `compile`, `run`
/// and `import`), and sets up the reporting of its diagnostics.
pub(crate) fn start(common: &Common) -> (Compilation, Reporter) {
    start_traced(common, driver::TrainFlags::default(), None, |_, _| {})
}

/// [`start`], showing `after` the output of each stage (for `--emit`), with
/// `crnc run`'s flags that shape the compiled protocol.
fn start_traced(
    common: &Common,
    train: driver::TrainFlags,
    t_end: Option<f64>,
    after: impl FnMut(&'static str, driver::Stage),
) -> (Compilation, Reporter) {
    start_with(common, common.flags(train, t_end), after)
}

/// [`start_traced`] under `flags` (made by [`Common::flags`]).
fn start_with(
    common: &Common,
    flags: driver::Flags,
    after: impl FnMut(&'static str, driver::Stage),
) -> (Compilation, Reporter) {
    let color = match common.color {
        ColorChoice::Always => Color::Always,
        ColorChoice::Never => Color::Never,
        ColorChoice::Auto if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() => {
            Color::Always
        }
        ColorChoice::Auto => Color::Never,
    };
    let fs = RealFs::with_limit(common.max_input_mb.saturating_mul(1 << 20));
    let compilation = driver::compile_traced(&fs, &common.file, common.network.as_deref(), &flags, after);
    (compilation, Reporter { format: common.diagnostics, color, inputs: fs.paths_read() })
}

/// Prints all diagnostics, sorted, and returns the exit code.
pub(crate) fn finish(
    reporter: &Reporter,
    db: &SourceDb,
    mut diagnostics: Vec<Diagnostic>,
    more: Vec<Diagnostic>,
) -> i32 {
    diagnostics.extend(more);
    let mut all = diagnostic::Diagnostics::default();
    all.extend(diagnostics);
    let failed = all.has_errors();
    let sorted = all.into_sorted();
    let mut stderr = std::io::stderr().lock();
    let _ = match reporter.format {
        DiagnosticsFormat::Json => writeln!(stderr, "{}", diagnostic::render_json(db, &sorted)),
        DiagnosticsFormat::Human => {
            let (shown, hidden) = diagnostic::limit_warnings(&sorted, WARNINGS_PER_CODE);
            let text = diagnostic::render_human(db, &shown, reporter.color);
            let summary = diagnostic::summary(&sorted).map(|s| format!("{s}\n")).unwrap_or_default();
            let hidden = hidden
                .iter()
                .map(|(code, n)| format!("... and {n} more {code} warnings (all with --diagnostics json)\n"));
            write!(stderr, "{text}{}{summary}", hidden.collect::<String>())
        }
    };
    if failed { 1 } else { 0 }
}
