//! The text reaction list, in crnsimulator's format (docs/formats.md):
//!
//! ```text
//! # rate-law: mass-action
//! A @initial 2
//! A + B -> 2 C [k = 0.2]
//! A <=> B [kf = 1, kr = 0.5]
//! -> A [k = 0.05]
//! ```
//!
//! Header comments (`# key: value`) record what the format cannot say: the
//! rate-law convention, the volume, which species are amounts, and the real
//! name of each species whose name is not a plain identifier (`w[0]` is
//! written `w_0`, with `# name: w_0 = w[0]`). crnc reads them back
//! (`crate::import::crn_text`); other tools skip them as comments.
//!
//! Every reader of the format takes a rate as plain mass action, so a
//! combinatoric network's constants are written divided by ∏α! (with the
//! constant itself in a trailing comment and a `# rates: mass-action` header
//! that tells crnc to multiply back): crnsimulator then integrates the same
//! ODE as crnc.

use std::fmt::Write as _;

use super::number;
use crate::crn::{Crn, Partner, Reaction, SpeciesId};
use crate::ir::{Quantity, RateLaw};

/// E0603 when the network cannot be written in this format: a species in a
/// compartment of its own (the format has one volume, and rescaling the
/// rates would change what its readers report as concentrations), or a
/// reaction with a rate law, which every reader of the format would take as
/// mass action.
pub fn unsupported(crn: &Crn) -> Option<crate::diagnostic::Diagnostic> {
    if let Some(s) = crn.species.iter().find(|s| s.compartment.is_some()) {
        let compartment = s.compartment.as_deref().unwrap_or_default();
        let d = crate::diagnostic::Diagnostic::error(
            "E0603",
            format!(
                "the text reaction list cannot write species `{}`: it is in compartment `{compartment}`",
                s.name
            ),
        )
        .with_note(format!(
            "the format has one volume ({}); concentrations in a compartment of another size cannot be said",
            number(crn.volume)
        ))
        .with_hint("write SBML (`.xml`) or JSON (`.json`), which keep the compartments");
        return Some(match s.origin.span {
            Some(span) => d.with_primary(span, "declared in another compartment"),
            None => d,
        });
    }
    // 1/1000! is 0 in floating point: such a rate would be written as 0 and read back as no reaction.
    let below_range = |r: &&Reaction| r.law.is_none() && r.rate > 0.0 && !plain_rate(crn, r).is_normal();
    if let Some(r) = crn.reactions.iter().find(below_range) {
        let note = format!(
            "the format's rates are plain mass action: {} / {} (∏α! of the combinatoric convention) is {}",
            number(r.rate),
            number(crn.divisor(&r.reactants)),
            number(plain_rate(crn, r))
        );
        let why =
            ["its plain mass-action rate is below the float range", "this reaction's rate cannot be written"];
        return Some(refusal(crn, r, why, note, "the convention's factors apart"));
    }
    let r = crn.reactions.iter().find(|r| r.law.is_some())?;
    let note = format!(
        "its law is `{}`; the format has only mass-action rate constants",
        crn.law_text(r.law.as_deref().unwrap_or_default())
    );
    Some(refusal(crn, r, ["it has a rate law", "this reaction has a rate law"], note, "the law"))
}

/// E0603 for reaction `r`: `why` is the message's reason and the label at
/// the reaction; SBML and JSON keep `what` the text list cannot.
fn refusal(
    crn: &Crn,
    r: &Reaction,
    why: [&str; 2],
    note: String,
    what: &str,
) -> crate::diagnostic::Diagnostic {
    let text = format!("{} -> {}", complex_text(crn, &r.reactants), complex_text(crn, &r.products));
    let d = crate::diagnostic::Diagnostic::error(
        "E0603",
        format!("the text reaction list cannot write reaction `{text}`: {}", why[0]),
    )
    .with_note(note)
    .with_hint(format!("write SBML (`.xml`) or JSON (`.json`), which keep {what}"));
    match r.origin.span {
        Some(span) => d.with_primary(span, why[1]),
        None => d,
    }
}

