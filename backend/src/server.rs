//! Assembling and running the backend. [`Backend::start`] is the one start path (registry →
//! provider → registry front → sessions → recovery → background work → expiry) that `muelle
//! serve` ([`launch`], [`run`]), the end-to-end suite and `muelle lessons test` share; a
//! [`Role`] names what differs between them. Also the router ([`app`]) and graceful shutdown.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::config::{Config, SandboxKind};
use crate::provider::fake::FakeProvider;
use crate::provider::top_down::TopDownNets;
use crate::provider::SandboxProvider;
use crate::routes;
use crate::sessions::SessionRegistry;
use crate::state::AppState;

/// Which process runs the backend: all start the same way, these are the differences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `muelle serve`: the one backend that owns the host. Adopts its stored sessions, removes
    /// nodes and bridges no stored session owns, runs the warm pool and session expiry.
    Server,
    /// One of several backends of a test process (the e2e suite), each over a database of its
    /// own: like [`Role::Server`], but never removes what it does not know (other backends'
    /// nodes).
    Harness,
    /// `muelle lessons test`: its own database (`<data dir>/lessons-test.db`), session networks
    /// numbered from the top ([`TopDownNets`]) so it never shares a bridge with a server; ends
    /// the sessions a killed earlier run left instead of adopting them; no warm pool, no expiry.
    LessonTest,
}

impl Role {
    fn sweeps_orphans(self) -> bool {
        self == Role::Server
    }

    fn ends_leftovers(self) -> bool {
        self == Role::LessonTest
    }

    fn runs_background(self) -> bool {
        self != Role::LessonTest
    }

    /// How this role holds the data directory ([`crate::datalock`]).
    fn hold(self) -> crate::datalock::Hold {
        match self {
            Role::Server => crate::datalock::Hold::Owner,
            Role::Harness => crate::datalock::Hold::Shared,
            Role::LessonTest => crate::datalock::Hold::Guest,
        }
    }
}

/// A started backend: its state, and the tasks it runs until it is dropped.
pub struct Backend {
    /// What the handlers get (sessions, provider, lessons, limits).
    pub state: AppState,
    expiry: Option<tokio::task::JoinHandle<()>>,
    /// The data directory's lock, held as long as the backend lives.
    _lock: crate::datalock::DataDirLock,
}

impl Backend {
    /// Starts a backend for `role` (see [`Role`]): the local registry and its read-only front
    /// for real sandboxes, the provider, the session registry with the stored sessions
    /// recovered, the provider's background work and the expiry task.
    pub async fn start(mut config: Config, role: Role) -> anyhow::Result<Backend> {
        // Before anything touches the host: a second server here would sweep the first's nodes.
        let lock = crate::datalock::acquire(&config.data_dir, role.hold())?;
        if role == Role::LessonTest {
            config.db_file = Some(config.data_dir.join("lessons-test.db"));
        }
        if role == Role::Server && config.admin_token.is_none() {
            config.admin_token = Some(routes::admin::load_or_create_token(&config.data_dir)?);
            let file = config.data_dir.join(routes::admin::TOKEN_FILE);
            tracing::info!(file = %file.display(), "admin token (for /admin) is in this file");
        }
        let config = Arc::new(config);
        if config.sandbox == SandboxKind::Real {
            // It keeps running across backend restarts, like the nodes.
            crate::images::registry_service::ensure_registry(&crate::config::registry_bin(), &config.data_dir, &config.registry_listen)
                .await
                .context("starting the local registry")?;
            if let Some(remote) = &config.upstream_registry {
                let cache = crate::images::registry_service::CACHE_LISTEN;
                crate::images::registry_service::ensure_cache(&crate::config::registry_bin(), &config.data_dir, cache, remote)
                    .await
                    .context("starting the pull-through cache of MUELLE_UPSTREAM_REGISTRY")?;
            }
        }
        let mut provider = make_provider(&config)?;
        if role == Role::LessonTest {
            provider = Arc::new(TopDownNets(provider, config.session_net));
        }
        if config.sandbox == SandboxKind::Real {
            // Nodes pull through this read-only front; its address exists once the provider
            // prepared the host.
            ensure_front(&config).context("starting the registry front")?;
        }
        let sessions = Arc::new(SessionRegistry::open(config.clone(), provider.clone())?);
        sessions.recover().await.context("recovering sessions")?;
        let sweep_lock = if role.sweeps_orphans() { crate::datalock::try_sweep_lock(&config.data_dir)? } else { None };
        if sweep_lock.is_some() {
            let swept = sessions.sweep_orphans().await.context("sweeping orphaned nodes")?;
            if swept > 0 {
                tracing::warn!(swept, "removed nodes and bridges a crash had left");
            }
        }
        drop(sweep_lock);
        if role.ends_leftovers() {
            for id in sessions.session_ids() {
                sessions.delete(&id).await.map_err(|e| anyhow::anyhow!("ending leftover session {id}: {e:?}"))?;
            }
        }
        let expiry = if role.runs_background() {
            provider.start_background()?;
            Some(sessions.spawn_expiry_task(config.expiry_interval))
        } else {
            None
        };
        Ok(Backend { state: AppState::new(config, sessions, provider), expiry, _lock: lock })
    }

