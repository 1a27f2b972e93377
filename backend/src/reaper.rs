//! Reaping orphans. As a child subreaper (see `server::run`), the backend inherits every process
//! orphaned below it: sandbox inits, background jobs of exec commands and shells. Nobody waits
//! for those, so without this they would stay zombies and use up pids.
//!
//! Only zombies seen in two consecutive sweeps are reaped: the backend's own children (tokio's
//! exec children, terminal shells, sandbox helpers) are reaped by their owners within
//! milliseconds, so a sweep never steals an exit status someone is about to collect. (Its test
//! lives in `tests/reaper.rs`, a process of its own, for the same reason.)

use std::collections::BTreeSet;
use std::time::Duration;

use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;

/// Remembers the zombies of the previous sweep.
#[derive(Debug, Default)]
pub struct OrphanReaper {
    seen: BTreeSet<i32>,
}

impl OrphanReaper {
    /// Reaps the zombie children already seen last time; returns how many were reaped.
    pub fn sweep(&mut self) -> usize {
        let now = zombie_children(std::process::id());
        let mut reaped = 0;
        for pid in now.intersection(&self.seen) {
            if waitpid(Pid::from_raw(*pid), Some(WaitPidFlag::WNOHANG)).is_ok() {
                reaped += 1;
            }
        }
        self.seen = now;
        reaped
    }
}

/// Without a child's death, a sweep still runs this often (a safety net).
const IDLE_SWEEP: Duration = Duration::from_secs(60);

/// Sweeps on a blocking thread, for the life of the runtime: `every` after a child died (each
/// orphan's death signals SIGCHLD to its subreaper), again every `every` while zombies are left,
/// and otherwise only every [`IDLE_SWEEP`]. A sweep reads /proc of every process on the host;
/// with a thousand nodes, sweeping on a clock cost the idle server a steady share of a core.
pub fn spawn(every: Duration) -> tokio::task::JoinHandle<()> {
    use tokio::signal::unix::{signal, SignalKind};
    tokio::spawn(async move {
        let mut reaper = OrphanReaper::default();
        let mut sigchld = signal(SignalKind::child()).ok();
        loop {
            match sigchld.as_mut() {
                Some(sig) if reaper.seen.is_empty() => {
                    tokio::select! { _ = sig.recv() => {}, () = tokio::time::sleep(IDLE_SWEEP) => {} }
                }
                _ => {}
            }
            tokio::time::sleep(every).await;
            let (r, n) = tokio::task::spawn_blocking(move || {
                let n = reaper.sweep();
                (reaper, n)
            })
            .await
            .unwrap_or_default();
            reaper = r;
            if n > 0 {
                tracing::debug!(reaped = n, "orphans reaped");
            }
        }
    })
}

/// Pids of zombies whose parent is `parent`, from `/proc/<pid>/stat`.
pub fn zombie_children(parent: u32) -> BTreeSet<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return BTreeSet::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // After the last ')' (the command name may hold anything): " Z <ppid> ...".
            let mut fields = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("").split_whitespace();
            fields.next() == Some("Z") && fields.next().and_then(|p| p.parse::<u32>().ok()) == Some(parent)
        })
        .collect()
}
