//! `sandbox-init enter PID[@START] CGDIR... -- ARGV...`: runs a command inside a running sandbox.
//!
//! `START` is the init's start time (see [`crate::ident`]): with it, a pid that now belongs to
//! another process is refused instead of entered.
//!
//! Joins the sandbox's cgroups (so its processes count against the sandbox's limits), enters
//! every namespace of the sandbox's init, the user namespace last (entering it first would drop
//! the privileges needed for the others, as nsenter(1) notes), becomes the sandbox's root, and
//! forks: the child (in the sandbox's pid namespace) execs ARGV; this process waits and exits
//! with the child's status, 128+N for a signal.

use std::convert::Infallible;
use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use nix::fcntl::{openat, OFlag};
use nix::sched::{setns, CloneFlags};
use nix::sys::stat::Mode;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{chdir, execvpe, fork, setgroups, setresgid, setresuid, ForkResult, Gid, Uid};

use crate::{cgroup, ident, sys};

/// Namespaces in the order they are entered.
const NAMESPACES: &[(&str, CloneFlags)] = &[
    ("cgroup", CloneFlags::CLONE_NEWCGROUP),
    ("ipc", CloneFlags::CLONE_NEWIPC),
    ("uts", CloneFlags::CLONE_NEWUTS),
    ("net", CloneFlags::CLONE_NEWNET),
    ("pid", CloneFlags::CLONE_NEWPID),
    ("mnt", CloneFlags::CLONE_NEWNS),
    ("user", CloneFlags::CLONE_NEWUSER),
];

/// Parsed command line of `enter`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EnterArgs {
    pub pid: i32,
    /// The init's start time; 0 when not given.
    pub start: u64,
    pub cgroup_dirs: Vec<PathBuf>,
    pub env: Vec<String>,
    pub argv: Vec<String>,
}

/// `PID[@START] [-e K=V]... [CGDIR]... -- ARGV...`
pub(crate) fn parse(args: &[String]) -> Result<EnterArgs, String> {
    let split = args.iter().position(|a| a == "--").ok_or("missing --")?;
    let (head, argv) = (&args[..split], &args[split + 1..]);
    let first = head.first().ok_or("bad PID")?;
    let (pid, start) = match first.split_once('@') {
        Some((p, s)) => (p, s.parse::<u64>().map_err(|_| "bad START")?),
        None => (first.as_str(), 0),
    };
    let pid = pid.parse().ok().filter(|p: &i32| *p > 0).ok_or("bad PID")?;
    let (mut env, mut cgroup_dirs) = (Vec::new(), Vec::new());
    let mut it = head[1..].iter();
    while let Some(a) = it.next() {
        if a == "-e" {
            env.push(it.next().filter(|kv| kv.contains('=')).ok_or("-e needs K=V")?.clone());
        } else {
            cgroup_dirs.push(PathBuf::from(a));
        }
    }
    if argv.is_empty() {
        return Err("empty command".into());
    }
    Ok(EnterArgs { pid, start, cgroup_dirs, env, argv: argv.to_vec() })
}

/// The environment of a command in a node: a root login's, plus `extra`.
pub(crate) fn environment(hostname: &str, extra: &[String]) -> Vec<String> {
    let mut env = vec![
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
        "HOME=/root".into(),
        "USER=root".into(),
        "LOGNAME=root".into(),
        "SHELL=/bin/bash".into(),
        "TERM=xterm-256color".into(),
        "LANG=C.UTF-8".into(),
        format!("HOSTNAME={hostname}"),
    ];
    for kv in extra {
        let key = kv.split('=').next().unwrap_or_default();
        env.retain(|e| e.split('=').next() != Some(key));
        env.push(kv.clone());
    }
    env
}

pub(crate) fn main(args: &[String]) -> i32 {
    let a = match parse(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("sandbox-init enter: {e}");
            return 125;
        }
    };
    match enter(&a) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sandbox-init enter: {e}");
            125
        }
    }
}

