//! Simulation of the elementary CRN: a library, usable without the CLI.

pub mod kinetics;
pub mod ssa;
