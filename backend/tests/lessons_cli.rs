//! `muelle lessons ...` run as the built binary: lint's exit codes and output on lessons anywhere
//! (a temporary directory outside the repository, a language directory, one file), and `test`'s
//! argument errors (playing lessons on real nodes is in tests/e2e).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// `muelle ARGS` in `cwd`, with no `MUELLE_*` variable of the caller's environment.
fn muelle(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_muelle"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("MUELLE_")) {
        cmd.env_remove(k);
    }
    cmd.current_dir(cwd).args(args).envs(env.iter().copied()).output().expect("run muelle")
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A copy of the shipped English lesson 01 in `<tmp>/course/en/`, far from the repository.
fn lesson_outside_the_repo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let en = tmp.path().join("course/en");
    std::fs::create_dir_all(&en).unwrap();
    let src = std::fs::read_dir(repo("lessons/en")).unwrap().flatten().map(|e| e.path()).find(|p| p.file_name().unwrap().to_string_lossy().starts_with("01-")).unwrap();
    std::fs::copy(&src, en.join(src.file_name().unwrap())).unwrap();
    (tmp, en.join(src.file_name().unwrap()))
}

#[test]
fn lint_works_on_lessons_outside_the_repository() {
    let (tmp, file) = lesson_outside_the_repo();
    // Run from the temporary directory: no images/ there nor above; the catalog is the
    // installation's (the binary's source tree). The old code looked for <tmp>/images/catalog.yaml.
    for target in [tmp.path().to_path_buf(), tmp.path().join("course"), tmp.path().join("course/en"), file.clone()] {
        let out = muelle(tmp.path(), &["lessons", "lint", target.to_str().unwrap()], &[]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{target:?}\n{stdout}\n{stderr}");
        assert!(stdout.contains("1 file(s), 1 lesson(s) ok, 0 problem(s)"), "{target:?}: {stdout}");
    }
    // The images are still checked: a catalog without the lesson's hello-world fails it.
    let images = tmp.path().join("images");
    std::fs::create_dir_all(&images).unwrap();
    let busybox = "images:\n  - name: busybox\n    tags: [latest]\n    description: {es: \"b\", en: \"b\"}\n    recipe: recipes/busybox.sh\n    cmd: [\"sh\"]\n";
    std::fs::write(images.join("catalog.yaml"), busybox).unwrap();
    let out = muelle(tmp.path(), &["lessons", "lint", "course"], &[("MUELLE_IMAGES_DIR", images.to_str().unwrap())]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("01-first-containers.md:9: image `hello-world:latest` is not in the image catalog"), "{stdout}");
    // --images on the command line wins over the variable.
    let out = muelle(tmp.path(), &["lessons", "lint", "course", "--images", repo("images").to_str().unwrap()], &[("MUELLE_IMAGES_DIR", images.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
}

#[test]
fn lint_exit_codes_and_errors() {
    let root = repo("");
    let out = muelle(&root, &["lessons", "lint"], &[]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let files = ["es", "en"].iter().map(|l| std::fs::read_dir(repo("lessons").join(l)).unwrap().count()).sum::<usize>();
    assert!(text(&out).0.contains(&format!("{files} file(s), {files} lesson(s) ok")), "{:?}", text(&out));
    let broken = repo("backend/tests/fixtures/lessons/broken");
    let out = muelle(&root, &["lessons", "lint", broken.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
    let out = muelle(&root, &["lessons", "lint", "/nonexistent/lessons"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("cannot read lessons at /nonexistent/lessons"), "{:?}", text(&out));
    let empty = tempfile::tempdir().unwrap();
    let out = muelle(&root, &["lessons", "lint", empty.path().to_str().unwrap()], &[]);
    assert!(text(&out).1.contains("no lesson files at"), "{:?}", text(&out));
    let out = muelle(&root, &["lessons", "lint", "--images", "/nonexistent"], &[]);
    assert!(text(&out).1.contains("no catalog.yaml in the images directory /nonexistent"), "{:?}", text(&out));
}

#[test]
fn lessons_test_argument_errors() {
    let root = repo("");
    for (args, expected) in [
        (&["lessons", "test", "--bogus"][..], "unexpected argument '--bogus'"),
        (&["lessons", "test", "--step", "0"], "invalid value '0' for '--step <N>'"),
        (&["lessons", "test", "--lang", "spanish"], "two-letter language code"),
        (&["lessons", "frobnicate"], "unrecognized subcommand 'frobnicate'"),
    ] {
        let out = muelle(&root, args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {:?}", text(&out));
        assert!(text(&out).1.contains(expected), "{args:?}: {:?}", text(&out));
    }
    let out = muelle(&root, &["lessons", "test", "/nonexistent/lessons"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("cannot read lessons at"), "{:?}", text(&out));
}
