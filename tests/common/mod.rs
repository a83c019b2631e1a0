//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crnc::crn::Crn;
use crnc::driver::{self, Lowered};
use crnc::source::{FileSystem, MemoryFs, RealFs};

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

/// One network of `path` through `driver::compile`, or every diagnostic as
/// `crnc check` prints it.
pub fn compile(
    fs: &dyn FileSystem,
    path: &Path,
    network: Option<&str>,
    max_order: Option<u32>,
) -> Result<Lowered, String> {
    let flags = driver::Flags { max_order, ..driver::Flags::default() };
    let compiled = driver::compile(fs, path, network, &flags);
    let report = compiled.rendered();
    match compiled.lowered {
        Ok(lowered) if !compiled.front.has_errors() => Ok(lowered),
        _ => Err(report),
    }
}

/// The CRN of the one network in `src`; a compile error fails the test.
pub fn crn_of(src: &str) -> Crn {
    let fs = MemoryFs::new().with("m.crnl", src);
    compile(&fs, Path::new("m.crnl"), None, None).unwrap_or_else(|report| panic!("{report}")).crn
}

/// Compiles every network of `path` (relative paths from the crate root, so
/// snapshots do not depend on where the checkout lives).
pub fn compile_all(fs: &dyn FileSystem, path: &Path) -> Vec<Crn> {
    let front = driver::front_end(fs, path);
    front
        .program
        .networks
        .keys()
        .map(|name| {
            compile(fs, path, Some(name), None)
                .unwrap_or_else(|report| panic!("{} has errors:\n{report}", path.display()))
                .crn
        })
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

/// The `crnc` binary run with `args` in `cwd`.
pub fn crnc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crnc")).args(args).current_dir(cwd).output().expect("crnc runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A B4-shaped Neural CRN (domain.md §2.7: a full 3×3 θ over x_aug = [x_0, x_1, 0.2], the
/// rail-local self-term −0.15·z|z|), θ fixed at 0 for a test to set, the host update.
pub const B4: &str = "network B4 {
  rate_law = combinatoric;
  input x[2];
  state z[3] = [x[0], x[1], 0.2];
  learn theta[9] = 0;
  ode {
    for i in 0..3 {
      z[i]' = theta[3 * i] * x[0] + theta[3 * i + 1] * x[1] + 0.2 * theta[3 * i + 2]
            - 0.15 * z[i] * abs(z[i]);
    }
  }
  output y = sum(z);
  train { horizon = 0.4; gradient = adjoint; reverse_state = full; update = host; }
}";
