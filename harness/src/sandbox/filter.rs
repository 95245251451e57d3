//! The seccomp filters a sandboxed program runs under, compiled with `seccompiler`:
//!
//! - **refused** (`EPERM`): leaving the process group (`setsid`, `setpgid`), raw and packet sockets, TCP
//!   Fast Open (a connection made by `sendto`, which no connect rule sees), and what no action needs and
//!   a root process could misuse (tracing, mounts, namespaces, modules, keyrings, the clock);
//! - **absent** (`ENOSYS`): `clone3` (its flags are behind a pointer, so runtimes fall back to `clone`,
//!   whose flags the next filter can read) and `io_uring` (its operations bypass seccomp);
//! - **supervised** (user notification, answered by `supervisor`): starting processes, UDP sockets,
//!   `connect`, sends with a destination, and every path a file is opened, executed, created or removed
//!   at. The supervisor reports what it refuses; Landlock enforces the same reach without races.
//!
//! `seccompiler` has no user-notification action: the supervised filter is compiled with a `Trace`
//! action carrying a tag, whose return instructions are then rewritten to `SECCOMP_RET_USER_NOTIF`.

use seccompiler::{
    sock_filter, BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op, SeccompCondition,
    SeccompFilter, SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// The tag of the `Trace` action that becomes `SECCOMP_RET_USER_NOTIF`.
const NOTIFY_TAG: u32 = 0x7b7b;

/// The three filters, in the order they are installed.
pub(super) struct Filters {
    /// `EPERM` filter.
    pub(super) refused: BpfProgram,
    /// `ENOSYS` filter.
    pub(super) absent: BpfProgram,
    /// User-notification filter.
    pub(super) supervised: BpfProgram,
}

type Rules = BTreeMap<i64, Vec<SeccompRule>>;

fn cond(arg: u8, op: Op, value: u64) -> SeccompCondition {
    SeccompCondition::new(arg, Len::Qword, op, value).expect("a valid condition")
}

fn dword(arg: u8, op: Op, value: u64) -> SeccompCondition {
    SeccompCondition::new(arg, Len::Dword, op, value).expect("a valid condition")
}

fn rule(conditions: Vec<SeccompCondition>) -> SeccompRule {
    SeccompRule::new(conditions).expect("a rule with conditions")
}

fn always(rules: &mut Rules, syscalls: &[libc::c_long]) {
    for &nr in syscalls {
        rules.insert(nr, Vec::new());
    }
}

fn compile(rules: Rules, action: SeccompAction) -> Result<BpfProgram, String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, action, arch).map_err(|e| e.to_string())?;
    let program: BpfProgram = filter.try_into().map_err(|e: seccompiler::BackendError| e.to_string())?;
    Ok(with_x32_refused(program))
}

/// On x86_64, the x32 ABI's syscall numbers (bit 30 set) name the same calls under other numbers: they
/// are refused before the filter proper looks at anything.
fn with_x32_refused(program: BpfProgram) -> BpfProgram {
    if std::env::consts::ARCH != "x86_64" {
        return program;
    }
    const BPF_LD_W_ABS: u16 = 0x20;
    const BPF_JMP_JGE_K: u16 = 0x35;
    const BPF_RET_K: u16 = 0x06;
    let mut out = vec![
        sock_filter { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 0 },
        sock_filter { code: BPF_JMP_JGE_K, jt: 0, jf: 1, k: 0x4000_0000 },
        sock_filter { code: BPF_RET_K, jt: 0, jf: 0, k: libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32 },
    ];
    out.extend(program);
    out
}

/// The filters for this architecture.
pub(super) fn filters() -> Result<Filters, String> {
    Ok(Filters { refused: refused()?, absent: absent()?, supervised: supervised()? })
}

