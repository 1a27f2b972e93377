//! `muelle lessons ...`, and its `test [DIR|FILE] [--lang es|en] [--catalog FILE]`: lints the
//! lessons, then plays each one on real nodes (see [`crate::player::runner`]) and prints a line per step
//! and a summary.
//!
//! It starts its own backend in this process ([`crate::server::Role::LessonTest`]): over
//! `<data dir>/lessons-test.db`, so it never adopts or sweeps a server's sessions, with its
//! networks numbered from the top ([`crate::provider::top_down`]). Needs root, the node image
//! and the local registry.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::config::{Config, SandboxKind};
use crate::lessons::catalog::catalog_beside;
use crate::lessons::dir::{check_file, lesson_files};
use crate::lessons::model::ParsedLesson;
use crate::lessons::store::SharedCatalog;
use crate::lessons::{lint_cli, USAGE as LESSONS_USAGE};
use crate::player::runner::{LessonOutcome, Runner};
use crate::provider::top_down::flip;
use crate::provider::SessionNet;
use crate::server::{Backend, Role};

/// `muelle lessons ...`; `args` are the words after `lessons`. Returns the exit code.
pub fn run_cli(args: &[String]) -> anyhow::Result<i32> {
    match args.first().map(String::as_str) {
        Some("lint") => lint_cli(&args[1..]),
        Some("test") => run(&args[1..]),
        Some("-h" | "--help") => {
            println!("{LESSONS_USAGE}");
            Ok(0)
        }
        _ => {
            eprintln!("{LESSONS_USAGE}");
            Ok(2)
        }
    }
}

/// Usage line of `lessons test`.
pub const USAGE: &str = "usage: muelle lessons test [DIR|FILE] [--lang es|en] [--catalog FILE]";

/// Parsed arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestArgs {
    /// A lessons directory or one lesson file.
    pub target: PathBuf,
    /// Only this language.
    pub lang: Option<String>,
    /// The image catalog, if not beside the lessons directory.
    pub catalog: Option<PathBuf>,
}

/// Parses the words after `test`.
pub fn parse_args(args: &[String]) -> anyhow::Result<TestArgs> {
    let mut out = TestArgs { target: PathBuf::from("lessons"), lang: None, catalog: None };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--lang" => {
                let lang = it.next().context(USAGE)?;
                if lang.len() != 2 || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
                    bail!("--lang takes a two-letter code, not {lang:?}\n{USAGE}");
                }
                out.lang = Some(lang.clone());
            }
            "--catalog" => out.catalog = Some(it.next().context(USAGE)?.into()),
            s if s.starts_with('-') => bail!("unknown option `{s}`\n{USAGE}"),
            s => out.target = s.into(),
        }
    }
    Ok(out)
}

/// The lesson files to play (sorted), and the lessons directory they belong to.
pub fn select_files(args: &TestArgs) -> anyhow::Result<(Vec<PathBuf>, PathBuf)> {
    let t = &args.target;
    let (files, dir) = if t.is_file() {
        let dir = t.parent().and_then(Path::parent).unwrap_or(Path::new(".")).to_path_buf();
        (vec![t.clone()], dir)
    } else {
        let files = lesson_files(t).with_context(|| format!("cannot read lessons directory {}", t.display()))?;
        (files, t.clone())
    };
    let lang_of = |p: &PathBuf| p.parent().and_then(|d| d.file_name()).map(|n| n.to_string_lossy().into_owned());
    let files: Vec<PathBuf> =
        files.into_iter().filter(|p| args.lang.is_none() || lang_of(p) == args.lang).collect();
    if files.is_empty() {
        bail!("no lesson files in {}", t.display());
    }
    Ok((files, dir))
}

/// `es/01-primeros-contenedores.md` for `<dir>/es/01-primeros-contenedores.md`.
fn label(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match path.parent().and_then(|d| d.file_name()) {
        Some(lang) => format!("{}/{name}", lang.to_string_lossy()),
        None => name,
    }
}

