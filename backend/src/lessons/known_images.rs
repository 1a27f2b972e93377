//! The set of image references lint accepts, read from `images/catalog.yaml`.
//!
//! A tolerant stand-in until the images module's `Catalog` is wired in: it takes every image
//! reference it can find in the file (plain strings, `ref:`/`image:` fields, `name:` + `tag:`, or
//! the keys of an `images:` mapping), so it does not depend on the catalog's exact schema.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use serde_yaml::Value;

use super::frontmatter::normalize_image;
use super::lint::ImageCatalog;

/// Images every muelle install has, used when no catalog file is found.
pub const BUILTIN: [&str; 3] = ["hello-world:latest", "busybox:latest", "debian:bookworm"];

/// A set of normalized image references (`name:tag`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownImages(pub BTreeSet<String>);

impl KnownImages {
    /// The built-in set.
    pub fn builtin() -> Self {
        Self(BUILTIN.iter().map(|s| s.to_string()).collect())
    }

    /// Reads a catalog YAML file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_yaml(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Collects references from catalog YAML text.
    pub fn from_yaml(text: &str) -> anyhow::Result<Self> {
        let v: Value = serde_yaml::from_str(text)?;
        let root = match &v {
            Value::Mapping(m) => m.get("images").unwrap_or(&v),
            _ => &v,
        };
        let mut set = BTreeSet::new();
        collect(root, &mut set);
        anyhow::ensure!(!set.is_empty(), "no image references found");
        Ok(Self(set))
    }
}

fn add(set: &mut BTreeSet<String>, s: &str) {
    if let Some(r) = normalize_image(s) {
        set.insert(r);
    }
}

fn collect(v: &Value, set: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => add(set, s),
        Value::Sequence(items) => items.iter().for_each(|i| collect(i, set)),
        Value::Mapping(m) => {
            let field = |k: &str| m.get(k).and_then(Value::as_str);
            if let Some(r) = field("ref").or(field("reference")).or(field("image")) {
                return add(set, r);
            }
            if let Some(name) = field("name") {
                let tags: Vec<&str> = match m.get("tags").or(m.get("tag")) {
                    Some(Value::String(t)) => vec![t.as_str()],
                    Some(Value::Sequence(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                if tags.is_empty() {
                    add(set, name);
                }
                tags.iter().for_each(|t| add(set, &format!("{name}:{t}")));
                return;
            }
            // A mapping of reference -> details.
            m.keys().filter_map(Value::as_str).for_each(|k| add(set, k));
        }
        _ => {}
    }
}

impl ImageCatalog for KnownImages {
    fn contains(&self, reference: &str) -> bool {
        self.0.contains(reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_several_shapes() {
        let list = KnownImages::from_yaml("- busybox\n- debian:bookworm\n").unwrap();
        assert!(list.contains("busybox:latest") && list.contains("debian:bookworm"));
        let named = KnownImages::from_yaml("images:\n  - name: debian\n    tags: [bookworm, '12']\n  - name: hello-world\n").unwrap();
        assert!(named.contains("debian:12") && named.contains("hello-world:latest"));
        let keyed = KnownImages::from_yaml("images:\n  busybox:latest:\n    from: busybox-static\n").unwrap();
        assert!(keyed.contains("busybox:latest"));
        assert!(!keyed.contains("nginx:latest"));
    }

    #[test]
    fn empty_catalog_is_an_error() {
        assert!(KnownImages::from_yaml("images: []\n").is_err());
        assert!(KnownImages::from_yaml("images: [unclosed\n").is_err());
    }
}
