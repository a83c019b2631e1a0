//! Property tests: whatever the input, the compiler reports diagnostics and
//! never panics; and when it reports no error, what it produces is a valid
//! elementary CRN.
//!
//! Inputs come from five generators, from least to most structured: arbitrary
//! bytes, random characters of the language's alphabet, random streams of
//! valid tokens, well-formed models with random mutations (deleted,
//! duplicated, swapped or inserted tokens), and the same for the `.crn`
//! reaction-list format. Everything runs on an in-memory file system.

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;

use crnc::backend::{json, text};
use crnc::crn::{self, Crn};
use crnc::diagnostic::{self, Color, Diagnostic};
use crnc::driver;
use crnc::ir;
use crnc::source::{MemoryFs, SourceDb};

/// Cases per property: enough to be useful, small enough that the whole file
/// runs in a few seconds in a debug build. `PROPTEST_CASES=N` asks for a
/// longer search.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------
// The pipeline and the properties every run must satisfy
// ---------------------------------------------------------------------------

/// A small library that generated files may import.
const LIBRARY: &str = "param k_lib = 0.5;\nnetwork Lib { species L = 1; L -> 0 @ k_lib; }\n";

/// Every label lies inside its file, on character boundaries: a span outside
/// would make the renderer fall back to a message without a location.
fn assert_spans_valid(db: &SourceDb, diags: &[Diagnostic]) {
    for d in diags {
        for l in &d.labels {
            let id = l.span.file;
            assert!((id.0 as usize) < db.len(), "{}: label in unknown file {id:?}", d.code);
            let text = &db.get(id).text;
            let (start, end) = (l.span.start as usize, l.span.end as usize);
            assert!(
                start <= end
                    && end <= text.len()
                    && text.is_char_boundary(start)
                    && text.is_char_boundary(end),
                "{}: label `{}` has span {start}..{end} outside `{}` ({} bytes)",
                d.code,
                l.message,
                db.get(id).name,
                text.len()
            );
        }
    }
}

/// Renders the diagnostics both ways (must not panic) and checks their spans.
fn check_diagnostics(db: &SourceDb, diags: &[Diagnostic]) {
    assert_spans_valid(db, diags);
    let human = diagnostic::render_human(db, diags, Color::Never);
    let _ = diagnostic::render_json(db, diags);
    let _ = diagnostic::summary(diags);
    for d in diags {
        assert!(human.contains(&format!("[{}]", d.code)), "{} missing from the rendering:\n{human}", d.code);
    }
}

/// What a lowered CRN must satisfy: `crn::validate`, and a reaction that names
/// a parameter has that parameter's value as its rate.
fn check_crn(crn: &Crn) {
    let violations = crn::validate(crn);
    assert!(violations.is_empty(), "invalid CRN {}: {violations:?}\n{}", crn.name, crn::dump(crn));
    for (i, r) in crn.reactions.iter().enumerate() {
        if let Some(p) = r.rate_param {
            let param = &crn.parameters[p];
            assert_eq!(
                param.value,
                r.rate,
                "reaction {i} of {} names parameter `{}` = {} but has rate {}\n{}",
                crn.name,
                param.name,
                param.value,
                r.rate,
                crn::dump(crn)
            );
        }
    }
    let _ = json::write(crn);
    let _ = text::write(crn);
}

/// The text reaction list of a valid CRN reads back without errors to the
/// same species and reactions.
fn check_text_round_trip(crn: &Crn) {
    // What the format cannot state is refused, never written wrong.
    if let Some(d) = text::unsupported(crn) {
        assert_eq!(d.code, "E0603", "{d:?}");
        return;
    }
    let written = text::write(crn);
    let fs = MemoryFs::new().with("back.crn", written.clone());
    let front = driver::front_end(&fs, Path::new("back.crn"));
    assert!(
        !front.has_errors(),
        "the text output of {} does not read back:\n{written}\n{}",
        crn.name,
        diagnostic::render_human(&front.db, &front.diagnostics, Color::Never)
    );
    let network = driver::select(&front, None).expect("a .crn file is one network");
    let back = driver::lower(network, &front.db, None).expect("no order limit").crn;
    check_crn(&back);
    assert_eq!(back.species.len(), crn.species.len(), "species count changed in\n{written}");
    assert_eq!(back.reactions.len(), crn.reactions.len(), "reaction count changed in\n{written}");
}

