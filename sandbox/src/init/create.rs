//! `sandbox-init create`: the host side (process A) and the user-namespace side (process B) of
//! making a sandbox. The sequence follows ENGINE.md's proven recipe:
//!
//! 1. A joins the sandbox's cgroups, then forks B.
//! 2. B unshares the user namespace and waits; A writes B's uid/gid maps (from outside, so B
//!    keeps its capabilities across exec) and mounts the node image idmapped through B's user
//!    namespace at `dir/lower` in the host mount namespace.
//! 3. B becomes root of its namespace, unshares mount/pid/net/uts/ipc/cgroup, makes its mounts
//!    private and forks C, pid 1 of the new pid namespace; B reports C's pid and exits.
//! 4. A detaches the host's copy of `dir/lower` (C keeps its private copy), plugs the veth into
//!    C's net namespace and tells C to go. C builds the root and execs tini (see `node.rs`).
//! 5. A reads the error pipe until C's exec closes it, and prints the result.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use nix::fcntl::OFlag;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sched::{unshare, CloneFlags};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::{fork, pipe2, setgroups, setresgid, setresuid, ForkResult, Gid, Pid, Uid};

use super::InitSpec;
use crate::cgroup::CgroupError;
use crate::error::{At, InitError, InitFailure, Stage};
use crate::{cgroup, net, sys};

/// How long the sandbox may take to reach the exec of tini.
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

struct Pipes {
    b2a: (OwnedFd, OwnedFd),
    a2b: (OwnedFd, OwnedFd),
    go: (OwnedFd, OwnedFd),
    err: (OwnedFd, OwnedFd),
}

fn pipe() -> Result<(OwnedFd, OwnedFd), InitError> {
    pipe2(OFlag::O_CLOEXEC).at(Stage::Handshake, "pipe2")
}

/// A cgroup failure as a step of setup (the file written, and its errno).
fn cgroup_error(e: CgroupError) -> InitError {
    match e {
        CgroupError::Write { path, value, source } => {
            InitError::os(Stage::Cgroup, format!("write {value} to {}", path.display()), source)
        }
        other => InitError::msg(Stage::Cgroup, "join", other.to_string()),
    }
}

/// Creates the sandbox; returns the host pid of its init.
pub(super) fn create(spec: &InitSpec) -> Result<i32, InitError> {
    sys::close_fds_except(&[]);
    cgroup::join_dirs(&spec.cgroup_dirs, std::process::id() as i32).map_err(cgroup_error)?;
    let p = Pipes { b2a: pipe()?, a2b: pipe()?, go: pipe()?, err: pipe()? };
    // SAFETY: this process is single-threaded (sandbox-init never spawns threads), so the child
    // may call any function (fork(2), "async-signal-safe" only matters for multi-threaded parents).
    match unsafe { fork() }.at(Stage::Handshake, "fork")? {
        ForkResult::Child => {
            let code = match stage_b(spec, p.b2a.1, p.a2b.0, p.go.0, &p.err.1) {
                Ok(()) => 0,
                Err(e) => report(&p.err.1, &e),
            };
            // SAFETY: _exit(2) skips atexit handlers and stdio flushing that belong to A.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            let Pipes { b2a, a2b, go, err } = p;
            drop((b2a.1, a2b.0, go.0, err.1));
            let result = host_side(spec, child, b2a.0, a2b.1, go.1, err.0);
            let _ = waitpid(child, None);
            result
        }
    }
}

/// Writes the failure to the error pipe as JSON ([`InitFailure`]); the host side rebuilds it.
fn report(err: &OwnedFd, e: &InitError) -> i32 {
    let json = serde_json::to_vec(&InitFailure::from(e)).unwrap_or_default();
    if let Ok(fd) = err.try_clone() {
        let _ = File::from(fd).write_all(&json);
    }
    1
}

fn host_side(spec: &InitSpec, b: Pid, b2a: OwnedFd, a2b: OwnedFd, go: OwnedFd, err: OwnedFd) -> Result<i32, InitError> {
    let (mut from_b, mut to_b, mut go) = (File::from(b2a), File::from(a2b), File::from(go));
    let lower = spec.dir.join("lower");
    let mut byte = [0u8; 1];
    if from_b.read_exact(&mut byte).is_err() {
        return Err(read_error(err).unwrap_or_else(|| silent(Stage::UserNamespace)));
    }
    let mapped = map_ids(b, spec.uid_base).and_then(|()| {
        let userns = File::open(format!("/proc/{b}/ns/user")).at(Stage::ImageMount, "open the user namespace")?;
        sys::idmapped_bind(&spec.rootfs, &lower, &OwnedFd::from(userns))
            .at(Stage::ImageMount, format!("idmapped mount of {} on {}", spec.rootfs.display(), lower.display()))
    });
    if let Err(e) = mapped {
        let _ = kill(b, Signal::SIGKILL);
        return Err(e);
    }
    let _ = to_b.write_all(b"G");
    let mut pid = [0u8; 4];
    let got = from_b.read_exact(&mut pid);
    // C has its own private copies now (or never will): the host's go either way.
    let _ = umount2(&lower, MntFlags::MNT_DETACH);
    crate::disk::detach(&spec.storage);
    if got.is_err() {
        return Err(read_error(err).unwrap_or_else(|| silent(Stage::Namespaces)));
    }
    let c = i32::from_le_bytes(pid);
    if let Err(e) = net::plug_veth(&spec.veth, c, &spec.net.bridge, spec.net.mtu, &spec.net.ip.to_string()) {
        let _ = kill(Pid::from_raw(c), Signal::SIGKILL);
        return Err(InitError::msg(Stage::Veth, format!("plug {} into {}", spec.veth, spec.net.bridge), e.to_string()));
    }
    let _ = go.write_all(b"G");
    drop(go);
    match read_error(err) {
        None => Ok(c),
        Some(e) => {
            let _ = kill(Pid::from_raw(c), Signal::SIGKILL);
            Err(e)
        }
    }
}

