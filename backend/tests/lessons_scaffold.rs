//! `muelle lessons new SLUG --langs es,en`: the scaffold is a paired lesson that lints clean,
//! numbered after the existing lessons; bad and taken slugs are refused without writing anything.
//! (Playing it on real nodes is in tests/e2e/lessons.rs.)

use std::path::{Path, PathBuf};

use backend::images::Catalog;
use backend::lessons::dir::{lint_dir, lesson_files};
use backend::lessons_cli::run_words;
use backend::lessons::scaffold::new_lesson;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn catalog() -> Catalog {
    Catalog::load(repo("images/catalog.yaml")).unwrap()
}

fn langs(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}


#[test]
fn scaffold_is_a_clean_pair() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lessons");
    std::fs::create_dir(&dir).unwrap();
    let files = new_lesson(&dir, "docker-volumes", &langs(&["es", "en"])).unwrap();
    assert_eq!(files, vec![dir.join("es/01-docker-volumes.md"), dir.join("en/01-docker-volumes.md")]);
    let (results, cross) = lint_dir(&dir, &catalog()).unwrap();
    let problems: Vec<String> = results.iter().flat_map(|r| &r.problems).chain(&cross).map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let lessons: Vec<_> = results.iter().map(|r| r.lesson.as_ref().unwrap()).collect();
    assert_eq!(lessons.len(), 2);
    for l in &lessons {
        assert_eq!(l.front.id, "docker-volumes");
        assert_eq!(l.steps.len(), 4, "{}", l.file);
        // Every step but the last has a check, and something to replay for it.
        for s in &l.steps[..3] {
            assert!(s.check().is_some(), "{}: {}", l.file, s.title);
            assert!(s.blocks().any(|b| b.action == backend::lessons::Action::Run), "{}", s.title);
        }
        assert!(l.steps[3].check().is_none());
    }
    let langs_found: Vec<&str> = lessons.iter().map(|l| l.front.lang.as_str()).collect();
    assert_eq!(langs_found, vec!["en", "es"]);
    assert_eq!(lessons[1].steps[0].title, "Descargar una imagen");
}

#[test]
fn numbered_after_existing_lessons_and_lints_with_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lessons");
    for f in lesson_files(&repo("lessons")).unwrap() {
        let rel = f.strip_prefix(repo("lessons")).unwrap();
        std::fs::create_dir_all(dir.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&f, dir.join(rel)).unwrap();
    }
    let shipped = std::fs::read_dir(dir.join("es")).unwrap().count();
    let code = run_words(&["new", "redes-basicas", "--langs", "es,en,fr", "--dir", dir.to_str().unwrap()]).unwrap();
    assert_eq!(code, 0);
    let name = format!("{:02}-redes-basicas.md", shipped + 1);
    for l in ["es", "en", "fr"] {
        assert!(dir.join(l).join(&name).is_file(), "{l}");
    }
    let (results, cross) = lint_dir(&dir, &catalog()).unwrap();
    let problems: Vec<String> = results.iter().flat_map(|r| &r.problems).chain(&cross).map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(results.len(), 2 * shipped + 3);
}

#[test]
fn refuses_taken_and_bad_slugs_without_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lessons");
    std::fs::create_dir_all(dir.join("en")).unwrap();
    // Taken by the front matter's id, under another file name.
    std::fs::write(dir.join("en/07-other-name.md"), "---\nid: volumes\ntitle: V\n---\n").unwrap();
    let err = new_lesson(&dir, "volumes", &langs(&["es", "en"])).unwrap_err().to_string();
    assert!(err.contains("a lesson with id `volumes` already exists") && err.contains("07-other-name.md"), "{err}");
    // Taken by a file name, whatever its id.
    let err = new_lesson(&dir, "other-name", &langs(&["en"])).unwrap_err().to_string();
    assert!(err.contains("already exists"), "{err}");
    let err = new_lesson(&dir, "Mis_Volumenes", &langs(&["es"])).unwrap_err().to_string();
    assert!(err.contains("not a lesson id") && err.contains("did you mean `mis-volumenes`?"), "{err}");
    let err = new_lesson(&dir, "a--b", &langs(&["es"])).unwrap_err().to_string();
    assert!(err.contains("not a lesson id"), "{err}");
    let err = new_lesson(&tmp.path().join("nope"), "fine", &langs(&["es"])).unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
    assert_eq!(lesson_files(&dir).unwrap().len(), 1, "a refused scaffold wrote files");

    let d = dir.to_str().unwrap();
    assert!(run_words(&["new", "x", "--langs", "spanish", "--dir", d]).unwrap_err().to_string().contains("two-letter codes"));
    assert!(run_words(&["new", "--dir", d]).unwrap_err().to_string().contains("<SLUG>"));
    assert!(run_words(&["new", "a", "b", "--dir", d]).is_err());
    assert!(run_words(&["new", "a", "--bogus"]).unwrap_err().to_string().contains("unexpected argument '--bogus'"));
    assert_eq!(lesson_files(&dir).unwrap().len(), 1);
}
