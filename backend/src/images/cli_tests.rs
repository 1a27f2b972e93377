//! Tests of `muelle images` argument parsing and image selection.

use super::*;

fn args(words: &str) -> Vec<String> {
    words.split_whitespace().map(str::to_string).collect()
}

#[test]
fn parses_build_options() {
    let o = Options::parse(&args(
        "build --data-dir /d --only busybox --no-node --listen 127.0.0.1:5999",
    ))
    .unwrap();
    assert_eq!(o.command, "build");
    assert_eq!(o.data_dir, PathBuf::from("/d"));
    assert_eq!(o.only.as_deref(), Some("busybox"));
    assert!(o.no_node);
    assert_eq!(o.listen, "127.0.0.1:5999");
    let o = Options::parse(&args("list --catalog /c/catalog.yaml")).unwrap();
    assert_eq!(o.catalog, Some(PathBuf::from("/c/catalog.yaml")));
}

#[test]
fn rejects_bad_command_lines() {
    for (words, expected) in [
        ("", "missing subcommand"),
        ("push", "unknown subcommand"),
        ("build --only", "--only needs a value"),
        ("list --only busybox", "unknown option '--only' for 'list'"),
        ("registry --verbose", "unknown option"),
    ] {
        let err = Options::parse(&args(words)).unwrap_err();
        assert!(err.to_string().contains(expected), "{words}: {err}");
    }
}

#[test]
fn only_selects_one_image_or_just_the_node() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/catalog.yaml");
    let catalog = Catalog::load(path).unwrap();
    let with = |only: &str| Options::parse(&args(&format!("build --only {only}"))).unwrap();
    let names = |o: &Options| -> Vec<String> {
        selected(o, &catalog)
            .unwrap()
            .iter()
            .map(|i| i.name.clone())
            .collect()
    };
    assert_eq!(names(&with("busybox")), ["busybox"]);
    assert!(names(&with("node")).is_empty());
    // The Node.js image, whose name is the node rootfs' keyword, by reference.
    assert_eq!(names(&with("library/node")), ["node"]);
    assert_eq!(names(&with("node:18")), ["node"]);
    assert_eq!(
        names(&Options::parse(&args("build")).unwrap()).len(),
        catalog.images.len()
    );
    assert!(selected(&with("alpine"), &catalog).is_err());
}
