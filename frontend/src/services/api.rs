//! The REST calls the front end makes, on same-origin relative URLs.

use gloo_net::http::{Request, RequestBuilder, Response};
use protocol::{routes, CreateSessionRequest, CreateSessionResponse, ServerConfig, SessionInfo};
use serde::de::DeserializeOwned;

use super::storage;
use crate::error::Error;

/// `GET /api/config`: whether starting a session needs a join code.
pub async fn get_config() -> Result<ServerConfig, Error> {
    json(Request::get(routes::CONFIG).send().await).await
}

/// `POST /api/sessions` with an empty request (one node, default duration).
pub async fn create_session() -> Result<CreateSessionResponse, Error> {
    create_session_with(&CreateSessionRequest::default()).await
}

/// `POST /api/sessions` with `body` (e.g. a lesson id), as JSON (the server takes nothing else),
/// with the remembered join code when the body has none.
pub async fn create_session_with(
    body: &CreateSessionRequest,
) -> Result<CreateSessionResponse, Error> {
    let mut body = body.clone();
    if body.join_code.is_none() {
        body.join_code = storage::load_join_code();
    }
    let req = Request::post(routes::SESSIONS)
        .json(&body)
        .map_err(|e| Error::Decode(e.to_string()))?;
    json(req.send().await).await
}

/// `GET /api/sessions/{id}`: time left and nodes.
pub async fn get_session(id: &str, token: &str) -> Result<SessionInfo, Error> {
    let req = authorized(Request::get(&routes::session(id)), token);
    json(req.send().await).await
}

/// `DELETE /api/sessions/{id}`: ends the session now.
pub async fn end_session(id: &str, token: &str) -> Result<(), Error> {
    let req = authorized(Request::delete(&routes::session(id)), token);
    checked(req.send().await).await.map(drop)
}

/// Adds the session's bearer token.
pub(super) fn authorized(req: RequestBuilder, token: &str) -> RequestBuilder {
    req.header("Authorization", &format!("Bearer {token}"))
}

/// Turns transport failures and error statuses into [`Error`].
pub(super) async fn checked(sent: Result<Response, gloo_net::Error>) -> Result<Response, Error> {
    let resp = sent.map_err(|e| Error::Network(e.to_string()))?;
    if resp.ok() {
        return Ok(resp);
    }
    let body = resp.text().await.unwrap_or_default();
    Err(Error::from_response(resp.status(), &body))
}

/// Checks the status and decodes the JSON body.
pub(super) async fn json<T: DeserializeOwned>(
    sent: Result<Response, gloo_net::Error>,
) -> Result<T, Error> {
    let resp = checked(sent).await?;
    resp.json().await.map_err(|e| Error::Decode(e.to_string()))
}
