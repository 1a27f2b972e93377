//! `GET /api/lessons`, `GET /api/lessons/{id}` and a lesson session's step API:
//! `GET /api/sessions/{id}/lesson/progress`, `POST …/lesson/steps/{step}/check|solve`,
//! `POST …/lesson/blocks/{block}/write` (Bearer token; `?lang=` picks the lesson's language).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use protocol::{ActionResponse, Lesson, LessonProgress, LessonSummary, StepStatus};
use serde::Deserialize;

use super::AuthorizedSession;
use crate::config::Config;
use crate::error::AppError;
use crate::lessons::live::LiveLessons;
use crate::limits::{Limits, Slot};
use crate::lessons::steps::{LessonError, LessonSession};
use crate::provider::SandboxProvider;
use crate::server::AppState;
use crate::sessions::{NewSession, SessionRegistry};

/// Language used when a request names none.
pub const DEFAULT_LANG: &str = "es";

/// What the lesson handlers share.
#[derive(Clone)]
pub struct LessonsState {
    /// The watched lessons and session progress.
    pub live: Arc<LiveLessons>,
    /// The live sessions.
    pub sessions: Arc<SessionRegistry>,
    /// Runs scripts in nodes.
    pub provider: Arc<dyn SandboxProvider>,
    /// Concurrent commands per session (checks and solves count).
    pub limits: Arc<Limits>,
}

impl FromRef<LessonsState> for Arc<SessionRegistry> {
    fn from_ref(state: &LessonsState) -> Self {
        state.sessions.clone()
    }
}

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

/// The lesson routes (relative to `/api`), with their own state, for any outer state.
pub fn router<S: Clone + Send + Sync + 'static>(app: &AppState) -> Router<S> {
    let state = LessonsState {
        live: LiveLessons::for_dir(&app.config.lessons_dir, app.config.images_dir.as_deref()),
        sessions: app.sessions.clone(),
        provider: app.provider.clone(),
        limits: app.limits.clone(),
    };
    Router::new()
        .route("/lessons", get(list_lessons))
        .route("/lessons/{id}", get(get_lesson))
        .route("/sessions/{id}/lesson/progress", get(get_progress))
        .route("/sessions/{id}/lesson/steps/{step}/check", post(check_step))
        .route("/sessions/{id}/lesson/steps/{step}/solve", post(solve_step))
        .route("/sessions/{id}/lesson/blocks/{block}/write", post(write_block))
        .layer(axum::extract::DefaultBodyLimit::max(super::JSON_BODY_LIMIT))
        .with_state(state)
}

/// The session a lesson gets: its node count, and its duration as the lifetime.
pub fn lesson_session(config: &Config, lesson: &str) -> Result<NewSession, LessonError> {
    let live = LiveLessons::for_dir(&config.lessons_dir, config.images_dir.as_deref());
    let summary = live
        .store
        .resolve_lang(lesson, DEFAULT_LANG)
        .and_then(|lang| live.store.get(lesson, &lang))
        .map(|l| l.summary.clone())
        .ok_or_else(|| LessonError::UnknownLesson(lesson.to_string()))?;
    Ok(NewSession {
        nodes: summary.nodes,
        lesson: Some(summary.id),
        ttl: Some(Duration::from_secs(u64::from(summary.duration_minutes) * 60)),
    })
}

/// The catalog; with `?lang=`, one entry per lesson in that language (or its fallback).
pub async fn list_lessons(
    State(state): State<LessonsState>,
    Query(q): Query<LangQuery>,
) -> Json<Vec<LessonSummary>> {
    let all = state.live.store.list();
    let Some(lang) = q.lang.as_deref().filter(|l| !l.is_empty()) else {
        return Json(all);
    };
    let mut ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    ids.dedup();
    let picked = ids
        .iter()
        .filter_map(|id| state.live.store.resolve_lang(id, lang).map(|l| (*id, l)))
        .filter_map(|(id, l)| all.iter().find(|s| s.id == id && s.lang == l).cloned())
        .collect();
    Json(picked)
}

/// One lesson, in `?lang=` or another language it exists in.
pub async fn get_lesson(
    State(state): State<LessonsState>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Json<Lesson>, LessonError> {
    let store = &state.live.store;
    let lesson = store
        .resolve_lang(&id, q.lang())
        .and_then(|lang| store.get(&id, &lang))
        .ok_or(LessonError::LessonNotFound(id))?;
    Ok(Json((*lesson).clone()))
}

/// A step number from the path: 1, 2, …
fn parse_step(s: &str) -> Result<u32, LessonError> {
    s.parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| AppError::BadRequest(format!("step must be a number from 1, not {s:?}")).into())
}

/// Opens the (already authorized) session's lesson, with one of the session's command slots:
/// checks and solves run in the nodes like execs and share their per-session cap.
fn open(state: LessonsState, id: &str, q: &LangQuery) -> Result<(LessonSession, Slot<String>), LessonError> {
    let slot = state.limits.exec_slot(id)?;
    let lesson = LessonSession::open(state.live, state.sessions, state.provider, id, q.lang())?;
    Ok((lesson, slot))
}

/// Every checked step's status.
pub async fn get_progress(
    State(state): State<LessonsState>,
    session: AuthorizedSession,
    Query(q): Query<LangQuery>,
) -> Result<Json<LessonProgress>, LessonError> {
    let (lesson, _slot) = open(state, &session.id, &q)?;
    Ok(Json(lesson.progress().await))
}

/// Runs one step's check.
pub async fn check_step(
    State(state): State<LessonsState>,
    session: AuthorizedSession,
    Path((_, step)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> Result<Json<StepStatus>, LessonError> {
    let step = parse_step(&step)?;
    let (lesson, _slot) = open(state, &session.id, &q)?;
    tracing::info!(session_id = %session.id, step, "lesson check");
    Ok(Json(lesson.check(step).await?))
}

/// "Skip": completes one step.
pub async fn solve_step(
    State(state): State<LessonsState>,
    session: AuthorizedSession,
    Path((_, step)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> Result<Json<ActionResponse>, LessonError> {
    let step = parse_step(&step)?;
    let (lesson, _slot) = open(state, &session.id, &q)?;
    tracing::info!(session_id = %session.id, step, "lesson solve");
    Ok(Json(lesson.solve(step).await?))
}

/// Writes one file block in its node.
pub async fn write_block(
    State(state): State<LessonsState>,
    session: AuthorizedSession,
    Path((_, block)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> Result<Json<ActionResponse>, LessonError> {
    let (lesson, _slot) = open(state, &session.id, &q)?;
    tracing::info!(session_id = %session.id, block = %block, "lesson file write");
    Ok(Json(lesson.write_block(&block).await?))
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
