//! `muelle lessons test [PATH] [--lang L] [-v] [--step N] [--keep]` (options in
//! [`crate::cli::TestArgs`]): lints the lessons, then plays each one on real nodes (see
//! [`super::runner`]) and prints a line per step and a summary on stdout; logs go to stderr.
//!
//! It runs its own session registry in this process, over `<data dir>/lessons-test.db`, so it
//! never adopts or sweeps a server's sessions, and numbers its networks from the top
//! ([`super::test_net`]). Needs root, the node image and the local registry.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};

use super::dir::{check_file, lesson_files_under};
use super::model::ParsedLesson;
use super::runner::{LessonOutcome, PlayOptions, Runner};
use crate::cli::TestArgs;
use super::store::SharedCatalog;
use super::test_net::{wait_for_network, TopDownNets, BRIDGE_WAIT};
use crate::config::Config;
use crate::provider::real::RealProvider;
use crate::provider::SandboxProvider;
use crate::sessions::SessionRegistry;

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
    let options = PlayOptions { verbose: args.verbose, step: args.step.map(|n| n as usize), keep: args.keep };
    let outcomes = tokio::runtime::Runtime::new()?.block_on(play_all(&lessons, options))?;
    let passed = summarize(&outcomes);
    if lint_failed > 0 {
        println!("{lint_failed} file(s) fail lint and were not played");
    }
    Ok(i32::from(!passed || lint_failed > 0))
}

async fn play_all(lessons: &[(String, ParsedLesson)], options: PlayOptions) -> anyhow::Result<Vec<LessonOutcome>> {
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
    let runner = Runner { sessions, provider, options };
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

    #[test]
    fn files_by_directory_file_and_language() {
        let lessons = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
        let all = TestArgs::new(&lessons);
        assert_eq!(select_files(&all).unwrap().len(), 6);
        let es = TestArgs { lang: Some("es".into()), ..all.clone() };
        let files = select_files(&es).unwrap();
        assert_eq!(label(&files[0]), "es/01-primeros-contenedores.md");
        assert_eq!(files.len(), 3);
        assert_eq!(select_files(&TestArgs::new(&files[1])).unwrap(), [files[1].clone()]);
        // A language directory, and the repository above the lessons directory: any depth.
        assert_eq!(select_files(&TestArgs::new(lessons.join("es"))).unwrap(), files);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let below_root = select_files(&TestArgs::new(root)).unwrap();
        assert_eq!(below_root.iter().filter(|f| f.starts_with(&lessons)).count(), 6);
        assert!(below_root.iter().all(|f| !f.ends_with("README.md")), "{below_root:?}");
        let none = TestArgs { lang: Some("fr".into()), ..all };
        assert!(select_files(&none).is_err());
    }
}
