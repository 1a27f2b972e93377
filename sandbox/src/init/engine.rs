//! The node's pid 1 after setup: a single-threaded init that reaps every orphan and starts the
//! Docker engine on demand. It listens on /run/docker.sock itself; the first connection to it
//! starts `dockerd -H fd://` with the listening socket handed over as systemd does (fd 3,
//! LISTEN_FDS=1, LISTEN_PID=dockerd's pid), and dockerd (which starts its containerd) accepts that
//! connection and every later one. A node that never uses Docker runs only this init and its
//! shells.
//!
//! containerd is started by the init too, just before dockerd, and dockerd is pointed at it
//! (`--containerd`), as Debian's systemd units do. When dockerd starts containerd itself, its first
//! gRPC dial comes before containerd's socket exists and gRPC's reconnect back-off then waits a
//! full second: the first `docker version` took ~1.6 s instead of ~0.6 s. SIGTERM or SIGINT ends it, and the node with it. If dockerd exits (a student killed it, a crash), the init listens again and the next
//! connection starts a new one, at most once a second.
//!
//! With an idle limit (`engine_idle_secs`), an engine that has had no client connected, no
//! container running and no swarm membership for that long is stopped (SIGTERM to dockerd, then
//! to containerd) and the node is back to its init and shells; the next connection starts the
//! engine again. Images, stopped containers and volumes stay on the node's disk.

use std::convert::Infallible;
use std::ffi::CString;
use std::fs::{self, File};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};

use crate::error::{At, InitError, Stage};

/// Where the engine is reached (/var/run is a link to /run in the image).
pub(crate) const SOCKET: &str = "/run/docker.sock";
/// The engine's log inside the node.
const LOG: &str = "/var/log/dockerd.log";
/// containerd's socket, config and paths: those dockerd gives the containerd it manages itself.
const CONTAINERD_SOCKET: &str = "/run/docker/containerd/containerd.sock";
const CONTAINERD_CONFIG: &str = "/run/docker/containerd/containerd.toml";
const CONTAINERD_TOML: &str = r#"version = 2
root = "/var/lib/docker/containerd/daemon"
state = "/run/docker/containerd/daemon"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
oom_score = 0

[grpc]
  address = "/run/docker/containerd/containerd.sock"

[debug]
  address = "/run/docker/containerd/containerd-debug.sock"
"#;
/// How long the init waits for containerd to answer before starting dockerd anyway.
const CONTAINERD_WAIT: Duration = Duration::from_secs(5);
const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Binds the engine's socket. It appears under its name only once it listens (bound under a
/// temporary name, then renamed), so the host may treat "the socket exists" as "the node is up".
pub(super) fn listen() -> Result<UnixListener, InitError> {
    let tmp = Path::new("/run/.docker.sock.new");
    let _ = fs::remove_file(tmp);
    let l = UnixListener::bind(tmp).at(Stage::ExecInit, format!("listen on {}", tmp.display()))?;
    fs::set_permissions(tmp, fs::Permissions::from_mode(0o660)).at(Stage::ExecInit, "chmod the engine socket")?;
    fs::rename(tmp, SOCKET).at(Stage::ExecInit, format!("rename the socket to {SOCKET}"))?;
    Ok(l)
}

