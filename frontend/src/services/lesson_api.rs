//! REST calls of the lesson pages: catalog, lesson text, lesson sessions, progress and actions.

use gloo_net::http::Request;
use protocol::{
    routes, ActionResponse, CreateSessionRequest, CreateSessionResponse, Lesson, LessonProgress,
    LessonSummary, StepSolution, StepStatus,
};

use super::api::{authorized, create_session_with, json};
use crate::error::Error;

/// `GET /api/lessons`: every lesson in every language.
pub async fn list_lessons() -> Result<Vec<LessonSummary>, Error> {
    json(Request::get(routes::LESSONS).send().await).await
}

/// `GET /api/lessons/{id}?lang=`: one lesson's text in `lang`.
pub async fn get_lesson(id: &str, lang: &str) -> Result<Lesson, Error> {
    json(Request::get(&routes::lesson(id, lang)).send().await).await
}

/// The lesson in `lang`, or in `other` when it has no `lang` version.
pub async fn get_lesson_any(id: &str, lang: &str, other: &str) -> Result<Lesson, Error> {
    match get_lesson(id, lang).await {
        Err(Error::Api { status: 404, .. }) => get_lesson(id, other).await,
        result => result,
    }
}

/// `POST /api/sessions {"lesson": id}`: a session with the lesson's nodes and duration.
pub async fn create_lesson_session(lesson: &str) -> Result<CreateSessionResponse, Error> {
    let body = CreateSessionRequest {
        lesson: Some(lesson.to_string()),
        ..CreateSessionRequest::default()
    };
    create_session_with(&body).await
}

/// `GET …/lesson/progress`: runs every step check.
pub async fn progress(id: &str, token: &str, lang: &str) -> Result<LessonProgress, Error> {
    let req = authorized(Request::get(&routes::lesson_progress(id, lang)), token);
    json(req.send().await).await
}

/// `POST …/lesson/steps/{step}/check`.
pub async fn check_step(id: &str, token: &str, step: u32, lang: &str) -> Result<StepStatus, Error> {
    let req = authorized(Request::post(&routes::step_check(id, step, lang)), token);
    json(req.send().await).await
}

/// `POST …/lesson/steps/{step}/solve` ("Skip").
pub async fn solve_step(
    id: &str,
    token: &str,
    step: u32,
    lang: &str,
) -> Result<ActionResponse, Error> {
    let req = authorized(Request::post(&routes::step_solve(id, step, lang)), token);
    json(req.send().await).await
}

/// `GET …/lesson/steps/{step}/solution` ("Show solution").
pub async fn step_solution(id: &str, token: &str, step: u32, lang: &str) -> Result<StepSolution, Error> {
    let req = authorized(Request::get(&routes::step_solution(id, step, lang)), token);
    json(req.send().await).await
}

/// `POST …/lesson/blocks/{block}/write` (a file block's button).
pub async fn write_block(
    id: &str,
    token: &str,
    block: &str,
    lang: &str,
) -> Result<ActionResponse, Error> {
    let req = authorized(Request::post(&routes::block_write(id, block, lang)), token);
    json(req.send().await).await
}
