//! crnc: a compiler for chemical learning circuits.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! source ([`source`]) -> tokens and syntax tree ([`syntax`]) -> checked IR
//! ([`check`], [`ir`]) -> elementary CRN ([`crn`]) -> backends ([`backend`]).
//! [`driver`] runs the stages; only the binary's `cli` module does I/O.

pub mod analyze;
pub mod backend;
pub mod check;
pub mod crn;
pub mod diagnostic;
pub mod driver;
pub mod hash;
pub mod import;
pub mod ir;
pub mod learn;
pub mod load;
pub mod polynomial;
pub mod sim;
pub mod source;
pub mod syntax;