/// Runs as pid 1 until the node is destroyed. Every descriptor but stdio and the listener must
/// be closed by the caller: pid 1's descriptors are readable through /proc/1/fd inside the node.
pub(super) fn run(listener: UnixListener, idle_secs: u32) -> Result<Infallible, InitError> {
    let idle_limit = (idle_secs > 0).then(|| Duration::from_secs(u64::from(idle_secs)));
    // How often a running engine is looked at: a quarter of the limit, between 0.25 and 30 s.
    let look_every = idle_limit.map(|l| (l / 4).clamp(Duration::from_millis(250), Duration::from_secs(30)));
    // Its name in `ps` inside the node.
    let _ = nix::sys::prctl::set_name(c"muelle-init");
    // The setresuid of the setup left it non-dumpable; an exec'd init (tini) was dumpable again,
    // so node root (and `nsenter -t 1` from a --pid=host container) could open its /proc/1/ns/*.
    // Same as before: it holds nothing node root does not (its inherited fds are closed).
    let _ = nix::sys::prctl::set_dumpable(true);
    let mut mask = SigSet::empty();
    // SIGTERM/SIGINT end the init, and with it the node (its root may stop it, as with tini).
    for sig in [Signal::SIGCHLD, Signal::SIGTERM, Signal::SIGINT] {
        mask.add(sig);
    }
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), None).at(Stage::ExecInit, "block SIGCHLD")?;
    let sfd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK).at(Stage::ExecInit, "signalfd")?;
    let mut dockerd: Option<Pid> = None;
    let mut containerd: Option<Pid> = None;
    let mut not_before = Instant::now();
    // Since when the running engine has been unused; `stopping` once the init has asked it to end.
    let mut idle_since: Option<Instant> = None;
    let mut stopping = false;
    loop {
        let waiting = dockerd.is_none();
        let wait_ms = not_before.saturating_duration_since(Instant::now()).as_millis().min(1000) as u16;
        let mut fds = vec![PollFd::new(sfd.as_fd(), PollFlags::POLLIN)];
        // While dockerd runs it accepts on the same socket: only an init without one looks at it.
        if waiting && wait_ms == 0 {
            fds.push(PollFd::new(listener.as_fd(), PollFlags::POLLIN));
        }
        let timeout = match (waiting, look_every) {
            (true, _) if wait_ms > 0 => PollTimeout::from(wait_ms),
            (false, Some(every)) if !stopping => PollTimeout::from(every.as_millis() as u16),
            _ => PollTimeout::NONE,
        };
        if poll(&mut fds, timeout).is_err() {
            continue; // EINTR
        }
        let connection = fds.get(1).and_then(|f| f.revents()).is_some_and(|r| r.contains(PollFlags::POLLIN));
        let signalled = fds[0].revents().is_some_and(|r| r.contains(PollFlags::POLLIN));
        drop(fds);
        if signalled {
            while let Ok(Some(info)) = sfd.read_signal() {
                if info.ssi_signo != Signal::SIGCHLD as u32 {
                    std::process::exit(0);
                }
            }
            reap(&mut dockerd, &mut containerd, &mut not_before);
            // containerd died under a running dockerd (a student killed it): start it again.
            if dockerd.is_some() && containerd.is_none() {
                containerd = start_containerd();
            }
            if stopping && dockerd.is_none() {
                // The init stopped it: the next connection need not wait.
                stopping = false;
                not_before = Instant::now();
                if let Some(pid) = containerd {
                    let _ = nix::sys::signal::kill(pid, Signal::SIGTERM);
                }
                log_line("engine stopped after being idle (started again on the next connection)");
            }
        }
        if connection && dockerd.is_none() {
            if containerd.is_none() {
                containerd = start_containerd();
            }
            dockerd = start_dockerd(&listener, containerd.is_some());
            not_before = Instant::now() + Duration::from_secs(1);
            idle_since = None;
        }
        if let (Some(limit), Some(pid), false) = (idle_limit, dockerd, stopping) {
            if engine_in_use() {
                idle_since = None;
            } else if idle_since.get_or_insert_with(Instant::now).elapsed() >= limit {
                log_line(&format!("no client, container or swarm for {}s: stopping the engine", limit.as_secs()));
                let _ = nix::sys::signal::kill(pid, Signal::SIGTERM);
                stopping = true;
                idle_since = None;
            }
        }
    }
}

/// Whether the engine is in use: a client is connected to its socket, a container runs (its
/// containerd shim does), or the node is part of a swarm.
fn engine_in_use() -> bool {
    let clients = fs::read_to_string("/proc/net/unix").is_ok_and(|t| socket_clients(&t) > 0);
    // dockerd's swarm state file (swarmkit's state.json beside it), removed by `swarm leave`.
    let swarm = ["/var/lib/docker/swarm/docker-state.json", "/var/lib/docker/swarm/state.json"].iter().any(|p| Path::new(p).exists());
    clients || shims_running() || swarm
}

/// Connected sockets of the engine's listener in a `/proc/net/unix` table: accepted sockets
/// carry the listener's bound name (the temporary name [`listen`] bound) and state 03.
fn socket_clients(table: &str) -> usize {
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            f.len() >= 8 && f[5] == "03" && (f[7] == "/run/.docker.sock.new" || f[7] == SOCKET)
        })
        .count()
}

/// Whether any containerd shim runs in the node (one per running container).
fn shims_running() -> bool {
    let Ok(dir) = fs::read_dir("/proc") else { return false };
    dir.flatten().any(|e| {
        e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            && fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.starts_with("containerd-shim"))
    })
}

/// Collects every ended child (dockerd, containerd, or any orphan of the node); notes the
/// engine's ends.
fn reap(dockerd: &mut Option<Pid>, containerd: &mut Option<Pid>, not_before: &mut Instant) {
    loop {
        let (pid, how) = match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) => (pid, format!("exit status {code}")),
            Ok(WaitStatus::Signaled(pid, sig, _)) => (pid, format!("signal {sig}")),
            Ok(WaitStatus::StillAlive) | Err(_) => return,
            Ok(_) => continue,
        };
        if Some(pid) == *dockerd {
            ended(dockerd, not_before, &how);
        } else if Some(pid) == *containerd {
            *containerd = None;
            log_line(&format!("containerd exited: {how}"));
        }
    }
}

fn log_line(line: &str) {
    if let Ok(mut log) = File::options().create(true).append(true).open(LOG) {
        use std::io::Write;
        let _ = writeln!(log, "{line}");
    }
}

fn ended(dockerd: &mut Option<Pid>, not_before: &mut Instant, how: &str) {
    *dockerd = None;
    *not_before = (*not_before).max(Instant::now() + Duration::from_secs(1));
    log_line(&format!("dockerd exited: {how} (started again on the next connection)"));
}

