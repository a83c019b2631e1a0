//! An SBML model as crnl: each kinetic law is expanded into monomials, and
//! each monomial becomes one mass-action reaction whose reactants are its
//! factors (see the module documentation of [`super`] for the derivation),
//! unless those reactions would be another jump process than the law: then
//! the reaction is written once with its law (`@ law(...)`).

use std::collections::HashSet;
use std::fmt::Write as _;

use super::document::{Initial, Model, ReactionDef, SpeciesDef};
use super::mathml::{Converter, Symbol, Unresolved, infix};
use crate::backend::number;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::import::identifier;
use crate::ir::crnl_name;
use crate::polynomial::{Coefficient, Monomial};
use crate::source::{FileId, Span};

/// One crnl reaction: reactants, products and its rate constant.
struct Elementary {
    reactants: Monomial,
    products: Monomial,
    rate: Coefficient,
    /// Whether the term runs the reaction in its written direction.
    forward: bool,
}

/// How one SBML reaction is written: as mass-action reactions, or as one
/// reaction with its law (`@ law(...)`) where mass action would be a
/// different jump process.
enum Written {
    MassAction(Vec<Reversible>),
    Law { reactants: Monomial, products: Monomial, terms: Vec<(Monomial, f64)> },
}

pub fn translate(file: FileId, model: &Model, fallback_name: &str) -> (Option<String>, Vec<Diagnostic>) {
    let mut t = Translator::new(file, model);
    let mut reactions = Vec::new();
    for r in &model.reactions {
        if let Some(written) = t.reaction(r) {
            reactions.push((r, written));
        }
    }
    if t.diags.iter().any(Diagnostic::is_error) {
        return (None, t.diags);
    }
    let crnl = t.write(fallback_name, &reactions);
    (Some(crnl), t.diags)
}

struct Translator<'m, 'a, 'i> {
    file: FileId,
    model: &'m Model<'a, 'i>,
    /// crnl names of the species and global parameters, unique and not keywords.
    species_names: Vec<String>,
    parameter_names: Vec<String>,
    /// The crnl compartment of each species (`species in c`) and its size;
    /// `None` for the reaction compartment. Only models whose compartments
    /// differ in size place species in compartments.
    placed: Vec<Option<(String, f64)>>,
    /// The reaction volume: the size shared by every compartment that holds
    /// a species, or 1 when they differ (then the flux is the law in amount
    /// per time, and each species lives in its own compartment).
    volume: f64,
    /// Symbol value per unit of crnc's concentration x_k (in the species'
    /// own compartment): s_k = factor_k * x_k.
    factors: Vec<f64>,
    used_parameters: HashSet<usize>,
    diags: Vec<Diagnostic>,
}

