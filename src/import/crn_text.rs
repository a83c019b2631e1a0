//! Reads the text reaction list (crnsimulator's format, as written by
//! `backend::text`) into IR. A hand-written line parser: the format is
//! line-based with `#` comments and `;` separators, which a crnl-style
//! token grammar does not fit.
//!
//! Species need no declaration; a species first seen in a reaction starts at 0.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::hash::IndexMap;
use crate::ir::{self, Quantity, RateLaw};
use crate::source::{FileId, Span};

/// Parses `text` (file `file`) into one network named `default_name` unless a
/// `# network:` header names it.
pub fn read(file: FileId, text: &str, default_name: &str) -> (Option<ir::Network>, Vec<Diagnostic>) {
    let mut r = Reader {
        file,
        diags: Vec::new(),
        network: ir::Network {
            name: default_name.to_string(),
            span: Span::new(file, 0, 0),
            rate_law: RateLaw::MassAction,
            volume: 1.0,
            annihilation: ir::DEFAULT_ANNIHILATION,
            compartments: IndexMap::default(),
            separation: None,
            species: IndexMap::default(),
            energies: IndexMap::default(),
            potentials: Vec::new(),
            learning_rules: Vec::new(),
            params: IndexMap::default(),
            reactions: Arc::default(),
            ode: Default::default(),
            learning: None,
            protocol: None,
            simulate: Default::default(),
            schedule: Vec::new(),
            groups: vec![crate::crn::MAIN_GROUP.to_string()],
        },
        amounts: Vec::new(),
        names: Vec::new(),
        rates_as: None,
    };
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        r.line(offset, line.trim_end_matches(['\n', '\r']));
        offset += line.len();
    }
    for (name, span) in std::mem::take(&mut r.amounts) {
        match r.network.species.get_mut(&name) {
            Some(s) => s.quantity = Quantity::Amount,
            None => r.diags.push(
                Diagnostic::error("E0200", format!("`# amounts:` names `{name}`, which no line mentions"))
                    .with_primary(span, "unknown species"),
            ),
        }
    }
    r.restore_names();
    if r.rates_as.is_some_and(|law| law != r.network.rate_law) {
        r.convert_rates();
    }
    let ok = !r.diags.iter().any(Diagnostic::is_error);
    (ok.then_some(r.network), r.diags)
}

