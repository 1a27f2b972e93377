//! The shell behind a terminal: `/bin/bash -l` on a PTY inside the node, its exit status, and
//! its clean-up (SIGHUP, then SIGKILL, to its process group; always reaped).

use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::unix::AsyncFd;
use tokio::sync::oneshot;

use crate::provider::{NodeHandle, SandboxProvider};

/// How long a hung-up shell gets before SIGKILL.
const HANGUP_GRACE: Duration = Duration::from_secs(2);

/// Wraps the PTY master for the reactor. `AsyncFd::new` is deprecated because an arbitrary
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

/// The exit code of a shell, delivered by the task that reaps it.
pub struct Exit {
    rx: oneshot::Receiver<i32>,
    code: Option<i32>,
}

impl Exit {
    /// Waits until the shell exits and returns its exit code (cancel-safe).
    pub async fn wait(&mut self) -> i32 {
        if let Some(code) = self.code {
            return code;
        }
        let code = (&mut self.rx).await.unwrap_or(-1);
        self.code = Some(code);
        code
    }

    /// The exit code, if the shell has exited.
    pub fn code(&mut self) -> Option<i32> {
        if let Ok(code) = self.rx.try_recv() {
            self.code = Some(code);
        }
        self.code
    }
}

impl Shell {
    /// Starts a login shell in `node` on an 80×24 PTY.
    pub async fn spawn(provider: Arc<dyn SandboxProvider>, node: NodeHandle) -> io::Result<Self> {
        let (master, child) = tokio::task::spawn_blocking(move || {
            let argv = ["/bin/bash".to_string(), "-l".to_string()];
            provider.terminal(&node, &argv, 80, 24)
        })
        .await
        .map_err(io::Error::other)??;
        let pid = Pid::from_raw(i32::try_from(child.id()).map_err(io::Error::other)?);
        let (tx, exit) = oneshot::channel();
        // The waiter owns the Child, so the shell is always reaped, whoever ends it.
        tokio::task::spawn_blocking(move || {
            let mut child = child;
            let code = child.wait().map(crate::exec::exit_code).unwrap_or(-1);
            let _ = tx.send(code);
        });
        Ok(Self { pty: register(master)?, exit: Exit { rx: exit, code: None }, pid })
    }

    /// Ends the shell: SIGHUP to its process group (as a closing terminal would), SIGKILL after
    /// a grace period, then waits for it to be reaped.
    pub async fn terminate(mut self) {
        if self.exit.code().is_none() {
            // The group id is the shell's pid (it is a session leader); it is still ours, because
            // the waiter has not reaped the shell yet.
            let _ = killpg(self.pid, Signal::SIGHUP);
            if tokio::time::timeout(HANGUP_GRACE, self.exit.wait()).await.is_err() {
                let _ = killpg(self.pid, Signal::SIGKILL);
                self.exit.wait().await;
            }
        }
        tracing::debug!(pid = self.pid.as_raw(), code = ?self.exit.code(), "shell ended");
    }
}
