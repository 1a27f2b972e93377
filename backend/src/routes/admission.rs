//! Who may start a session: a same-origin JSON request, within its address's rate, with the
//! class's join code when one is set, while the data directory has room for more node disks.

use std::path::Path;

use axum::http::{header, HeaderMap};

use crate::config::{Config, ServerLimits};
use crate::error::AppError;
use crate::sessions::alloc::{digests_match, token_digest};

/// Refuses a request whose `Origin` (when the browser sent one) is neither the server itself
/// (the request's `Host`) nor one of `MUELLE_ALLOWED_ORIGINS`. A page on another site can make
/// a browser POST here without any preflight (a form, `fetch` with `text/plain`, `no-cors`), but
/// cannot hide its origin.
pub fn check_origin(headers: &HeaderMap, limits: &ServerLimits) -> Result<(), AppError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("").trim().trim_end_matches('/');
    if limits.allowed_origins.iter().any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin)) {
        return Ok(());
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    match authority {
        Some(a) if !host.is_empty() && a.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(AppError::ForbiddenOrigin(if origin.is_empty() { "a page with no origin".into() } else { origin.into() })),
    }
}

/// Requires `Content-Type: application/json`: the one type a cross-site page cannot send
/// without a CORS preflight (which this server never grants).
pub fn check_json(headers: &HeaderMap) -> Result<(), AppError> {
    let mime = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = mime.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType)
    }
}

/// The join code, when the operator set one (compared in constant time).
pub fn check_join_code(limits: &ServerLimits, given: Option<&str>) -> Result<(), AppError> {
    let Some(want) = &limits.join_code else {
        return Ok(());
    };
    let given = given.map(str::trim).unwrap_or("");
    let (a, b) = (token_digest(want), token_digest(given));
    if digests_match(&a, &b) && !given.is_empty() {
        Ok(())
    } else {
        Err(AppError::JoinCodeRequired)
    }
}

/// Free MiB the data directory's filesystem must have to admit `new` nodes beside `live` ones.
///
/// Node disks are sparse files of `disk_mb` each: what a node has already written is already
/// gone from the free space, but each may still grow to its full size. Promising every disk in
/// full would refuse a class on any ordinary machine (200 nodes × 10 GiB), and promising nothing
/// lets the disk fill under running nodes. The rule keeps the operator's reserve free plus 1/64
/// of every promised disk (160 MiB per 10 GiB node, about what an idle node with a few pulled
/// images writes), so admission stops while there is still room for the live nodes to work.
pub fn disk_needed_mb(reserve_mb: u64, disk_mb: u64, live: u32, new: u32) -> u64 {
    reserve_mb + disk_mb / 64 * u64::from(live + new)
}

/// 503 `DISK_FULL` when `data_dir`'s filesystem has less room than [`disk_needed_mb`].
pub fn check_disk(config: &Config, live: u32, new: u32) -> Result<(), AppError> {
    let free = free_mb(&config.data_dir)?;
    let needed = disk_needed_mb(config.limits.disk_reserve_mb, config.node_limits.disk_mb, live, new);
    if free < needed {
        tracing::warn!(free_mb = free, needed_mb = needed, live, new, "refusing new nodes: disk nearly full");
        return Err(AppError::DiskFull);
    }
    Ok(())
}

/// MiB available to unprivileged users on the filesystem of `dir` (or of its nearest existing
/// parent, before the first node creates it).
fn free_mb(dir: &Path) -> Result<u64, AppError> {
    let existing = dir.ancestors().find(|p| p.exists()).unwrap_or(Path::new("/"));
    let st = nix::sys::statvfs::statvfs(existing)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("statvfs {}: {e}", existing.display())))?;
    Ok((st.blocks_available() * st.fragment_size()) >> 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn origins_must_be_the_server_or_allowed() {
        let mut l = ServerLimits::default();
        assert!(check_origin(&headers(&[("host", "localhost:8080")]), &l).is_ok());
        assert!(check_origin(&headers(&[("host", "localhost:8080"), ("origin", "http://localhost:8080")]), &l).is_ok());
        assert!(check_origin(&headers(&[("host", "10.0.0.5:8080"), ("origin", "http://10.0.0.5:8080")]), &l).is_ok());
        let evil = headers(&[("host", "localhost:8080"), ("origin", "https://evil.example")]);
        assert!(matches!(check_origin(&evil, &l), Err(AppError::ForbiddenOrigin(_))));
        assert!(check_origin(&headers(&[("host", "localhost:8080"), ("origin", "null")]), &l).is_err());
        assert!(check_origin(&headers(&[("host", "localhost:8080"), ("origin", "http://localhost:9999")]), &l).is_err());
        l.allowed_origins = vec!["https://evil.example/".into()];
        assert!(check_origin(&evil, &l).is_ok());
    }

    #[test]
    fn only_json_bodies() {
        assert!(check_json(&headers(&[("content-type", "application/json")])).is_ok());
        assert!(check_json(&headers(&[("content-type", "Application/JSON; charset=utf-8")])).is_ok());
        assert!(check_json(&headers(&[("content-type", "text/plain")])).is_err());
        assert!(check_json(&headers(&[("content-type", "application/x-www-form-urlencoded")])).is_err());
        assert!(check_json(&HeaderMap::new()).is_err());
    }

    #[test]
    fn join_codes() {
        let mut l = ServerLimits::default();
        assert!(check_join_code(&l, None).is_ok());
        l.join_code = Some("clase-3b".into());
        assert!(check_join_code(&l, Some("clase-3b")).is_ok());
        assert!(check_join_code(&l, Some(" clase-3b ")).is_ok());
        assert!(matches!(check_join_code(&l, Some("clase-3c")), Err(AppError::JoinCodeRequired)));
        assert!(check_join_code(&l, None).is_err());
        assert!(check_join_code(&l, Some("")).is_err());
    }

    #[test]
    fn disk_rule() {
        assert_eq!(disk_needed_mb(2048, 10240, 0, 1), 2048 + 160);
        assert_eq!(disk_needed_mb(2048, 10240, 199, 1), 2048 + 200 * 160);
        // Unlimited disks (0) promise nothing beyond the reserve.
        assert_eq!(disk_needed_mb(2048, 0, 50, 5), 2048);
        let dir = tempfile::tempdir().unwrap();
        let mut c = Config { data_dir: dir.path().join("not/yet"), ..Config::default() };
        assert!(check_disk(&c, 0, 1).is_ok());
        c.limits.disk_reserve_mb = u64::MAX / 2;
        assert!(matches!(check_disk(&c, 0, 1), Err(AppError::DiskFull)));
    }
}
