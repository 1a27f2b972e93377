//! The `muelle` command line (clap derive): `serve`, `images …`, `lessons …`.
//!
//! Every option that has a `MUELLE_*` variable reads it too (flag, else variable, else default),
//! so `--help` is the list of variables; README.md's table is checked against these definitions
//! (`backend/tests/cli.rs`). `muelle` with no command is `muelle serve`.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap::{ArgMatches, Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::config::{self, DEFAULT_DATA_DIR};

/// `muelle`.
#[derive(Debug, Parser)]
#[command(
    name = "muelle",
    version,
    about = "A self-hosted Docker classroom: timed sessions of real Docker nodes, lessons, images",
    after_help = "With no command, `muelle` runs `muelle serve`. Logs go to stderr (RUST_LOG filters them)."
)]
pub struct Cli {
    /// Log format on stderr (text has colours only on a terminal)
    #[arg(long, global = true, env = "MUELLE_LOG_FORMAT", value_name = "FORMAT", default_value = "text", ignore_case = true)]
    pub log_format: LogFormat,
    /// The config file of `muelle serve` (TOML, keys are the serve flags with `_`); flags and variables override it [default: /etc/muelle/muelle.toml, if present]
    #[arg(long, global = true, env = "MUELLE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do [default: serve]
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// `MUELLE_LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default): sessions, terminals, lessons, the registry front
    Serve(Box<ServeArgs>),
    /// Build, list and serve the classroom's images
    #[command(subcommand)]
    Images(ImagesCommand),
    /// Check and play lessons
    #[command(subcommand)]
    Lessons(LessonsCommand),
    /// The config file of `muelle serve`
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Copy the state (sessions, classes, progress; not the nodes) to FILE while the server runs
    Backup(BackupArgs),
    /// Replace the state with a backup (the server must be stopped)
    Restore(BackupArgs),
    /// The classroom's instructor access
    #[command(subcommand)]
    Instructor(InstructorCommand),
}

/// `muelle config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config file and print every effective setting with its source (flag, variable, file, default)
    Check,
}

/// `muelle backup FILE` / `muelle restore FILE`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The backup file (an SQLite database)
    pub file: PathBuf,
    /// State directory holding muelle.db
    #[arg(long, env = "MUELLE_DATA_DIR", value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// The SQLite file [default: DATA_DIR/muelle.db]
    #[arg(long, env = "MUELLE_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
}

/// `muelle instructor …`.
#[derive(Debug, Subcommand)]
pub enum InstructorCommand {
    /// Make a new instructor token (kept as a digest in the database) and print it with its link
    Token {
        /// State directory holding the database
        #[arg(long, env = "MUELLE_DATA_DIR", value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
        data_dir: PathBuf,
        /// The SQLite file [default: DATA_DIR/muelle.db]
        #[arg(long, env = "MUELLE_DB", value_name = "FILE")]
        db: Option<PathBuf>,
        /// The server's address as students and the instructor reach it, for the link
        #[arg(long, value_name = "URL", default_value = "http://localhost:8080")]
        url: String,
    },
}

/// Runs `muelle instructor …`: prints the token on the first line, the link on the second.
pub fn run_instructor(command: InstructorCommand) -> anyhow::Result<i32> {
    match command {
        InstructorCommand::Token { data_dir, db, url } => {
            let store = crate::store::Store::open(&db.unwrap_or_else(|| data_dir.join("muelle.db")))?;
            let token = crate::classes::instructor::new_instructor_token(&store)?;
            println!("{token}");
            println!("{}", crate::classes::instructor::instructor_link(&url, &token));
            Ok(0)
        }
    }
}

