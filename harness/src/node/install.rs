//! npm installs into the harness cache: the runtime's locked packages and actions' declared dependencies.
//!
//! Each install goes to a folder named by the SHA-256 of what defines it and is built in a temporary
//! sibling, then renamed into place, so concurrent processes (parallel tests, CI shards) never see a
//! half-installed folder and the install happens once per machine.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::integrity;
use super::{ActionSource, Dependency};

/// The runtime files compiled into the binary, so an installed `tbjwt` needs no source checkout.
const RUNTIME_FILES: [(&str, &str); 4] = [
    ("package.json", include_str!("../../node/package.json")),
    ("package-lock.json", include_str!("../../node/package-lock.json")),
    ("runtime.js", include_str!("../../node/runtime.js")),
    ("bench-sign.js", include_str!("../../node/bench-sign.js")),
];

/// A failure to prepare Node.js or npm packages.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// `node` or `npm` could not be started.
    #[error("cannot run `{program}`: {source}; tbjwt needs Node.js 18 or newer and npm on PATH")]
    Missing {
        /// The program name.
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// npm ran and failed.
    #[error("`npm {args}` failed in {dir}:\n{output}")]
    Npm {
        /// The npm arguments.
        args: String,
        /// Where it ran.
        dir: PathBuf,
        /// The tail of its output.
        output: String,
    },
    /// A file or folder of the cache could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A Marketplace folder or action file is not usable.
    #[error("{path}: {message}")]
    Action {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> NodeError + '_ {
    move |source| NodeError::Io { path: path.to_owned(), source }
}

/// The folder that holds the harness's npm installs: `$TBJWT_CACHE_DIR`, else `$XDG_CACHE_HOME/tbjwt`,
/// else `~/.cache/tbjwt`, else a folder under the system temporary directory.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("TBJWT_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("tbjwt");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".cache").join("tbjwt");
    }
    std::env::temp_dir().join("tbjwt-cache")
}

/// The installed runtime: `runtime.js` beside a `node_modules` with the locked packages.
#[derive(Debug, Clone)]
pub struct RuntimeDir {
    /// The folder.
    pub dir: PathBuf,
}

impl RuntimeDir {
    /// The runtime script.
    pub fn script(&self) -> PathBuf {
        self.dir.join("runtime.js")
    }

    /// The `jsonwebtoken.sign`-alone baseline script of `tbjwt bench node`.
    pub fn bench_sign_script(&self) -> PathBuf {
        self.dir.join("bench-sign.js")
    }

    /// The `node_modules` folder with `jsonwebtoken@9.0.1`.
    pub fn node_modules(&self) -> PathBuf {
        self.dir.join("node_modules")
    }
}

fn runtime_key() -> String {
    let mut hasher = Sha256::new();
    for (name, text) in RUNTIME_FILES {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..8])
}

/// Rewrites any runtime file of an installed runtime that differs from the embedded one (recording it).
fn restore_files(dir: &Path) -> Result<(), NodeError> {
    for (name, text) in RUNTIME_FILES {
        let path = dir.join(name);
        if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
            integrity::record(format!("the harness's runtime file {} was changed; it is restored", path.display()));
            std::fs::write(&path, text).map_err(io_err(&path))?;
        }
    }
    Ok(())
}

/// Checks what the harness installed at the end of a run (after the last implementation process
/// stopped): restores the runtime's files, then checks every package tree seen against its digest
/// (`integrity::verify_seen`). What changed is recorded (`integrity::take_findings`).
pub fn verify_after_run() {
    // The runtime files first: a changed package tree removes the install's marker, and the runtime
    // files are only restored (and their change recorded) where the marker is.
    restore_runtime_files();
    integrity::verify_seen();
}

/// Restores the installed runtime's files, if it is installed (end of a run).
fn restore_runtime_files() {
    let dir = cache_root().join("runtime").join(runtime_key());
    if dir.join(".complete").exists() {
        let _ = restore_files(&dir);
    }
}

/// Writes the embedded runtime into the cache and installs its locked packages (`npm ci`), once; before
/// each use, checks that nothing changed it (see `node::integrity`).
pub fn ensure_runtime() -> Result<RuntimeDir, NodeError> {
    let key = runtime_key();
    let dir = cache_root().join("runtime").join(&key);
    if dir.join(".complete").exists() {
        restore_files(&dir)?;
    }
    let dir = install_once(&cache_root().join("runtime"), &key, |tmp| {
        for (name, text) in RUNTIME_FILES {
            let path = tmp.join(name);
            std::fs::write(&path, text).map_err(io_err(&path))?;
        }
        npm(tmp, &["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"])
    })?;
    Ok(RuntimeDir { dir })
}