/// The network as a text reaction list; check [`unsupported`] first (a
/// reaction with a rate law is written with its law in a comment only).
pub fn write(crn: &Crn) -> String {
    let names = plain_names(crn);
    let mut out = String::with_capacity(64 + 48 * crn.reactions.len());
    let _ = writeln!(out, "# {}: text reaction list (crnsimulator format)", crn.metadata.generator);
    let _ = writeln!(out, "# network: {}", crn.name);
    let _ = writeln!(out, "# source: {}", crn.metadata.source);
    let _ = writeln!(out, "# rate-law: {}", crn.rate_law.name());
    if crn.rate_law == RateLaw::Combinatoric {
        let _ = writeln!(out, "# rates: {}", RateLaw::MassAction.name());
    }
    let _ = writeln!(out, "# volume: {}", number(crn.volume));
    let amounts: Vec<&str> = crn
        .species
        .iter()
        .zip(&names)
        .filter(|(s, _)| s.quantity == Quantity::Amount)
        .map(|(_, n)| n.as_str())
        .collect();
    if !amounts.is_empty() {
        let _ = writeln!(out, "# amounts: {}", amounts.join(" "));
    }
    for (s, name) in crn.species.iter().zip(&names) {
        if *name != s.name {
            let _ = writeln!(out, "# name: {name} = {}", s.name);
        }
    }
    for (s, name) in crn.species.iter().zip(&names) {
        let _ = writeln!(out, "{name} @initial {}", number(s.initial));
    }
    for r in &crn.reactions {
        if !matches!(r.partner, Some(Partner::Forward(_))) {
            out.push_str(&line(crn, &names, r));
            out.push('\n');
        }
    }
    out
}

/// [`write`] with a schedule's `cuts` ([`crate::sim::schedule::cuts`]) as
/// comments at the end: the format has no events, so neither crnc's reader
/// nor other tools apply them; they say what a run of the list leaves out.
pub fn write_scheduled(crn: &Crn, cuts: &[crate::sim::schedule::Cut]) -> String {
    let mut out = write(crn);
    if cuts.is_empty() {
        return out;
    }
    let names = plain_names(crn);
    out.push_str("# schedule (not applied by readers of this format):\n");
    for cut in cuts {
        let values: Vec<String> =
            cut.values.iter().map(|&(s, v)| format!("{} = {}", names[s], number(v))).collect();
        let _ = writeln!(out, "# at {}: {}", number(cut.time), values.join(", "));
    }
    out
}

/// Species names as the format's identifiers: other characters become `_`,
/// and a name that is taken gets a numeric suffix.
fn plain_names(crn: &Crn) -> Vec<String> {
    let plain = |name: &str| -> String {
        let mut p: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
        let trimmed = p.trim_end_matches('_').len();
        p.truncate(trimmed.max(1));
        if p.starts_with(|c: char| c.is_ascii_digit()) {
            p.insert(0, '_');
        }
        p
    };
    let mut taken: std::collections::HashSet<String> =
        crn.species.iter().filter(|s| plain(&s.name) == s.name).map(|s| s.name.clone()).collect();
    crn.species
        .iter()
        .map(|s| {
            let base = plain(&s.name);
            if base == s.name {
                return base;
            }
            let name = (1..)
                .map(|i| if i == 1 { base.clone() } else { format!("{base}_{i}") })
                .find(|n| !taken.contains(n))
                .expect("some suffix is free");
            taken.insert(name.clone());
            name
        })
        .collect()
}

