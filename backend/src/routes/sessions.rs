//! `POST /api/sessions`, `GET|DELETE /api/sessions/{id}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use protocol::{CreateSessionRequest, CreateSessionResponse, SessionInfo};

use super::{bearer, parse_optional_json};
use crate::error::AppError;
use crate::lessons::steps::LessonError;
use crate::server::AppState;
use crate::sessions::NewSession;

/// Creates a session (body optional: `{"nodes": N, "lesson": "id"}`) → 201 with its token.
pub async fn create_session(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<CreateSessionResponse>), LessonError> {
    let req: CreateSessionRequest = parse_optional_json(&body)?;
    let new = match &req.lesson {
        // A lesson session gets the lesson's nodes and lasts the lesson's duration.
        Some(lesson) => {
            validate_lesson_id(lesson)?;
            super::lessons::lesson_session(&state.config, lesson)?
        }
        None => NewSession { nodes: req.nodes.unwrap_or(1), lesson: None, ttl: None },
    };
    let (session, token) = state.sessions.create(new).await?;
    Ok((StatusCode::CREATED, Json(CreateSessionResponse { session, token })))
}

/// Lesson ids are file stems like `01-hello`; anything else is refused before it is stored.
fn validate_lesson_id(id: &str) -> Result<(), AppError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(AppError::BadRequest("lesson ids are 1-64 characters of [a-z0-9_-]".into()))
    }
}

/// The session's nodes and remaining time.
pub async fn get_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<SessionInfo>, AppError> {
    let token = bearer(&headers)?;
    state.sessions.authorize(&id, token)?;
    Ok(Json(state.sessions.info(&id)?))
}

/// Ends the session now → 204.
pub async fn delete_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let token = bearer(&headers)?;
    state.sessions.authorize(&id, token)?;
    state.sessions.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesson_ids_are_checked() {
        assert!(validate_lesson_id("01-hello_world").is_ok());
        assert!(validate_lesson_id("../etc/passwd").is_err());
        assert!(validate_lesson_id("").is_err());
        assert!(validate_lesson_id(&"a".repeat(65)).is_err());
    }
}
