//! Helpers of the end-to-end suite: boot the real backend (real sandboxes, real registry) on a
//! loopback port, talk to it over HTTP and WebSocket, and list what a session leaves on the host.

pub mod anchor;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use backend::config::Config;
use backend::{Backend, Role};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// A running backend.
pub struct Stack {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The data directory (node image, registry, database).
    pub data_dir: PathBuf,
    server: tokio::task::JoinHandle<()>,
}


fn next_stack() -> u32 {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The data directory the images were built into (`MUELLE_DATA_DIR`, default /var/lib/muelle).
pub fn data_dir() -> PathBuf {
    PathBuf::from(std::env::var("MUELLE_DATA_DIR").unwrap_or_else(|_| backend::config::DEFAULT_DATA_DIR.into()))
}

impl Stack {
    /// Starts the registry (if none runs) and the backend with real sandboxes, the way `muelle
    /// serve` does ([`Backend::start`], as [`Role::Harness`]: it never sweeps other stacks'
    /// nodes). Fails loudly when not root or when the images are missing: the suite never skips.
    pub async fn start(config: impl FnOnce(&mut Config)) -> anyhow::Result<Stack> {
        if !nix::unistd::getuid().is_root() {
            bail!("the end-to-end suite needs root (namespaces, cgroups, bridges)");
        }
        let data_dir = data_dir();
        let mut cfg = Config {
            bind: "127.0.0.1:0".parse()?,
            data_dir: data_dir.clone(),
            // Tests that want the warm pool ask for it.
            pool_size: 0,
            // Each stack its own database, so suites running side by side never adopt (or end)
            // each other's sessions.
            db_file: Some(std::env::temp_dir().join(format!("muelle-e2e-{}-{}.db", std::process::id(), next_stack()))),
            ..Config::default()
        };
        config(&mut cfg);
        let listener = tokio::net::TcpListener::bind(cfg.bind).await?;
        let base = format!("http://{}", listener.local_addr()?);
        backend::serve::raise_nofile_limit();
        let backend = Backend::start(cfg, Role::Harness).await?;
        let server = tokio::spawn(async move {
            let _ = backend.serve(listener, std::future::pending()).await;
        });
        Ok(Stack { base, data_dir, server })
    }

/// `base + path`
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `ws://…` for a path.
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws{}{path}", &self.base[4..])
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // The server task holds the backend: aborting it ends its expiry task and drops the
        // provider (a warm pool empties itself then).
        self.server.abort();
    }
}

/// A terminal WebSocket.
pub struct Terminal {
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    /// Everything received so far (binary frames, lossily decoded).
    pub screen: String,
}

impl Terminal {
    /// Connects and waits for the `ready` event.
    pub async fn connect(url: &str) -> anyhow::Result<Terminal> {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.context("websocket connect")?;
        let mut t = Terminal { ws, screen: String::new() };
        t.wait_text(|s| s.contains("\"ready\""), Duration::from_secs(10)).await?;
        Ok(t)
    }