/// `muelle serve`: one option per [`crate::config::Config`] variable. Values are kept as text and
/// parsed (and checked) by [`crate::config::Config::from_lookup`], so errors name the variable.
#[derive(Debug, Args)]
#[allow(missing_docs)]
pub struct ServeArgs {
    /// Listen address
    #[arg(long, env = "MUELLE_BIND", value_name = "ADDR", default_value = "0.0.0.0:8080")]
    pub bind: Option<String>,
    /// State directory: the database, node disks, images, the registry's data
    #[arg(long, env = "MUELLE_DATA_DIR", value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: Option<String>,
    /// The SQLite file [default: DATA_DIR/muelle.db]
    #[arg(long, env = "MUELLE_DB", value_name = "FILE")]
    pub db: Option<String>,
    /// The built frontend, served with an SPA fallback to index.html
    #[arg(long, env = "MUELLE_STATIC_DIR", value_name = "DIR", default_value = "frontend/dist")]
    pub static_dir: Option<String>,
    /// Lesson markdown files (<dir>/<lang>/NN-slug.md), reloaded when saved
    #[arg(long, env = "MUELLE_LESSONS_DIR", value_name = "DIR", default_value = "lessons")]
    pub lessons_dir: Option<String>,
    /// Directory of the image catalog (catalog.yaml) [default: images/ of the installation]
    #[arg(long, env = "MUELLE_IMAGES_DIR", value_name = "DIR", visible_alias = "images")]
    pub images_dir: Option<String>,
    /// Session lifetime in seconds
    #[arg(long, env = "MUELLE_SESSION_TTL_SECS", value_name = "SECS", default_value = "3600")]
    pub session_ttl_secs: Option<String>,
    /// What the playground's Extend button adds to a session, in minutes
    #[arg(long, env = "MUELLE_EXTEND_MINUTES", value_name = "MIN", default_value = "30")]
    pub extend_minutes: Option<String>,
    /// Longest a session may last from its start, extensions included, in minutes (at least the session lifetime)
    #[arg(long, env = "MUELLE_MAX_SESSION_MINUTES", value_name = "MIN", default_value = "240")]
    pub max_session_minutes: Option<String>,
    /// How often expired sessions are looked for, in seconds
    #[arg(long, env = "MUELLE_EXPIRY_INTERVAL_SECS", value_name = "SECS", default_value = "5")]
    pub expiry_interval_secs: Option<String>,
    /// Default time limit of an exec, in seconds
    #[arg(long, env = "MUELLE_EXEC_TIMEOUT_SECS", value_name = "SECS", default_value = "30")]
    pub exec_timeout_secs: Option<String>,
    /// Terminal output sent ahead of the client's acks, in bytes
    #[arg(long, env = "MUELLE_FLOW_WINDOW_BYTES", value_name = "BYTES", default_value = "1048576")]
    pub flow_window_bytes: Option<String>,

