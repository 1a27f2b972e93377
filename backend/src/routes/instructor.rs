//! The [`Instructor`] extractor: every classroom endpoint for the instructor starts with it.
//! It accepts an instructor token (`Authorization: Bearer …`; `?token=` only where a browser
//! cannot set headers: a WebSocket upgrade or an `EventSource`) and refuses anything else,
//! session tokens included (they are not in the instructor table).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use crate::classes::instructor::instructor_authorized;
use crate::error::AppError;
use crate::state::AppState;

/// A request that carries an instructor token.
#[derive(Debug, Clone, Copy)]
pub struct Instructor;

impl FromRequestParts<AppState> for Instructor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(&parts.headers).or_else(|| {
            let streams = is_websocket_upgrade(&parts.headers) || wants_event_stream(&parts.headers);
            streams.then(|| query_token(parts.uri.query())).flatten()
        });
        match token {
            Some(token) if instructor_authorized(state.classes.store(), &token) => Ok(Self),
            _ => Err(AppError::InstructorOnly),
        }
    }
}

/// Whether `bearer` is an instructor token of `state`'s server (for other views, e.g. admin).
pub fn instructor_bearer_ok(state: &AppState, bearer: &str) -> bool {
    instructor_authorized(state.classes.store(), bearer)
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/event-stream"))
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|kv| kv.strip_prefix("token=")).filter(|t| !t.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_tokens_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Bearer  abc ".parse().unwrap());
        assert_eq!(bearer(&h).as_deref(), Some("abc"));
        assert!(!wants_event_stream(&h) && !is_websocket_upgrade(&h));
        h.insert(header::ACCEPT, "text/event-stream".parse().unwrap());
        assert!(wants_event_stream(&h));
        assert_eq!(query_token(Some("lang=es&token=t1")).as_deref(), Some("t1"));
        assert_eq!(query_token(Some("token=")), None);
    }
}
