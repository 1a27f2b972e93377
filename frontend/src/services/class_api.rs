//! The classroom's REST calls and what the browser remembers of it: the instructor token
//! (localStorage) and, per join code, the student's session (localStorage, so a browser restart
//! on the same device comes back to it).

use gloo_net::http::Request;
use protocol::classes::{
    ClassInfo, ClassSummary, CreateClassRequest, CreateClassResponse, ExtendClassResult, JoinClassRequest,
    JoinClassResponse, MoveToLesson, SendMessage, StudentClass,
};
use protocol::SessionInfo;
use serde::{Deserialize, Serialize};

use super::api::{authorized, checked, json};
use super::storage::StoredSession;
use crate::error::Error;

const INSTRUCTOR_KEY: &str = "muelle.instructor";
const CLASS_PREFIX: &str = "muelle.class.";

/// A class's session on this device.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ClassSeat {
    /// The session.
    pub session: StoredSession,
    /// Its lesson (none: playground).
    pub lesson: Option<String>,
}

#[cfg(target_arch = "wasm32")]
fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(not(target_arch = "wasm32"))]
fn local() -> Option<web_sys::Storage> {
    None
}

/// The instructor token this browser was given.
pub fn load_instructor() -> Option<String> {
    local()?.get_item(INSTRUCTOR_KEY).ok()?.filter(|t| !t.is_empty())
}

/// Remembers the instructor token.
pub fn save_instructor(token: &str) {
    if let Some(st) = local() {
        let _ = st.set_item(INSTRUCTOR_KEY, token);
    }
}

/// The session this device has in class `code`.
pub fn load_seat(code: &str) -> Option<ClassSeat> {
    serde_json::from_str(&local()?.get_item(&format!("{CLASS_PREFIX}{}", code.to_uppercase())).ok()??).ok()
}

/// Remembers this device's session in class `code`.
pub fn save_seat(code: &str, seat: &ClassSeat) {
    if let (Some(st), Ok(json)) = (local(), serde_json::to_string(seat)) {
        let _ = st.set_item(&format!("{CLASS_PREFIX}{}", code.to_uppercase()), &json);
    }
}

/// Forgets this device's session in class `code` (it ended).
pub fn forget_seat(code: &str) {
    if let Some(st) = local() {
        let _ = st.remove_item(&format!("{CLASS_PREFIX}{}", code.to_uppercase()));
    }
}

/// `GET /api/classes`.
pub async fn list_classes(token: &str) -> Result<Vec<ClassSummary>, Error> {
    json(authorized(Request::get("/api/classes"), token).send().await).await
}

/// `POST /api/classes`.
pub async fn create_class(token: &str, body: &CreateClassRequest) -> Result<CreateClassResponse, Error> {
    let req = authorized(Request::post("/api/classes"), token).json(body).map_err(|e| Error::Decode(e.to_string()))?;
    json(req.send().await).await
}

/// A GET of an instructor resource as text (the QR code's SVG, the CSV).
pub async fn text(token: &str, id: &str, what: &str) -> Result<String, Error> {
    let resp = checked(authorized(Request::get(&format!("/api/classes/{id}/{what}")), token).send().await).await?;
    resp.text().await.map_err(|e| Error::Decode(e.to_string()))
}

/// A POST of an instructor action with a JSON body (`messages`, `extend`, `end`, a reset).
pub async fn action(token: &str, path: &str, body: &serde_json::Value) -> Result<(), Error> {
    let req = authorized(Request::post(&format!("/api/classes/{path}")), token)
        .json(body)
        .map_err(|e| Error::Decode(e.to_string()))?;
    checked(req.send().await).await.map(drop)
}

/// `POST /api/classes/{id}/extend`: every student's session, as a student's Extend.
pub async fn extend_all(token: &str, id: &str) -> Result<ExtendClassResult, Error> {
    json(authorized(Request::post(&format!("/api/classes/{id}/extend")), token).send().await).await
}

/// `POST /api/classes/{id}/messages`.
pub async fn send_message(token: &str, id: &str, msg: &SendMessage) -> Result<(), Error> {
    action(token, &format!("{id}/messages"), &serde_json::to_value(msg).unwrap_or_default()).await
}

/// `GET /api/classes/{code}/info`.
pub async fn class_info(code: &str) -> Result<ClassInfo, Error> {
    json(Request::get(&format!("/api/classes/{code}/info")).send().await).await
}

/// `POST /api/classes/{code}/join`.
pub async fn join(code: &str, name: &str) -> Result<JoinClassResponse, Error> {
    let body = JoinClassRequest { name: name.to_string() };
    let req = Request::post(&format!("/api/classes/{code}/join")).json(&body).map_err(|e| Error::Decode(e.to_string()))?;
    json(req.send().await).await
}

/// `GET /api/sessions/{id}/class`: the session's class and the messages for this student
/// (`class: None` for a session in no class).
pub async fn student_view(id: &str, token: &str, lang: &str) -> Result<StudentClass, Error> {
    json(authorized(Request::get(&format!("/api/sessions/{id}/class?lang={lang}")), token).send().await).await
}

/// `POST /api/sessions/{id}/class/lesson`: the session moves to another lesson of its class.
pub async fn move_to_lesson(id: &str, token: &str, lesson: &str) -> Result<SessionInfo, Error> {
    let body = MoveToLesson { lesson: lesson.to_string() };
    let req = authorized(Request::post(&format!("/api/sessions/{id}/class/lesson")), token)
        .json(&body)
        .map_err(|e| Error::Decode(e.to_string()))?;
    json(req.send().await).await
}
