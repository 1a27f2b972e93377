//! One server per data directory: `<data dir>/muelle.lock`, flock'ed for the backend's lifetime.
//!
//! `muelle serve` ([`crate::Role::Server`]) removes at start every node and bridge its database
//! does not know, so a second server (or the e2e suite, or the bench) on a directory a live server
//! owns would destroy that server's nodes, or have its own destroyed. The server holds an
//! exclusive lock; the e2e harness and the bench ([`crate::Role::Harness`], several backends per
//! process, each over a database of its own) hold shared ones. Whoever comes second refuses at
//! once, naming the holder's pid. `muelle lessons test` numbers its networks apart and may run
//! beside a server: it holds a shared lock on `<data dir>/guest.lock`, and a server starting
//! meanwhile skips its sweep ([`try_sweep_lock`]) rather than remove the test's nodes.
//!
//! flock locks belong to the open file: they go when the process exits, however it exits.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use nix::fcntl::{Flock, FlockArg};

/// The lock file of the data directory's owner.
pub const LOCK_FILE: &str = "muelle.lock";
/// The lock file of `muelle lessons test` runs.
pub const GUEST_LOCK_FILE: &str = "guest.lock";

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataDirLock {
    _file: Flock<File>,
    /// The lock file.
    pub path: PathBuf,
}

/// How a backend holds the data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The one server: nobody else.
    Owner,
    /// One of the test backends: other test backends too, no server.
    Shared,
    /// `muelle lessons test`: beside anything (its own lock file).
    Guest,
}

/// Takes `data_dir`'s lock as `hold`, without waiting: an error naming the holder's pid when
/// someone holds it in a conflicting way. Creates the directory if needed.
pub fn acquire(data_dir: &Path, hold: Hold) -> anyhow::Result<DataDirLock> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let name = if hold == Hold::Guest { GUEST_LOCK_FILE } else { LOCK_FILE };
    let path = data_dir.join(name);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening the lock file {}", path.display()))?;
    let arg = if hold == Hold::Owner { FlockArg::LockExclusiveNonblock } else { FlockArg::LockSharedNonblock };
    match Flock::lock(file, arg) {
        Ok(mut locked) => {
            if hold == Hold::Owner {
                // For the message a refused process prints when /proc/locks cannot say.
                let _ = locked.set_len(0);
                let _ = writeln!(*locked, "{}", std::process::id());
            }
            Ok(DataDirLock { _file: locked, path })
        }
        Err((file, nix::errno::Errno::EWOULDBLOCK)) => Err(anyhow::anyhow!(refusal(data_dir, &path, &file, hold))),
        Err((_, errno)) => Err(anyhow::anyhow!("locking {}: {errno}", path.display())),
    }
}

/// A server's sweep of orphaned nodes may run: no `muelle lessons test` holds `data_dir`'s
/// guest lock. `Ok(Some(lock))` to hold while sweeping; `Ok(None)` (and a warning) when a test
/// runs, whose nodes the sweep would remove.
pub fn try_sweep_lock(data_dir: &Path) -> anyhow::Result<Option<DataDirLock>> {
    let path = data_dir.join(GUEST_LOCK_FILE);
    let file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)
        .with_context(|| format!("opening the lock file {}", path.display()))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(locked) => Ok(Some(DataDirLock { _file: locked, path })),
        Err((file, nix::errno::Errno::EWOULDBLOCK)) => {
            let pids = holders(&file);
            tracing::warn!(?pids, "`muelle lessons test` runs on this data directory: orphaned nodes are not swept this start");
            Ok(None)
        }
        Err((_, errno)) => Err(anyhow::anyhow!("locking {}: {errno}", path.display())),
    }
}

