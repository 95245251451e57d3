//! `tbjwt`: the command-line face of the harness. Parsing and rendering live here; every decision is
//! made by the `harness` library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
