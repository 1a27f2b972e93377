//! cgroup v1 (hybrid) directories of one sandbox: creation, limits, delegation, removal.
//!
//! This host mounts every v1 controller under /sys/fs/cgroup/<ctrl>, plus name=systemd and a
//! cgroup2 "unified" hierarchy. A sandbox gets `/sys/fs/cgroup/<h>/<parent>/<name>` in each of them.
//! Limits are written by host root and the limit files stay owned by host root; only the directory
//! and its membership files are handed to the sandbox's root (as cgroup v2 delegation does), so the
//! dockerd inside can create child cgroups for its containers but cannot lift its own limits.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Every hierarchy a sandbox gets a directory in. runc needs at least `devices`.
pub const HIERARCHIES: &[&str] =
    &["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd", "unified"];

/// Resource limits of one sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupLimits {
    /// memory.limit_in_bytes (also the memory+swap limit: there is no swap here).
    pub memory_bytes: u64,
    /// CPU quota in thousandths of a core (1000 = one core).
    pub cpu_millis: u32,
    /// pids.max
    pub pids: u32,
}

impl Default for CgroupLimits {
    fn default() -> Self {
        Self { memory_bytes: 2 << 30, cpu_millis: 1000, pids: 2048 }
    }
}

/// cgroup failures.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// Creating a cgroup directory failed.
    #[error("failed to create cgroup {path}")]
    Create { path: PathBuf, #[source] source: io::Error },
    /// Writing a cgroup file failed.
    #[error("failed to write {value:?} to {path}")]
    Write { path: PathBuf, value: String, #[source] source: io::Error },
    /// Handing a directory to the sandbox's root failed.
    #[error("failed to chown {path}")]
    Chown { path: PathBuf, #[source] source: nix::Error },
    /// A directory could not be removed (tasks still in it).
    #[error("cgroup {path} still busy after {secs} s")]
    Busy { path: PathBuf, secs: u64 },
}

/// The cgroup directories of one sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxCgroup {
    root: PathBuf,
    parent: String,
    name: String,
}

impl SandboxCgroup {
    /// The cgroups of sandbox `name` under `<root>/<h>/<parent>/`; `root` is /sys/fs/cgroup.
    pub fn new(root: impl Into<PathBuf>, parent: &str, name: &str) -> Self {
        Self { root: root.into(), parent: parent.into(), name: name.into() }
    }

    /// One directory per hierarchy, in [`HIERARCHIES`] order.
    pub fn dirs(&self) -> Vec<PathBuf> {
        HIERARCHIES.iter().map(|h| self.dir(h)).collect()
    }

    fn dir(&self, hierarchy: &str) -> PathBuf {
        self.root.join(hierarchy).join(&self.parent).join(&self.name)
    }

    /// Creates the directories, writes the limits and delegates membership to host uid `owner`.
    pub fn create(&self, limits: &CgroupLimits, owner: u32) -> Result<(), CgroupError> {
        for d in self.dirs() {
            fs::create_dir_all(&d).map_err(|source| CgroupError::Create { path: d.clone(), source })?;
        }
        // cpuset children start empty in v1: copy the parent's cpus and mems.
        for f in ["cpuset.cpus", "cpuset.mems"] {
            let v = fs::read_to_string(self.root.join("cpuset").join(&self.parent).join(f)).unwrap_or_default();
            write(&self.dir("cpuset").join(f), v.trim())?;
        }
        for (h, f, v) in limit_files(limits) {
            write(&self.dir(h).join(f), &v)?;
        }
        self.delegate(owner)
    }

    fn delegate(&self, owner: u32) -> Result<(), CgroupError> {
        let id = Some(nix::unistd::Uid::from_raw(owner));
        let gid = Some(nix::unistd::Gid::from_raw(owner));
        for d in self.dirs() {
            for f in ["", "cgroup.procs", "tasks", "cgroup.subtree_control", "cgroup.threads"] {
                let p = if f.is_empty() { d.clone() } else { d.join(f) };
                if f.is_empty() || p.exists() {
                    nix::unistd::chown(&p, id, gid).map_err(|source| CgroupError::Chown { path: p, source })?;
                }
            }
        }
        Ok(())
    }

    /// Moves process `pid` (0 = the caller) into every directory.
    pub fn join(&self, pid: i32) -> Result<(), CgroupError> {
        join_dirs(&self.dirs(), pid)
    }

    /// Removes the directories bottom-up (dockerd inside leaves `docker/<id>` children), retrying
    /// while exiting tasks drain, up to `timeout`.
    pub fn remove(&self, timeout: Duration) -> Result<(), CgroupError> {
        let start = Instant::now();
        loop {
            let left: Vec<PathBuf> = self.dirs().into_iter().filter(|d| !remove_tree(d)).collect();
            match left.first() {
                None => return Ok(()),
                Some(d) if start.elapsed() >= timeout => {
                    return Err(CgroupError::Busy { path: d.clone(), secs: timeout.as_secs() })
                }
                Some(_) => sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Whether any directory of this sandbox still exists.
    pub fn exists(&self) -> bool {
        self.dirs().iter().any(|d| d.exists())
    }

    /// Bytes of memory the sandbox uses now (memory.usage_in_bytes).
    pub fn memory_usage(&self) -> Option<u64> {
        fs::read_to_string(self.dir("memory").join("memory.usage_in_bytes")).ok()?.trim().parse().ok()
    }
}

/// Writes `pid` into `cgroup.procs` of each directory.
pub fn join_dirs(dirs: &[PathBuf], pid: i32) -> Result<(), CgroupError> {
    for d in dirs {
        write(&d.join("cgroup.procs"), &pid.to_string())?;
    }
    Ok(())
}

/// The limit files and their values.
fn limit_files(l: &CgroupLimits) -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("memory", "memory.limit_in_bytes", l.memory_bytes.to_string()),
        ("memory", "memory.memsw.limit_in_bytes", l.memory_bytes.to_string()),
        ("pids", "pids.max", l.pids.to_string()),
        ("cpu", "cpu.cfs_period_us", "100000".to_string()),
        ("cpu", "cpu.cfs_quota_us", (u64::from(l.cpu_millis) * 100).to_string()),
    ]
}

fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    match fs::write(path, value) {
        Ok(()) => Ok(()),
        // memsw exists only with swap accounting; nothing to limit without it.
        Err(e) if e.kind() == io::ErrorKind::NotFound && path.ends_with("memory.memsw.limit_in_bytes") => Ok(()),
        Err(source) => Err(CgroupError::Write { path: path.into(), value: value.into(), source }),
    }
}

/// rmdir every directory under `d`, deepest first; true when `d` is gone.
fn remove_tree(d: &Path) -> bool {
    if !d.exists() {
        return true;
    }
    if let Ok(entries) = fs::read_dir(d) {
        for e in entries.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_tree(&e.path());
            }
        }
    }
    fs::remove_dir(d).is_ok() || !d.exists()
}

