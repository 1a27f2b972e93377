//! `sandbox-init`: the small single-threaded helper the backend execs to create a sandbox
//! (`sandbox-init create`, spec as JSON on stdin, result as JSON on stdout) or to run a command
//! inside one (`sandbox-init enter PID CGROUP_DIR... -- ARGV...`).
//!
//! It exists because the backend is a multi-threaded tokio process, and a forked child of a
//! multi-threaded program may only call async-signal-safe functions until it execs. Here every
//! fork happens in a process with one thread, as firecracker's jailer does.

mod create;
mod engine;
mod node;
pub(crate) mod plan;

use std::io::{Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{InitError, InitFailure, Stage};
use crate::spec::NetSpec;

/// Everything the helper needs to build one sandbox (sent by [`crate::Sandbox::spawn`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct InitSpec {
    pub name: String,
    pub hostname: String,
    /// The sandbox's directory: upper/, work/, merged/, lower/, docker/.
    pub dir: PathBuf,
    /// Unshifted node image, mounted idmapped at `dir/lower`.
    pub rootfs: PathBuf,
    pub uid_base: u32,
    pub cgroup_dirs: Vec<PathBuf>,
    pub net: NetSpec,
    pub veth: String,
    pub dns: String,
    /// `host:port` of the registry mirror as the node reaches it.
    pub registry: String,
    /// Directory of device nodes to bind into /dev.
    pub devnodes: PathBuf,
    /// Holds upper/, work/ and docker/: `dir/disk`, the sandbox's own disk image when mounted
    /// (the host detaches its copy once the sandbox holds one).
    pub storage: PathBuf,
    /// See [`crate::HostConfig::engine_idle_secs`] (0: never).
    #[serde(default)]
    pub engine_idle_secs: u32,
}

/// What `sandbox-init create` prints on stdout.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum InitResult {
    /// Host pid of the sandbox's init (tini).
    Started { pid: i32 },
    /// Setup failed at a known step; nothing of the sandbox runs any more.
    Failed { error: InitFailure },
}

/// Entry point of the `sandbox-init` binary; returns the process exit code.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("create") => run_create(),
        Some("enter") => crate::enter::main(&args[1..]),
        _ => {
            eprintln!("usage: sandbox-init create < spec.json | sandbox-init enter PID CGDIR... -- ARGV...");
            2
        }
    }
}

fn run_create() -> i32 {
    let mut input = String::new();
    let failed = |e: InitError| InitResult::Failed { error: InitFailure::from(&e) };
    let result = match std::io::stdin().read_to_string(&mut input) {
        Err(e) => failed(InitError::os(Stage::Spec, "read the spec from stdin", e)),
        Ok(_) => match serde_json::from_str::<InitSpec>(&input) {
            Err(e) => failed(InitError::msg(Stage::Spec, "parse the spec", e.to_string())),
            Ok(spec) => match create::create(&spec) {
                Ok(pid) => InitResult::Started { pid },
                Err(e) => failed(e),
            },
        },
    };
    let code = i32::from(!matches!(result, InitResult::Started { .. }));
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", serde_json::to_string(&result).unwrap_or_default());
    let _ = out.flush();
    code
}
