//! muelle's backend: HTTP API, sessions, terminals.
pub mod provider;
