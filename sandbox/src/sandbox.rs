//! A running sandbox.

/// A running sandbox.
#[derive(Debug, Clone)]
pub struct Sandbox {}
