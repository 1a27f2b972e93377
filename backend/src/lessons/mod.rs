//! Lessons: the markdown format, its parser and lint, and the lesson store.
//!
//! The format is documented for instructors in `lessons/README.md`.

pub mod dir;
mod fields;
pub mod frontmatter;
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
pub mod test_cli;
pub mod test_net;

use crate::images::Catalog;

pub use lint::ImageCatalog;
pub use model::{Action, Block, ParsedLesson, Problem, Step};
pub use store::LessonStore;

use crate::cli::{LessonsCommand, LintArgs};

/// `muelle lessons ...`; returns the exit code.
pub fn run_cli(command: LessonsCommand) -> anyhow::Result<i32> {
    match command {
        LessonsCommand::Lint(args) => lint_cli(&args),
        LessonsCommand::Test(args) => test_cli::run(&args),
    }
}

fn lint_cli(args: &LintArgs) -> anyhow::Result<i32> {
    let path = &args.path;
    let images = Catalog::load(args.catalog.path()?)?;
    let (results, cross) = dir::lint_dir(path, &images)
        .map_err(|e| anyhow::anyhow!("cannot read lessons at {}: {e}", path.display()))?;
    if results.is_empty() {
        anyhow::bail!("no lesson files at {} (expected <lang>/NN-slug.md below it, or one file)", path.display());
    }
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
    println!(
        "{} file(s), {ok} lesson(s) ok, {} problem(s)",
        results.len(),
        problems.len()
    );
    Ok(if problems.is_empty() { 0 } else { 1 })
}