impl<'m, 'a, 'i> Translator<'m, 'a, 'i> {
    fn new(file: FileId, model: &'m Model<'a, 'i>) -> Self {
        let mut taken = HashSet::new();
        let unique = |taken: &mut HashSet<String>, id: &str| {
            let base = identifier(id);
            let mut name = base.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            name
        };
        // A species keeps its SBML `name` where that is a crnl name (`w[0]`,
        // `dot1.h`: crnc's own exports write them as ids `w_0_`, `dot1_h`) that
        // no other id spells; otherwise its id stands in.
        let ids: HashSet<String> = model
            .species
            .iter()
            .map(|s| s.id)
            .chain(model.parameters.iter().map(|p| p.id))
            .map(identifier)
            .collect();
        let own_name = |s: &SpeciesDef<'a>| {
            s.name.filter(|n| is_crnl_name(n) && (*n == identifier(s.id) || !ids.contains(*n)))
        };
        let species_names = model
            .species
            .iter()
            .map(|s| match own_name(s) {
                Some(name) if taken.insert(name.to_string()) => name.to_string(),
                _ => unique(&mut taken, s.id),
            })
            .collect();
        let parameter_names = model.parameters.iter().map(|p| unique(&mut taken, p.id)).collect();
        let compartment_names: Vec<String> =
            model.compartments.iter().map(|c| unique(&mut taken, c.id)).collect();
        // A compartment without a size holds only amount species (the reader
        // refuses the others), whose laws never see a size: it sets no volume.
        let size = |c: usize| model.compartments[c].size.unwrap_or(1.0);
        // Amount species count too, so that every species' concentration is x·V/V_c with V_c = V.
        let mut sizes = model
            .species
            .iter()
            .filter(|s| model.compartments[s.compartment].dimensions != 0.0)
            .filter_map(|s| model.compartments[s.compartment].size);
        let first = sizes.next();
        let uniform = sizes.all(|v| Some(v) == first);
        let volume = if uniform { first.unwrap_or(1.0) } else { 1.0 };
        // Sizes differ: each species with a size goes into its compartment, so
        // its concentration is over its own size (a sizeless compartment holds
        // amounts only, which stay in the reaction compartment of size 1).
        let placed: Vec<Option<(String, f64)>> = model
            .species
            .iter()
            .map(|s| {
                let c = &model.compartments[s.compartment];
                c.size.filter(|_| !uniform).map(|size| (compartment_names[s.compartment].clone(), size))
            })
            .collect();
        let factors = model
            .species
            .iter()
            .zip(&placed)
            .map(|(s, placed)| {
                let own = placed.as_ref().map_or(volume, |&(_, size)| size);
                if s.only_substance { own } else { own / size(s.compartment) }
            })
            .collect();
        Translator {
            file,
            model,
            species_names,
            parameter_names,
            placed,
            volume,
            factors,
            used_parameters: HashSet::new(),
            diags: Vec::new(),
        }
    }

    fn resolve(&self, r: &ReactionDef, name: &str) -> Result<Symbol, Unresolved> {
        let m = self.model;
        if let Some(&value) = r.local_parameters.get(name) {
            return Ok(Symbol::Number(value));
        }
        if let Some(s) = m.species.iter().position(|s| s.id == name) {
            return Ok(Symbol::Species(s));
        }
        if let Some(p) = m.parameters.iter().position(|p| p.id == name) {
            return Ok(Symbol::Parameter(p, m.parameters[p].value));
        }
        if let Some(c) = m.compartments.iter().find(|c| c.id == name) {
            return c
                .size
                .map(Symbol::Number)
                .ok_or_else(|| ("E0804", format!("compartment `{name}` has no size")));
        }
        if m.reactions.iter().any(|r| r.id == name) {
            return Err((
                "E0802",
                format!("the law uses the rate of reaction `{name}`, so it is not mass action"),
            ));
        }
        let known = m.species.iter().map(|s| s.id).chain(m.parameters.iter().map(|p| p.id));
        let known =
            known.chain(r.local_parameters.keys().copied()).chain(m.compartments.iter().map(|c| c.id));
        let hint = did_you_mean(name, known).map(|h| format!("; {h}")).unwrap_or_default();
        Err(("E0804", format!("`{name}` is not a species, parameter or compartment of this model{hint}")))
    }

    /// The reactions of one SBML reaction, or `None` after reporting why not.
    fn reaction(&mut self, r: &ReactionDef) -> Option<Written> {
        let math = r.math?;
        let resolve = |name: &str| self.resolve(r, name);
        let law = match (Converter { resolve: &resolve }).math(math) {
            Ok(law) => law,
            Err(e) => {
                let (headline, hint) = match e.code {
                    "E0804" => (
                        "refers to a name the model does not define",
                        "define it as a parameter of the model, or correct the name",
                    ),
                    "E0801" => (
                        "uses MathML that crnc does not read",
                        "rewrite the law with + - * / and whole powers",
                    ),
                    _ => (
                        "is not a polynomial in the species",
                        "crnc simulates mass action: write the law as a sum of rate constants times species, \
                         e.g. `c * k * A * B`, or expand the mechanism (Michaelis-Menten into binding, \
                         unbinding and catalysis)",
                    ),
                };
                let d =
                    Diagnostic::error(e.code, format!("the kinetic law of reaction `{}` {headline}", r.id))
                        .with_primary(Span::new(self.file, e.range.start, e.range.end), e.message)
                        .with_secondary(r.span, "in this reaction")
                        .with_note(format!("the law is `{}`", infix(math)))
                        .with_hint(hint);
                self.diags.push(d);
                return None;
            }
        };
        let net = self.net_change(r);
        let mut out = Vec::new();
        let mut as_law = false;
        let mut used = Vec::new();
        // Terms the law adds come first, so a reversible reaction reads in the direction written.
        let mut terms: Vec<_> = law.terms.iter().collect();
        terms.sort_by_key(|(_, c)| c.value < 0.0);
        let scale = |monomial: &Monomial| {
            monomial.iter().map(|&(s, e)| self.factors[s].powi(e as i32)).product::<f64>() / self.volume
        };
        for &(monomial, coefficient) in &terms {
            let forward = coefficient.value > 0.0;
            let scale = scale(monomial);
            let rate = coefficient.times(&Coefficient::number(if forward { scale } else { -scale }));
            let sign = if forward { 1 } else { -1 };
            let Some(products) = products(monomial, &net, sign) else {
                // A term that consumes more of a species than its power: not mass action.
                as_law = true;
                break;
            };
            if let Some((_, ps)) = &rate.product {
                used.extend(ps.iter().map(|&(p, _)| p));
            }
            out.push(Elementary { reactants: monomial.clone(), products, rate, forward });
        }
        // Terms of both signs are mass action only as mirror pairs (`kf*A - kr*B`
        // is `A <-> B`); any other mix is one channel whose law may fall and
        // rise again, which opposing reactions would simulate as another process.
        let mirrored = |a: &Elementary| {
            out.iter()
                .any(|b| b.forward != a.forward && b.reactants == a.products && b.products == a.reactants)
        };
        let mixed =
            out.iter().any(|e| !e.forward) && out.iter().any(|e| e.forward) && !out.iter().all(mirrored);
        if as_law || mixed {
            let (mut reactants, mut products): (Monomial, Monomial) = (Vec::new(), Vec::new());
            for &(s, d) in &net {
                if d < 0 {
                    reactants.push((s, (-d) as u32));
                } else if d > 0 {
                    products.push((s, d as u32));
                }
            }
            let terms = terms.iter().map(|&(m, c)| (m.clone(), c.value * scale(m))).collect();
            return Some(Written::Law { reactants, products, terms });
        }
        self.used_parameters.extend(used);
        Some(Written::MassAction(pair_reversible(out)))
    }

    /// Products minus reactants, over the species reactions may change.
    fn net_change(&self, r: &ReactionDef) -> Vec<(usize, i64)> {
        let mut net: Vec<(usize, i64)> = Vec::new();
        let sides = r.reactants.iter().map(|&(s, n)| (s, -i64::from(n)));
        for (s, d) in sides.chain(r.products.iter().map(|&(s, n)| (s, i64::from(n)))) {
            if self.model.species[s].fixed {
                continue;
            }
            match net.iter_mut().find(|(t, _)| *t == s) {
                Some((_, n)) => *n += d,
                None => net.push((s, d)),
            }
        }
        net
    }

    /// A rate constant as crnl: the parameters it is a product of, by name.
    fn rate_text(&self, rate: &Coefficient) -> String {
        let Some((n, params)) = rate.product.as_ref().filter(|(_, ps)| !ps.is_empty()) else {
            return number(rate.value);
        };
        let power = |p: usize, e: i32| {
            let name = &self.parameter_names[p];
            if e.abs() == 1 { name.clone() } else { format!("{name}^{}", e.abs()) }
        };
        let numerator: Vec<String> =
            params.iter().filter(|&&(_, e)| e > 0).map(|&(p, e)| power(p, e)).collect();
        let denominator: Vec<String> =
            params.iter().filter(|&&(_, e)| e < 0).map(|&(p, e)| power(p, e)).collect();
        // Within rounding of 1, the factor is the 1 it was meant to be.
        let unit = (n - 1.0).abs() <= 4.0 * f64::EPSILON;
        let mut text = match (unit, numerator.is_empty()) {
            (true, false) => numerator.join(" * "),
            (true, true) => "1".to_string(),
            (false, true) => number(*n),
            (false, false) => format!("{} * {}", number(*n), numerator.join(" * ")),
        };
        for d in denominator {
            text = format!("{text} / {d}");
        }
        text
    }

    fn complex_text(&self, complex: &Monomial) -> String {
        if complex.is_empty() {
            return "0".into();
        }
        let term = |&(s, n): &(usize, u32)| {
            let name = crnl_name(&self.species_names[s]);
            if n == 1 { name.into_owned() } else { format!("{n} {name}") }
        };
        complex.iter().map(term).collect::<Vec<_>>().join(" + ")
    }

    fn write(&self, fallback_name: &str, reactions: &[(&ReactionDef, Written)]) -> String {
        let m = self.model;
        let mut o = String::new();
        let what = m.id.map(|id| format!(" model `{id}`")).unwrap_or_default();
        let _ = writeln!(o, "// Translated by crnc from SBML Level {} Version {}{what}.", m.level, m.version);
        let _ = writeln!(
            o,
            "// Each monomial of a kinetic law is one mass-action reaction whose reactants are its"
        );
        let _ = writeln!(o, "// factors; rates are per unit of concentration in the network's volume.");
        let mut compartments: Vec<(&str, f64)> = Vec::new();
        for (name, size) in self.placed.iter().flatten() {
            if !compartments.iter().any(|(n, _)| n == name) {
                compartments.push((name, *size));
            }
        }
        if !compartments.is_empty() {
            let _ = writeln!(
                o,
                "// Compartments differ in size: the reactions take place in volume 1 (the law is in amount"
            );
            let _ = writeln!(o, "// per time), each species lives in its own compartment.");
        }
        let _ = writeln!(o, "network {} {{", identifier(m.id.unwrap_or(fallback_name)));
        let _ = writeln!(o, "  volume = {};", number(self.volume));
        for (name, size) in compartments {
            let _ = writeln!(o, "  compartment {name} = {};", number(size));
        }
        for (p, def) in m.parameters.iter().enumerate().filter(|(p, _)| self.used_parameters.contains(p)) {
            let _ = writeln!(o, "  param {} = {};", self.parameter_names[p], number(def.value));
        }
        for (s, def) in m.species.iter().enumerate() {
            self.write_species(&mut o, s, def);
        }
        for (r, written) in reactions {
            match written {
                Written::MassAction(elementary) => self.write_reaction(&mut o, r, elementary),
                Written::Law { reactants, products, terms } => {
                    self.write_law_reaction(&mut o, r, reactants, products, terms)
                }
            }
        }
        o.push_str("}\n");
        o
    }

    fn write_species(&self, o: &mut String, s: usize, def: &super::document::SpeciesDef) {
        let size = self.model.compartments[def.compartment].size.unwrap_or(1.0);
        let amount = match def.initial {
            Initial::Amount(a) => a,
            Initial::Concentration(c) => c * size,
        };
        let (keyword, initial) =
            if def.only_substance { ("species amount", amount) } else { ("species", amount / size) };
        let keyword = match &self.placed[s] {
            Some((compartment, _)) => format!("{keyword} in {compartment}"),
            None => keyword.to_string(),
        };
        // A placed species says its compartment in the declaration already.
        let mut notes = match self.placed[s] {
            Some(_) => Vec::new(),
            None => vec![format!("in `{}`", self.model.compartments[def.compartment].id)],
        };
        if def.fixed {
            notes.push("boundary or constant: reactions do not change it".into());
        }
        if let Some(name) = def.name.filter(|n| *n != def.id && *n != self.species_names[s]) {
            notes.push(format!("name: {name}"));
        }
        let comment = if notes.is_empty() { String::new() } else { format!(" // {}", notes.join("; ")) };
        let _ =
            writeln!(o, "  {keyword} {} = {};{comment}", crnl_name(&self.species_names[s]), number(initial));
    }

    /// One reaction with its law: mass action would be another jump process
    /// (a term that consumes what it does not depend on, more than its
    /// factors, or terms of both signs that are not mirror pairs).
    fn write_law_reaction(
        &self,
        o: &mut String,
        r: &ReactionDef,
        reactants: &Monomial,
        products: &Monomial,
        terms: &[(Monomial, f64)],
    ) {
        let named: Vec<(f64, Vec<(&str, u32)>)> = terms
            .iter()
            .map(|(m, c)| (*c, m.iter().map(|&(s, e)| (self.species_names[s].as_str(), e)).collect()))
            .collect();
        let name = r.name.filter(|n| *n != r.id).map(|n| format!(" // {n}")).unwrap_or_default();
        let _ = writeln!(
            o,
            "  {}: {} -> {} @ law({});{name}",
            identifier(r.id),
            self.complex_text(reactants),
            self.complex_text(products),
            crate::ir::LawText(&named)
        );
    }

    fn write_reaction(&self, o: &mut String, r: &ReactionDef, elementary: &[Reversible]) {
        let label = identifier(r.id);
        if elementary.is_empty() {
            let _ = writeln!(o, "  // {label}: its kinetic law is zero");
        }
        for (i, e) in elementary.iter().enumerate() {
            let label = if elementary.len() == 1 { label.clone() } else { format!("{label}_{}", i + 1) };
            let lhs = self.complex_text(&e.forward.reactants);
            let rhs = self.complex_text(&e.forward.products);
            let rates = match &e.reverse {
                Some(back) => {
                    format!("<-> {rhs} @ {}, {}", self.rate_text(&e.forward.rate), self.rate_text(&back.rate))
                }
                None => format!("-> {rhs} @ {}", self.rate_text(&e.forward.rate)),
            };
            let name =
                r.name.filter(|n| *n != r.id && i == 0).map(|n| format!(" // {n}")).unwrap_or_default();
            let _ = writeln!(o, "  {label}: {lhs} {rates};{name}");
        }
    }
}

