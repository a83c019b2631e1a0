//! SBML Level 3 Version 2 core export.
//!
//! The document is meant to pass libSBML's consistency checks with unit
//! checking on, so every quantity carries units: species in mole (or mole per
//! litre), rate constants in `(mole/litre)^(1-m)/second` for order m, and every
//! MathML number an explicit `sbml:units`. SBML has no implicit rate-law
//! convention, so the combinatoric `1/α!` factors are written out in each
//! kinetic law and the convention is recorded in the model notes.
//!
//! Kinetic laws are in extent per time (mole/second), i.e. the crnc flux
//! (concentration per time) times the compartment volume. A reversible pair
//! becomes one reversible reaction, because that is how tools show it.
//!
//! A rate constant is a global parameter when crnc knows it by name, else a
//! local parameter of its kinetic law. A parameter used at two reaction orders
//! would need two units, so the reactions of the later orders get local copies;
//! parameters no reaction uses are left out, as they would have no units.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::hash::HashSet;
use std::io::{self, Write};
use std::ops::{Deref, DerefMut};

use quick_xml::escape::escape;
use rayon::prelude::*;

use crate::crn::{Crn, Partner, Reaction, factorial};
use crate::ir::{Quantity, RateLaw};

pub mod schedule;
pub mod training_run;

const SBML_NS: &str = "http://www.sbml.org/sbml/level3/version2/core";
const MATHML_NS: &str = "http://www.w3.org/1998/Math/MathML";
const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// One SBML reaction: a reversible pair of the CRN becomes one reversible SBML reaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SbmlReaction {
    pub id: String,
    /// Index of the (forward) CRN reaction.
    pub forward: usize,
    /// Index of the reverse half when this is a merged reversible pair.
    pub reverse: Option<usize>,
}

/// The SBML ids of a CRN's elements, indexed like the CRN (`species[i]` is the
/// id of `crn.species[i]`, `parameters[p]` of `crn.parameters[p]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SbmlIds {
    /// The reaction compartment, of size `crn.volume`.
    pub compartment: String,
    /// Indexed like `crn.compartments`.
    pub compartments: Vec<String>,
    pub species: Vec<String>,
    pub parameters: Vec<String>,
    /// In CRN order of the forward halves.
    pub reactions: Vec<SbmlReaction>,
}

/// Assigns SBML ids deterministically. User names are kept where they are
/// valid SIds, because other tools show ids rather than names.
pub fn ids(crn: &Crn) -> SbmlIds {
    let mut ns = Namespace::default();
    let names: Vec<&str> = crn
        .species
        .iter()
        .map(|s| s.name.as_str())
        .chain(crn.parameters.iter().map(|p| p.name.as_str()))
        .collect();
    let mut species = ns.assign(&names);
    let parameters = species.split_off(crn.species.len());
    // The user's compartments claim their names before the reaction compartment's `c`.
    let compartment_names: Vec<&str> = crn.compartments.iter().map(|c| c.name.as_str()).collect();
    let compartments = ns.assign(&compartment_names);
    let compartment = ns.fresh("c");
    let halves = sbml_reactions(crn);
    let wanted: Vec<Option<&str>> = halves.iter().map(|&(f, _)| crn.reactions[f].label.as_deref()).collect();
    let mut claimed: Vec<Option<String>> = wanted.iter().map(|l| l.and_then(|l| ns.claim(l))).collect();
    for (k, slot) in claimed.iter_mut().enumerate() {
        if slot.is_none() {
            *slot = Some(match wanted[k] {
                Some(label) => ns.fresh(label),
                None => ns.unique(format!("R{}", k + 1)),
            });
        }
    }
    let reactions = halves
        .into_iter()
        .zip(claimed)
        .map(|((forward, reverse), id)| SbmlReaction { id: id.expect("every slot filled"), forward, reverse })
        .collect();
    SbmlIds { compartment, compartments, species, parameters, reactions }
}

impl SbmlIds {
    /// The id of the compartment species `s` lives in.
    pub fn compartment_of(&self, crn: &Crn, s: crate::crn::SpeciesId) -> &str {
        match &crn.species(s).compartment {
            None => &self.compartment,
            Some(name) => {
                let c = crn
                    .compartments
                    .iter()
                    .position(|c| c.name == *name)
                    .expect("validated: compartments exist");
                &self.compartments[c]
            }
        }
    }
}

/// The whole SBML document.
pub fn write(crn: &Crn) -> String {
    text_of(|out| write_to(crn, out))
}

/// [`write`] to `out`, a piece at a time: the document is never whole in
/// memory (a 100,000-reaction model makes 80 MB of SBML).
pub fn write_to(crn: &Crn, out: &mut dyn Write) -> io::Result<()> {
    document(crn, &ids(crn), &Additions::default(), out)
}

/// What `write` puts in memory, as text.
fn text_of(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
    let mut bytes = Vec::new();
    write(&mut bytes).expect("writing to memory does not fail");
    String::from_utf8(bytes).expect("the document is UTF-8")
}

/// The size of the pieces a document goes out in: large enough that each
/// write is cheap, small enough to stay in cache.
const PIECE: usize = 1 << 16;

/// Reactions written out by one task (some 25 kB of text, under a piece),
/// and tasks per window (see [`document`]).
const REACTION_BLOCK: usize = 32;
const REACTION_BLOCKS_PER_WINDOW: usize = 64;

/// Room reserved per reaction of a block: a mass-action reaction's SBML is
/// about 800 bytes, so a block's text is one allocation, not a dozen
/// doublings that each copy it.
const REACTION_BYTES: usize = 1024;

