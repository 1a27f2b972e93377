//! `muelle lessons import FORMAT SRC`: turns a scenario written for another platform into a muelle
//! lesson, and says what could not be converted. Only Killercoda's format for now
//! ([`killercoda`]).

pub mod killercoda;

use std::fmt;
use std::path::PathBuf;

use anyhow::bail;

use super::dir::check_file;
use super::live::catalog_beside;

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

const USAGE: &str = "usage: muelle lessons import killercoda SRC [--dest lessons] [--lang en] [--id SLUG]
  SRC is a Killercoda scenario directory (the one with index.json)";

/// `lessons import ...`; `args` are the words after `import`. Returns the exit code: 0 when the
/// lesson was written and passes lint, 1 when it was written with lint problems.
pub fn run_cli(args: &[String]) -> anyhow::Result<i32> {
    match args.first().map(String::as_str) {
        Some("killercoda") => killercoda_cli(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(0)
        }
        Some(other) => bail!("cannot import `{other}`: the format known is `killercoda`\n{USAGE}"),
        None => bail!("{USAGE}"),
    }
}

fn killercoda_cli(args: &[String]) -> anyhow::Result<i32> {
    let mut src: Option<PathBuf> = None;
    let mut dest = PathBuf::from("lessons");
    let mut opts = killercoda::Options::default();
    let mut it = args.iter();
    let value = |v: Option<&String>| v.cloned().ok_or_else(|| anyhow::anyhow!(USAGE));
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dest" => dest = value(it.next())?.into(),
            "--lang" => opts.lang = value(it.next())?,
            "--id" => opts.id = Some(value(it.next())?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(0);
            }
            s if s.starts_with('-') => bail!("unknown option `{s}`\n{USAGE}"),
            s if src.is_none() => src = Some(s.into()),
            s => bail!("unexpected `{s}`: give one scenario directory\n{USAGE}"),
        }
    }
    let src = src.ok_or_else(|| anyhow::anyhow!("give the scenario directory\n{USAGE}"))?;
    let catalog = catalog_beside(&dest);
    opts.catalog = Some(catalog.clone());
    let report = killercoda::import(&src, &dest, &opts)?;
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
