//! Crate-level error: every module's error, transparently.

use std::path::PathBuf;

/// Anything that can go wrong creating, entering or destroying a sandbox.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `sandbox-init` helper could not be started or reported a setup failure.
    #[error("sandbox {name}: setup failed: {message}")]
    Setup { name: String, message: String },
    /// A filesystem operation on the host failed.
    #[error("{op} {path}")]
    Io { op: &'static str, path: PathBuf, #[source] source: std::io::Error },
    /// A cgroup operation failed.
    #[error(transparent)]
    Cgroup(#[from] crate::cgroup::CgroupError),
    /// A network operation failed.
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    /// dockerd did not answer in time.
    #[error("sandbox {name}: dockerd not ready after {secs} s: {log}")]
    NotReady { name: String, secs: u64, log: String },
    /// Destroy could not remove everything.
    #[error("sandbox {name}: destroy left {what}")]
    Leftover { name: String, what: String },
}

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { op, path: path.into(), source }
    }
}
