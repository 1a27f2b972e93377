//! Image catalog, image builds from Debian packages, and pushes to the local registry.
//!
//! A leaf: `muelle images build|list|registry` is [`crate::images_cli`]; the server uses
//! [`Catalog`] and [`ensure_registry`].

pub mod builder;
pub mod catalog;
pub mod front;
pub mod front_tls;
pub mod image;
pub mod publish;
pub mod registry;
pub mod registry_service;

use std::path::{Path, PathBuf};

pub use catalog::{normalize_reference, Catalog, ImageSpec};
pub use registry::RegistryClient;
pub use registry_service::{ensure_registry, DEFAULT_LISTEN};

/// Finds `catalog.yaml`: in `images_dir` (`--images`/`MUELLE_IMAGES_DIR`) when given, else in the
/// installation: an `images/` beside the binary or up to three directories above it (the
/// repository of `target/release/muelle`), `./images`, then the source tree this binary was built
/// from. Lessons kept anywhere use this catalog; it is never looked for beside them.
pub fn find_catalog(images_dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = images_dir {
        let path = dir.join("catalog.yaml");
        anyhow::ensure!(path.is_file(), "no catalog.yaml in the images directory {} (--images, MUELLE_IMAGES_DIR)", dir.display());
        return Ok(path);
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(exe.ancestors().skip(1).take(4).map(|d| d.join("images/catalog.yaml")));
        // An installed muelle: /usr/bin/muelle → /usr/share/muelle/images (scripts/install.sh).
        candidates.extend(exe.ancestors().skip(2).take(1).map(|d| d.join("share/muelle/images/catalog.yaml")));
    }
    candidates.push(PathBuf::from("images/catalog.yaml"));
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/catalog.yaml"));
    candidates
        .iter()
        .find(|p| p.is_file())
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
        .ok_or_else(|| {
            anyhow::anyhow!("no images/catalog.yaml found (tried {candidates:?}); use --images DIR or --catalog FILE")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_tree_catalog_is_found() {
        let path = find_catalog(None).unwrap();
        assert!(Catalog::load(path).unwrap().contains("busybox"));
        let images = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images");
        assert!(find_catalog(Some(&images)).unwrap().ends_with("images/catalog.yaml"));
        let err = find_catalog(Some(Path::new("/nonexistent"))).unwrap_err();
        assert!(err.to_string().contains("MUELLE_IMAGES_DIR"), "{err}");
    }
}
