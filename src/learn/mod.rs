//! Training: data sets, the training loop over a learning circuit's
//! protocol, what a run records, and its figure.

pub mod data;
pub mod dbcrn;
pub mod history;
pub mod plot;
pub mod train;
