//! Kinetic-law MathML to [`Polynomial`]: sums, differences, products,
//! quotients by constants and whole powers of the species, with any function
//! of constants folded to its value. Anything else is not a polynomial with
//! constant coefficients, and is reported at the element that makes it so.

use std::ops::Range;

use roxmltree::Node;

use crate::polynomial::{Coefficient, Polynomial, TooManyTerms};

/// What a `<ci>` name stands for.
pub enum Symbol {
    Species(usize),
    /// A global parameter (kept by name in the translation) and its value.
    Parameter(usize, f64),
    /// A local parameter or a compartment size.
    Number(f64),
}

/// Why a law is not a polynomial, at the element (byte range) responsible.
#[derive(Debug)]
pub struct MathError {
    pub code: &'static str,
    pub range: Range<usize>,
    pub message: String,
}

/// Deeper MathML than this is refused rather than risk the stack.
const MAX_DEPTH: usize = 200;

const AVOGADRO: f64 = 6.02214076e23;

/// A name that is no number or species: the diagnostic code and the message.
pub type Unresolved = (&'static str, String);

pub struct Converter<'r> {
    /// Looks a name up.
    pub resolve: &'r dyn Fn(&str) -> Result<Symbol, Unresolved>,
}

impl Converter<'_> {
    /// The polynomial of a `<math>` element.
    pub fn math(&self, math: Node) -> Result<Polynomial, MathError> {
        let mut children = math.children().filter(Node::is_element);
        match (children.next(), children.next()) {
            (Some(expr), None) => self.expr(expr, 0),
            _ => Err(error("E0802", math, "a kinetic law's `<math>` must hold exactly one expression")),
        }
    }

    fn expr(&self, node: Node, depth: usize) -> Result<Polynomial, MathError> {
        if depth > MAX_DEPTH {
            return Err(error("E0802", node, format!("the expression is nested more than {MAX_DEPTH} deep")));
        }
        let constant = |x: f64| Ok(Polynomial::constant(Coefficient::number(x)));
        match node.tag_name().name() {
            "cn" => constant(number(node)?),
            "ci" => match (self.resolve)(node.text().unwrap_or("").trim()) {
                Ok(Symbol::Species(s)) => Ok(Polynomial::species(s)),
                Ok(Symbol::Parameter(p, value)) => Ok(Polynomial::constant(Coefficient::parameter(p, value))),
                Ok(Symbol::Number(x)) => constant(x),
                Err((code, message)) => Err(error(code, node, message)),
            },
            "pi" => constant(std::f64::consts::PI),
            "exponentiale" => constant(std::f64::consts::E),
            "csymbol" => match node.attribute("definitionURL").unwrap_or("") {
                url if url.ends_with("/avogadro") => constant(AVOGADRO),
                url if url.ends_with("/time") => {
                    Err(error("E0802", node, "the law depends on time, so it is not mass action"))
                }
                url => Err(error("E0801", node, format!("the MathML symbol `{url}` is not supported"))),
            },
            "apply" => self.apply(node, depth),
            "piecewise" => Err(error("E0802", node, "a piecewise law is not a polynomial")),
            other => Err(error("E0801", node, format!("the MathML element `<{other}>` is not supported"))),
        }
    }

    fn apply(&self, node: Node, depth: usize) -> Result<Polynomial, MathError> {
        let mut parts = node.children().filter(Node::is_element);
        let Some(op) = parts.next() else {
            return Err(error("E0802", node, "an `<apply>` needs an operator"));
        };
        let (qualifiers, operands): (Vec<Node>, Vec<Node>) =
            parts.partition(|n| matches!(n.tag_name().name(), "degree" | "logbase"));
        let args = operands.iter().map(|&a| self.expr(a, depth + 1)).collect::<Result<Vec<_>, _>>()?;
        let op_name = op.tag_name().name();
        let too_many = |_: TooManyTerms| {
            error("E0802", node, "expanding this product gives more than 10,000 terms".to_string())
        };
        match (op_name, args.as_slice()) {
            ("plus", _) => Ok(args.into_iter().fold(Polynomial::default(), Polynomial::plus)),
            ("minus", [a]) => Ok(a.clone().negated()),
            ("minus", [a, b]) => Ok(a.clone().plus(b.clone().negated())),
            ("times", _) => args
                .iter()
                .try_fold(Polynomial::constant(Coefficient::number(1.0)), |p, a| p.times(a))
                .map_err(too_many),
            ("divide", [a, b]) => match b.as_constant() {
                Some(c) if c.value != 0.0 => Ok(a.clone().scaled(&c.reciprocal())),
                Some(_) => Err(error("E0802", operands[1], "this divisor is zero")),
                None if b.is_zero() => Err(error("E0802", operands[1], "this divisor is zero")),
                None => Err(error(
                    "E0802",
                    operands[1],
                    "the law divides by an expression of the species, so it is not a polynomial",
                )),
            },
            ("power", [base, exponent]) => {
                let Some(e) = exponent.as_constant().map(|c| c.value).or(exponent.is_zero().then_some(0.0))
                else {
                    return Err(error("E0802", operands[1], "an exponent that depends on the species"));
                };
                let whole = e.fract() == 0.0 && (0.0..=1000.0).contains(&e);
                if let Some(b) = base.as_constant().filter(|_| !whole) {
                    return finite(node, b.value.powf(e));
                }
                if base.is_zero() {
                    return finite(node, 0f64.powf(e));
                }
                if !whole {
                    return Err(error(
                        "E0802",
                        operands[1],
                        format!(
                            "a species expression raised to {e}: only whole powers from 0 to 1000 are polynomial"
                        ),
                    ));
                }
                base.power(e as u32).map_err(too_many)
            }
            _ => {
                let values: Option<Vec<f64>> = args
                    .iter()
                    .map(|a| if a.is_zero() { Some(0.0) } else { a.as_constant().map(|c| c.value) })
                    .collect();
                let Some(values) = values else {
                    return Err(error(
                        "E0802",
                        node,
                        format!("`{op_name}` of an expression of the species is not a polynomial"),
                    ));
                };
                let qualifier = |name: &str, default: f64| -> Result<f64, MathError> {
                    match qualifiers.iter().find(|q| q.tag_name().name() == name) {
                        Some(q) => match self.expr(*q, depth + 1).map(|p| p.as_constant().map(|c| c.value)) {
                            Ok(Some(x)) => Ok(x),
                            _ => Err(error("E0802", *q, format!("`{name}` must be a constant"))),
                        },
                        None => Ok(default),
                    }
                };
                let value = match (op_name, values.as_slice()) {
                    ("exp", [x]) => x.exp(),
                    ("ln", [x]) => x.ln(),
                    ("log", [x]) => x.log(qualifier("logbase", 10.0)?),
                    ("root", [x]) => x.powf(1.0 / qualifier("degree", 2.0)?),
                    ("abs", [x]) => x.abs(),
                    ("floor", [x]) => x.floor(),
                    ("ceiling", [x]) => x.ceil(),
                    ("max", xs) if !xs.is_empty() => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    ("min", xs) if !xs.is_empty() => xs.iter().copied().fold(f64::INFINITY, f64::min),
                    _ => {
                        return Err(error(
                            "E0801",
                            op,
                            format!(
                                "`{op_name}` with {} arguments is not supported in a kinetic law",
                                values.len()
                            ),
                        ));
                    }
                };
                finite(node, value)
            }
        }
    }
}

