//! `muelle lessons test [DIR|FILE] [--lang es|en] [--catalog FILE]`: lints the lessons, then plays
//! each one on real nodes (see [`super::runner`]) and prints a line per step and a summary.
//!
//! It runs its own session registry in this process, over `<data dir>/lessons-test.db`, so it
//! never adopts or sweeps a server's sessions, and numbers its networks from the top
//! ([`super::test_net`]). Needs root, the node image and the local registry.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};

use super::dir::{check_file, lesson_files};
use super::live::catalog_beside;
use super::model::ParsedLesson;
use super::runner::{LessonOutcome, Runner};
use super::store::SharedCatalog;
use super::test_net::{wait_for_network, TopDownNets, BRIDGE_WAIT};
use crate::config::Config;
use crate::provider::real::RealProvider;
use crate::provider::SandboxProvider;
use crate::sessions::SessionRegistry;

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
    let outcomes = tokio::runtime::Runtime::new()?.block_on(play_all(&lessons))?;
    Ok(i32::from(!summarize(&outcomes) || lint_failed))
}

async fn play_all(lessons: &[(String, ParsedLesson)]) -> anyhow::Result<Vec<LessonOutcome>> {
    let config = Arc::new(Config::from_env()?);
    crate::images::registry_service::ensure_registry(&config.data_dir, &config.registry_listen)
        .await
        .context("starting the local registry")?;
    let real: Arc<dyn SandboxProvider> = Arc::new(RealProvider::new(&config)?);
    // Nodes pull through the read-only front, as under `muelle serve`.
    let _front = crate::images::front::spawn_for(&config).context("starting the registry front")?;
    let provider: Arc<dyn SandboxProvider> = Arc::new(TopDownNets(real));
    let store = crate::store::Store::open(&config.data_dir.join("lessons-test.db"))?;
    let sessions = Arc::new(SessionRegistry::new(config.clone(), provider.clone(), store));
    // Sessions a killed earlier run left behind: adopt them and end them.
    sessions.recover().await?;
    for id in sessions.session_ids() {
        sessions.delete(&id).await.map_err(|e| anyhow::anyhow!("ending leftover session {id}: {e:?}"))?;
    }
    let runner = Runner { sessions, provider };
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
