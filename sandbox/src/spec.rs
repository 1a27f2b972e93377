//! What a sandbox should be.

/// A sandbox's network.
#[derive(Debug, Clone)]
pub struct NetSpec {}
/// A sandbox to create.
#[derive(Debug, Clone)]
pub struct SandboxSpec {}
