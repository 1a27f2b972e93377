//! The local Distribution registry (`docker-registry`, Debian package): its config file under
//! `<data_dir>/registry/`, starting it when nothing answers yet, and running it in the foreground.
//!
//! Lifetime choice: a registry started by [`ensure_registry`] runs in its own process group and is
//! not killed when its `Child` is dropped, so it outlives the `muelle images build` or backend that
//! started it; the next caller finds it answering and reuses it. Its pid is written to
//! `<data_dir>/registry/registry.pid` (stop it with `kill $(cat .../registry.pid)`).
//!
//! It listens on loopback only (refused otherwise): `muelle images build` on the host pushes
//! there, and nodes pull through the backend's read-only front ([`super::front`]). A registry
//! the pid file names that does not answer at the configured address (an older muelle's, on
//! `0.0.0.0:5000`) is stopped before a new one starts, so it cannot keep the nodes' port.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Serialize;

use super::registry::RegistryClient;

/// Default listen address: loopback; nodes never reach it directly.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:5001";
/// Where the pull-through cache of `MUELLE_UPSTREAM_REGISTRY` listens (loopback; nodes reach it
/// only through the front, after the local registry).
pub const CACHE_LISTEN: &str = "127.0.0.1:5002";
/// How long a freshly started registry may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Files of the registry under `<data_dir>/registry/`.
#[derive(Debug, Clone)]
pub struct RegistryPaths {
    /// `<data_dir>/registry`
    pub dir: PathBuf,
    /// `config.yml`
    pub config: PathBuf,
    /// `data/`: blob and manifest storage.
    pub data: PathBuf,
    /// `registry.log`: the process's stdout and stderr.
    pub log: PathBuf,
    /// `registry.pid`
    pub pid: PathBuf,
}

impl RegistryPaths {
    /// Paths for a data directory.
    pub fn new(data_dir: &Path) -> RegistryPaths {
        Self::named(data_dir, "registry")
    }

    /// Paths of the pull-through cache of an upstream registry (`MUELLE_UPSTREAM_REGISTRY`):
    /// `<data_dir>/registry-cache`.
    pub fn cache(data_dir: &Path) -> RegistryPaths {
        Self::named(data_dir, "registry-cache")
    }

    fn named(data_dir: &Path, name: &str) -> RegistryPaths {
        let dir = data_dir.join(name);
        RegistryPaths {
            config: dir.join("config.yml"),
            data: dir.join("data"),
            log: dir.join("registry.log"),
            pid: dir.join("registry.pid"),
            dir,
        }
    }
}

#[derive(Serialize)]
struct Config<'a> {
    version: &'a str,
    log: Level<'a>,
    storage: Storage<'a>,
    http: Http<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    proxy: Option<Proxy<'a>>,
}
#[derive(Serialize)]
struct Proxy<'a> {
    remoteurl: &'a str,
}
#[derive(Serialize)]
struct Level<'a> {
    level: &'a str,
}
#[derive(Serialize)]
struct Storage<'a> {
    cache: Cache<'a>,
    filesystem: Filesystem<'a>,
    delete: Enabled,
}
#[derive(Serialize)]
struct Cache<'a> {
    blobdescriptor: &'a str,
}
#[derive(Serialize)]
struct Filesystem<'a> {
    rootdirectory: &'a Path,
}
#[derive(Serialize)]
struct Enabled {
    enabled: bool,
}
#[derive(Serialize)]
struct Http<'a> {
    addr: &'a str,
}

/// The registry's YAML config: filesystem storage in `data_dir`, deletes enabled, HTTP on `listen`.
pub fn config_yaml(data_dir: &Path, listen: &str) -> String {
    config_yaml_with(data_dir, listen, None)
}

/// The config of a pull-through cache of `remote` (Distribution's proxy mode: it fetches what
/// it does not hold from `remote` and keeps it; it takes no pushes).
fn config_yaml_with(data_dir: &Path, listen: &str, remote: Option<&str>) -> String {
    let config = Config {
        version: "0.1",
        log: Level { level: "info" },
        storage: Storage {
            cache: Cache {
                blobdescriptor: "inmemory",
            },
            filesystem: Filesystem {
                rootdirectory: data_dir,
            },
            delete: Enabled { enabled: true },
        },
        http: Http { addr: listen },
        proxy: remote.map(|remoteurl| Proxy { remoteurl }),
    };
    yaml_serde::to_string(&config).expect("registry config serialises")
}

