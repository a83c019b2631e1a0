//! Training: data sets, the training loop over a learning circuit's
//! protocol, and what a run records.

pub mod data;
pub mod history;
pub mod plot;
