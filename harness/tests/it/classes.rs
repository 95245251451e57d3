//! Equivalence classes: the default run reaches every class of its domain whatever the seed, the fuzz
//! seeds reach every pipe-name class, the reports show the coverage, and the fuzzer and the mutation
//! campaign find the ports that treat one class specially.

use crate::common::{self, code, text, TempDir};

use harness::check::generated::case_tree;
use harness::classes::{classify, classify_session, of_domain, Coverage, Input, CLASSES};
use harness::js::JsValue;
use harness::strategies::Domain;

/// `tbjwt ARGS` run in `dir`.
fn tbjwt_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    common::tbjwt().current_dir(dir).args(args).output().expect("tbjwt runs")
}

#[test]
fn the_default_run_reaches_every_class_of_its_domain_for_ten_seeds() {
    for domain in [Domain::Auth0, Domain::AnyJson, Domain::PipeNames] {
        for seed in 1..=10u64 {
            let mut coverage = Coverage::default();
            for index in 0..1000 {
                let case = case_tree(domain, seed, index).current();
                if domain == Domain::Auth0 {
                    let beyond = harness::event::limits::beyond_auth0_limits(&case.event);
                    assert_eq!(beyond, None, "auth0 domain, seed {seed}, case {index}: Auth0 cannot send it");
                }
                let evaluation = harness::spec::evaluate(&JsValue::from_json(&case.event), case.now);
                coverage.add(
                    classify(&case.event, case.now, &evaluation).union(classify_session(&case.logins, &evaluation)),
                );
            }
            let unreached = coverage.unreached(domain);
            assert!(unreached.is_empty(), "{} domain, seed {seed}: never reached {unreached:?}", domain.name());
        }
    }
}

#[test]
fn the_fuzz_seeds_reach_every_pipe_name_class() {
    let mut coverage = Coverage::default();
    let dir = common::repo_root().join("fixtures/fuzz/corpus/pipe_names");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let event = harness::fuzz_input::pipe_names_event(&data);
        let now = harness::clock::Now::DEFAULT;
        coverage.add(classify(&event, now, &harness::spec::evaluate(&JsValue::from_json(&event), now)));
    }
    let missing: Vec<&str> = of_domain(Domain::PipeNames)
        .filter(|(i, c)| c.input == Input::PipeNames && coverage.count(*i) == 0)
        .map(|(_, c)| c.id)
        .collect();
    assert!(missing.is_empty(), "no seed in {} for {missing:?}", dir.display());
}

#[test]
fn reports_show_the_class_coverage_and_warn_of_a_class_never_reached() {
    let dir = TempDir::new("coverage");
    let report = dir.path("run.json");
    let json = format!("json={}", report.display());
    let full = tbjwt_in(
        &dir.0,
        &["check", "reference", "--cases", "200", "--seed", "3", "--no-save", "--coverage", "--report", &json],
    );
    assert_eq!(code(&full), 0, "{}", text(&full));
    let out = text(&full);
    let classes = of_domain(Domain::Auth0).count();
    assert!(out.contains(&format!("classes: {classes}/{classes} of the auth0 domain reached")), "{out}");
    assert!(
        out.contains("pipe-names/padded-nbsp") && out.contains("clock/late-in-second"),
        "the --coverage table: {out}"
    );
    let footer: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&report).unwrap().lines().last().unwrap()).unwrap();
    let coverage = &footer["class_coverage"];
    assert_eq!(
        (coverage["reached"].as_u64(), coverage["classes"].as_u64()),
        (Some(classes as u64), Some(classes as u64))
    );
    assert_eq!(coverage["counts"].as_array().unwrap().len(), CLASSES.len());

    // Fixtures alone leave classes out: a warning that names them, and still the verdict of the cases.
    let few = tbjwt_in(&dir.0, &["check", "reference", "--cases", "0", "--no-save"]);
    assert_eq!(code(&few), 0, "{}", text(&few));
    assert!(text(&few).contains("warning: classes: ") && text(&few).contains("never reached: "), "{}", text(&few));
}

/// Every class deviant (a deviant whose header names the class it treats specially) is found by the
/// proptest engine of `tbjwt fuzz` within 30 s: the pipe-name ones in the fuzz input space itself, the
/// others (clock, workspace id, admin token: values the pipe-name input keeps fixed) with `--domain auth0`.
#[test]
fn the_fuzzer_finds_each_class_deviant() {
    let dir = common::repo_root().join("fixtures/implementations/deviant");
    let mut found = 0;
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        let header = std::fs::read_to_string(&path).unwrap();
        let Some(class) = header.lines().find_map(|l| l.strip_prefix(" * Class: ")) else { continue };
        assert!(harness::classes::by_id(class).is_some(), "{}: no class {class}", path.display());
        let work = TempDir::new("fuzz-class-deviant");
        let implementation = format!("node:{}", path.display());
        let mut args = vec!["fuzz", implementation.as_str(), "--engine", "proptest", "--seconds", "30", "--no-save"];
        if !class.starts_with("pipe-names/") {
            args.extend(["--domain", "auth0"]);
        }
        let out = tbjwt_in(&work.0, &args);
        assert_eq!(code(&out), 1, "{} ({class}): {}", path.display(), text(&out));
        found += 1;
    }
    assert!(found >= 12, "{found} class deviants");
}

/// The mutation campaign, whole: every mutant of the published action is killed by the default check
/// or argued equivalent in the catalogue (exit 0), the kill matrix is printed and the fates are written as
/// JSON. `--list` names every mutant with the mistake behind it.
#[test]
fn every_mutant_of_the_published_action_is_killed_or_argued_equivalent() {
    let dir = TempDir::new("mutants");
    let listed = tbjwt_in(&dir.0, &["mutants", "--list"]);
    assert_eq!(code(&listed), 0, "{}", text(&listed));
    let names: Vec<&str> = std::str::from_utf8(&listed.stdout).unwrap().lines().collect();
    assert!(names.iter().any(|l| l.starts_with("round-time@payload") && l.contains("floors")), "{names:?}");
    assert!(names.iter().any(|l| l.contains("argued equivalent")), "the catalogue's equivalent mutant is shown");

    let fates = dir.path("fates.json");
    let out = tbjwt_in(&dir.0, &["mutants", "--json", &fates.display().to_string()]);
    let summary: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap_or_default().lines().rev().take(2).collect();
    eprintln!("{}", summary.join("\n"));
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("operator \\ site") && text(&out).contains("(100%)"), "{}", text(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&fates).unwrap()).unwrap();
    assert_eq!(rows.len(), names.len(), "every listed mutant was judged");
    assert!(rows.len() >= 50, "{} mutants", rows.len());
    assert!(rows.iter().all(|r| r["fate"] == "killed" || r["fate"] == "equivalent"), "{rows:?}");

    assert_eq!(code(&tbjwt_in(&dir.0, &["mutants", "--only", "no-such-mutant"])), 2);
}

/// docs/classes.md shows the catalogue: every class id appears there.
#[test]
fn the_documentation_lists_every_class() {
    let doc = std::fs::read_to_string(common::repo_root().join("docs/classes.md")).unwrap();
    let missing: Vec<&str> = CLASSES.iter().map(|c| c.id).filter(|id| !doc.contains(&format!("`{id}`"))).collect();
    assert!(missing.is_empty(), "docs/classes.md lacks {missing:?}: regenerate its table with `tbjwt classes`");
}
