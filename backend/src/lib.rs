//! muelle's backend: HTTP API, sessions, terminals, lessons, images.
//!
//! Layers, each using only the ones below it (`scripts/import-cycles.py` checks there is no
//! circle): `lessons_cli` (`muelle lessons`) → `server` (the start path, the router) → `routes`
//! → `state` → `classes` (the classroom) → `player` (lessons played on nodes) → `sessions` → `provider` → `config`;
//! `lessons` (the format) and `images` are leaves.
pub mod addr;
pub mod backup;
pub mod classes;
pub mod cli;
pub mod config;
pub mod config_file;
pub mod datalock;
pub mod error;
pub mod exec;
pub mod images;
pub mod images_cli;
pub mod lessons;
pub mod lessons_cli;
pub mod limits;
pub mod metrics;
pub mod player;
pub mod portlinks;
pub mod provider;
pub mod reaper;
pub mod relay;
pub mod routes;
pub mod serve;
pub mod server;
pub mod sessions;
pub mod ssh;
pub mod state;
pub mod store;
pub mod terminal;
pub mod templates;
pub mod tls;

pub use config::Config;
pub use error::AppError;
pub use server::{app, launch, make_provider, run, Backend, Role};
pub use state::AppState;
pub use sessions::SessionRegistry;