fn enter(a: &EnterArgs) -> Result<i32, String> {
    sys::close_fds_except(&[]);
    // Open every namespace before entering any: /proc changes meaning after setns(mnt). They are
    // opened below the checked /proc/PID directory, so they are the init's or nothing (ident.rs).
    // No error names the host pid: a student reads them.
    let proc_dir = ident::open_init(a.pid, a.start).map_err(|_| ident::NOT_RUNNING.to_string())?;
    let fds: Vec<(OwnedFd, CloneFlags, &str)> = NAMESPACES
        .iter()
        .map(|(n, f)| {
            openat(&proc_dir, format!("ns/{n}").as_str(), OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
                .map(|fd| (fd, *f, *n))
        })
        .collect::<Result<_, _>>()
        .map_err(|_| ident::NOT_RUNNING.to_string())?;
    cgroup::join_dirs(&a.cgroup_dirs, std::process::id() as i32).map_err(|e| e.to_string())?;
    for (fd, flag, name) in &fds {
        setns(fd, *flag).map_err(|e| format!("setns({name}): {e}"))?;
    }
    setgroups(&[]).map_err(|e| format!("setgroups: {e}"))?;
    setresgid(Gid::from_raw(0), Gid::from_raw(0), Gid::from_raw(0)).map_err(|e| format!("setresgid: {e}"))?;
    setresuid(Uid::from_raw(0), Uid::from_raw(0), Uid::from_raw(0)).map_err(|e| format!("setresuid: {e}"))?;
    let hostname = nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
    let env = environment(&hostname, &a.env);
    // SAFETY: sandbox-init is single-threaded.
    match unsafe { fork() }.map_err(|e| format!("fork: {e}"))? {
        ForkResult::Child => {
            let e = exec(&a.argv, &env).unwrap_err();
            eprintln!("{}: {e}", a.argv[0]);
            // SAFETY: _exit(2) in the forked child.
            unsafe { libc::_exit(127) }
        }
        ForkResult::Parent { child } => loop {
            match waitpid(child, None) {
                Ok(WaitStatus::Exited(_, code)) => return Ok(code),
                Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(128 + sig as i32),
                Ok(_) => continue,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(format!("wait: {e}")),
            }
        },
    }
}

fn exec(argv: &[String], env: &[String]) -> Result<Infallible, String> {
    // Die with this process: a terminal closed or an exec timed out must not leave the command.
    let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
    if chdir("/root").is_err() {
        let _ = chdir("/");
    }
    let c = |s: &String| CString::new(s.as_str()).map_err(|_| format!("NUL in {s:?}"));
    let argv: Vec<CString> = argv.iter().map(c).collect::<Result<_, _>>()?;
    let env: Vec<CString> = env.iter().map(c).collect::<Result<_, _>>()?;
    execvpe(&argv[0], &argv, &env).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_pid_cgroups_env_and_argv() {
        let a = parse(&s(&["42", "/sys/fs/cgroup/pids/m/a", "-e", "X=1", "--", "sh", "-c", "echo hi"])).unwrap();
        assert_eq!((a.pid, a.start), (42, 0));
        assert_eq!(a.cgroup_dirs, vec![PathBuf::from("/sys/fs/cgroup/pids/m/a")]);
        assert_eq!(a.env, vec!["X=1".to_string()]);
        assert_eq!(a.argv, s(&["sh", "-c", "echo hi"]));
    }

    #[test]
    fn parses_the_init_start_time() {
        let a = parse(&s(&["42@123456", "--", "sh"])).unwrap();
        assert_eq!((a.pid, a.start), (42, 123456));
        assert!(parse(&s(&["42@x", "--", "sh"])).is_err());
        assert!(parse(&s(&["@5", "--", "sh"])).is_err());
    }

    #[test]
    fn rejects_bad_command_lines() {
        assert!(parse(&s(&["42", "sh"])).is_err());
        assert!(parse(&s(&["x", "--", "sh"])).is_err());
        assert!(parse(&s(&["0", "--", "sh"])).is_err());
        assert!(parse(&s(&["42", "--"])).is_err());
        assert!(parse(&s(&["42", "-e", "NOEQUALS", "--", "sh"])).is_err());
    }

    #[test]
    fn extra_env_overrides_defaults() {
        let env = environment("node2", &s(&["TERM=dumb", "FOO=bar"]));
        assert!(env.contains(&"HOSTNAME=node2".to_string()));
        assert!(env.contains(&"TERM=dumb".to_string()));
        assert!(!env.contains(&"TERM=xterm-256color".to_string()));
        assert!(env.contains(&"FOO=bar".to_string()));
    }
}