    /// Serves the app on `listener` (TLS when configured) until `shutdown` completes; sessions
    /// keep running for the next process to adopt.
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let config = self.state.config.clone();
        let tls = match &config.tls {
            Some((cert, key)) => Some(crate::tls::load(cert, key)?),
            None => None,
        };
        tracing::info!(addr = %listener.local_addr()?, tls = tls.is_some(), "listening");
        // SSH into nodes, when configured: as long as the HTTP server runs.
        let ssh = match config.ssh_listen {
            Some(addr) => Some(crate::ssh::start(addr, self.state.clone()).await?),
            None => None,
        };
        crate::serve::serve_tls(listener, app(self.state.clone()), &config.limits, tls, shutdown).await?;
        drop(ssh);
        Ok(())
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some(expiry) = &self.expiry {
            expiry.abort();
        }
    }
}

/// Makes this run's instructor token and prints its links (the instructor dashboard, the admin
/// view) on stderr (as Jupyter prints its token); `muelle instructor token` makes more.
fn print_instructor_link(state: &AppState, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    let token = crate::classes::instructor::new_instructor_token(state.classes.store())?;
    let scheme = if state.config.tls.is_some() { "https" } else { "http" };
    let host = match addr.ip() {
        ip if ip.is_unspecified() => "localhost".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let base = format!("{scheme}://{host}:{}", addr.port());
    let link = crate::classes::instructor::instructor_link(&base, &token);
    // On stderr with the logs (stdout stays empty, as the CLI test asks), as Jupyter prints its
    // token; not through tracing, so that JSON logs do not carry the secret.
    eprintln!("Instructor dashboard (keep this link secret):\n    {link}");
    eprintln!("Admin view (live sessions, end one, drain; same secret): {}", crate::classes::instructor::admin_link(&base, &token));
    Ok(())
}

/// Starts the server ([`Role::Server`]) and serves on `listener` until `shutdown` completes.
pub async fn launch(config: Config, listener: TcpListener, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
    let backend = Backend::start(config, Role::Server).await?;
    print_instructor_link(&backend.state, listener.local_addr()?)?;
    backend.serve(listener, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// `muelle serve`: binds `config.bind` and [`launch`]es until SIGTERM or ctrl-c.
pub async fn run(config: Config) -> anyhow::Result<()> {
    become_subreaper();
    let nofile = crate::serve::raise_nofile_limit();
    tracing::info!(nofile, "open file limit");
    let listener = TcpListener::bind(config.bind).await.with_context(|| format!("binding {}", config.bind))?;
    launch(config, listener, shutdown_signal()).await
}

/// The whole HTTP app: `/healthz`, `/api/...`, and the frontend as fallback, behind the host
/// allowlist and with the security headers ([`routes::headers`]). In front of them all, requests
/// whose `Host` names a port link go to that node's port ([`routes::proxy`]): a port link is
/// another origin, answered by the node's app, not by ours.
pub fn app(state: AppState) -> Router {
    let statics = routes::statics::router(&state.config.static_dir);
    let (hosts, static_dir) = (state.config.limits.allowed_hosts.clone(), state.config.static_dir.clone());
    let links = crate::portlinks::PortLinks::new(&state.config.data_dir, state.config.ports_domain.clone());
    let links = Arc::new(links);
    let by_host = routes::proxy::Links { state: state.clone(), links: links.clone() };
    let app = Router::new()
        .route(protocol::routes::HEALTHZ, get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::metrics))
        .nest("/api", routes::api())
        .merge(routes::proxy_routes())
        .with_state(state)
        .merge(statics)
        .layer(axum::Extension(links))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let matched = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
            tracing::info_span!("request", method = %req.method(), matched_path = matched)
        }));
    routes::headers::secure(app, &hosts, &static_dir)
        .layer(axum::middleware::from_fn_with_state(by_host, routes::proxy::route_by_host))
}

