//! Host-wide settings shared by every sandbox.

/// Host-wide settings.
#[derive(Debug, Clone)]
pub struct HostConfig {}
