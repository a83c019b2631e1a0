//! The IR -> IR passes that run after the checker, in order, before the IR is
//! lowered to the elementary CRN. Each takes a network and the options and
//! returns the new network and its diagnostics; the driver can hand out the
//! IR after each one (`--emit PASS`, printed as crnl).
//!
//! The checker has already expanded modules, loops and includes into one
//! flat network (`--emit ir`). What is still symbolic is the ODE system
//! ([`crate::ir::Ode`]): the learning passes derive new equations from it,
//! and `ode` lowers every equation to reactions.
//!
//! `potentials` (detailed-balanced learners, `ir::potentials`) adds each
//! potential to the reactions of its species and writes the learning rules
//! as reactions.
//! `learn` (Neural CRNs, `ir::learning`) adds the feedback, backward and
//! update equations in groups of their own, and the protocol that runs them.

pub mod learn;
pub mod ode;
pub mod potentials;

use crate::crn::passes::Options;
use crate::diagnostic::Diagnostic;
use crate::ir::Network;

pub struct Pass {
    /// The name in `--emit` and in the CRN's `Origin::pass`.
    pub name: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    pub run: fn(Network, &Options) -> (Network, Vec<Diagnostic>),
}

/// Every IR pass, in the order they run.
pub const PASSES: [Pass; 3] = [
    Pass {
        name: potentials::NAME,
        about: "The IR with a detailed-balanced learner's potentials added to its reactions and its learning rules written as reactions, as crnl",
        run: potentials::run,
    },
    Pass {
        name: learn::NAME,
        about: "The IR with a Neural CRN's learning circuit derived (feedback and backward equations in their groups), as crnl",
        run: learn::run,
    },
    Pass {
        name: ode::NAME,
        about: "The IR with its ODE system lowered to reactions (rails for signed values), as crnl",
        run: ode::run,
    },
];
