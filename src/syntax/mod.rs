//! Source text to syntax tree: the logos lexer, the LALRPOP parser, and the
//! conversion of parse errors into diagnostics.
//!
//! Parsing never fails: [`parse`] returns a tree (possibly missing the broken
//! statements) and a diagnostic for every lexical and syntax error.

pub mod ast;
pub mod lexer;

use crate::hash::HashSet;

use indexmap::IndexMap;
use lalrpop_util::{ErrorRecovery, ParseError};

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use ast::SourceFileAst;
use lexer::{Spanned, Tok};

#[allow(clippy::all, unused_parens, dead_code)]
mod generated {
    lalrpop_util::lalrpop_mod!(pub crnl, "/crnl.rs");
}

/// How often a file is parsed again with the `;`s found missing put in.
/// Each round only adds what the previous one's error recovery hid; more
/// than a few rounds means the file is not a near miss, and the errors left
/// are reported as they are.
const SEMICOLON_ROUNDS: usize = 4;

/// A parsed file.
pub struct Parsed {
    pub ast: SourceFileAst,
    pub diagnostics: Vec<Diagnostic>,
    /// Whether some of the text is missing from the tree: a statement the
    /// parser skipped, characters the lexer dropped. Only then may names be
    /// missing that the file meant to define.
    pub lost_text: bool,
}

/// Parses one file's text.
pub fn parse(file: FileId, text: &str) -> (SourceFileAst, Vec<Diagnostic>) {
    let parsed = parse_file(file, text);
    (parsed.ast, parsed.diagnostics)
}

/// Parses one file's text, putting a `;` where a statement ends at a line
/// break without one, so one forgotten `;` costs neither the statement nor the
/// next one, and gives one error.
pub fn parse_file(file: FileId, text: &str) -> Parsed {
    let (mut tokens, mut diagnostics) = lex_all(file, text);
    let mut lost_text = diagnostics.iter().any(|d| d.message != lexer::HASH_COMMENT);
    // Each insertion: where the `;` went, and the error it answers. Sets and
    // one merge per round keep a round linear in the tokens: a file with a
    // wrong guess at every line break must not take quadratic time.
    let mut inserted: IndexMap<usize, Diagnostic> = IndexMap::new();
    let mut refused: HashSet<usize> = HashSet::default();
    let mut round = 0;
    let (ast, errors) = loop {
        let (ast, errors) = run_parser(file, &tokens);
        let error_starts: HashSet<usize> = errors.iter().filter_map(error_start).collect();
        // A `;` put in where the parser still fails right after it was a wrong
        // guess: take it out, keep the original error, and never guess there again.
        let wrong: HashSet<usize> = inserted
            .keys()
            .copied()
            .filter(|&at| {
                error_starts.contains(&at)
                    || next_start(&tokens, at).is_some_and(|l| error_starts.contains(&l))
            })
            .collect();
        let context = Context { file, tokens: &tokens, text };
        let mut fresh: Vec<(usize, Diagnostic)> = errors
            .iter()
            .filter_map(|e| context.missing_semicolon(e))
            .filter(|(at, _)| !refused.contains(at) && !inserted.contains_key(at))
            .collect();
        round += 1;
        if round > SEMICOLON_ROUNDS || (wrong.is_empty() && fresh.is_empty()) {
            break (ast, errors);
        }
        inserted.retain(|at, _| !wrong.contains(at));
        refused.extend(&wrong);
        fresh.sort_by_key(|(at, _)| *at);
        fresh.dedup_by_key(|(at, _)| *at);
        // Right after the line's last token, which starts before `at`; the
        // next token starts after it.
        let kept = tokens.into_iter().filter(|&(l, t, r)| !(t == Tok::Semi && l == r && wrong.contains(&l)));
        let semis = fresh.iter().map(|&(at, _)| (at, Tok::Semi, at));
        tokens = merge_by_start(kept, semis);
        inserted.extend(fresh);
    };
    let context = Context { file, tokens: &tokens, text };
    // A block comment left open hides the rest of the file, so the "unexpected
    // end of file" it causes says nothing new.
    let open_comment = diagnostics.iter().any(|d| d.message == lexer::UNTERMINATED_COMMENT);
    lost_text |= !errors.is_empty();
    diagnostics.extend(inserted.into_values());
    for e in errors {
        if !(open_comment && matches!(e, ParseError::UnrecognizedEof { .. })) {
            diagnostics.push(context.describe(e));
        }
    }
    let ast = ast.unwrap_or(SourceFileAst { items: Vec::new() });
    Parsed { ast, diagnostics, lost_text }
}

