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
            spanish(req.headers()),
            ["No such port link", "No existe ese enlace de puerto"],
            ["This address names no port of a muelle session.", "Esta dirección no nombra ningún puerto de una sesión de muelle."],
        ),
        HostKind::Link(t) => open_link(&ctx, t, req).await,
    }
}

async fn open_link(ctx: &Links, t: LinkTarget, req: Request) -> Response {
    let es = spanish(req.headers());
    if let Some(cred) = query_param(req.uri(), LINK_PARAM) {
        if !ctx.links.verify(&t, &cred) {
            return forbidden(es);
        }
        return handoff(req.uri(), &cred);
    }
    if !cookie_values(req.headers(), COOKIE).any(|c| ctx.links.verify(&t, &c)) {
        return forbidden(es);
    }
    let handle = match ctx.state.sessions.running_node(&t.session, &t.node) {
        Ok(h) => h,
        Err(AppError::NodeNotReady) => {
            return page(
                StatusCode::CONFLICT,
                es,
                ["Node not running", "El nodo no está en marcha"],
                [&format!("{} is not running.", t.node), &format!("{} no está en marcha.", t.node)],
            )
        }
        Err(_) => {
            return page(
                StatusCode::NOT_FOUND,
                es,
                ["Session ended", "La sesión ha terminado"],
                ["This session or node no longer exists.", "Esta sesión o este nodo ya no existen."],
            )
        }
    };
    let Ok(ip) = handle.ip.parse::<IpAddr>() else {
        return page(
            StatusCode::BAD_GATEWAY,
            es,
            ["No address", "Sin dirección"],
            ["The node has no address.", "El nodo no tiene dirección."],
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
    let es = spanish(req.headers());
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
            es,
            ["Bad request", "Petición no válida"],
            ["This request cannot be passed on.", "Esta petición no se puede pasar al nodo."],
        );
    };
    let mut resp = match relay::send(addr, upstream).await {
        Ok(r) => r,
        Err(err) => {
            let en = format!(
                "Nothing answers on {} port {} ({err}). Is a container publishing it (docker run -p {}:…)?",
                t.node, t.port, t.port
            );
            let es_text = format!(
                "Nada responde en {} puerto {} ({err}). ¿Lo publica algún contenedor (docker run -p {}:…)?",
                t.node, t.port, t.port
            );
            return page(StatusCode::BAD_GATEWAY, es, ["Nothing answers", "Nada responde"], [&en, &es_text]);
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

fn forbidden(es: bool) -> Response {
    page(
        StatusCode::FORBIDDEN,
        es,
        ["This port link needs its own key", "Este enlace de puerto necesita su propia clave"],
        [
            "Open the port from your muelle session page (the port's ↗ link): that link carries a key for this one port. A session token does not open it.",
            "Abre el puerto desde la página de tu sesión de muelle (el enlace ↗ del puerto): ese enlace lleva una clave para este puerto. Un token de sesión no lo abre.",
        ],
    )
}

/// Whether the visitor reads Spanish: the UI's `muelle_lang=es` cookie (sent where the port
/// links share the app's domain), else an `Accept-Language` that puts Spanish first.
fn spanish(headers: &HeaderMap) -> bool {
    if let Some(lang) = cookie_values(headers, crate::provider::welcome::LANG_COOKIE).next() {
        return lang == "es";
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|first| first.trim().to_ascii_lowercase().starts_with("es"))
}

/// A small HTML page in English or Spanish (`[en, es]`; the text is escaped).
fn page(status: StatusCode, es: bool, title: [&str; 2], text: [&str; 2]) -> Response {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let i = usize::from(es);
    let html = format!(
        "<!doctype html><html lang={l}><meta charset=utf-8><title>{t}</title><h1>{t}</h1><p>{x}</p>\n",
        l = if es { "es" } else { "en" },
        t = esc(title[i]),
        x = esc(text[i])
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
    fn error_pages_speak_the_visitors_language() {
        let with = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            spanish(&h)
        };
        assert!(with(&[("accept-language", "es-ES,es;q=0.9,en;q=0.8")]));
        assert!(!with(&[("accept-language", "en-US,es;q=0.5")]));
        assert!(!with(&[]));
        // The UI's choice wins over the browser's.
        assert!(!with(&[("accept-language", "es"), ("cookie", "muelle_lang=en")]));
        assert!(with(&[("accept-language", "en"), ("cookie", "a=1; muelle_lang=es")]));
        let body = |r: Response| async move {
            String::from_utf8(axum::body::to_bytes(r.into_body(), 4096).await.unwrap().to_vec()).unwrap()
        };
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let es = rt.block_on(body(forbidden(true)));
        assert!(es.contains("<html lang=es>") && es.contains("necesita su propia clave"), "{es}");
        let en = rt.block_on(body(page(StatusCode::NOT_FOUND, false, ["A <b>", "B"], ["x & y", "z"])));
        assert!(en.contains("<title>A &lt;b&gt;</title>") && en.contains("<p>x &amp; y</p>"), "{en}");
    }

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
