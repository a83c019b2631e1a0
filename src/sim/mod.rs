//! Simulation of the elementary CRN: a library, usable without the CLI.

mod groups;
pub mod hybrid;
pub mod kinetics;
pub mod ode;
pub mod plot;
pub mod protocol;
pub mod run;
pub mod schedule;
pub mod ssa;
mod sum_tree;