    /// Live nodes on this machine, all sessions together
    #[arg(long, env = "MUELLE_MAX_NODES", value_name = "N", default_value = "200", help_heading = "Nodes")]
    pub max_nodes: Option<String>,
    /// Nodes one session may hold (1 to 5)
    #[arg(long, env = "MUELLE_MAX_NODES_PER_SESSION", value_name = "N", default_value = "5", help_heading = "Nodes")]
    pub max_nodes_per_session: Option<String>,
    /// Warm nodes kept ready (started; dockerd starts on first use) for instant starts
    #[arg(long, env = "MUELLE_POOL_SIZE", value_name = "N", default_value = "2", help_heading = "Nodes")]
    pub pool_size: Option<String>,
    /// Memory limit of each node (its dockerd and containers), MiB
    #[arg(long, env = "MUELLE_NODE_MEMORY_MB", value_name = "MB", default_value = "2048", help_heading = "Nodes")]
    pub node_memory_mb: Option<String>,
    /// CPU limit of each node in thousandths of a core
    #[arg(long, env = "MUELLE_NODE_CPUS_MILLI", value_name = "MILLI", default_value = "1000", help_heading = "Nodes")]
    pub node_cpus_milli: Option<String>,
    /// Process limit of each node
    #[arg(long, env = "MUELLE_NODE_PIDS", value_name = "N", default_value = "2048", help_heading = "Nodes")]
    pub node_pids: Option<String>,
    /// Disk of each node (writable root + /var/lib/docker), a sparse image, MiB; 0 = no limit
    #[arg(long, env = "MUELLE_NODE_DISK_MB", value_name = "MB", default_value = "10240", help_heading = "Nodes")]
    pub node_disk_mb: Option<String>,
    /// Seconds a node's Docker engine may sit unused (no client connected, no container running, not in a swarm) before its init stops it; the next docker command starts it again in under a second (0: never)
    #[arg(long, env = "MUELLE_ENGINE_IDLE_SECS", value_name = "SECONDS", default_value = "600", help_heading = "Nodes")]
    pub engine_idle_secs: Option<String>,
    /// `real` (namespace sandboxes running dockerd) or `fake` (host shells: development and tests only)
    #[arg(long, env = "MUELLE_SANDBOX", value_name = "KIND", default_value = "real", help_heading = "Nodes")]
    pub sandbox: Option<String>,
    /// The sandbox-init helper [default: sandbox-init beside the muelle binary]
    #[arg(long, env = "MUELLE_SANDBOX_INIT", value_name = "FILE", help_heading = "Nodes")]
    pub sandbox_init: Option<String>,
    /// What nodes reach beyond their session: `internet` (no private, link-local, CGNAT or benchmark range) or `none`
    #[arg(long, env = "MUELLE_EGRESS", value_name = "WHAT", default_value = "internet", help_heading = "Nodes")]
    pub egress: Option<String>,
    /// Where the local registry listens (loopback only; `muelle images build` pushes there)
    #[arg(long, env = "MUELLE_REGISTRY_LISTEN", value_name = "ADDR", default_value = crate::images::DEFAULT_LISTEN, help_heading = "Nodes")]
    pub registry_listen: Option<String>,
    /// The read-only registry front nodes pull through (an address added to the host's lo)
    #[arg(long, env = "MUELLE_REGISTRY_FRONT", value_name = "ADDR", default_value = "10.99.0.1:5000", help_heading = "Nodes")]
    pub registry_front: Option<String>,
    /// The range session networks are carved from, a /28 (gateway and up to 5 nodes) per session: a /16 holds 4096 sessions; not inside 10.99.0.0/16 (warm pool, registry front)
    #[arg(long, env = "MUELLE_SESSION_NET", value_name = "CIDR", default_value = "10.100.0.0/16", help_heading = "Nodes")]
    pub session_net: Option<String>,
    /// Online classrooms: nodes may also pull images the catalog does not have, through a cache of this registry (e.g. https://registry-1.docker.io for Docker Hub); catalog images still come from the local registry [default: offline, catalog only]
    #[arg(long, env = "MUELLE_UPSTREAM_REGISTRY", value_name = "URL", help_heading = "Nodes")]
    pub upstream_registry: Option<String>,
    /// Port links open at http://<port>-<node>-<session>.<DOMAIN>; a wildcard DNS name for LAN use [default: localhost]
    #[arg(long, env = "MUELLE_PORTS_DOMAIN", value_name = "DOMAIN", help_heading = "Nodes")]
    pub ports_domain: Option<String>,
    /// SSH into nodes: the address and port of the SSH endpoint, e.g. 0.0.0.0:2222 (`ssh -p 2222 node1.<session>.<key>@server`; the playground shows the command) [default: off]
    #[arg(long, env = "MUELLE_SSH_LISTEN", value_name = "ADDR", help_heading = "Nodes")]
    pub ssh_listen: Option<String>,

