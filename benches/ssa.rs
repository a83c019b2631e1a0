//! Stochastic simulation benchmark: crnc's SSA against rebop 0.10, the
//! fastest Rust SSA we know of, on the same networks in the same run, with
//! the same seed and events counted exactly; prints events per second.
//!
//! rebop runs two ways: its `define_system!` macro (the system compiled into
//! straight-line code, its fastest form) for birth-death and multistate, and
//! its runtime API (`Gillespie`, sparse) for every network. Neither counts
//! events, so each rebop system gets one extra species that every reaction
//! produces and no reaction reads: its final count is the number of events.
//! crnc runs each of its methods forced in turn and `auto`. The rings (24, 32
//! and 48 reactions written, 18, 24 and 36 once the compiler merges the
//! duplicates; rebop in its runtime form only) place the direct method's
//! crossovers: recomputing every propensity against recomputing dependents,
//! and the direct method against the rejection method.
//!
//! `cargo bench --bench ssa`
//! `CRNC_SSA_NETWORKS=multistate,egfr_net` picks networks (default: all);
//! `CRNC_SSA_METHODS=auto,direct` picks crnc's methods (default: all).
//! `CRNC_SSA_HORIZON=100` runs every network to that time (best of three);
//! `CRNC_SSA_REBOP=off` leaves rebop out. Together they make a run whose
//! work is fixed, to count its instructions under
//! `valgrind --tool=cachegrind` where wall clock is too noisy to compare.

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{bench_dir, load, read};
use crnc::crn::Crn;
use crnc::sim::kinetics::Kinetics;
use crnc::sim::ssa::{self, Ssa, SsaMethod};
use rebop::define_system;
use rebop::gillespie::{Gillespie, Rate};

const SEED: u64 = 1;

/// A run shorter than this is repeated over a horizon four times as long,
/// so that timer resolution and start-up cost do not count.
const MIN_SECONDS: f64 = 0.4;

const BIRTH_DEATH: &str = "network BD { species amount X = 0; 0 -> X @ 10; X -> 0 @ 0.1; }";

define_system! {
    birth death;
    BirthDeath { x, events }
    r_birth: => x + events @ birth
    r_death: x => events @ death
}

define_system! {
    kon koff kaon kaoff kap kadp;
    Multistate { r, l, a, lr, ar, alr_u, alr_p, ar_p, a_p, events }
    r1: r + l => lr + events @ kon
    r2: r + a => ar + events @ kaon
    r3: l + ar => alr_u + events @ kon
    r4: lr => r + l + events @ koff
    r5: a + lr => alr_u + events @ kaon
    r6: ar => r + a + events @ kaoff
    r7: alr_u => l + ar + events @ koff
    r8: alr_u => a + lr + events @ kaoff
    r9: alr_u => alr_p + events @ kap
    r10: alr_p => l + ar_p + events @ koff
    r11: alr_p => lr + a_p + events @ kaoff
    r12: alr_p => alr_u + events @ kadp
    r13: l + ar_p => alr_p + events @ kon
    r14: r + a_p => ar_p + events @ kaon
    r15: lr + a_p => alr_p + events @ kaon
    r16: ar_p => r + a_p + events @ kaoff
    r17: ar_p => ar + events @ kadp
    r18: a_p => a + events @ kadp
}

/// A benchmark network: where its CRN comes from and, for the two small
/// ones, the horizon of the figures and rebop's macro form.
struct Network {
    name: &'static str,
    source: Source,
    horizon: Option<f64>,
    macro_run: Option<fn(f64) -> u64>,
}

