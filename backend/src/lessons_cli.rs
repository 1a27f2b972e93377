//! `muelle lessons lint|test ...` (options in [`crate::cli::LessonsCommand`]). `test [PATH]
//! [--lang L] [-v] [--step N] [--keep]` lints the lessons, then plays each one on real nodes
//! (see [`crate::player::runner`]) and prints a line per step and a summary on stdout; logs go to
//! stderr.
//!
//! It starts its own backend in this process ([`crate::server::Role::LessonTest`]): over
//! `<data dir>/lessons-test.db`, so it never adopts or sweeps a server's sessions, with its
//! networks numbered from the top ([`crate::provider::top_down`]). Needs root, the node image
//! and the local registry.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::cli::{ImportCommand, LessonsCommand, LintArgs, TestArgs};
use crate::config::{Config, SandboxKind};
use crate::images::Catalog;
use crate::lessons::dir::{self, check_file, lesson_files_under};
use crate::lessons::model::{ParsedLesson, Problem};
use crate::lessons::store::SharedCatalog;
use crate::player::runner::{LessonOutcome, PlayOptions, Runner};
use crate::provider::top_down::flip;
use crate::provider::addr::SessionRange;
use crate::server::{Backend, Role};

/// `muelle lessons ...`; returns the exit code.
pub fn run_cli(command: LessonsCommand) -> anyhow::Result<i32> {
    match command {
        LessonsCommand::Lint(args) => lint_cli(&args),
        LessonsCommand::Test(args) => run(&args),
        LessonsCommand::New(args) => crate::lessons::scaffold::run(&args.dir, &args.slug, &args.langs),
        LessonsCommand::Import(ImportCommand::Killercoda(args)) => {
            let catalog: SharedCatalog = Arc::new(Catalog::load(args.catalog.path()?)?);
            let opts = crate::lessons::import::killercoda::Options { lang: args.lang, id: args.id, catalog: None };
            crate::lessons::import::killercoda_and_report(&args.src, &args.dest, opts, catalog)
        }
    }
}

/// `muelle lessons WORDS...` parsed as the command line would be, then run (for tests and
/// tools that drive the CLI in-process). A usage error is an error with clap's message.
pub fn run_words(words: &[&str]) -> anyhow::Result<i32> {
    use clap::Parser;
    let argv = ["muelle", "lessons"].iter().chain(words);
    match crate::cli::Cli::try_parse_from(argv).map_err(|e| anyhow::anyhow!("{e}"))?.command {
        Some(crate::cli::Command::Lessons(c)) => run_cli(c),
        _ => unreachable!("`muelle lessons …` parses as a lessons command"),
    }
}

/// `muelle lessons lint [PATH]`: every problem as `file:line: message`, then a summary.
fn lint_cli(args: &LintArgs) -> anyhow::Result<i32> {
    let path = &args.path;
    let images = Catalog::load(args.catalog.path()?)?;
    let (results, cross) = dir::lint_dir(path, &images)
        .map_err(|e| anyhow::anyhow!("cannot read lessons at {}: {e}", path.display()))?;
    if results.is_empty() {
        bail!("no lesson files at {} (expected <lang>/NN-slug.md below it, or one file)", path.display());
    }
    let mut problems: Vec<&Problem> = results.iter().flat_map(|r| &r.problems).chain(&cross).collect();
    problems.sort();
    for p in &problems {
        println!("{p}");
    }
    let ok = results.iter().filter(|r| dir::servable(r, &cross).is_some()).count();
    let warnings = problems.iter().filter(|p| p.warning).count();
    let errors = problems.len() - warnings;
    println!("{} file(s), {ok} lesson(s) ok, {errors} problem(s), {warnings} warning(s)", results.len());
    Ok(if errors == 0 { 0 } else { 1 })
}

/// The lesson files to play (sorted): the file `args.path` names or every lesson file below it.
pub fn select_files(args: &TestArgs) -> anyhow::Result<Vec<PathBuf>> {
    let t = &args.path;
    let files = lesson_files_under(t).with_context(|| format!("cannot read lessons at {}", t.display()))?;
    let lang_of = |p: &PathBuf| p.parent().and_then(|d| d.file_name()).map(|n| n.to_string_lossy().into_owned());
    let files: Vec<PathBuf> =
        files.into_iter().filter(|p| args.lang.is_none() || lang_of(p) == args.lang).collect();
    if files.is_empty() {
        bail!("no lesson files at {} (expected <lang>/NN-slug.md below it, or one file)", t.display());
    }
    Ok(files)
}

