//! Where a sandboxed program may read and write: the same folders for Landlock's rules and for the
//! supervisor's judgement of each attempt, so that what is refused is what is reported.

use std::path::{Component, Path, PathBuf};

/// Folders and files of the system every runtime reads: libraries, interpreters, certificates, the
/// dynamic loader's and the C library's configuration. Not `/etc` as a whole (it holds the host's name,
/// its users' shadowed passwords, its resolver), not `/home`, `/root`, `/tmp` or `/var`.
const SYSTEM_READS: &[&str] = &[
    "/usr",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/bin",
    "/sbin",
    "/opt",
    "/nix/store",
    "/proc",
    "/sys",
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/ssl/certs",
    "/etc/ssl/openssl.cnf",
    "/etc/ca-certificates",
    "/etc/alternatives",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/host.conf",
    "/etc/gai.conf",
    "/etc/locale.alias",
    "/etc/passwd",
    "/etc/group",
    "/etc/protocols",
    "/etc/services",
    "/etc/mime.types",
    "/etc/os-release",
];

/// Devices a program may write to as well as read.
const SYSTEM_WRITES: &[&str] = &["/dev/null", "/dev/zero", "/dev/full"];

/// Names of folders whose parent is a runtime's installation (`/usr/bin/node` → `/usr`, a virtual
/// environment's `venv/bin/python` → `venv`, pyenv's `shims/python3` → `.pyenv`).
const PROGRAM_FOLDERS: &[&str] = &["bin", "sbin", "shims", "Scripts"];

/// What a program may read and write.
#[derive(Debug, Clone, Default)]
pub(super) struct Reach {
    /// Folders (and files) it may read, canonical.
    pub(super) reads: Vec<PathBuf>,
    /// Folders (and files) it may write, canonical.
    pub(super) writes: Vec<PathBuf>,
}

impl Reach {
    /// The reach of a program started as `program` (an `argv[0]`, looked up on `PATH` when bare) that
    /// needs `own` (its own files and folders, its runtime and dependencies), writing in `private`.
    pub(super) fn of(program: &Path, own: &[PathBuf], private: &Path) -> Reach {
        let mut reads: Vec<PathBuf> = SYSTEM_READS.iter().map(PathBuf::from).collect();
        reads.extend(system_python_config());
        if let Some(found) = locate(program) {
            reads.push(installation_of(&found));
            if let Ok(canonical) = found.canonicalize() {
                reads.push(installation_of(&canonical));
            }
        }
        for path in own {
            let path = absolute(path);
            if path.is_dir() {
                reads.push(path);
            } else {
                // A program named on the line (`env … /x/venv/bin/python port.py`) brings its installation.
                reads.push(installation_of(&path));
            }
        }
        let mut writes: Vec<PathBuf> = SYSTEM_WRITES.iter().map(PathBuf::from).collect();
        writes.push(private.to_owned());
        Reach { reads: canonical_existing(reads), writes: canonical_existing(writes) }
    }

    /// Whether `path` (absolute, with its symbolic links resolved) may be read.
    pub(super) fn may_read(&self, path: &Path) -> bool {
        self.reads.iter().chain(&self.writes).any(|root| path.starts_with(root))
    }

    /// Whether `path` (absolute, with its symbolic links resolved) may be written.
    pub(super) fn may_write(&self, path: &Path) -> bool {
        self.writes.iter().any(|root| path.starts_with(root))
    }
}

/// Debian's per-version Python configuration (`/etc/python3.11/sitecustomize.py`).
fn system_python_config() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("/etc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("python"))
        .map(|e| e.path())
        .collect()
}

/// Where `program` is: itself when it names a path, else the first match on `PATH`.
fn locate(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return Some(absolute(program));
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// The installation a program file belongs to: the parent of its `bin`-like folder, else its folder.
fn installation_of(program: &Path) -> PathBuf {
    let folder = program.parent().unwrap_or(Path::new("/"));
    match folder.file_name().and_then(|n| n.to_str()) {
        Some(name) if PROGRAM_FOLDERS.contains(&name) => folder.parent().unwrap_or(folder).to_owned(),
        _ => folder.to_owned(),
    }
}

/// `path` made absolute against the current folder, without touching the file system.
pub(super) fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        normalize(&std::env::current_dir().unwrap_or_default().join(path))
    }
}

/// `.` and `..` removed lexically.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `path` (absolute and normalised) with its symbolic links resolved as far as it exists: the longest
/// existing prefix canonicalised, the rest appended. What Landlock would judge.
pub(super) fn resolved(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let mut rest = Vec::new();
    let mut prefix = path.to_owned();
    while let Some(name) = prefix.file_name().map(ToOwned::to_owned) {
        rest.push(name);
        prefix.pop();
        if let Ok(canonical) = prefix.canonicalize() {
            let mut out = canonical;
            out.extend(rest.iter().rev());
            return out;
        }
    }
    path.to_owned()
}

fn canonical_existing(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = paths.into_iter().filter_map(|p| p.canonicalize().ok()).collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_system_its_program_and_own_folder_but_not_the_host_secrets() {
        let private = std::env::temp_dir();
        let own = [PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")];
        let reach = Reach::of(Path::new("sh"), &own, &private);
        assert!(reach.may_read(&resolved(Path::new("/usr/lib"))));
        assert!(reach.may_read(&resolved(Path::new(env!("CARGO_MANIFEST_DIR")))));
        assert!(!reach.may_read(Path::new("/etc/hostname")));
        assert!(!reach.may_read(Path::new("/etc/shadow")));
        assert!(reach.may_write(&resolved(&private.join("x"))));
        assert!(!reach.may_write(&resolved(Path::new("/usr/lib/x"))));
        assert!(reach.may_write(Path::new("/dev/null")));
    }

    #[test]
    fn paths_resolve_as_the_kernel_would() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(installation_of(Path::new("/x/venv/bin/python")), PathBuf::from("/x/venv"));
        assert_eq!(installation_of(Path::new("/x/port/run.sh")), PathBuf::from("/x/port"));
        let tmp = std::env::temp_dir().canonicalize().unwrap();
        assert_eq!(resolved(&tmp.join("surely/not/there")), tmp.join("surely/not/there"));
    }
}
