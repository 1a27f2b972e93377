//! `/proxy/{id}/{node}/{port}/…`: opens a port published in a node in the browser, like Play with
//! Docker's port links. The first request carries `?token=`; it is swapped for an HttpOnly cookie
//! scoped to the session's proxy path and the browser is redirected to the clean URL.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::AppError;
use crate::server::AppState;

/// Hop-by-hop headers (RFC 9110 §7.6.1) and those the proxy sets itself.
const SKIP: &[&str] = &["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length", "proxy-authorization"];

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a plain HTTP client")
    })
}

fn cookie_name(id: &str) -> String {
    format!("muelle_proxy_{id}")
}

/// The session token of a proxy request: its `muelle_proxy_{id}` cookie.
pub fn cookie_token<'a>(headers: &'a HeaderMap, id: &str) -> Option<&'a str> {
    let name = cookie_name(id);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `/proxy/{id}/{node}/{port}` → the same with a trailing slash (relative links then work).
pub async fn proxy_root(Path((id, node, port)): Path<(String, String, u16)>, Query(q): Query<HashMap<String, String>>) -> Redirect {
    let token = q.get("token").map(|t| format!("?token={}", enc(t))).unwrap_or_default();
    Redirect::temporary(&format!("/proxy/{id}/{node}/{port}/{token}"))
}

/// Forwards one request to `http://<node ip>:{port}/{rest}`.
#[allow(clippy::too_many_arguments)]
pub async fn proxy(
    State(state): State<AppState>,
    Path((id, node, port, rest)): Path<(String, String, u16, String)>,
    Query(mut query): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let prefix = format!("/proxy/{id}/{node}/{port}/");
    if let Some(token) = query.remove("token") {
        state.sessions.authorize(&id, &token)?;
        let clean = format!("{prefix}{rest}{}", query_string(&query));
        let cookie = format!("{}={token}; Path=/proxy/{id}/; HttpOnly; SameSite=Lax", cookie_name(&id));
        let mut r = Redirect::to(&clean).into_response();
        r.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cookie).map_err(|e| AppError::Internal(e.into()))?);
        return Ok(r);
    }
    state.sessions.authorize(&id, cookie_token(&headers, &id).ok_or(AppError::Unauthorized)?)?;
    let handle = state.sessions.running_node(&id, &node)?;
    let url = format!("http://{}:{port}/{rest}{}", handle.ip, query_string(&query));
    let mut req = client().request(method, &url).body(body);
    for (k, v) in headers.iter().filter(|(k, _)| !SKIP.contains(&k.as_str()) && *k != header::COOKIE) {
        req = req.header(k, v);
    }
    let upstream = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            let msg = format!("nothing answers on {node} port {port} ({e}). Is a container publishing it (docker run -p {port}:…)?");
            return Ok((StatusCode::BAD_GATEWAY, msg).into_response());
        }
    };
    let status = upstream.status();
    let mut out = HeaderMap::new();
    for (k, v) in upstream.headers().iter().filter(|(k, _)| !SKIP.contains(&k.as_str())) {
        out.append(k, rewrite_location(k, v, &prefix).unwrap_or_else(|| v.clone()));
    }
    let bytes = upstream.bytes().await.map_err(|e| AppError::Internal(e.into()))?;
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    *r.headers_mut() = out;
    Ok(r)
}

fn query_string(q: &HashMap<String, String>) -> String {
    if q.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<String> = q.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
    pairs.sort();
    format!("?{}", pairs.join("&"))
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A redirect to an absolute path of the app stays inside the proxy prefix.
fn rewrite_location(k: &header::HeaderName, v: &HeaderValue, prefix: &str) -> Option<HeaderValue> {
    if k != header::LOCATION {
        return None;
    }
    let loc = v.to_str().ok()?;
    let path = loc.strip_prefix('/').filter(|_| !loc.starts_with("//"))?;
    HeaderValue::from_str(&format!("{prefix}{path}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; muelle_proxy_abc=tok; b=2".parse().unwrap());
        assert_eq!(cookie_token(&h, "abc"), Some("tok"));
        assert_eq!(cookie_token(&h, "other"), None);
    }

    #[test]
    fn absolute_redirects_stay_in_the_prefix() {
        let p = "/proxy/s/node1/80/";
        let v = rewrite_location(&header::LOCATION, &HeaderValue::from_static("/login?x=1"), p).unwrap();
        assert_eq!(v, "/proxy/s/node1/80/login?x=1");
        assert!(rewrite_location(&header::LOCATION, &HeaderValue::from_static("http://elsewhere/"), p).is_none());
        assert!(rewrite_location(&header::LOCATION, &HeaderValue::from_static("//evil/"), p).is_none());
        assert!(rewrite_location(&header::CONTENT_TYPE, &HeaderValue::from_static("/x"), p).is_none());
    }

    #[test]
    fn queries_are_rebuilt_encoded() {
        let mut q = HashMap::new();
        q.insert("q".to_string(), "a b&c".to_string());
        assert_eq!(query_string(&q), "?q=a%20b%26c");
        assert_eq!(query_string(&HashMap::new()), "");
    }
}
