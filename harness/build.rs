//! Embeds the conformance suite (the repository's `fixtures/events` and `fixtures/regressions` case files)
//! into the library, so that `tbjwt check` run from any folder runs every built-in case.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn case_files(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!("{}: cannot read the conformance suite's folder: {e} (build from a full checkout)", dir.display())
    });
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable folder entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let fixtures = manifest.parent().expect("harness/ has a parent").join("fixtures");
    let mut code = String::from("/// `(group, file stem, bytes)` of every case file of the built-in suite, sorted.\n");
    code.push_str("pub(crate) static FILES: &[(&str, &str, &[u8])] = &[\n");
    for group in ["events", "regressions"] {
        let dir = fixtures.join(group);
        println!("cargo:rerun-if-changed={}", dir.display());
        for file in case_files(&dir) {
            let stem = file.file_stem().expect("a file name").to_string_lossy().into_owned();
            writeln!(code, "    ({group:?}, {stem:?}, include_bytes!({:?})),", file.display().to_string())
                .expect("writing to a String");
        }
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("suite_files.rs");
    std::fs::write(&out, code).expect("writing the suite's file list");
}
