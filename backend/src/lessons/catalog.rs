//! The image catalog lessons are checked against when a server serves them.

use std::path::Path;
use std::sync::Arc;

use super::lint::ImageCatalog;
use super::store::SharedCatalog;
use crate::images::Catalog;

/// The catalog of `images_dir` (`MUELLE_IMAGES_DIR`), else the installation's
/// ([`crate::images::find_catalog`]); without one, image names go unchecked (logged), so a
/// misplaced catalog does not hide every lesson.
pub fn installed_catalog(images_dir: Option<&Path>) -> SharedCatalog {
    match crate::images::find_catalog(images_dir).and_then(Catalog::load) {
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
    fn the_installed_catalog_is_found() {
        let c = installed_catalog(None);
        assert!(c.contains("busybox:latest"));
        assert!(!c.contains("alpine:latest"));
    }
}
