//! Resource-heavy programs run through the `crnc` binary under a memory
//! limit (`ulimit -v`) and a time limit: nested loops (empty or not), fan-outs
//! of module instances, huge arrays, large coefficients split by
//! `--max-order 2`, and large powers in `ode` blocks. Each must end with exit
//! code 0 or 1 (an error the user can act on), never an abort (134, as an
//! allocation failure gives), a crash or a hang (docs/limits.md).
//!
//! The generated programs run with a small `--max-expansion`, so that the
//! debug binary gets through a few dozen of them quickly; the cases of issue
//! 11 below run at the default budget, as a user would meet them.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

/// Address space for the child, in KiB: the debug binary maps about 250 MB,
/// and the compiler thread reserves a 256 MB stack.
const MEMORY_KIB: u64 = 3_000_000;

/// Wall-clock limit per run. Generous for a loaded machine; a hang is minutes.
const SECONDS: u64 = 60;

/// How a run ended: its exit code (`None` if killed by a signal), its
/// standard error, and whether it ran out of time.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    timed_out: bool,
}

/// Runs `crnc <args> model.crnl` on `src` under the memory and time limits.
fn run(src: &str, args: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let model = dir.path().join("model.crnl");
    std::fs::write(&model, src).expect("the model is written");
    run_file(&model, args)
}

