//! cgroup v1 (hybrid) per-sandbox directories and limits.

/// Resource limits of one sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupLimits {
    /// memory.limit_in_bytes
    pub memory_bytes: u64,
    /// CPU quota in thousandths of a core (1000 = one core).
    pub cpu_millis: u32,
    /// pids.max
    pub pids: u32,
}

/// cgroup failures.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// Writing a cgroup file failed.
    #[error("failed to write {path}")]
    Write { path: std::path::PathBuf, #[source] source: std::io::Error },
}
