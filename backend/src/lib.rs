//! muelle's backend: HTTP API, sessions, terminals, lessons, images.
pub mod images;
pub mod lessons;
pub mod provider;
