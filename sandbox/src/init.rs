//! sandbox-init.

/// Entry point of `sandbox-init`.
pub fn main() -> i32 { 0 }
