//! Lessons: the markdown format, its parser and lint, and the lesson store.
//!
//! The format is documented for instructors in `lessons/README.md`.

pub mod dir;
mod fields;
pub mod frontmatter;
pub mod images_used;
pub mod info;
pub mod lint;
pub mod live;
pub mod model;
pub mod node_exec;
pub mod parser;
pub mod render;
pub mod runner;
pub mod steps;
pub mod store;
mod suggest;
pub mod test_cli;
pub mod test_net;

use std::path::{Path, PathBuf};

use crate::images::Catalog;

pub use lint::ImageCatalog;
pub use model::{Action, Block, ParsedLesson, Problem, Step};
pub use store::LessonStore;

const USAGE: &str = "usage: muelle lessons lint [DIR] [--catalog FILE]   (DIR defaults to `lessons`)
       muelle lessons test [DIR|FILE] [--lang es|en] [--catalog FILE]   (root; real nodes)";

/// `muelle lessons ...`; `args` are the words after `lessons`. Returns the exit code.
pub fn run_cli(args: &[String]) -> anyhow::Result<i32> {
    match args.first().map(String::as_str) {
        Some("lint") => lint_cli(&args[1..]),
        Some("test") => test_cli::run(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(0)
        }
        _ => {
            eprintln!("{USAGE}");
            Ok(2)
        }
    }
}

fn lint_cli(args: &[String]) -> anyhow::Result<i32> {
    let mut dir = PathBuf::from("lessons");
    let mut catalog: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--catalog" => catalog = Some(it.next().ok_or_else(|| anyhow::anyhow!(USAGE))?.into()),
            s if s.starts_with('-') => anyhow::bail!("unknown option `{s}`\n{USAGE}"),
            s => dir = s.into(),
        }
    }
    let images = load_images(&dir, catalog.as_deref())?;
    let (results, cross) = dir::lint_dir(&dir, &images)
        .map_err(|e| anyhow::anyhow!("cannot read lessons directory {}: {e}", dir.display()))?;
    let mut problems: Vec<&Problem> = results
        .iter()
        .flat_map(|r| &r.problems)
        .chain(&cross)
        .collect();
    problems.sort();
    for p in &problems {
        println!("{p}");
    }
    let ok = results
        .iter()
        .filter(|r| dir::servable(r, &cross).is_some())
        .count();
    let warnings = problems.iter().filter(|p| p.warning).count();
    let errors = problems.len() - warnings;
    println!(
        "{} file(s), {ok} lesson(s) ok, {errors} problem(s), {warnings} warning(s)",
        results.len(),
    );
    Ok(if errors == 0 { 0 } else { 1 })
}

/// The catalog named by `--catalog`, else `images/catalog.yaml` beside the lessons directory.
fn load_images(dir: &Path, explicit: Option<&Path>) -> anyhow::Result<Catalog> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => dir
            .parent()
            .unwrap_or(Path::new("."))
            .join("images/catalog.yaml"),
    };
    Catalog::load(&path)
}