fn refused() -> Result<BpfProgram, String> {
    use libc::*;
    let mut rules = Rules::new();
    always(
        &mut rules,
        &[
            SYS_setsid,
            SYS_setpgid,
            SYS_ptrace,
            SYS_process_vm_writev,
            SYS_process_vm_readv,
            SYS_bpf,
            SYS_perf_event_open,
            SYS_userfaultfd,
            SYS_keyctl,
            SYS_add_key,
            SYS_request_key,
            SYS_mount,
            SYS_umount2,
            SYS_pivot_root,
            SYS_chroot,
            SYS_unshare,
            SYS_setns,
            SYS_open_by_handle_at,
            SYS_name_to_handle_at,
            SYS_kexec_load,
            SYS_kexec_file_load,
            SYS_init_module,
            SYS_finit_module,
            SYS_delete_module,
            SYS_reboot,
            SYS_swapon,
            SYS_swapoff,
            SYS_settimeofday,
            SYS_clock_settime,
            SYS_clock_adjtime,
            SYS_adjtimex,
            SYS_acct,
            SYS_quotactl,
            SYS_syslog,
            SYS_fanotify_init,
            SYS_fsopen,
            SYS_fsmount,
            SYS_fspick,
            SYS_move_mount,
            SYS_open_tree,
            SYS_mount_setattr,
        ],
    );
    #[cfg(target_arch = "x86_64")]
    always(&mut rules, &[SYS_iopl, SYS_ioperm]);
    rules.insert(
        SYS_socket,
        vec![rule(vec![dword(0, Op::Eq, AF_PACKET as u64)]), rule(vec![dword(1, Op::MaskedEq(0xf), SOCK_RAW as u64)])],
    );
    let fast_open = |arg: u8| vec![rule(vec![dword(arg, Op::MaskedEq(MSG_FASTOPEN as u64), MSG_FASTOPEN as u64)])];
    rules.insert(SYS_sendto, fast_open(3));
    rules.insert(SYS_sendmsg, fast_open(2));
    rules.insert(SYS_sendmmsg, fast_open(3));
    compile(rules, SeccompAction::Errno(EPERM as u32))
}

fn absent() -> Result<BpfProgram, String> {
    use libc::*;
    let mut rules = Rules::new();
    always(&mut rules, &[SYS_clone3, SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register]);
    compile(rules, SeccompAction::Errno(ENOSYS as u32))
}

fn supervised() -> Result<BpfProgram, String> {
    use libc::*;
    let mut rules = Rules::new();
    rules.insert(SYS_clone, vec![rule(vec![cond(0, Op::MaskedEq(CLONE_THREAD as u64), 0)])]);
    rules.insert(
        SYS_socket,
        [AF_INET, AF_INET6]
            .into_iter()
            .map(|family| rule(vec![dword(0, Op::Eq, family as u64), dword(1, Op::MaskedEq(0xf), SOCK_DGRAM as u64)]))
            .collect(),
    );
    rules.insert(SYS_sendto, vec![rule(vec![cond(4, Op::Ne, 0)])]);
    always(
        &mut rules,
        &[
            SYS_connect,
            SYS_sendmsg,
            SYS_sendmmsg,
            SYS_openat,
            SYS_openat2,
            SYS_execve,
            SYS_execveat,
            SYS_mkdirat,
            SYS_unlinkat,
            SYS_renameat,
            SYS_renameat2,
            SYS_linkat,
            SYS_symlinkat,
            SYS_truncate,
            SYS_fchmodat,
            SYS_fchownat,
            SYS_mknodat,
        ],
    );
    #[cfg(target_arch = "x86_64")]
    always(
        &mut rules,
        &[
            SYS_fork,
            SYS_vfork,
            SYS_open,
            SYS_creat,
            SYS_mkdir,
            SYS_rmdir,
            SYS_unlink,
            SYS_rename,
            SYS_link,
            SYS_symlink,
            SYS_chmod,
            SYS_chown,
            SYS_lchown,
            SYS_mknod,
        ],
    );
    let program = compile(rules, SeccompAction::Trace(NOTIFY_TAG))?;
    Ok(to_user_notif(program))
}

/// Rewrites the `Trace(NOTIFY_TAG)` returns of `program` into user-notification returns.
fn to_user_notif(mut program: BpfProgram) -> BpfProgram {
    const BPF_RET_K: u16 = 0x06;
    let tagged = libc::SECCOMP_RET_TRACE | NOTIFY_TAG;
    for instruction in &mut program {
        if instruction.code == BPF_RET_K && instruction.k == tagged {
            instruction.k = libc::SECCOMP_RET_USER_NOTIF;
        }
    }
    program
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_compile_and_notify_instead_of_tracing() {
        let filters = filters().unwrap();
        for program in [&filters.refused, &filters.absent, &filters.supervised] {
            assert!(!program.is_empty() && program.len() < 4096, "a BPF program has at most 4096 instructions");
        }
        let returns = |p: &BpfProgram, k: u32| p.iter().filter(|i| i.code == 0x06 && i.k == k).count();
        assert!(returns(&filters.supervised, libc::SECCOMP_RET_USER_NOTIF) > 0);
        assert_eq!(returns(&filters.supervised, libc::SECCOMP_RET_TRACE | NOTIFY_TAG), 0);
        assert!(returns(&filters.refused, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32) > 0);
    }
}
