//! What the benchmarks share: the benchmark networks of ../shared/bench.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crnc::crn::Crn;
use crnc::driver;
use crnc::source::RealFs;

/// ../shared/bench/networks, beside the project.
pub fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/networks")
}

/// A file's text, gunzipping `PATH.gz` when `path` itself is missing.
pub fn read(path: &Path) -> Option<String> {
    if path.exists() {
        return std::fs::read_to_string(path).ok();
    }
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(gz).ok()?).read_to_string(&mut text).ok()?;
    Some(text)
}

/// The elementary CRN of the first network in `file`.
pub fn load(file: &Path) -> Crn {
    let front = driver::front_end(&RealFs::default(), file);
    assert!(!front.has_errors(), "{}: {:?}", file.display(), front.diagnostics.first());
    driver::lower(&front.program.networks[0], &front.db, None).expect("no order limit").crn
}
