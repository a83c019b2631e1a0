//! Reads an SBML document (Level 2 or 3) into the parts crnc translates:
//! compartments, species, parameters and reactions with their kinetic-law
//! MathML. What SBML can say beyond reactions with constant-coefficient laws
//! (rules, events, initial assignments, ...) is refused here, at its location,
//! rather than silently dropped: it would change the dynamics.

use std::collections::{HashMap, HashSet};

use roxmltree::{Document, Node};

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

pub struct Model<'a, 'i> {
    pub id: Option<&'a str>,
    pub level: u32,
    pub version: u32,
    pub compartments: Vec<Compartment<'a>>,
    pub species: Vec<SpeciesDef<'a>>,
    pub parameters: Vec<ParameterDef<'a>>,
    pub reactions: Vec<ReactionDef<'a, 'i>>,
}

pub struct Compartment<'a> {
    pub id: &'a str,
    pub size: Option<f64>,
    pub dimensions: f64,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Initial {
    Amount(f64),
    Concentration(f64),
}

pub struct SpeciesDef<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub compartment: usize,
    pub initial: Initial,
    /// `hasOnlySubstanceUnits`: the species' symbol in laws means its amount.
    pub only_substance: bool,
    /// `boundaryCondition` or `constant`: reactions do not change it.
    pub fixed: bool,
}

pub struct ParameterDef<'a> {
    pub id: &'a str,
    pub value: f64,
}

pub struct ReactionDef<'a, 'i> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub reactants: Vec<(usize, u32)>,
    pub products: Vec<(usize, u32)>,
    pub local_parameters: HashMap<&'a str, f64>,
    /// The `<math>` element of the kinetic law.
    pub math: Option<Node<'a, 'i>>,
    pub span: Span,
}

/// Reads the model of an SBML document (`None` after errors), with the
/// diagnostics found on the way.
pub fn read<'a, 'i>(file: FileId, doc: &'a Document<'i>) -> (Option<Model<'a, 'i>>, Vec<Diagnostic>) {
    let mut reader = Reader {
        file,
        text: doc.input_text(),
        diags: Vec::new(),
        ids: HashMap::new(),
        sizeless: HashSet::new(),
    };
    let model = reader.model(doc.root_element());
    let failed = reader.diags.iter().any(Diagnostic::is_error);
    (model.filter(|_| !failed), reader.diags)
}

/// An XML syntax error as a diagnostic at its position.
pub fn syntax_error(file: FileId, text: &str, e: &roxmltree::Error) -> Diagnostic {
    let pos = e.pos();
    let offset =
        text.split_inclusive('\n').take(pos.row.saturating_sub(1) as usize).map(str::len).sum::<usize>()
            + pos.col.saturating_sub(1) as usize;
    let offset = offset.min(text.len());
    Diagnostic::error("E0800", format!("this file is not well-formed XML: {e}"))
        .with_primary(Span::new(file, offset, offset), "here")
        .with_hint("an SBML file is an XML document; check it with an XML validator or re-export it")
}

/// The refusal of an XML entity declaration (`<!ENTITY` at `at`).
pub fn entity_declared(file: FileId, text: &str, at: usize) -> Diagnostic {
    let end = text[at..].find('>').map_or(text.len(), |i| at + i + 1).min(at + 80);
    let end = (at..=end).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(at);
    Diagnostic::error("E0800", "this file declares an XML entity, which crnc does not expand")
        .with_primary(Span::new(file, at, end), "entity declaration")
        .with_note("SBML does not use entities; expanding them could make a small file gigabytes long")
        .with_hint("replace each `&name;` by its text and remove the `<!DOCTYPE ...>` declaration")
}

struct Reader<'t> {
    file: FileId,
    text: &'t str,
    diags: Vec<Diagnostic>,
    /// Every SId seen, so that a second definition is reported.
    ids: HashMap<String, Span>,
    /// Compartments already reported for having no size.
    sizeless: HashSet<usize>,
}

/// Model elements that change the dynamics beyond reactions, with a word on each.
const UNSUPPORTED: [(&str, &str); 5] = [
    ("listOfFunctionDefinitions", "function definitions"),
    ("listOfInitialAssignments", "initial assignments"),
    ("listOfRules", "rules"),
    ("listOfConstraints", "constraints"),
    ("listOfEvents", "events"),
];