/// The IR invariants stated in `crnc::ir`.
fn check_ir(n: &ir::Network) {
    assert!(n.volume.is_finite() && n.volume > 0.0, "{}: volume {}", n.name, n.volume);
    for s in n.species.values() {
        assert!(
            s.initial.is_finite() && (s.signed || s.initial >= 0.0),
            "{}: initial value {}",
            s.name,
            s.initial
        );
    }
    for eq in &n.ode.equations {
        assert!(n.species.contains_key(&eq.target), "{}: equation of undeclared `{}`", n.name, eq.target);
        for v in &n.ode.variables {
            assert!(n.species.contains_key(&v.name), "{}: equation reads undeclared `{}`", n.name, v.name);
        }
    }
    for r in n.reactions.iter() {
        for (name, k) in r.reactants.iter().chain(&r.products) {
            assert!(n.species.contains_key(name), "{}: reaction names undeclared `{name}`", n.name);
            assert!((1..=ir::MAX_COEFFICIENT).contains(k), "{}: coefficient {k} of `{name}`", n.name);
        }
        for rate in std::iter::once(&r.forward).chain(&r.reverse) {
            assert!(rate.value.is_finite() && rate.value > 0.0, "{}: rate {}", n.name, rate.value);
        }
    }
}

/// How much a run got through.
#[derive(Debug, PartialEq)]
enum Outcome {
    Errors,
    Compiled(usize),
}

/// Runs `path` through everything the CLI does, checking every stage.
fn pipeline(fs: &MemoryFs, path: &str) -> Outcome {
    let front = driver::front_end(fs, Path::new(path));
    check_diagnostics(&front.db, &front.diagnostics);
    if front.has_errors() {
        assert!(front.program.networks.is_empty(), "a failed front end returns no networks");
        return Outcome::Errors;
    }
    match driver::select(&front, None) {
        Ok(n) => assert!(front.program.networks.len() == 1 && n.name == front.program.networks[0].name),
        Err(d) => {
            assert!(front.program.networks.len() != 1);
            check_diagnostics(&front.db, &[d]);
        }
    }
    for network in front.program.networks.values() {
        check_ir(network);
        let _ = network.to_string();
        // The `ode` pass finds what the front end cannot: a species that could go negative.
        match driver::ir_passes(network, &driver::Flags::default(), |_, _| {}) {
            Ok((lowered, _)) => check_ir(&lowered),
            Err(ds) => {
                check_diagnostics(&front.db, &ds);
                return Outcome::Errors;
            }
        }
        let crn = match driver::lower(network, &front.db, None) {
            Ok(lowered) => lowered.crn,
            Err(ds) => panic!("lowering without --max-order failed: {ds:?}"),
        };
        check_crn(&crn);
        check_text_round_trip(&crn);
        for max in [0, 1, 2] {
            match driver::lower(network, &front.db, Some(max)) {
                Ok(lowered) => {
                    check_crn(&lowered.crn);
                    assert!(lowered.crn.reactions.iter().all(|r| lowered.crn.molecularity(r) <= max));
                }
                Err(ds) => {
                    assert!(ds.iter().filter(|d| d.is_error()).all(|d| d.code == "E0400"));
                    check_diagnostics(&front.db, &ds);
                }
            }
        }
    }
    Outcome::Compiled(front.program.networks.len())
}

/// A file system holding `main` as `main.crnl` (or `.crn`) and the library.
fn files(main_path: &str, main: &str) -> MemoryFs {
    MemoryFs::new().with(main_path, main).with("lib.crnl", LIBRARY)
}

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

