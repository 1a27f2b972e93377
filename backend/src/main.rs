//! The `muelle` command: `serve` (default), `images …`, `lessons …` (see [`backend::cli`]).

use std::io::IsTerminal;
use std::process::ExitCode;

use backend::cli::{Cli, Command, ConfigCommand, LogFormat};
use clap::{CommandFactory, FromArgMatches};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Logs go to stderr, so a command's own output (stdout) can be piped; colours only on a terminal.
fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("backend=info,sandbox=info,tower_http=info"));
    let registry = tracing_subscriber::registry().with(filter);
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    match format {
        LogFormat::Json => registry.with(layer.json()).init(),
        LogFormat::Text => registry.with(layer.with_ansi(std::io::stderr().is_terminal())).init(),
    }
}

fn exit(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// An empty `MUELLE_*` variable counts as unset, as it did before the options read them (scripts
/// export `X=${X:-}`); clap would take it as an empty value. Runs before any thread starts.
fn drop_empty_variables() {
    for (key, value) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("MUELLE_") && value.is_empty() {
            std::env::remove_var(key);
        }
    }
}

fn main() -> ExitCode {
    drop_empty_variables();
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    init_tracing(cli.log_format);
    let result = match cli.command {
        None => serve(None, cli.config.as_deref()),
        Some(Command::Serve(_)) => serve(matches.subcommand_matches("serve"), cli.config.as_deref()),
        Some(Command::Images(c)) => backend::images_cli::run_cli(c),
        Some(Command::Lessons(c)) => backend::lessons_cli::run_cli(c),
        Some(Command::Config(ConfigCommand::Check)) => config_check(cli.config.as_deref()),
        Some(Command::Backup(a)) => backend::backup::run_cli(&a, false),
        Some(Command::Restore(a)) => backend::backup::run_cli(&a, true),
        Some(Command::Instructor(c)) => backend::cli::run_instructor(c),
    };
    match result {
        Ok(code) => exit(code),
        Err(err) => {
            eprintln!("muelle: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn config_check(config: Option<&std::path::Path>) -> anyhow::Result<i32> {
    let (report, valid) = backend::cli::config_check(config)?;
    print!("{report}");
    Ok(if valid { 0 } else { 1 })
}

fn serve(matches: Option<&clap::ArgMatches>, config: Option<&std::path::Path>) -> anyhow::Result<i32> {
    let config = backend::cli::serve_config_with_file(matches, config)?;
    tokio::runtime::Runtime::new()?.block_on(backend::run(config))?;
    Ok(0)
}
