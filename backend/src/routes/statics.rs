//! The built frontend: files from `STATIC_DIR`, gzip-compressed, with `index.html` for every
//! other path so the single-page app's own routes (`/lessons/01-hello`) load.

use std::path::Path;

use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

/// A router that serves `dir` as the fallback of the app.
pub fn router(dir: &Path) -> Router {
    let spa = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    Router::new().fallback_service(spa).layer(CompressionLayer::new().gzip(true))
}
