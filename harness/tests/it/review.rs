//! What a reviewer reads: each failing case by root cause (one fact shown once, "also in" the other places),
//! and a summary across failing cases by rule and kind that fits on one screen and names every rule that
//! differs, for real ports' typical mistakes.

use crate::common::{code, run_tbjwt};

/// stdout of a default check of `implementation` (seed 1, nothing saved), which must diverge.
fn diverging_check(implementation: &str) -> String {
    let out = run_tbjwt(&["check", implementation, "--seed", "1", "--no-save"]);
    assert_eq!(code(&out), 1, "{implementation} diverges: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The summary across failing cases: from its title to the blank line after it.
fn summary(stdout: &str) -> Vec<&str> {
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("Root causes across all failing cases")).expect("a summary");
    let end = lines[start..].iter().position(|l| l.is_empty()).map_or(lines.len(), |n| start + n);
    lines[start + 1..end].to_vec()
}

/// The summary lines of `rule` (its first line and the kinds under it).
fn rule_lines<'a>(summary: &[&'a str], rule: &str) -> Vec<&'a str> {
    let Some(start) = summary.iter().position(|l| l.trim_start().starts_with(&format!("{rule} "))) else {
        return Vec::new();
    };
    let rest = summary[start + 1..].iter().take_while(|l| l.starts_with("   "));
    std::iter::once(summary[start]).chain(rest.copied()).collect()
}

#[test]
fn a_trimmed_pipe_name_is_shown_once_per_case_with_where_else_it_shows() {
    let stdout = diverging_check("node:fixtures/implementations/deviant/trims_pipe_names.js");
    let case: Vec<&str> =
        stdout.lines().skip_while(|l| !l.starts_with("FAIL pipes_with_spaces")).take_while(|l| !l.is_empty()).collect();
    let shown: Vec<&&str> = case.iter().filter(|l| l.contains("/jwt/claims/scopes/")).collect();
    assert_eq!(shown.len(), 2, "two trimmed names, each shown once: {case:#?}");
    assert!(
        case.iter().any(|l| l.trim() == "also in: calls, app_metadata, id_token, tinybird_jwt, access (2 pipes)"),
        "{case:#?}"
    );
    assert!(!stdout.contains("/app_metadata/tinybirdJWT/jwt/claims/scopes/"), "the metadata's copy is not repeated");
    let summary = summary(&stdout);
    assert!(summary.len() <= 20, "the summary fits on a screen: {summary:#?}");
    assert!(rule_lines(&summary, "R7").iter().any(|l| l.ends_with("× token claims/scopes")), "{summary:#?}");
    assert!(stdout.lines().all(|l| l.chars().count() < 700), "no 1.5 KB event lines");
}

#[test]
fn a_port_with_fixed_scopes_and_no_iat_is_summed_up_as_r7_r10_and_lost_pipes() {
    let stdout = diverging_check("node:fixtures/implementations/ports/ghost_style.js");
    let summary = summary(&stdout);
    assert!(summary.len() <= 25, "{summary:#?}");
    let r7 = rule_lines(&summary, "R7");
    assert!(r7.iter().any(|l| l.ends_with("× token claims/scopes")), "{summary:#?}");
    assert!(r7.iter().any(|l| l.ends_with("× access: 200 → 403")), "the pipes it loses: {summary:#?}");
    assert!(rule_lines(&summary, "R10").iter().any(|l| l.ends_with("× token claims/iat")), "{summary:#?}");
}

#[test]
fn a_rate_limited_port_is_summed_up_by_its_429s() {
    let stdout = diverging_check("node:fixtures/implementations/ports/rate_limited.js");
    let summary = summary(&stdout);
    assert!(rule_lines(&summary, "R7").iter().any(|l| l.ends_with("× access: 200 → 429")), "{summary:#?}");
    assert!(rule_lines(&summary, "R10").iter().any(|l| l.ends_with("× token claims/limits")), "{summary:#?}");
}