/// One parse of `tokens`: the tree (if the parser got to the end) and every error.
fn run_parser<'s>(
    file: FileId,
    tokens: &[Spanned<'s>],
) -> (Option<SourceFileAst>, Vec<ParseError<usize, Tok<'s>, ()>>) {
    let mut recovered: Vec<Recovery<'s>> = Vec::new();
    let stream = tokens.iter().map(|&t| Ok::<_, ()>(t));
    let result = generated::crnl::FileParser::new().parse(file, &mut recovered, stream);
    let mut errors: Vec<_> = recovered.into_iter().map(|e| e.error).collect();
    let ast = match result {
        Ok(ast) => Some(ast),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    (ast, errors)
}

/// Where the token an error is about starts.
fn error_start(error: &ParseError<usize, Tok<'_>, ()>) -> Option<usize> {
    match error {
        ParseError::UnrecognizedToken { token: (l, ..), .. } | ParseError::ExtraToken { token: (l, ..) } => {
            Some(*l)
        }
        _ => None,
    }
}

/// Where the first token after the `;` put in at `at` starts.
fn next_start(tokens: &[Spanned<'_>], at: usize) -> Option<usize> {
    let from = tokens.partition_point(|t| t.0 < at);
    tokens[from..].iter().find(|&&(l, t, r)| !(t == Tok::Semi && l == at && r == at)).map(|&(l, ..)| l)
}

/// Two token streams, each sorted by start, as one; on a tie the second's
/// token (a `;` put in) goes first.
fn merge_by_start<'s>(
    a: impl Iterator<Item = Spanned<'s>>,
    b: impl Iterator<Item = Spanned<'s>>,
) -> Vec<Spanned<'s>> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    let mut out = Vec::with_capacity(a.size_hint().0 + b.size_hint().0);
    loop {
        let take_b = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => y.0 <= x.0,
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (None, None) => return out,
        };
        out.extend(if take_b { b.next() } else { a.next() });
    }
}

/// Tokens only; exposed for the property tests over token streams.
pub fn lex_all(file: FileId, text: &str) -> (Vec<Spanned<'_>>, Vec<Diagnostic>) {
    lexer::lex(file, text)
}

struct Context<'a, 's> {
    file: FileId,
    tokens: &'a [Spanned<'s>],
    text: &'s str,
}

impl Context<'_, '_> {
    /// For an error at the first token of a line where a `;` would have been
    /// accepted: where the `;` goes (the end of the line's last token), and
    /// the error as it is reported.
    fn missing_semicolon(&self, error: &ParseError<usize, Tok<'_>, ()>) -> Option<(usize, Diagnostic)> {
        let ParseError::UnrecognizedToken { token: (l, _, _), expected } = error else { return None };
        if !expected.iter().any(|e| e == "\";\"") {
            return None;
        }
        let index = self.tokens.partition_point(|t| t.0 < *l);
        let &(_, previous, end) = self.tokens[..index].last()?;
        if previous == Tok::Semi || !self.text[end..*l].contains('\n') {
            return None;
        }
        Some((end, self.describe(error.clone())))
    }

