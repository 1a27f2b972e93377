//! The backend's typed configuration, read once from `MUELLE_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context};

/// Which [`crate::provider::SandboxProvider`] backs the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxKind {
    /// Linux-namespace sandboxes running dockerd (production).
    Real,
    /// Plain host processes; for development and unit tests only.
    Fake,
}

impl FromStr for SandboxKind {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "real" => Ok(Self::Real),
            "fake" => Ok(Self::Fake),
            other => bail!("unknown sandbox kind {other:?} (expected `real` or `fake`)"),
        }
    }
}

/// The default state directory (`MUELLE_DATA_DIR`).
pub const DEFAULT_DATA_DIR: &str = "/var/lib/muelle";

/// Server configuration. Build it with [`Config::from_env`]; tests build it literally
/// (`Config { bind: "127.0.0.1:0".parse()?, data_dir, ..Config::default() }`).
///
/// Every variable, its option of `muelle serve` and its default are defined once, in
/// [`crate::cli::ServeArgs`] (`muelle serve --help`, README.md's table); this type parses and
/// checks them. `MUELLE_LOG_FORMAT` and `RUST_LOG` are read by `main`, `MUELLE_REGISTRY_BIN` by
/// [`registry_bin`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub bind: SocketAddr,
    /// State directory (SQLite database, fake nodes' homes).
    pub data_dir: PathBuf,
    /// Directory of the built frontend.
    pub static_dir: PathBuf,
    /// Directory of lesson markdown files.
    pub lessons_dir: PathBuf,
    /// How long a session lives.
    pub session_ttl: Duration,
    /// What one "Extend" adds to a session (`MUELLE_EXTEND_MINUTES`).
    pub extend_step: Duration,
    /// Longest a session may last from its start, extensions included (`MUELLE_MAX_SESSION_MINUTES`).
    pub max_session: Duration,
    /// Live nodes allowed on this machine.
    pub max_nodes: u32,
    /// Nodes allowed in one session.
    pub max_nodes_per_session: u8,
    /// Default exec time limit.
    pub exec_timeout: Duration,
    /// Period of the expiry task.
    pub expiry_interval: Duration,
    /// Terminal flow-control window.
    pub flow_window_bytes: u32,
    /// Which provider runs the nodes.
    pub sandbox: SandboxKind,
    /// Limits of each node.
    pub node_limits: NodeLimits,
    /// Listen address of the local registry (loopback).
    pub registry_listen: String,
    /// What nodes may reach beyond their session (`MUELLE_EGRESS`).
    pub egress: sandbox::net::Egress,
    /// Where nodes reach the registry's read-only front.
    pub registry_front: SocketAddr,
    /// The range every session's /28 is carved from (`MUELLE_SESSION_NET`).
    pub session_net: crate::addr::SessionRange,
    /// Parent domain of port-link origins (`localhost` when unset).
    pub ports_domain: Option<String>,
    /// The registry nodes may pull non-catalog images from, through a local pull-through cache
    /// (`MUELLE_UPSTREAM_REGISTRY`); `None`: offline, the catalog only.
    pub upstream_registry: Option<String>,
    /// Warm nodes kept ready.
    pub pool_size: usize,
    /// The SQLite file, when not `data_dir/muelle.db`.
    pub db_file: Option<PathBuf>,
    /// Connection, rate and admission limits of the HTTP server.
    pub limits: ServerLimits,
    /// PEM certificate chain and key for built-in TLS (both or neither).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Directory of the image catalog (`MUELLE_IMAGES_DIR`); `None`: the installation's
    /// (see [`crate::images::find_catalog`]).
    pub images_dir: Option<PathBuf>,
    /// The `sandbox-init` helper (`MUELLE_SANDBOX_INIT`); `None`: beside the running binary.
    pub sandbox_init: Option<PathBuf>,
    /// The credential of `/api/admin` (`MUELLE_ADMIN_TOKEN`); `None`: `muelle serve` uses
    /// `DATA_DIR/admin-token` (made at first start), tests have no admin.
    pub admin_token: Option<String>,
    /// Where the SSH endpoint listens (`MUELLE_SSH_LISTEN`); `None`: SSH is off.
    pub ssh_listen: Option<SocketAddr>,
}

