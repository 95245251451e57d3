//! Helpers shared by the integration tests: where the repository's fixtures are, and the `tbjwt` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::event::Case;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("harness/ has a parent").to_owned()
}

/// Every built-in case: the fixture events, then the committed regressions, each sorted by name.
pub fn fixture_cases() -> Vec<Case> {
    let cases = harness::event::suite::cases().expect("the built-in suite loads");
    assert!(cases.len() >= 40, "expected at least 40 fixtures, found {}", cases.len());
    cases
}

/// insta's settings for the snapshots under `folder` (from the repository root): named by the test's own
/// name, without the module or the expression.
pub fn snapshot_settings(folder: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join(folder));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

/// The `tbjwt` binary, run in the repository root without colours.
pub fn tbjwt() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tbjwt"));
    command.current_dir(repo_root()).env("NO_COLOR", "1");
    without_tbjwt_options(&mut command);
    command
}

/// `command` without the `TBJWT_*` variables of the environment: options a developer's shell sets must
/// not change what a test runs.
pub fn without_tbjwt_options(command: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TBJWT_") {
            command.env_remove(name);
        }
    }
    command
}

/// Validates JSON instances against the schemas of `schema_dir` (`NAME.schema.json`) with the Python
/// reference implementation of JSON Schema (`fixtures/tools/jsonschema`, pinned): each check is a schema
/// name, an instance and whether it must be valid. Panics with the checks that did not come out so.
pub fn assert_json_schemas(schema_dir: &Path, checks: &[(&str, &serde_json::Value, bool)]) {
    let lines: String = checks
        .iter()
        .map(|(schema, instance, valid)| {
            serde_json::json!({"schema": schema, "instance": instance, "valid": valid}).to_string() + "\n"
        })
        .collect();
    let tool = repo_root().join("fixtures/tools/jsonschema");
    let python = python_env("jsonschema", &tool.join("requirements.txt"));
    let mut child = Command::new(python)
        .arg(tool.join("validate.py"))
        .arg(schema_dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, lines.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "{}", text(&output));
}

/// `tbjwt ARGS…` in the repository root, run to completion.
pub fn run_tbjwt(args: &[&str]) -> Output {
    tbjwt().args(args).output().expect("tbjwt runs")
}

/// The exit code (-1 for a signal).
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// stdout then stderr, as text.
pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Whether process `pid` is alive (a zombie is not).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

/// Waits for `child` and returns its exit code and its own peak resident memory in bytes: the kernel's
/// high-water mark of its process image (`VmHWM`), read every 20 ms while it runs. Not `wait4`'s
/// `ru_maxrss`: that one keeps the high-water mark across `exec`, so it would count the test process the
/// child was forked from (hundreds of MB while other tests run), and it folds in the implementation's.
pub fn wait_with_peak_rss(mut child: std::process::Child) -> (Option<i32>, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            if let Some(kb) = hwm {
                peak = peak.max(kb * 1024);
            }
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            return (status.code(), peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A fresh temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `$TMPDIR/tbjwt-NAME-PID`, empty.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tbjwt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        TempDir(dir)
    }

    /// A path inside.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// A path inside, as an argument.
    pub fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `tbjwt mocks` process, with the JSON line it printed at start; killed when dropped.
pub struct RunningMocks {
    child: std::process::Child,
    /// The first line of its stdout.
    pub info: serde_json::Value,
}

impl RunningMocks {
    /// Starts `tbjwt mocks ARGS…` and reads its first line.
    pub fn start(args: &[&str]) -> RunningMocks {
        use std::io::BufRead;
        let mut child = tbjwt()
            .arg("mocks")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("tbjwt mocks starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let info = serde_json::from_str(&line).unwrap_or_else(|e| panic!("the first line is JSON ({e}): {line}"));
        RunningMocks { child, info }
    }

    /// A string field of the start line.
    pub fn field(&self, key: &str) -> &str {
        self.info[key].as_str().unwrap_or_else(|| panic!("{key} in {}", self.info))
    }
}

impl Drop for RunningMocks {
    /// Stops it as a user would (SIGTERM, so that it ends its action's processes and removes their
    /// sandbox's folder), and kills it if it has not stopped within 5 s.
    fn drop(&mut self) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The implementation's side of every security difference in a JSON report (`kind: detail`).
pub fn security_findings(report: &Path) -> Vec<String> {
    std::fs::read_to_string(report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["type"] == "case")
        .flat_map(|l| l["differences"].as_array().cloned().unwrap_or_default())
        .filter(|d| d["observable"] == "security")
        .filter_map(|d| d["implementation"].as_str().map(str::to_owned))
        .collect()
}

/// Runs `command`, panicking with its output when it fails.
pub fn run_ok(command: &mut Command, what: &str) -> Output {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what} failed: {}", text(&out));
    out
}

/// Environments the client tests install once per build folder (a virtual environment, an npm install),
/// one at a time.
static INSTALLS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The folder holding test installs: `CARGO_TARGET_TMPDIR/installs`.
fn installs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("installs")
}

/// The Python of a virtual environment named `name` with the pinned `requirements` file installed
/// (`pip install --no-deps`: every package is pinned there), made once and remade when the file changes.
pub fn python_env(name: &str, requirements: &Path) -> PathBuf {
    let _one_at_a_time = INSTALLS.lock().unwrap_or_else(|p| p.into_inner());
    let dir = installs_dir().join(name);
    let python = dir.join("bin/python");
    let wanted = std::fs::read_to_string(requirements).expect("the requirements file");
    let marker = dir.join(".tbjwt-installed");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) && python.exists() {
        return python;
    }
    let _ = std::fs::remove_dir_all(&dir);
    run_ok(Command::new("python3").args(["-m", "venv"]).arg(&dir), "python3 -m venv (Debian: python3-venv)");
    run_ok(
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "-r"])
            .arg(requirements),
        "pip install",
    );
    std::fs::write(&marker, wanted).unwrap();
    python
}

/// A copy of the npm project in `source` (its `package.json`, `package-lock.json` and its other files)
/// with `npm ci` run in it, made once and remade when the lock file changes.
pub fn npm_project(name: &str, source: &Path) -> PathBuf {
    let _one_at_a_time = INSTALLS.lock().unwrap_or_else(|p| p.into_inner());
    let dir = installs_dir().join(name);
    let lock = std::fs::read_to_string(source.join("package-lock.json")).expect("a package-lock.json");
    let marker = dir.join(".tbjwt-installed");
    let installed = std::fs::read_to_string(&marker).ok().as_deref() == Some(lock.as_str());
    if !installed {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
    }
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    if !installed {
        run_ok(Command::new("npm").args(["ci", "--silent", "--no-audit", "--no-fund"]).current_dir(&dir), "npm ci");
        std::fs::write(&marker, lock).unwrap();
    }
    dir
}