    /// Open HTTP connections (terminals included); more wait briefly, then are closed
    #[arg(long, env = "MUELLE_MAX_CONNECTIONS", value_name = "N", default_value = "4096", help_heading = "Admission")]
    pub max_connections: Option<String>,
    /// Time to send a request's headers, and idle time of a kept-alive connection, in seconds
    #[arg(long, env = "MUELLE_HEADER_TIMEOUT_SECS", value_name = "SECS", default_value = "10", help_heading = "Admission")]
    pub header_timeout_secs: Option<String>,
    /// Commands (exec, upload, checks) one session runs at once; 429 beyond
    #[arg(long, env = "MUELLE_MAX_EXECS_PER_SESSION", value_name = "N", default_value = "8", help_heading = "Admission")]
    pub max_execs_per_session: Option<String>,
    /// Terminal sockets open per session
    #[arg(long, env = "MUELLE_MAX_TERMINALS_PER_SESSION", value_name = "N", default_value = "20", help_heading = "Admission")]
    pub max_terminals_per_session: Option<String>,
    /// Terminal sockets open per client address (a class behind one NAT shares one)
    #[arg(long, env = "MUELLE_MAX_TERMINALS_PER_ADDR", value_name = "N", default_value = "300", help_heading = "Admission")]
    pub max_terminals_per_addr: Option<String>,
    /// Sessions one client address may create per minute; 0 = no limit
    #[arg(long, env = "MUELLE_SESSION_RATE", value_name = "N", default_value = "60", help_heading = "Admission")]
    pub session_rate: Option<String>,
    /// Sessions one address may create at once before the rate applies
    #[arg(long, env = "MUELLE_SESSION_BURST", value_name = "N", default_value = "60", help_heading = "Admission")]
    pub session_burst: Option<String>,
    /// Starting a session needs this code (prefer the variable: arguments show in `ps`) [default: none]
    #[arg(long, env = "MUELLE_JOIN_CODE", value_name = "CODE", hide_env_values = true, help_heading = "Admission")]
    pub join_code: Option<String>,
    /// Comma-separated origins (https://muelle.school.lan) allowed to start sessions besides the server's own
    #[arg(long, env = "MUELLE_ALLOWED_ORIGINS", value_name = "LIST", help_heading = "Admission")]
    pub allowed_origins: Option<String>,
    /// Comma-separated Host names the app answers (*.example.org allowed); others get 421 [default: any]
    #[arg(long, env = "MUELLE_ALLOWED_HOSTS", value_name = "LIST", help_heading = "Admission")]
    pub allowed_hosts: Option<String>,
    /// Free space kept on the data directory's filesystem, MiB; no new nodes below it
    #[arg(long, env = "MUELLE_DISK_RESERVE_MB", value_name = "MB", default_value = "2048", help_heading = "Admission")]
    pub disk_reserve_mb: Option<String>,
    /// PEM certificate chain: with --tls-key the server speaks HTTPS only [default: HTTP]
    #[arg(long, env = "MUELLE_TLS_CERT", value_name = "FILE", help_heading = "Admission")]
    pub tls_cert: Option<String>,
    /// PEM private key of --tls-cert
    #[arg(long, env = "MUELLE_TLS_KEY", value_name = "FILE", help_heading = "Admission")]
    pub tls_key: Option<String>,

    /// Bearer token of /admin and /api/admin, at least 16 characters (prefer the variable or the config file) [default: a random one kept in DATA_DIR/admin-token]
    #[arg(long, env = "MUELLE_ADMIN_TOKEN", value_name = "TOKEN", hide_env_values = true, help_heading = "Operation")]
    pub admin_token: Option<String>,
}

/// Where the images and the registry live (`images` subcommands).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// State directory holding the node rootfs, image tarballs and the registry's data
    #[arg(long, env = "MUELLE_DATA_DIR", value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Where the local registry listens (loopback only)
    #[arg(long, env = "MUELLE_REGISTRY_LISTEN", value_name = "ADDR", default_value = crate::images::DEFAULT_LISTEN)]
    pub listen: String,
}

/// Which image catalog to use.
#[derive(Debug, Clone, Default, Args)]
pub struct CatalogArgs {
    /// Directory of the image catalog (catalog.yaml) [default: images/ of the installation: beside the binary's tree, ./images, or the source tree]
    #[arg(long, env = "MUELLE_IMAGES_DIR", value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// The catalog file itself (wins over --images)
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
}

impl CatalogArgs {
    /// The catalog file these arguments name (see [`crate::images::find_catalog`]).
    pub fn path(&self) -> anyhow::Result<PathBuf> {
        match &self.catalog {
            Some(file) => Ok(file.clone()),
            None => crate::images::find_catalog(self.images.as_deref()),
        }
    }
}

/// `muelle images …`.
#[derive(Debug, Subcommand)]
pub enum ImagesCommand {
    /// Build the node rootfs and every catalog image that is missing or whose recipe changed, start the registry if needed, push every image not yet in it
    Build(ImagesBuildArgs),
    /// The catalog with tarball sizes and whether each image is in the registry
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        catalog: CatalogArgs,
    },
    /// Run the registry in the foreground
    Registry {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `muelle images build`.
#[derive(Debug, Clone, Args)]
pub struct ImagesBuildArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub store: StoreArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub catalog: CatalogArgs,
    /// Only this image (`node`: just the node rootfs; the Node.js image is `library/node`)
    #[arg(long, value_name = "NAME")]
    pub only: Option<String>,
    /// Do not build the node rootfs
    #[arg(long)]
    pub no_node: bool,
}

