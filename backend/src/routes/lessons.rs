//! `GET /api/lessons`, `GET /api/lessons/{id}` and a lesson session's step API:
//! `GET /api/sessions/{id}/lesson/progress`, `POST …/lesson/steps/{step}/check|solve`, `GET …/lesson/steps/{step}/solution`,
//! `POST …/lesson/blocks/{block}/write` (Bearer token; `?lang=` picks the lesson's language).

use std::time::Duration;

use axum::extract::{FromRequestParts, Path, Query, RawPathParams, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use protocol::{ActionResponse, Lesson, LessonProgress, LessonSummary, StepSolution, StepStatus};
use serde::Deserialize;

use super::AuthorizedSession;
use crate::error::AppError;
use crate::limits::Slot;
use crate::player::live::LiveLessons;
use crate::player::steps::LessonSession;
use crate::sessions::NewSession;
use crate::state::AppState;

/// Language used when a request names none.
pub const DEFAULT_LANG: &str = "es";

/// `?lang=es`
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

impl LangQuery {
    fn lang(&self) -> &str {
        self.lang.as_deref().filter(|l| !l.is_empty()).unwrap_or(DEFAULT_LANG)
    }
}

/// The lesson routes (relative to `/api`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lessons", get(list_lessons))
        .route("/lessons/{id}", get(get_lesson))
        .route("/sessions/{id}/lesson/progress", get(get_progress))
        .route("/sessions/{id}/lesson/steps/{step}/check", post(check_step))
        .route("/sessions/{id}/lesson/steps/{step}/solve", post(solve_step))
        .route("/sessions/{id}/lesson/steps/{step}/solution", get(step_solution))
        .route("/sessions/{id}/lesson/blocks/{block}/write", post(write_block))
}

/// The session a lesson gets: its node count, and its duration as the lifetime.
pub fn lesson_session(live: &LiveLessons, lesson: &str) -> Result<NewSession, AppError> {
    let summary = live
        .store
        .resolve_lang(lesson, DEFAULT_LANG)
        .and_then(|lang| live.store.get(lesson, &lang))
        .map(|l| l.summary.clone())
        .ok_or_else(|| AppError::UnknownLesson(lesson.to_string()))?;
    Ok(NewSession {
        nodes: summary.nodes,
        lesson: Some(summary.id),
        ttl: Some(Duration::from_secs(u64::from(summary.duration_minutes) * 60)),
    })
}

/// The catalog; with `?lang=`, one entry per lesson in that language (or its fallback).
pub async fn list_lessons(State(state): State<AppState>, Query(q): Query<LangQuery>) -> Json<Vec<LessonSummary>> {
    let store = &state.lessons.store;
    let all = store.list();
    let Some(lang) = q.lang.as_deref().filter(|l| !l.is_empty()) else {
        return Json(all);
    };
    let mut ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    ids.dedup();
    let picked = ids
        .iter()
        .filter_map(|id| store.resolve_lang(id, lang).map(|l| (*id, l)))
        .filter_map(|(id, l)| all.iter().find(|s| s.id == id && s.lang == l).cloned())
        .collect();
    Json(picked)
}

/// One lesson, in `?lang=` or another language it exists in.
pub async fn get_lesson(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Json<Lesson>, AppError> {
    let store = &state.lessons.store;
    let lesson = store
        .resolve_lang(&id, q.lang())
        .and_then(|lang| store.get(&id, &lang))
        .ok_or(AppError::LessonNotFound(id))?;
    Ok(Json((*lesson).clone()))
}

/// A step number from the path: 1, 2, …
fn parse_step(s: &str) -> Result<u32, AppError> {
    s.parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| AppError::BadRequest(format!("step must be a number from 1, not {s:?}")))
}

/// What a lesson request names in its path besides the session: nothing, a step or a block.
pub trait Target: Sized {
    /// Reads it from the path's parameters.
    fn from_path(params: &RawPathParams) -> Result<Self, AppError>;
}

