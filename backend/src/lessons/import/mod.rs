//! `muelle lessons import FORMAT SRC`: turns a scenario written for another platform into a muelle
//! lesson, and says what could not be converted. Only Killercoda's format for now
//! ([`killercoda`]).

pub mod killercoda;

use std::fmt;
use std::path::{Path, PathBuf};


use super::dir::check_file;
use super::store::SharedCatalog;

/// Something of the source the lesson does not carry (or carries differently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unconverted {
    /// Where it is: `index.json`, `step1/text.md:12`, `assets/app.png`…
    pub source: String,
    /// What was not converted and what the lesson has instead.
    pub what: String,
}

impl fmt::Display for Unconverted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.what)
    }
}

/// The outcome of an import.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The lesson file written.
    pub lesson: PathBuf,
    /// Its id.
    pub id: String,
    /// How many steps it has.
    pub steps: usize,
    /// How many nodes it declares.
    pub nodes: u8,
    /// What could not be converted, in source order.
    pub unconverted: Vec<Unconverted>,
}

/// `muelle lessons import killercoda`: converts, writes, prints the report and the lint of the
/// result; exit code 1 if the lesson does not lint clean.
pub fn killercoda_and_report(src: &Path, dest: &Path, mut opts: killercoda::Options, catalog: SharedCatalog) -> anyhow::Result<i32> {
    opts.catalog = Some(catalog.clone());
    let report = killercoda::import(src, dest, &opts)?;
    println!(
        "wrote {} (id `{}`, {} step(s), {} node(s))",
        report.lesson.display(),
        report.id,
        report.steps,
        report.nodes
    );
    if report.unconverted.is_empty() {
        println!("everything was converted");
    } else {
        println!("not converted ({}):", report.unconverted.len());
        for u in &report.unconverted {
            println!("  {u}");
        }
    }
    let lint = check_file(&report.lesson, catalog.as_ref());
    for p in &lint.problems {
        println!("{p}");
    }
    println!("lint: {} problem(s)", lint.problems.len());
    Ok(i32::from(!lint.problems.is_empty()))
}
