//! Tests of recipe stamps and rebuild decisions, with throw-away shell recipes in a temp dir.

use super::*;

/// A catalog dir with lib/common.sh, node/build.sh and one recipe per (name, script body).
fn fixture(recipes: &[(&str, &str)]) -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["lib", "recipes", "node"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    std::fs::write(root.join(COMMON_SCRIPT), "# shared\n").unwrap();
    std::fs::write(
        root.join(NODE_SCRIPT),
        "mkdir -p \"$1.tmp\" && echo ok > \"$1.tmp/.muelle-node-complete\" && mv \"$1.tmp\" \"$1\"\n",
    )
    .unwrap();
    let mut yaml = String::from("images:\n");
    for (name, body) in recipes {
        std::fs::write(root.join(format!("recipes/{name}.sh")), body).unwrap();
        yaml.push_str(&format!(
            "  - {{ name: {name}, tags: [latest], description: {{ es: x, en: x }}, \
             recipe: recipes/{name}.sh, cmd: [sh] }}\n"
        ));
    }
    let catalog = Catalog::parse(&yaml, root.to_path_buf()).unwrap();
    (dir, catalog)
}

#[test]
fn builds_once_then_rebuilds_when_the_recipe_changes() {
    let (dir, catalog) = fixture(&[("tiny", "echo v1 > \"$1\"\n")]);
    let paths = ImagePaths::new(&dir.path().join("data"));
    let image = catalog.get("tiny").unwrap();
    let tar = paths.tarball(image);
    assert_eq!(tar, dir.path().join("data/images/tar/tiny-latest.tar"));

    assert!(matches!(
        build_tarball(&catalog, image, &paths).unwrap(),
        Outcome::Built(_)
    ));
    assert_eq!(std::fs::read_to_string(&tar).unwrap(), "v1\n");
    std::fs::write(with_suffix(&tar, ".pushed"), "{}").unwrap();
    assert_eq!(
        build_tarball(&catalog, image, &paths).unwrap(),
        Outcome::UpToDate
    );
    assert!(
        with_suffix(&tar, ".pushed").exists(),
        "an up-to-date build keeps the push record"
    );

    std::fs::write(catalog.recipe_path(image), "echo v2 > \"$1\"\n").unwrap();
    assert!(matches!(
        build_tarball(&catalog, image, &paths).unwrap(),
        Outcome::Built(_)
    ));
    assert_eq!(std::fs::read_to_string(&tar).unwrap(), "v2\n");
    assert!(
        !with_suffix(&tar, ".pushed").exists(),
        "a rebuild forgets the old push"
    );
}

#[test]
fn a_change_in_the_shared_helpers_changes_every_stamp() {
    let (dir, catalog) = fixture(&[("a", "true\n")]);
    let image = catalog.get("a").unwrap();
    let before = recipe_stamp(&catalog, image).unwrap();
    assert_eq!(before.len(), 64);
    std::fs::write(dir.path().join(COMMON_SCRIPT), "# shared v2\n").unwrap();
    assert_ne!(recipe_stamp(&catalog, image).unwrap(), before);
}

#[test]
fn failing_or_silent_recipes_are_errors() {
    let (dir, catalog) = fixture(&[("bad", "echo oops >&2; exit 3\n"), ("silent", "true\n")]);
    let paths = ImagePaths::new(dir.path());
    let err = build_tarball(&catalog, catalog.get("bad").unwrap(), &paths).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("building the bad tarball") && text.contains("exit status: 3"),
        "{text}"
    );
    assert!(!stamp_path(&paths.tarball(catalog.get("bad").unwrap())).exists());
    let err = build_tarball(&catalog, catalog.get("silent").unwrap(), &paths).unwrap_err();
    assert!(format!("{err:#}").contains("wrote no"), "{err:#}");
}

#[test]
fn node_rootfs_is_built_once() {
    let (dir, catalog) = fixture(&[("a", "true\n")]);
    let paths = ImagePaths::new(&dir.path().join("data"));
    std::fs::create_dir_all(paths.node_rootfs.parent().unwrap()).unwrap();
    assert!(matches!(
        build_node(&catalog, &paths).unwrap(),
        Outcome::Built(_)
    ));
    assert!(paths.node_rootfs.join(NODE_COMPLETE).is_file());
    assert_eq!(build_node(&catalog, &paths).unwrap(), Outcome::UpToDate);
}

#[test]
fn a_changed_node_recipe_swaps_in_a_new_rootfs_and_keeps_the_old_one() {
    let (dir, catalog) = fixture(&[("a", "true\n")]);
    let paths = ImagePaths::new(&dir.path().join("data"));
    std::fs::create_dir_all(paths.node_rootfs.parent().unwrap()).unwrap();
    build_node(&catalog, &paths).unwrap();
    std::fs::write(paths.node_rootfs.join("marker"), "v1").unwrap();
    // A newer recipe (another engine, say) writes a rootfs with a v2 marker.
    std::fs::write(
        catalog.dir.join(NODE_SCRIPT),
        "mkdir -p \"$1.tmp\" && echo v2 > \"$1.tmp/marker\" && echo ok > \"$1.tmp/.muelle-node-complete\" && mv \"$1.tmp\" \"$1\"\n",
    )
    .unwrap();
    assert!(matches!(build_node(&catalog, &paths).unwrap(), Outcome::Built(_)));
    assert_eq!(std::fs::read_to_string(paths.node_rootfs.join("marker")).unwrap().trim(), "v2");
    let parent = paths.node_rootfs.parent().unwrap();
    let old: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("rootfs.old-"))
        .collect();
    assert_eq!(old.len(), 1, "the previous rootfs is kept for nodes still on it");
    assert_eq!(std::fs::read_to_string(old[0].path().join("marker")).unwrap(), "v1");
    assert_eq!(build_node(&catalog, &paths).unwrap(), Outcome::UpToDate);
}

#[test]
fn sizes() {
    assert_eq!(human_size(512), "512 B");
    assert_eq!(human_size(9 * 1024 + 512), "9.5 KB");
    assert_eq!(human_size(127_219_200), "121.3 MB");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("a"), [0u8; 100]).unwrap();
    std::fs::write(dir.path().join("sub/b"), [0u8; 28]).unwrap();
    std::os::unix::fs::symlink("/usr", dir.path().join("link")).unwrap();
    // File bytes only; the symlink counts its own length (4), never its target.
    assert_eq!(disk_size(dir.path()), 100 + 28 + 4);
}