/// Whether `name` is a species name crnl writes: identifiers joined by dots,
/// each with any number of `[index]` suffixes (`x`, `w[0]`, `dot1.h`, `m[1][2].y`).
pub(super) fn is_crnl_name(name: &str) -> bool {
    name.split('.').all(|segment| {
        let (head, indices) = segment.split_at(segment.find('[').unwrap_or(segment.len()));
        let mut rest = indices;
        while let Some(tail) = rest.strip_prefix('[') {
            let Some((index, after)) = tail.split_once(']') else { return false };
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            rest = after;
        }
        rest.is_empty() && !head.is_empty() && identifier(head) == head
    })
}

/// The products of the mass-action reaction that carries one term of the
/// law: the monomial plus `sign` times the net change, or `None` when the term
/// consumes more of a species than its power in the term (`k` consuming `A`,
/// `k*S` consuming 2 S): mass action cannot write that as one reaction.
fn products(monomial: &Monomial, net: &[(usize, i64)], sign: i64) -> Option<Monomial> {
    let mut counts: Vec<(usize, i64)> = monomial.iter().map(|&(s, e)| (s, i64::from(e))).collect();
    for &(s, d) in net {
        match counts.iter_mut().find(|(t, _)| *t == s) {
            Some((_, n)) => *n += sign * d,
            None => counts.push((s, sign * d)),
        }
    }
    if counts.iter().any(|&(_, n)| n < 0) {
        return None;
    }
    counts.sort_unstable();
    Some(counts.into_iter().filter(|&(_, n)| n > 0).map(|(s, n)| (s, n as u32)).collect())
}

struct Reversible {
    forward: Elementary,
    reverse: Option<Elementary>,
}

/// Pairs each reaction with its mirror image, so that `kf*A - kr*B` reads as `A <-> B`.
fn pair_reversible(mut reactions: Vec<Elementary>) -> Vec<Reversible> {
    let mut out = Vec::new();
    while !reactions.is_empty() {
        let forward = reactions.remove(0);
        let mirror =
            reactions.iter().position(|r| r.reactants == forward.products && r.products == forward.reactants);
        let reverse = mirror.map(|i| reactions.remove(i));
        out.push(Reversible { forward, reverse });
    }
    out
}
