//! `muelle lessons test` for people: one step, kept nodes, the early-check guard, the scaffold
//! and Killercoda imports played on real nodes. The shipped lessons themselves are played by
//! `scripts/test.sh`'s "lessons test" suite (every lesson, both languages, in parallel).

use std::path::PathBuf;

use serial_test::serial;

fn lessons_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../lessons")
}


/// `muelle lessons test FILE --step 3 --keep -v` as a person runs it: steps 1 and 2 are played
/// silently (their images are in the node afterwards), only step 3 is reported with its output,
/// and the printed command opens a shell in the kept node. The next run ends the kept session.
#[test]
#[serial]
fn one_step_verbose_and_kept() {
    let file = lessons_dir().join("en/01-first-containers.md");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(super::restart::muelle_bin()).args(["lessons", "test"]).arg(&file).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, stdout, stderr) = run(&["--step", "3", "--keep", "-v"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(!stdout.contains("step 1 ") && !stdout.contains("step 2 "), "{stdout}");
    assert!(stdout.contains("✓ en/01-first-containers.md step 3") && stdout.contains("| $ docker image ls"), "{stdout}");
    assert!(!stdout.contains("INFO") && stderr.contains("INFO"), "logs belong on stderr:\n{stdout}");
    let enter = stdout.lines().find_map(|l| l.split_once("node1 ").and_then(|(_, rest)| rest.split_once(": ")).map(|(_, cmd)| cmd.to_string())).expect("a node1 line with a command");
    assert!(enter.ends_with("-- /bin/bash -l"), "{enter}");
    let shell = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("echo 'hostname; docker image ls --format {{{{.Repository}}}}' | {enter}"))
        .output()
        .unwrap();
    let seen = String::from_utf8_lossy(&shell.stdout);
    assert!(seen.contains("node1") && seen.contains("hello-world") && seen.contains("busybox"), "{seen}");
    let kept = stdout.split("kept session ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();
    let (code, _, stderr) = run(&["--step", "1"]);
    assert_eq!(code, Some(0));
    assert!(stderr.contains(&format!("delete{{session_id={kept}}}")), "the kept session is ended by the next run:\n{stderr}");
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
    backend::lessons_cli::run_words(&args.iter().map(String::as_str).collect::<Vec<_>>()).expect("muelle lessons could not run")
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

/// A check that passes on fresh nodes ("the volume is gone") cannot tell whether the student did
/// its step: `lessons test` runs every check before playing and fails such a lesson, naming the
/// step and file:line, even though the step itself plays green (issue 9, point 1).
#[test]
#[serial]
fn a_check_that_passes_before_its_step_fails_the_test() {
    let dir = TempLessons::new("early");
    std::fs::create_dir_all(dir.0.join("en")).unwrap();
    let lesson = "---\nid: early\ntitle: Early\nsummary: S\nlang: en\nduration: 10\nnodes: 1\n---\n## Make a volume\n```sh run\ndocker volume create datos\n```\n```check\ndocker volume inspect datos\n```\n## Remove it\n```sh run\ndocker volume rm datos\n```\n```check\n! docker volume inspect datos\n```\n";
    std::fs::write(dir.0.join("en/01-early.md"), lesson).unwrap();
    let out = std::process::Command::new(super::restart::muelle_bin())
        .args(["lessons", "test", &dir.path(), "--catalog", &catalog()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ en/01-early.md step 2 \"Remove it\": its check (en/01-early.md:20) passes on fresh nodes"),
        "{stdout}"
    );
    assert!(stdout.contains("✓ en/01-early.md step 2 \"Remove it\""), "the step itself plays: {stdout}");
    assert!(!stdout.contains("step 1 \"Make a volume\": its check"), "{stdout}");
}

/// Setup and background scripts, node variables and `node=all` played by `lessons test` on real
/// nodes (issue 9, points 6 and 7): setup writes a file before any step, background runs
/// detached and is seen later, `{{node2.ip}}` is filled in, and a `node=all` block and check run
/// on both nodes.
#[test]
#[serial]
fn setup_background_variables_and_node_all_on_real_nodes() {
    let dir = TempLessons::new("setup");
    std::fs::create_dir_all(dir.0.join("en")).unwrap();
    let lesson = r#"---
id: prepared
title: Prepared
summary: Setup, background, variables and node=all.
lang: en
duration: 10
nodes: 2
setup: |
  echo ready > /root/prepared
background:
  node2: |
    sleep 1; touch /root/background-ran
---
## The setup ran
A reading step: its block must succeed, and it does only if setup wrote the file.
```sh run
grep -qx ready /root/prepared && cat /root/prepared
```
## Every node knows node2
```sh run node=all
echo "{{node2.ip}} {{node2.name}}" > /root/peer
```
```check node=all
grep -q "^[0-9.]* node2$" /root/peer && ping -c1 -W2 {{node2.ip}} >/dev/null
```
## The background script ran
```sh run node=node2
touch /root/looked; ls /root/background-ran
```
```check node=node2
test -f /root/looked && test -f /root/background-ran
```
"#;
    std::fs::write(dir.0.join("en/01-prepared.md"), lesson).unwrap();
    assert_eq!(cli(&["lint", &dir.path(), "--catalog", &catalog()]), 0);
    assert_eq!(cli(&["test", &dir.path(), "--catalog", &catalog()]), 0, "a step failed (see the ✗ lines above)");
}