/// What the HTTP server admits: connections, concurrent work per session, session creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// Open connections.
    pub max_connections: usize,
    /// Header-read and keep-alive idle timeout.
    pub header_timeout: Duration,
    /// Concurrent commands per session.
    pub max_execs_per_session: usize,
    /// Terminal sockets per session.
    pub max_terminals_per_session: usize,
    /// Terminal sockets per client address.
    pub max_terminals_per_addr: usize,
    /// Session creations per client address and minute (0 = unlimited).
    pub session_rate_per_minute: u32,
    /// Session creations one address may make at once.
    pub session_rate_burst: u32,
    /// The class's join code, if the operator set one.
    pub join_code: Option<String>,
    /// Origins allowed to create sessions besides the request's own host.
    pub allowed_origins: Vec<String>,
    /// `Host` names answered; empty = any.
    pub allowed_hosts: Vec<String>,
    /// Free MiB kept on the data directory's filesystem.
    pub disk_reserve_mb: u64,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            header_timeout: Duration::from_secs(10),
            max_execs_per_session: 8,
            max_terminals_per_session: 20,
            max_terminals_per_addr: 300,
            session_rate_per_minute: 60,
            session_rate_burst: 60,
            join_code: None,
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            disk_reserve_mb: 2048,
        }
    }
}

impl ServerLimits {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let d = Self::default();
        let list = |key: &str| -> Vec<String> {
            get(key)
                .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default()
        };
        Ok(Self {
            max_connections: parse(get, "MUELLE_MAX_CONNECTIONS")?.unwrap_or(d.max_connections),
            header_timeout: parse(get, "MUELLE_HEADER_TIMEOUT_SECS")?.map(Duration::from_secs).unwrap_or(d.header_timeout),
            max_execs_per_session: parse(get, "MUELLE_MAX_EXECS_PER_SESSION")?.unwrap_or(d.max_execs_per_session),
            max_terminals_per_session: parse(get, "MUELLE_MAX_TERMINALS_PER_SESSION")?
                .unwrap_or(d.max_terminals_per_session),
            max_terminals_per_addr: parse(get, "MUELLE_MAX_TERMINALS_PER_ADDR")?.unwrap_or(d.max_terminals_per_addr),
            session_rate_per_minute: parse(get, "MUELLE_SESSION_RATE")?.unwrap_or(d.session_rate_per_minute),
            session_rate_burst: parse(get, "MUELLE_SESSION_BURST")?.unwrap_or(d.session_rate_burst),
            join_code: get("MUELLE_JOIN_CODE").map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
            allowed_origins: list("MUELLE_ALLOWED_ORIGINS"),
            allowed_hosts: list("MUELLE_ALLOWED_HOSTS").into_iter().map(|h| h.to_ascii_lowercase()).collect(),
            disk_reserve_mb: parse(get, "MUELLE_DISK_RESERVE_MB")?.unwrap_or(d.disk_reserve_mb),
        })
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.max_connections < 16 || self.header_timeout.is_zero() {
            bail!("MUELLE_MAX_CONNECTIONS must be at least 16 and MUELLE_HEADER_TIMEOUT_SECS positive");
        }
        if self.max_execs_per_session == 0 || self.max_terminals_per_session == 0 || self.max_terminals_per_addr == 0 {
            bail!("MUELLE_MAX_EXECS_PER_SESSION and MUELLE_MAX_TERMINALS_PER_* must be positive");
        }
        Ok(())
    }
}

/// Resource limits of one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLimits {
    /// Memory in MiB.
    pub memory_mb: u64,
    /// CPU in thousandths of a core.
    pub cpus_milli: u32,
    /// Processes.
    pub pids: u32,
    /// Disk in MiB (0 = unlimited, on the host filesystem).
    pub disk_mb: u64,
    /// Seconds an unused engine runs before the node's init stops it (0 = never).
    pub engine_idle_secs: u32,
}