/// `muelle lessons …`.
#[derive(Debug, Subcommand)]
pub enum LessonsCommand {
    /// Check lessons without running them: a `file:line: message` line per problem
    Lint(LintArgs),
    /// Play lessons on real nodes (root; the node image and registry of `muelle images build`)
    #[command(after_help = TEST_AFTER_HELP)]
    Test(TestArgs),
    /// Write a new lesson, one file per language with the same id, that lints and tests green
    New(NewArgs),
    /// Convert a lesson from another platform's format
    #[command(subcommand)]
    Import(ImportCommand),
}

/// `muelle lessons new`.
#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// The lesson's id and file-name slug, e.g. `volumes-basics`
    pub slug: String,
    /// Languages, comma-separated: one file each (es and en get their own texts)
    #[arg(long, default_value = "es,en", value_name = "LANGS")]
    pub langs: String,
    /// The lessons directory to write into (<dir>/<lang>/NN-SLUG.md)
    #[arg(long, env = "MUELLE_LESSONS_DIR", default_value = "lessons", value_name = "DIR")]
    pub dir: PathBuf,
}

/// `muelle lessons import …`.
#[derive(Debug, Clone, Subcommand)]
pub enum ImportCommand {
    /// A Killercoda scenario (a directory with index.json, text.md files, verify scripts, assets)
    Killercoda(KillercodaArgs),
}

/// `muelle lessons import killercoda`.
#[derive(Debug, Clone, Args)]
pub struct KillercodaArgs {
    /// The scenario directory (the one with index.json)
    pub src: PathBuf,
    /// The lessons directory to write into
    #[arg(long, env = "MUELLE_LESSONS_DIR", default_value = "lessons", value_name = "DIR")]
    pub dest: PathBuf,
    /// The lesson's language (the texts are not translated)
    #[arg(long, default_value = "en", value_name = "LANG", value_parser = parse_lang)]
    pub lang: String,
    /// The lesson's id [default: the slug of the scenario directory's name]
    #[arg(long, value_name = "SLUG")]
    pub id: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub catalog: CatalogArgs,
}

const TEST_AFTER_HELP: &str = "\
Each lesson runs in a fresh session: every step's run and file blocks (or its solve), then its
check until it passes. One line per step on stdout, logs on stderr. Exit code 1 if a step or the
lint failed.

--step N plays steps 1..N-1 silently (their blocks or solve, and their checks, so the nodes are
in the state the student would have) and reports only step N. With --keep the session stays up
after the run and the command to open a shell on each node is printed.";

/// `muelle lessons lint`.
#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    /// A lessons directory at any depth (lesson files are <lang>/NN-slug.md below it) or one lesson file
    #[arg(env = "MUELLE_LESSONS_DIR", default_value = "lessons", value_name = "PATH")]
    pub path: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub catalog: CatalogArgs,
}

/// `muelle lessons test`.
#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    /// A lessons directory at any depth (lesson files are <lang>/NN-slug.md below it) or one lesson file
    #[arg(env = "MUELLE_LESSONS_DIR", default_value = "lessons", value_name = "PATH")]
    pub path: PathBuf,
    /// Only the lessons of this language (two letters: es, en)
    #[arg(long, value_name = "LANG", value_parser = parse_lang)]
    pub lang: Option<String>,
    /// Also print the output of passing steps
    #[arg(short, long)]
    pub verbose: bool,
    /// Play steps before N silently, then report only step N (1-based)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub step: Option<u32>,
    /// Leave the nodes running after the run and print how to open a shell on them
    #[arg(long)]
    pub keep: bool,
    /// Lessons played at once, each in its own session [default: the machine's cores, at most 4]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=16))]
    pub jobs: Option<u32>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub catalog: CatalogArgs,
}

