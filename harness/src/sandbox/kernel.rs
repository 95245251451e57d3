//! What this machine's kernel offers the sandbox, probed once per process.

use std::sync::OnceLock;

/// What this machine's kernel offers the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Support {
    /// The Landlock ABI version (0: none).
    pub landlock_abi: i32,
    /// Whether seccomp filters with user notification can be installed.
    pub seccomp_notify: bool,
}

/// Set to a comma-separated list (`landlock`, `seccomp`) to run as if the kernel lacked those features:
/// how the tests see what `--sandbox auto` and `require` do on an older machine.
pub const PRETEND_MISSING_VAR: &str = "TBJWT_SANDBOX_PRETEND_MISSING";

/// What the kernel offers (probed once per process).
pub fn support() -> Support {
    static SUPPORT: OnceLock<Support> = OnceLock::new();
    *SUPPORT.get_or_init(|| {
        let missing = std::env::var(PRETEND_MISSING_VAR).unwrap_or_default();
        let pretend = |name: &str| missing.split(',').any(|m| m.trim() == name);
        Support {
            landlock_abi: if pretend("landlock") { 0 } else { landlock_abi() },
            seccomp_notify: !pretend("seccomp") && seccomp_notify_available(),
        }
    })
}

/// The Landlock ABI of the running kernel (0 when there is none).
fn landlock_abi() -> i32 {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: the version query takes no ruleset and writes nothing.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    abi.max(0) as i32
}

/// Whether seccomp user notification can supervise a child here: the kernel has the action, the
/// `CONTINUE` answer and `pidfd_getfd` (Linux 5.9), and Yama lets the harness take the child's listener.
fn seccomp_notify_available() -> bool {
    let mut action = libc::SECCOMP_RET_USER_NOTIF;
    // SAFETY: GET_ACTION_AVAIL reads one u32.
    let has_action =
        unsafe { libc::syscall(libc::SYS_seccomp, libc::SECCOMP_GET_ACTION_AVAIL, 0, &mut action as *mut u32) == 0 };
    // SAFETY: with an invalid pidfd the call only reports EBADF (or ENOSYS when it does not exist).
    let getfd = unsafe { libc::syscall(libc::SYS_pidfd_getfd, -1, 0, 0) };
    let has_getfd = getfd == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ENOSYS);
    let yama = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(0);
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    has_action && has_getfd && (yama < 2 || (yama == 2 && root))
}
