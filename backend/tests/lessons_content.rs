//! The shipped lessons (`lessons/`) pass lint against the real image catalog and are paired.

use std::collections::BTreeMap;
use std::path::Path;

use backend::images::Catalog;
use backend::lessons::dir::{lint_dir, servable};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("backend/ has a parent")
}

#[test]
fn shipped_lessons_pass_lint() {
    let catalog = Catalog::load(repo().join("images/catalog.yaml")).expect("image catalog");
    let (results, cross) = lint_dir(&repo().join("lessons"), &catalog).expect("lessons dir");
    let problems: Vec<String> = results
        .iter()
        .flat_map(|r| &r.problems)
        .chain(&cross)
        .map(|p| p.to_string())
        .collect();
    assert!(
        problems.is_empty(),
        "lint problems:\n{}",
        problems.join("\n")
    );
    assert!(
        results.len() >= 6,
        "expected at least 3 lessons in 2 languages"
    );
    assert!(results.iter().all(|r| servable(r, &cross).is_some()));
}

#[test]
fn lessons_every_lesson_has_both_languages_and_4_to_12_steps() {
    let catalog = Catalog::load(repo().join("images/catalog.yaml")).expect("image catalog");
    let (results, _) = lint_dir(&repo().join("lessons"), &catalog).expect("lessons dir");
    let mut by_id: BTreeMap<String, Vec<(String, usize, u32)>> = BTreeMap::new();
    for l in results.iter().filter_map(|r| r.lesson.as_ref()) {
        let entry = (l.front.lang.clone(), l.steps.len(), l.order);
        by_id.entry(l.front.id.clone()).or_default().push(entry);
    }
    for (id, versions) in &by_id {
        let mut langs: Vec<&str> = versions.iter().map(|v| v.0.as_str()).collect();
        langs.sort();
        assert_eq!(langs, vec!["en", "es"], "{id}");
        let (steps, order) = (versions[0].1, versions[0].2);
        assert!((4..=12).contains(&steps), "{id}: {steps} steps");
        assert!(
            versions.iter().all(|v| v.1 == steps && v.2 == order),
            "{id}: translations differ: {versions:?}"
        );
    }
}
