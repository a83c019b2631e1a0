//! Simulation of the elementary CRN: a library, usable without the CLI.

pub mod kinetics;
pub mod ode;
pub mod plot;
pub mod run;
pub mod ssa;
