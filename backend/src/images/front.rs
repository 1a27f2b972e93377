//! The nodes' read-only door to the local registry: it listens where nodes look for their Docker
//! Hub mirror (`10.99.0.1:5000`, an address on the host's `lo`) and passes only `GET`/`HEAD` of
//! `/v2/...` to the registry on loopback; every write method gets a registry-style `DENIED` error
//! that the docker CLI prints, so one student cannot replace the class's images.
//!
//! Why a front in the backend rather than a second Distribution process in its read-only
//! maintenance mode: Distribution's read-only mode answers writes with `UNSUPPORTED` / "The
//! operation is unsupported.", which tells a student nothing; it still serves every other route
//! (`/debug`, `/metrics` when configured); and it cannot say which images exist. Here the
//! allowlist is three lines, the error says what the classroom's rule is, a pull of an image the
//! registry does not hold lists the ones it does, and bodies stream through [`crate::relay`] with
//! bounded memory. The cost: nodes pull only while a backend runs; a node without a backend has
//! nobody to serve it anyway. The socket uses `SO_REUSEPORT`, so two muelle processes on one
//! host (a server and `muelle lessons test`, or a restart overlapping its predecessor) can both
//! hold the front; they are identical.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;

use crate::relay;

/// The message every write from a node gets.
pub const READ_ONLY: &str = "this classroom's registry is read-only for nodes";
/// Largest registry answer the front reads itself (the catalog, a 404 body).
const SMALL_BODY: usize = 256 << 10;

/// What the front needs: where the registry listens and who may ask.
#[derive(Debug, Clone)]
pub struct Front {
    /// The registry on loopback.
    pub upstream: SocketAddr,
    /// The front's own address (the host connecting to itself uses it as source).
    pub own: IpAddr,
    /// Peers besides loopback and `own`: the session networks.
    pub nodes: (Ipv4Addr, u8),
    /// The pull-through cache of an upstream registry (`MUELLE_UPSTREAM_REGISTRY`): asked for
    /// what the local registry does not hold. `None`: offline, the catalog only.
    pub cache: Option<SocketAddr>,
}

impl Front {
    /// Whether `ip` may use the front: this host, or a node of a session network. Anything else
    /// (a LAN host that routes 10.99.0.1 to this machine) is refused.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        if ip.is_loopback() || ip == self.own {
            return true;
        }
        let IpAddr::V4(v4) = ip else { return false };
        let (net, bits) = self.nodes;
        let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
        u32::from(v4) & mask == u32::from(net) & mask
    }
}

/// A registry error body: `{"errors":[{"code":..,"message":..,"detail":null}]}`.
pub fn registry_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body =
        serde_json::json!({ "errors": [{ "code": code, "message": message, "detail": null }] });
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(
        "docker-distribution-api-version",
        HeaderValue::from_static("registry/2.0"),
    );
    r
}

/// Binds `addr` with `SO_REUSEADDR` and `SO_REUSEPORT` (see the module docs).
pub fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }?;
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr).with_context(|| {
        format!("cannot bind the registry front on {addr} (an older muelle registry on 0.0.0.0:{}? stop it)", addr.port())
    })?;
    Ok(socket.listen(1024)?)
}

/// Serves the front on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, front: Front) -> std::io::Result<()> {
    let app = Router::new().fallback(handle).with_state(Arc::new(front));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// Binds `addr` and serves the front in a task of the current runtime.
pub fn spawn(addr: SocketAddr, front: Front) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = bind(addr)?;
    tracing::info!(%addr, upstream = %front.upstream, "registry front (read-only for nodes) listening");
    Ok(tokio::spawn(async move {
        if let Err(err) = serve(listener, front).await {
            tracing::error!(%err, "registry front stopped");
        }
    }))
}