/// Runs `lessons test`; returns the exit code (1 if any step or lint failed).
pub fn run(args: &[String]) -> anyhow::Result<i32> {
    let args = parse_args(args)?;
    let (files, dir) = select_files(&args)?;
    if !nix::unistd::getuid().is_root() {
        bail!("muelle lessons test starts real nodes: run it as root");
    }
    let images: SharedCatalog = match &args.catalog {
        Some(p) => Arc::new(crate::images::Catalog::load(p)?),
        None => catalog_beside(&dir),
    };
    let mut lessons = Vec::new();
    let mut lint_failed = false;
    for f in &files {
        let r = check_file(f, images.as_ref());
        match (r.lesson, r.problems.is_empty()) {
            (Some(l), true) => lessons.push((label(f), l)),
            (_, _) => {
                lint_failed = true;
                println!("✗ {} does not pass lint:", label(f));
                r.problems.iter().for_each(|p| println!("    | {p}"));
            }
        }
    }
    let outcomes = tokio::runtime::Runtime::new()?.block_on(play_all(&dir, &lessons))?;
    Ok(i32::from(!summarize(&outcomes) || lint_failed))
}

async fn play_all(dir: &Path, lessons: &[(String, ParsedLesson)]) -> anyhow::Result<Vec<LessonOutcome>> {
    let config = Config { sandbox: SandboxKind::Real, lessons_dir: dir.to_path_buf(), ..Config::from_env()? };
    let backend = Backend::start(config, Role::LessonTest).await?;
    let runner = Runner { sessions: backend.state.sessions.clone(), provider: backend.state.provider.clone() };
    let mut out = Vec::new();
    for (label, lesson) in lessons {
        wait_for_network(BRIDGE_WAIT).await?;
        match runner.run_lesson(label, lesson).await {
            Ok(o) => out.push(o),
            Err(err) => {
                println!("✗ {label}: {err:#}");
                out.push(LessonOutcome { label: label.clone(), passed: 0, failed: 1, elapsed: Default::default() });
            }
        }
    }
    Ok(out)
}

/// How long to wait for another process's session to free the first session network.
const BRIDGE_WAIT: Duration = Duration::from_secs(600);

/// The first bridge of the tests' registry may still be held by a previous `lessons test` (or a
/// very busy server): wait for it to go, or fail with an explanation.
async fn wait_for_network(limit: Duration) -> anyhow::Result<()> {
    let bridge = flip(&SessionNet::new(0)).bridge;
    let busy = || std::path::Path::new("/sys/class/net").join(&bridge).exists();
    let deadline = Instant::now() + limit;
    if busy() {
        println!("  waiting for bridge {bridge} to go: another muelle uses it");
    }
    while busy() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "bridge {bridge} is still in use after {limit:?}: stop the other muelle (server or tests) first"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}

/// Prints one line per lesson and a total; true if every step passed.
fn summarize(outcomes: &[LessonOutcome]) -> bool {
    println!();
    for o in outcomes {
        let mark = if o.failed == 0 { '✓' } else { '✗' };
        println!("{mark} {}: {} passed, {} failed, {:.1}s", o.label, o.passed, o.failed, o.elapsed.as_secs_f64());
    }
    let failed: usize = outcomes.iter().map(|o| o.failed).sum();
    let total: f64 = outcomes.iter().map(|o| o.elapsed.as_secs_f64()).sum();
    println!("{} lesson(s), {failed} failed step(s), {total:.1}s", outcomes.len());
    failed == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments() {
        let a = parse_args(&words(&["x/lessons", "--lang", "es"])).unwrap();
        assert_eq!((a.target, a.lang), (PathBuf::from("x/lessons"), Some("es".into())));
        assert_eq!(parse_args(&[]).unwrap().target, PathBuf::from("lessons"));
        assert!(parse_args(&words(&["--lang", "spanish"])).is_err());
        assert!(parse_args(&words(&["--lang"])).is_err());
        assert!(parse_args(&words(&["--bogus"])).is_err());
    }

    #[test]
    fn files_by_directory_file_and_language() {
        let lessons = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
        let all = TestArgs { target: lessons.clone(), lang: None, catalog: None };
        let (files, dir) = select_files(&all).unwrap();
        assert_eq!((files.len(), dir), (6, lessons.clone()));
        let es = TestArgs { lang: Some("es".into()), ..all.clone() };
        let (files, _) = select_files(&es).unwrap();
        assert_eq!(label(&files[0]), "es/01-primeros-contenedores.md");
        assert_eq!(files.len(), 3);
        let one = TestArgs { target: files[1].clone(), lang: None, catalog: None };
        let (files, dir) = select_files(&one).unwrap();
        assert_eq!((files.len(), std::fs::canonicalize(dir).unwrap()), (1, std::fs::canonicalize(&lessons).unwrap()));
        let none = TestArgs { lang: Some("fr".into()), ..all };
        assert!(select_files(&none).is_err());
    }
}
