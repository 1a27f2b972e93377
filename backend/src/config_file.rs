//! `/etc/muelle/muelle.toml`: every `muelle serve` setting in a file, under the name of its flag
//! (`max_nodes = 200` for `--max-nodes`, `MUELLE_MAX_NODES`). Precedence: flag, then variable,
//! then file, then the built-in default. `--config FILE` / `MUELLE_CONFIG` name another file; the
//! default file may be missing, a named one may not. `muelle config check` ([`check`]) validates
//! the file (unknown keys are errors, with the closest key) and prints each effective value with
//! where it came from.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::parser::ValueSource;
use clap::ArgMatches;

/// The file read when neither `--config` nor `MUELLE_CONFIG` names one.
pub const DEFAULT_CONFIG: &str = "/etc/muelle/muelle.toml";

/// One `muelle serve` option: its key in the file and its variable.
#[derive(Debug, Clone)]
pub struct Setting {
    /// `max_nodes`.
    pub key: String,
    /// `MUELLE_MAX_NODES`.
    pub env: String,
    /// Its value is a secret (printed as `(set)`).
    secret: bool,
}

/// The settings of `muelle serve`, in `--help` order.
pub fn settings(serve: &clap::Command) -> Vec<Setting> {
    serve
        .get_arguments()
        .filter_map(|a| {
            let env = a.get_env()?.to_str()?.to_string();
            let key = a.get_long()?.replace('-', "_");
            Some(Setting { key, env, secret: a.is_hide_env_values_set() })
        })
        .collect()
}

/// The values a config file sets, by variable name.
#[derive(Debug, Clone, Default)]
pub struct FileValues {
    /// The file read (`None`: none, the default one is missing).
    pub path: Option<PathBuf>,
    values: BTreeMap<String, String>,
}

impl FileValues {
    /// Values by variable name, as [`parse`] returns them, read from `path`.
    pub fn new(path: Option<PathBuf>, values: BTreeMap<String, String>) -> Self {
        Self { path, values }
    }

    /// The file's value of variable `env`.
    pub fn get(&self, env: &str) -> Option<&str> {
        self.values.get(env).map(String::as_str)
    }
}

/// Reads the config file: `path` (from `--config`/`MUELLE_CONFIG`; must exist) or
/// [`DEFAULT_CONFIG`] (may be missing).
pub fn load(path: Option<&Path>, settings: &[Setting]) -> anyhow::Result<FileValues> {
    let (path, named) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from(DEFAULT_CONFIG), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => return Ok(FileValues::default()),
        Err(e) => return Err(e).with_context(|| format!("reading the config file {}", path.display())),
    };
    let values = parse(&text, settings).with_context(|| format!("config file {}", path.display()))?;
    Ok(FileValues { path: Some(path), values })
}

/// `key = value` lines of a flat TOML table → values by variable name.
pub fn parse(text: &str, settings: &[Setting]) -> anyhow::Result<BTreeMap<String, String>> {
    let table: toml::Table = toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))?;
    let keys: Vec<&str> = settings.iter().map(|s| s.key.as_str()).collect();
    let mut out = BTreeMap::new();
    for (key, value) in table {
        let Some(setting) = settings.iter().find(|s| s.key == key) else {
            let hint = crate::lessons::suggest::did_you_mean(&key.replace('-', "_"), &keys);
            bail!("unknown key `{key}`{hint}; the keys are the `muelle serve` flags with `_` (see `muelle serve --help`)");
        };
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Array(items) => items
                .into_iter()
                .map(|v| match v {
                    toml::Value::String(s) => Ok(s),
                    other => bail!("`{key}`: a list of strings, not {}", other.type_str()),
                })
                .collect::<anyhow::Result<Vec<_>>>()?
                .join(","),
            other => bail!("`{key}`: a string, number or list of strings, not a {}", other.type_str()),
        };
        out.insert(setting.env.clone(), text);
    }
    Ok(out)
}

/// Where an effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--flag`.
    Flag,
    /// `MUELLE_*`.
    Env,
    /// The config file.
    File,
    /// The built-in default.
    Default,
    /// Not set anywhere (the option has no default).
    Unset,
}

/// The value of variable `env` and its source: flag, else variable, else file, else default.
pub fn resolve(serve: &clap::Command, matches: &ArgMatches, file: &FileValues, env: &str) -> (Option<String>, Source) {
    let Some(arg) = serve.get_arguments().find(|a| a.get_env() == Some(OsStr::new(env))) else {
        return (None, Source::Unset);
    };
    let id = arg.get_id().as_str();
    let given = matches.get_one::<String>(id).cloned();
    match matches.value_source(id) {
        Some(ValueSource::CommandLine) => (given, Source::Flag),
        Some(ValueSource::EnvVariable) => (given, Source::Env),
        _ => match file.get(env) {
            Some(v) => (Some(v.to_string()), Source::File),
            None if given.is_some() => (given, Source::Default),
            None => (None, Source::Unset),
        },
    }
}

/// `muelle config check`: the effective value of every setting with its source, then the
/// configuration checked as `muelle serve` would. Returns the text and whether it is valid.
pub fn check(serve: &clap::Command, matches: &ArgMatches, file: &FileValues) -> (String, bool) {
    use std::fmt::Write as _;
    let mut out = String::new();
    match &file.path {
        Some(p) => drop(writeln!(out, "config file: {}", p.display())),
        None => drop(writeln!(out, "config file: {DEFAULT_CONFIG} (not present: variables and defaults only)")),
    }
    let all = settings(serve);
    let width = all.iter().map(|s| s.key.len()).max().unwrap_or(0);
    for s in &all {
        let (value, source) = resolve(serve, matches, file, &s.env);
        let shown = match (&value, s.secret) {
            (None, _) => "-".to_string(),
            (Some(_), true) => "(set)".to_string(),
            (Some(v), false) => v.clone(),
        };
        let from = match source {
            Source::Flag => format!("flag --{}", s.key.replace('_', "-")),
            Source::Env => format!("variable {}", s.env),
            Source::File => "file".to_string(),
            Source::Default => "default".to_string(),
            Source::Unset => "unset".to_string(),
        };
        let _ = writeln!(out, "{:width$}  {shown}  ({from})", s.key);
    }
    let valid = match crate::config::Config::from_lookup(|key| resolve(serve, matches, file, key).0) {
        Ok(_) => {
            out.push_str("ok: the configuration is valid\n");
            true
        }
        Err(err) => {
            let _ = writeln!(out, "error: {err:#}");
            false
        }
    };
    (out, valid)
}
