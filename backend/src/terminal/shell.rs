//! The shell behind a terminal: `/bin/bash -l` on a PTY inside the node, its exit status, and
//! its clean-up (SIGHUP, then SIGKILL, to its process group; always reaped).

use std::io;
use std::os::fd::OwnedFd;
use std::process::Child;
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{signal, Signal as SignalStream, SignalKind};

use crate::provider::{NodeHandle, SandboxProvider};

/// How long a hung-up shell gets before SIGKILL.
const HANGUP_GRACE: Duration = Duration::from_secs(2);
/// Exit polling period when SIGCHLD cannot be listened to.
const POLL_EVERY: Duration = Duration::from_millis(250);
/// Exit polling period beside SIGCHLD, only a safety net: every listener is woken by any SIGCHLD
/// (coalesced ones too) and checks its own child. A short period here woke each of a thousand
/// idle shells four times a second (10 % of a core for nothing, `bench --sessions 1000`).
const POLL_WITH_SIGCHLD: Duration = Duration::from_secs(5);

/// Wraps the PTY master (or the shell's pidfd) for the reactor. `AsyncFd::new` is deprecated because an arbitrary
/// `AsRawFd` type may close or swap its fd while registered; an `OwnedFd` cannot (it owns the
/// fd until dropped, and the `AsyncFd` owns it), which is exactly `AsyncFd::register`'s safety
/// contract, and `unsafe` is forbidden in this crate.
#[allow(deprecated)]
fn register(master: OwnedFd) -> io::Result<AsyncFd<OwnedFd>> {
    AsyncFd::new(master)
}

/// A running shell.
pub struct Shell {
    /// The PTY master (non-blocking).
    pub pty: AsyncFd<OwnedFd>,
    /// The shell's exit, once it happens.
    pub exit: Exit,
    pid: Pid,
}

/// The shell's exit status, waited for in the event loop rather than on a blocking thread (a
/// blocked waiter would keep the runtime from shutting down while a terminal is open): through a
/// pidfd, which turns readable when the shell exits, so an idle shell costs no wakeup at all.
/// Without pidfds the `Child` is polled on SIGCHLD (and every few seconds in case a signal was
/// coalesced), or every few hundred ms when SIGCHLD cannot be listened to either.
pub struct Exit {
    child: Child,
    code: Option<i32>,
    pidfd: Option<AsyncFd<OwnedFd>>,
    sigchld: Option<SignalStream>,
}

impl Exit {
    /// Waits until the shell exits and returns its exit code (cancel-safe).
    pub async fn wait(&mut self) -> i32 {
        loop {
            if let Some(code) = self.code() {
                return code;
            }
            if let Some(fd) = &self.pidfd {
                // Readable means exited. It stays marked ready, so a child that could not be
                // reaped yet (never seen) is retried at the polling pace below.
                match fd.readable().await {
                    Ok(mut ready) => ready.retain_ready(),
                    Err(_) => {
                        self.pidfd = None;
                        continue;
                    }
                }
                if self.code().is_none() {
                    tokio::time::sleep(POLL_EVERY).await;
                }
                continue;
            }
            match self.sigchld.as_mut() {
                Some(sig) => {
                    tokio::select! { _ = sig.recv() => {}, () = tokio::time::sleep(POLL_WITH_SIGCHLD) => {} }
                }
                None => tokio::time::sleep(POLL_EVERY).await,
            }
        }
    }

    /// The exit code, if the shell has exited (reaping it).
    pub fn code(&mut self) -> Option<i32> {
        if self.code.is_none() {
            match self.child.try_wait() {
                Ok(Some(status)) => self.code = Some(crate::exec::exit_code(status)),
                Ok(None) => {}
                // ECHILD: someone else reaped it; it is gone either way.
                Err(_) => self.code = Some(-1),
            }
        }
        self.code
    }
}

impl Shell {
    /// Starts a login shell in `node` on a `cols`×`rows` PTY.
    pub async fn spawn(provider: Arc<dyn SandboxProvider>, node: NodeHandle, cols: u16, rows: u16) -> io::Result<Self> {
        let (master, child) = tokio::task::spawn_blocking(move || {
            let argv = ["/bin/bash".to_string(), "-l".to_string()];
            provider.terminal(&node, &argv, cols, rows)
        })
        .await
        .map_err(io::Error::other)??;
        let pid = Pid::from_raw(i32::try_from(child.id()).map_err(io::Error::other)?);
        // The child is not reaped before `Exit` does it, so its pid cannot be reused under the pidfd.
        let pidfd = sandbox::pidfd_open(child.id()).and_then(register).ok();
        let sigchld = if pidfd.is_some() { None } else { signal(SignalKind::child()).ok() };
        Ok(Self { pty: register(master)?, exit: Exit { child, code: None, pidfd, sigchld }, pid })
    }

    /// Ends the shell: SIGHUP to its process group (as a closing terminal would), SIGKILL after
    /// a grace period, then waits for it to be reaped. Returns its exit code.
    pub async fn terminate(mut self) -> i32 {
        if self.exit.code().is_none() {
            // The group id is the shell's pid (it is a session leader); it is still ours, because
            // the shell has not been reaped yet.
            let _ = killpg(self.pid, Signal::SIGHUP);
            if tokio::time::timeout(HANGUP_GRACE, self.exit.wait()).await.is_err() {
                let _ = killpg(self.pid, Signal::SIGKILL);
                self.exit.wait().await;
            }
        }
        let code = self.exit.code().unwrap_or(-1);
        tracing::debug!(pid = self.pid.as_raw(), code, "shell ended");
        code
    }
}

impl Drop for Shell {
    /// A bridge dropped without [`Shell::terminate`] (runtime shutdown) still ends its shell.
    fn drop(&mut self) {
        if self.exit.code().is_none() {
            let _ = killpg(self.pid, Signal::SIGKILL);
            let _ = self.exit.child.try_wait();
        }
    }
}
