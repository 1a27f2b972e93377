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
    let code = backend::lessons_cli::run(&args).expect("lessons test could not run");
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