impl Default for NodeLimits {
    fn default() -> Self {
        Self { memory_mb: 2048, cpus_milli: 1000, pids: 2048, disk_mb: 10240, engine_idle_secs: 600 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([0, 0, 0, 0], 8080)),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            static_dir: PathBuf::from("frontend/dist"),
            lessons_dir: PathBuf::from("lessons"),
            session_ttl: Duration::from_secs(3600),
            extend_step: Duration::from_secs(30 * 60),
            max_session: Duration::from_secs(240 * 60),
            max_nodes: 200,
            max_nodes_per_session: protocol::MAX_NODES_PER_SESSION,
            exec_timeout: Duration::from_secs(30),
            expiry_interval: Duration::from_secs(5),
            flow_window_bytes: protocol::terminal::FLOW_WINDOW_BYTES,
            sandbox: SandboxKind::Real,
            node_limits: NodeLimits::default(),
            registry_listen: crate::images::DEFAULT_LISTEN.into(),
            registry_front: SocketAddr::from(([10, 99, 0, 1], 5000)),
            session_net: crate::addr::SessionRange::default(),
            ports_domain: None,
            upstream_registry: None,
            egress: sandbox::net::Egress::Internet,
            pool_size: 2,
            db_file: None,
            limits: ServerLimits::default(),
            tls: None,
            images_dir: None,
            sandbox_init: None,
            admin_token: None,
            ssh_listen: None,
        }
    }
}