struct Reader {
    file: FileId,
    diags: Vec<Diagnostic>,
    network: ir::Network,
    amounts: Vec<(String, Span)>,
    /// `# name: w_0 = w[0]`: the real name of a species written as a plain identifier.
    names: Vec<(String, String, Span)>,
    /// `# rates:`: the convention the rates are written in, when it is not the network's.
    rates_as: Option<RateLaw>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum T<'s> {
    Name(&'s str),
    Num(&'s str),
    Sym(&'static str),
}

impl Reader {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn line(&mut self, offset: usize, line: &str) {
        let (code, comment) = match line.find('#') {
            Some(i) => (&line[..i], Some((offset + i, &line[i + 1..]))),
            None => (line, None),
        };
        if let Some((at, comment)) = comment {
            self.header(at, comment);
        }
        let mut start = 0;
        for stmt in code.split(';') {
            if !stmt.trim().is_empty() {
                self.statement(offset + start, stmt);
            }
            start += stmt.len() + 1;
        }
    }

    /// `# key: value` lines written by crnc; other comments are ignored.
    fn header(&mut self, at: usize, comment: &str) {
        let Some((key, value)) = comment.split_once(':') else { return };
        let value_at = at + 1 + key.len() + 1 + (value.len() - value.trim_start().len());
        let value = value.trim();
        let span = self.span(value_at, value_at + value.len());
        match key.trim() {
            "network" => self.network.name = value.to_string(),
            "rate-law" => match RateLaw::from_name(value) {
                Some(law) => self.network.rate_law = law,
                None => self.diags.push(
                    Diagnostic::error("E0205", "unknown rate law")
                        .with_primary(span, "expected `mass-action` or `combinatoric`"),
                ),
            },
            "volume" => match value.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => self.network.volume = v,
                _ => self.diags.push(
                    Diagnostic::error("E0205", "the volume must be a positive finite number")
                        .with_primary(span, "not a positive number"),
                ),
            },
            "name" => match value.split_once('=') {
                Some((plain, real)) if !plain.trim().is_empty() && !real.trim().is_empty() => {
                    self.names.push((plain.trim().to_string(), real.trim().to_string(), span));
                }
                _ => self.diags.push(
                    Diagnostic::error("E0100", "a `# name:` line is `# name: plain = real`")
                        .with_primary(span, "expected `plain = real`")
                        .with_hint("e.g. `# name: w_0 = w[0]`"),
                ),
            },
            // Rates written in plain mass action for other readers (backend::text);
            // multiplied back by ∏α! once the rate law is known.
            "rates" => match RateLaw::from_name(value) {
                Some(law) => self.rates_as = Some(law),
                None => self.diags.push(
                    Diagnostic::error("E0205", "unknown rate convention")
                        .with_primary(span, "expected `mass-action` or `combinatoric`"),
                ),
            },
            "amounts" => {
                let mut pos = value_at;
                for name in value.split(' ') {
                    if !name.is_empty() {
                        self.amounts.push((name.to_string(), self.span(pos, pos + name.len())));
                    }
                    pos += name.len() + 1;
                }
            }
            _ => {}
        }
    }

    /// Rates written in the other convention, brought to the network's: ∏α!
    /// over the complex each half consumes. A product past f64 (200 A) would
    /// make a rate infinite or zero: an error at the line, never such a rate.
    fn convert_rates(&mut self) {
        let to_combinatoric = self.network.rate_law == RateLaw::Combinatoric;
        let mut out_of_range = Vec::new();
        for r in Arc::make_mut(&mut self.network.reactions) {
            let halves = [(Some(&mut r.forward), &r.reactants), (r.reverse.as_mut(), &r.products)];
            for (rate, complex) in halves {
                let Some(rate) = rate else { continue };
                let factor = crate::crn::factorial_product(complex.iter().map(|&(_, n)| n));
                rate.value = if to_combinatoric { rate.value * factor } else { rate.value / factor };
                if !rate.value.is_finite() || rate.value == 0.0 {
                    out_of_range.push(r.span);
                }
            }
        }
        for span in out_of_range {
            self.diags.push(
                Diagnostic::error("E0302", "this rate leaves the range of 64-bit numbers in the network's convention")
                    .with_primary(span, "its rate times (or divided by) the product of the coefficients' factorials")
                    .with_hint("with `# rates: mass-action`, a combinatoric rate is the line's rate times ∏α!; use smaller coefficients"),
            );
        }
    }

    /// Renames species written under plain names back to their real names.
    fn restore_names(&mut self) {
        for (plain, real, span) in std::mem::take(&mut self.names) {
            let Some(index) = self.network.species.get_index_of(&plain) else {
                self.diags.push(
                    Diagnostic::error("E0200", format!("`# name:` names `{plain}`, which no line mentions"))
                        .with_primary(span, "unknown species"),
                );
                continue;
            };
            if self.network.species.contains_key(&real) {
                self.diags.push(
                    Diagnostic::error("E0201", format!("`{real}` is defined twice"))
                        .with_primary(span, "this name is already a species")
                        .with_hint("each species has one name"),
                );
                continue;
            }
            let (_, mut species) = self.network.species.shift_remove_index(index).expect("index is in range");
            species.name = real.clone();
            self.network.species.shift_insert(index, real.clone(), species);
            for r in Arc::make_mut(&mut self.network.reactions) {
                for (name, _) in r.reactants.iter_mut().chain(r.products.iter_mut()) {
                    if *name == plain {
                        name.clone_from(&real);
                    }
                }
            }
        }
    }

    fn statement(&mut self, offset: usize, text: &str) {
        let Some(tokens) = self.tokens(offset, text) else { return };
        let whole = self.span(tokens[0].0, tokens[tokens.len() - 1].2);
        let mut p = Parser { file: self.file, tokens: &tokens, at: 0, end: whole.end as usize };
        if let [(_, T::Name(name), _), (_, T::Sym("@"), _), ..] = tokens[..] {
            return self.concentration(&mut p, name, whole);
        }
        let result = (|| {
            let reactants = p.complex()?;
            let arrow = p.next("`->` or `<=>`")?;
            let reversible = match arrow.1 {
                T::Sym("->") => false,
                T::Sym("<=>") => true,
                _ => return Err(p.unexpected(arrow, "`->` or `<=>`")),
            };
            let products = p.complex()?;
            let rates = p.rates(reversible)?;
            p.finish()?;
            Ok((reactants, reversible, products, rates))
        })();
        match result {
            Ok((reactants, reversible, products, rates)) => {
                self.reaction(reactants, reversible, products, rates, whole)
            }
            Err((span, message)) => self.syntax_error(span, message),
        }
    }

    fn syntax_error(&mut self, (start, end): (usize, usize), message: String) {
        self.diags.push(
            Diagnostic::error("E0100", message).with_primary(self.span(start, end), "here").with_hint(
                "lines look like `A + B -> 2 C [k = 0.2]`, `A <=> B [kf = 1, kr = 0.5]` or `A @initial 2`",
            ),
        );
    }

    fn concentration(&mut self, p: &mut Parser<'_, '_>, name: &str, whole: Span) {
        p.at = 2;
        let result = (|| {
            let mode = p.next("`initial` or `constant`")?;
            let value = p.number()?;
            p.finish()?;
            Ok((mode, value))
        })();
        let ((ms, mode, me), (value, _)) = match result {
            Ok(x) => x,
            Err((span, message)) => return self.syntax_error(span, message),
        };
        match mode {
            T::Name("initial" | "i") => {}
            T::Name("constant" | "c") => {
                return self.diags.push(
                    Diagnostic::error("E0212", "constant species are not supported yet")
                        .with_primary(self.span(ms, me), "`@constant` holds a species fixed")
                        .with_hint("use `@initial` and make sure no reaction changes the species"),
                );
            }
            _ => return self.syntax_error((ms, me), "expected `initial` or `constant` after `@`".into()),
        }
        let span = self.span(whole.start as usize, whole.start as usize + name.len());
        self.species(name, span).initial = value;
    }

    fn species(&mut self, name: &str, span: Span) -> &mut ir::Species {
        self.network.species.entry(name.to_string()).or_insert_with(|| ir::Species {
            name: name.to_string(),
            initial: 0.0,
            quantity: Quantity::Concentration,
            signed: false,
            span,
            role: crate::crn::Role::Plain,
            rail: None,
            group: None,
            compartment: None,
        })
    }

    fn reaction(
        &mut self,
        reactants: Vec<(String, u32, Span)>,
        reversible: bool,
        products: Vec<(String, u32, Span)>,
        rates: Vec<(f64, Span)>,
        span: Span,
    ) {
        let mut side = |terms: Vec<(String, u32, Span)>| -> Vec<(String, u32)> {
            let mut out: Vec<(String, u32)> = Vec::new();
            for (name, n, span) in terms {
                self.species(&name, span);
                match out.iter_mut().find(|(s, _)| *s == name) {
                    Some((_, m)) => *m += n,
                    None => out.push((name, n)),
                }
            }
            if let Some((name, n)) = out.iter().find(|(_, n)| *n > ir::MAX_COEFFICIENT) {
                self.diags.push(
                    Diagnostic::error("E0303", format!("{n} molecules of `{name}` in one complex"))
                        .with_primary(
                            span,
                            format!("at most {} of one species per complex", ir::MAX_COEFFICIENT),
                        )
                        .with_hint(
                            "elementary reactions involve a few molecules; rescale the species instead",
                        ),
                );
            }
            out
        };
        let (reactants, products) = (side(reactants), side(products));
        let mut rate = |i: usize| -> ir::Rate {
            let Some(&(value, span)) = rates.get(i) else { return ir::Rate { value: 1.0, param: None } };
            if value == 0.0 {
                self.diags.push(crate::check::zero_rate(span));
            }
            ir::Rate { value, param: None }
        };
        let forward = rate(0);
        let reverse = reversible.then(|| rate(1));
        let reaction = ir::Reaction {
            label: None,
            reactants,
            products,
            forward,
            reverse,
            span,
            brought_in_at: Vec::new(),
            law: None,
            group: crate::crn::GroupId::MAIN,
        };
        Arc::make_mut(&mut self.network.reactions).extend(reaction.without_zero_rates());
    }

    fn tokens<'s>(&mut self, offset: usize, text: &'s str) -> Option<Vec<(usize, T<'s>, usize)>> {
        let mut out = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let start = i;
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let token = if c.is_ascii_alphabetic() || c == b'_' {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                T::Name(&text[start..i])
            } else if c.is_ascii_digit() || c == b'.' {
                i += 1;
                while i < bytes.len() {
                    let d = bytes[i];
                    let exponent_sign = (d == b'-' || d == b'+') && matches!(bytes[i - 1], b'e' | b'E');
                    if d.is_ascii_digit() || d == b'.' || d == b'e' || d == b'E' || exponent_sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                T::Num(&text[start..i])
            } else {
                let sym = ["<=>", "->", "+", "@", "[", "]", ",", "="]
                    .into_iter()
                    .find(|s| text[i..].starts_with(s));
                match sym {
                    Some(s) => {
                        i += s.len();
                        T::Sym(s)
                    }
                    None => {
                        let ch = text[i..].chars().next().expect("i is on a char boundary");
                        let end = offset + i + ch.len_utf8();
                        self.syntax_error((offset + i, end), format!("unexpected character `{ch}`"));
                        return None;
                    }
                }
            };
            out.push((offset + start, token, offset + i));
        }
        Some(out)
    }
}

type ParseResult<T> = Result<T, ((usize, usize), String)>;

struct Parser<'a, 's> {
    file: FileId,
    tokens: &'a [(usize, T<'s>, usize)],
    at: usize,
    end: usize,
}