fn finite(node: Node, x: f64) -> Result<Polynomial, MathError> {
    if x.is_finite() {
        Ok(Polynomial::constant(Coefficient::number(x)))
    } else {
        Err(error("E0802", node, "this constant expression is not a finite number"))
    }
}

fn error(code: &'static str, node: Node, message: impl Into<String>) -> MathError {
    MathError { code, range: node.range(), message: message.into() }
}

/// The value of a `<cn>`: integer, real, e-notation or rational.
fn number(node: Node) -> Result<f64, MathError> {
    let parts: Vec<String> = node
        .children()
        .fold(vec![String::new()], |mut parts, c| {
            if c.is_element() && c.tag_name().name() == "sep" {
                parts.push(String::new());
            } else if let Some(t) = c.text() {
                parts.last_mut().expect("starts with one part").push_str(t);
            }
            parts
        })
        .into_iter()
        .map(|p| p.trim().to_string())
        .collect();
    let parse = |s: &str| s.parse::<f64>().ok().filter(|x| x.is_finite());
    let value = match (node.attribute("type").unwrap_or("real"), parts.as_slice()) {
        ("e-notation", [m, e]) => parse(m).zip(parse(e)).map(|(m, e)| m * 10f64.powf(e)),
        ("rational", [n, d]) => parse(n).zip(parse(d)).map(|(n, d)| n / d),
        (_, [x]) => parse(x),
        _ => None,
    };
    value
        .filter(|x| x.is_finite())
        .ok_or_else(|| error("E0802", node, format!("`{}` is not a finite number", parts.join(" "))))
}

/// A MathML expression as infix text, for messages.
pub fn infix(node: Node) -> String {
    infix_at(node, 0, 0)
}

