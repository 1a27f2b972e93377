//! A one-layer Docker image from a rootfs tarball: the gzip layer blob, its digests, the image
//! config JSON and the schema-2 manifest. Pure functions, no I/O besides reading the tarball.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use anyhow::Context;
use flate2::{write::GzEncoder, Compression};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::catalog::ImageSpec;

/// Media type of a Docker schema-2 manifest.
pub const MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Media type of a Docker image config.
pub const CONFIG_V1: &str = "application/vnd.docker.container.image.v1+json";
/// Media type of a gzip-compressed layer.
pub const LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// PATH given to images whose catalog entry sets none (as in Docker's official images).
pub const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// `sha256:<hex>` of some bytes, the form used for digests and diff_ids.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A gzip layer blob with its registry digest (of the gzip bytes) and diff_id (of the plain tar).
#[derive(Debug, Clone)]
pub struct Layer {
    /// The compressed blob as pushed.
    pub blob: Vec<u8>,
    /// sha256 of `blob`.
    pub digest: String,
    /// sha256 of the uncompressed tar.
    pub diff_id: String,
}

impl Layer {
    /// Compresses a tar stream, hashing it on the way.
    pub fn from_reader(mut tar: impl Read) -> io::Result<Layer> {
        let mut plain = Sha256::new();
        let mut gz = GzEncoder::new(Vec::new(), Compression::new(6));
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = tar.read(&mut buf)?;
            if n == 0 {
                break;
            }
            plain.update(&buf[..n]);
            gz.write_all(&buf[..n])?;
        }
        let blob = gz.finish()?;
        Ok(Layer {
            digest: sha256_digest(&blob),
            diff_id: format!("sha256:{}", hex::encode(plain.finalize())),
            blob,
        })
    }

    /// Reads and compresses a tarball file.
    pub fn from_tar_file(path: &Path) -> anyhow::Result<Layer> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Layer::from_reader(BufReader::new(file))
            .with_context(|| format!("cannot compress {}", path.display()))
    }
}

#[derive(Serialize)]
struct ImageConfig<'a> {
    architecture: &'a str,
    os: &'a str,
    created: &'a str,
    config: RunConfig,
    rootfs: RootFs<'a>,
    history: [History<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RunConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    entrypoint: Option<Vec<String>>,
    cmd: Vec<String>,
    env: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    working_dir: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    exposed_ports: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    volumes: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_signal: Option<String>,
}

#[derive(Serialize)]
struct RootFs<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    diff_ids: [&'a str; 1],
}

#[derive(Serialize)]
struct History<'a> {
    created: &'a str,
    created_by: &'a str,
    comment: &'a str,
}

/// The image config JSON (compact, fields in a fixed order so digests are reproducible).
/// `created` is an RFC 3339 time; `created_by` says which recipe made the layer.
pub fn config_json(spec: &ImageSpec, diff_id: &str, created: &str, created_by: &str) -> Vec<u8> {
    let mut env = spec.env.clone();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    let exposed_ports = spec
        .expose
        .iter()
        .map(|p| (format!("{p}/tcp"), Default::default()));
    let volumes = spec.volumes.iter().map(|v| (v.clone(), Default::default()));
    let config = ImageConfig {
        architecture: "amd64",
        os: "linux",
        created,
        config: RunConfig {
            entrypoint: spec.entrypoint.clone(),
            cmd: spec.cmd.clone(),
            env,
            working_dir: spec.workdir.clone(),
            exposed_ports: exposed_ports.collect(),
            volumes: volumes.collect(),
            stop_signal: spec.stop_signal.clone(),
        },
        rootfs: RootFs {
            kind: "layers",
            diff_ids: [diff_id],
        },
        history: [History {
            created,
            created_by,
            comment: "built by muelle from Debian packages",
        }],
    };
    serde_json::to_vec(&config).expect("image config serialises")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest<'a> {
    schema_version: u8,
    media_type: &'a str,
    config: Descriptor<'a>,
    layers: [Descriptor<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    media_type: &'a str,
    size: u64,
    digest: &'a str,
}

/// The schema-2 manifest JSON for a config blob and one layer.
pub fn manifest_json(config: &[u8], layer: &Layer) -> Vec<u8> {
    let config_digest = sha256_digest(config);
    let manifest = Manifest {
        schema_version: 2,
        media_type: MANIFEST_V2,
        config: Descriptor {
            media_type: CONFIG_V1,
            size: config.len() as u64,
            digest: &config_digest,
        },
        layers: [Descriptor {
            media_type: LAYER_GZIP,
            size: layer.blob.len() as u64,
            digest: &layer.digest,
        }],
    };
    serde_json::to_vec(&manifest).expect("manifest serialises")
}

/// RFC 3339 form of a file's modification time (used as the image's creation time, so pushing the
/// same tarball twice yields the same manifest digest).
pub fn mtime_rfc3339(path: &Path) -> anyhow::Result<String> {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .with_context(|| format!("cannot stat {}", path.display()))?;
    let time = time::OffsetDateTime::from(modified).replace_nanosecond(0)?;
    Ok(time.format(&time::format_description::well_known::Rfc3339)?)
}

#[cfg(test)]
#[path = "image_tests.rs"]
mod tests;
