//! `lessons lint` on fixture lessons with known mistakes: every problem at its file:line, with
//! the message that leads to the fix (`fixtures/lint/expected.txt`), root causes only.

mod common;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use backend::images::Catalog;
use backend::lessons::dir::lint_dir;

#[test]
fn every_mistake_at_its_line_with_its_fix() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    let tmp = tempfile::tempdir().unwrap();
    // One time for all: which translation changed is decided by the tie rule, not by the order
    // git checked the files out in.
    let at = SystemTime::now() - Duration::from_secs(60);
    common::copy_lessons(&fixtures, tmp.path(), &|_| at);
    let catalog = Catalog::load(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../images/catalog.yaml")).unwrap();
    let (results, cross) = lint_dir(tmp.path(), &catalog).unwrap();
    let mut problems: Vec<_> = results.iter().flat_map(|r| r.problems.clone()).chain(cross).collect();
    problems.sort();
    let prefix = format!("{}/", tmp.path().display());
    let got: Vec<String> = problems.iter().map(|p| p.to_string().replace(&prefix, "")).collect();
    let want: Vec<String> = std::fs::read_to_string(fixtures.join("expected.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(got, want, "\ngot:\n{}\n", got.join("\n"));
    assert_eq!(got.len(), 16, "thirteen problems and three warnings");
}
