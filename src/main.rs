//! The `crnc` command. All file, terminal and process handling lives in `cli`.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
