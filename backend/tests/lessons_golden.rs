//! Golden outputs: a lesson using every block kind, parsed and rendered for the browser, must
//! match `fixtures/lessons/good/01-sample.golden.json` byte for byte.
//! Regenerate after an intended change with `UPDATE_GOLDEN=1 cargo test -p backend lessons_golden`
//! and review the diff.

use std::path::{Path, PathBuf};

use backend::lessons::dir::check_file;
use backend::lessons::render::to_protocol;
use backend::lessons::Action;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons/good")
}

fn busybox_only(reference: &str) -> bool {
    reference == "busybox:latest"
}

#[test]
fn lessons_sample_renders_to_golden_json() {
    let r = check_file(&fixtures().join("en/01-sample.md"), &busybox_only);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let lesson = to_protocol(r.lesson.as_ref().unwrap());
    let json = serde_json::to_string_pretty(&lesson).unwrap() + "\n";
    let golden = fixtures().join("01-sample.golden.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &json).unwrap();
    }
    let want = std::fs::read_to_string(&golden).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(
        json,
        want,
        "rendered lesson differs from {}",
        golden.display()
    );
}

#[test]
fn lessons_scripts_stay_on_the_server() {
    let r = check_file(&fixtures().join("en/01-sample.md"), &busybox_only);
    let parsed = r.lesson.unwrap();
    let json = serde_json::to_string(&to_protocol(&parsed)).unwrap();
    let solve = parsed.steps[1].solve().unwrap();
    assert_eq!(solve.action, Action::Solve);
    assert!(
        !json.contains("mkdir -p /root/app"),
        "solve script leaked: {json}"
    );
    assert!(
        !json.contains("docker ps >/dev/null"),
        "check script leaked: {json}"
    );
    assert_eq!(parsed.steps[0].check().unwrap().timeout_secs, Some(10));
}
