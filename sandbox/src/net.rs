//! Host networking: session bridges, veth pairs, NAT.

/// Network failures.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// An `ip`/`iptables` invocation failed.
    #[error("{cmd}: {stderr}")]
    Command { cmd: String, stderr: String },
}
