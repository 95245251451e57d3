//! How setting up the sandbox can fail.

/// The sandbox cannot be set up as asked.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// `--sandbox require` on a kernel that lacks something.
    #[error("--sandbox require: not enforceable on this machine: {0}")]
    Required(String),
    /// Setting up a process's confinement failed.
    #[error("cannot set up the sandbox: {0}")]
    Setup(String),
}