/// Starts containerd with dockerd's own config for it and waits until its socket accepts a
/// connection (~50 ms). `None` when it could not be started or did not answer in time: dockerd
/// then starts its own, as before.
fn start_containerd() -> Option<Pid> {
    let _ = fs::create_dir_all("/run/docker/containerd");
    fs::write(CONTAINERD_CONFIG, CONTAINERD_TOML).ok()?;
    let _ = fs::remove_file(CONTAINERD_SOCKET);
    let pid = spawn(&["/usr/bin/containerd", "--config", CONTAINERD_CONFIG], None)?;
    let deadline = Instant::now() + CONTAINERD_WAIT;
    while Instant::now() < deadline {
        if std::os::unix::net::UnixStream::connect(CONTAINERD_SOCKET).is_ok() {
            return Some(pid);
        }
        // Ended already (a broken binary): reaped by the main loop's next SIGCHLD.
        if let Ok(WaitStatus::Exited(..) | WaitStatus::Signaled(..)) = waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            log_line("containerd exited at start (dockerd starts its own)");
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    log_line("containerd did not answer in time (dockerd starts its own)");
    let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
    None
}

/// Forks and execs `dockerd -H fd://` with the listener as fd 3 (and `--containerd` when
/// containerd runs). `None` when the fork failed (the next connection tries again).
fn start_dockerd(listener: &UnixListener, with_containerd: bool) -> Option<Pid> {
    let containerd = format!("--containerd={CONTAINERD_SOCKET}");
    let mut argv = vec!["/usr/sbin/dockerd", "-H", "fd://"];
    if with_containerd {
        argv.push(&containerd);
    }
    spawn(&argv, Some(listener))
}

/// Forks and execs `argv` in a session of its own, its output appended to the engine's log;
/// `listener` (if any) is handed over as systemd does (fd 3, LISTEN_FDS, LISTEN_PID).
fn spawn(argv: &[&str], listener: Option<&UnixListener>) -> Option<Pid> {
    let log = File::options().create(true).append(true).open(LOG).ok();
    let argv: Vec<CString> = argv.iter().map(|s| CString::new(*s).expect("no NUL")).collect();
    // SAFETY: pid 1 is single-threaded (sandbox-init never spawns threads), so the child may
    // allocate and call anything before its exec.
    match unsafe { fork() } {
        Err(_) => None,
        Ok(ForkResult::Parent { child }) => Some(child),
        Ok(ForkResult::Child) => {
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
            let _ = nix::unistd::setsid();
            // SAFETY: dup2(2) of descriptors this process owns onto fds 1-3 (dup2 clears
            // close-on-exec on the copy).
            unsafe {
                if let Some(log) = &log {
                    libc::dup2(log.as_raw_fd(), 1);
                    libc::dup2(log.as_raw_fd(), 2);
                }
                if let Some(l) = listener {
                    libc::dup2(l.as_raw_fd(), 3);
                }
            }
            if let Some(l) = listener.filter(|l| l.as_raw_fd() == 3) {
                let _ = nix::fcntl::fcntl(l.as_fd(), nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()));
            }
            let mut env = vec![PATH.to_string(), "HOME=/root".into(), "LANG=C.UTF-8".into()];
            if listener.is_some() {
                // The child's own pid (it keeps it across the exec).
                env.extend(["LISTEN_FDS=1".to_string(), "LISTEN_FDNAMES=docker.sock".into(), format!("LISTEN_PID={}", std::process::id())]);
            }
            let env: Vec<CString> = env.into_iter().map(|s| CString::new(s).expect("no NUL")).collect();
            let _ = nix::unistd::execve(&argv[0], &argv, &env);
            // SAFETY: _exit(2) in the forked child, whose exec failed.
            unsafe { libc::_exit(127) }
        }
    }
}

/// Closes the descriptors pid 1 inherited from the setup (the error pipe among them: the host
/// reads it until it closes), keeping stdio and the listener.
pub(super) fn close_inherited(listener: &UnixListener) {
    crate::sys::close_fds_except(&[listener.as_raw_fd()]);
}

#[cfg(test)]
mod tests {
    use super::socket_clients;

    #[test]
    fn only_connected_sockets_of_the_engine_listener_count() {
        let table = "Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 1001 /run/.docker.sock.new
0000000000000000: 00000003 00000000 00000000 0001 03 1002 /run/.docker.sock.new
0000000000000000: 00000003 00000000 00000000 0001 03 1003
0000000000000000: 00000002 00000000 00010000 0001 01 1004 /run/docker/containerd/containerd.sock
0000000000000000: 00000003 00000000 00000000 0001 03 1005 /run/docker/containerd/containerd.sock
0000000000000000: 00000003 00000000 00000000 0001 03 1006 /run/docker.sock
";
        assert_eq!(socket_clients(table), 2, "the accepted connection under each name, not the listener, clients or containerd's");
        assert_eq!(socket_clients("Num RefCount Protocol Flags Type St Inode Path\n"), 0);
    }
}
