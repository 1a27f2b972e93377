//! `muelle lessons test` on the shipped lessons: every step of every lesson, in each language,
//! played on real nodes (run blocks typed, file blocks written, interactive steps solved) must
//! pass its check.

use std::path::PathBuf;

use serial_test::serial;

fn lessons_dir() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lessons").display().to_string()
}

fn play(lang: &str) {
    let args: Vec<String> = ["test", &lessons_dir(), "--lang", lang].iter().map(|s| s.to_string()).collect();
    let code = backend::lessons::run_cli(&args).expect("lessons test could not run");
    assert_eq!(code, 0, "a step of a {lang} lesson failed (see the ✗ lines above)");
}

#[test]
#[serial]
fn every_spanish_lesson_passes_on_real_nodes() {
    play("es");
}

#[test]
#[serial]
fn every_english_lesson_passes_on_real_nodes() {
    play("en");
}

/// A fresh lessons directory under the temp dir, removed when dropped.
struct TempLessons(PathBuf);

impl TempLessons {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("muelle-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempLessons {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn catalog() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../images/catalog.yaml").display().to_string()
}

fn cli(words: &[&str]) -> i32 {
    let args: Vec<String> = words.iter().map(|s| s.to_string()).collect();
    backend::lessons::run_cli(&args).expect("muelle lessons could not run")
}

/// `muelle lessons new` writes a pair that plays green as written (issue 9, point 5).
#[test]
#[serial]
fn a_scaffolded_lesson_passes_on_real_nodes() {
    let dir = TempLessons::new("scaffold");
    assert_eq!(cli(&["new", "e2e-scaffold", "--langs", "es,en", "--dir", &dir.path()]), 0);
    assert_eq!(cli(&["lint", &dir.path(), "--catalog", &catalog()]), 0);
    assert_eq!(cli(&["test", &dir.path(), "--catalog", &catalog()]), 0, "a step of the scaffold failed (see the ✗ lines above)");
}

/// Killercoda scenarios written in tests (backend/tests/fixtures/killercoda) imported and played:
/// assets written and chmod-ed, background and foreground scripts run, `{{exec}}` blocks on the
/// right host, bash verify scripts as checks (issue 9, point 8).
#[test]
#[serial]
fn imported_killercoda_scenarios_pass_on_real_nodes() {
    let dir = TempLessons::new("killercoda");
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../backend/tests/fixtures/killercoda");
    std::fs::create_dir_all(dir.0.join("images")).unwrap();
    std::fs::copy(catalog(), dir.0.join("images/catalog.yaml")).unwrap();
    let lessons = dir.0.join("lessons").display().to_string();
    std::fs::create_dir_all(&lessons).unwrap();
    for scenario in ["docker-basics", "two-hosts"] {
        let src = fixtures.join(scenario).display().to_string();
        assert_eq!(cli(&["import", "killercoda", &src, "--dest", &lessons]), 0, "{scenario} did not import clean");
    }
    assert_eq!(cli(&["test", &lessons]), 0, "a step of an imported scenario failed (see the ✗ lines above)");
}