impl<'s> Parser<'_, 's> {
    fn peek(&self) -> Option<(usize, T<'s>, usize)> {
        self.tokens.get(self.at).copied()
    }

    fn next(&mut self, expected: &str) -> ParseResult<(usize, T<'s>, usize)> {
        let t = self.peek().ok_or_else(|| ((self.end, self.end), format!("expected {expected} here")))?;
        self.at += 1;
        Ok(t)
    }

    fn unexpected(&self, (s, t, e): (usize, T<'_>, usize), expected: &str) -> ((usize, usize), String) {
        let found = match t {
            T::Name(n) | T::Num(n) => n,
            T::Sym(s) => s,
        };
        ((s, e), format!("expected {expected}, found `{found}`"))
    }

    fn eat(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Some((_, T::Sym(s), _)) if s == sym) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> ParseResult<(f64, Span)> {
        let t = self.next("a number")?;
        match t.1 {
            T::Num(text) => match text.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok((v, Span::new(self.file, t.0, t.2))),
                _ => Err(((t.0, t.2), format!("`{text}` is not a finite number"))),
            },
            _ => Err(self.unexpected(t, "a number")),
        }
    }

    fn complex(&mut self) -> ParseResult<Vec<(String, u32, Span)>> {
        let mut out = Vec::new();
        // crnsimulator writes the empty side as nothing; crnl's `0` is accepted too.
        if let Some((_, T::Num("0"), _)) = self.peek()
            && !matches!(self.tokens.get(self.at + 1), Some((_, T::Name(_), _)))
        {
            self.at += 1;
            return Ok(out);
        }
        loop {
            let (start, coefficient) = match self.peek() {
                Some((s, T::Num(text), e)) => {
                    self.at += 1;
                    match text.parse::<u32>() {
                        Ok(n) if (1..=ir::MAX_COEFFICIENT).contains(&n) => (s, n),
                        _ => {
                            return Err((
                                (s, e),
                                format!("`{text}` is not a coefficient from 1 to {}", ir::MAX_COEFFICIENT),
                            ));
                        }
                    }
                }
                Some((s, T::Name(_), _)) => (s, 1),
                _ if out.is_empty() => return Ok(out),
                Some(t) => return Err(self.unexpected(t, "a species")),
                None => return Err(((self.end, self.end), "expected a species".into())),
            };
            let t = self.next("a species")?;
            let T::Name(name) = t.1 else { return Err(self.unexpected(t, "a species")) };
            out.push((name.to_string(), coefficient, Span::new(self.file, start, t.2)));
            if !self.eat("+") {
                return Ok(out);
            }
        }
    }

    /// `[k = x]`, `[x]`, `[kf = x, kr = y]` or `[x, y]`; nothing means rate 1.
    fn rates(&mut self, reversible: bool) -> ParseResult<Vec<(f64, Span)>> {
        if !self.eat("[") {
            return Ok(Vec::new());
        }
        let names: &[&str] = if reversible { &["kf", "kr"] } else { &["k"] };
        let mut out = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if i > 0 && !self.eat(",") {
                let t = self.next("`,`")?;
                return Err(self.unexpected(t, "`,` and the reverse rate"));
            }
            if matches!(self.peek(), Some((_, T::Name(_), _))) {
                let t = self.next(name)?;
                let ok = matches!(
                    (t.1, *name),
                    (T::Name("k"), "k") | (T::Name("kf" | "fw"), "kf") | (T::Name("kr" | "bw" | "rv"), "kr")
                );
                if !ok || !self.eat("=") {
                    return Err(self.unexpected(t, &format!("`{name} =`")));
                }
            }
            out.push(self.number()?);
        }
        let t = self.next("`]`")?;
        if t.1 != T::Sym("]") {
            return Err(self.unexpected(t, "`]`"));
        }
        Ok(out)
    }

    fn finish(&mut self) -> ParseResult<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(self.unexpected(t, "the end of the statement")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(text: &str) -> Vec<(f64, Option<f64>)> {
        let (network, diags) = read(FileId(0), text, "N");
        assert!(diags.is_empty(), "{diags:?}");
        network
            .unwrap()
            .reactions
            .iter()
            .map(|r| (r.forward.value, r.reverse.as_ref().map(|k| k.value)))
            .collect()
    }

    #[test]
    fn rates_written_in_mass_action_are_brought_back_to_the_combinatoric_constants() {
        let lines =
            "2 A <=> B [kf = 0.5, kr = 3]\n3 A + 2 C -> D [k = 1] # combinatoric k = 12\nA -> 0 [k = 4]\n";
        let converted = format!("# rate-law: combinatoric\n# rates: mass-action\n{lines}");
        assert_eq!(rates(&converted), [(1.0, Some(3.0)), (12.0, None), (4.0, None)]);
        // Files without `# rates:` (crnc before 0.1) wrote the constants themselves.
        let as_is = format!("# rate-law: combinatoric\n{lines}");
        assert_eq!(rates(&as_is), [(0.5, Some(3.0)), (1.0, None), (4.0, None)]);
        let mass_action = format!("# rate-law: mass-action\n# rates: mass-action\n{lines}");
        assert_eq!(rates(&mass_action), [(0.5, Some(3.0)), (1.0, None), (4.0, None)]);
    }

    #[test]
    fn a_converted_rate_past_the_float_range_is_an_error() {
        let text = "# rate-law: combinatoric\n# rates: mass-action\n200 A -> B [k = 1]\n";
        let (network, diags) = read(FileId(0), text, "N");
        assert!(network.is_none());
        assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), ["E0302"]);
    }
}
