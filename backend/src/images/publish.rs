//! Pushing built tarballs to the registry, and remembering what was pushed (`<tar>.pushed`) so a
//! second `muelle images build` only asks the registry whether the tags are still there.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::builder::{stamp_path, with_suffix};
use super::catalog::ImageSpec;
use super::image::{config_json, mtime_rfc3339, Layer};
use super::registry::{PushReport, RegistryClient};

/// What was last pushed from a tarball: the inputs' key and the manifest digest behind its tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRecord {
    /// [`push_key`] of the pushed image.
    pub key: String,
    /// Manifest digest every tag pointed to.
    pub manifest: String,
    /// Size of the compressed layer in bytes (0 in records from before it was kept).
    #[serde(default)]
    pub layer_size: u64,
}

/// Registry repository of a catalog image: `library/<name>`.
pub fn repository(image: &ImageSpec) -> String {
    format!("library/{}", image.name)
}

/// Key over everything that shapes the pushed image: the recipe stamp (so the tarball) and the
/// catalog entry (cmd, env, tags...).
pub fn push_key(tar: &Path, image: &ImageSpec) -> String {
    let stamp = std::fs::read_to_string(stamp_path(tar)).unwrap_or_default();
    let spec = serde_json::to_string(image).expect("image spec serialises");
    let mut hash = Sha256::new();
    for part in [stamp.trim(), "\n", &spec] {
        hash.update(part.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// The push record beside a tarball, if any.
pub fn read_record(tar: &Path) -> Option<PushRecord> {
    let text = std::fs::read_to_string(with_suffix(tar, ".pushed")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Whether the registry still serves this exact image under every tag.
pub async fn is_pushed(
    client: &RegistryClient,
    image: &ImageSpec,
    tar: &Path,
) -> anyhow::Result<bool> {
    let Some(record) = read_record(tar) else {
        return Ok(false);
    };
    if record.key != push_key(tar, image) {
        return Ok(false);
    }
    let repo = repository(image);
    for tag in &image.tags {
        if client.manifest_digest(&repo, tag).await?.as_deref() != Some(record.manifest.as_str()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Compresses the tarball, pushes it under every tag and records the push.
pub async fn push(
    client: &RegistryClient,
    image: &ImageSpec,
    tar: &Path,
) -> anyhow::Result<PushReport> {
    let owned = tar.to_path_buf();
    let layer = tokio::task::spawn_blocking(move || Layer::from_tar_file(&owned))
        .await
        .context("the layer compression task failed")??;
    let created = mtime_rfc3339(tar)?;
    let created_by = format!("muelle images build: images/{}", image.recipe);
    let config = config_json(image, &layer.diff_id, &created, &created_by);
    let report = client
        .push_image(&repository(image), &image.tags, &layer, &config)
        .await
        .with_context(|| format!("pushing {}", repository(image)))?;
    let record = PushRecord {
        key: push_key(tar, image),
        manifest: report.manifest_digest.clone(),
        layer_size: report.layer_size,
    };
    let path = with_suffix(tar, ".pushed");
    std::fs::write(&path, serde_json::to_string(&record)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::catalog::Description;

    fn image(cmd: &str) -> ImageSpec {
        ImageSpec {
            name: "busybox".into(),
            tags: vec!["latest".into()],
            description: Description {
                es: "x".into(),
                en: "x".into(),
            },
            recipe: "recipes/busybox.sh".into(),
            cmd: vec![cmd.into()],
            env: vec![],
            workdir: None,
            expose: vec![],
            volumes: vec![],
            stop_signal: None,
            entrypoint: None,
        }
    }

    #[test]
    fn push_key_follows_the_recipe_stamp_and_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let tar = dir.path().join("busybox-latest.tar");
        std::fs::write(stamp_path(&tar), "aaa\n").unwrap();
        let first = push_key(&tar, &image("sh"));
        assert_eq!(first, push_key(&tar, &image("sh")));
        assert_ne!(
            first,
            push_key(&tar, &image("ash")),
            "a new cmd must be pushed again"
        );
        std::fs::write(stamp_path(&tar), "bbb\n").unwrap();
        assert_ne!(
            first,
            push_key(&tar, &image("sh")),
            "a rebuilt tarball must be pushed again"
        );
        assert_eq!(repository(&image("sh")), "library/busybox");
    }

    #[tokio::test]
    async fn without_a_record_nothing_counts_as_pushed() {
        let dir = tempfile::tempdir().unwrap();
        let tar = dir.path().join("busybox-latest.tar");
        // No record: answered without contacting the (unreachable) registry.
        let client = RegistryClient::new("http://127.0.0.1:9");
        assert!(!is_pushed(&client, &image("sh"), &tar).await.unwrap());
        std::fs::write(with_suffix(&tar, ".pushed"), "not json").unwrap();
        assert!(!is_pushed(&client, &image("sh"), &tar).await.unwrap());
    }
}