impl Target for () {
    fn from_path(_: &RawPathParams) -> Result<Self, AppError> {
        Ok(())
    }
}

/// `{step}`: 1, 2, …
pub struct StepNo(pub u32);

impl Target for StepNo {
    fn from_path(params: &RawPathParams) -> Result<Self, AppError> {
        let step = params.iter().find(|(k, _)| *k == "step").map(|(_, v)| v).unwrap_or_default();
        parse_step(step).map(Self)
    }
}

/// `{block}`: a block id like `2.1`.
pub struct BlockId(pub String);

impl Target for BlockId {
    fn from_path(params: &RawPathParams) -> Result<Self, AppError> {
        let block = params.iter().find(|(k, _)| *k == "block").map(|(_, v)| v.to_string());
        block.map(Self).ok_or(AppError::NotFound)
    }
}

/// The one path every session's lesson request takes before its own work: the session
/// ([`AuthorizedSession`]), `?lang=`, the step or block of the path, then one of the session's
/// command slots (checks and solves run in the nodes like execs and share their per-session cap),
/// held for the request, and the session's lesson in that language.
pub struct LessonCall<T> {
    /// The session.
    pub session: String,
    /// The step or block of the path.
    pub target: T,
    /// The session's lesson.
    pub lesson: LessonSession,
    _slot: Slot<String>,
}

impl<T: Target + Send> FromRequestParts<AppState> for LessonCall<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = AuthorizedSession::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let Query(q) = Query::<LangQuery>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let opened = T::from_path(&params).and_then(|target| {
            let slot = state.limits.exec_slot(&session.id)?;
            let (live, sessions, provider) = (state.lessons.clone(), state.sessions.clone(), state.provider.clone());
            let lesson = LessonSession::open(live, sessions, provider, &session.id, q.lang())?;
            Ok(Self { session: session.id, target, lesson, _slot: slot })
        });
        opened.map_err(IntoResponse::into_response)
    }
}

/// Every checked step's status.
pub async fn get_progress(call: LessonCall<()>) -> Json<LessonProgress> {
    Json(call.lesson.progress().await)
}

/// Runs one step's check.
pub async fn check_step(call: LessonCall<StepNo>) -> Result<Json<StepStatus>, AppError> {
    let StepNo(step) = call.target;
    tracing::info!(session_id = %call.session, step, "lesson check");
    Ok(Json(call.lesson.check(step).await?))
}

/// "Skip": completes one step.
pub async fn solve_step(call: LessonCall<StepNo>) -> Result<Json<ActionResponse>, AppError> {
    let StepNo(step) = call.target;
    tracing::info!(session_id = %call.session, step, "lesson solve");
    Ok(Json(call.lesson.solve(step).await?))
}

/// A step's solution, when the lesson shows its solutions (403 otherwise).
pub async fn step_solution(call: LessonCall<StepNo>) -> Result<Json<StepSolution>, AppError> {
    let StepNo(step) = call.target;
    tracing::info!(session_id = %call.session, step, "lesson solution shown");
    Ok(Json(call.lesson.solution(step)?))
}

/// Writes one file block in its node.
pub async fn write_block(call: LessonCall<BlockId>) -> Result<Json<ActionResponse>, AppError> {
    let BlockId(block) = &call.target;
    tracing::info!(session_id = %call.session, block = %block, "lesson file write");
    Ok(Json(call.lesson.write_block(block).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbers_from_one() {
        assert_eq!(parse_step("3").unwrap(), 3);
        assert!(parse_step("0").is_err());
        assert!(parse_step("x").is_err());
        assert!(parse_step("-1").is_err());
    }

    #[test]
    fn default_language() {
        assert_eq!(LangQuery { lang: None }.lang(), "es");
        assert_eq!(LangQuery { lang: Some(String::new()) }.lang(), "es");
        assert_eq!(LangQuery { lang: Some("en".into()) }.lang(), "en");
    }
}
