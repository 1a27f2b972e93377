//! Unit tests of catalog parsing, validation and reference normalisation.

use super::*;

const GOOD: &str = r#"
images:
  - name: busybox
    tags: [latest]
    description: { es: "BusyBox estático", en: "Static BusyBox" }
    recipe: recipes/busybox.sh
    cmd: ["sh"]
  - name: debian
    tags: [bookworm, "12", latest]
    description: { es: "Debian mínimo", en: "Minimal Debian" }
    recipe: recipes/debian.sh
    cmd: ["bash"]
    env: ["LANG=C.UTF-8"]
    workdir: /root
    expose: [80]
  - name: postgres
    tags: ["15"]
    description: { es: "PostgreSQL", en: "PostgreSQL" }
    recipe: recipes/postgres.sh
    entrypoint: ["docker-entrypoint.sh"]
    cmd: ["postgres"]
    volumes: [/var/lib/postgresql/data]
    stop_signal: SIGINT
"#;

fn good() -> Catalog {
    Catalog::parse(GOOD, PathBuf::from("/repo/images")).expect("valid catalog")
}

/// The GOOD catalog with one line replaced, parsed; returns the full error chain.
fn error_with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "test bug: {from:?} not in GOOD");
    let err = Catalog::parse(&GOOD.replacen(from, to, 1), PathBuf::from("/x")).unwrap_err();
    format!("{err:#}")
}

#[test]
fn parses_entries_and_optional_fields() {
    let c = good();
    assert_eq!(c.images.len(), 3);
    let postgres = c.get("postgres").unwrap();
    assert_eq!(
        postgres.entrypoint.as_deref(),
        Some(&["docker-entrypoint.sh".to_string()][..])
    );
    assert_eq!(postgres.volumes, ["/var/lib/postgresql/data"]);
    assert_eq!(postgres.stop_signal.as_deref(), Some("SIGINT"));
    let debian = c.get("debian").unwrap();
    assert_eq!(debian.tags, ["bookworm", "12", "latest"]);
    assert_eq!(debian.description.en, "Minimal Debian");
    assert_eq!(debian.workdir.as_deref(), Some("/root"));
    assert_eq!(debian.expose, [80]);
    assert_eq!(debian.tar_name(), "debian-bookworm.tar");
    assert_eq!(
        debian.references(),
        ["debian:bookworm", "debian:12", "debian:latest"]
    );
    let busybox = c.get("busybox").unwrap();
    assert!(busybox.env.is_empty() && busybox.workdir.is_none() && busybox.expose.is_empty());
    assert_eq!(
        c.recipe_path(busybox),
        PathBuf::from("/repo/images/recipes/busybox.sh")
    );
}

#[test]
fn contains_normalises_references() {
    let c = good();
    for r in [
        "busybox",
        "busybox:latest",
        "library/busybox",
        "docker.io/library/busybox:latest",
        "index.docker.io/busybox",
        "debian:bookworm",
        "debian:12",
        "  debian  ",
    ] {
        assert!(c.contains(r), "{r} should be in the catalog");
    }
    for r in [
        "debian:bullseye",
        "alpine",
        "Busybox",
        "someone/busybox",
        "ghcr.io/library/busybox",
        "localhost:5000/busybox",
        "busybox@sha256:0123",
        "",
        "busybox:",
    ] {
        assert!(!c.contains(r), "{r} should not be in the catalog");
    }
}

#[test]
fn normalize_reference_splits_name_and_tag() {
    let n = |r: &str| normalize_reference(r).map(|(a, b)| format!("{a}:{b}"));
    assert_eq!(n("busybox").as_deref(), Some("busybox:latest"));
    assert_eq!(n("library/python:3.11").as_deref(), Some("python:3.11"));
    assert_eq!(n("hello-world").as_deref(), Some("hello-world:latest"));
    assert_eq!(n("docker.io/nginx:1.22").as_deref(), Some("nginx:1.22"));
    assert_eq!(n("a..b"), None);
    assert_eq!(n("nginx:-bad"), None);
}

#[test]
fn rejects_invalid_entries() {
    let cases = [
        ("name: busybox", "name: BusyBox", "invalid name"),
        ("tags: [latest]", "tags: []", "no tags"),
        ("tags: [latest]", "tags: [latest, latest]", "listed twice"),
        ("tags: [latest]", "tags: [\"-x\"]", "invalid tag"),
        ("en: \"Static BusyBox\"", "en: \"\"", "empty en description"),
        ("en: \"Static BusyBox\"", "en: \"two\\nlines\"", "one line"),
        (
            "recipes/busybox.sh",
            "../busybox.sh",
            "relative path inside images",
        ),
        (
            "recipes/busybox.sh",
            "/etc/busybox.sh",
            "relative path inside images",
        ),
        ("recipes/busybox.sh", "recipes/busybox", ".sh script"),
        ("cmd: [\"sh\"]", "cmd: []", "cmd must not be empty"),
        ("LANG=C.UTF-8", "LANG", "not KEY=VALUE"),
        ("workdir: /root", "workdir: root", "must be absolute"),
        ("expose: [80]", "expose: [0]", "port 0"),
        ("expose: [80]", "expose: [70000]", "expose"),
        ("name: debian", "name: busybox", "listed twice"),
        (
            "entrypoint: [\"docker-entrypoint.sh\"]",
            "entrypoint: []",
            "entrypoint must not be empty",
        ),
        (
            "volumes: [/var/lib/postgresql/data]",
            "volumes: [data]",
            "must be an absolute path",
        ),
        (
            "volumes: [/var/lib/postgresql/data]",
            "volumes: [/d, /d]",
            "listed twice",
        ),
        ("stop_signal: SIGINT", "stop_signal: INT", "signal name"),
        (
            "stop_signal: SIGINT",
            "stop_signal: \"SIG INT\"",
            "signal name",
        ),
        (
            "cmd: [\"sh\"]",
            "cmd: [\"sh\"]\n    colour: red",
            "unknown field",
        ),
    ];
    for (from, to, expected) in cases {
        let err = error_with(from, to);
        assert!(err.contains(expected), "{from} -> {to}: {err}");
    }
}

#[test]
fn rejects_empty_or_unreadable_catalogs() {
    let err = Catalog::parse("images: []", PathBuf::from("/x")).unwrap_err();
    assert!(err.to_string().contains("no images"));
    let err = Catalog::load("/nonexistent/catalog.yaml").unwrap_err();
    assert!(format!("{err:#}").contains("cannot read the image catalog"));
}

#[test]
fn the_repository_catalog_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/catalog.yaml");
    let c = Catalog::load(&path).expect("images/catalog.yaml is valid");
    for name in [
        "hello-world",
        "busybox",
        "debian",
        "nginx",
        "python",
        "httpd",
        "mariadb",
        "postgres",
        "redis",
        "node",
        "jupyter",
    ] {
        let image = c.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert!(c.recipe_path(image).is_file(), "recipe of {name} missing");
    }
    assert!(c.contains("debian:bookworm") && c.contains("library/hello-world"));
}
