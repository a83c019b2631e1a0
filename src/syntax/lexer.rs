//! Tokens of the crnl language, produced by a logos lexer.
//!
//! Lexing never stops at a bad character: [`lex`] returns every good token and
//! a diagnostic for every bad one, so the parser still sees the rest of the file.

use logos::Logos;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

#[derive(Logos, Clone, Copy, Debug, PartialEq)]
#[logos(skip r"[ \t\r\n\f]+")]
pub enum Tok<'s> {
    #[token("network")]
    Network,
    #[token("species")]
    Species,
    #[token("amount")]
    Amount,
    #[token("param")]
    Param,
    #[token("import")]
    Import,
    #[token("include")]
    Include,
    #[token("simulate")]
    Simulate,
    #[token("module")]
    Module,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("signed")]
    Signed,
    #[token("ode")]
    Ode,
    #[token("compartment")]
    Compartment,
    #[token("input")]
    Input,
    #[token("state")]
    State,
    #[token("learn")]
    Learn,
    #[token("output")]
    Output,
    #[token("train")]
    Train,
    #[token("energy")]
    Energy,
    #[token("potential")]
    Potential,
    #[token("boltzmann_machine")]
    Boltzmann,
    #[token("at")]
    AtTime,

    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident(&'s str),
    /// A name with any characters but backquotes and newlines: `` `dot1.y` ``,
    /// `` `x[0]` ``; the printed IR uses it for generated names.
    #[regex(r"`[^`\n]+`", |lex| { let s = lex.slice(); &s[1..s.len() - 1] })]
    QuotedIdent(&'s str),
    // No `2.`: the dot would swallow the first dot of a range `0..n`.
    #[regex(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")]
    #[regex(r"\.[0-9]+([eE][+-]?[0-9]+)?")]
    Number(&'s str),
    #[regex(r#""[^"\n]*""#)]
    Str(&'s str),

    #[token("->")]
    Arrow,
    #[token("<->")]
    #[token("<=>")]
    BiArrow,
    #[token("∅")]
    EmptySet,
    #[token("::")]
    PathSep,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token("=")]
    Eq,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("^")]
    Caret,
    #[token("@")]
    At,
    #[token("'")]
    Prime,
    #[token("~")]
    Tilde,

    // Never reach the parser. Comments are tokens rather than logos skips
    // because logos re-enters itself for each skip in a row: half a million
    // comment lines overflowed the stack. `lex` drops them and turns the
    // unterminated forms into diagnostics.
    #[regex(r"//[^\n]*", allow_greedy = true)]
    #[regex(r"/\*([^*]|\*+[^*/])*\*+/")]
    Comment,
    #[regex(r"/\*([^*]|\*+[^*/])*\**")]
    UnterminatedComment,
    /// A `#` comment as in Python or the `.crn` format: one error for the
    /// line, which is skipped whole, so the words in it do not run into the
    /// next statement.
    #[regex(r"#[^\n]*", allow_greedy = true)]
    HashComment,
    #[regex(r#""[^"\n]*"#)]
    UnterminatedString,
}

impl Tok<'_> {
    /// How the token is spelled in diagnostics ("expected one of ...").
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("identifier `{s}`"),
            Tok::QuotedIdent(s) => format!("identifier `` `{s}` ``"),
            Tok::Number(s) => format!("number `{s}`"),
            Tok::Str(s) => format!("string {s}"),
            other => format!("`{}`", other.spelling()),
        }
    }

    fn spelling(&self) -> &'static str {
        match self {
            Tok::Network => "network",
            Tok::Species => "species",
            Tok::Amount => "amount",
            Tok::Param => "param",
            Tok::Import => "import",
            Tok::Include => "include",
            Tok::Simulate => "simulate",
            Tok::Module => "module",
            Tok::For => "for",
            Tok::In => "in",
            Tok::Signed => "signed",
            Tok::Ode => "ode",
            Tok::Compartment => "compartment",
            Tok::Input => "input",
            Tok::State => "state",
            Tok::Learn => "learn",
            Tok::Output => "output",
            Tok::Train => "train",
            Tok::Energy => "energy",
            Tok::Potential => "potential",
            Tok::Boltzmann => "boltzmann_machine",
            Tok::AtTime => "at",
            Tok::Tilde => "~",
            Tok::Prime => "'",
            Tok::Dot => ".",
            Tok::DotDot => "..",
            Tok::QuotedIdent(_) => "quoted identifier",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Ident(_) => "identifier",
            Tok::Number(_) => "number",
            Tok::Str(_) => "string",
            Tok::Arrow => "->",
            Tok::BiArrow => "<->",
            Tok::EmptySet => "∅",
            Tok::PathSep => "::",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Comma => ",",
            Tok::Semi => ";",
            Tok::Colon => ":",
            Tok::Eq => "=",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Caret => "^",
            Tok::At => "@",
            Tok::Comment => "a comment",
            Tok::UnterminatedComment => "/*",
            Tok::UnterminatedString => "\"",
            Tok::HashComment => "#",
        }
    }
}

pub const UNTERMINATED_COMMENT: &str = "unterminated block comment";

/// The message of the one diagnostic that loses no code: a `#` comment is
/// only a comment in the wrong spelling.
pub const HASH_COMMENT: &str = "crnl comments are `//`, not `#`";

/// A token with its byte range.
pub type Spanned<'s> = (usize, Tok<'s>, usize);