    fn describe(&self, error: ParseError<usize, Tok<'_>, ()>) -> Diagnostic {
        match error {
            ParseError::UnrecognizedToken { token: (l, tok, r), expected } => {
                self.unexpected(Span::new(self.file, l, r), &tok.describe(), &expected, l)
            }
            ParseError::ExtraToken { token: (l, tok, r) } => {
                Diagnostic::error("E0100", format!("unexpected {}", tok.describe()))
                    .with_primary(Span::new(self.file, l, r), "nothing more was expected here")
            }
            ParseError::UnrecognizedEof { location, expected } => {
                let end = self.text.len();
                let start = self.tokens.last().map_or(location.min(end), |t| t.0);
                let mut d = Diagnostic::error("E0101", "unexpected end of file")
                    .with_primary(Span::new(self.file, start, end), "the file ends here");
                if let Some(list) = expected_list(&expected) {
                    d = d.with_note(format!("expected {list}"));
                }
                let hint = if expected.iter().any(|e| e == "\"}\"") {
                    "a `}` is missing: every `network {` needs a closing brace"
                } else {
                    "the last statement is incomplete"
                };
                d.with_hint(hint)
            }
            ParseError::InvalidToken { location } => Diagnostic::error("E0100", "invalid token")
                .with_primary(Span::new(self.file, location, location), "here"),
            ParseError::User { error: () } => Diagnostic::error("E0100", "syntax error"),
        }
    }

    fn unexpected(&self, span: Span, found: &str, expected: &[String], at: usize) -> Diagnostic {
        let mut d = Diagnostic::error("E0100", format!("unexpected {found}"));
        let list = expected_list(expected);
        let label = match &list {
            Some(list) => format!("expected {list}"),
            None => "not expected here".to_string(),
        };
        d = d.with_primary(span, label);
        let wants = |t: &str| expected.iter().any(|e| e == t);
        // Tokens are sorted and do not overlap: the one before `at` ends at or before it.
        let previous = self.tokens[..self.tokens.partition_point(|t| t.0 < at)].last();
        // A statement cut off at the end of a line is the classic missing `;`.
        let after_line_break = previous.is_some_and(|&(_, _, end)| self.text[end..at].contains('\n'));
        let is_value = found.starts_with("number") || found.starts_with("identifier");
        if wants("\"@\"") && is_value && !after_line_break {
            d = d.with_hint("a rate constant comes after `@`: `A -> B @ 0.5;`");
        } else if wants("\";\"") && after_line_break {
            if let Some(&(pl, _, pr)) = previous {
                d = d.with_secondary(Span::new(self.file, pl, pr), "a `;` may be missing after this");
            }
            d = d.with_hint("every statement ends with `;`");
        } else if wants("\"->\"") || wants("\"<->\"") {
            d = d.with_hint("a reaction is `reactants -> products @ rate;` (or `<->` with two rates)");
        } else if wants("\",\"") && is_value {
            d = d.with_hint("separate the entries of a list with `,`");
        } else if wants("\";\"") {
            d = d.with_hint("every statement ends with `;`");
        } else if found.starts_with("identifier") && wants("\"(\"") {
            d = d.with_hint("names in an expression are joined by operators such as `*` or `+`");
        } else if wants("\"network\"") {
            d = d.with_hint(
                "at the top level of a file come `import`, `param`, `network { ... }` and `module`",
            );
        }
        d
    }
}

/// "one of `;`, `+`, identifier", in the grammar's order, at most twelve entries.
fn expected_list(expected: &[String]) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    for name in expected.iter().map(|e| friendly(e)) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    match names.len() {
        0 => None,
        1 => Some(names[0].clone()),
        n if n <= 12 => Some(format!("one of {}", names.join(", "))),
        _ => Some(format!("one of {}, ...", names[..12].join(", "))),
    }
}

fn friendly(terminal: &str) -> String {
    match terminal {
        "Ident" | "QuotedIdent" => "identifier".to_string(),
        "Num" => "number".to_string(),
        "Str" => "string".to_string(),
        quoted => format!("`{}`", quoted.trim_matches('"')),
    }
}

/// Parser errors recovered inside the grammar.
pub type Recovery<'s> = ErrorRecovery<usize, Tok<'s>, ()>;