/// Every token of crnl, spelled validly, plus near-misses a user might type.
const CRNL_TOKENS: &[&str] = &[
    // keywords
    "network",
    "species",
    "amount",
    "param",
    "import",
    "include",
    "module",
    "for",
    "in",
    "signed",
    "ode",
    "compartment",
    "input",
    "state",
    "learn",
    "output",
    "train",
    "~",
    "'",
    // identifiers, some of them meaningful
    "A",
    "B",
    "X",
    "Y",
    "k",
    "k1",
    "N",
    "M",
    "Lib",
    "k_lib",
    "L",
    "_x",
    "`x[0]`",
    "`dot1.y`",
    "i",
    "n",
    "rate_law",
    "volume",
    "mass_action",
    "combinatoric",
    "exp",
    "ln",
    "log10",
    "sqrt",
    "abs",
    "min",
    "max",
    "std",
    "constants",
    "classic",
    "Brusselator",
    "Schloegl",
    "avogadro",
    "pi",
    // numbers
    "0",
    "1",
    "2",
    "3",
    "2.5",
    ".5",
    "1.",
    "1e-3",
    "6.02e23",
    "1e400",
    "1000",
    "1001",
    "0.0",
    // strings
    "\"lib.crnl\"",
    "\"main.crnl\"",
    "\"missing.crnl\"",
    "\"\"",
    "\"lib.crnl",
    // punctuation and arrows
    "->",
    "<->",
    "<=>",
    "∅",
    "::",
    ".",
    "..",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    ",",
    ";",
    ":",
    "=",
    "+",
    "-",
    "*",
    "/",
    "^",
    "@",
    // comments and characters that are not crnl
    "// comment\n",
    "/* block */",
    "/*",
    "*/",
    "#",
    "→",
    "$",
    "é",
];

/// Sequences of crnl tokens joined by spaces, newlines or nothing.
fn token_stream() -> impl Strategy<Value = String> {
    let token = prop::sample::select(CRNL_TOKENS);
    let sep = prop::sample::select(&[" ", " ", " ", "\n", ""][..]);
    prop::collection::vec((token, sep), 0..80).prop_map(|v| {
        let mut s = String::new();
        for (t, sep) in v {
            s.push_str(t);
            s.push_str(sep);
        }
        s
    })
}

/// A random edit of a token list.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Insert(Index, &'static str),
    /// Replaces a token by another of its kind (number, name or symbol), which
    /// mostly keeps the syntax and exercises the checks instead.
    Replace(Index, Index),
}

const NUMBERS: &[&str] = &["0", "1", "2", "0.5", "1e-3", "1e400", "1000", "1001", "1.5", "-1"];
const NAMES: &[&str] =
    &["A", "B", "C", "X", "k", "p0", "p1", "g0", "N0", "N1", "N2", "Lib", "exp", "ln", "min"];
const SYMBOLS: &[&str] = &["->", "<->", "+", "-", "*", "/", "^", ",", ";", ":", "=", "@", "(", ")", "{", "}"];

fn mutation(vocabulary: &'static [&'static str]) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Duplicate),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        1 => (any::<Index>(), prop::sample::select(vocabulary)).prop_map(|(i, t)| Mutation::Insert(i, t)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(i, r)| Mutation::Replace(i, r)),
    ]
}

fn mutate(tokens: &mut Vec<String>, mutations: &[Mutation]) {
    for m in mutations {
        if tokens.is_empty() {
            return;
        }
        match m {
            Mutation::Delete(i) => {
                tokens.remove(i.index(tokens.len()));
            }
            Mutation::Duplicate(i) => {
                let i = i.index(tokens.len());
                tokens.insert(i, tokens[i].clone());
            }
            Mutation::Swap(a, b) => {
                let (a, b) = (a.index(tokens.len()), b.index(tokens.len()));
                tokens.swap(a, b);
            }
            Mutation::Insert(i, t) => {
                let i = i.index(tokens.len() + 1);
                tokens.insert(i, t.to_string());
            }
            Mutation::Replace(i, r) => {
                let i = i.index(tokens.len());
                let first = tokens[i].chars().next().unwrap_or(' ');
                let kind = if first.is_ascii_digit() || first == '.' {
                    NUMBERS
                } else if first.is_alphabetic() || first == '_' {
                    NAMES
                } else {
                    SYMBOLS
                };
                tokens[i] = kind[r.index(kind.len())].to_string();
            }
        }
    }
}

/// Joins tokens with spaces, breaking lines after `;`, `{` and `}`.
fn join(tokens: &[String]) -> String {
    let mut s = String::new();
    for t in tokens {
        s.push_str(t);
        s.push(if matches!(t.as_str(), ";" | "{" | "}") { '\n' } else { ' ' });
    }
    s
}

// --- well-formed crnl models ---

const SPECIES: &[&str] = &["A", "B", "C", "X", "Y", "Z2"];

