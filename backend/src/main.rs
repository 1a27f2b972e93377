//! The `muelle` command: `serve` (default), `images …`, `lessons …`.

use std::process::ExitCode;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: muelle [serve] | muelle images build|list|registry [...] | muelle lessons lint|test|new|import [...]";

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("backend=info,sandbox=info,tower_http=info"));
    let registry = tracing_subscriber::registry().with(filter);
    if std::env::var("MUELLE_LOG_FORMAT").as_deref() == Ok("json") {
        registry.with(tracing_subscriber::fmt::layer().json()).init();
    } else {
        registry.with(tracing_subscriber::fmt::layer()).init();
    }
}

fn exit(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    init_tracing();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve(),
        Some("images") => backend::images::run_cli(&args[1..]),
        Some("lessons") => backend::lessons::run_cli(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(0)
        }
        Some(other) => {
            eprintln!("muelle: unknown command {other:?}\n{USAGE}");
            Ok(2)
        }
    };
    match result {
        Ok(code) => exit(code),
        Err(err) => {
            eprintln!("muelle: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> anyhow::Result<i32> {
    let config = backend::config::Config::from_env()?;
    tokio::runtime::Runtime::new()?.block_on(backend::run(config))?;
    Ok(0)
}