impl<'t> Reader<'t> {
    /// The start tag of an element: a short span that reads well in a diagnostic.
    fn tag(&self, node: Node) -> Span {
        let range = node.range();
        let end = self.text[range.clone()].find('>').map_or(range.end, |i| range.start + i + 1);
        Span::new(self.file, range.start, end)
    }

    fn error(&mut self, code: &'static str, span: Span, message: String, label: &str, hint: &str) {
        self.diags.push(Diagnostic::error(code, message).with_primary(span, label).with_hint(hint));
    }

    fn model<'a, 'i>(&mut self, root: Node<'a, 'i>) -> Option<Model<'a, 'i>> {
        let root_span = self.tag(root);
        if root.tag_name().name() != "sbml" {
            let found = root.tag_name().name();
            self.error(
                "E0800",
                root_span,
                format!("this XML document is not SBML: its root element is `<{found}>`"),
                "expected `<sbml ...>`",
                "crnc reads SBML Level 2 and 3 models (.xml, .sbml)",
            );
            return None;
        }
        let (Some(level), Some(version)) = (number_attr(root, "level"), number_attr(root, "version")) else {
            self.error(
                "E0800",
                root_span,
                "the `<sbml>` element needs whole-number `level` and `version` attributes".into(),
                "no level or version",
                "e.g. `<sbml xmlns=\"http://www.sbml.org/sbml/level3/version2/core\" level=\"3\" version=\"2\">`",
            );
            return None;
        };
        if !(2..=3).contains(&level) {
            self.error(
                "E0801",
                root_span,
                format!("SBML Level {level} is not supported"),
                "this level",
                "convert the model to Level 3 (libSBML's `convertSBML`, or COPASI's export) and read that",
            );
            return None;
        }
        let Some(model) = child(root, "model") else {
            self.error("E0800", root_span, "this SBML document has no `<model>`".into(), "here", "");
            return None;
        };
        if let Some(cf) = model.attribute_node("conversionFactor") {
            let span = Span::new(self.file, cf.range().start, cf.range().end);
            self.unsupported(span, "a conversion factor");
        }
        for (list, what) in UNSUPPORTED {
            if let Some(node) = child(model, list).filter(|n| n.children().any(|c| c.is_element())) {
                let span = self.tag(node);
                self.unsupported(span, what);
            }
        }
        let compartments: Vec<Compartment> = elements(model, "listOfCompartments", "compartment")
            .filter_map(|c| self.compartment(c))
            .collect();
        let species: Vec<SpeciesDef> = elements(model, "listOfSpecies", "species")
            .filter_map(|s| self.species(s, &compartments))
            .collect();
        let parameters: Vec<ParameterDef> =
            elements(model, "listOfParameters", "parameter").filter_map(|p| self.parameter(p)).collect();
        let reactions = elements(model, "listOfReactions", "reaction")
            .filter_map(|r| self.reaction(r, &species))
            .collect();
        Some(Model {
            id: model.attribute("id"),
            level,
            version,
            compartments,
            species,
            parameters,
            reactions,
        })
    }

    fn unsupported(&mut self, span: Span, what: &str) {
        self.error(
            "E0801",
            span,
            format!("this model uses {what}, which crnc cannot simulate"),
            "not supported",
            "crnc reads reaction networks whose kinetic laws are polynomials with constant coefficients; \
             remove this part, or simulate the model in a general SBML simulator",
        );
    }

    /// Records an SId; `false` when it was already defined.
    fn define<'a>(&mut self, node: Node<'a, '_>, what: &str) -> Option<&'a str> {
        let span = self.tag(node);
        let Some(id) = node.attribute("id") else {
            self.error(
                "E0804",
                span,
                format!("this {what} has no `id`"),
                "missing id",
                "every SBML component needs an id",
            );
            return None;
        };
        if let Some(&first) = self.ids.get(id) {
            // libSBML resolves the id to its first definition, and so do the
            // tools that read such files (BioNetGen's exports have them).
            self.diags.push(
                Diagnostic::warning(
                    "W0006",
                    format!("the id `{id}` is defined twice; this definition is ignored"),
                )
                .with_primary(span, "ignored")
                .with_secondary(first, "the definition that counts")
                .with_note("ids in an SBML model must be unique; libSBML's lookup by id also finds the first")
                .with_hint("rename one of the two"),
            );
            return None;
        }
        self.ids.insert(id.to_string(), span);
        Some(id)
    }

