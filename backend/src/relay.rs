//! One HTTP/1.1 exchange with an upstream the backend does not trust (a node's published port, the
//! local registry), streamed both ways: bodies pass frame by frame, so memory stays bounded by
//! hyper's buffers whatever the size, and a `101 Switching Protocols` is spliced byte for byte.
//!
//! Each exchange opens its own connection: upstreams are on this machine or a session bridge,
//! so a connect costs little, and no pooled connection is ever shared between two clients.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

/// How long a connect to an upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an upstream may take to send its response head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(60);

/// Why an exchange failed before a response head arrived.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Nothing accepted the connection.
    #[error("cannot connect: {0}")]
    Connect(#[source] std::io::Error),
    /// The connect or the response head took too long.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The upstream broke the HTTP exchange.
    #[error("bad HTTP answer: {0}")]
    Http(#[source] hyper::Error),
}

/// Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never the next one.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
];

/// Whether a request asks to switch protocols (a WebSocket handshake).
pub fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
}

/// `headers` without hop-by-hop ones (also those the `Connection` header names); with
/// `keep_upgrade`, `Upgrade` and `Connection: upgrade` stay, for a protocol switch.
pub fn end_to_end(headers: &HeaderMap, keep_upgrade: bool) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (k, v) in headers {
        let name = k.as_str();
        let upgrade_kept = keep_upgrade && name == "upgrade";
        if !upgrade_kept && (HOP_BY_HOP.contains(&name) || named.iter().any(|n| n == name)) {
            continue;
        }
        out.append(k.clone(), v.clone());
    }
    if keep_upgrade {
        out.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
    out
}

/// Sends `req` (origin-form URI, headers already chosen by the caller) to `addr` and returns the
/// response head with its body still streaming from the upstream.
pub async fn send(addr: SocketAddr, req: Request<Body>) -> Result<Response<Body>, RelayError> {
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| RelayError::Timeout(CONNECT_TIMEOUT))?
        .map_err(RelayError::Connect)?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(RelayError::Http)?;
    tokio::spawn(async move {
        if let Err(err) = conn.with_upgrades().await {
            tracing::debug!(%err, "upstream connection ended");
        }
    });
    let resp = tokio::time::timeout(HEAD_TIMEOUT, sender.send_request(req))
        .await
        .map_err(|_| RelayError::Timeout(HEAD_TIMEOUT))?
        .map_err(RelayError::Http)?;
    Ok(resp.map(Body::new))
}

/// After a `101` from the upstream, copies bytes between the client's and the upstream's
/// upgraded connections until either side closes.
pub fn splice(client: OnUpgrade, upstream: &mut Response<Body>) {
    let upstream = hyper::upgrade::on(upstream);
    tokio::spawn(async move {
        let (client, upstream) = match tokio::try_join!(client, upstream) {
            Ok(pair) => pair,
            Err(err) => return tracing::debug!(%err, "upgrade not completed"),
        };
        let (mut a, mut b) = (TokioIo::new(client), TokioIo::new(upstream));
        match tokio::io::copy_bidirectional(&mut a, &mut b).await {
            // Only port links splice: their bytes are counted.
            Ok((up, down)) => drop(crate::metrics::METRICS.port_link_bytes.fetch_add(up + down, std::sync::atomic::Ordering::Relaxed)),
            Err(err) => tracing::debug!(%err, "upgraded connection ended"),
        }
    });
}

/// A request for `addr` with `path_and_query`, the given headers and `Host`, and `body`.
pub fn request(
    method: axum::http::Method,
    path_and_query: &str,
    mut headers: HeaderMap,
    host: HeaderValue,
    body: Body,
) -> Result<Request<Body>, axum::http::Error> {
    headers.insert(header::HOST, host);
    let mut req = Request::builder()
        .method(method)
        .uri(path_and_query)
        .body(body)?;
    *req.headers_mut() = headers;
    Ok(req)
}

/// A plain-text response.
pub fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(Body::from(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Removes every header named `name`.
pub fn drop_header(headers: &mut HeaderMap, name: &HeaderName) {
    while headers.remove(name).is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn hop_by_hop_headers_and_the_ones_connection_names_are_dropped() {
        let h = map(&[
            ("connection", "keep-alive, x-secret"),
            ("x-secret", "1"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("accept", "*/*"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
        ]);
        let out = end_to_end(&h, false);
        let names: Vec<&str> = out.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, vec!["accept", "set-cookie"]);
        assert_eq!(out.get_all("set-cookie").iter().count(), 2);
    }

    #[test]
    fn an_upgrade_keeps_its_two_headers() {
        let h = map(&[
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-key", "k"),
        ]);
        assert!(wants_upgrade(&h));
        let out = end_to_end(&h, true);
        assert_eq!(out["upgrade"], "websocket");
        assert_eq!(out["connection"], "upgrade");
        assert_eq!(out["sec-websocket-key"], "k");
        assert!(!wants_upgrade(&map(&[("upgrade", "websocket")])));
        assert!(!wants_upgrade(&map(&[("connection", "keep-alive")])));
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connect_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let req = request(
            axum::http::Method::GET,
            "/",
            HeaderMap::new(),
            HeaderValue::from_static("x"),
            Body::empty(),
        )
        .unwrap();
        assert!(matches!(send(addr, req).await, Err(RelayError::Connect(_))));
    }
}
