//! `muelle lessons ...` through `run_cli`: exit codes of lint, and `test`'s argument errors (playing lessons is in tests/e2e).

use std::path::Path;

use backend::lessons_cli::run_cli;

fn path(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn lessons_lint_exit_codes() {
    let catalog = path("../images/catalog.yaml");
    let shipped = path("../lessons");
    assert_eq!(
        run_cli(&args(&["lint", &shipped, "--catalog", &catalog])).unwrap(),
        0
    );
    let broken = path("tests/fixtures/lessons/broken");
    assert_eq!(
        run_cli(&args(&["lint", &broken, "--catalog", &catalog])).unwrap(),
        1
    );
    assert!(run_cli(&args(&[
        "lint",
        "/nonexistent/lessons",
        "--catalog",
        &catalog
    ]))
    .is_err());
    assert!(run_cli(&args(&["lint", "--bogus"])).is_err());
}

#[test]
fn lessons_other_subcommands() {
    let err = run_cli(&args(&["test", "--bogus"])).unwrap_err().to_string();
    assert!(err.contains("unknown option"), "{err}");
    let err = run_cli(&args(&["test", "/nonexistent/lessons"])).unwrap_err().to_string();
    assert!(err.contains("cannot read lessons directory"), "{err}");
    assert_eq!(run_cli(&args(&["frobnicate"])).unwrap(), 2);
    assert_eq!(run_cli(&args(&["--help"])).unwrap(), 0);
}
