//! BioNetGen `.net` files (the reaction networks BioNetGen generates) turned
//! into crnl source, which then goes through the ordinary front end. Rate
//! expressions and parameter definitions are BioNetGen arithmetic, which crnl
//! expressions already cover; species become `S<index>` with the BioNetGen
//! pattern kept in a comment.
//!
//! Semantics: BioNetGen's rates are plain mass action (`2 A` at rate k gives
//! flux k·a², the symmetry factor already in k), concentrations, volume 1.
//!
//! Each `.net` line becomes one line of crnl, and the translation keeps which
//! piece of it came from which piece of the `.net` text (the line, and each
//! name, index and rate word in it), so diagnostics in the translation are
//! shown on the `.net` file's own lines ([`crate::source::Origin`]).

use std::fmt::Write as _;

use crate::diagnostic::Diagnostic;
use crate::import::identifier;
use crate::source::{FileId, Origin, Span};
use crate::syntax::lexer::lex;

/// A `.net` file as crnl text, and where each piece of that text came from.
#[derive(Debug)]
pub struct Translation {
    pub text: String,
    pub origin: Origin,
}

/// The crnl text for `text`, or the diagnostics that stopped the translation.
pub fn to_crnl(file: FileId, text: &str, network_name: &str) -> Result<Translation, Vec<Diagnostic>> {
    let mut t = Translator { file, out: String::new(), pieces: Vec::new(), diags: Vec::new(), species: 0 };
    let _ = writeln!(
        t.out,
        "// Translated by crnc from a BioNetGen network; species S<i> are BioNetGen's species i."
    );
    let _ = writeln!(t.out, "network {} {{", identifier(network_name));
    let mut section: Option<&str> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let (code, comment) = match raw.find('#') {
            Some(i) => (&raw[..i], raw[i + 1..].trim()),
            None => (raw, ""),
        };
        let words: Vec<Word> =
            words(code).map(|(i, w)| (line_start + i..line_start + i + w.len(), w)).collect();
        let Some((at, first)) = words.first().cloned() else { continue };
        match (first, words.get(1).map(|w| w.1)) {
            ("begin", Some(name)) => {
                section = Some(match name {
                    "parameters" => "parameters",
                    "species" => "species",
                    "reactions" => "reactions",
                    _ => "other",
                });
                continue;
            }
            ("end", _) => {
                section = None;
                continue;
            }
            _ => {}
        }
        let span = Span::new(file, at.start, line_start + code.trim_end().len());
        let line_out = t.out.len();
        match section {
            Some("parameters") => t.parameter(&words, span),
            Some("species") => t.species_line(&words, span),
            Some("reactions") => t.reaction(&words, comment, span),
            Some(_) => {}
            None => t.diags.push(
                Diagnostic::error("E0100", "a line outside any `begin ... end` section")
                    .with_primary(span, "not in a section")
                    .with_hint(
                        "a .net file has `begin parameters`, `begin species` and `begin reactions` sections",
                    ),
            ),
        }
        if t.out.len() > line_out {
            t.pieces.push((line_out..t.out.len(), span.range()));
        }
    }
    t.out.push_str("}\n");
    if t.diags.iter().any(Diagnostic::is_error) {
        return Err(t.diags);
    }
    // Lines before words: the smallest piece is found whatever the order, and
    // the lookup wants them sorted by where they start in the translation.
    t.pieces.sort_by_key(|(made, _)| (made.start, std::cmp::Reverse(made.end)));
    Ok(Translation { text: t.out, origin: Origin { file, pieces: t.pieces } })
}

/// A word of a `.net` line and its byte range in the file.
type Word<'a> = (std::ops::Range<usize>, &'a str);

struct Translator {
    file: FileId,
    out: String,
    /// `(translation, .net)` byte ranges of the words written so far.
    pieces: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
    diags: Vec<Diagnostic>,
    species: usize,
}

impl Translator {
    fn bad(&mut self, span: Span, message: &str, hint: &str) {
        self.diags
            .push(Diagnostic::error("E0100", message.to_string()).with_primary(span, "here").with_hint(hint));
    }

    /// `index name expression`
    /// Writes `text`, which came from `from` in the `.net` file.
    fn word(&mut self, text: &str, from: &std::ops::Range<usize>) {
        let start = self.out.len();
        self.out.push_str(text);
        self.pieces.push((start..self.out.len(), from.clone()));
    }

    fn parameter(&mut self, words: &[Word], span: Span) {
        let [_, name, rest @ ..] = words else {
            return self.bad(
                span,
                "a parameter line needs an index, a name and a value",
                "e.g. `1 kon 0.01`",
            );
        };
        if rest.is_empty() {
            return self.bad(
                span,
                "a parameter line needs an index, a name and a value",
                "e.g. `1 kon 0.01`",
            );
        }
        self.out.push_str("  param ");
        self.word(&identifier(name.1), &name.0);
        self.out.push_str(" = ");
        self.expression(rest);
        self.out.push_str(";\n");
    }