/// The lessons directory `path` belongs to: itself, or above a `<lang>/` directory or file.
fn lessons_dir(path: &Path) -> PathBuf {
    let is_lang = |p: &Path| p.file_name().is_some_and(|n| n.len() == 2);
    if path.is_file() {
        path.parent().and_then(Path::parent).unwrap_or(Path::new(".")).to_path_buf()
    } else if is_lang(path) {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        path.to_path_buf()
    }
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
pub fn run(args: &TestArgs) -> anyhow::Result<i32> {
    let files = select_files(args)?;
    if !nix::unistd::getuid().is_root() {
        bail!("muelle lessons test starts real nodes: run it as root");
    }
    let images: SharedCatalog = Arc::new(crate::images::Catalog::load(args.catalog.path()?)?);
    let mut lessons = Vec::new();
    let mut lint_failed = 0;
    for f in &files {
        let r = check_file(f, images.as_ref());
        match (r.lesson, r.problems.is_empty()) {
            (Some(l), true) => lessons.push((label(f), l)),
            (_, _) => {
                lint_failed += 1;
                println!("✗ {} does not pass lint:", label(f));
                r.problems.iter().for_each(|p| println!("    | {p}"));
            }
        }
    }
    if lessons.is_empty() {
        println!("{lint_failed} file(s) fail lint (see above; `muelle lessons lint` lists every problem): nothing played");
        return Ok(1);
    }
    // --keep and --step are for looking at one lesson: one at a time keeps its lines together.
    let jobs = match (args.jobs, args.keep || args.step.is_some()) {
        (Some(n), _) => n as usize,
        (None, true) => 1,
        (None, false) => default_jobs(),
    };
    let started = Instant::now();
    let options = PlayOptions { verbose: args.verbose, step: args.step.map(|n| n as usize), keep: args.keep };
    let outcomes = tokio::runtime::Runtime::new()?.block_on(play_all(&lessons_dir(&args.path), &lessons, options, jobs))?;
    let passed = summarize(&outcomes, started.elapsed(), jobs);
    if lint_failed > 0 {
        println!("{lint_failed} file(s) fail lint and were not played");
    }
    Ok(i32::from(!passed || lint_failed > 0))
}

async fn play_all(dir: &Path, lessons: &[(String, ParsedLesson)], options: PlayOptions, jobs: usize) -> anyhow::Result<Vec<LessonOutcome>> {
    use futures_util::StreamExt;
    let config = Config { sandbox: SandboxKind::Real, lessons_dir: dir.to_path_buf(), ..Config::from_env()? };
    let range = config.session_net;
    let backend = Backend::start(config, Role::LessonTest).await?;
    let runner = Runner { sessions: backend.state.sessions.clone(), provider: backend.state.provider.clone(), options };
    wait_for_network(&range, BRIDGE_WAIT).await?;
    // Each lesson in its own session; `jobs` of them at a time. Lines carry the lesson's label.
    let mut out: Vec<(usize, LessonOutcome)> = futures_util::stream::iter(lessons.iter().enumerate())
        .map(|(i, (label, lesson))| {
            let runner = &runner;
            async move {
                let outcome = match runner.run_lesson(label, lesson).await {
                    Ok(o) => o,
                    Err(err) => {
                        println!("✗ {label}: {err:#}");
                        LessonOutcome { label: label.clone(), passed: 0, failed: 1, elapsed: Default::default() }
                    }
                };
                (i, outcome)
            }
        })
        .buffer_unordered(jobs.max(1))
        .collect()
        .await;
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, o)| o).collect())
}

/// Lessons played at once by default: one per core, at most 4 (each session's nodes start
/// dockerd; more at once on a small machine only slows every one of them).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(4)
}

/// How long to wait for another process's session to free the first session network.
const BRIDGE_WAIT: Duration = Duration::from_secs(600);

/// The first bridge of the tests' registry may still be held by a previous `lessons test` (or a
/// very busy server): wait for it to go, or fail with an explanation.
async fn wait_for_network(range: &SessionRange, limit: Duration) -> anyhow::Result<()> {
    let bridge = flip(range, &range.net(0)).bridge;
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
/// The time table: one line per lesson (its steps and its own play time), then the totals.
fn summarize(outcomes: &[LessonOutcome], wall: Duration, jobs: usize) -> bool {
    println!();
    let width = outcomes.iter().map(|o| o.label.chars().count()).max().unwrap_or(0);
    for o in outcomes {
        let mark = if o.failed == 0 { '✓' } else { '✗' };
        println!("{mark} {:<width$}  {:>3} passed  {:>2} failed  {:>6.1}s", o.label, o.passed, o.failed, o.elapsed.as_secs_f64());
    }
    let failed: usize = outcomes.iter().map(|o| o.failed).sum();
    let total: f64 = outcomes.iter().map(|o| o.elapsed.as_secs_f64()).sum();
    println!(
        "{} lesson(s), {failed} failed step(s), {total:.1}s of play in {:.1}s ({jobs} at a time)",
        outcomes.len(),
        wall.as_secs_f64()
    );
    failed == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_by_directory_file_and_language() {
        let lessons = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
        let all = TestArgs::new(&lessons);
        let count = |lang: &str| std::fs::read_dir(lessons.join(lang)).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "md")).count();
        let (n_es, n_en) = (count("es"), count("en"));
        assert!(n_es >= 3 && n_en >= 3);
        assert_eq!(select_files(&all).unwrap().len(), n_es + n_en);
        let es = TestArgs { lang: Some("es".into()), ..all.clone() };
        let files = select_files(&es).unwrap();
        assert_eq!(label(&files[0]), "es/01-primeros-contenedores.md");
        assert_eq!(files.len(), n_es);
        assert_eq!(select_files(&TestArgs::new(&files[1])).unwrap(), [files[1].clone()]);
        // A language directory, and the repository above the lessons directory: any depth.
        assert_eq!(select_files(&TestArgs::new(lessons.join("es"))).unwrap(), files);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let below_root = select_files(&TestArgs::new(root)).unwrap();
        assert_eq!(below_root.iter().filter(|f| f.starts_with(&lessons)).count(), n_es + n_en);
        assert!(below_root.iter().all(|f| !f.ends_with("README.md")), "{below_root:?}");
        let none = TestArgs { lang: Some("fr".into()), ..all };
        assert!(select_files(&none).is_err());
    }
}