    /// The WebSocket itself, for a client that reads and writes from separate tasks.
    pub fn into_ws(self) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
        self.ws
    }

    /// Sends keystrokes.
    pub async fn type_str(&mut self, s: &str) -> anyhow::Result<()> {
        self.ws.send(Message::Binary(s.as_bytes().to_vec().into())).await?;
        Ok(())
    }

    /// Sends a control message.
    pub async fn control(&mut self, json: &str) -> anyhow::Result<()> {
        self.ws.send(Message::Text(json.to_string().into())).await?;
        Ok(())
    }

    /// Reads until the screen contains `needle`.
    pub async fn expect(&mut self, needle: &str, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while !self.screen.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.ws.next()).await {
                Err(_) => bail!("{needle:?} not seen within {timeout:?}; screen:\n{}", self.tail()),
                Ok(None) => bail!("socket closed before {needle:?}; screen:\n{}", self.tail()),
                Ok(Some(m)) => self.absorb(m?),
            }
        }
        Ok(())
    }

    /// Reads until `needle` appears after byte `from` of the screen.
    pub async fn expect_after(&mut self, from: usize, needle: &str, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while !self.screen.get(from..).is_some_and(|s| s.contains(needle)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.ws.next()).await {
                Err(_) => bail!("{needle:?} not seen within {timeout:?}"),
                Ok(None) => bail!("socket closed before {needle:?}"),
                Ok(Some(m)) => self.absorb(m?),
            }
        }
        Ok(())
    }

    /// Reads and discards output until `marker`, acking every `ack_every` bytes as the browser
    /// does; returns the number of bytes received. Keeps only a tail of the screen.
    pub async fn drain_until(&mut self, marker: &str, ack_every: u32, timeout: Duration) -> anyhow::Result<u64> {
        let deadline = Instant::now() + timeout;
        let (mut total, mut unacked) = (0u64, 0u32);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = tokio::time::timeout(left, self.ws.next()).await.context("timed out")?.context("closed")??;
            if let Message::Binary(b) = &m {
                total += b.len() as u64;
                unacked += b.len() as u32;
                if unacked >= ack_every {
                    self.control(&format!(r#"{{"type":"ack","bytes":{unacked}}}"#)).await?;
                    unacked = 0;
                }
                self.absorb(m);
                if self.screen.len() > 4096 {
                    self.screen.drain(..self.screen.len() - 256);
                }
                if self.screen.contains(marker) {
                    return Ok(total);
                }
            }
        }
    }

    /// Reads until a text frame satisfies `pred`; returns it.
    pub async fn wait_text(&mut self, pred: impl Fn(&str) -> bool, timeout: Duration) -> anyhow::Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = tokio::time::timeout(left, self.ws.next())
                .await
                .context("timed out waiting for a control message")?
                .context("socket closed")??;
            if let Message::Text(t) = &m {
                if pred(t) {
                    return Ok(t.to_string());
                }
            }
            self.absorb(m);
        }
    }

    fn absorb(&mut self, m: Message) {
        if let Message::Binary(b) = m {
            self.screen.push_str(&String::from_utf8_lossy(&b));
        }
    }

    fn tail(&self) -> String {
        let s = &self.screen;
        s[s.len().saturating_sub(2000)..].to_string()
    }
}

/// What a node with key `key` could have left on the host; empty when nothing is left.
pub fn leftovers(data_dir: &Path, key: &str, bridge: &str) -> Vec<String> {
    let mut left = Vec::new();
    let dir = data_dir.join("sandboxes").join(key);
    if dir.exists() {
        left.push(format!("directory {}", dir.display()));
    }
    for h in sandbox::cgroup::HIERARCHIES {
        let d = Path::new("/sys/fs/cgroup").join(h).join("muelle").join(key);
        if d.exists() {
            left.push(format!("cgroup {}", d.display()));
        }
    }
    for link in [format!("vh-{key}"), bridge.to_string()] {
        if sandbox::net::link_exists(&link) {
            left.push(format!("network interface {link}"));
        }
    }
    for dev in std::fs::read_dir("/sys/block").into_iter().flatten().flatten() {
        let backing = std::fs::read_to_string(dev.path().join("loop/backing_file")).unwrap_or_default();
        if backing.contains(&format!("/{key}/")) {
            left.push(format!("loop device {}", dev.file_name().to_string_lossy()));
        }
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    if mounts.lines().any(|l| l.contains(&format!("/{key}/"))) {
        left.push("a mount".into());
    }
    for p in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let cg = std::fs::read_to_string(p.path().join("cgroup")).unwrap_or_default();
        if cg.lines().any(|l| l.ends_with(&format!("/muelle/{key}")) || l.contains(&format!("/muelle/{key}/"))) {
            left.push(format!("process {}", p.file_name().to_string_lossy()));
        }
    }
    let rules = std::process::Command::new("iptables").args(["-w", "-S"]).output().map(|o| o.stdout).unwrap_or_default();
    if String::from_utf8_lossy(&rules).contains(&format!("-i {bridge} ")) {
        left.push(format!("iptables rule for {bridge}"));
    }
    left
}