impl TestArgs {
    /// Arguments for `path` with every option at its default (tests).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), lang: None, verbose: false, step: None, keep: false, jobs: None, catalog: CatalogArgs::default() }
    }
}

fn parse_lang(s: &str) -> Result<String, String> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(s.to_string())
    } else {
        Err(format!("a two-letter language code such as es or en, not {s:?}"))
    }
}

/// The value clap found for the option of `cmd` whose variable is `key`: the flag, else the
/// variable, else the default. `None` if no option reads `key` or it has no value.
pub fn value_of_env(cmd: &clap::Command, matches: &ArgMatches, key: &str) -> Option<String> {
    let arg = cmd.get_arguments().find(|a| a.get_env() == Some(OsStr::new(key)))?;
    matches.get_one::<String>(arg.get_id().as_str()).cloned()
}

/// The server's configuration from the parsed `serve` arguments (`None`: bare `muelle`, which
/// reads the variables alone).
pub fn serve_config(matches: Option<&ArgMatches>) -> anyhow::Result<config::Config> {
    let cli = Cli::command();
    let serve = cli.find_subcommand("serve").expect("serve is a subcommand");
    match matches {
        Some(m) => config::Config::from_lookup(|key| value_of_env(serve, m, key)),
        None => config::Config::from_env(),
    }
}

/// The server's configuration from the parsed `serve` arguments, the config file (`config`:
/// `--config`/`MUELLE_CONFIG`, else [`crate::config_file::DEFAULT_CONFIG`] if present) and the
/// defaults, in that order of precedence. `None`: bare `muelle`, parsed as `muelle serve`.
pub fn serve_config_with_file(matches: Option<&ArgMatches>, config: Option<&std::path::Path>) -> anyhow::Result<config::Config> {
    let cli = Cli::command();
    let serve = cli.find_subcommand("serve").expect("serve is a subcommand").clone();
    let file = crate::config_file::load(config, &crate::config_file::settings(&serve))?;
    let bare;
    let m = match matches {
        Some(m) => m,
        None => {
            bare = serve.clone().try_get_matches_from(["serve"])?;
            &bare
        }
    };
    config::Config::from_lookup(|key| crate::config_file::resolve(&serve, m, &file, key).0)
}

/// `muelle config check`: the report and whether the configuration is valid (variables and the
/// file; no flags: those are given to `muelle serve` itself).
pub fn config_check(config: Option<&std::path::Path>) -> anyhow::Result<(String, bool)> {
    let cli = Cli::command();
    let serve = cli.find_subcommand("serve").expect("serve is a subcommand").clone();
    let file = crate::config_file::load(config, &crate::config_file::settings(&serve))?;
    let m = serve.clone().try_get_matches_from(["serve"])?;
    Ok(crate::config_file::check(&serve, &m, &file))
}

