//! Port links on their own origin (see [`crate::portlinks`]): a layer in front of the whole app
//! sends every request whose `Host` names a link here, never to the app or the API. The link's
//! credential arrives once as `?muelle_link=`, becomes an HttpOnly cookie of that host, and each
//! later request is relayed to the node with bodies streamed both ways (bounded memory) and
//! WebSocket upgrades spliced through. The old `/proxy/...` paths answer 410.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::portlinks::{
    cookie_values, cookies_without, HostKind, LinkTarget, PortLinks, COOKIE, LINK_PARAM,
};
use crate::relay;
use crate::state::AppState;

/// Largest request body a port link passes to a node.
pub const MAX_LINK_BODY: usize = 64 << 20;
/// Response headers a node's page may not send: they reach beyond the page (a service worker
/// scope wider than its path, wiping the origin's storage).
const DROPPED: &[&str] = &["service-worker-allowed", "clear-site-data"];

/// What the host-routing layer needs.
#[derive(Clone)]
pub struct Links {
    /// The app's state (sessions, to find the node).
    pub state: AppState,
    /// The secret and domain.
    pub links: Arc<PortLinks>,
}

/// The layer: a port-link host goes to its node, anything else to the app.
pub async fn route_by_host(State(ctx): State<Links>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or_default();
    match ctx.links.classify(host) {
        HostKind::App => next.run(req).await,
        HostKind::BadLink => page(
            StatusCode::NOT_FOUND,
            "No such port link",
            "This address names no port of a muelle session.",
        ),
        HostKind::Link(t) => open_link(&ctx, t, req).await,
    }
}

async fn open_link(ctx: &Links, t: LinkTarget, req: Request) -> Response {
    if let Some(cred) = query_param(req.uri(), LINK_PARAM) {
        if !ctx.links.verify(&t, &cred) {
            return forbidden();
        }
        return handoff(req.uri(), &cred);
    }
    if !cookie_values(req.headers(), COOKIE).any(|c| ctx.links.verify(&t, &c)) {
        return forbidden();
    }
    let handle = match ctx.state.sessions.running_node(&t.session, &t.node) {
        Ok(h) => h,
        Err(AppError::NodeNotReady) => {
            return page(
                StatusCode::CONFLICT,
                "Node not running",
                &format!("{} is not running.", t.node),
            )
        }
        Err(_) => {
            return page(
                StatusCode::NOT_FOUND,
                "Session ended",
                "This session or node no longer exists.",
            )
        }
    };
    let Ok(ip) = handle.ip.parse::<IpAddr>() else {
        return page(
            StatusCode::BAD_GATEWAY,
            "No address",
            "The node has no address.",
        );
    };
    forward(req, SocketAddr::new(ip, t.port), &t).await
}

/// Sets the link cookie on this host and redirects to the same URL without the credential.
fn handoff(uri: &Uri, cred: &str) -> Response {
    let rest: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some(LINK_PARAM))
        .collect();
    let query = if rest.is_empty() {
        String::new()
    } else {
        format!("?{}", rest.join("&"))
    };
    let location = format!("{}{query}", uri.path());
    let cookie = format!("{COOKIE}={cred}; Path=/; HttpOnly; SameSite=Lax");
    let mut r = StatusCode::SEE_OTHER.into_response();
    let h = r.headers_mut();
    h.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/")),
    );
    h.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("hex is a header value"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// Relays one request to `addr` (port link `t`), streaming; a `101` is spliced.
pub async fn forward(mut req: Request, addr: SocketAddr, t: &LinkTarget) -> Response {
    let client_upgrade = relay::wants_upgrade(req.headers()).then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    let mut headers = relay::end_to_end(&parts.headers, client_upgrade.is_some());
    relay::drop_header(&mut headers, &header::COOKIE);
    if let Some(value) =
        cookies_without(&parts.headers, COOKIE).and_then(|c| HeaderValue::from_str(&c).ok())
    {
        headers.insert(header::COOKIE, value);
    }
    let host = parts
        .headers
        .get(header::HOST)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("localhost"));
    let body = counted(Body::new(http_body_util::Limited::new(body, MAX_LINK_BODY)));
    let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let Ok(upstream) = relay::request(parts.method, pq, headers, host, body) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "This request cannot be passed on.",
        );
    };
    let mut resp = match relay::send(addr, upstream).await {
        Ok(r) => r,
        Err(err) => {
            let msg = format!(
                "Nothing answers on {} port {} ({err}). Is a container publishing it (docker run -p {}:…)?",
                t.node, t.port, t.port
            );
            return page(StatusCode::BAD_GATEWAY, "Nothing answers", &msg);
        }
    };
    let switching = resp.status() == StatusCode::SWITCHING_PROTOCOLS;
    if let (true, Some(client)) = (switching, client_upgrade) {
        relay::splice(client, &mut resp);
    }
    let headers = response_headers(resp.headers(), switching);
    *resp.headers_mut() = headers;
    resp.map(counted)
}