/// A process of the setup ended without saying why.
fn silent(stage: Stage) -> InitError {
    InitError::msg(stage, "setup process", "ended without a message")
}

/// Reads what B or C wrote to the error pipe until every writer closed it (C's exec of tini
/// closes it empty), with a time limit. `None` when nothing was written.
fn read_error(err: OwnedFd) -> Option<InitError> {
    let mut msg = Vec::new();
    let mut f = File::from(err);
    let deadline = std::time::Instant::now() + SETUP_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let ms = PollTimeout::try_from(left.as_millis().min(60_000) as i32).unwrap_or(PollTimeout::ZERO);
        let mut fds = [PollFd::new(f.as_fd(), PollFlags::POLLIN)];
        if left.is_zero() || poll(&mut fds, ms).unwrap_or(0) == 0 {
            let what = format!("no exec of the init within {} s", SETUP_TIMEOUT.as_secs());
            return Some(InitError::msg(Stage::Timeout, what, "timed out"));
        }
        let mut buf = [0u8; 4096];
        match f.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => msg.extend_from_slice(&buf[..n]),
        }
    }
    if msg.is_empty() {
        return None;
    }
    Some(match serde_json::from_slice::<InitFailure>(&msg) {
        Ok(f) => f.into(),
        Err(_) => InitError::msg(Stage::Handshake, "error pipe", String::from_utf8_lossy(&msg).into_owned()),
    })
}

fn map_ids(pid: Pid, base: u32) -> Result<(), InitError> {
    let map = format!("0 {base} 65536\n");
    for f in ["uid_map", "gid_map"] {
        std::fs::write(format!("/proc/{pid}/{f}"), &map).at(Stage::IdMap, format!("write {f}"))?;
    }
    Ok(())
}

/// Process B: user namespace first, then (as its root) every other namespace; forks C.
fn stage_b(spec: &InitSpec, b2a: OwnedFd, a2b: OwnedFd, go: OwnedFd, err: &OwnedFd) -> Result<(), InitError> {
    null_stdio()?;
    let (mut to_a, mut from_a) = (File::from(b2a), File::from(a2b));
    unshare(CloneFlags::CLONE_NEWUSER).at(Stage::UserNamespace, "unshare(user)")?;
    to_a.write_all(b"U").at(Stage::Handshake, "notify the host")?;
    let mut byte = [0u8; 1];
    from_a.read_exact(&mut byte).map_err(|_| InitError::msg(Stage::IdMap, "wait for the id maps", "the host gave up"))?;
    setgroups(&[]).at(Stage::UserNamespace, "setgroups")?;
    setresgid(Gid::from_raw(0), Gid::from_raw(0), Gid::from_raw(0)).at(Stage::UserNamespace, "setresgid")?;
    setresuid(Uid::from_raw(0), Uid::from_raw(0), Uid::from_raw(0)).at(Stage::UserNamespace, "setresuid")?;
    let flags = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWNET
        | CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWIPC | CloneFlags::CLONE_NEWCGROUP;
    unshare(flags).at(Stage::Namespaces, "unshare(mnt,pid,net,uts,ipc,cgroup)")?;
    // Before the host detaches its copy of lower/: nothing may propagate into the sandbox.
    mount(None::<&str>, "/", None::<&str>, MsFlags::MS_REC | MsFlags::MS_PRIVATE, None::<&str>)
        .at(Stage::Namespaces, "make / private")?;
    // SAFETY: B is single-threaded too (a fork of single-threaded A).
    match unsafe { fork() }.at(Stage::Namespaces, "fork pid 1")? {
        ForkResult::Child => {
            drop(to_a);
            let e = match super::node::stage_c(spec, go) {
                Ok(never) => match never {},
                Err(e) => e,
            };
            let code = report(err, &e);
            // SAFETY: see create().
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            to_a.write_all(&child.as_raw().to_le_bytes()).at(Stage::Handshake, "report the pid")?;
            Ok(())
        }
    }
}

/// stdin/stdout/stderr → /dev/null, so no sandbox process holds the caller's result pipe.
fn null_stdio() -> Result<(), InitError> {
    let null = File::options().read(true).write(true).open("/dev/null").at(Stage::Handshake, "open /dev/null")?;
    for fd in 0..3 {
        // SAFETY: dup2(2) on a descriptor we own onto the standard ones.
        if unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), fd) } < 0 {
            return Err(InitError::os(Stage::Handshake, "dup2", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}
