//! `AppState`: what every handler gets. Built by [`crate::server::Backend::start`] (or by tests
//! over the fake provider); the routes depend on it, it depends on no route.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::classes::Classes;
use crate::config::Config;
use crate::limits::Limits;
use crate::player::live::LiveLessons;
use crate::provider::SandboxProvider;
use crate::sessions::SessionRegistry;
use crate::terminal::Terminals;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<Config>,
    /// The live sessions.
    pub sessions: Arc<SessionRegistry>,
    /// Creates and enters sandboxes.
    pub provider: Arc<dyn SandboxProvider>,
    /// Per-session and per-address limits (execs, terminals, session creation).
    pub limits: Arc<Limits>,
    /// The lessons served (`config.lessons_dir`, watched) and each session's progress.
    pub lessons: Arc<LiveLessons>,
    /// The shells of the nodes, kept between sockets.
    pub terminals: Arc<Terminals>,
    /// What the operator switched at run time (drain).
    pub ops: Arc<Ops>,
    /// The classroom: classes, students, their progress.
    pub classes: Arc<Classes>,
    /// The SSH endpoint's address, once it listens (`MUELLE_SSH_LISTEN`).
    pub ssh: Arc<SshEndpoint>,
}

/// Run-time switches of the operator (`/api/admin`).
#[derive(Debug, Default)]
pub struct Ops {
    /// New sessions are refused (503 `DRAINING`); live ones go on until they end.
    pub draining: std::sync::atomic::AtomicBool,
    /// The address that started each session of this process (the admin view).
    clients: std::sync::Mutex<std::collections::HashMap<String, std::net::IpAddr>>,
}

impl Ops {
    /// Remembers that `addr` started session `id`; forgets ids not in `live` once many are kept.
    pub fn started(&self, id: &str, addr: std::net::IpAddr, live: impl FnOnce() -> Vec<String>) {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() >= 1024 {
            let live = live();
            clients.retain(|k, _| live.contains(k));
        }
        clients.insert(id.to_string(), addr);
    }

    /// The addresses that started sessions `ids`, in order.
    pub fn clients_of<'a>(&self, ids: impl Iterator<Item = &'a str>) -> Vec<Option<std::net::IpAddr>> {
        let clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        ids.map(|id| clients.get(id).copied()).collect()
    }
}

impl AppState {
    /// The state of an app over `sessions`, with fresh limits from `config` and the lessons of
    /// `config.lessons_dir` (loaded now, then watched).
    pub fn new(config: Arc<Config>, sessions: Arc<SessionRegistry>, provider: Arc<dyn SandboxProvider>) -> Self {
        let lessons = Arc::new(LiveLessons::open(&config.lessons_dir, config.images_dir.as_deref()));
        let limits = Arc::new(Limits::new(&config));
        let terminals = Arc::new(Terminals::new(provider.clone(), sessions.clone(), config.flow_window_bytes));
        let classes = Classes::open(sessions.clone(), lessons.clone());
        Self { config, sessions, provider, limits, lessons, terminals, ops: Arc::default(), classes, ssh: Arc::default() }
    }
}

impl FromRef<AppState> for Arc<SessionRegistry> {
    fn from_ref(state: &AppState) -> Self {
        state.sessions.clone()
    }
}

/// Where this server's SSH endpoint ([`crate::ssh`]) listens, once it does (unset: SSH is off).
/// Kept here, not in `ssh`, so that the state does not depend on a module that uses it.
#[derive(Debug, Default)]
pub struct SshEndpoint {
    pub(crate) addr: std::sync::OnceLock<std::net::SocketAddr>,
}

impl SshEndpoint {
    /// The port clients connect to, when SSH is on.
    pub fn port(&self) -> Option<u16> {
        self.addr.get().map(std::net::SocketAddr::port)
    }
}
