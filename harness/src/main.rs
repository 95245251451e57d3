//! `tbjwt`: the command-line face of the harness. Parsing and rendering live here; every decision is
//! made by the `harness` library.

mod cli;

/// mimalloc: the harness allocates many small JSON values per case, and glibc's allocator showed as a
/// tenth of the profile of a check run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
