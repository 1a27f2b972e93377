//! Running the recipes: the node rootfs and one rootfs tarball per catalog image, rebuilt only when
//! missing or when the recipe changed (a sha256 stamp of the recipe sits beside each tarball).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use super::catalog::{Catalog, ImageSpec};

/// Script shared by all recipes; part of every recipe's stamp.
const COMMON_SCRIPT: &str = "lib/common.sh";
/// The node rootfs build script, relative to the catalog directory.
pub const NODE_SCRIPT: &str = "node/build.sh";
/// File the node script writes last into a complete node rootfs.
const NODE_COMPLETE: &str = ".muelle-node-complete";

/// Where built artefacts live under a data directory.
#[derive(Debug, Clone)]
pub struct ImagePaths {
    /// `<data_dir>/images/tar`: one `<name>-<tag>.tar` per catalog image.
    pub tar_dir: PathBuf,
    /// `<data_dir>/images/node/rootfs`: the node rootfs shared by sandboxes.
    pub node_rootfs: PathBuf,
}

impl ImagePaths {
    /// Whether a complete node rootfs is in place (a first build has finished).
    pub fn node_ready(&self) -> bool {
        self.node_rootfs.join(NODE_COMPLETE).is_file()
    }

    /// Paths for a data directory.
    pub fn new(data_dir: &Path) -> ImagePaths {
        ImagePaths {
            tar_dir: data_dir.join("images/tar"),
            node_rootfs: data_dir.join("images/node/rootfs"),
        }
    }

    /// The tarball of a catalog image.
    pub fn tarball(&self, image: &ImageSpec) -> PathBuf {
        self.tar_dir.join(image.tar_name())
    }
}

/// Whether a step did work or found its output current.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Built now, in this time.
    Built(Duration),
    /// Already there and current.
    UpToDate,
}

/// sha256 (hex) over the recipe and the shared helpers it sources.
pub fn recipe_stamp(catalog: &Catalog, image: &ImageSpec) -> anyhow::Result<String> {
    let mut hash = Sha256::new();
    for path in [catalog.recipe_path(image), catalog.dir.join(COMMON_SCRIPT)] {
        let bytes = std::fs::read(&path)
            .with_context(|| format!("cannot read recipe file {}", path.display()))?;
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    Ok(hex::encode(hash.finalize()))
}

/// The stamp file beside a tarball.
pub fn stamp_path(tar: &Path) -> PathBuf {
    with_suffix(tar, ".recipe-sha256")
}

/// `path` with `suffix` appended to its file name.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Whether `tar` exists and was built by a recipe with this stamp.
pub fn tarball_is_current(tar: &Path, stamp: &str) -> bool {
    tar.is_file() && std::fs::read_to_string(stamp_path(tar)).is_ok_and(|s| s.trim() == stamp)
}

/// Builds an image's tarball unless it is current. The recipe's own progress goes to stderr.
/// A rebuild drops the tarball's push record so the new image gets pushed.
pub fn build_tarball(
    catalog: &Catalog,
    image: &ImageSpec,
    paths: &ImagePaths,
) -> anyhow::Result<Outcome> {
    let tar = paths.tarball(image);
    let stamp = recipe_stamp(catalog, image)?;
    if tarball_is_current(&tar, &stamp) {
        return Ok(Outcome::UpToDate);
    }
    std::fs::create_dir_all(&paths.tar_dir)
        .with_context(|| format!("cannot create {}", paths.tar_dir.display()))?;
    let started = Instant::now();
    run_script(&catalog.recipe_path(image), &tar)
        .with_context(|| format!("building the {} tarball", image.name))?;
    if !tar.is_file() {
        bail!(
            "recipe {} exited 0 but wrote no {}",
            image.recipe,
            tar.display()
        );
    }
    std::fs::remove_file(with_suffix(&tar, ".pushed")).ok();
    std::fs::write(stamp_path(&tar), format!("{stamp}\n"))
        .with_context(|| format!("cannot write {}", stamp_path(&tar).display()))?;
    Ok(Outcome::Built(started.elapsed()))
}

/// sha256 (hex) over the node script and the shared helpers it sources.
pub fn node_stamp(catalog: &Catalog) -> anyhow::Result<String> {
    let mut hash = Sha256::new();
    for path in [catalog.dir.join(NODE_SCRIPT), catalog.dir.join(COMMON_SCRIPT)] {
        let bytes = std::fs::read(&path)
            .with_context(|| format!("cannot read recipe file {}", path.display()))?;
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    Ok(hex::encode(hash.finalize()))
}

/// Builds the node rootfs unless a complete one of the current recipe exists. A half-built one
/// never sits at `node_rootfs` (the script builds beside it and renames).
///
/// When the recipe changed (a newer engine, say), the new rootfs is built beside the old one and
/// swapped in; the old one is moved to `rootfs.old-<unix time>` and kept, because nodes that
/// started on it still use it as their lower layer: remove it once they have ended.
pub fn build_node(catalog: &Catalog, paths: &ImagePaths) -> anyhow::Result<Outcome> {
    let stamp = node_stamp(catalog)?;
    let stamp_file = with_suffix(&paths.node_rootfs, ".recipe-sha256");
    let complete = paths.node_rootfs.join(NODE_COMPLETE).is_file();
    let current = std::fs::read_to_string(&stamp_file).is_ok_and(|s| s.trim() == stamp);
    if complete && current {
        return Ok(Outcome::UpToDate);
    }
    let started = Instant::now();
    let script = catalog.dir.join(NODE_SCRIPT);
    if complete {
        let fresh = with_suffix(&paths.node_rootfs, ".new");
        if fresh.exists() && !fresh.join(NODE_COMPLETE).is_file() {
            std::fs::remove_dir_all(&fresh).ok();
        }
        run_script(&script, &fresh).context("building the node rootfs of the changed recipe")?;
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let old = with_suffix(&paths.node_rootfs, &format!(".old-{secs}"));
        std::fs::rename(&paths.node_rootfs, &old)
            .with_context(|| format!("cannot move the old node rootfs to {}", old.display()))?;
        std::fs::rename(&fresh, &paths.node_rootfs)
            .with_context(|| format!("cannot move the new node rootfs to {}", paths.node_rootfs.display()))?;
        eprintln!(
            "the node recipe changed: new node rootfs in place; the previous one is kept at {} for \
             nodes still running on it (remove it once they have ended)",
            old.display()
        );
    } else {
        run_script(&script, &paths.node_rootfs).context("building the node rootfs")?;
    }
    std::fs::write(&stamp_file, format!("{stamp}\n"))
        .with_context(|| format!("cannot write {}", stamp_file.display()))?;
    Ok(Outcome::Built(started.elapsed()))
}

/// Runs `bash script output`, stdout and stderr inherited.
fn run_script(script: &Path, output: &Path) -> anyhow::Result<()> {
    if !script.is_file() {
        bail!("script {} does not exist", script.display());
    }
    let status = Command::new("bash")
        .arg(script)
        .arg(output)
        .status()
        .with_context(|| format!("cannot run bash {}", script.display()))?;
    if !status.success() {
        bail!(
            "{} {} failed ({status}); see its output above",
            script.display(),
            output.display()
        );
    }
    Ok(())
}

/// Size of a file or, recursively, a directory (without following symlinks), in bytes.
pub fn disk_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| disk_size(&e.path())).sum())
        .unwrap_or(0)
}

/// Human-readable size: `9.4 KB`, `122.0 MB`.
pub fn human_size(bytes: u64) -> String {
    let units = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
