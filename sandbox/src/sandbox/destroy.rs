//! Ending a sandbox: kill everything in it, then remove its veth, disk mount, cgroups and
//! directory. Every mount and interface inside vanishes with its namespaces.

use std::fs;
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::Sandbox;
use crate::error::Error;
use crate::net;

impl Sandbox {
    /// Kills every process of the sandbox and removes its cgroups, veth and directory.
    /// Idempotent; every mount and interface inside vanishes with the namespaces.
    pub fn destroy(&self) -> Result<(), Error> {
        if self.is_alive() {
            let _ = kill(Pid::from_raw(self.pid), Signal::SIGKILL);
        }
        // `enter` helpers live in the sandbox's cgroups but the host's pid namespace.
        for _ in 0..3 {
            self.kill_cgroup_members();
            if !self.wait_gone(Duration::from_secs(5)) {
                continue;
            }
            break;
        }
        net::delete_link(&self.veth);
        net::unpin_source(&self.veth);
        crate::disk::detach(&self.storage());
        self.cgroup.remove(Duration::from_secs(10))?;
        if self.dir.exists() {
            fs::remove_dir_all(&self.dir).map_err(|e| Error::io("remove", &self.dir, e))?;
        }
        Ok(())
    }

    fn kill_cgroup_members(&self) {
        for d in self.cgroup.dirs().iter().filter(|d| d.to_string_lossy().contains("/pids/")) {
            for pid in cgroup_pids(d) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
    }

    /// Reaps the init if it is our child; waits until no process is left in the cgroup.
    fn wait_gone(&self, timeout: Duration) -> bool {
        let start = Instant::now();
        let pids_dir = self.cgroup.dirs().into_iter().find(|d| d.to_string_lossy().contains("/pids/"));
        // Only the init itself (same start time, zombie or not): a reused pid may be another
        // child of ours whose status its owner is about to collect.
        let ours = self.pid > 0
            && (self.start_time == 0 || crate::ident::any_start_time(self.pid) == Some(self.start_time));
        while start.elapsed() < timeout {
            if ours {
                match waitpid(Pid::from_raw(self.pid), Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::StillAlive) | Err(_) => {}
                    Ok(_) => {}
                }
            }
            if pids_dir.as_ref().map(|d| cgroup_pids(d).is_empty()).unwrap_or(true) {
                return true;
            }
            sleep(Duration::from_millis(20));
        }
        false
    }

}

/// Every pid in a cgroup directory and its descendants.
fn cgroup_pids(dir: &std::path::Path) -> Vec<i32> {
    let mut pids: Vec<i32> = fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten().filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false)) {
            pids.extend(cgroup_pids(&e.path()));
        }
    }
    pids
}