/// A report of the trimming port's diverging check (seed 1, nothing saved), with the folder holding it.
fn trimming_port_report(format: &str, more: &[&str]) -> (crate::common::TempDir, std::path::PathBuf) {
    let dir = crate::common::TempDir::new(&format!("review-{format}"));
    let report = dir.path(&format!("report.{format}"));
    let mut args =
        vec!["check", "node:fixtures/implementations/deviant/trims_pipe_names.js", "--seed", "1", "--no-save"];
    args.extend_from_slice(more);
    let request = format!("{format}={}", report.display());
    args.extend(["--report", request.as_str()]);
    let out = run_tbjwt(&args);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    (dir, report)
}

#[test]
fn every_json_case_line_carries_its_root_causes() {
    let (_dir, report) = trimming_port_report("json", &["--cases", "0"]);
    let text = std::fs::read_to_string(report).unwrap();
    let case: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["name"] == "pipes_with_spaces")
        .expect("the case's line");
    let causes = case["root_causes"].as_array().expect("root_causes");
    assert_eq!(causes.len(), 2, "{causes:#?}");
    assert_eq!(causes[0]["kind"], "token claims/scopes");
    assert!(causes[0]["also_in"].as_array().unwrap().len() >= 4);
    assert!(case["differences"].as_array().unwrap().len() > causes.len(), "every difference is still there");
}

/// The HTML report of a failing run: one self-contained, well-formed page (parsed as XML), with the
/// verdict, the rules, the root causes and each case side by side; then loaded in headless Chromium
/// (Debian's `chromium`, which `.ci/run` installs), whose screenshot is kept in the test's output folder.
#[test]
fn the_html_report_is_self_contained_and_renders_in_a_browser() {
    let (_dir, report) = trimming_port_report("html", &[]);
    let text = std::fs::read_to_string(&report).unwrap();
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() };
    let document = roxmltree::Document::parse_with_options(&text, options).expect("the page is well-formed");
    for node in document.descendants().filter(|n| n.is_element()) {
        assert!(!["script", "link", "img", "iframe"].contains(&node.tag_name().name()), "no external asset");
        for attribute in node.attributes() {
            assert!(
                !attribute.value().contains("://"),
                "no address in {}: {}",
                node.tag_name().name(),
                attribute.value()
            );
        }
    }
    let texts: String = document.descendants().filter_map(|n| n.text()).collect::<Vec<_>>().join(" ");
    assert!(texts.contains("diverges from the reference"));
    assert!(texts.contains("token claims/scopes") && texts.contains("access: 200 → 403"));
    let case = document
        .descendants()
        .find(|n| n.attribute("id") == Some("pipes_with_spaces"))
        .expect("the case has its section");
    let in_case = |class: &str| case.descendants().filter(|n| n.attribute("class") == Some(class)).count();
    assert_eq!(in_case("replay"), 1, "a replay command");
    assert!(in_case("sides") == 1 && in_case("differs") >= 4, "the two observations side by side");
    assert!(in_case("status s200") >= 1 && in_case("status s4xx") >= 2, "statuses coloured");
    let replay = case.descendants().find(|n| n.attribute("class") == Some("replay")).unwrap();
    assert!(replay.text().unwrap_or_default().contains("--replay pipes_with_spaces"));

    let output = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&output).unwrap();
    let screenshot = output.join("trims_pipe_names.png");
    let _ = std::fs::remove_file(&screenshot);
    let url = format!("file://{}", report.display());
    let browser = |extra: &[&str]| {
        std::process::Command::new("chromium")
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1800"])
            .args(extra)
            .arg(&url)
            .output()
            .expect("Debian's chromium is installed (.ci/run installs it)")
    };
    let shot = browser(&[&format!("--screenshot={}", screenshot.display())]);
    assert!(shot.status.success(), "{}", String::from_utf8_lossy(&shot.stderr));
    let png = std::fs::read(&screenshot).expect("a screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (width, height) =
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert_eq!((width, height), (1400, 1800));
    assert!(png.len() > 50_000, "a page with content, not a blank one ({} bytes)", png.len());
    let dom = browser(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("id=\"pipes_with_spaces\"") && dom.contains("class=\"sides\""), "Chromium built the page");
    eprintln!("screenshot: {}", screenshot.display());
}