/// Positive constant expressions over the globals `g0`, `g1`.
const POSITIVE: &[&str] = &[
    "1",
    "0.5",
    "2.5e-3",
    "300",
    "2 * 3",
    "exp(-1)",
    "sqrt(4)",
    "min(1, 2)",
    "(1 + 2) / 3",
    "2 ^ 3",
    "g0",
    "g1 / 2",
];

/// Non-negative initial values.
const INITIAL: &[&str] = &["0", "1", "2.5", "1e-3", "100", "g0", "g0 * 2", "max(1, g1)", "abs(-2)"];

#[derive(Clone, Debug)]
struct Reaction {
    reactants: Vec<(Index, u32)>,
    products: Vec<(Index, u32)>,
    reversible: bool,
    /// Indices into the rate choices (see `rate_text`); `None`: no `@`.
    rates: Option<(Index, Index)>,
    labelled: bool,
}

#[derive(Clone, Debug)]
struct Net {
    /// Which of `SPECIES` this network declares (at least one).
    declares: Vec<bool>,
    params: Vec<Index>,
    /// Networks (by smaller index) this one includes.
    includes: Vec<Index>,
    reactions: Vec<Reaction>,
}

#[derive(Clone, Debug)]
struct Model {
    import_std: bool,
    import_lib: bool,
    rate_law: Option<&'static str>,
    volume: Option<&'static str>,
    /// Per species in `SPECIES`: initial value and whether it is an amount.
    species: Vec<(Index, bool)>,
    nets: Vec<Net>,
    /// A module with an array port, used in a further network with a signed
    /// value and an ode block: (array size, initial value of the signed value).
    expansion: Option<(u32, i32)>,
}

fn reaction() -> impl Strategy<Value = Reaction> {
    let side = || prop::collection::vec((any::<Index>(), 1u32..=3), 0..3);
    (side(), side(), any::<bool>(), prop::option::of((any::<Index>(), any::<Index>())), any::<bool>())
        .prop_map(|(reactants, products, reversible, rates, labelled)| Reaction {
            reactants,
            products,
            reversible,
            rates,
            labelled,
        })
}

fn net() -> impl Strategy<Value = Net> {
    (
        prop::collection::vec(any::<bool>(), SPECIES.len()),
        prop::collection::vec(any::<Index>(), 0..3),
        prop::collection::vec(any::<Index>(), 0..2),
        prop::collection::vec(reaction(), 1..6),
    )
        .prop_map(|(declares, params, includes, reactions)| Net {
            declares,
            params,
            includes,
            reactions,
        })
}

fn model() -> impl Strategy<Value = Model> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::option::of(prop::sample::select(&["mass_action", "combinatoric"][..])),
        prop::option::of(prop::sample::select(&["1", "2.5", "1e-15", "g0"][..])),
        prop::collection::vec((any::<Index>(), any::<bool>()), SPECIES.len()),
        prop::collection::vec(net(), 1..4),
        prop::option::of((1u32..4, -2i32..3)),
    )
        .prop_map(|(import_std, import_lib, rate_law, volume, species, nets, expansion)| Model {
            import_std,
            import_lib,
            rate_law,
            volume,
            species,
            nets,
            expansion,
        })
}

fn tokens_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(' ').filter(|t| !t.is_empty()).map(str::to_string)
}

/// The rate expression for choice `i` in a network with `params` parameters.
fn rate_text(i: Index, params: usize) -> String {
    let choices = POSITIVE.len() + if params > 0 { 2 } else { 0 };
    match i.index(choices) {
        c if c < POSITIVE.len() => POSITIVE[c].to_string(),
        c if c == POSITIVE.len() => format!("p{}", i.index(params)),
        _ => format!("p{} * 2", i.index(params)),
    }
}