/// Splits `text` into tokens; bad characters become diagnostics and are skipped.
pub fn lex(file: FileId, text: &str) -> (Vec<Spanned<'_>>, Vec<Diagnostic>) {
    let mut tokens = Vec::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut lexer = Tok::lexer(text);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        match result {
            Ok(tok @ (Tok::HashComment | Tok::UnterminatedComment)) => {
                let (code, message, label, hint) = match tok {
                    Tok::HashComment => (
                        "E0001",
                        HASH_COMMENT,
                        "a comment in another language",
                        "write `// ...` (or `/* ... */`); the rest of this line is skipped",
                    ),
                    _ => (
                        "E0002",
                        UNTERMINATED_COMMENT,
                        "this comment is never closed",
                        "close the comment with `*/`",
                    ),
                };
                // At the characters that open the comment, not the whole rest of the file.
                let opening = Span::new(file, range.start, range.start + tok.spelling().len());
                errors.push(Diagnostic::error(code, message).with_primary(opening, label).with_hint(hint));
            }
            Ok(Tok::UnterminatedString) => {
                errors.push(
                    Diagnostic::error("E0002", "unterminated string")
                        .with_primary(Span::new(file, range.start, range.end), "this string is never closed")
                        .with_hint("strings end with `\"` on the same line"),
                );
                // Recover as if the quote closed before a trailing `;`, so the
                // statement still parses and nothing else is reported for it.
                let slice = lexer.slice();
                let body = slice.trim_end();
                match body.strip_suffix(';') {
                    Some(inner) => {
                        let semi = range.start + inner.len();
                        tokens.push((range.start, Tok::Str(inner), semi));
                        tokens.push((semi, Tok::Semi, semi + 1));
                    }
                    None => tokens.push((range.start, Tok::Str(body), range.start + body.len())),
                }
            }
            Ok(Tok::Comment) => {}
            Ok(tok) => tokens.push((range.start, tok, range.end)),
            Err(()) => {
                let span = Span::new(file, range.start, range.end);
                let bad = &text[range.clone()];
                // One diagnostic per run of adjacent bad characters, not one per byte.
                if let Some(prev) = errors
                    .last_mut()
                    .filter(|d| d.code == "E0001" && d.primary_span().is_some_and(|s| s.end == span.start))
                {
                    let first = prev.primary_span().expect("E0001 has a span");
                    prev.labels[0].span = first.to(span);
                    continue;
                }
                errors.push(unexpected_character(span, bad));
            }
        }
    }
    (tokens, errors)
}

fn unexpected_character(span: Span, bad: &str) -> Diagnostic {
    let c = bad.chars().next().unwrap_or('?');
    let hint = match c {
        '→' => "write the arrow as `->`".to_string(),
        '⇌' | '↔' => "write a reversible arrow as `<->`".to_string(),
        _ => format!("`{}` (U+{:04X}) is not part of the crnl language", c.escape_debug(), c as u32),
    };
    Diagnostic::error("E0001", "unexpected character").with_primary(span, "not valid here").with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Tok<'_>> {
        let (toks, errs) = lex(FileId(0), text);
        assert!(errs.is_empty(), "{errs:?}");
        toks.into_iter().map(|(_, t, _)| t).collect()
    }

    #[test]
    fn reactions_lex_with_coefficients_and_arrows() {
        assert_eq!(
            kinds("2X + Y -> 3X @ k1; // c\nC <=> D /* x */ @ 1e-3, .5"),
            vec![
                Tok::Number("2"),
                Tok::Ident("X"),
                Tok::Plus,
                Tok::Ident("Y"),
                Tok::Arrow,
                Tok::Number("3"),
                Tok::Ident("X"),
                Tok::At,
                Tok::Ident("k1"),
                Tok::Semi,
                Tok::Ident("C"),
                Tok::BiArrow,
                Tok::Ident("D"),
                Tok::At,
                Tok::Number("1e-3"),
                Tok::Comma,
                Tok::Number(".5"),
            ]
        );
    }

    #[test]
    fn ranges_dotted_and_quoted_names_lex() {
        assert_eq!(
            kinds("for i in 0..n { `x[0]` + dot1.y -> 0; } 0.5"),
            vec![
                Tok::For,
                Tok::Ident("i"),
                Tok::In,
                Tok::Number("0"),
                Tok::DotDot,
                Tok::Ident("n"),
                Tok::LBrace,
                Tok::QuotedIdent("x[0]"),
                Tok::Plus,
                Tok::Ident("dot1"),
                Tok::Dot,
                Tok::Ident("y"),
                Tok::Arrow,
                Tok::Number("0"),
                Tok::Semi,
                Tok::RBrace,
                Tok::Number("0.5"),
            ]
        );
    }

    #[test]
    fn bad_characters_are_reported_once_per_run_and_skipped() {
        let (toks, errs) = lex(FileId(0), "A $$ -> B ?");
        assert_eq!(toks.len(), 3);
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].primary_span().unwrap().range(), 2..4);
    }

    #[test]
    fn a_hash_comment_is_one_error_and_skips_its_line() {
        let (toks, errs) = lex(FileId(0), "A -> B; # decay, then -> C\nB -> 0;");
        assert_eq!(toks.len(), 8, "{toks:?}");
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].message, HASH_COMMENT);
    }

    #[test]
    fn unterminated_comment_is_an_error() {
        let (_, errs) = lex(FileId(0), "A /* never closed");
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].message, "unterminated block comment");
    }
}
