//! Crate-level error: every module's error, transparently; and the typed failure of
//! `sandbox-init`, which crosses from the helper process to its caller as JSON.

use std::fmt;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Anything that can go wrong creating, entering or destroying a sandbox.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec or the host layout does not allow the sandbox (nothing was started).
    #[error("sandbox {name}: setup failed: {message}")]
    Setup { name: String, message: String },
    /// `sandbox-init` reported which step of building the sandbox failed, and why.
    #[error("sandbox {name}: setup failed")]
    Init { name: String, #[source] source: InitError },
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
    #[error("sandbox {name}: not ready after {secs} s: {log}")]
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

/// The steps of building a sandbox, in order (see `init/create.rs` and `init/node.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reading the spec sent on stdin, or starting the helper.
    Spec,
    /// Joining the sandbox's cgroups.
    Cgroup,
    /// Pipes, forks and the messages between the helper's processes.
    Handshake,
    /// Creating the user namespace and becoming its root.
    UserNamespace,
    /// Writing the uid/gid maps.
    IdMap,
    /// Mounting the node image idmapped.
    ImageMount,
    /// Creating the mount, pid, net, uts, ipc and cgroup namespaces.
    Namespaces,
    /// Plugging the host side of the veth.
    Veth,
    /// Addresses and routes inside the node.
    NodeNetwork,
    /// The mount plan of the node's root filesystem.
    RootMounts,
    /// Hostname and the /etc files.
    Identity,
    /// pivot_root into the new root.
    PivotRoot,
    /// exec of the node's init (tini).
    ExecInit,
    /// The node did not reach the exec of its init in time.
    Timeout,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Spec => "reading the sandbox spec",
            Stage::Cgroup => "joining the cgroups",
            Stage::Handshake => "talking between the setup processes",
            Stage::UserNamespace => "creating the user namespace",
            Stage::IdMap => "mapping the uids and gids",
            Stage::ImageMount => "mounting the node image",
            Stage::Namespaces => "creating the namespaces",
            Stage::Veth => "plugging the node's network cable",
            Stage::NodeNetwork => "configuring the node's network",
            Stage::RootMounts => "building the root filesystem",
            Stage::Identity => "writing the hostname and /etc files",
            Stage::PivotRoot => "entering the new root",
            Stage::ExecInit => "starting the node's init",
            Stage::Timeout => "waiting for the node's init",
        })
    }
}

/// Why a step failed: an OS error (errno) or a message (a tool's stderr, a protocol problem).
#[derive(Debug, thiserror::Error)]
pub enum InitCause {
    /// A system call failed with this errno.
    #[error(transparent)]
    Os(io::Error),
    /// Anything that is not an errno.
    #[error("{0}")]
    Message(String),
}

/// A failed step of `sandbox-init`: which step, what it was doing, and the cause.
#[derive(Debug, thiserror::Error)]
#[error("{stage}: {what}")]
pub struct InitError {
    /// The step.
    pub stage: Stage,
    /// What the step was doing, e.g. `mount overlay on /…/merged`.
    pub what: String,
    /// The cause.
    #[source]
    pub cause: InitCause,
}

impl InitError {
    /// A failed system call (nix errors and io errors both convert).
    pub fn os(stage: Stage, what: impl Into<String>, err: impl Into<io::Error>) -> Self {
        InitError { stage, what: what.into(), cause: InitCause::Os(err.into()) }
    }

    /// A failure that has no errno.
    pub fn msg(stage: Stage, what: impl Into<String>, message: impl Into<String>) -> Self {
        InitError { stage, what: what.into(), cause: InitCause::Message(message.into()) }
    }

    /// The errno of the cause, when it is an OS error.
    pub fn errno(&self) -> Option<i32> {
        match &self.cause {
            InitCause::Os(e) => e.raw_os_error(),
            InitCause::Message(_) => None,
        }
    }
}

/// The wire form of [`InitError`]: what crosses the helper's pipes and stdout as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitFailure {
    pub stage: Stage,
    pub what: String,
    /// Set for OS errors; the parent rebuilds the `io::Error` from it.
    #[serde(default)]
    pub errno: Option<i32>,
    /// The cause's text (for OS errors too, for readers of the raw JSON).
    pub message: String,
}

impl From<&InitError> for InitFailure {
    fn from(e: &InitError) -> Self {
        InitFailure { stage: e.stage, what: e.what.clone(), errno: e.errno(), message: e.cause.to_string() }
    }
}

impl From<InitFailure> for InitError {
    fn from(f: InitFailure) -> Self {
        let cause = match f.errno {
            Some(n) => InitCause::Os(io::Error::from_raw_os_error(n)),
            None => InitCause::Message(f.message),
        };
        InitError { stage: f.stage, what: f.what, cause }
    }
}

/// `.at(stage, what)` on results whose error converts into an `io::Error` (nix's `Errno` does).
pub(crate) trait At<T> {
    fn at(self, stage: Stage, what: impl Into<String>) -> Result<T, InitError>;
}

impl<T, E: Into<io::Error>> At<T> for Result<T, E> {
    fn at(self, stage: Stage, what: impl Into<String>) -> Result<T, InitError> {
        self.map_err(|e| InitError::os(stage, what, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_init_error_survives_the_wire_with_its_errno() {
        let e = InitError::os(Stage::RootMounts, "mount overlay on /x/merged", nix::errno::Errno::ENOENT);
        let json = serde_json::to_string(&InitFailure::from(&e)).unwrap();
        let back = InitError::from(serde_json::from_str::<InitFailure>(&json).unwrap());
        assert_eq!((back.stage, back.what.as_str(), back.errno()), (Stage::RootMounts, "mount overlay on /x/merged", Some(libc::ENOENT)));
        let source = std::error::Error::source(&back).unwrap().to_string();
        assert!(source.contains("No such file or directory"), "{source}");
        assert_eq!(back.to_string(), "building the root filesystem: mount overlay on /x/merged");
    }

    #[test]
    fn a_message_cause_stays_a_message() {
        let e = InitError::msg(Stage::NodeNetwork, "ip addr add 10.0.0.2/24 dev eth0", "RTNETLINK answers: File exists");
        let back = InitError::from(InitFailure::from(&e));
        assert_eq!(back.errno(), None);
        assert_eq!(back.cause.to_string(), "RTNETLINK answers: File exists");
    }
}