/// Renders a model as tokens. Species initial values and quantities are fixed
/// per model and settings are shared, so includes never conflict; every
/// reaction names only species its network declares. The result has no error.
fn render(m: &Model) -> Vec<String> {
    let mut t: Vec<String> = Vec::new();
    let line = |t: &mut Vec<String>, s: &str| t.extend(tokens_of(s));
    if m.import_std {
        line(&mut t, "import std :: constants ;");
    }
    if m.import_lib {
        line(&mut t, "import \"lib.crnl\" ;");
    }
    line(&mut t, if m.import_std { "param g0 = pi / 3 , g1 = 4 ;" } else { "param g0 = 1.5 , g1 = 4 ;" });
    for (n, net) in m.nets.iter().enumerate() {
        line(&mut t, &format!("network N{n} {{"));
        if let Some(law) = m.rate_law {
            line(&mut t, &format!("rate_law = {law} ;"));
        }
        if let Some(v) = m.volume {
            line(&mut t, &format!("volume = {v} ;"));
        }
        let mut declared: Vec<usize> = (0..SPECIES.len()).filter(|&s| net.declares[s]).collect();
        if declared.is_empty() {
            declared.push(n % SPECIES.len());
        }
        for &s in &declared {
            let (init, amount) = &m.species[s];
            let kind = if *amount { "species amount" } else { "species" };
            line(&mut t, &format!("{kind} {} = {} ;", SPECIES[s], INITIAL[init.index(INITIAL.len())]));
        }
        for (i, p) in net.params.iter().enumerate() {
            // A parameter may use the ones before it.
            let value = if i > 0 && p.index(3) == 0 {
                format!("p{} + 1", p.index(i))
            } else {
                POSITIVE[p.index(POSITIVE.len())].to_string()
            };
            line(&mut t, &format!("param p{i} = {value} ;"));
        }
        if n > 0 {
            for inc in &net.includes {
                line(&mut t, &format!("include N{} ;", inc.index(n)));
            }
        }
        for (k, r) in net.reactions.iter().enumerate() {
            if r.labelled {
                line(&mut t, &format!("r{k} :"));
            }
            let side = |terms: &[(Index, u32)]| -> String {
                if terms.is_empty() {
                    return "0".to_string();
                }
                let parts: Vec<String> = terms
                    .iter()
                    .map(|(s, c)| {
                        let name = SPECIES[declared[s.index(declared.len())]];
                        if *c == 1 { name.to_string() } else { format!("{c} {name}") }
                    })
                    .collect();
                parts.join(" + ")
            };
            let arrow = if r.reversible { "<->" } else { "->" };
            let mut s = format!("{} {arrow} {}", side(&r.reactants), side(&r.products));
            if let Some((f, b)) = r.rates {
                s.push_str(&format!(" @ {}", rate_text(f, net.params.len())));
                if r.reversible {
                    s.push_str(&format!(" , {}", rate_text(b, net.params.len())));
                }
            }
            line(&mut t, &format!("{s} ;"));
        }
        line(&mut t, "}");
    }
    if let Some((n, s0)) = m.expansion {
        line(
            &mut t,
            "module Sum [ n , k = 1 ] ( a [ n ] ) -> b { for i in 0 .. n { a [ i ] -> a [ i ] + b @ k * ( i + 1 ) ; } b -> 0 ; }",
        );
        line(
            &mut t,
            &format!(
                "network X {{ species a [ {n} ] = [ i + 1 for i ] ; b = Sum [ {n} ] ( a ) ; signed s = {s0} ;"
            ),
        );
        line(&mut t, "ode { s ' = - s ^ 3 + b - 1 ; } }");
    }
    // `(1 + 2)` and `exp(-1)` must split into tokens for mutations to bite.
    t.into_iter()
        .flat_map(|tok| {
            let spaced = tok.replace('(', " ( ").replace(')', " ) ").replace(',', " , ");
            spaced.split_whitespace().map(str::to_string).collect::<Vec<_>>()
        })
        .collect()
}

// --- the .crn reaction list ---

const CRN_TOKENS: &[&str] = &[
    "A",
    "B",
    "C",
    "X",
    "k",
    "kf",
    "kr",
    "fw",
    "bw",
    "initial",
    "constant",
    "i",
    "c",
    "0",
    "1",
    "2",
    "2.5",
    ".5",
    "1e-3",
    "1e400",
    "1000",
    "1001",
    "-1",
    "->",
    "<=>",
    "+",
    "@",
    "[",
    "]",
    ",",
    "=",
    ";",
    "#",
    "\n",
    "# network: N\n",
    "# rate-law: combinatoric\n",
    "# rate-law: mass-action\n",
    "# rate-law: x\n",
    "# volume: 2\n",
    "# volume: 0\n",
    "# amounts: A B\n",
    "# amounts: Z\n",
    "→",
    "é",
];

fn crn_stream() -> impl Strategy<Value = String> {
    let sep = prop::sample::select(&[" ", " ", "\n", ""][..]);
    prop::collection::vec((prop::sample::select(CRN_TOKENS), sep), 0..60).prop_map(|v| {
        let mut s = String::new();
        for (t, sep) in v {
            s.push_str(t);
            s.push_str(sep);
        }
        s
    })
}

