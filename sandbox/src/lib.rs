//! Linux-namespace sandboxes ("nodes") that run a real Docker engine.
//!
//! The calling process (the backend) never forks namespace setup itself: [`Sandbox::spawn`]
//! execs the single-threaded `sandbox-init` helper, which unshares the namespaces, builds the
//! root filesystem and execs tini + dockerd. [`Sandbox::command`] builds a `Command` that enters a
//! running sandbox through the same helper.

pub mod cgroup;
pub mod disk;
pub mod error;
pub mod host;
pub mod ident;
pub mod net;
pub mod pty;
pub mod spec;

mod enter;
mod init;
mod sandbox;
mod sys;

pub use cgroup::CgroupLimits;
pub use error::{Error, InitCause, InitError, InitFailure, Stage};
pub use host::{hub_alias, HostConfig};
pub use sandbox::Sandbox;
pub use spec::{NetSpec, SandboxSpec};
pub use sys::pidfd_open;

/// Entry point of the `sandbox-init` binary (kept in the library so it is unit-testable).
pub use init::main as init_main;