/// Every `MUELLE_*` variable the CLI reads, with its help and default: `(variable, flags, help,
/// default)`, sorted by variable. README.md's table is checked against this list.
pub fn variables() -> Vec<(String, String, String, String)> {
    let mut out: Vec<(String, String, String, String)> = Vec::new();
    let mut visit = |cmd: &clap::Command, path: &str| {
        for a in cmd.get_arguments() {
            let Some(env) = a.get_env().and_then(OsStr::to_str) else { continue };
            let flag = a.get_long().map_or_else(|| "PATH".to_string(), |l| format!("--{l}"));
            let place = format!("`{path} {flag}`");
            if let Some(row) = out.iter_mut().find(|r| r.0 == env) {
                if !row.1.contains(&place) {
                    row.1.push_str(&format!(", {place}"));
                }
                continue;
            }
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            let default = a.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect::<Vec<_>>().join(",");
            out.push((env.to_string(), place, help, default));
        }
    };
    let root = Cli::command();
    visit(&root, "muelle");
    for sub in root.get_subcommands() {
        let name = format!("muelle {}", sub.get_name());
        visit(sub, &name);
        for leaf in sub.get_subcommands() {
            visit(leaf, &format!("{name} {}", leaf.get_name()));
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("muelle").chain(words.iter().copied()))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults_are_the_config_defaults() {
        // Only the defaults, no environment: what `muelle serve` gets on a bare machine.
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").unwrap();
        let defaults = |key: &str| {
            serve.get_arguments().find(|a| a.get_env() == Some(OsStr::new(key)))
                .and_then(|a| a.get_default_values().first().map(|v| v.to_string_lossy().into_owned()))
        };
        let from_defaults = config::Config::from_lookup(defaults).unwrap();
        let from_nothing = config::Config::from_lookup(|_| None).unwrap();
        assert_eq!(format!("{from_defaults:?}"), format!("{from_nothing:?}"));
    }

    #[test]
    fn every_variable_the_config_reads_is_a_serve_option() {
        // A variable Config reads but `serve` lacks would work for bare `muelle` and be ignored by
        // `muelle serve`, and be missing from --help and README.md.
        let asked = std::sync::Mutex::new(Vec::new());
        config::Config::from_lookup(|key| {
            asked.lock().unwrap().push(key.to_string());
            None
        })
        .unwrap();
        let cli = Cli::command();
        let serve = cli.find_subcommand("serve").unwrap();
        let asked = asked.into_inner().unwrap();
        assert!(asked.len() > 30, "{asked:?}");
        for key in asked {
            assert!(serve.get_arguments().any(|a| a.get_env() == Some(OsStr::new(&key))), "{key} has no `muelle serve` option");
        }
    }

    #[test]
    fn serve_flags_reach_the_config() {
        let cli = Cli::command();
        let m = cli.clone().try_get_matches_from(["muelle", "serve", "--bind", "127.0.0.1:9100", "--max-nodes", "7", "--sandbox", "fake"]).unwrap();
        let c = serve_config(m.subcommand_matches("serve")).unwrap();
        assert_eq!((c.bind.port(), c.max_nodes, c.sandbox), (9100, 7, config::SandboxKind::Fake));
        let m = cli.try_get_matches_from(["muelle", "serve", "--max-nodes", "lots"]).unwrap();
        let err = serve_config(m.subcommand_matches("serve")).unwrap_err();
        assert!(format!("{err:#}").contains("MUELLE_MAX_NODES"), "{err:#}");
    }

    #[test]
    fn lessons_test_options() {
        let Some(Command::Lessons(LessonsCommand::Test(t))) =
            parse(&["lessons", "test", "x/lessons", "--lang", "es", "-v", "--step", "2", "--keep"]).unwrap().command
        else {
            panic!("not lessons test")
        };
        assert_eq!((t.path, t.lang.as_deref(), t.verbose, t.step, t.keep), (PathBuf::from("x/lessons"), Some("es"), true, Some(2), true));
        for bad in [&["lessons", "test", "--lang", "spanish"][..], &["lessons", "test", "--step", "0"], &["lessons", "test", "--bogus"], &["lessons", "test", "--lang"]] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn images_options() {
        let Some(Command::Images(ImagesCommand::Build(b))) =
            parse(&["images", "build", "--data-dir", "/d", "--only", "busybox", "--no-node", "--listen", "127.0.0.1:5999"]).unwrap().command
        else {
            panic!("not images build")
        };
        assert_eq!((b.store.data_dir, b.only.as_deref(), b.no_node, b.store.listen.as_str()), (PathBuf::from("/d"), Some("busybox"), true, "127.0.0.1:5999"));
        for bad in [&["images"][..], &["images", "push"], &["images", "build", "--only"], &["images", "list", "--only", "busybox"], &["images", "registry", "--verbose"]] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_variable_is_listed_once_with_help() {
        let vars = variables();
        assert!(vars.iter().all(|v| v.0.starts_with("MUELLE_") && !v.2.is_empty()), "{vars:?}");
        let names: Vec<&str> = vars.iter().map(|v| v.0.as_str()).collect();
        for key in ["MUELLE_BIND", "MUELLE_IMAGES_DIR", "MUELLE_SANDBOX_INIT", "MUELLE_LOG_FORMAT", "MUELLE_LESSONS_DIR"] {
            assert!(names.contains(&key), "{key}");
        }
        let data = vars.iter().find(|v| v.0 == "MUELLE_DATA_DIR").unwrap();
        assert!(data.1.contains("muelle serve --data-dir") && data.1.contains("muelle images build --data-dir"), "{data:?}");
    }
}