#[derive(Clone, Debug)]
struct CrnLine {
    reactants: Vec<(Index, u32)>,
    products: Vec<(Index, u32)>,
    reversible: bool,
    /// Rate form: none, `[x]`, or named (`[k = x]`, `[kf = x, kr = y]`).
    form: Index,
    rates: (Index, Index),
}

const CRN_RATES: &[&str] = &["1", "0.5", "2.5e-3", "1e-300", "6.02e23", "7"];

fn crn_line() -> impl Strategy<Value = CrnLine> {
    let side = || prop::collection::vec((any::<Index>(), 1u32..=3), 0..3);
    (side(), side(), any::<bool>(), any::<Index>(), (any::<Index>(), any::<Index>())).prop_map(
        |(reactants, products, reversible, form, rates)| CrnLine {
            reactants,
            products,
            reversible,
            form,
            rates,
        },
    )
}

/// A valid reaction list as tokens (header lines are single tokens).
fn crn_model() -> impl Strategy<Value = Vec<String>> {
    (
        prop::collection::vec(prop::option::of(prop::sample::select(&["0", "1", "2.5", "1e-3"][..])), 4),
        prop::collection::vec(crn_line(), 1..6),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(initials, lines, combinatoric, amounts)| {
            const NAMES: &[&str] = &["A", "B", "C", "X"];
            let mut t = vec!["# network: Generated\n".to_string()];
            if combinatoric {
                t.push("# rate-law: combinatoric\n".to_string());
            }
            for (name, init) in NAMES.iter().zip(&initials) {
                if let Some(v) = init {
                    t.extend([name.to_string(), "@initial".into(), v.to_string(), "\n".into()]);
                }
            }
            for l in &lines {
                let side = |t: &mut Vec<String>, terms: &[(Index, u32)]| {
                    for (i, (s, c)) in terms.iter().enumerate() {
                        if i > 0 {
                            t.push("+".into());
                        }
                        if *c > 1 {
                            t.push(c.to_string());
                        }
                        t.push(NAMES[s.index(NAMES.len())].to_string());
                    }
                };
                side(&mut t, &l.reactants);
                t.push(if l.reversible { "<=>" } else { "->" }.into());
                side(&mut t, &l.products);
                let (f, r) = (
                    CRN_RATES[l.rates.0.index(CRN_RATES.len())],
                    CRN_RATES[l.rates.1.index(CRN_RATES.len())],
                );
                match (l.form.index(3), l.reversible) {
                    (0, _) => {}
                    (1, false) => t.extend(["[".into(), f.into(), "]".into()]),
                    (1, true) => t.extend(["[".into(), f.into(), ",".into(), r.into(), "]".into()]),
                    (_, false) => t.extend(["[".into(), "k".into(), "=".into(), f.into(), "]".into()]),
                    (_, true) => {
                        t.extend(["[", "kf", "=", f, ",", "kr", "=", r, "]"].into_iter().map(String::from))
                    }
                }
                t.push("\n".into());
            }
            // Amount species must be mentioned somewhere; `A` may not be.
            if amounts {
                t.push("# amounts: A\n".into());
                t.extend(["A".into(), "@initial".into(), "3".into(), "\n".into()]);
            }
            t
        })
}