/// Ensures the parent directories exist in every hierarchy (cpuset seeded from the root).
pub fn prepare_parent(root: &Path, parent: &str) -> Result<(), CgroupError> {
    for h in HIERARCHIES {
        let d = root.join(h).join(parent);
        fs::create_dir_all(&d).map_err(|source| CgroupError::Create { path: d.clone(), source })?;
    }
    for f in ["cpuset.cpus", "cpuset.mems"] {
        let v = fs::read_to_string(root.join("cpuset").join(f)).unwrap_or_default();
        write(&root.join("cpuset").join(parent).join(f), v.trim())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_cover_every_hierarchy() {
        let cg = SandboxCgroup::new("/sys/fs/cgroup", "muelle", "ab12-1");
        let dirs = cg.dirs();
        assert_eq!(dirs.len(), HIERARCHIES.len());
        assert!(dirs.contains(&PathBuf::from("/sys/fs/cgroup/memory/muelle/ab12-1")));
        assert!(dirs.contains(&PathBuf::from("/sys/fs/cgroup/devices/muelle/ab12-1")));
    }

    #[test]
    fn limits_map_to_v1_files() {
        let l = CgroupLimits { memory_bytes: 1 << 30, cpu_millis: 1500, pids: 512 };
        let files = limit_files(&l);
        assert!(files.contains(&("memory", "memory.limit_in_bytes", "1073741824".into())));
        assert!(files.contains(&("cpu", "cpu.cfs_quota_us", "150000".into())));
        assert!(files.contains(&("pids", "pids.max", "512".into())));
    }

    fn drop_files(d: &Path) {
        for e in fs::read_dir(d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                drop_files(&e.path());
            } else {
                fs::remove_file(e.path()).unwrap();
            }
        }
    }

    #[test]
    fn create_and_remove_in_a_fake_tree() {
        let t = tempfile::tempdir().unwrap();
        for h in HIERARCHIES {
            fs::create_dir_all(t.path().join(h).join("p")).unwrap();
        }
        fs::write(t.path().join("cpuset/p/cpuset.cpus"), "0-1\n").unwrap();
        fs::write(t.path().join("cpuset/p/cpuset.mems"), "0\n").unwrap();
        let cg = SandboxCgroup::new(t.path(), "p", "n1");
        let me = nix::unistd::getuid().as_raw();
        cg.create(&CgroupLimits::default(), me).unwrap();
        assert_eq!(fs::read_to_string(t.path().join("cpuset/p/n1/cpuset.cpus")).unwrap(), "0-1");
        assert_eq!(fs::read_to_string(t.path().join("pids/p/n1/pids.max")).unwrap(), "2048");
        fs::create_dir_all(t.path().join("memory/p/n1/docker/abc")).unwrap();
        assert!(cg.exists());
        // cgroupfs drops its control files with the directory; a plain tmpdir does not.
        drop_files(t.path());
        cg.remove(Duration::from_secs(1)).unwrap();
        assert!(!cg.exists());
    }
}