fn run_file(model: &Path, args: &[&str]) -> Outcome {
    let script = format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\"");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_crnc"))
        .args(args)
        .arg(model)
        .args(["--color", "never"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh runs");
    // Read standard error on a thread, so a full pipe never stalls the child.
    let mut pipe = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break (Some(status), false);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break (None, true);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().expect("the reader ends with the child");
    Outcome { code: status.and_then(|s| s.code()), stderr, timed_out }
}

/// Exit 0 or 1 within the limits; the outcome otherwise, for the message.
fn assert_bounded(src: &str, args: &[&str]) -> Outcome {
    let outcome = run(src, args);
    assert!(!outcome.timed_out, "ran past {SECONDS} s: crnc {args:?}\n{src}");
    assert!(
        matches!(outcome.code, Some(0 | 1)),
        "exit {:?} (an abort, a crash or an internal error): crnc {args:?}\n{src}\n{}",
        outcome.code,
        tail(&outcome.stderr)
    );
    outcome
}

fn tail(text: &str) -> &str {
    &text[text.len().saturating_sub(2000)..]
}

// ---------------------------------------------------------------------------
// Generated programs
// ---------------------------------------------------------------------------

/// `depth` nested loops of `bound` iterations, around one reaction or nothing.
fn nested_loops(depth: usize, bound: u64, with_reaction: bool) -> String {
    let vars = ["i", "j", "k", "l"];
    let mut body = if with_reaction { "x[0] + x[1] -> x[1];".to_string() } else { String::new() };
    for v in vars[..depth].iter().rev() {
        body = format!("for {v} in 0..{bound} {{ {body} }}");
    }
    format!("network Loops {{\n  species x[2] = 1;\n  x[0] -> 0;\n  {body}\n}}\n")
}

/// A tree of module instances: `levels` levels of `width` instances each.
fn fan_out(levels: usize, width: usize) -> String {
    let mut src = String::new();
    for level in 0..levels {
        let body: String = if level + 1 == levels {
            "  a -> a + b;\n".to_string()
        } else {
            (0..width).map(|i| format!("  y{i} = m{}(a);\n", level + 1)).collect()
        };
        src += &format!("module m{level}(a) -> b {{\n{body}}}\n");
    }
    src + "network Fan {\n  species s = 1;\n  t = m0(s);\n}\n"
}

/// One reaction of `species` species, `coefficient` molecules each.
fn long_complex(species: usize, coefficient: u32) -> String {
    let declared: Vec<String> = (0..species).map(|i| format!("S{i} = 1")).collect();
    let complex: Vec<String> = (0..species).map(|i| format!("{coefficient} S{i}")).collect();
    format!(
        "network Long {{\n  species {}, P;\n  {} -> P @ 1;\n}}\n",
        declared.join(", "),
        complex.join(" + ")
    )
}

/// `z' = (c·x0 + ... + x{n-1})^power`, with the first value signed (two rails).
fn ode_power(variables: usize, power: u32, c: f64) -> String {
    let names: Vec<String> = (0..variables).map(|i| format!("x{i}")).collect();
    let rest = if variables > 1 { format!("species {};", names[1..].join(", ")) } else { String::new() };
    format!(
        "network Pow {{\n  signed x0 = -1;\n  {rest}\n  species z;\n  ode {{ x0' = 1; z' = ({c}*{})^{power}; }}\n}}\n",
        names.join(" + ")
    )
}

/// `z' = (((x^p)^p)...)^p`, `levels` deep: exponents past any integer type.
fn ode_tower(levels: usize, power: u32) -> String {
    let tower = (0..levels).fold("x".to_string(), |base, _| format!("({base})^{power}"));
    format!("network Tower {{\n  species x = 1, z;\n  ode {{ z' = {tower}; }}\n}}\n")
}

/// A network of `size` reactions included by `copies` others, and
/// `copies` instances made in a loop.
fn copies(size: u64, copies: u64) -> String {
    let mut src = format!(
        "module m(a) {{ a -> 0; }}\nnetwork Base {{\n  species x[{size}] = 1;\n  for i in 0..{size} {{ x[i] -> 0; m(x[i]); }}\n}}\n"
    );
    for c in 0..copies.min(50) {
        src += &format!("network C{c} {{ include Base; for i in 0..{copies} {{ m(x[0]); }} }}\n");
    }
    src
}

fn array(size: u64) -> String {
    format!("network Arr {{\n  species x[{size}] = 1;\n  for i in 0..{size} {{ x[i] -> 0; }}\n}}\n")
}

fn heavy_program() -> impl Strategy<Value = String> {
    prop_oneof![
        (1usize..=4, 1u32..=7, any::<bool>()).prop_map(|(d, e, r)| nested_loops(d, 10u64.pow(e), r)),
        (1usize..=12, 2usize..=10).prop_map(|(l, w)| fan_out(l, w)),
        (1usize..=600, 1u32..=1000).prop_map(|(s, c)| long_complex(s, c)),
        (1usize..=6, 0u32..=1000, prop::sample::select(vec![1.0, 10.0, 1e6]))
            .prop_map(|(n, p, c)| ode_power(n, p, c)),
        (0u32..=13).prop_map(|e| array(10u64.pow(e))),
        (1usize..=5, 1u32..=1000).prop_map(|(l, p)| ode_tower(l, p)),
        (0u32..=6, 0u32..=6).prop_map(|(a, b)| copies(10u64.pow(a), 10u64.pow(b))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 30, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn resource_heavy_programs_end_with_exit_0_or_1_in_bounded_time_and_memory(src in heavy_program()) {
        let args = ["check", "--max-order", "2", "--max-expansion", "20000", "--network", "Base"];
        // `--network` is for the programs with several networks; the others have one, named otherwise.
        let several = src.matches("network ").count() > 1;
        assert_bounded(&src, if several { &args } else { &args[..5] });
    }
}

// ---------------------------------------------------------------------------
// The cases of issue 11, at the default budget
// ---------------------------------------------------------------------------

/// Exit 1 with `code` among the diagnostics, within the limits.
fn assert_refused(src: &str, args: &[&str], code: &str) {
    let outcome = assert_bounded(src, args);
    assert_eq!(outcome.code, Some(1), "{}", tail(&outcome.stderr));
    assert!(outcome.stderr.contains(&format!("error[{code}]")), "no {code}:\n{}", tail(&outcome.stderr));
}

#[test]
fn nested_loops_of_a_million_by_a_million_stop_at_the_budget() {
    // Exhausted memory (exit 134) before the budget.
    assert_refused(&nested_loops(2, 1_000_000, true), &["check"], "E0230");
}

#[test]
fn three_nested_empty_loops_stop_at_the_budget() {
    // Ran for minutes: iterations are work even when they produce nothing.
    assert_refused(&nested_loops(3, 10_000, false), &["check"], "E0230");
}

#[test]
fn a_fan_out_of_a_hundred_billion_instances_stops_at_the_budget() {
    assert_refused(&fan_out(12, 10), &["check"], "E0230");
}

#[test]
fn a_complex_of_half_a_million_molecules_is_refused_by_molecularity() {
    // Reached 5.8 GB on quadratic intermediate names, and aborted.
    assert_refused(&long_complex(500, 1000), &["check", "--max-order", "2"], "E0400");
}

#[test]
fn the_budget_flag_raises_and_lowers_the_limit() {
    let src = nested_loops(1, 5000, true);
    assert_refused(&src, &["check", "--max-expansion", "9000"], "E0230");
    assert_eq!(assert_bounded(&src, &["check", "--max-expansion", "11000"]).code, Some(0));
    // The molecularity pass has the same budget: 2000 reactions of 5 molecules make 18,000
    // intermediates and steps, where expanding them took about 6,000.
    let long = "network T {\n  species x[2004] = 1;\n  for i in 0..2000 { x[i] + x[i+1] + x[i+2] + x[i+3] + x[i+4] -> x[i]; }\n}\n";
    assert_refused(long, &["check", "--max-order", "2", "--max-expansion", "10000"], "E0230");
    assert_eq!(
        assert_bounded(long, &["check", "--max-order", "2", "--max-expansion", "20000"]).code,
        Some(0)
    );
}