fn join_crn(tokens: &[String]) -> String {
    let mut s = String::new();
    for t in tokens {
        s.push_str(t);
        if !t.ends_with('\n') {
            s.push(' ');
        }
    }
    s
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        pipeline(&files("main.crnl", &text), "main.crnl");
        pipeline(&files("main.crn", &text), "main.crn");
    }

    #[test]
    fn random_characters_of_the_alphabet_never_panic(
        text in "[a-zA-Z0-9_ \n\t;{}()@+*/^=<>:,.#\"∅→-]{0,300}"
    ) {
        pipeline(&files("main.crnl", &text), "main.crnl");
        pipeline(&files("main.crn", &text), "main.crn");
    }

    #[test]
    fn random_token_streams_never_panic(
        main in prop_oneof![
            token_stream(),
            // inside a network, so that statement-level tokens reach the checks
            token_stream().prop_map(|s| format!("network N {{ species A = 1, B; {s} }}")),
        ],
        lib in token_stream(),
    ) {
        // The library is random too, and may import the main file back.
        let fs = MemoryFs::new().with("main.crnl", main).with("lib.crnl", lib);
        pipeline(&fs, "main.crnl");
    }

    #[test]
    fn random_reaction_lists_never_panic(text in crn_stream()) {
        pipeline(&files("main.crn", &text), "main.crn");
    }
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn generated_models_compile_without_errors(m in model()) {
        let text = join(&render(&m));
        let fs = files("main.crnl", &text);
        let front = driver::front_end(&fs, Path::new("main.crnl"));
        prop_assert!(
            !front.has_errors(),
            "{text}\n{}",
            diagnostic::render_human(&front.db, &front.diagnostics, Color::Never)
        );
        prop_assert_eq!(pipeline(&fs, "main.crnl"), Outcome::Compiled(m.nets.len() + usize::from(m.expansion.is_some())));
    }

    #[test]
    fn mutated_models_never_panic(
        m in model(),
        mutations in prop::collection::vec(mutation(CRNL_TOKENS), 1..4),
    ) {
        let mut tokens = render(&m);
        mutate(&mut tokens, &mutations);
        pipeline(&files("main.crnl", &join(&tokens)), "main.crnl");
    }

    #[test]
    fn generated_reaction_lists_compile_without_errors(tokens in crn_model()) {
        let text = join_crn(&tokens);
        prop_assert_eq!(pipeline(&files("main.crn", &text), "main.crn"), Outcome::Compiled(1), "{}", text);
    }

    #[test]
    fn mutated_reaction_lists_never_panic(
        tokens in crn_model(),
        mutations in prop::collection::vec(mutation(CRN_TOKENS), 1..4),
    ) {
        let mut tokens = tokens;
        mutate(&mut tokens, &mutations);
        pipeline(&files("main.crn", &join_crn(&tokens)), "main.crn");
    }
}

/// The mutation generator must get past the parser often enough to exercise
/// the checks, and sometimes produce a model that still compiles.
#[test]
fn mutations_reach_the_checks() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut codes = std::collections::BTreeSet::new();
    let mut compiled = 0;
    for _ in 0..300 {
        let m = model().new_tree(&mut runner).expect("a model").current();
        let mutations = prop::collection::vec(mutation(CRNL_TOKENS), 1..4);
        let mutations = mutations.new_tree(&mut runner).expect("mutations").current();
        let mut tokens = render(&m);
        mutate(&mut tokens, &mutations);
        let front = driver::front_end(&files("main.crnl", &join(&tokens)), Path::new("main.crnl"));
        codes.extend(front.diagnostics.iter().map(|d| d.code));
        compiled += usize::from(!front.has_errors());
    }
    assert!(compiled > 0, "no mutated model compiled");
    for code in ["E0100", "E0200", "E0201", "E0205", "E0208", "E0303", "W0001", "W0002", "W0003"] {
        assert!(codes.contains(code), "mutations never produced {code}: {codes:?}");
    }
}

// ---------------------------------------------------------------------------
// Regressions: bugs these property tests found, kept as fixed reproductions.
// ---------------------------------------------------------------------------

fn compile_one(fs: &MemoryFs, path: &str, network: &str) -> Crn {
    let front = driver::front_end(fs, Path::new(path));
    assert!(!front.has_errors(), "{:?}", front.diagnostics);
    let n = driver::select(&front, Some(network)).expect("network exists");
    driver::lower(n, &front.db, None).expect("no order limit").crn
}

#[test]
fn include_renaming_keeps_parameter_values() {
    let source = "network P { species X = 1; param a = 1; X -> 0 @ a; }\n\
                  network M { species Y = 1; param a = 2, M_a = 3; Y -> 0 @ a; 0 -> Y @ M_a; }\n\
                  network Outer { include P; include M; }\n";
    let crn = compile_one(&MemoryFs::new().with("m.crnl", source), "m.crnl", "Outer");
    check_crn(&crn);
}

#[test]
fn reaction_list_coefficients_are_bounded() {
    let fs = MemoryFs::new().with("m.crn", "A @initial 1\n1000 A + 1000 A -> B [k = 1]\n");
    let front = driver::front_end(&fs, Path::new("m.crn"));
    assert!(front.has_errors(), "2000 A was accepted: {:?}", front.program);
}
