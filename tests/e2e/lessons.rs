//! `muelle lessons test` on the shipped lessons: every step of every lesson, in each language,
//! played on real nodes (run blocks typed, file blocks written, interactive steps solved) must
//! pass its check.

use std::path::PathBuf;

use serial_test::serial;

fn lessons_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lessons")
}

fn play(lang: &str) {
    let args = backend::cli::TestArgs { lang: Some(lang.into()), ..backend::cli::TestArgs::new(lessons_dir()) };
    let code = backend::lessons::test_cli::run(&args).expect("lessons test could not run");
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
