//! The `crnc` command. All file, terminal and process handling lives in `cli`.

mod cli;

/// jemalloc: a compile of 100,000 reactions makes some three million small
/// allocations (names, syntax nodes, output lines), and glibc's malloc and
/// free were a fifth of its instructions (ARCHITECTURE.md, "Allocator").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(cli::main());
}