fn infix_at(node: Node, outer: u8, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return "...".into();
    }
    let text = || node.text().unwrap_or("").trim().to_string();
    match node.tag_name().name() {
        "math" => {
            node.children().find(Node::is_element).map_or_else(String::new, |e| infix_at(e, 0, depth + 1))
        }
        "ci" => text(),
        "cn" => node.children().filter_map(|c| c.text()).map(str::trim).collect::<Vec<_>>().join("e"),
        "csymbol" => node.attribute("definitionURL").and_then(|u| u.rsplit('/').next()).unwrap_or("?").into(),
        "apply" => {
            let mut parts = node.children().filter(Node::is_element);
            let op = parts.next().map_or("?", |o| o.tag_name().name());
            let args: Vec<Node> = parts.collect();
            let (symbol, precedence) = match op {
                "plus" => (" + ", 1),
                "minus" if args.len() == 2 => (" - ", 1),
                "times" => (" * ", 2),
                "divide" => (" / ", 2),
                "power" => ("^", 3),
                _ => ("", 0),
            };
            let rendered = if precedence == 0 {
                let inner: Vec<String> = args.iter().map(|&a| infix_at(a, 0, depth + 1)).collect();
                let name = if op == "minus" { "-" } else { op };
                return format!("{name}({})", inner.join(", "));
            } else {
                // Left operands bind at the operator's own level; right ones (and powers) one tighter.
                let first = if op == "power" { precedence + 1 } else { precedence };
                let inner: Vec<String> = args
                    .iter()
                    .enumerate()
                    .map(|(i, &a)| infix_at(a, if i == 0 { first } else { precedence + 1 }, depth + 1))
                    .collect();
                inner.join(symbol)
            };
            if precedence < outer { format!("({rendered})") } else { rendered }
        }
        other => format!("<{other}>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(mathml: &str) -> Result<Polynomial, String> {
        let doc = roxmltree::Document::parse(mathml).unwrap();
        let resolve = |name: &str| match name {
            "S" => Ok(Symbol::Species(0)),
            "T" => Ok(Symbol::Species(1)),
            "k" => Ok(Symbol::Parameter(0, 2.0)),
            "V" => Ok(Symbol::Number(4.0)),
            _ => Err(("E0804", format!("unknown `{name}`"))),
        };
        Converter { resolve: &resolve }.math(doc.root_element()).map_err(|e| e.message)
    }

    fn math(body: &str) -> String {
        format!("<math xmlns=\"http://www.w3.org/1998/Math/MathML\">{body}</math>")
    }

    #[test]
    fn mass_action_with_a_reverse_term() {
        let p = convert(&math(
            "<apply><times/><ci>V</ci><apply><minus/><apply><times/><ci>k</ci><ci>S</ci><ci>S</ci></apply>\
             <apply><divide/><ci>T</ci><cn type='rational'>1<sep/>2</cn></apply></apply></apply>",
        ))
        .unwrap();
        assert_eq!(p.terms[&vec![(0, 2)]].value, 8.0);
        assert_eq!(p.terms[&vec![(0, 2)]].product, Some((4.0, vec![(0, 1)])));
        assert_eq!(p.terms[&vec![(1, 1)]].value, -8.0);
    }

    #[test]
    fn powers_and_constant_functions() {
        let p = convert(&math(
            "<apply><times/><apply><power/><ci>S</ci><cn type='integer'>3</cn></apply>\
             <apply><exp/><cn type='e-notation'>0<sep/>2</cn></apply><apply><root/><ci>V</ci></apply></apply>",
        ))
        .unwrap();
        assert_eq!(p.terms[&vec![(0, 3)]].value, 2.0);
    }

    #[test]
    fn what_is_not_a_polynomial_is_named() {
        let hill = math("<apply><divide/><ci>S</ci><apply><plus/><ci>k</ci><ci>S</ci></apply></apply>");
        assert!(convert(&hill).unwrap_err().contains("divides by an expression of the species"));
        let root = math("<apply><power/><ci>S</ci><cn>0.5</cn></apply>");
        assert!(convert(&root).unwrap_err().contains("raised to 0.5"));
        let exp = math("<apply><exp/><ci>S</ci></apply>");
        assert!(convert(&exp).unwrap_err().contains("`exp` of an expression"));
        let time = math("<csymbol definitionURL='http://www.sbml.org/sbml/symbols/time'>t</csymbol>");
        assert!(convert(&time).unwrap_err().contains("depends on time"));
        assert!(convert(&math("<ci>x</ci>")).unwrap_err().contains("unknown `x`"));
        let zero = math("<apply><divide/><ci>S</ci><apply><minus/><ci>V</ci><ci>V</ci></apply></apply>");
        assert!(convert(&zero).unwrap_err().contains("divisor is zero"));
    }

    #[test]
    fn infix_reads_like_the_law() {
        let text = math(
            "<apply><divide/><apply><times/><ci>k</ci><ci>S</ci></apply>\
             <apply><plus/><ci>K</ci><ci>S</ci></apply></apply>",
        );
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(infix(doc.root_element()), "k * S / (K + S)");
    }
}
