//! `LessonStore`: serves lessons that pass lint, keeps the others' problems, and picks up edits
//! on disk (by `refresh` and by its watcher thread).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backend::lessons::store::SharedCatalog;
use backend::lessons::LessonStore;

fn lesson(id: &str, lang: &str, title: &str, check: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: {title}\nsummary: S\nlang: {lang}\nduration: 30\nnodes: 2\nimages: [busybox]\n---\n\
         ## Step one\n```sh run node=node2\nls\n```\n```check\n{check}\n```\n```solve\ntouch /tmp/x\n```\n## Read\ntext\n"
    )
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn catalog() -> SharedCatalog {
    Arc::new(|r: &str| r == "busybox:latest")
}

#[test]
fn lessons_loads_serves_and_reloads_changed_files() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "en/01-demo.md",
        &lesson("demo", "en", "Demo", "test -f /tmp/x"),
    );
    write(
        tmp.path(),
        "es/01-demo.md",
        &lesson("demo", "es", "Demostración", "test -f /tmp/x"),
    );
    write(tmp.path(), "en/02-broken.md", "---\nid: broken\n---\n");
    let store = LessonStore::load(tmp.path(), catalog()).unwrap();

    let list = store.list();
    assert_eq!(
        list.iter()
            .map(|s| (s.id.as_str(), s.lang.as_str()))
            .collect::<Vec<_>>(),
        [("demo", "en"), ("demo", "es")]
    );
    assert_eq!(
        (list[0].step_count, list[0].nodes, list[0].order),
        (2, 2, 1)
    );
    assert!(store.get("broken", "en").is_none());
    assert!(store
        .problems()
        .iter()
        .any(|p| p.file.ends_with("02-broken.md")));

    let scripts = store.step_scripts("demo", "en", 0).unwrap();
    assert_eq!(scripts.check.unwrap().code, "test -f /tmp/x\n");
    assert_eq!(scripts.solve.unwrap().node, "node1");
    assert_eq!(scripts.replay.len(), 1);
    assert_eq!(store.block("demo", "en", "1.1").unwrap().0, "node2");
    assert!(store.step_scripts("demo", "en", 1).unwrap().check.is_none());

    // Change one file (different length, so the stamp changes even on coarse clocks).
    write(
        tmp.path(),
        "en/01-demo.md",
        &lesson("demo", "en", "Demo, edited", "test -d /tmp"),
    );
    assert!(store.refresh().unwrap());
    assert_eq!(
        store.get("demo", "en").unwrap().summary.title,
        "Demo, edited"
    );
    assert_eq!(
        store
            .step_scripts("demo", "en", 0)
            .unwrap()
            .check
            .unwrap()
            .code,
        "test -d /tmp\n"
    );
    assert!(!store.refresh().unwrap(), "nothing changed the second time");

    // Fix the broken one, break the Spanish one: each is served or not on its own.
    write(
        tmp.path(),
        "en/02-broken.md",
        &lesson("broken", "en", "Fixed", "true"),
    );
    write(
        tmp.path(),
        "es/01-demo.md",
        &lesson("demo", "es", "Demostración", "true").replace("node=node2", "node=node4"),
    );
    store.refresh().unwrap();
    assert_eq!(store.get("broken", "en").unwrap().summary.title, "Fixed");
    assert!(store.get("demo", "es").is_none());
    assert!(store
        .problems()
        .iter()
        .any(|p| p.file.ends_with("es/01-demo.md") && p.message.contains("node4")));

    std::fs::remove_file(tmp.path().join("en/02-broken.md")).unwrap();
    store.refresh().unwrap();
    assert!(store.get("broken", "en").is_none());
}

#[test]
fn lessons_watcher_picks_up_edits() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "en/01-demo.md",
        &lesson("demo", "en", "Before", "true"),
    );
    let store = LessonStore::load(tmp.path(), catalog()).unwrap();
    let _watcher = store.watch(Duration::from_millis(50));
    write(
        tmp.path(),
        "en/01-demo.md",
        &lesson("demo", "en", "After the edit", "true"),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.get("demo", "en").unwrap().summary.title != "After the edit" {
        assert!(Instant::now() < deadline, "watcher did not reload the file");
        std::thread::sleep(Duration::from_millis(20));
    }
}
