//! Extractors every session handler starts with: [`AuthorizedSession`] (the `{id}` of the path
//! and its token, checked) and [`ClientAddr`]. Both read only the request head, so axum runs
//! them before a body extractor (`Bytes`, `Json`, `Body`): a request without the session's token
//! is answered before one byte of its body is read.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use crate::error::AppError;
use crate::sessions::SessionRegistry;

/// A session whose token the request carries: `Authorization: Bearer <token>`, or, on a
/// WebSocket upgrade only (browsers cannot set headers there), `?token=<token>`.
#[derive(Debug, Clone)]
pub struct AuthorizedSession {
    /// The session id from the path.
    pub id: String,
}

impl<S> FromRequestParts<S> for AuthorizedSession
where
    S: Send + Sync,
    Arc<SessionRegistry>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|_| AppError::NotFound)?;
        let id = params.iter().find(|(k, _)| *k == "id").map(|(_, v)| v.to_string()).ok_or(AppError::NotFound)?;
        let sessions = Arc::<SessionRegistry>::from_ref(state);
        let token = match bearer(&parts.headers) {
            Ok(token) => token.to_string(),
            Err(err) if is_websocket_upgrade(&parts.headers) => query_token(parts.uri.query()).ok_or(err)?,
            Err(err) => return Err(err),
        };
        sessions.authorize(&id, &token)?;
        Ok(Self { id })
    }
}

/// The token of an `Authorization: Bearer <token>` header. Private: handlers take
/// [`AuthorizedSession`] and never read a token themselves.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<&str, AppError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AppError::Unauthorized)
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// `token=` of a query string (tokens are hex: no percent-decoding needed, none is done).
fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The peer address of the connection (set by [`crate::serve`]); the unspecified address when
/// the app runs without one (in-process tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(Self(canonical(ip)))
    }
}

/// IPv4-mapped IPv6 addresses count as their IPv4 address (one client, one bucket).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_extracted() {
        let mut h = HeaderMap::new();
        assert!(matches!(bearer(&h), Err(AppError::Unauthorized)));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(bearer(&h).is_err());
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h).unwrap(), "abc");
    }

    #[test]
    fn query_tokens_and_mapped_addresses() {
        assert_eq!(query_token(Some("a=1&token=ab12")).as_deref(), Some("ab12"));
        assert_eq!(query_token(Some("token=")), None);
        assert_eq!(query_token(None), None);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(canonical(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}
