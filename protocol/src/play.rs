//! The playground's extras: session templates, node usage, the file browser.

use serde::{Deserialize, Serialize};

/// A name in each interface language.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalName {
    /// Spanish.
    pub es: String,
    /// English.
    pub en: String,
}

/// One entry of `GET /api/templates`: a ready-made session shape for the start page.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// What `POST /api/sessions {"template": id}` takes, e.g. `swarm-3m2w`.
    pub id: String,
    /// What the start page shows.
    pub name: LocalName,
    /// How many nodes it starts.
    pub nodes: u8,
}

/// What `GET /api/sessions/{id}/nodes/{node}/stats` returns: the node's use against its limits.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeStats {
    /// Memory in use (its cgroup), bytes.
    pub memory_bytes: u64,
    /// The node's memory limit, bytes.
    pub memory_limit_bytes: u64,
    /// CPU used over the last sampling interval, in thousandths of a core.
    pub cpu_milli: u32,
    /// The node's CPU limit, in thousandths of a core.
    pub cpu_limit_milli: u32,
    /// Disk in use (the node's disk image), bytes.
    pub disk_bytes: u64,
    /// The node's disk limit in bytes (0: no limit of its own).
    pub disk_limit_bytes: u64,
}

/// What an entry of a node directory is.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link.
    Link,
    /// Anything else (socket, device, fifo).
    Other,
}

/// One entry of a directory listing.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// The entry's name (no slash).
    pub name: String,
    /// What it is.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
}

/// What `GET /api/sessions/{id}/nodes/{node}/files?path=<dir>` returns for a directory.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FileList {
    /// The directory listed (absolute).
    pub path: String,
    /// Its entries, directories first, then by name.
    pub entries: Vec<FileEntry>,
    /// True when the directory had more entries than are listed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_and_list_golden() {
        let t = Template { id: "one".into(), name: LocalName { es: "Un nodo".into(), en: "One node".into() }, nodes: 1 };
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"id":"one","name":{"es":"Un nodo","en":"One node"},"nodes":1}"#);
        let l = FileList {
            path: "/root".into(),
            entries: vec![FileEntry { name: "a".into(), kind: FileKind::Dir, size: 4096 }],
            truncated: false,
        };
        let s = serde_json::to_string(&l).unwrap();
        assert_eq!(s, r#"{"path":"/root","entries":[{"name":"a","kind":"dir","size":4096}]}"#);
        assert_eq!(serde_json::from_str::<FileList>(&s).unwrap(), l);
    }
}
