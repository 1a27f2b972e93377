//! `POST /api/sessions`, `GET|DELETE /api/sessions/{id}`, and `GET /api/config` (what the
//! start page must know before it starts one).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use protocol::{CreateSessionRequest, CreateSessionResponse, ServerConfig, SessionInfo, SetupState, SetupStatus};

use super::{admission, parse_optional_json, AuthorizedSession, ClientAddr, LimitedBody};
use crate::error::AppError;
use crate::player::setup;
use crate::state::AppState;
use crate::sessions::NewSession;

/// Whether starting a session needs a join code.
pub async fn get_config(State(state): State<AppState>) -> Json<ServerConfig> {
    Json(ServerConfig { join_code_required: state.config.limits.join_code.is_some() })
}

/// Creates a session (a JSON body, possibly empty: `{"nodes": N, "lesson": "id", "template":
/// "id", "join_code": "…"}`; a lesson wins over a template, a template over `nodes`) → 201 with
/// its token. Admission first: same origin, JSON, the address's rate, the join code, room on
/// the disk.
pub async fn create_session(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    LimitedBody(body): LimitedBody,
) -> Result<(StatusCode, Json<CreateSessionResponse>), AppError> {
    let limits = &state.config.limits;
    let started = std::time::Instant::now();
    if state.ops.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(AppError::Draining);
    }
    admission::check_origin(&headers, limits)?;
    admission::check_json(&headers)?;
    state.limits.session_creation(addr)?;
    let req: CreateSessionRequest = parse_optional_json(&body)?;
    admission::check_join_code(limits, req.join_code.as_deref())?;
    let new = match &req.lesson {
        // A lesson session gets the lesson's nodes and lasts the lesson's duration.
        Some(lesson) => {
            validate_lesson_id(lesson)?;
            super::lessons::lesson_session(&state.lessons, lesson)?
        }
        None => match &req.template {
            Some(t) => NewSession { nodes: crate::templates::find(t)?.nodes, lesson: None, ttl: None },
            None => NewSession { nodes: req.nodes.unwrap_or(1), lesson: None, ttl: None },
        },
    };
    admission::check_disk(&state.config, state.sessions.live_nodes(), u32::from(new.nodes))?;
    let (mut session, token) = state.sessions.create(new).await?;
    if let Some(lesson) = &req.lesson {
        session.setup = lesson_setup(&state, &session.id, lesson).await;
    } else if let Some(t) = &req.template {
        session.setup = crate::templates::form(&state, &session.id, crate::templates::find(t)?).await;
    }
    session.ssh = super::ssh::session_command(&state, &session, &headers);
    state.ops.started(&session.id, addr, || state.sessions.session_ids());
    let m = &crate::metrics::METRICS;
    m.session_starts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    m.start_latency.observe(started.elapsed());
    Ok((StatusCode::CREATED, Json(CreateSessionResponse { session, token })))
}

/// Runs the lesson's `setup:` scripts and starts its `background:` ones in the new session,
/// before the response (so before the student's terminal opens); `None` when it has none. A
/// failure is reported in the status (the session stays, so the student can look at it).
pub(super) async fn lesson_setup(state: &AppState, id: &str, lesson: &str) -> Option<SetupStatus> {
    let store = &state.lessons.store;
    let parsed = store.resolve_lang(lesson, super::lessons::DEFAULT_LANG).and_then(|l| store.parsed(lesson, &l))?;
    if !setup::has_setup(&parsed.front) {
        return None;
    }
    state.lessons.set_setup(id, SetupStatus { state: SetupState::Running, message: None });
    let result = setup::prepare(&state.sessions, &state.provider, id, &parsed.front).await;
    if let Err(err) = &result {
        tracing::warn!(session_id = %id, lesson, error = %err, "lesson setup failed");
    }
    let status = setup::status_of(&result);
    state.lessons.set_setup(id, status.clone());
    Some(status)
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
    session: AuthorizedSession,
    headers: HeaderMap,
) -> Result<Json<SessionInfo>, AppError> {
    let mut info = state.sessions.info(&session.id)?;
    info.setup = state.lessons.setup_of(&session.id);
    info.ssh = super::ssh::session_command(&state, &info, &headers);
    Ok(Json(info))
}

/// Ends the session now → 204.
pub async fn delete_session(
    State(state): State<AppState>,
    session: AuthorizedSession,
) -> Result<StatusCode, AppError> {
    state.sessions.delete(&session.id).await?;
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
