//! The corpus of bad inputs: every `tests/corpus/*.crnl`, `*.crn`, `*.xml`
//! (SBML) and `*.net` (BioNetGen) file is a small model with a mistake a
//! newcomer makes. Its header names the diagnostic codes the compiler must
//! report, in order of position:
//!
//! ```text
//! // expect: E0200 W0001        (`# expect: ...` in .crn and .net, `<!-- expect: ... -->` in .xml)
//! // max-order: 2               (optional: compile as with `--max-order 2`)
//! // network: Name              (optional: compile as with `--network Name`)
//! ```
//!
//! Each case runs the whole pipeline as `crnc check` does (front end, then
//! network selection and lowering if the front end found no error), checks the
//! codes, and snapshots the source followed by the diagnostics exactly as a
//! user sees them. Helper files under `tests/corpus/support/` are imported by
//! cases and are not cases themselves.

use std::path::{Path, PathBuf};

use crnc::diagnostic::{self, Color, Diagnostic, Diagnostics};
use crnc::driver;
use crnc::source::RealFs;

const CORPUS: &str = "tests/corpus";

/// What a case's header asks for.
#[derive(Debug, Default)]
struct Header {
    expect: Vec<String>,
    max_order: Option<u32>,
    network: Option<String>,
}

/// Reads the header from the leading comment lines (`//` or `#`).
fn header(path: &Path, text: &str) -> Header {
    let mut h = Header::default();
    let mut saw_expect = false;
    for line in text.lines() {
        let xml_comment = line.strip_prefix("<!--").map(|b| b.trim_end().trim_end_matches("-->"));
        let Some(body) = line.strip_prefix("//").or_else(|| line.strip_prefix('#')).or(xml_comment) else {
            break;
        };
        let Some((key, value)) = body.split_once(':') else { continue };
        let value = value.trim();
        match key.trim() {
            "expect" => {
                saw_expect = true;
                h.expect = value.split_whitespace().map(str::to_string).collect();
            }
            "max-order" => {
                h.max_order =
                    Some(value.parse().unwrap_or_else(|_| panic!("{}: bad max-order", path.display())))
            }
            "network" if path.extension().is_some_and(|e| e == "crnl") => h.network = Some(value.to_string()),
            _ => {}
        }
    }
    assert!(
        saw_expect,
        "{}: the first line must be `// expect: CODES` (`# expect:` in .crn)",
        path.display()
    );
    h
}

/// Every case, relative to the crate root, sorted; `support/` is not searched.
fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root).expect("the crate root exists");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(CORPUS)
        .expect("tests/corpus exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| ["crnl", "crn", "xml", "net"].contains(&e.to_str().unwrap_or("")))
        })
        .collect();
    cases.sort();
    cases
}

/// The outcome of compiling one case.
struct Outcome {
    codes: Vec<String>,
    errors: usize,
    /// The source, then the diagnostics as `crnc check --color never` prints them.
    report: String,
}

/// Runs a case through the pipeline as the CLI does.
fn run(path: &Path, h: &Header) -> Outcome {
    let front = driver::front_end(&RealFs::default(), path);
    let mut all = Diagnostics::default();
    let failed = front.has_errors();
    all.extend(front.diagnostics.iter().cloned());
    if !failed {
        match driver::select(&front, h.network.as_deref()) {
            Err(d) => all.push(d),
            Ok(network) => match driver::lower(network, &front.db, h.max_order) {
                Ok(lowered) => all.extend(lowered.warnings),
                Err(ds) => all.extend(ds),
            },
        }
    }
    let sorted: Vec<Diagnostic> = all.into_sorted();
    let source = std::fs::read_to_string(path).expect("case is readable");
    let rendered = diagnostic::render_human(&front.db, &sorted, Color::Never);
    let summary = diagnostic::summary(&sorted).unwrap_or_default();
    let report = format!(
        "── {} ──\n{source}{}── diagnostics ──\n{rendered}{summary}\n",
        path.display(),
        if source.ends_with('\n') { "" } else { "\n" },
    );
    Outcome {
        codes: sorted.iter().map(|d| d.code.to_string()).collect(),
        errors: sorted.iter().filter(|d| d.is_error()).count(),
        report,
    }
}

fn snapshot_name(path: &Path) -> String {
    let stem = path.file_stem().expect("a file name").to_string_lossy();
    let ext = path.extension().expect("an extension").to_string_lossy();
    format!("{stem}.{ext}")
}

#[test]
fn corpus_has_enough_cases() {
    let n = cases().len();
    assert!(n >= 45, "corpus has >= 45 cases: found {n}");
}

#[test]
fn every_corpus_case_reports_its_expected_diagnostics() {
    let mut outcomes = Vec::new();
    let mut failures = Vec::new();
    for path in cases() {
        let text = std::fs::read_to_string(&path).expect("case is readable");
        // A case may start with a byte-order mark, which crnc skips.
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
        assert!(
            ["// expect:", "# expect:", "<!-- expect:"].iter().any(|h| text.starts_with(h)),
            "{}: the first line must name the expected codes",
            path.display()
        );
        let h = header(&path, text);
        let outcome = run(&path, &h);
        if outcome.codes != h.expect {
            failures.push(format!(
                "{}: expected {:?}, got {:?}\n{}",
                path.display(),
                h.expect,
                outcome.codes,
                outcome.report
            ));
        } else if outcome.errors == 0 {
            failures.push(format!("{}: every case needs an error\n{}", path.display(), outcome.report));
        }
        outcomes.push((path, outcome));
    }
    assert!(failures.is_empty(), "{} corpus case(s) failed:\n\n{}", failures.len(), failures.join("\n"));
    for (path, outcome) in outcomes {
        insta::assert_snapshot!(snapshot_name(&path), outcome.report);
    }
}

/// A byte-order mark changes nothing: the file compiles, and an error in it
/// is at the same line and column, with byte offsets those of the file.
#[test]
fn a_byte_order_mark_is_skipped() {
    use crnc::source::MemoryFs;
    let good = "network N {\n  species A = 1;\n  A -> 0 @ 1;\n}\n";
    let bad = "network N {\n  species A = 1;\n  A -> B @ 1;\n}\n";
    let fs = MemoryFs::new()
        .with("good.crnl", format!("\u{FEFF}{good}"))
        .with("bad.crnl", format!("\u{FEFF}{bad}"))
        .with("plain.crnl", bad);
    let front = driver::front_end(&fs, Path::new("good.crnl"));
    assert!(front.diagnostics.is_empty(), "{:#?}", front.diagnostics);
    let network = driver::select(&front, None).expect("one network");
    assert!(driver::lower(network, &front.db, None).is_ok());
    let json = |path: &str| {
        let front = driver::front_end(&fs, Path::new(path));
        let value: serde_json::Value =
            serde_json::from_str(&diagnostic::render_json(&front.db, &front.diagnostics)).expect("JSON");
        value[0]["labels"][0].clone()
    };
    let (with_mark, plain) = (json("bad.crnl"), json("plain.crnl"));
    assert_eq!((&with_mark["line"], &with_mark["column"]), (&serde_json::json!(3), &serde_json::json!(8)));
    assert_eq!(with_mark["byte_start"].as_u64(), plain["byte_start"].as_u64().map(|b| b + 3));
}
