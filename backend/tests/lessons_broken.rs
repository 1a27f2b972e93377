//! The broken-lesson corpus: every file in `fixtures/lessons/broken` gives the problems listed in
//! its `expected.txt` (`lang/file.md:LINE: part of the message`), and no others.

mod common;

use std::path::{Path, PathBuf};

use backend::lessons::dir::{lint_dir, servable};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons/broken")
}

fn known(reference: &str) -> bool {
    ["busybox:latest", "debian:bookworm", "hello-world:latest"].contains(&reference)
}

/// The corpus copied to a temporary directory, every file written at one time except the
/// Spanish partner of `12-paired`, written later: of two translations that disagree, lint
/// blames the one that changed.
fn corpus_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let t0 = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    common::copy_lessons(&corpus(), tmp.path(), &|rel| {
        if rel.ends_with("es/12-paired-nodes-differ.md") { t0 + std::time::Duration::from_secs(60) } else { t0 }
    });
    tmp
}

/// `(file relative to the corpus, line, message)` for every problem lint reports; warnings (ids
/// without a translation: most files of the corpus are English only) are not its subject.
fn actual() -> Vec<(String, u32, String)> {
    let copy = corpus_copy();
    let (results, cross) = lint_dir(copy.path(), &known).expect("corpus dir");
    assert!(results
        .iter()
        .all(|r| servable(r, &cross).is_none() || r.label.ends_with("en/12-paired.md")));
    let root = format!("{}/", copy.path().display());
    let mut out: Vec<_> = results
        .iter()
        .flat_map(|r| &r.problems)
        .chain(&cross)
        .filter(|p| !p.warning)
        .map(|p| {
            (
                p.file.trim_start_matches(&root).to_string(),
                p.line,
                p.message.clone(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Parsed `expected.txt`: `(file, line, message fragment)`.
fn expected() -> Vec<(String, u32, String)> {
    let text = std::fs::read_to_string(corpus().join("expected.txt")).expect("expected.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut it = l.splitn(3, ':');
            let (file, line, msg) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
            (
                file.to_string(),
                line.parse().expect("line number"),
                msg.trim().to_string(),
            )
        })
        .collect()
}

#[test]
fn lessons_every_broken_file_gives_its_expected_file_and_line() {
    let mut actual = actual();
    let dump = actual
        .iter()
        .map(|(f, l, m)| format!("{f}:{l}: {m}"))
        .collect::<Vec<_>>()
        .join("\n");
    for (file, line, fragment) in expected() {
        let pos = actual
            .iter()
            .position(|(f, l, m)| *f == file && *l == line && m.contains(&fragment));
        let pos =
            pos.unwrap_or_else(|| panic!("missing {file}:{line}: {fragment}\nactual:\n{dump}"));
        actual.remove(pos);
    }
    assert!(
        actual.is_empty(),
        "unexpected problems: {actual:?}\nactual:\n{dump}"
    );
}

#[test]
fn lessons_every_corpus_file_is_covered() {
    let expected = expected();
    for sub in ["en", "es"] {
        for entry in std::fs::read_dir(corpus().join(sub)).unwrap() {
            let name = format!("{sub}/{}", entry.unwrap().file_name().to_string_lossy());
            let paired = name == "en/12-paired.md"; // clean itself; its partner is the broken one
            assert!(
                paired || expected.iter().any(|(f, _, _)| *f == name),
                "{name} has no expectation"
            );
        }
    }
}
