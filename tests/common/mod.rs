//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

use crnc::crn::Crn;
use crnc::diagnostic::{self, Color};
use crnc::driver;
use crnc::source::{FileSystem, RealFs};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `examples/*.crnl`, sorted.
pub fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "crnl"))
        .collect();
    v.sort();
    v
}

/// Compiles every network of `path` (relative paths from the crate root, so
/// snapshots do not depend on where the checkout lives).
pub fn compile_all(fs: &dyn FileSystem, path: &Path) -> Vec<Crn> {
    let front = driver::front_end(fs, path);
    assert!(
        !front.has_errors(),
        "{} has errors:\n{}",
        path.display(),
        diagnostic::render_human(&front.db, &front.diagnostics, Color::Never)
    );
    front
        .program
        .networks
        .values()
        .map(|n| driver::lower(n, &front.db, None).expect("no order limit given").crn)
        .collect()
}

/// The examples as (file stem, compiled networks), read relative to the crate root.
pub fn compiled_examples() -> Vec<(String, Vec<Crn>)> {
    std::env::set_current_dir(root()).expect("crate root exists");
    examples()
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root()).expect("under root").to_path_buf();
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, compile_all(&RealFs::default(), &rel))
        })
        .collect()
}
pub mod sbml_cases;
pub mod sbml_external;