/// One reaction as a line of the format; a forward half carries its reverse.
fn line(crn: &Crn, names: &[String], r: &Reaction) -> String {
    let mut out = String::new();
    complex(&mut out, names, &r.reactants);
    let reverse = match r.partner {
        Some(Partner::Reverse(j)) => Some(&crn.reactions[j]),
        _ => None,
    };
    out.push_str(if reverse.is_some() { " <=> " } else { " -> " });
    complex(&mut out, names, &r.products);
    let plain = |r: &Reaction| number(plain_rate(crn, r));
    let _ = match reverse {
        Some(rev) => write!(out, " [kf = {}, kr = {}]", plain(r), plain(rev)),
        None => write!(out, " [k = {}]", plain(r)),
    };
    let converted = |r: &Reaction| crn.divisor(&r.reactants) != 1.0;
    if converted(r) || reverse.is_some_and(converted) {
        // No `:` in the note: crnc's reader takes `# key: value` comments as headers.
        let _ = match reverse {
            Some(rev) => write!(out, " # combinatoric kf = {}, kr = {}", number(r.rate), number(rev.rate)),
            None => write!(out, " # combinatoric k = {}", number(r.rate)),
        };
    }
    out
}

/// The rate in the format's plain mass-action convention (divided by ∏α!
/// for a combinatoric network).
fn plain_rate(crn: &Crn, r: &Reaction) -> f64 {
    r.rate / crn.divisor(&r.reactants)
}

/// A complex as text, `0` when empty.
pub fn complex_text(crn: &Crn, c: &[(SpeciesId, u32)]) -> String {
    if c.is_empty() {
        return "0".to_string();
    }
    let names: Vec<String> = crn.species.iter().map(|s| s.name.clone()).collect();
    let mut out = String::new();
    complex(&mut out, &names, c);
    out
}

fn complex(out: &mut String, names: &[String], c: &[(SpeciesId, u32)]) {
    for (i, &(s, n)) in c.iter().enumerate() {
        if i > 0 {
            out.push_str(" + ");
        }
        if n != 1 {
            let _ = write!(out, "{n} ");
        }
        out.push_str(&names[s.index()]);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::driver;
    use crate::source::MemoryFs;

    /// 1000 A under the combinatoric convention: 1/1000! is 0 in floating
    /// point, so the line would say `k = 0` and read back as no reaction.
    #[test]
    fn a_plain_rate_below_the_float_range_is_refused_not_written_as_zero() {
        let src = "network T { rate_law = combinatoric; species A = 1, B; 1000 A -> B @ 1; 100 B -> A @ 1; }";
        let front = driver::front_end(&MemoryFs::new().with("t.crnl", src), Path::new("t.crnl"));
        let mut crn = driver::lower(&front.program.networks[0], &front.db, None).expect("lowers").crn;
        let d = super::unsupported(&crn).expect("refused");
        assert_eq!(d.code, "E0603");
        assert!(
            d.message.contains("`1000 A -> B`: its plain mass-action rate is below the float range"),
            "{d:?}"
        );
        // 1/100! ≈ 1.07e-158 is an ordinary float: written, and read back by multiplying by 100!.
        crn.reactions.remove(0);
        assert!(super::unsupported(&crn).is_none());
        assert!(super::write(&crn).contains("100 B -> A [k = 1.0715102881254675e-158]"));
    }

    #[test]
    fn a_schedule_is_listed_in_comments_the_reader_skips() {
        let src = "network T { species `x[0]` = 1, Y; `x[0]` -> Y @ 1; at 2: `x[0]` = 3, Y = 0.5; }";
        let front = driver::front_end(&MemoryFs::new().with("t.crnl", src), Path::new("t.crnl"));
        let lowered = driver::lower(&front.program.networks[0], &front.db, None).expect("lowers");
        let cuts = crate::sim::schedule::cuts(&lowered.protocol, f64::INFINITY);
        let text = super::write_scheduled(&lowered.crn, &cuts);
        assert!(
            text.ends_with("# schedule (not applied by readers of this format):\n# at 2: x_0 = 3, Y = 0.5\n"),
            "{text}"
        );
        assert_eq!(super::write_scheduled(&lowered.crn, &[]), super::write(&lowered.crn));
        let (read, diagnostics) = crate::import::crn_text::read(crate::source::FileId(0), &text, "T");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(read.expect("reads").schedule.is_empty());
    }
}
