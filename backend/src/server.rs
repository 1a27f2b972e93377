//! Assembling and running the server: `AppState`, the router, provider choice, startup and
//! graceful shutdown.

use std::sync::Arc;

use anyhow::Context;
use axum::extract::{FromRef, MatchedPath};
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use tower_http::trace::TraceLayer;

use crate::config::{Config, SandboxKind};
use crate::limits::Limits;
use crate::provider::fake::FakeProvider;
use crate::provider::SandboxProvider;
use crate::routes;
use crate::sessions::SessionRegistry;

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
}

impl AppState {
    /// The state of an app over `sessions`, with fresh limits from `config`.
    pub fn new(config: Arc<Config>, sessions: Arc<SessionRegistry>, provider: Arc<dyn SandboxProvider>) -> Self {
        let limits = Arc::new(Limits::new(&config));
        Self { config, sessions, provider, limits }
    }
}

impl FromRef<AppState> for Arc<SessionRegistry> {
    fn from_ref(state: &AppState) -> Self {
        state.sessions.clone()
    }
}

/// The whole HTTP app: `/healthz`, `/api/...`, and the frontend as fallback, behind the host
/// allowlist and with the security headers ([`routes::headers`]). In front of them all, requests
/// whose `Host` names a port link go to that node's port ([`routes::proxy`]): a port link is
/// another origin, answered by the node's app, not by ours.
pub fn app(state: AppState) -> Router {
    let statics = routes::statics::router(&state.config.static_dir);
    let (hosts, static_dir) = (state.config.limits.allowed_hosts.clone(), state.config.static_dir.clone());
    let links = Arc::new(crate::portlinks::PortLinks::new(&state.config));
    let by_host = routes::proxy::Links { state: state.clone(), links: links.clone() };
    let app = Router::new()
        .route(protocol::routes::HEALTHZ, get(routes::health::healthz))
        .nest("/api", routes::api().merge(routes::lessons::router(&state)))
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

/// Runs the server until SIGTERM or ctrl-c: binds, re-adopts stored sessions, starts the expiry
/// task, serves, and on shutdown leaves sessions running for the next process to adopt.
pub async fn run(config: Config) -> anyhow::Result<()> {
    become_subreaper();
    let nofile = crate::serve::raise_nofile_limit();
    tracing::info!(nofile, "open file limit");
    let config = Arc::new(config);
    if config.sandbox == SandboxKind::Real {
        // It keeps running across backend restarts, like the nodes.
        crate::images::registry_service::ensure_registry(&config.data_dir, &config.registry_listen)
            .await
            .context("starting the local registry")?;
    }
    let provider = make_provider(&config)?;
    // Nodes pull through this read-only front; its address exists once the provider prepared
    // the host.
    let front = match config.sandbox {
        SandboxKind::Real => Some(crate::images::front::spawn_for(&config).context("starting the registry front")?),
        SandboxKind::Fake => None,
    };
    let sessions = Arc::new(SessionRegistry::open(config.clone(), provider.clone())?);
    sessions.recover().await.context("recovering sessions")?;
    let swept = sessions.sweep_orphans().await.context("sweeping orphaned nodes")?;
    if swept > 0 {
        tracing::warn!(swept, "removed nodes and bridges a crash had left");
    }
    provider.start_background()?;
    let expiry = sessions.spawn_expiry_task(config.expiry_interval);
    let tls = match &config.tls {
        Some((cert, key)) => Some(crate::tls::load(cert, key)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    tracing::info!(addr = %listener.local_addr()?, tls = tls.is_some(), "listening");
    let limits = config.limits.clone();
    let state = AppState::new(config, sessions, provider);
    crate::serve::serve_tls(listener, app(state), &limits, tls, shutdown_signal()).await?;
    expiry.abort();
    if let Some(front) = front {
        front.abort();
    }
    tracing::info!("stopped");
    Ok(())
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