impl Config {
    /// Reads the `MUELLE_*` variables (see the type's docs); unset ones keep their defaults.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Like [`Config::from_env`] with any variable source (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let d = Self::default();
        let secs = |key: &str, default: Duration| -> anyhow::Result<Duration> {
            Ok(parse(&get, key)?.map(Duration::from_secs).unwrap_or(default))
        };
        let config = Self {
            bind: parse(&get, "MUELLE_BIND")?.unwrap_or(d.bind),
            data_dir: get("MUELLE_DATA_DIR").map(PathBuf::from).unwrap_or(d.data_dir),
            static_dir: get("MUELLE_STATIC_DIR").map(PathBuf::from).unwrap_or(d.static_dir),
            lessons_dir: get("MUELLE_LESSONS_DIR").map(PathBuf::from).unwrap_or(d.lessons_dir),
            session_ttl: secs("MUELLE_SESSION_TTL_SECS", d.session_ttl)?,
            extend_step: parse::<u64>(&get, "MUELLE_EXTEND_MINUTES")?.map_or(d.extend_step, |m| Duration::from_secs(m.saturating_mul(60))),
            max_session: parse::<u64>(&get, "MUELLE_MAX_SESSION_MINUTES")?.map_or(d.max_session, |m| Duration::from_secs(m.saturating_mul(60))),
            max_nodes: parse(&get, "MUELLE_MAX_NODES")?.unwrap_or(d.max_nodes),
            max_nodes_per_session: parse(&get, "MUELLE_MAX_NODES_PER_SESSION")?
                .unwrap_or(d.max_nodes_per_session),
            exec_timeout: secs("MUELLE_EXEC_TIMEOUT_SECS", d.exec_timeout)?,
            expiry_interval: secs("MUELLE_EXPIRY_INTERVAL_SECS", d.expiry_interval)?,
            flow_window_bytes: parse(&get, "MUELLE_FLOW_WINDOW_BYTES")?
                .unwrap_or(d.flow_window_bytes),
            sandbox: parse(&get, "MUELLE_SANDBOX")?.unwrap_or(d.sandbox),
            node_limits: NodeLimits {
                memory_mb: parse(&get, "MUELLE_NODE_MEMORY_MB")?.unwrap_or(d.node_limits.memory_mb),
                cpus_milli: parse(&get, "MUELLE_NODE_CPUS_MILLI")?.unwrap_or(d.node_limits.cpus_milli),
                pids: parse(&get, "MUELLE_NODE_PIDS")?.unwrap_or(d.node_limits.pids),
                disk_mb: parse(&get, "MUELLE_NODE_DISK_MB")?.unwrap_or(d.node_limits.disk_mb),
                engine_idle_secs: parse(&get, "MUELLE_ENGINE_IDLE_SECS")?.unwrap_or(d.node_limits.engine_idle_secs),
            },
            registry_listen: get("MUELLE_REGISTRY_LISTEN").unwrap_or(d.registry_listen),
            egress: parse(&get, "MUELLE_EGRESS")?.unwrap_or(d.egress),
            registry_front: parse(&get, "MUELLE_REGISTRY_FRONT")?.unwrap_or(d.registry_front),
            session_net: parse(&get, "MUELLE_SESSION_NET")?.unwrap_or(d.session_net),
            upstream_registry: get("MUELLE_UPSTREAM_REGISTRY").map(|u| u.trim().trim_end_matches('/').to_string()).filter(|u| !u.is_empty()),
            ports_domain: get("MUELLE_PORTS_DOMAIN").map(|d| d.trim().trim_matches('.').to_ascii_lowercase()).filter(|d| !d.is_empty()),
            pool_size: parse(&get, "MUELLE_POOL_SIZE")?.unwrap_or(d.pool_size),
            db_file: get("MUELLE_DB").map(PathBuf::from),
            limits: ServerLimits::from_lookup(&get)?,
            tls: match (get("MUELLE_TLS_CERT"), get("MUELLE_TLS_KEY")) {
                (Some(cert), Some(key)) => Some((PathBuf::from(cert), PathBuf::from(key))),
                (None, None) => None,
                _ => bail!("MUELLE_TLS_CERT and MUELLE_TLS_KEY go together: set both or neither"),
            },
            images_dir: get("MUELLE_IMAGES_DIR").filter(|d| !d.is_empty()).map(PathBuf::from),
            sandbox_init: get("MUELLE_SANDBOX_INIT").filter(|d| !d.is_empty()).map(PathBuf::from),
            admin_token: get("MUELLE_ADMIN_TOKEN").map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
            ssh_listen: match get("MUELLE_SSH_LISTEN").filter(|v| !v.trim().is_empty()) {
                None => None,
                Some(raw) => Some(raw.trim().parse::<SocketAddr>().map_err(|e| anyhow::anyhow!("{e}")).with_context(|| {
                    format!("invalid MUELLE_SSH_LISTEN={raw:?} (an address and port, such as 0.0.0.0:2222)")
                })?),
            },
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !(1..=protocol::MAX_NODES_PER_SESSION).contains(&self.max_nodes_per_session) {
            bail!("MUELLE_MAX_NODES_PER_SESSION must be 1..={}", protocol::MAX_NODES_PER_SESSION);
        }
        if self.session_ttl.is_zero() || self.expiry_interval.is_zero() {
            bail!("MUELLE_SESSION_TTL_SECS and MUELLE_EXPIRY_INTERVAL_SECS must be positive");
        }
        if self.extend_step.is_zero() || self.max_session < self.session_ttl {
            bail!("MUELLE_EXTEND_MINUTES must be positive and MUELLE_MAX_SESSION_MINUTES at least the session's lifetime (MUELLE_SESSION_TTL_SECS)");
        }
        let l = &self.node_limits;
        if l.memory_mb < 256 || l.cpus_milli < 100 || l.pids < 256 || (l.disk_mb != 0 && l.disk_mb < 512) {
            bail!("node limits too small to run dockerd (memory >= 256 MB, cpus >= 100 milli, pids >= 256, disk 0 or >= 512 MB)");
        }
        crate::images::registry_service::check_loopback(&self.registry_listen).context("MUELLE_REGISTRY_LISTEN")?;
        let front = self.registry_front.ip();
        if front.is_unspecified() || front.is_loopback() {
            bail!("MUELLE_REGISTRY_FRONT must be one address nodes reach (e.g. 10.99.0.1:5000), not {}", self.registry_front);
        }
        if let std::net::IpAddr::V4(front) = front {
            if self.session_net.overlaps(front, 32) {
                bail!("MUELLE_SESSION_NET {} holds the registry front's address {front} (MUELLE_REGISTRY_FRONT): choose a range without it", self.session_net);
            }
        }
        if let Some(url) = &self.upstream_registry {
            anyhow::ensure!(
                (url.starts_with("https://") || url.starts_with("http://")) && url.len() > "https://".len(),
                "MUELLE_UPSTREAM_REGISTRY must be a URL such as https://registry-1.docker.io, not {url:?}"
            );
        }
        if let Some(domain) = &self.ports_domain {
            crate::portlinks::check_domain(domain).context("MUELLE_PORTS_DOMAIN")?;
        }
        if self.admin_token.as_ref().is_some_and(|t| t.len() < 16) {
            bail!("MUELLE_ADMIN_TOKEN must be at least 16 characters");
        }
        if self.ssh_listen.is_some_and(|ssh| ssh.port() != 0 && ssh.port() == self.bind.port()) {
            bail!("MUELLE_SSH_LISTEN must use another port than MUELLE_BIND");
        }
        if self.flow_window_bytes < 4096 {
            bail!("MUELLE_FLOW_WINDOW_BYTES must be at least 4096");
        }
        self.limits.validate()
    }