#[cfg(test)]
mod tests {
    use super::*;
    use ast::*;

    fn parse_ok(text: &str) -> SourceFileAst {
        let (ast, diags) = parse(FileId(0), text);
        assert!(diags.is_empty(), "{diags:#?}");
        ast
    }

    #[test]
    fn parses_a_network_with_every_statement_kind() {
        let ast = parse_ok(
            r#"import "other.crnl";
               import std::constants;
               param g = 2;
               network N {
                 rate_law = combinatoric;
                 species A = 1.0, B;
                 species amount C = 10;
                 param k = 2 * g ^ 2;
                 include M;
                 r1: 2A + B -> 3C @ k;
                 -> A @ 0.1;
                 C <-> ∅ @ 1, exp(-1);
                 A -> 0;
               }"#,
        );
        assert_eq!(ast.items.len(), 4);
        let Item::Network(n) = &ast.items[3] else { panic!("network expected") };
        assert_eq!(n.statements.len(), 9);
        let Statement::Reaction(r) = &n.statements[5] else { panic!("reaction expected") };
        assert_eq!(r.label.as_ref().unwrap().name, "r1");
        let Complex::Terms(terms) = &r.reactants else { panic!() };
        assert_eq!(terms[0].coefficient.as_ref().unwrap().0, "2");
        let Statement::Reaction(r) = &n.statements[8] else { panic!() };
        assert!(matches!(&r.products, Complex::Number { text, .. } if text == "0"));
    }

    #[test]
    fn power_is_right_associative_and_tighter_than_minus() {
        let ast = parse_ok("param a = -2^3^2;");
        let Item::Param(p) = &ast.items[0] else { panic!() };
        let Expr::Neg { operand, .. } = &p.entries[0].1 else { panic!("neg outside") };
        let Expr::Binary { op: BinOp::Pow, rhs, .. } = operand.as_ref() else { panic!() };
        assert!(matches!(rhs.as_ref(), Expr::Binary { op: BinOp::Pow, .. }));
    }

    #[test]
    fn several_syntax_errors_are_reported_in_one_run() {
        let (ast, diags) =
            parse(FileId(0), "network N {\n species A, B;\n A -> -> B;\n A + -> B;\n B -> A @ 1;\n}\n");
        assert_eq!(diags.len(), 2, "{diags:#?}");
        let Item::Network(n) = &ast.items[0] else { panic!() };
        assert_eq!(n.statements.len(), 2, "the good statements survive");
    }

    #[test]
    fn missing_semicolon_points_at_previous_token() {
        let (_, diags) = parse(FileId(0), "network N {\n species A\n A -> 0;\n}");
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert!(diags[0].hint.as_deref().unwrap().contains(";"));
    }

    #[test]
    fn a_missing_semicolon_is_put_back_and_nothing_is_lost() {
        let text = "param k = 1\nnetwork N {\n species A, B\n A -> B @ k\n B -> A @ 2;\n}\n";
        let parsed = parse_file(FileId(0), text);
        assert_eq!(parsed.diagnostics.len(), 3, "{:#?}", parsed.diagnostics);
        assert!(!parsed.lost_text);
        assert_eq!(parsed.ast.items.len(), 2);
        let Item::Network(n) = &parsed.ast.items[1] else { panic!() };
        assert_eq!(n.statements.len(), 3, "the declaration and both reactions");
    }

    #[test]
    fn a_semicolon_that_does_not_help_is_taken_out() {
        // `)` cannot start a statement: a `;` before it would be a second error.
        let parsed = parse_file(FileId(0), "network N {\n species A = 1\n ) B;\n}\n");
        assert_eq!(parsed.diagnostics.len(), 1, "{:#?}", parsed.diagnostics);
        assert!(parsed.lost_text);
    }

    #[test]
    fn unexpected_eof_says_a_brace_is_missing() {
        let (_, diags) = parse(FileId(0), "network N {\n species A;\n");
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert_eq!(diags[0].code, "E0101");
    }
}
