//! The image catalog lessons are checked against when a server serves them.

use std::path::Path;
use std::sync::Arc;

use super::lint::ImageCatalog;
use super::store::SharedCatalog;
use crate::images::Catalog;

/// `images/catalog.yaml` beside the lessons directory; without one, image names go unchecked
/// (logged), so a misplaced catalog does not hide every lesson.
pub fn catalog_beside(dir: &Path) -> SharedCatalog {
    let path = dir.parent().unwrap_or(Path::new(".")).join("images/catalog.yaml");
    match Catalog::load(&path) {
        Ok(c) => Arc::new(c),
        Err(err) => {
            tracing::warn!(err = %format!("{err:#}"), "no image catalog: lesson images are not checked");
            Arc::new(AnyImage)
        }
    }
}

/// A catalog that has every image.
pub struct AnyImage;

impl ImageCatalog for AnyImage {
    fn contains(&self, _reference: &str) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_is_found_beside_the_lessons() {
        let lessons = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
        let c = catalog_beside(&lessons);
        assert!(c.contains("busybox:latest"));
        assert!(!c.contains("alpine:latest"));
    }
}