/// `body`, its data counted in `muelle_port_link_bytes_total` as it streams.
fn counted(body: Body) -> Body {
    use http_body_util::BodyExt;
    Body::new(body.map_frame(|frame| {
        if let Some(data) = frame.data_ref() {
            let n = u64::try_from(data.len()).unwrap_or(u64::MAX);
            crate::metrics::METRICS.port_link_bytes.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        }
        frame
    }))
}

/// The node's response headers a browser gets: end-to-end ones, minus [`DROPPED`]; cookies
/// stay on this host (no `Domain`), and none may replace the link cookie.
pub fn response_headers(upstream: &HeaderMap, switching: bool) -> HeaderMap {
    let mut out = relay::end_to_end(upstream, switching);
    for name in DROPPED {
        out.remove(*name);
    }
    let cookies: Vec<HeaderValue> = out.get_all(header::SET_COOKIE).iter().cloned().collect();
    relay::drop_header(&mut out, &header::SET_COOKIE);
    for c in cookies
        .iter()
        .filter_map(|c| host_only_cookie(c.to_str().ok()?))
    {
        if let Ok(v) = HeaderValue::from_str(&c) {
            out.append(header::SET_COOKIE, v);
        }
    }
    out
}

/// A `Set-Cookie` value without its `Domain` attribute; `None` for the link cookie's name (or a
/// value that is not a cookie). The `cookie` crate parses it, but the attributes other than
/// `Domain` are passed on as the node wrote them: re-serialising with the crate would reorder
/// them and drop the ones it does not model (`Priority`, future ones).
fn host_only_cookie(value: &str) -> Option<String> {
    let cookie = cookie::Cookie::parse(value).ok()?;
    if cookie.name().eq_ignore_ascii_case(COOKIE) {
        return None;
    }
    let mut parts = value.split(';');
    let first = parts.next()?.trim();
    let attrs = parts.map(str::trim).filter(|a| {
        !a.split('=')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("domain")
    });
    Some(
        std::iter::once(first)
            .chain(attrs)
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// A query parameter's raw value.
fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn forbidden() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "This port link needs its own key",
        "Open the port from your muelle session page (the port's ↗ link): that link carries a key for this one port. A session token does not open it.",
    )
}

/// A small HTML page (the text is escaped).
fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>{t}</title><h1>{t}</h1><p>{x}</p>\n",
        t = esc(title),
        x = esc(text)
    );
    let mut r = (status, html).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `/proxy/...`: port links moved to their own origins.
pub async fn gone() -> Response {
    relay::text(
        StatusCode::GONE,
        "Port links moved to their own address (http://<port>-<node>-<session>.localhost:8080/): open them from the session page.\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_and_rewritten_response_headers() {
        let mut h = HeaderMap::new();
        h.insert("service-worker-allowed", "/".parse().unwrap());
        h.insert("clear-site-data", "\"*\"".parse().unwrap());
        h.insert("content-type", "text/html".parse().unwrap());
        h.append(
            "set-cookie",
            "a=1; Domain=ports.school.lan; Path=/; HttpOnly"
                .parse()
                .unwrap(),
        );
        h.append("set-cookie", "Muelle_Link=evil; Path=/".parse().unwrap());
        h.append("set-cookie", "b=2".parse().unwrap());
        let out = response_headers(&h, false);
        assert!(
            !out.contains_key("service-worker-allowed") && !out.contains_key("clear-site-data")
        );
        assert_eq!(out["content-type"], "text/html");
        let cookies: Vec<&str> = out
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(cookies, vec!["a=1; Path=/; HttpOnly", "b=2"]);
    }

    #[test]
    fn the_handoff_strips_the_credential_only() {
        let uri: Uri = "/app/x?a=1&muelle_link=abc&b=2".parse().unwrap();
        assert_eq!(query_param(&uri, LINK_PARAM).as_deref(), Some("abc"));
        let r = handoff(&uri, "abc");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/app/x?a=1&b=2");
        assert_eq!(
            r.headers()["set-cookie"],
            "muelle_link=abc; Path=/; HttpOnly; SameSite=Lax"
        );
        let r = handoff(&"/?muelle_link=abc".parse().unwrap(), "abc");
        assert_eq!(r.headers()["location"], "/");
    }
}