/// Three implementations in one run: each runs on the same cases with its own reports (`report.N.ext`),
/// then the matrix (implementations × rules) is printed, written as the JSON report's own line and as the
/// HTML report's page linking to each implementation's page; the exit code is the worst run's.
#[test]
fn several_implementations_in_one_run_print_a_matrix_and_exit_with_the_worst() {
    let dir = crate::common::TempDir::new("review-matrix");
    let (json, html) = (dir.path("report.jsonl"), dir.path("report.html"));
    let out = run_tbjwt(&[
        "check",
        "reference",
        "node:fixtures/implementations/deviant/trims_pipe_names.js",
        "node:fixtures/implementations/ports/rate_limited.js",
        "--cases",
        "100",
        "--seed",
        "1",
        "--no-save",
        "--report",
        &format!("json={}", json.display()),
        "--report",
        &format!("html={}", html.display()),
    ]);
    assert_eq!(code(&out), 1, "one diverges, none is worse: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let matrix: Vec<&str> = stdout.lines().skip_while(|l| !l.starts_with("Matrix: 3 implementations")).collect();
    assert!(matrix.len() >= 5, "{stdout}");
    let header: Vec<&str> = matrix[1].split_whitespace().collect();
    assert_eq!(header[..4], ["implementation", "pass", "fail", "error"]);
    assert!(header.contains(&"R7") && header.contains(&"R10"), "{matrix:#?}");
    let cell = |row: &str, column: &str| -> String {
        let at = header.iter().position(|h| *h == column).unwrap();
        row.split_whitespace().nth(at).unwrap().to_owned()
    };
    assert!(matrix[2].starts_with("  reference") && matrix[2].ends_with("conforms"));
    assert_eq!((cell(matrix[2], "fail"), cell(matrix[2], "R7")), ("0".to_owned(), "·".to_owned()));
    assert!(matrix[3].contains("trims_pipe_names") && cell(matrix[3], "R7") != "·" && cell(matrix[3], "R10") == "·");
    assert!(matrix[4].contains("rate_limited") && cell(matrix[4], "R10") != "·");
    assert!(matrix.contains(&"worst: diverges from the reference (exit 1)"));

    let record: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&json).unwrap().trim()).unwrap();
    assert_eq!((record["type"].as_str(), record["exit_code"].as_u64()), (Some("matrix"), Some(1)));
    let rows = record["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let totals: Vec<u64> =
        rows.iter().map(|r| ["pass", "fail", "error"].iter().map(|k| r["counts"][k].as_u64().unwrap()).sum()).collect();
    let cases = harness::event::suite::cases().unwrap().len() as u64 + 100;
    assert_eq!(totals, [cases; 3], "the same cases for each: the built-in suite and 100 generated");
    for (n, row) in rows.iter().enumerate() {
        let own = std::fs::read_to_string(dir.path(&format!("report.{}.jsonl", n + 1))).unwrap();
        let first: serde_json::Value = serde_json::from_str(own.lines().next().unwrap()).unwrap();
        assert_eq!(first["implementation"], row["implementation"], "each implementation's own report");
        assert_eq!(first["seed"], 1);
    }
    let page = std::fs::read_to_string(&html).unwrap();
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() };
    let document = roxmltree::Document::parse_with_options(&page, options).expect("the matrix page is well-formed");
    let links: Vec<&str> = document.descendants().filter_map(|n| n.attribute("href")).collect();
    assert_eq!(links, ["report.1.html", "report.2.html", "report.3.html"]);
    assert!(links.iter().all(|l| dir.path(l).is_file()));
}