/// Refuses a listen address that is not a loopback `IP:PORT`: the registry accepts pushes and
/// deletes, so neither the LAN nor a node may reach it.
pub fn check_loopback(listen: &str) -> anyhow::Result<std::net::SocketAddr> {
    let addr: std::net::SocketAddr = listen
        .parse()
        .with_context(|| format!("registry listen address '{listen}' is not IP:PORT"))?;
    if !addr.ip().is_loopback() {
        bail!("the registry must listen on loopback (e.g. 127.0.0.1:5001), not {listen}: it accepts pushes; nodes pull through the read-only front (MUELLE_REGISTRY_FRONT)");
    }
    Ok(addr)
}

/// Writes `config.yml` and creates the storage directory; returns the paths.
pub fn write_config(data_dir: &Path, listen: &str) -> anyhow::Result<RegistryPaths> {
    check_loopback(listen)?;
    let paths = RegistryPaths::new(data_dir);
    std::fs::create_dir_all(&paths.data)
        .with_context(|| format!("cannot create {}", paths.data.display()))?;
    std::fs::write(&paths.config, config_yaml(&paths.data, listen))
        .with_context(|| format!("cannot write {}", paths.config.display()))?;
    Ok(paths)
}

/// URL to reach a registry listening on `listen` from this machine (wildcards become 127.0.0.1).
pub fn local_url(listen: &str) -> anyhow::Result<String> {
    let (host, port) = listen
        .rsplit_once(':')
        .filter(|(_, p)| p.parse::<u16>().is_ok())
        .with_context(|| format!("registry listen address '{listen}' is not HOST:PORT"))?;
    let host = match host {
        "" | "0.0.0.0" | "[::]" | "::" => "127.0.0.1",
        h => h,
    };
    Ok(format!("http://{host}:{port}"))
}

/// Makes sure a registry answers for `listen`. Returns `None` when one already did, or the
/// child it started (which keeps running when dropped; see the module docs).
pub async fn ensure_registry(
    bin: &str,
    data_dir: &Path,
    listen: &str,
) -> anyhow::Result<Option<tokio::process::Child>> {
    check_loopback(listen)?;
    let client = RegistryClient::new(&local_url(listen)?);
    if client.ping().await {
        return Ok(None);
    }
    let paths = write_config(data_dir, listen)?;
    stop_stale(&paths, listen).await;
    start(bin, &paths, listen, listen, &client).await
}

/// Makes sure the pull-through cache of `remote` answers on `listen` (loopback only, like the
/// registry): `<data_dir>/registry-cache`, restarted when it was started for another remote.
pub async fn ensure_cache(
    bin: &str,
    data_dir: &Path,
    listen: &str,
    remote: &str,
) -> anyhow::Result<Option<tokio::process::Child>> {
    check_loopback(listen)?;
    anyhow::ensure!(
        remote.starts_with("https://") || remote.starts_with("http://"),
        "MUELLE_UPSTREAM_REGISTRY must be a URL such as https://registry-1.docker.io, not {remote:?}"
    );
    let paths = RegistryPaths::cache(data_dir);
    let tag = format!("{listen} {remote}");
    let client = RegistryClient::new(&local_url(listen)?);
    let current = std::fs::read_to_string(paths.dir.join("registry.addr")).unwrap_or_default();
    if current.trim() == tag && client.ping().await {
        return Ok(None);
    }
    std::fs::create_dir_all(&paths.data).with_context(|| format!("cannot create {}", paths.data.display()))?;
    std::fs::write(&paths.config, config_yaml_with(&paths.data, listen, Some(remote)))
        .with_context(|| format!("cannot write {}", paths.config.display()))?;
    // One started for another remote (or an older configuration) goes first.
    stop_stale(&paths, &tag).await;
    start(bin, &paths, listen, &tag, &client).await
}