/// A document on its way out: its text gathers here and goes to `out` a
/// piece at a time. It derefs to the text, so the element writers take a
/// `&mut String` and know nothing of the output.
struct Pieces<'w> {
    text: String,
    out: &'w mut dyn Write,
}

impl<'w> Pieces<'w> {
    fn new(out: &'w mut dyn Write) -> Pieces<'w> {
        Pieces { text: String::with_capacity(PIECE + PIECE / 4), out }
    }

    /// Sends the text gathered so far once it fills a piece; called between
    /// elements.
    fn spill(&mut self) -> io::Result<()> {
        if self.text.len() >= PIECE {
            self.out.write_all(self.text.as_bytes())?;
            self.text.clear();
        }
        Ok(())
    }

    /// Appends `text` made elsewhere, first sending what is gathered if
    /// `text` would not fit beside it, so that the buffer never grows.
    fn push_piece(&mut self, text: &str) -> io::Result<()> {
        if self.text.len() + text.len() > self.text.capacity() {
            self.out.write_all(self.text.as_bytes())?;
            self.text.clear();
        }
        if text.len() > self.text.capacity() {
            return self.out.write_all(text.as_bytes());
        }
        self.text.push_str(text);
        self.spill()
    }

    fn finish(self) -> io::Result<()> {
        self.out.write_all(self.text.as_bytes())
    }
}

impl Deref for Pieces<'_> {
    type Target = String;

    fn deref(&self) -> &String {
        &self.text
    }
}

impl DerefMut for Pieces<'_> {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.text
    }
}

/// What a document adds to the plain export of a CRN: the training run's
/// gates, parameters and events (`training_run`).
#[derive(Default)]
struct Additions {
    /// The ids the additions use, which no id of the document may take.
    reserved: Vec<String>,
    /// Paragraphs after the model's notes.
    notes: Vec<String>,
    /// Unit definitions beside the rate constants'.
    units: Vec<UnitDefinition>,
    /// Per CRN group, the parameter every kinetic law of the group is
    /// multiplied by; empty: no gates.
    gates: Vec<String>,
    /// `<parameter/>` elements, after the rate constants.
    parameters: Vec<String>,
    /// The `<listOfEvents>` element with its indentation, or nothing.
    events: String,
}