    fn number(&mut self, node: Node, name: &str) -> Option<f64> {
        let attr = node.attribute_node(name)?;
        match attr.value().trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                let span = Span::new(self.file, attr.range_value().start, attr.range_value().end);
                self.error(
                    "E0804",
                    span,
                    format!("`{name}` must be a finite number, not `{}`", attr.value()),
                    "not a number",
                    "write a decimal number such as `1`, `0.5` or `2e-3`",
                );
                None
            }
        }
    }

    fn flag(&mut self, node: Node, name: &str) -> bool {
        matches!(node.attribute(name).map(str::trim), Some("true" | "1"))
    }

    fn compartment<'a>(&mut self, node: Node<'a, '_>) -> Option<Compartment<'a>> {
        let id = self.define(node, "compartment")?;
        let dimensions = self.number(node, "spatialDimensions").unwrap_or(3.0);
        // Level 1's `volume` survives in some Level 2 files.
        let size = self.number(node, "size").or_else(|| self.number(node, "volume"));
        Some(Compartment { id, size, dimensions, span: self.tag(node) })
    }

    fn species<'a>(&mut self, node: Node<'a, '_>, compartments: &[Compartment]) -> Option<SpeciesDef<'a>> {
        let id = self.define(node, "species")?;
        let span = self.tag(node);
        if node.attribute("conversionFactor").is_some() {
            self.unsupported(span, "a species conversion factor");
        }
        let compartment = node.attribute("compartment").unwrap_or("");
        let Some(c) = compartments.iter().position(|c| c.id == compartment) else {
            self.error(
                "E0804",
                span,
                format!("species `{id}` is in compartment `{compartment}`, which is not defined"),
                "unknown compartment",
                "define the compartment in `<listOfCompartments>`",
            );
            return None;
        };
        let initial = match (self.number(node, "initialAmount"), self.number(node, "initialConcentration")) {
            (Some(a), _) => Initial::Amount(a),
            (None, Some(x)) => Initial::Concentration(x),
            (None, None) => {
                self.error(
                    "E0804",
                    span,
                    format!("species `{id}` has no initial value"),
                    "no initialAmount or initialConcentration",
                    "give it `initialAmount` or `initialConcentration` (crnc does not read initial assignments)",
                );
                Initial::Amount(0.0) // read on, so that its reactions do not report it unknown
            }
        };
        let only_substance = self.flag(node, "hasOnlySubstanceUnits");
        let fixed = self.flag(node, "boundaryCondition") || self.flag(node, "constant");
        if !only_substance && compartments[c].dimensions == 0.0 {
            self.error(
                "E0804",
                span,
                format!("species `{id}` is measured in concentration in a 0-dimensional compartment"),
                "no size to divide by",
                "set `hasOnlySubstanceUnits=\"true\"` on species in 0-dimensional compartments",
            );
        } else if compartments[c].dimensions != 0.0
            // A size that is given must be positive; a missing one matters only to concentrations.
            && match compartments[c].size {
                Some(size) => size <= 0.0,
                None => !only_substance || matches!(initial, Initial::Concentration(_)),
            }
            && self.sizeless.insert(c)
        {
            let at = compartments[c].span;
            self.diags.push(
                Diagnostic::error("E0804", format!("compartment `{compartment}` has no positive size"))
                    .with_primary(at, "size missing or not positive")
                    .with_secondary(span, "a species in it, whose concentration needs that size")
                    .with_note("species in amounts (`hasOnlySubstanceUnits=\"true\"` with an `initialAmount`) need no size")
                    .with_hint("give the compartment a `size` above 0"),
            );
        }
        Some(SpeciesDef { id, name: node.attribute("name"), compartment: c, initial, only_substance, fixed })
    }

    fn parameter<'a>(&mut self, node: Node<'a, '_>) -> Option<ParameterDef<'a>> {
        let id = self.define(node, "parameter")?;
        let span = self.tag(node);
        match self.number(node, "value") {
            Some(value) => Some(ParameterDef { id, value }),
            None => {
                self.missing_value(span, id);
                None
            }
        }
    }

    fn missing_value(&mut self, span: Span, id: &str) {
        self.error(
            "E0804",
            span,
            format!("parameter `{id}` has no value"),
            "no `value`",
            "give it a `value` (crnc does not read initial assignments or rules)",
        );
    }

    fn reaction<'a, 'i>(
        &mut self,
        node: Node<'a, 'i>,
        species: &[SpeciesDef],
    ) -> Option<ReactionDef<'a, 'i>> {
        let id = self.define(node, "reaction")?;
        let span = self.tag(node);
        let reactants = self.side(node, "listOfReactants", species);
        let products = self.side(node, "listOfProducts", species);
        for modifier in elements(node, "listOfModifiers", "modifierSpeciesReference") {
            self.species_ref(modifier, species);
        }
        let law = child(node, "kineticLaw");
        let mut local_parameters = HashMap::new();
        for list in ["listOfLocalParameters", "listOfParameters"] {
            for p in law.into_iter().flat_map(|l| elements(l, list, "")) {
                let pspan = self.tag(p);
                match (p.attribute("id"), self.number(p, "value")) {
                    (Some(pid), Some(value)) => {
                        local_parameters.insert(pid, value);
                    }
                    (pid, _) => self.missing_value(pspan, pid.unwrap_or("?")),
                }
            }
        }
        let math = law.and_then(|l| child(l, "math"));
        if math.is_none() {
            self.error(
                "E0804",
                span,
                format!("reaction `{id}` has no kinetic law"),
                "no `<kineticLaw>` with `<math>`",
                "give the reaction a kinetic law, e.g. `k * S` for mass action",
            );
        }
        Some(ReactionDef {
            id,
            name: node.attribute("name"),
            reactants: reactants?,
            products: products?,
            local_parameters,
            math,
            span,
        })
    }

    /// One side of a reaction: species and whole-number stoichiometries, repeated species added up.
    fn side(&mut self, reaction: Node, list: &str, species: &[SpeciesDef]) -> Option<Vec<(usize, u32)>> {
        let mut side: Vec<(usize, u32)> = Vec::new();
        let mut ok = true;
        for r in elements(reaction, list, "speciesReference") {
            let (Some(s), Some(n)) = (self.species_ref(r, species), self.stoichiometry(r)) else {
                ok = false;
                continue;
            };
            match side.iter_mut().find(|(t, _)| *t == s) {
                Some((_, m)) => *m = m.saturating_add(n),
                None => side.push((s, n)),
            }
        }
        ok.then_some(side)
    }

    fn species_ref(&mut self, node: Node, species: &[SpeciesDef]) -> Option<usize> {
        let name = node.attribute("species").unwrap_or("");
        let found = species.iter().position(|s| s.id == name);
        if found.is_none() {
            let span = self.tag(node);
            let hint = crate::diagnostic::did_you_mean(name, species.iter().map(|s| s.id))
                .unwrap_or_else(|| "every species a reaction names must be in `<listOfSpecies>`".into());
            self.error("E0804", span, format!("unknown species `{name}`"), "not a species", &hint);
        }
        found
    }

    fn stoichiometry(&mut self, node: Node) -> Option<u32> {
        let span = self.tag(node);
        if child(node, "stoichiometryMath").is_some() {
            self.unsupported(span, "stoichiometryMath");
            return None;
        }
        // Absent in Level 3 means "set elsewhere", which crnc does not read; tools take 1.
        let n = self.number(node, "stoichiometry").unwrap_or(1.0);
        if n.fract() == 0.0 && (1.0..=1000.0).contains(&n) {
            return Some(n as u32);
        }
        self.error(
            "E0804",
            span,
            format!("stoichiometry {n} is not a whole number from 1 to 1000"),
            "this stoichiometry",
            "mass-action reactions move whole molecules; scale the reaction so its stoichiometries are whole",
        );
        None
    }
}

fn number_attr(node: Node, name: &str) -> Option<u32> {
    node.attribute(name)?.trim().parse().ok()
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The elements named `item` (any, if empty) inside `node`'s child `list`.
fn elements<'a, 'i>(
    node: Node<'a, 'i>,
    list: &str,
    item: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    child(node, list)
        .into_iter()
        .flat_map(|l| l.children())
        .filter(move |c| c.is_element() && (item.is_empty() || c.tag_name().name() == item))
}