fn refusal(data_dir: &Path, path: &Path, file: &File, hold: Hold) -> String {
    let mut pids = holders(file);
    if pids.is_empty() {
        // No /proc/locks (or another pid namespace): the pid the owner wrote, if any.
        if let Some(pid) = std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse::<i32>().ok()) {
            pids.push(pid);
        }
    }
    let pids = if pids.is_empty() {
        "pid unknown".to_string()
    } else {
        format!("pid {}", pids.iter().map(i32::to_string).collect::<Vec<_>>().join(", "))
    };
    let dir = data_dir.display();
    match hold {
        Hold::Owner => format!(
            "the data directory {dir} is in use by another muelle process ({pids}, lock {}): one server per data \
             directory (it would remove the other's nodes at start); stop that process or pass another --data-dir",
            path.display()
        ),
        _ => format!(
            "the data directory {dir} is owned by a running `muelle serve` ({pids}, lock {}): stop it before \
             running the tests or the bench on it, or point MUELLE_DATA_DIR elsewhere",
            path.display()
        ),
    }
}

/// The pids /proc/locks shows holding a flock on `file` (not this process's), sorted.
fn holders(file: &File) -> Vec<i32> {
    let Ok(meta) = file.metadata() else { return Vec::new() };
    let Ok(locks) = std::fs::read_to_string("/proc/locks") else { return Vec::new() };
    let me = i32::try_from(std::process::id()).unwrap_or(-1);
    let mut pids = holders_in(&locks, meta.dev(), meta.ino());
    pids.retain(|&p| p != me && p > 0);
    pids
}

/// The pids of /proc/locks lines (`1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF`) that hold
/// (not wait for, `->`) a flock on device `dev`, inode `ino`.
fn holders_in(locks: &str, dev: u64, ino: u64) -> Vec<i32> {
    let want = (nix::sys::stat::major(dev), nix::sys::stat::minor(dev), ino);
    let mut pids: Vec<i32> = locks
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 || f[1] != "FLOCK" {
                return None;
            }
            let mut id = f[5].split(':');
            let major = u64::from_str_radix(id.next()?, 16).ok()?;
            let minor = u64::from_str_radix(id.next()?, 16).ok()?;
            let inode: u64 = id.next()?.parse().ok()?;
            ((major, minor, inode) == want).then(|| f[4].parse().ok()).flatten()
        })
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_locks_lines_are_read() {
        let dev = nix::sys::stat::makedev(0x8, 0x1);
        let locks = "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF\n\
                     1: -> FLOCK  ADVISORY  WRITE 999 08:01:5678 0 EOF\n\
                     2: FLOCK  ADVISORY  READ 77 08:01:5678 0 EOF\n\
                     3: POSIX  ADVISORY  WRITE 55 08:01:5678 0 EOF\n\
                     4: FLOCK  ADVISORY  WRITE 66 08:02:5678 0 EOF\n\
                     5: FLOCK  ADVISORY  WRITE 88 08:01:5679 0 EOF\n";
        assert_eq!(holders_in(locks, dev, 5678), vec![77, 1234]);
    }

    #[test]
    fn an_owner_excludes_everyone_but_guests() {
        let dir = tempfile::tempdir().unwrap();
        let owner = acquire(dir.path(), Hold::Owner).unwrap();
        for hold in [Hold::Owner, Hold::Shared] {
            let err = acquire(dir.path(), hold).unwrap_err().to_string();
            assert!(err.contains(&dir.path().display().to_string()), "{err}");
            // This process holds it: the pid written in the file is ours.
            assert!(err.contains(&format!("pid {}", std::process::id())), "{err}");
        }
        let guest = acquire(dir.path(), Hold::Guest).unwrap();
        assert!(try_sweep_lock(dir.path()).unwrap().is_none(), "a guest blocks the sweep");
        drop(guest);
        assert!(try_sweep_lock(dir.path()).unwrap().is_some());
        drop(owner);
        let a = acquire(dir.path(), Hold::Shared).unwrap();
        let _b = acquire(dir.path(), Hold::Shared).expect("test backends share the directory");
        assert!(acquire(dir.path(), Hold::Owner).is_err());
        drop((a, _b));
        acquire(dir.path(), Hold::Owner).expect("free again");
    }
}