enum Source {
    Crnl(&'static str),
    BioNetGen,
    /// A ring of this many species (twice as many reactions), see [`ring`].
    Ring(usize),
}

/// n species of 100 molecules, X_i -> X_i+1 @ 1 and X_i + X_i+n/2 -> X_i+1 +
/// X_i+n/2+1 @ 0.001: 2n reactions of both molecularities, events spread
/// evenly over them, for the direct method's crossover in reaction count.
fn ring(n: usize) -> String {
    let counts: Vec<String> = (0..n).map(|i| format!("X{i} = 100")).collect();
    let mut text = format!("network Ring{} {{ species amount {};\n", 2 * n, counts.join(", "));
    for i in 0..n {
        text += &format!("X{i} -> X{} @ 1;\n", (i + 1) % n);
    }
    for i in 0..n {
        let (j, k, l) = ((i + n / 2) % n, (i + 1) % n, (i + n / 2 + 1) % n);
        text += &format!("X{i} + X{j} -> X{k} + X{l} @ 0.001;\n");
    }
    text + "}"
}

fn birth_death_macro(t_end: f64) -> u64 {
    let mut s = BirthDeath::with_parameters(10.0, 0.1);
    s.seed(SEED);
    s.advance_until(t_end);
    s.events as u64
}

/// multistate.net's parameters and initial counts, in its volume of 1.
fn multistate_macro(t_end: f64) -> u64 {
    let mut s = Multistate::with_parameters(0.01, 0.1, 0.01, 0.1, 0.01, 0.1);
    (s.r, s.l, s.a) = (5360, 1160, 5360);
    s.seed(SEED);
    s.advance_until(t_end);
    s.events as u64
}

const NETWORKS: [Network; 9] = [
    Network {
        name: "birth-death",
        source: Source::Crnl(BIRTH_DEATH),
        horizon: Some(1e5),
        macro_run: Some(birth_death_macro),
    },
    Network {
        name: "multistate",
        source: Source::BioNetGen,
        horizon: Some(1000.0),
        macro_run: Some(multistate_macro),
    },
    Network { name: "ring24", source: Source::Ring(12), horizon: Some(4000.0), macro_run: None },
    Network { name: "ring32", source: Source::Ring(16), horizon: Some(4000.0), macro_run: None },
    Network { name: "ring48", source: Source::Ring(24), horizon: Some(4000.0), macro_run: None },
    Network { name: "multisite2", source: Source::BioNetGen, horizon: None, macro_run: None },
    Network { name: "egfr_net", source: Source::BioNetGen, horizon: None, macro_run: None },
    Network { name: "BCR", source: Source::BioNetGen, horizon: None, macro_run: None },
    Network { name: "fceri_gamma2", source: Source::BioNetGen, horizon: None, macro_run: None },
];

/// The network's source as a plain file in `dir` that the driver reads
/// (`.net.gz` unpacked).
fn source_file(network: &Network, dir: &Path) -> Option<PathBuf> {
    let (file, text) = match network.source {
        Source::Crnl(text) => (dir.join(format!("{}.crnl", network.name)), text.to_string()),
        Source::Ring(n) => (dir.join(format!("{}.crnl", network.name)), ring(n)),
        Source::BioNetGen => {
            let plain = bench_dir().join(format!("{}.net", network.name));
            (dir.join(format!("{}.net", network.name)), read(&plain)?)
        }
    };
    std::fs::write(&file, text).ok()?;
    Some(file)
}

fn list(var: &str) -> Option<Vec<String>> {
    std::env::var(var).ok().map(|v| v.split(',').map(str::to_string).collect())
}

/// Events per second of `run` (which simulates to a horizon and returns its
/// events): at the fixed horizon, best of three; without one, over horizons
/// growing fourfold until a run takes [`MIN_SECONDS`]. Also the horizon and events.
fn rate(horizon: Option<f64>, mut run: impl FnMut(f64) -> u64) -> (f64, f64, u64) {
    if let Some(t_end) = horizon {
        let mut best = f64::INFINITY;
        let mut events = 0;
        for _ in 0..3 {
            let start = Instant::now();
            events = run(t_end);
            best = best.min(start.elapsed().as_secs_f64());
        }
        return (events as f64 / best, t_end, events);
    }
    let mut t_end = 1e-6;
    loop {
        let start = Instant::now();
        let events = run(t_end);
        let seconds = start.elapsed().as_secs_f64();
        if seconds >= MIN_SECONDS || t_end > 1e6 {
            return (events as f64 / seconds, t_end, events);
        }
        t_end *= 4.0;
    }
}

/// The CRN as a rebop runtime system (sparse), with the event counter as
/// its last species. Its rates are crnc's stochastic constants
/// c_r = k_r · Ω^(1 - m_r), so both simulate one jump process.
fn rebop_system(crn: &Crn, kin: &Kinetics, n0: &[i64]) -> Gillespie {
    let species = kin.species;
    let mut counts: Vec<isize> = n0.iter().map(|&n| n as isize).collect();
    counts.push(0);
    let mut system = Gillespie::new_with_seed(counts, true, SEED);
    for r in 0..kin.reactions() {
        let c = kin.k[r] * crn.volume.powi(1 - kin.order[r] as i32);
        let mut jump = vec![0isize; species + 1];
        for &(s, d) in kin.changes(r) {
            jump[s as usize] = d as isize;
        }
        jump[species] = 1;
        system.add_reaction(Rate::lma_sparse(c, kin.reactants(r)), jump);
    }
    system
}

struct Row {
    network: String,
    simulator: String,
    events_per_second: f64,
    horizon: f64,
    events: u64,
}

fn main() {
    let networks = list("CRNC_SSA_NETWORKS");
    let methods = list("CRNC_SSA_METHODS");
    let fixed_horizon =
        std::env::var("CRNC_SSA_HORIZON").ok().map(|h| h.parse::<f64>().expect("CRNC_SSA_HORIZON: a time"));
    let with_rebop = std::env::var("CRNC_SSA_REBOP").map_or(true, |v| v != "off");
    // Removed when dropped, at the end of the run.
    let scratch = tempfile::Builder::new().prefix("crnc-ssa-bench-").tempdir().expect("a scratch directory");
    let mut rows = Vec::new();
    for network in NETWORKS.iter().filter(|n| networks.as_ref().is_none_or(|l| l.iter().any(|x| x == n.name)))
    {
        let Some(file) = source_file(network, scratch.path()) else {
            eprintln!("{}: not found under {}", network.name, bench_dir().display());
            continue;
        };
        let crn = load(&file);
        let kin = Kinetics::new(&crn);
        let n0 = ssa::initial_counts(&crn).expect("whole initial counts");
        eprintln!("{}: {} species, {} reactions", network.name, kin.species, kin.reactions());
        let horizon = fixed_horizon.or(network.horizon);
        let mut push = |simulator: String, (events_per_second, horizon, events): (f64, f64, u64)| {
            eprintln!("  {simulator:<28} {:>8.2} M events/s", events_per_second / 1e6);
            rows.push(Row {
                network: network.name.to_string(),
                simulator,
                events_per_second,
                horizon,
                events,
            });
        };
        if with_rebop {
            if let Some(run) = network.macro_run {
                push("rebop macro".into(), rate(horizon, run));
            }
            let system = rebop_system(&crn, &kin, &n0);
            push(
                "rebop runtime".into(),
                rate(horizon, |t_end| {
                    let mut s = system.clone();
                    s.advance_until(t_end);
                    s.get_species(kin.species) as u64
                }),
            );
        }
        let chosen = |m: &SsaMethod| methods.as_ref().is_none_or(|l| l.iter().any(|x| x == m.name()));
        for method in SsaMethod::ALL.into_iter().filter(chosen) {
            let sim = Ssa::new(&kin, crn.volume, method);
            let label = format!("crnc {} ({})", method.name(), sim.method().description());
            push(
                label,
                rate(horizon, |t_end| sim.run(&n0, &[0.0, t_end], SEED).expect("no SSA error").events),
            );
        }
    }
    print_table(&rows);
}

/// One line per run, with its ratio to the best rebop form on the network.
fn print_table(rows: &[Row]) {
    println!("| network | simulator | M events/s | vs best rebop | horizon | events |");
    println!("|---|---|---|---|---|---|");
    for row in rows {
        let best_rebop = rows
            .iter()
            .filter(|r| r.network == row.network && r.simulator.starts_with("rebop"))
            .map(|r| r.events_per_second)
            .fold(0.0, f64::max);
        let ratio = if best_rebop > 0.0 {
            format!("{:.2}x", row.events_per_second / best_rebop)
        } else {
            "–".into()
        };
        println!(
            "| {} | {} | {:.3} | {ratio} | {:e} | {} |",
            row.network,
            row.simulator,
            row.events_per_second / 1e6,
            row.horizon,
            row.events
        );
    }
}
