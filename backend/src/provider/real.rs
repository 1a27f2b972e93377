//! The real provider: nodes are `sandbox` crate sandboxes running dockerd.