/// Starts the registry of `paths` (its config written) and waits until it answers; `tag` is
/// what `registry.addr` records (how [`stop_stale`] recognises it later).
async fn start(
    bin: &str,
    paths: &RegistryPaths,
    listen: &str,
    tag: &str,
    client: &RegistryClient,
) -> anyhow::Result<Option<tokio::process::Child>> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.log)
        .with_context(|| format!("cannot open {}", paths.log.display()))?;
    let mut child = tokio::process::Command::new(bin)
        .arg("serve")
        .arg(&paths.config)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .with_context(|| {
            format!(
                "cannot start {} (apt-get install docker-registry)",
                bin
            )
        })?;
    if let Some(pid) = child.id() {
        std::fs::write(&paths.pid, format!("{pid}\n")).ok();
        std::fs::write(paths.dir.join("registry.addr"), format!("{tag}\n")).ok();
    }
    let started = Instant::now();
    while started.elapsed() < START_TIMEOUT {
        if client.ping().await {
            return Ok(Some(child));
        }
        if let Some(status) = child.try_wait()? {
            // Another caller may have started one at the same moment and won the port.
            tokio::time::sleep(Duration::from_millis(500)).await;
            if client.ping().await {
                return Ok(None);
            }
            bail!(
                "the registry exited at start ({status}); {}",
                log_tail(&paths.log)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.start_kill().ok();
    bail!(
        "the registry did not answer at {listen} ({}) within {START_TIMEOUT:?}; {}",
        client.base_url(),
        log_tail(&paths.log)
    )
}

/// Stops the registry `registry.pid` names, if it still runs and was started for another
/// address (`registry.addr`; an older muelle wrote none): it is an older configuration's,
/// possibly holding the nodes' port. One started for `listen` may just be starting: kept.
async fn stop_stale(paths: &RegistryPaths, listen: &str) {
    let addr = std::fs::read_to_string(paths.dir.join("registry.addr")).unwrap_or_default();
    if addr.trim() == listen {
        return;
    }
    let Some(pid) = std::fs::read_to_string(&paths.pid).ok().and_then(|t| t.trim().parse::<i32>().ok()) else {
        return;
    };
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let ours = String::from_utf8_lossy(&cmdline).contains(&*paths.config.to_string_lossy());
    if pid <= 1 || !ours {
        return;
    }
    tracing::warn!(pid, "stopping a registry that does not answer at the configured address");
    let pid = nix::unistd::Pid::from_raw(pid);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    for _ in 0..50 {
        if nix::sys::signal::kill(pid, None).is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
}

/// Runs the registry in the foreground (stdio inherited) until it exits; returns its exit code.
pub fn run_foreground(bin: &str, data_dir: &Path, listen: &str) -> anyhow::Result<i32> {
    let paths = write_config(data_dir, listen)?;
    eprintln!(
        "registry: {} serve {}",
        bin,
        paths.config.display()
    );
    let status = std::process::Command::new(bin)
        .arg("serve")
        .arg(&paths.config)
        .status()
        .with_context(|| format!("cannot start {}", bin))?;
    Ok(status.code().unwrap_or(1))
}

/// The last lines of a log file, for error messages.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(8)..].join("\n");
    format!("last lines of {}:\n{tail}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_yaml_golden() {
        let yaml = config_yaml(Path::new("/var/lib/muelle/registry/data"), "127.0.0.1:5001");
        let expected = "version: '0.1'\nlog:\n  level: info\nstorage:\n  cache:\n    blobdescriptor: inmemory\n  filesystem:\n    rootdirectory: /var/lib/muelle/registry/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:5001\n";
        assert_eq!(yaml, expected);
    }

    #[test]
    fn write_config_creates_the_layout() {
        let dir = tempfile::tempdir().unwrap();
        let paths = write_config(dir.path(), "127.0.0.1:5999").unwrap();
        assert!(paths.data.is_dir());
        let text = std::fs::read_to_string(&paths.config).unwrap();
        assert!(text.contains("addr: 127.0.0.1:5999"), "{text}");
        assert!(text.contains(&paths.data.display().to_string()));
    }

    #[test]
    fn only_loopback_listen_addresses_are_accepted() {
        assert!(check_loopback("127.0.0.1:5001").is_ok());
        assert!(check_loopback("[::1]:5001").is_ok());
        let dir = tempfile::tempdir().unwrap();
        for bad in ["0.0.0.0:5000", "10.99.0.1:5000", "[::]:5000", "localhost:5000"] {
            let err = write_config(dir.path(), bad).unwrap_err();
            assert!(format!("{err:#}").contains(bad), "{bad}: {err:#}");
        }
        assert!(!dir.path().join("registry/config.yml").exists());
    }

    #[test]
    fn local_url_replaces_wildcards() {
        assert_eq!(local_url("0.0.0.0:5000").unwrap(), "http://127.0.0.1:5000");
        assert_eq!(local_url(":5001").unwrap(), "http://127.0.0.1:5001");
        assert_eq!(
            local_url("10.100.1.1:5000").unwrap(),
            "http://10.100.1.1:5000"
        );
        assert!(local_url("localhost").is_err());
        assert!(local_url("host:http").is_err());
    }

    #[tokio::test]
    async fn a_registry_that_dies_at_start_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // `false` exits at once, as a registry with a broken config would.
        let err = ensure_registry("false", dir.path(), &format!("127.0.0.1:{port}"))
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("exited at start") && text.contains("registry.log"),
            "{text}"
        );
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.log");
        let text: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, text).unwrap();
        let tail = log_tail(&path);
        assert!(
            tail.contains("line 13") && tail.contains("line 20") && !tail.contains("line 12\n")
        );
    }
}