/// The document of `crn` with `ids` (from [`ids`]) and `add`, written to `out`.
fn document(crn: &Crn, ids: &SbmlIds, add: &Additions, out: &mut dyn Write) -> io::Result<()> {
    let mut ns = Namespace::around(ids);
    ns.taken.extend(add.reserved.iter().map(|id| Cow::Borrowed(id.as_str())));
    let model_id = ns.fresh(&crn.name);
    let plan = RatePlan::new(crn, ids);
    let unit_ids: BTreeMap<u32, String> =
        plan.orders.iter().map(|&m| (m, ns.fresh(&rate_unit_name(m)))).collect();
    // Local parameter ids are reserved globally too: a local that shadows a
    // global id is legal SBML but libSBML warns about it.
    let local = LocalIds {
        k: plan.needs_local_single.then(|| ns.fresh("k")),
        kf: plan.needs_local_forward.then(|| ns.fresh("kf")),
        kr: plan.needs_local_reverse.then(|| ns.fresh("kr")),
    };

    let mut pieces = Pieces::new(out);
    let o = &mut pieces;
    line(o, 0, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    line_args(o, 0, format_args!(r#"<sbml xmlns="{SBML_NS}" level="3" version="2">"#));
    line_args(
        o,
        1,
        format_args!(
            r#"<model id="{}" name="{}" substanceUnits="mole" timeUnits="second" volumeUnits="litre" extentUnits="mole">"#,
            model_id,
            text(&crn.name)
        ),
    );
    write_notes(o, crn, &add.notes);
    let rate_constants = unit_ids.iter().map(|(&m, id)| UnitDefinition {
        id: id.clone(),
        name: format!("rate constant of order {m}"),
        units: rate_units(m),
    });
    write_unit_definitions(o, &rate_constants.chain(add.units.iter().cloned()).collect::<Vec<_>>());
    line(o, 2, "<listOfCompartments>");
    let sizes = std::iter::once((&ids.compartment, None, crn.volume))
        .chain(ids.compartments.iter().zip(&crn.compartments).map(|(id, c)| (id, Some(&c.name), c.size)));
    for (id, name, size) in sizes {
        let name = name.map(|n| format!(r#" name="{}""#, text(n))).unwrap_or_default();
        line_args(
            o,
            3,
            format_args!(
                r#"<compartment id="{id}"{name} spatialDimensions="3" size="{}" units="litre" constant="true"/>"#,
                number(size)
            ),
        );
    }
    line(o, 2, "</listOfCompartments>");
    write_species(o, crn, ids)?;
    write_parameters(o, crn, ids, &plan, &unit_ids, &add.parameters);
    if !ids.reactions.is_empty() {
        line(o, 2, "<listOfReactions>");
        let rates = Rates { plan: &plan, units: &unit_ids, local: &local };
        // Reactions are most of a large document: blocks of them are written
        // out in parallel, a window of blocks at a time so that only a window's
        // text is held at once.
        for window in ids.reactions.chunks(REACTION_BLOCK * REACTION_BLOCKS_PER_WINDOW) {
            let blocks: Vec<String> = window
                .par_chunks(REACTION_BLOCK)
                .map(|block| {
                    let mut text = String::with_capacity(block.len() * REACTION_BYTES);
                    for r in block {
                        let gate = add.gates.get(crn.reactions[r.forward].group.index()).map(String::as_str);
                        write_reaction(&mut text, crn, ids, r, &rates, gate);
                    }
                    text
                })
                .collect();
            for block in &blocks {
                o.push_piece(block)?;
            }
        }
        line(o, 2, "</listOfReactions>");
    }
    o.push_str(&add.events);
    line(o, 1, "</model>");
    line(o, 0, "</sbml>");
    pieces.finish()
}

/// (forward, reverse) CRN indices of each SBML reaction, in CRN order. Only
/// mutual partner links are merged, so a broken link cannot drop a reaction.
fn sbml_reactions(crn: &Crn) -> Vec<(usize, Option<usize>)> {
    let rs = &crn.reactions;
    let mutual = |i: usize, j: usize| {
        rs.get(i).is_some_and(|r| r.partner == Some(Partner::Reverse(j)))
            && rs.get(j).is_some_and(|r| r.partner == Some(Partner::Forward(i)))
    };
    rs.iter()
        .enumerate()
        .filter_map(|(i, r)| match r.partner {
            Some(Partner::Reverse(j)) if mutual(i, j) => Some((i, Some(j))),
            Some(Partner::Forward(j)) if mutual(j, i) => None,
            _ => Some((i, None)),
        })
        .collect()
}

/// The set of SIds in use, shared by every kind of element. An id that is a
/// name the CRN or the ids already hold is borrowed, not copied: a large
/// model has an id per species and reaction.
#[derive(Default)]
struct Namespace<'a> {
    taken: HashSet<Cow<'a, str>>,
}

impl<'a> Namespace<'a> {
    /// The ids of a CRN's elements, taken.
    fn around(ids: &'a SbmlIds) -> Namespace<'a> {
        let mut ns = Namespace::default();
        let elements = ids.species.iter().chain(&ids.parameters).chain(&ids.compartments);
        ns.taken.extend(elements.map(|id| Cow::Borrowed(id.as_str())));
        ns.taken.insert(Cow::Borrowed(&ids.compartment));
        ns.taken.extend(ids.reactions.iter().map(|r| Cow::Borrowed(r.id.as_str())));
        ns
    }

    /// `name` itself, if it is a valid SId nobody has taken.
    fn claim(&mut self, name: &'a str) -> Option<String> {
        (is_sid(name) && self.taken.insert(Cow::Borrowed(name))).then(|| name.to_string())
    }

    /// A new id derived from `name`.
    fn fresh(&mut self, name: &str) -> String {
        self.unique(if is_sid(name) { name.to_string() } else { sanitize(name) })
    }

    /// `base`, a valid SId, or the first `base_1`, `base_2`, ... nobody has
    /// taken. One lookup in the common case: a large model has an id per reaction.
    fn unique(&mut self, base: String) -> String {
        if self.taken.insert(Cow::Owned(base.clone())) {
            return base;
        }
        let id = (1..)
            .map(|n| format!("{base}_{n}"))
            .find(|id| !self.taken.contains(id.as_str()))
            .expect("the suffixes are unbounded");
        self.taken.insert(Cow::Owned(id.clone()));
        id
    }

    /// Ids for `names` in order; valid names are claimed before any sanitised
    /// name is derived, so `a.b` cannot take the id of a later `a_b`.
    fn assign(&mut self, names: &[&'a str]) -> Vec<String> {
        let mut ids: Vec<Option<String>> = names.iter().map(|n| self.claim(n)).collect();
        for (slot, name) in ids.iter_mut().zip(names) {
            if slot.is_none() {
                *slot = Some(self.fresh(name));
            }
        }
        ids.into_iter().map(|id| id.expect("every slot filled")).collect()
    }
}

fn is_sid(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn sanitize(name: &str) -> String {
    let mut id: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        id.insert(0, '_');
    }
    id
}

/// How each reaction half gets its rate constant.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RateSource {
    /// The global parameter at this index of `crn.parameters`.
    Global(usize),
    Local,
}

struct RatePlan {
    /// Per CRN reaction.
    sources: Vec<RateSource>,
    /// Per CRN parameter: the reaction order whose units it has, or None when
    /// no reaction uses it (then it is not written: it would have no units).
    param_orders: Vec<Option<u32>>,
    /// Every order that needs a unit definition.
    orders: Vec<u32>,
    needs_local_single: bool,
    needs_local_forward: bool,
    needs_local_reverse: bool,
}

impl RatePlan {
    fn new(crn: &Crn, ids: &SbmlIds) -> RatePlan {
        let mut param_orders: Vec<Option<u32>> = vec![None; crn.parameters.len()];
        let sources: Vec<RateSource> = crn
            .reactions
            .iter()
            .map(|r| match r.rate_param {
                // The rate is authoritative: a pass that changed a rate without
                // renaming it still exports the value it simulates.
                Some(p) if crn.parameters.get(p).is_some_and(|param| param.value == r.rate) => {
                    // A parameter has one unit, so it can serve only reactions of
                    // the order that first used it.
                    if *param_orders[p].get_or_insert(r.order()) == r.order() {
                        RateSource::Global(p)
                    } else {
                        RateSource::Local
                    }
                }
                _ => RateSource::Local,
            })
            .collect();
        let mut orders: Vec<u32> = param_orders.iter().flatten().copied().collect();
        let (mut single, mut forward, mut reverse) = (false, false, false);
        for r in &ids.reactions {
            // A rate law has no rate constant, so no local parameter; each
            // term's number carries the unit of a rate constant of its degree.
            if let Some(law) = &crn.reactions[r.forward].law {
                orders.extend(law.iter().map(|t| t.factors.iter().map(|&(_, e)| e).sum::<u32>()));
                continue;
            }
            if sources[r.forward] == RateSource::Local {
                orders.push(crn.reactions[r.forward].order());
                match r.reverse {
                    None => single = true,
                    Some(_) => forward = true,
                }
            }
            if let Some(j) = r.reverse
                && sources[j] == RateSource::Local
            {
                orders.push(crn.reactions[j].order());
                reverse = true;
            }
        }
        orders.sort_unstable();
        orders.dedup();
        RatePlan {
            sources,
            param_orders,
            orders,
            needs_local_single: single,
            needs_local_forward: forward,
            needs_local_reverse: reverse,
        }
    }
}

/// How a kinetic law names its rate constants: the plan, the unit ids by
/// order, the ids of local parameters.
#[derive(Clone, Copy)]
struct Rates<'a> {
    plan: &'a RatePlan,
    units: &'a BTreeMap<u32, String>,
    local: &'a LocalIds,
}

struct LocalIds {
    k: Option<String>,
    kf: Option<String>,
    kr: Option<String>,
}

/// (kind, exponent) of the units of a rate constant of order `m`, zero
/// exponents left out.
fn rate_units(m: u32) -> Vec<(&'static str, i64)> {
    let e = 1 - i64::from(m);
    let mut units = Vec::new();
    if e != 0 {
        units.push(("mole", e));
        units.push(("litre", -e));
    }
    units.push(("second", -1));
    units
}

fn rate_unit_name(m: u32) -> String {
    let power = |kind: &str, e: i64| if e == 1 { kind.to_string() } else { format!("{kind}{e}") };
    match m {
        0 => "mole_per_litre_per_second".to_string(),
        1 => "per_second".to_string(),
        _ => {
            let e = i64::from(m) - 1;
            format!("{}_per_{}_per_second", power("litre", e), power("mole", e))
        }
    }
}

fn write_notes(o: &mut String, crn: &Crn, more: &[String]) {
    let convention = match crn.rate_law {
        RateLaw::MassAction => "mass-action (v = k * prod x^a)",
        RateLaw::Combinatoric => "combinatoric (v = k * prod x^a / a!)",
    };
    line(o, 2, "<notes>");
    line_args(o, 3, format_args!(r#"<body xmlns="{XHTML_NS}">"#));
    for p in [
        format!("Generated by {} from {}.", crn.metadata.generator, crn.metadata.source),
        format!("Rate-law convention: {convention}; the factors are written out in each kinetic law."),
        "Kinetic laws are in extent per time: the compartment size times the concentration rate.".to_string(),
    ] {
        line_args(o, 4, format_args!("<p>{}</p>", text(&p)));
    }
    if !crn.compartments.is_empty() {
        let p = "Reactions take place in the first compartment; every species enters its kinetic law as its \
                 concentration in its own compartment.";
        line_args(o, 4, format_args!("<p>{p}</p>"));
    }
    for p in more {
        line_args(o, 4, format_args!("<p>{}</p>", text(p)));
    }
    line(o, 3, "</body>");
    line(o, 2, "</notes>");
}

#[derive(Clone)]
struct UnitDefinition {
    id: String,
    name: String,
    /// (kind, exponent) of each unit.
    units: Vec<(&'static str, i64)>,
}

fn write_unit_definitions(o: &mut String, definitions: &[UnitDefinition]) {
    if definitions.is_empty() {
        return;
    }
    line(o, 2, "<listOfUnitDefinitions>");
    for UnitDefinition { id, name, units } in definitions {
        line_args(o, 3, format_args!(r#"<unitDefinition id="{id}" name="{}">"#, text(name)));
        line(o, 4, "<listOfUnits>");
        for (kind, e) in units {
            line_args(o, 5, format_args!(r#"<unit kind="{kind}" exponent="{e}" scale="0" multiplier="1"/>"#));
        }
        line(o, 4, "</listOfUnits>");
        line(o, 3, "</unitDefinition>");
    }
    line(o, 2, "</listOfUnitDefinitions>");
}

fn write_species(o: &mut Pieces<'_>, crn: &Crn, ids: &SbmlIds) -> io::Result<()> {
    if crn.species.is_empty() {
        return Ok(());
    }
    line(o, 2, "<listOfSpecies>");
    for (i, (s, id)) in crn.species.iter().zip(&ids.species).enumerate() {
        let (initial, only_substance) = match s.quantity {
            Quantity::Concentration => ("initialConcentration", false),
            Quantity::Amount => ("initialAmount", true),
        };
        line_args(
            o,
            3,
            format_args!(
                r#"<species id="{id}" name="{}" compartment="{}" {initial}="{}" substanceUnits="mole" hasOnlySubstanceUnits="{only_substance}" boundaryCondition="false" constant="false"/>"#,
                text(&s.name),
                ids.compartment_of(crn, crate::crn::SpeciesId(i as u32)),
                number(s.initial)
            ),
        );
        o.spill()?;
    }
    line(o, 2, "</listOfSpecies>");
    Ok(())
}

fn write_parameters(
    o: &mut String,
    crn: &Crn,
    ids: &SbmlIds,
    plan: &RatePlan,
    units: &BTreeMap<u32, String>,
    more: &[String],
) {
    let used: Vec<(usize, u32)> =
        plan.param_orders.iter().enumerate().filter_map(|(p, m)| m.map(|m| (p, m))).collect();
    if used.is_empty() && more.is_empty() {
        return;
    }
    line(o, 2, "<listOfParameters>");
    for (p, m) in used {
        let param = &crn.parameters[p];
        line_args(
            o,
            3,
            format_args!(
                r#"<parameter id="{}" name="{}" value="{}" units="{}" constant="true"/>"#,
                ids.parameters[p],
                text(&param.name),
                number(param.value),
                units[&m]
            ),
        );
    }
    for p in more {
        line(o, 3, p);
    }
    line(o, 2, "</listOfParameters>");
}

fn write_reaction(
    o: &mut String,
    crn: &Crn,
    ids: &SbmlIds,
    r: &SbmlReaction,
    rates: &Rates<'_>,
    gate: Option<&str>,
) {
    let Rates { plan, units, local } = *rates;
    let forward = &crn.reactions[r.forward];
    let name = forward.label.as_deref().map(|l| format!(r#" name="{}""#, text(l))).unwrap_or_default();
    let reversible = if r.reverse.is_some() { "true" } else { "false" };
    line_of(o, 3, &[r#"<reaction id=""#, &r.id, r#"""#, &name, r#" reversible=""#, reversible, r#"">"#]);
    for (list, side) in [("listOfReactants", &forward.reactants), ("listOfProducts", &forward.products)] {
        if side.is_empty() {
            continue;
        }
        line_of(o, 4, &["<", list, ">"]);
        for &(s, n) in side {
            let n = match n {
                1 => "1".into(),
                2 => "2".into(),
                n => std::borrow::Cow::Owned(n.to_string()),
            };
            let id = &ids.species[s.index()];
            line_of(
                o,
                5,
                &[r#"<speciesReference species=""#, id, r#"" stoichiometry=""#, &n, r#"" constant="true"/>"#],
            );
        }
        line_of(o, 4, &["</", list, ">"]);
    }
    // The species a rate law reads that the reaction neither consumes nor makes.
    let mut modifiers: Vec<crate::crn::SpeciesId> = Vec::new();
    for &(s, _) in forward.law.iter().flatten().flat_map(|t| &t.factors) {
        let listed = forward.reactants.iter().chain(&forward.products).any(|&(t, _)| t == s);
        if !listed && !modifiers.contains(&s) {
            modifiers.push(s);
        }
    }
    if !modifiers.is_empty() {
        line(o, 4, "<listOfModifiers>");
        for s in modifiers {
            line_args(
                o,
                5,
                format_args!(r#"<modifierSpeciesReference species="{}"/>"#, ids.species[s.index()]),
            );
        }
        line(o, 4, "</listOfModifiers>");
    }

    // (local id, CRN reaction) of each half that needs a local parameter.
    let mut locals: Vec<(String, usize)> = Vec::new();
    let mut constant = |half: usize, local_id: &Option<String>| -> Math {
        match plan.sources[half] {
            RateSource::Global(p) => Math::Ci(ids.parameters[p].clone()),
            RateSource::Local => {
                let id = local_id.as_deref().expect("the plan reserved this local id");
                locals.push((id.to_string(), half));
                Math::Ci(id.to_string())
            }
        }
    };
    let compartment = Math::Ci(ids.compartment.clone());
    let law = match r.reverse {
        // A rate law is the kinetic law itself (in concentration per time, times the volume).
        _ if forward.law.is_some() => {
            let terms = forward.law.as_deref().unwrap_or_default();
            Math::Apply("times", vec![compartment, law_math(crn, ids, terms, units)])
        }
        None => {
            let k = constant(r.forward, &local.k);
            match rate_term(crn, ids, forward, k) {
                Math::Apply("times", args) => {
                    Math::Apply("times", std::iter::once(compartment).chain(args).collect())
                }
                term => Math::Apply("times", vec![compartment, term]),
            }
        }
        Some(j) => {
            let kf = constant(r.forward, &local.kf);
            let kr = constant(j, &local.kr);
            let difference = Math::Apply(
                "minus",
                vec![rate_term(crn, ids, forward, kf), rate_term(crn, ids, &crn.reactions[j], kr)],
            );
            Math::Apply("times", vec![compartment, difference])
        }
    };
    // A gated law is switched on and off by its gate's value (0 or 1).
    let law = match (gate, law) {
        (None, law) => law,
        (Some(g), Math::Apply("times", args)) => {
            Math::Apply("times", std::iter::once(Math::Ci(g.to_string())).chain(args).collect())
        }
        (Some(g), law) => Math::Apply("times", vec![Math::Ci(g.to_string()), law]),
    };

    line(o, 4, "<kineticLaw>");
    let sbml_prefix = if law.has_number() { format!(r#" xmlns:sbml="{SBML_NS}""#) } else { String::new() };
    line_args(o, 5, format_args!(r#"<math xmlns="{MATHML_NS}"{sbml_prefix}>"#));
    law.render(o, 6);
    line(o, 5, "</math>");
    if !locals.is_empty() {
        line(o, 5, "<listOfLocalParameters>");
        for (id, half) in locals {
            let reaction = &crn.reactions[half];
            let name = reaction
                .rate_param
                .and_then(|p| crn.parameters.get(p))
                .map(|p| format!(r#" name="{}""#, text(&p.name)))
                .unwrap_or_default();
            line_args(
                o,
                6,
                format_args!(
                    r#"<localParameter id="{id}"{name} value="{}" units="{}"/>"#,
                    number(reaction.rate),
                    units[&reaction.order()]
                ),
            );
        }
        line(o, 5, "</listOfLocalParameters>");
    }
    line(o, 4, "</kineticLaw>");
    line(o, 3, "</reaction>");
}

/// A rate law as MathML: the sum of its terms, each a number times powers
/// of concentrations.
fn law_math(crn: &Crn, ids: &SbmlIds, terms: &[crate::crn::LawTerm], units: &BTreeMap<u32, String>) -> Math {
    let term = |t: &crate::crn::LawTerm| {
        let degree: u32 = t.factors.iter().map(|&(_, e)| e).sum();
        let mut factors = vec![Math::quantity(t.coefficient, units.get(&degree).cloned())];
        for &(s, e) in &t.factors {
            factors.push(power(concentration(crn, ids, s), e));
        }
        Math::product(factors)
    };
    match terms {
        [] => Math::quantity(0.0, units.get(&0).cloned()),
        [one] => term(one),
        _ => Math::Apply("plus", terms.iter().map(term).collect()),
    }
}

/// A species' symbol as a concentration (an amount species divided by the compartment).
fn concentration(crn: &Crn, ids: &SbmlIds, s: crate::crn::SpeciesId) -> Math {
    let symbol = Math::Ci(ids.species[s.index()].clone());
    match crn.species(s).quantity {
        Quantity::Concentration => symbol,
        // An amount species' symbol is in mole; mass action needs mole/litre.
        Quantity::Amount => {
            Math::Apply("divide", vec![symbol, Math::Ci(ids.compartment_of(crn, s).to_string())])
        }
    }
}

fn power(base: Math, n: u32) -> Math {
    if n == 1 { base } else { Math::Apply("power", vec![base, Math::integer(n)]) }
}

/// `k * prod(conc^coef)` in concentration per time, divided by `prod(coef!)`
/// under the combinatoric convention.
fn rate_term(crn: &Crn, ids: &SbmlIds, r: &Reaction, k: Math) -> Math {
    let mut factors = vec![k];
    for &(s, n) in &r.reactants {
        factors.push(power(concentration(crn, ids, s), n));
    }
    let product = Math::product(factors);
    let repeated: Vec<u32> = r.reactants.iter().map(|&(_, n)| n).filter(|&n| n >= 2).collect();
    if crn.rate_law == RateLaw::MassAction || repeated.is_empty() {
        return product;
    }
    let divisor: f64 = repeated.iter().map(|&n| factorial(n)).product();
    let divisor = if divisor.is_finite() {
        Math::dimensionless(divisor)
    } else {
        // Beyond f64 (coefficients above 170): let the reader evaluate n!.
        Math::product(repeated.iter().map(|&n| Math::Apply("factorial", vec![Math::integer(n)])).collect())
    };
    Math::Apply("divide", vec![product, divisor])
}

/// The MathML subset kinetic laws need.
enum Math {
    Ci(String),
    /// A dimensionless number: the text and the MathML `type` when not real.
    /// The text, the MathML `type` when not real, and the unit when not dimensionless.
    Cn(String, Option<&'static str>, Option<String>),
    Apply(&'static str, Vec<Math>),
    /// The simulation time.
    Time,
}

impl Math {
    fn integer(n: u32) -> Math {
        Math::Cn(n.to_string(), Some("integer"), None)
    }

    fn dimensionless(x: f64) -> Math {
        // libSBML reads MathML integers into a C `long`, 32 bits on some platforms.
        if x.fract() == 0.0 && x.abs() <= f64::from(i32::MAX) {
            return Math::Cn(format!("{x}"), Some("integer"), None);
        }
        let text = number(x);
        match text.split_once('e') {
            Some((mantissa, exponent)) => {
                Math::Cn(format!("{mantissa}<sep/>{exponent}"), Some("e-notation"), None)
            }
            None => Math::Cn(text, None, None),
        }
    }

    /// A number in `unit` (dimensionless when `None`).
    fn quantity(x: f64, unit: Option<String>) -> Math {
        match Math::dimensionless(x) {
            Math::Cn(text, kind, _) => Math::Cn(text, kind, unit),
            other => other,
        }
    }

    /// `times` of the factors, without a one-argument `times`.
    fn product(mut factors: Vec<Math>) -> Math {
        if factors.len() == 1 { factors.pop().expect("one factor") } else { Math::Apply("times", factors) }
    }

    fn has_number(&self) -> bool {
        match self {
            Math::Ci(_) | Math::Time => false,
            Math::Cn(..) => true,
            Math::Apply(_, args) => args.iter().any(Math::has_number),
        }
    }

    fn render(&self, o: &mut String, depth: usize) {
        match self {
            Math::Ci(id) => line_of(o, depth, &["<ci>", id, "</ci>"]),
            Math::Cn(value, kind, unit) => {
                let kind = kind.map(|k| format!(r#" type="{k}""#)).unwrap_or_default();
                let unit = unit.as_deref().unwrap_or("dimensionless");
                line_args(o, depth, format_args!(r#"<cn sbml:units="{unit}"{kind}>{value}</cn>"#));
            }
            Math::Time => line(
                o,
                depth,
                r#"<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">time</csymbol>"#,
            ),
            Math::Apply(op, args) => {
                line(o, depth, "<apply>");
                line_of(o, depth + 1, &["<", op, "/>"]);
                for a in args {
                    a.render(o, depth + 1);
                }
                line(o, depth, "</apply>");
            }
        }
    }
}

/// A `<math>` element holding `math`, at `depth`.
fn write_math(o: &mut String, depth: usize, math: &Math) {
    let sbml_prefix = if math.has_number() { format!(r#" xmlns:sbml="{SBML_NS}""#) } else { String::new() };
    line_args(o, depth, format_args!(r#"<math xmlns="{MATHML_NS}"{sbml_prefix}>"#));
    math.render(o, depth + 1);
    line(o, depth, "</math>");
}

/// [`line`] of formatted text, written in place rather than made into a
/// string first (a large model's document has millions of lines).
fn line_args(o: &mut String, depth: usize, args: std::fmt::Arguments<'_>) {
    indent(o, depth);
    // Writing to a String does not fail.
    let _ = std::fmt::Write::write_fmt(o, args);
    o.push('\n');
}

/// A line of `pieces` at `depth`: what `line_args` writes, without the
/// formatting machinery, for the lines every reaction has (a third of the
/// time of writing a large network went to formatting them).
fn line_of(o: &mut String, depth: usize, pieces: &[&str]) {
    indent(o, depth);
    for piece in pieces {
        o.push_str(piece);
    }
    o.push('\n');
}

fn line(o: &mut String, depth: usize, s: &str) {
    indent(o, depth);
    o.push_str(s);
    o.push('\n');
}

fn indent(o: &mut String, depth: usize) {
    for _ in 0..depth {
        o.push_str("  ");
    }
}

/// A double as SBML writes it: shortest round-trip digits, in scientific
/// notation when positional notation would be long (Rust's `{}` never uses an
/// exponent, so 1e-300 would otherwise take 300 digits), and SBML's spellings
/// of the non-finite values.
fn number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "INF" } else { "-INF" }.to_string();
    }
    let plain = format!("{x}");
    if plain.len() <= 21 { plain } else { format!("{x:e}") }
}

/// Escaped text for attributes and character data; characters XML 1.0 cannot
/// carry even escaped become U+FFFD.
fn text(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() && !matches!(c, '\t' | '\n' | '\r') { '\u{fffd}' } else { c })
        .collect();
    escape(clean.as_str()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crn::{GroupId, MAIN_GROUP, Metadata, Origin, Parameter, Species, SpeciesId};

    fn species(name: &str, initial: f64, quantity: Quantity) -> Species {
        Species::plain(name, initial, quantity)
    }

    fn reaction(reactants: &[(u32, u32)], products: &[(u32, u32)], rate: f64) -> Reaction {
        let complex = |c: &[(u32, u32)]| c.iter().map(|&(s, n)| (SpeciesId(s), n)).collect();
        Reaction {
            reactants: complex(reactants),
            products: complex(products),
            rate,
            rate_param: None,
            partner: None,
            label: None,
            origin: Origin::default(),
            law: None,
            group: GroupId::MAIN,
        }
    }

    fn crn(names: &[&str], reactions: Vec<Reaction>) -> Crn {
        Crn {
            name: "net".into(),
            rate_law: RateLaw::MassAction,
            volume: 1.0,
            compartments: vec![],
            species: names.iter().map(|n| species(n, 1.0, Quantity::Concentration)).collect(),
            parameters: vec![],
            reactions,
            metadata: Metadata { source: "net.crnl".into(), generator: "crnc test".into() },
            groups: vec![MAIN_GROUP.into()],
        }
    }

    fn param(name: &str, value: f64) -> Parameter {
        Parameter { name: name.into(), value, origin: Origin::default() }
    }

    /// The document without indentation, for matching MathML fragments.
    fn squash(doc: &str) -> String {
        doc.lines().map(str::trim).collect()
    }

    /// Makes reactions `i` and `i + 1` a reversible pair.
    fn pair(mut c: Crn, i: usize) -> Crn {
        c.reactions[i].partner = Some(Partner::Reverse(i + 1));
        c.reactions[i + 1].partner = Some(Partner::Forward(i));
        c
    }

    #[test]
    fn ids_are_sanitised_and_unique() {
        let mut c = crn(&["a.b", "c", "1x", "a_b", "R1", "k"], vec![reaction(&[(0, 1)], &[(1, 1)], 1.0)]);
        c.parameters = vec![param("a b", 2.0)];
        c.reactions.push(reaction(&[(1, 1)], &[], 2.0));
        c.reactions[1].rate_param = Some(0);
        c.reactions.push(reaction(&[(2, 1)], &[], 2.0));
        c.reactions[2].label = Some("c".into());
        let ids = ids(&c);
        assert_eq!(ids.species, ["a_b_1", "c", "_1x", "a_b", "R1", "k"]);
        assert_eq!(ids.parameters, ["a_b_2"]);
        assert_eq!(ids.compartment, "c_1");
        let reactions: Vec<&str> = ids.reactions.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(reactions, ["R1_1", "R2", "c_2"]);

        let doc = write(&c);
        assert!(doc.contains(r#"<species id="a_b_1" name="a.b""#));
        assert!(doc.contains(r#"<parameter id="a_b_2" name="a b""#));
        // The local parameters must not shadow the species `k`.
        assert!(doc.contains(r#"<localParameter id="k_1""#));
        let mut all: Vec<String> = doc
            .split(" id=\"")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].to_string())
            .filter(|id| id != "k_1")
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "duplicate ids in {doc}");
        assert!(all.iter().all(|id| is_sid(id)));
    }

    #[test]
    fn combinatoric_factor_is_written_out() {
        let mut c = crn(&["A", "B"], vec![reaction(&[(0, 2), (1, 3)], &[], 0.5)]);
        c.rate_law = RateLaw::Combinatoric;
        let doc = write(&c);
        assert!(doc.contains("<divide/>"));
        assert!(doc.contains(r#"<cn sbml:units="dimensionless" type="integer">12</cn>"#));
        assert!(doc.contains("combinatoric"));
        c.rate_law = RateLaw::MassAction;
        assert!(!write(&c).contains("<divide/>"));
    }

    #[test]
    fn huge_combinatoric_factors_stay_valid() {
        let mut c = crn(&["A", "B"], vec![reaction(&[(0, 25)], &[], 1.0), reaction(&[(1, 200)], &[], 1.0)]);
        c.rate_law = RateLaw::Combinatoric;
        let doc = write(&c);
        assert!(doc.contains(r#"type="e-notation">1.5511210043330986<sep/>25</cn>"#), "{doc}");
        assert!(doc.contains("<factorial/>"));
    }

    #[test]
    fn reversible_pair_becomes_one_reaction() {
        let mut c = pair(
            crn(
                &["A", "B", "E"],
                vec![
                    reaction(&[(0, 1), (2, 1)], &[(1, 1), (2, 1)], 2.0),
                    reaction(&[(1, 1), (2, 1)], &[(0, 1), (2, 1)], 0.5),
                ],
            ),
            0,
        );
        c.reactions[0].label = Some("bind".into());
        c.reactions[1].label = Some("bind_reverse".into());
        let ids = ids(&c);
        assert_eq!(ids.reactions, [SbmlReaction { id: "bind".into(), forward: 0, reverse: Some(1) }]);
        let doc = write(&c);
        assert_eq!(doc.matches("<reaction ").count(), 1);
        assert!(doc.contains(r#"reversible="true""#));
        assert!(doc.contains("<minus/>"));
        assert!(doc.contains(r#"<localParameter id="kf" value="2""#));
        assert!(doc.contains(r#"<localParameter id="kr" value="0.5""#));
    }

    #[test]
    fn amount_species_are_divided_by_the_compartment() {
        let mut c = crn(&["A"], vec![reaction(&[(0, 2)], &[], 1.0)]);
        c.species[0].quantity = Quantity::Amount;
        c.volume = 2.5;
        let doc = write(&c);
        assert!(doc.contains(r#"initialAmount="1""#));
        assert!(doc.contains(r#"hasOnlySubstanceUnits="true""#));
        assert!(squash(&doc).contains("<power/><apply><divide/><ci>A</ci><ci>c</ci></apply><cn"), "{doc}");
        assert!(doc.contains(r#"size="2.5""#));
    }

    #[test]
    fn parameter_used_at_two_orders_falls_back_to_locals() {
        let mut c = crn(
            &["A", "B"],
            vec![reaction(&[(0, 1)], &[(1, 1)], 3.0), reaction(&[(0, 1), (1, 1)], &[], 3.0)],
        );
        c.parameters = vec![param("k", 3.0)];
        c.reactions[0].rate_param = Some(0);
        c.reactions[1].rate_param = Some(0);
        let doc = write(&c);
        assert!(doc.contains(r#"<parameter id="k" name="k" value="3" units="per_second" constant="true"/>"#));
        assert!(
            doc.contains(
                r#"<localParameter id="k_1" name="k" value="3" units="litre_per_mole_per_second"/>"#
            )
        );
    }

    #[test]
    fn numbers_round_trip_and_stay_valid() {
        for x in [1e-7, 0.1, 1e300, 1e-300, 123456.789, 5e-324, f64::MAX] {
            let s = number(x);
            assert_eq!(s.parse::<f64>().unwrap(), x, "{s}");
            assert!(s.len() <= 24, "{s}");
        }
        assert_eq!(number(1e-7), "0.0000001");
        assert_eq!(number(f64::INFINITY), "INF");
    }

    #[test]
    fn text_is_escaped() {
        let mut c = crn(&["A"], vec![]);
        c.name = "a<b & \"c\"".into();
        c.metadata.source = "x<y>.crnl".into();
        let doc = write(&c);
        assert!(doc.contains(r#"name="a&lt;b &amp; &quot;c&quot;""#));
        assert!(doc.contains("x&lt;y&gt;.crnl"));
        assert!(doc.contains(r#"<model id="a_b____c_""#));
    }

    #[test]
    fn a_streamed_document_is_the_written_one_in_pieces() {
        /// Records each write the document makes.
        struct Writes(Vec<Vec<u8>>);
        impl Write for Writes {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                self.0.push(bytes.to_vec());
                Ok(bytes.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let names: Vec<String> = (0..100).map(|i| format!("S{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let reactions = (0..400).map(|i| reaction(&[(i % 100, 1), ((i + 1) % 100, 1)], &[(i % 7, 1)], 0.5));
        let c = crn(&names, reactions.collect());
        let mut writes = Writes(Vec::new());
        write_to(&c, &mut writes).unwrap();
        let whole = write(&c);
        assert!(whole.len() > 3 * PIECE, "the document must span pieces: {} bytes", whole.len());
        assert!(writes.0.len() >= 3, "{} writes", writes.0.len());
        assert!(writes.0.iter().all(|w| w.len() < PIECE + PIECE / 4), "no piece outgrows its buffer");
        assert_eq!(writes.0.concat(), whole.into_bytes());
    }

    #[test]
    fn snapshot_of_a_small_network() {
        let mut c = pair(
            crn(
                &["A", "B", "C"],
                vec![
                    reaction(&[], &[(0, 1)], 0.25),
                    reaction(&[(0, 2), (1, 1)], &[(2, 1), (1, 1)], 1.5),
                    reaction(&[(2, 1), (1, 1)], &[(0, 2), (1, 1)], 0.125),
                    reaction(&[(1, 1)], &[], 1e-7),
                ],
            ),
            1,
        );
        c.rate_law = RateLaw::Combinatoric;
        c.volume = 2.0;
        c.species[2].quantity = Quantity::Amount;
        c.parameters = vec![param("kf", 1.5)];
        c.reactions[1].rate_param = Some(0);
        c.reactions[3].label = Some("decay".into());
        insta::assert_snapshot!(write(&c));
    }
}
