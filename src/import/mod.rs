//! Front ends for files that are not crnl: each produces checked IR, so the
//! rest of the pipeline is the same whatever the input format.

pub mod bionetgen;
pub mod crn_text;
pub mod distribution;
pub mod sbml;

use crate::source::FileId;
use crate::syntax::lexer::{Tok, lex};

/// A crnl identifier for a name from another format: keywords get a `_`
/// suffix, other characters become `_`.
pub fn identifier(name: &str) -> String {
    let mut id: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if id.is_empty() || id.starts_with(|c: char| c.is_ascii_digit()) {
        id.insert(0, '_');
    }
    let (tokens, _) = lex(FileId(0), &id);
    if !matches!(tokens.as_slice(), [(_, Tok::Ident(_), _)]) {
        id.push('_'); // a crnl keyword
    }
    id
}