    /// Path of the SQLite database.
    pub fn db_path(&self) -> PathBuf {
        self.db_file.clone().unwrap_or_else(|| self.data_dir.join("muelle.db"))
    }
}

/// The registry binary: `MUELLE_REGISTRY_BIN`, else `docker-registry` from PATH. Read here, not in
/// [`Config`], because `muelle images` starts the registry without a server configuration.
pub fn registry_bin() -> String {
    std::env::var("MUELLE_REGISTRY_BIN").ok().filter(|b| !b.is_empty()).unwrap_or_else(|| "docker-registry".to_string())
}

fn parse<T>(get: &impl Fn(&str) -> Option<String>, key: &str) -> anyhow::Result<Option<T>>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match get(key) {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse()
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("invalid {key}={raw:?}")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let c = from(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "0.0.0.0:8080");
        assert_eq!(c.session_ttl, Duration::from_secs(3600));
        assert_eq!((c.max_nodes, c.max_nodes_per_session), (200, 5));
        assert_eq!(c.sandbox, SandboxKind::Real);
        assert_eq!(c.egress, sandbox::net::Egress::Internet);
        assert_eq!(from(&[("MUELLE_EGRESS", "none")]).unwrap().egress, sandbox::net::Egress::None);
        assert_eq!(c.db_path(), PathBuf::from("/var/lib/muelle/muelle.db"));
    }

    #[test]
    fn overrides_are_parsed() {
        let c = from(&[
            ("MUELLE_BIND", "127.0.0.1:9000"),
            ("MUELLE_SANDBOX", "fake"),
            ("MUELLE_MAX_NODES", "7"),
            ("MUELLE_EXEC_TIMEOUT_SECS", "9"),
            ("MUELLE_DATA_DIR", "/tmp/x"),
        ])
        .unwrap();
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.sandbox, SandboxKind::Fake);
        assert_eq!(c.max_nodes, 7);
        assert_eq!(c.exec_timeout, Duration::from_secs(9));
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn limits_are_read() {
        let c = from(&[
            ("MUELLE_JOIN_CODE", " clase-3b "),
            ("MUELLE_ALLOWED_HOSTS", "Muelle.lan, *.ports.lan,"),
            ("MUELLE_SESSION_RATE", "10"),
            ("MUELLE_HEADER_TIMEOUT_SECS", "3"),
        ])
        .unwrap();
        assert_eq!(c.limits.join_code.as_deref(), Some("clase-3b"));
        assert_eq!(c.limits.allowed_hosts, ["muelle.lan", "*.ports.lan"]);
        assert_eq!(c.limits.session_rate_per_minute, 10);
        assert_eq!(c.limits.header_timeout, Duration::from_secs(3));
        assert_eq!(from(&[]).unwrap().limits, ServerLimits::default());
        assert!(from(&[("MUELLE_MAX_CONNECTIONS", "3")]).is_err());
        assert!(from(&[("MUELLE_JOIN_CODE", "  ")]).unwrap().limits.join_code.is_none());
        assert!(from(&[("MUELLE_TLS_CERT", "/c.pem")]).is_err());
        let tls = from(&[("MUELLE_TLS_CERT", "/c.pem"), ("MUELLE_TLS_KEY", "/k.pem")]).unwrap().tls;
        assert_eq!(tls, Some((PathBuf::from("/c.pem"), PathBuf::from("/k.pem"))));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = from(&[("MUELLE_MAX_NODES", "lots")]).unwrap_err();
        assert!(format!("{err:#}").contains("MUELLE_MAX_NODES"), "{err:#}");
        assert!(from(&[("MUELLE_SANDBOX", "docker")]).is_err());
        let err = from(&[("MUELLE_EGRESS", "lan")]).unwrap_err();
        assert!(format!("{err:#}").contains("MUELLE_EGRESS"), "{err:#}");
        assert!(from(&[("MUELLE_MAX_NODES_PER_SESSION", "9")]).is_err());
    }

    #[test]
    fn the_registry_stays_on_loopback_and_the_front_on_one_address() {
        let c = from(&[]).unwrap();
        assert_eq!((c.registry_listen.as_str(), c.registry_front.to_string().as_str()), ("127.0.0.1:5001", "10.99.0.1:5000"));
        for (k, v) in [("MUELLE_REGISTRY_LISTEN", "0.0.0.0:5000"), ("MUELLE_REGISTRY_FRONT", "0.0.0.0:5000"), ("MUELLE_REGISTRY_FRONT", "127.0.0.1:5000")] {
            let err = from(&[(k, v)]).unwrap_err();
            assert!(format!("{err:#}").contains(k), "{k}={v}: {err:#}");
        }
    }

    #[test]
    fn the_session_range_is_checked_at_start() {
        assert_eq!((from(&[]).unwrap().session_net.to_string(), from(&[]).unwrap().session_net.slots()), ("10.100.0.0/16".to_string(), 4096));
        assert_eq!(from(&[("MUELLE_SESSION_NET", "172.20.0.0/20")]).unwrap().session_net.slots(), 256);
        for (v, why) in [("10.100.0.0/29", "too small"), ("10.99.0.0/17", "overlaps 10.99.0.0/16"), ("10.100.0.0", "not an IPv4 range"), ("10.100.1.0/16", "host bits")] {
            let err = format!("{:#}", from(&[("MUELLE_SESSION_NET", v)]).unwrap_err());
            assert!(err.contains("MUELLE_SESSION_NET") && err.contains(why), "{v}: {err}");
        }
        // The registry front moved into the range.
        let err = format!("{:#}", from(&[("MUELLE_SESSION_NET", "10.98.0.0/16"), ("MUELLE_REGISTRY_FRONT", "10.98.3.1:5000")]).unwrap_err());
        assert!(err.contains("MUELLE_SESSION_NET") && err.contains("10.98.3.1"), "{err}");
    }

    #[test]
    fn the_upstream_registry_is_a_url() {
        assert_eq!(from(&[]).unwrap().upstream_registry, None);
        assert_eq!(
            from(&[("MUELLE_UPSTREAM_REGISTRY", "https://registry-1.docker.io/")]).unwrap().upstream_registry.as_deref(),
            Some("https://registry-1.docker.io")
        );
        assert!(from(&[("MUELLE_UPSTREAM_REGISTRY", "registry-1.docker.io")]).is_err());
    }

    #[test]
    fn the_ssh_listen_address_is_read() {
        assert_eq!(from(&[]).unwrap().ssh_listen, None, "SSH is off by default");
        assert_eq!(from(&[("MUELLE_SSH_LISTEN", "")]).unwrap().ssh_listen, None);
        assert_eq!(from(&[("MUELLE_SSH_LISTEN", "0.0.0.0:2222")]).unwrap().ssh_listen, Some("0.0.0.0:2222".parse().unwrap()));
        for bad in ["2222", "ssh.lan:2222", "0.0.0.0"] {
            let err = from(&[("MUELLE_SSH_LISTEN", bad)]).unwrap_err();
            assert!(format!("{err:#}").contains("MUELLE_SSH_LISTEN"), "{bad}: {err:#}");
        }
        assert!(from(&[("MUELLE_SSH_LISTEN", "0.0.0.0:8080")]).is_err(), "the HTTP port");
    }

    #[test]
    fn the_ports_domain_is_checked() {
        assert_eq!(from(&[("MUELLE_PORTS_DOMAIN", "Ports.School.LAN.")]).unwrap().ports_domain.as_deref(), Some("ports.school.lan"));
        assert_eq!(from(&[("MUELLE_PORTS_DOMAIN", "")]).unwrap().ports_domain, None);
        for bad in ["ports.school.lan:8080", "a b", "*.ports.lan", "http://x"] {
            assert!(from(&[("MUELLE_PORTS_DOMAIN", bad)]).is_err(), "{bad}");
        }
    }
}
