//! Image catalog, image builds from Debian packages, and pushes to the local registry.
//!
//! `muelle images build|list|registry` (see [`run_cli`]); the server uses [`Catalog`] and
//! [`ensure_registry`].

pub mod builder;
pub mod catalog;
mod cli;
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

/// Usage text of `muelle images`.
pub const USAGE: &str = "\
usage: muelle images build [--data-dir D] [--only NAME] [--no-node] [--catalog FILE] [--listen ADDR]
       muelle images list [--data-dir D] [--catalog FILE] [--listen ADDR]
       muelle images registry [--data-dir D] [--listen ADDR]

  build     build the node rootfs and every catalog image tarball that is missing or whose
            recipe changed, start the registry if needed, push every image not yet in it
            (--only NAME: just that image, or `node` for the node rootfs; the Node.js image
            is `--only library/node`)
  list      the catalog with tarball sizes and whether each image is in the registry
  registry  run the registry in the foreground

  data dir: --data-dir, else $MUELLE_DATA_DIR, else /var/lib/muelle
  catalog:  --catalog, else $MUELLE_IMAGES_DIR/catalog.yaml, else ./images/catalog.yaml,
            else the source tree's images/catalog.yaml
  registry: --listen, else $MUELLE_REGISTRY_LISTEN, else 127.0.0.1:5001 (loopback only;
            nodes pull through the server's read-only front)";

/// `muelle images ...`: `args` are the words after `images` (a leading `images` is skipped too).
/// Returns the process exit code; runs its own tokio runtime on a separate thread, so it may be
/// called from inside or outside a runtime.
pub fn run_cli(args: &[String]) -> anyhow::Result<i32> {
    let args: Vec<String> = match args.first() {
        Some(first) if first == "images" => args[1..].to_vec(),
        _ => args.to_vec(),
    };
    let options = match cli::Options::parse(&args) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("muelle images: {err:#}\n\n{USAGE}");
            return Ok(2);
        }
    };
    std::thread::spawn(move || cli::run(options))
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("muelle images panicked")))
}

/// Data directory: `$MUELLE_DATA_DIR`, else `/var/lib/muelle`.
pub fn default_data_dir() -> PathBuf {
    std::env::var_os("MUELLE_DATA_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/muelle"))
}

/// Registry listen address: `$MUELLE_REGISTRY_LISTEN`, else [`DEFAULT_LISTEN`].
pub fn default_listen() -> String {
    std::env::var("MUELLE_REGISTRY_LISTEN")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string())
}

/// Finds `catalog.yaml`: `$MUELLE_IMAGES_DIR`, `./images`, then the source tree this binary was
/// built from.
pub fn find_catalog() -> anyhow::Result<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("MUELLE_IMAGES_DIR").filter(|v| !v.is_empty()) {
        candidates.push(PathBuf::from(dir).join("catalog.yaml"));
    }
    candidates.push(PathBuf::from("images/catalog.yaml"));
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/catalog.yaml"));
    candidates
        .iter()
        .find(|p| p.is_file())
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
        .ok_or_else(|| {
            anyhow::anyhow!("no images/catalog.yaml found (tried {candidates:?}); use --catalog")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_give_usage_and_exit_code_2() {
        assert_eq!(run_cli(&["frobnicate".to_string()]).unwrap(), 2);
        assert_eq!(
            run_cli(&["images".into(), "build".into(), "--only".into()]).unwrap(),
            2
        );
    }

    #[test]
    fn the_source_tree_catalog_is_found() {
        let path = find_catalog().unwrap();
        assert!(Catalog::load(path).unwrap().contains("busybox"));
    }
}
