//! muelle's backend: HTTP API, sessions, terminals, lessons, images.
pub mod cli;
pub mod config;
pub mod error;
pub mod exec;
pub mod images;
pub mod lessons;
pub mod limits;
pub mod portlinks;
pub mod provider;
pub mod reaper;
pub mod relay;
pub mod routes;
pub mod serve;
pub mod server;
pub mod sessions;
pub mod store;
pub mod terminal;
pub mod tls;

pub use config::Config;
pub use error::AppError;
pub use server::{app, make_provider, run, AppState};
pub use sessions::SessionRegistry;
