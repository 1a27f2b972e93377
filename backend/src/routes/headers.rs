//! What the app adds around every response: the `Host` allowlist (`MUELLE_ALLOWED_HOSTS`) and
//! the security headers (`Content-Security-Policy`, `X-Frame-Options`, `nosniff`,
//! `Referrer-Policy`).

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;

/// Wraps `app` in the host check and the security headers. `static_dir` is the built frontend,
/// whose `index.html` inline scripts (Trunk's wasm loader) the policy allows by hash.
pub fn secure(app: Router, allowed_hosts: &[String], static_dir: &Path) -> Router {
    let csp = content_security_policy(&inline_script_hashes(static_dir));
    let csp = HeaderValue::from_str(&csp).expect("the policy is ASCII");
    let app = app
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ));
    if allowed_hosts.is_empty() {
        return app;
    }
    let allowed: Arc<[String]> = allowed_hosts.into();
    app.layer(axum::middleware::from_fn_with_state(allowed, check_host))
}

/// The policy for the Yew app: its own scripts and wasm (`'wasm-unsafe-eval'` lets a page
/// compile WebAssembly, not run `eval`), Trunk's inline loader by hash, inline styles (xterm.js
/// writes a `<style>` element), `data:` images (the favicon), fetches and WebSockets to itself;
/// no plugins, no framing, forms and `<base>` only to itself.
pub fn content_security_policy(script_hashes: &[String]) -> String {
    let hashes: String = script_hashes.iter().map(|h| format!(" '{h}'")).collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// `sha256-…` of every inline `<script>` in `dir/index.html` (none when it is missing).
pub fn inline_script_hashes(dir: &Path) -> Vec<String> {
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap_or_default();
    let mut hashes = Vec::new();
    let mut rest = html.as_str();
    while let Some(open) = rest.find("<script") {
        rest = &rest[open..];
        let Some(tag_end) = rest.find('>') else { break };
        let tag = &rest[..tag_end];
        let body_and_more = &rest[tag_end + 1..];
        let Some(close) = body_and_more.find("</script>") else { break };
        if !tag.contains(" src=") {
            let digest = Sha256::digest(&body_and_more.as_bytes()[..close]);
            hashes.push(format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &body_and_more[close..];
    }
    hashes
}

/// 421 `MISDIRECTED_REQUEST` unless the request's host is allowed (`/healthz` always answers,
/// for probes that use an address).
async fn check_host(State(allowed): State<Arc<[String]>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or("");
    if req.uri().path() == protocol::routes::HEALTHZ || host_allowed(&allowed, host) {
        next.run(req).await
    } else {
        AppError::MisdirectedRequest.into_response()
    }
}

/// Whether `host` (`name[:port]`) is one of `allowed` (`name` or `*.domain`), case-insensitively.
pub fn host_allowed(allowed: &[String], host: &str) -> bool {
    let name = strip_port(host).to_ascii_lowercase();
    !name.is_empty()
        && allowed.iter().any(|a| match a.strip_prefix("*.") {
            Some(domain) => name.strip_suffix(domain).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => strip_port(a).eq_ignore_ascii_case(&name),
        })
}

/// The name of `name[:port]`; IPv6 addresses lose their brackets (`[::1]:80` and `::1` → `::1`).
fn strip_port(host: &str) -> &str {
    if host.matches(':').count() > 1 && !host.starts_with('[') {
        return host;
    }
    if host.starts_with('[') {
        // [v6]:port
        return host.split_once(']').map_or(host, |(h, _)| &h[1..]);
    }
    host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_names_and_wildcards() {
        let allowed = ["muelle.lan".to_string(), "*.ports.lan".to_string(), "::1".to_string()];
        assert!(host_allowed(&allowed, "muelle.lan"));
        assert!(host_allowed(&allowed, "MUELLE.lan:8080"));
        assert!(host_allowed(&allowed, "8000-node1-abc.ports.lan:8080"));
        assert!(host_allowed(&allowed, "[::1]:8080"));
        assert!(host_allowed(&["[::1]".to_string()], "[::1]"));
        assert!(!host_allowed(&allowed, "ports.lan"));
        assert!(!host_allowed(&allowed, "evilports.lan"));
        assert!(!host_allowed(&allowed, "evil.example"));
        assert!(!host_allowed(&allowed, "muelle.lan.evil.example"));
        assert!(!host_allowed(&allowed, ""));
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let html = r#"<html><head><script src="/x.js"></script><script type="module">import init from '/a.js';</script></head></html>"#;
        std::fs::write(dir.path().join("index.html"), html).unwrap();
        let digest = Sha256::digest(b"import init from '/a.js';");
        let want = format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest));
        assert_eq!(inline_script_hashes(dir.path()), vec![want.clone()]);
        assert!(content_security_policy(std::slice::from_ref(&want)).contains(&format!("'self' 'wasm-unsafe-eval' '{want}';")));
        assert!(inline_script_hashes(&dir.path().join("missing")).is_empty());
    }
}
