//! Exact analysis of small stochastic CRNs (`crnc analyze`, docs/analyze.md):
//! conservation laws, and the exact stationary distribution of the chemical
//! master equation in molecule counts, with the SSA's own propensities.
//!
//! - [`conservation`]: a basis of the left null space of the stoichiometry,
//!   non-negative where possible.
//! - [`states`]: the reachability class of the initial state (breadth-first),
//!   truncated where it is infinite.
//! - [`stationary()`]: the product form where the network is detailed
//!   balanced (`product_form`), the null space of the sparse generator
//!   elsewhere (`generator`), the truncation grown until the mass at its
//!   edge is negligible.
//! - [`distribution`]: the result, its moments and marginals, and the KL
//!   divergence between two distributions, which the learning reports use.

pub mod conservation;
pub mod distribution;
mod error;
mod generator;
mod product_form;
pub mod states;
mod stationary;

pub use conservation::{ConservationLaw, conservation_laws};
pub use distribution::{Distribution, kl_divergence};
pub use error::AnalyzeError;
pub use stationary::{
    DEFAULT_MAX_STATES, DEFAULT_TAIL_MASS, Method, MethodChoice, Options, Stationary, stationary,
};

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use crate::crn::Crn;
    use crate::driver;
    use crate::source::MemoryFs;

    /// The CRN of the one network in `src`; a compile error fails the test.
    pub(crate) fn crn_of(src: &str) -> Crn {
        let fs = MemoryFs::new().with("t.crnl", src);
        let compiled = driver::compile(&fs, Path::new("t.crnl"), None, &driver::Flags::default());
        assert!(!compiled.front.has_errors(), "{}", compiled.rendered());
        compiled.lowered.expect("lowers").crn
    }
}
