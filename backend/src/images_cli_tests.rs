//! Tests of `muelle images` image selection (the arguments: `crate::cli`).

use super::*;

#[test]
fn only_selects_one_image_or_just_the_node() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../images/catalog.yaml");
    let catalog = Catalog::load(path).unwrap();
    let all = Options { data_dir: PathBuf::from("/d"), listen: String::new(), only: None, no_node: false };
    let with = |only: &str| Options { only: Some(only.to_string()), ..all.clone() };
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
        names(&all).len(),
        catalog.images.len()
    );
    assert!(selected(&with("alpine"), &catalog).is_err());
}
