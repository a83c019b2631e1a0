//! Build script: generates the LALRPOP parser from `grammar/` and embeds the
//! standard library (`stdlib/**/*.crnl`) into the binary, so that `import std::...`
//! works wherever the `crnc` executable is copied.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .set_out_dir(&out_dir)
        .emit_rerun_directives(true)
        .process()
        .expect("the LALRPOP grammar in grammar/ must compile");

    embed_stdlib(Path::new("stdlib"), &out_dir.join("stdlib_files.rs"));
}

/// Writes `&[(module path, source)]` for every `stdlib/**/*.crnl`, sorted by path.
fn embed_stdlib(root: &Path, out: &Path) {
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect_crnl(root, &mut files);
    files.sort();
    let mut table = String::from("&[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file.strip_prefix(root).expect("collected under root");
        let module = rel.with_extension("").to_string_lossy().replace(['/', '\\'], "::");
        // Relative to the manifest, so the generated code names no absolute path.
        let path = format!("/{}", file.display()).replace('\\', "/");
        writeln!(table, "    ({module:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {path:?}))),")
            .expect("writing to a String cannot fail");
    }
    table.push(']');
    std::fs::write(out, table).expect("OUT_DIR is writable");
}

fn collect_crnl(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect_crnl(&path, files);
        } else if path.extension().is_some_and(|e| e == "crnl") {
            files.push(path);
        }
    }
}