    /// `index pattern initial-amount`
    fn species_line(&mut self, words: &[Word], span: Span) {
        let [(_, index), (pattern_at, pattern), rest @ ..] = words else {
            return self.bad(
                span,
                "a species line needs an index, a pattern and an initial value",
                "e.g. `1 A(b) A0`",
            );
        };
        self.species += 1;
        if index.parse::<usize>() != Ok(self.species) {
            return self.bad(
                span,
                "species must be numbered 1, 2, 3, ... in order",
                "this index is out of sequence",
            );
        }
        if pattern.starts_with('$') {
            self.diags.push(
                Diagnostic::error("E0212", "fixed (`$`) species are not supported yet")
                    .with_primary(span, "a species held constant")
                    .with_hint("remove the `$` to let reactions change it"),
            );
            return;
        }
        self.out.push_str("  species ");
        self.word(&format!("S{index}"), pattern_at);
        self.out.push_str(" = ");
        if rest.is_empty() {
            self.out.push('0');
        } else {
            self.expression(rest);
        }
        let _ = writeln!(self.out, "; // {pattern}");
    }

    /// `index reactants products rate [#label]`, species lists comma-separated, `0` for none.
    fn reaction(&mut self, words: &[Word], label: &str, span: Span) {
        let [_, (reactants_at, reactants), (products_at, products), rest @ ..] = words else {
            return self.bad(
                span,
                "a reaction line needs an index, reactants, products and a rate",
                "e.g. `1 1,2 3 kon`",
            );
        };
        if rest.is_empty() {
            return self.bad(
                span,
                "a reaction line needs an index, reactants, products and a rate",
                "e.g. `1 1,2 3 kon`",
            );
        }
        let (Some(lhs), Some(rhs)) = (self.complex(reactants), self.complex(products)) else {
            return self.bad(
                span,
                "species lists are comma-separated species indices, or 0 for none",
                "e.g. `1,2` or `0`",
            );
        };
        self.out.push_str("  ");
        self.word(&lhs, reactants_at);
        self.out.push_str(" -> ");
        self.word(&rhs, products_at);
        self.out.push_str(" @ ");
        self.expression(rest);
        let label = if label.is_empty() { String::new() } else { format!(" // {label}") };
        let _ = writeln!(self.out, ";{label}");
    }

    fn complex(&self, list: &str) -> Option<String> {
        if list == "0" {
            return Some("0".to_string());
        }
        let mut terms = Vec::new();
        for index in list.split(',') {
            let i: usize = index.parse().ok()?;
            if i == 0 || i > self.species {
                return None;
            }
            terms.push(format!("S{i}"));
        }
        Some(terms.join(" + "))
    }

    /// Words written back one by one, so each keeps its place in the `.net`
    /// line; names that are crnl keywords are renamed the same way everywhere.
    fn expression(&mut self, words: &[Word]) {
        for (i, (at, text)) in words.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            let (tokens, _) = lex(self.file, text);
            let mut renamed = String::new();
            let mut last = 0;
            for (start, _, end) in tokens {
                renamed.push_str(&text[last..start]);
                let word = &text[start..end];
                if word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                    renamed.push_str(&identifier(word));
                } else {
                    renamed.push_str(word);
                }
                last = end;
            }
            renamed.push_str(&text[last..]);
            self.word(&renamed, at);
        }
    }
}

/// Whitespace-separated words with their byte offsets.
fn words(line: &str) -> impl Iterator<Item = (usize, &str)> {
    line.split_whitespace().map(move |w| (w.as_ptr() as usize - line.as_ptr() as usize, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_parameters_species_and_reactions() {
        let net = "begin parameters\n 1 kon 0.01 # c\n 2 species 2*kon\nend parameters\n\
                   begin species\n 1 A(b) 100\n 2 B(a) 0\nend species\n\
                   begin reactions\n 1 1,1 2 0.5*species #_R1\n 2 2 0 kon\nend reactions\n\
                   begin groups\n 1 Atot 1\nend groups\n";
        let crnl = to_crnl(FileId(0), net, "my-net").unwrap().text;
        assert!(crnl.contains("network my_net {"), "{crnl}");
        assert!(crnl.contains("param species_ = 2*kon;"), "{crnl}");
        assert_eq!(identifier("simulate"), "simulate_");
        assert_eq!(identifier("k.1"), "k_1");
        assert!(crnl.contains("species S1 = 100; // A(b)"), "{crnl}");
        assert!(crnl.contains("S1 + S1 -> S2 @ 0.5*species_; // _R1"), "{crnl}");
        assert!(crnl.contains("S2 -> 0 @ kon;"), "{crnl}");
    }

    #[test]
    fn bad_lines_are_diagnosed() {
        let errs = to_crnl(FileId(0), "begin reactions\n 1 1,x 2 k\nend reactions\n", "n").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.contains("comma-separated"));
    }
}
