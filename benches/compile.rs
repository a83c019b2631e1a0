//! Compile-time benchmark: a generated network of 100,000 reactions from
//! source to SBML, stage by stage, with peak memory; and, as a peer in the
//! same run, libSBML (python-libsbml) reading and writing the same SBML.
//!
//! `cargo bench --bench compile` (set CRNC_PYTHON to a Python with libsbml
//! for the peer column; `scripts/test` makes one in .venv).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crnc::backend::sbml;
use crnc::driver;
use crnc::source::MemoryFs;

/// A network shaped like generated systems-biology models: many species,
/// uni- and bimolecular reactions, some reversible, named parameters.
fn generate(reactions: usize) -> String {
    let species = reactions / 10;
    let mut src = String::with_capacity(reactions * 40);
    src.push_str("network Big {\n");
    for i in 0..species {
        let _ = writeln!(src, "  species S{i} = {};", (i % 7) as f64 * 0.5);
    }
    for p in 0..100 {
        let _ = writeln!(src, "  param k{p} = {};", 0.01 * (p + 1) as f64);
    }
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for r in 0..reactions {
        let (a, b, c) = (next(species), next(species), next(species));
        let k = next(100);
        let _ = match r % 4 {
            0 => writeln!(src, "  S{a} + S{b} -> S{c} @ k{k};"),
            1 => writeln!(src, "  S{a} -> S{b} + S{c} @ 2 * k{k};"),
            2 => writeln!(src, "  S{a} + S{b} <-> S{c} @ k{k}, 0.5;"),
            _ => writeln!(src, "  S{a} -> S{b} @ k{k};"),
        };
    }
    src.push_str("}\n");
    src
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn main() {
    let n: usize = std::env::var("CRNC_BENCH_REACTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let source = generate(n);
    let fs = MemoryFs::new().with("big.crnl", source.clone());
    let mut best: Option<[Duration; 3]> = None;
    let mut sbml_text = String::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        // As `crnc compile` runs it: the syntax tree goes once checked.
        let flags = driver::Flags { keep_ast: false, ..driver::Flags::default() };
        let front = driver::front_end_with(&fs, Path::new("big.crnl"), &flags);
        assert!(!front.has_errors(), "generated source must compile");
        let t1 = Instant::now();
        let crn = driver::lower(&front.program.networks[0], &front.db, None).expect("no order limit").crn;
        let t2 = Instant::now();
        sbml_text = sbml::write(&crn);
        let t3 = Instant::now();
        let times = [t1 - t0, t2 - t1, t3 - t2];
        if best.is_none_or(|b| times.iter().sum::<Duration>() < b.iter().sum()) {
            best = Some(times);
        }
    }
    let [front, lower, write] = best.expect("ran at least once");
    let total = front + lower + write;
    println!(
        "crnc compile benchmark: {n} reactions, {} bytes of source, {} bytes of SBML",
        source.len(),
        sbml_text.len()
    );
    println!();
    println!("| stage | ms (best of 5) |");
    println!("|---|---|");
    println!("| lex + parse + check | {} |", ms(front));
    println!("| lower to elementary CRN | {} |", ms(lower));
    println!("| write SBML | {} |", ms(write));
    println!("| **source to SBML** | **{}** |", ms(total));
    if let Some(peak) = peak_rss_mib() {
        println!("| peak memory (VmHWM) | {peak:.0} MiB |");
    }
    peer(&sbml_text, total);
}

/// libSBML reading and re-writing the same document, timed inside Python.
fn peer(sbml_text: &str, crnc_total: Duration) {
    let Some(python) = std::env::var_os("CRNC_PYTHON") else {
        println!("\n(peer skipped: set CRNC_PYTHON to a Python with python-libsbml)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("crnc-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.sbml");
    std::fs::write(&path, sbml_text).expect("write SBML");
    let script = "import sys, time, libsbml\n\
        t = time.perf_counter(); d = libsbml.readSBMLFromFile(sys.argv[1]); r = time.perf_counter() - t\n\
        t = time.perf_counter(); s = libsbml.writeSBMLToString(d); w = time.perf_counter() - t\n\
        print(r, w, d.getNumErrors())";
    let out = std::process::Command::new(python).args(["-c", script]).arg(&path).output();
    let _ = std::fs::remove_dir_all(&dir);
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        println!("\n(peer failed: python-libsbml not importable from CRNC_PYTHON)");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<f64> = text.split_whitespace().filter_map(|s| s.parse().ok()).collect();
    if let [read, write, _] = v[..] {
        let peer = read + write;
        println!("| peer: libSBML read + write of the same SBML | {:.1} |", peer * 1e3);
        println!("| ratio libSBML / crnc | {:.1}x |", peer / crnc_total.as_secs_f64());
    }
}