/// Builds the provider `config.sandbox` names.
pub fn make_provider(config: &Config) -> anyhow::Result<Arc<dyn SandboxProvider>> {
    match config.sandbox {
        SandboxKind::Real => Ok(Arc::new(crate::provider::real::RealProvider::new(config)?)),
        SandboxKind::Fake => {
            tracing::warn!("MUELLE_SANDBOX=fake: node commands run unisolated on this host");
            Ok(Arc::new(FakeProvider::new(config.data_dir.join("fake-nodes"))))
        }
    }
}

/// Starts the registry front `config` describes (`MUELLE_REGISTRY_FRONT` → `MUELLE_REGISTRY_LISTEN`),
/// once per process, on a thread and runtime of its own: it must outlive the runtime that asked
/// for it (the e2e suite starts a backend per test, each on its own runtime). Other processes
/// (a server beside the tests) bind the same address too (`SO_REUSEPORT`): all are the same front.
fn ensure_front(config: &Config) -> anyhow::Result<()> {
    static FRONT: OnceLock<Result<(), String>> = OnceLock::new();
    let result = FRONT.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        let front = front_of(config);
        let tls_dir = config.data_dir.join("registry-tls");
        let node_rootfs = crate::images::builder::ImagePaths::new(&config.data_dir).node_rootfs;
        let started = std::thread::Builder::new().name("registry-front".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                Ok(rt) => rt,
                Err(err) => return drop(tx.send(Err(format!("a runtime for the registry front: {err}")))),
            };
            rt.block_on(async move {
                let doors = |(addr, front)| crate::images::front::spawn_with_tls(addr, front, &tls_dir, &node_rootfs);
                match front.and_then(doors) {
                    Ok(task) => {
                        let _ = tx.send(Ok(()));
                        let _ = task.await;
                    }
                    Err(err) => drop(tx.send(Err(format!("{err:#}")))),
                }
            });
        });
        match started {
            Ok(_) => rx.recv().unwrap_or_else(|_| Err("the registry front's thread died".into())),
            Err(err) => Err(format!("a thread for the registry front: {err}")),
        }
    });
    result.clone().map_err(anyhow::Error::msg)
}

/// The front's address and settings from `config`.
fn front_of(config: &Config) -> anyhow::Result<(std::net::SocketAddr, crate::images::front::Front)> {
    let upstream: std::net::SocketAddr = config
        .registry_listen
        .parse()
        .with_context(|| format!("MUELLE_REGISTRY_LISTEN {:?} is not IP:PORT", config.registry_listen))?;
    let nodes = crate::images::front::parse_cidr(&config.session_net.to_string())
        .with_context(|| format!("session range {}", config.session_net))?;
    let cache = config.upstream_registry.as_ref().map(|_| {
        crate::images::registry_service::CACHE_LISTEN.parse().expect("CACHE_LISTEN is IP:PORT")
    });
    let front = crate::images::front::Front { upstream, own: config.registry_front.ip(), nodes, cache };
    Ok((config.registry_front, front))
}

/// Orphaned sandbox and shell processes get reparented to us (not to pid 1), so they cannot
/// escape the backend's accounting; [`crate::reaper`] collects the ones nobody waits for.
fn become_subreaper() {
    match nix::sys::prctl::set_child_subreaper(true) {
        Ok(()) => drop(crate::reaper::spawn(std::time::Duration::from_secs(5))),
        Err(err) => tracing::warn!(?err, "could not become a child subreaper"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(?err, "ctrl-c handler failed");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(err) => {
                tracing::warn!(?err, "SIGTERM handler failed");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