/// Serves the front on `addr` and, when `tls` is given, its HTTPS door as Docker Hub on port
/// [`HTTPS_PORT`] of the same address ([`super::front_tls`]); the CA goes into `node_rootfs`.
/// Dropping (aborting) the returned task stops both.
pub fn spawn_with_tls(
    addr: SocketAddr,
    front: Front,
    tls_dir: &std::path::Path,
    node_rootfs: &std::path::Path,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let tls = super::front_tls::ensure(tls_dir).context("the registry front's TLS")?;
    super::front_tls::install_in_node_rootfs(node_rootfs, &tls.ca_pem)
        .context("installing the registry CA in the node rootfs")?;
    let https = SocketAddr::new(addr.ip(), HTTPS_PORT);
    let listener = bind(https)?;
    let plain = spawn(addr, front.clone())?;
    tracing::info!(addr = %https, "registry front as Docker Hub (HTTPS) listening");
    let secure = tokio::spawn(serve_https(listener, front, tls.server));
    Ok(tokio::spawn(async move {
        struct AbortOnDrop(tokio::task::JoinHandle<()>);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        let (mut plain, _secure) = (AbortOnDrop(plain), AbortOnDrop(secure));
        let _ = (&mut plain.0).await;
    }))
}

/// The port of the HTTPS door.
pub const HTTPS_PORT: u16 = 443;
/// Connections the HTTPS door holds at once (nodes pulling; more wait in the backlog).
const HTTPS_CONNECTIONS: usize = 256;
/// Time for a TLS handshake and for a request's headers.
const HTTPS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The HTTPS door's accept loop: TLS, then the same handler as the plain front.
async fn serve_https(listener: tokio::net::TcpListener, front: Front, tls: Arc<rustls::ServerConfig>) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::Service;
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let app = Router::new().fallback(handle).with_state(Arc::new(front));
    let slots = Arc::new(tokio::sync::Semaphore::new(HTTPS_CONNECTIONS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!(%err, "registry front (HTTPS): accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let Ok(Ok(stream)) = tokio::time::timeout(HTTPS_TIMEOUT, acceptor.accept(stream)).await else { return };
            let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().call(req)
            });
            let mut http1 = hyper::server::conn::http1::Builder::new();
            http1.timer(TokioTimer::new()).header_read_timeout(HTTPS_TIMEOUT);
            let _ = http1.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// `10.100.0.0/16` → (10.100.0.0, 16).
pub fn parse_cidr(cidr: &str) -> Option<(Ipv4Addr, u8)> {
    let (net, bits) = cidr.split_once('/')?;
    Some((net.parse().ok()?, bits.parse().ok().filter(|b| *b <= 32)?))
}

async fn handle(
    State(front): State<Arc<Front>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response<Body> {
    if !front.allows(peer.ip()) {
        return registry_error(
            StatusCode::FORBIDDEN,
            "DENIED",
            "this registry serves the classroom's nodes only",
        );
    }
    let path = req.uri().path();
    if path != "/v2" && !path.starts_with("/v2/") {
        return registry_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "only /v2/ is served here",
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        tracing::info!(%peer, method = %req.method(), path, "registry front: write refused");
        return registry_error(StatusCode::FORBIDDEN, "DENIED", READ_ONLY);
    }
    forward(&front, req).await
}

async fn forward(front: &Front, req: Request) -> Response<Body> {
    let (parts, _) = req.into_parts();
    let pq = parts
        .uri
        .path_and_query()
        .map_or("/v2/", |p| p.as_str())
        .to_string();
    let mut resp = match send_to(front.upstream, &parts, &pq).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    if resp.status() == StatusCode::NOT_FOUND {
        // Catalog images come from the local registry; anything else from the upstream's cache.
        if let Some(cache) = front.cache.filter(|_| in_repository(parts.uri.path())) {
            return match send_to(cache, &parts, &pq).await {
                Ok(mut r) => {
                    *r.headers_mut() = relay::end_to_end(r.headers(), false);
                    r
                }
                Err(r) => r,
            };
        }
        if let Some(name) = manifest_repo(parts.uri.path()) {
            if let Some(hint) = not_in_catalog(front, name).await {
                return registry_error(StatusCode::NOT_FOUND, "NAME_UNKNOWN", &hint);
            }
        }
    }
    if parts.method == Method::GET && resp.status().is_success() && manifest_repo(parts.uri.path()).is_some() {
        crate::metrics::METRICS.registry_pulls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let headers = relay::end_to_end(resp.headers(), false);
    *resp.headers_mut() = headers;
    resp
}

/// Sends the node's read (`parts`, `pq`) to the registry at `to`; an error is already the
/// registry-style answer for the node.
async fn send_to(to: SocketAddr, parts: &axum::http::request::Parts, pq: &str) -> Result<Response<Body>, Response<Body>> {
    let headers = relay::end_to_end(&parts.headers, false);
    let host = HeaderValue::from_str(&to.to_string()).expect("an address is a header value");
    let req = relay::request(parts.method.clone(), pq, headers, host, Body::empty())
        .map_err(|_| registry_error(StatusCode::BAD_REQUEST, "UNSUPPORTED", "malformed request"))?;
    relay::send(to, req).await.map_err(|err| {
        tracing::warn!(%err, registry = %to, "registry front: registry unreachable");
        registry_error(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "the classroom's registry is not running")
    })
}

/// Whether `path` reads a repository's manifests, blobs or tags (what a cache can answer).
pub fn in_repository(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/v2/") else { return false };
    ["/manifests/", "/blobs/", "/tags/"].iter().any(|part| rest.contains(part))
}

/// `library/alpine` of `/v2/library/alpine/manifests/latest`.
pub fn manifest_repo(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v2/")?;
    let (name, _reference) = rest.rsplit_once("/manifests/")?;
    (!name.is_empty()).then_some(name)
}

/// "alpine is not in this classroom's catalog; available: busybox, debian, …" when the
/// registry holds no repository `name`; `None` when it does (a missing tag is the registry's
/// own error) or the catalog cannot be read.
async fn not_in_catalog(front: &Front, name: &str) -> Option<String> {
    let host = HeaderValue::from_str(&front.upstream.to_string()).ok()?;
    let req = relay::request(
        Method::GET,
        "/v2/_catalog?n=1000",
        Default::default(),
        host,
        Body::empty(),
    )
    .ok()?;
    let resp = relay::send(front.upstream, req).await.ok()?;
    let body = http_body_util::Limited::new(resp.into_body(), SMALL_BODY)
        .collect()
        .await
        .ok()?
        .to_bytes();
    let catalog: serde_json::Value = serde_json::from_slice(&body).ok()?;
    let repos: Vec<&str> = catalog["repositories"]
        .as_array()?
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    if repos.contains(&name) {
        return None;
    }
    let short = |n: &str| n.strip_prefix("library/").unwrap_or(n).to_string();
    let available: Vec<String> = repos.iter().map(|r| short(r)).collect();
    Some(format!(
        "{} is not in this classroom's catalog; available: {}",
        short(name),
        available.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn front() -> Front {
        let own = "10.99.0.1".parse().unwrap();
        Front {
            upstream: ([127, 0, 0, 1], 5001).into(),
            own,
            nodes: (Ipv4Addr::new(10, 100, 0, 0), 16),
            cache: None,
        }
    }

    #[test]
    fn only_this_host_and_session_nodes_may_use_it() {
        let f = front();
        for ok in [
            "127.0.0.1",
            "10.99.0.1",
            "10.100.3.11",
            "10.100.255.254",
            "::1",
            "::ffff:10.100.1.2",
        ] {
            assert!(f.allows(ok.parse().unwrap()), "{ok}");
        }
        for bad in [
            "10.101.0.1",
            "192.168.1.20",
            "10.99.0.2",
            "fe80::1",
            "198.18.0.5",
        ] {
            assert!(!f.allows(bad.parse().unwrap()), "{bad}");
        }
    }

    #[test]
    fn cidrs_parse() {
        assert_eq!(
            parse_cidr("10.100.0.0/16"),
            Some((Ipv4Addr::new(10, 100, 0, 0), 16))
        );
        assert_eq!(parse_cidr("10.100.0.0/33"), None);
        assert_eq!(parse_cidr("10.100.0.0"), None);
    }

    #[test]
    fn manifest_paths_name_their_repository() {
        assert_eq!(
            manifest_repo("/v2/library/alpine/manifests/latest"),
            Some("library/alpine")
        );
        assert_eq!(
            manifest_repo("/v2/a/b/c/manifests/sha256:ab"),
            Some("a/b/c")
        );
        assert_eq!(manifest_repo("/v2/library/alpine/blobs/sha256:ab"), None);
        assert_eq!(manifest_repo("/v2/"), None);
    }

    #[tokio::test]
    async fn errors_are_registry_json() {
        let r = registry_error(StatusCode::FORBIDDEN, "DENIED", READ_ONLY);
        assert_eq!(r.status(), 403);
        let body = r.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["errors"][0]["code"], "DENIED");
        assert_eq!(v["errors"][0]["message"], READ_ONLY);
    }
}