/// The `node_modules` folder an action loads its packages from: the runtime's own locked packages for a
/// bare file or for declared dependencies they already satisfy (the published action's
/// `jsonwebtoken@9.0.1`), otherwise a cached install of the declared set.
pub fn modules_for(action: &ActionSource, runtime: &RuntimeDir) -> Result<Option<PathBuf>, NodeError> {
    let Some(deps) = &action.dependencies else {
        return Ok(Some(runtime.node_modules()));
    };
    if deps.is_empty() {
        return Ok(None);
    }
    let locked: serde_json::Value =
        serde_json::from_str(RUNTIME_FILES[0].1).expect("the embedded package.json is JSON");
    let satisfied = deps.iter().all(|d| locked["dependencies"][&d.name].as_str() == Some(d.version.as_str()));
    if satisfied {
        return Ok(Some(runtime.node_modules()));
    }
    ensure_dependencies(deps)
}

/// Installs an action's declared dependencies (`npm install` of exact versions) into the cache, once per
/// distinct set, and returns the `node_modules` folder. An empty set needs no install.
pub fn ensure_dependencies(deps: &[Dependency]) -> Result<Option<PathBuf>, NodeError> {
    if deps.is_empty() {
        return Ok(None);
    }
    let mut sorted: Vec<&Dependency> = deps.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut manifest = serde_json::Map::new();
    for d in &sorted {
        manifest.insert(d.name.clone(), serde_json::Value::String(d.version.clone()));
    }
    let package = serde_json::json!({"name": "tbjwt-action-deps", "private": true, "dependencies": manifest});
    let text = serde_json::to_string_pretty(&package).expect("a JSON value serialises");
    let key = hex::encode(&Sha256::digest(text.as_bytes())[..8]);
    let dir = install_once(&cache_root().join("deps"), &key, |tmp| {
        let path = tmp.join("package.json");
        std::fs::write(&path, &text).map_err(io_err(&path))?;
        npm(tmp, &["install", "--no-audit", "--no-fund", "--loglevel=error"])
    })?;
    Ok(Some(dir.join("node_modules")))
}

/// Builds `parent/key` with `build` in a temporary sibling unless it exists intact, then renames it into
/// place. The `.complete` marker holds the digest of the installed `node_modules` tree; a folder whose tree
/// no longer matches it was changed after the install: that is recorded, and the folder is built again.
fn install_once(
    parent: &Path,
    key: &str,
    build: impl FnOnce(&Path) -> Result<(), NodeError>,
) -> Result<PathBuf, NodeError> {
    let dir = parent.join(key);
    let marker = dir.join(".complete");
    if marker.exists() {
        let modules = dir.join("node_modules");
        let recorded = std::fs::read_to_string(&marker).unwrap_or_default();
        if recorded.trim().is_empty() {
            // An install from before markers held digests: take its digest as it is now.
            let digest = integrity::tree_digest(&modules);
            std::fs::write(&marker, &digest).map_err(io_err(&marker))?;
            integrity::remember(&modules, &digest);
            return Ok(dir);
        }
        if integrity::tree_intact(&modules, &marker) {
            return Ok(dir);
        }
        integrity::record(format!(
            "the harness's installed packages in {} were changed; they are installed again",
            modules.display()
        ));
        integrity::forget(&modules);
        let _ = std::fs::remove_dir_all(&dir);
    }
    std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let tmp = parent.join(format!(".{key}.tmp-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    let built = build(&tmp).and_then(|()| {
        let marker = tmp.join(".complete");
        std::fs::write(&marker, integrity::tree_digest(&tmp.join("node_modules"))).map_err(io_err(&marker))
    });
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() && !dir.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&dir); // left by an interrupted manual clean-up
    }
    if let Err(source) = std::fs::rename(&tmp, &dir) {
        let _ = std::fs::remove_dir_all(&tmp);
        // Losing the race to another process is fine: its folder is complete.
        if !dir.join(".complete").exists() {
            return Err(NodeError::Io { path: dir, source });
        }
    }
    if let Ok(digest) = std::fs::read_to_string(dir.join(".complete")) {
        integrity::remember(&dir.join("node_modules"), digest.trim());
    }
    Ok(dir)
}

fn npm(dir: &Path, args: &[&str]) -> Result<(), NodeError> {
    let output = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|source| NodeError::Missing { program: "npm".into(), source })?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stdout));
    let tail: String = text.chars().rev().take(4000).collect::<Vec<_>>().into_iter().rev().collect();
    Err(NodeError::Npm { args: args.join(" "), dir: dir.to_owned(), output: tail })
}
