//! The image catalog (`images/catalog.yaml`): loading, validation and image-reference normalisation.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, ensure, Context};
use serde::{Deserialize, Serialize};

/// One-line description of an image in both lesson languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    /// Spanish.
    pub es: String,
    /// English.
    pub en: String,
}

/// One catalog entry: an image built by a recipe and pushed as `library/<name>:<tag>` for every tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// Repository name without `library/`, e.g. `debian`.
    pub name: String,
    /// Tags; the first one names the tarball (`<name>-<first tag>.tar`).
    pub tags: Vec<String>,
    /// What the image is, shown by lessons.
    pub description: Description,
    /// Recipe script, relative to the catalog's directory.
    pub recipe: String,
    /// Entrypoint (exec form) the command is passed to, as an image's `ENTRYPOINT`; most images have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Default command (exec form); with an entrypoint, its default arguments.
    pub cmd: Vec<String>,
    /// Environment as `KEY=VALUE`.
    #[serde(default)]
    pub env: Vec<String>,
    /// Working directory of the default command.
    #[serde(default)]
    pub workdir: Option<String>,
    /// TCP ports the image exposes.
    #[serde(default)]
    pub expose: Vec<u16>,
    /// Absolute paths declared as volumes (`VOLUME`): Docker gives each an anonymous volume unless one
    /// is mounted there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    /// Signal `docker stop` sends (`STOPSIGNAL`, e.g. `SIGINT`); Docker's default is SIGTERM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
}

impl ImageSpec {
    /// `name:tag` references of this image, one per tag.
    pub fn references(&self) -> Vec<String> {
        self.tags
            .iter()
            .map(|t| format!("{}:{t}", self.name))
            .collect()
    }

    /// The tarball file name: `<name>-<first tag>.tar`.
    pub fn tar_name(&self) -> String {
        format!("{}-{}.tar", self.name, self.tags[0])
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    images: Vec<ImageSpec>,
}

/// The validated catalog plus the directory its recipe paths are relative to.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Directory holding `catalog.yaml` (the repository's `images/`).
    pub dir: PathBuf,
    /// Entries in file order.
    pub images: Vec<ImageSpec>,
}

impl Catalog {
    /// Reads and validates a catalog file.
    pub fn load(path: impl AsRef<Path>) -> anyhow::Result<Catalog> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the image catalog {}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Catalog::parse(&text, dir)
            .with_context(|| format!("invalid image catalog {}", path.display()))
    }

    /// Parses and validates catalog YAML; `dir` is where recipe paths are resolved.
    pub fn parse(yaml: &str, dir: PathBuf) -> anyhow::Result<Catalog> {
        let file: CatalogFile = yaml_serde::from_str(yaml)?;
        ensure!(!file.images.is_empty(), "the catalog lists no images");
        let mut seen = HashSet::new();
        for image in &file.images {
            validate_image(image).with_context(|| format!("image '{}'", image.name))?;
            ensure!(
                seen.insert(image.name.clone()),
                "image '{}' is listed twice",
                image.name
            );
        }
        Ok(Catalog {
            dir,
            images: file.images,
        })
    }

    /// Whether a reference such as `busybox`, `library/debian:bookworm` or
    /// `docker.io/library/nginx:latest` names an image of the catalog.
    pub fn contains(&self, reference: &str) -> bool {
        self.lookup(reference).is_some()
    }

    /// The entry a reference names, if any (see [`Catalog::contains`]).
    pub fn lookup(&self, reference: &str) -> Option<&ImageSpec> {
        let (name, tag) = normalize_reference(reference)?;
        self.images
            .iter()
            .find(|i| i.name == name && i.tags.contains(&tag))
    }

    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<&ImageSpec> {
        self.images.iter().find(|i| i.name == name)
    }

    /// Absolute path of an entry's recipe.
    pub fn recipe_path(&self, image: &ImageSpec) -> PathBuf {
        self.dir.join(&image.recipe)
    }
}

/// Splits a Docker Hub reference into `(name, tag)` after normalisation: default tag `latest`,
/// `docker.io/` / `index.docker.io/` and `library/` prefixes removed. `None` for digests
/// (`@sha256:...`), other registries, non-library repositories and malformed names.
pub fn normalize_reference(reference: &str) -> Option<(String, String)> {
    let r = reference.trim();
    if r.contains('@') {
        return None;
    }
    let r = r
        .strip_prefix("docker.io/")
        .or_else(|| r.strip_prefix("index.docker.io/"))
        .unwrap_or(r);
    let r = r.strip_prefix("library/").unwrap_or(r);
    let (name, tag) = match r.rsplit_once(':') {
        Some((n, t)) => (n, t),
        None => (r, "latest"),
    };
    (valid_name(name) && valid_tag(tag)).then(|| (name.to_string(), tag.to_string()))
}

/// Docker repository name component: lowercase alphanumerics separated by single `.`, `_` or `-`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.split(['.', '_', '-']).all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Docker tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    let ok = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    !tag.is_empty()
        && tag.len() <= 128
        && ok(tag.as_bytes()[0])
        && tag.bytes().all(|b| ok(b) || b == b'.' || b == b'-')
}

fn validate_image(image: &ImageSpec) -> anyhow::Result<()> {
    ensure!(
        valid_name(&image.name),
        "invalid name (use lowercase letters, digits, '.', '_', '-')"
    );
    ensure!(!image.tags.is_empty(), "no tags");
    let mut tags = HashSet::new();
    for tag in &image.tags {
        ensure!(valid_tag(tag), "invalid tag '{tag}'");
        ensure!(tags.insert(tag), "tag '{tag}' is listed twice");
    }
    for (lang, text) in [("es", &image.description.es), ("en", &image.description.en)] {
        ensure!(!text.trim().is_empty(), "empty {lang} description");
        ensure!(
            !text.contains('\n'),
            "the {lang} description must be one line"
        );
    }
    validate_recipe_path(&image.recipe)?;
    ensure!(
        image.cmd.first().is_some_and(|c| !c.is_empty()),
        "cmd must not be empty"
    );
    for var in &image.env {
        match var.split_once('=') {
            Some((key, _)) if !key.is_empty() && !key.contains(char::is_whitespace) => {}
            _ => bail!("env entry '{var}' is not KEY=VALUE"),
        }
    }
    if let Some(dir) = &image.workdir {
        ensure!(dir.starts_with('/'), "workdir '{dir}' must be absolute");
    }
    ensure!(!image.expose.contains(&0), "port 0 cannot be exposed");
    if let Some(entrypoint) = &image.entrypoint {
        ensure!(
            entrypoint.first().is_some_and(|e| !e.is_empty()),
            "entrypoint must not be empty (leave it out for none)"
        );
    }
    let mut volumes = HashSet::new();
    for volume in &image.volumes {
        ensure!(
            volume.starts_with('/') && volume.len() > 1,
            "volume '{volume}' must be an absolute path other than /"
        );
        ensure!(volumes.insert(volume), "volume '{volume}' is listed twice");
    }
    if let Some(signal) = &image.stop_signal {
        ensure!(
            signal.len() > 3
                && signal.starts_with("SIG")
                && signal[3..]
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            "stop_signal '{signal}' must be a signal name such as SIGINT"
        );
    }
    Ok(())
}

fn validate_recipe_path(recipe: &str) -> anyhow::Result<()> {
    let path = Path::new(recipe);
    ensure!(
        !recipe.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_))),
        "recipe '{recipe}' must be a relative path inside images/"
    );
    ensure!(
        recipe.ends_with(".sh"),
        "recipe '{recipe}' must be a .sh script"
    );
    Ok(())
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
