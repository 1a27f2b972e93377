//! The classroom API: an instructor's classes, students joining them, and the live progress.

use serde::{Deserialize, Serialize};

use crate::session::CreateSessionResponse;

/// `POST /api/classes` (instructor): a new class.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateClassRequest {
    /// What the class is called (shown to students).
    pub name: String,
    /// Lesson ids in order; empty means the playground.
    #[serde(default)]
    pub lessons: Vec<String>,
    /// Nodes per student (playground; a lesson class takes its lessons' largest count if larger).
    #[serde(default)]
    pub nodes: Option<u8>,
    /// Minutes each student's session lasts [default: the server's session lifetime].
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    /// Students the class takes; their nodes are reserved when the class is created.
    pub seats: u32,
}

/// Answer to `POST /api/classes`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CreateClassResponse {
    /// The class id (instructor URLs).
    pub id: String,
    /// The short code students type.
    pub join_code: String,
    /// The link students open.
    pub join_url: String,
}

/// `POST /api/classes/{join_code}/join`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct JoinClassRequest {
    /// The student's display name.
    pub name: String,
}

/// Answer to a join: the student's session as `POST /api/sessions` answers it, plus who they are.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct JoinClassResponse {
    /// The session.
    #[serde(flatten)]
    pub created: CreateSessionResponse,
    /// The student's id in the class.
    pub student_id: String,
    /// The class id.
    pub class_id: String,
}

/// `GET /api/classes/{join_code}/info`: what the join page shows before joining.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ClassInfo {
    /// Class name.
    pub name: String,
    /// Lesson ids (empty: playground).
    pub lessons: Vec<String>,
    /// Seats left.
    pub seats_left: u32,
}

/// One lesson of a class, with its step titles.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ClassLesson {
    /// Lesson id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Step titles, in order (step n is `steps[n-1]`).
    pub steps: Vec<String>,
}

/// A step a student passed.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct StepDone {
    /// Lesson id.
    pub lesson: String,
    /// Step number (from 1).
    pub step: u32,
    /// Unix seconds.
    pub at: i64,
}

/// One student on the dashboard.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct StudentProgress {
    /// Student id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The student's session, while it lives.
    pub session_id: Option<String>,
    /// The session's node names.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// The lesson the student is on.
    pub lesson: Option<String>,
    /// Steps passed.
    pub done: Vec<StepDone>,
    /// Unix seconds since the student has been on the current step (joined or passed the last).
    pub step_since: i64,
    /// Unix seconds the student joined.
    pub joined_at: i64,
}

/// `GET /api/classes/{id}/progress` and each event of `GET /api/classes/{id}/events`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ClassProgress {
    /// Class id.
    pub id: String,
    /// Class name.
    pub name: String,
    /// Join code.
    pub join_code: String,
    /// Seats.
    pub seats: u32,
    /// Nodes per student.
    pub nodes: u8,
    /// Whether the class has ended.
    pub ended: bool,
    /// The lessons (empty: playground).
    pub lessons: Vec<ClassLesson>,
    /// The students, in join order.
    pub students: Vec<StudentProgress>,
    /// The server's clock (unix seconds), for "time on the current step".
    pub now: i64,
}

/// `GET /api/classes` (instructor): the classes, newest first.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ClassSummary {
    /// Class id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Join code.
    pub join_code: String,
    /// Students joined.
    pub students: u32,
    /// Seats.
    pub seats: u32,
    /// Whether it has ended.
    pub ended: bool,
}

/// `POST /api/classes/{id}/messages` (instructor).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct SendMessage {
    /// The text.
    pub text: String,
    /// One student's id; none means everyone.
    #[serde(default)]
    pub student: Option<String>,
}

/// A message from the instructor, as a student sees it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ClassMessage {
    /// Increasing id.
    pub id: i64,
    /// The text.
    pub text: String,
    /// Unix seconds.
    pub at: i64,
    /// Sent to the whole class (else to this student only).
    pub to_all: bool,
}

/// `GET /api/sessions/{id}/class` (the student's session token): the class the session is in.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct StudentClassView {
    /// Class name.
    pub class_name: String,
    /// Student's display name.
    pub student_name: String,
    /// Messages for this student, oldest first.
    pub messages: Vec<ClassMessage>,
    /// The class's lessons in order (empty: playground).
    #[serde(default)]
    pub lessons: Vec<ClassLesson>,
    /// The lesson the session is on now.
    #[serde(default)]
    pub lesson: Option<String>,
}

/// `POST /api/sessions/{id}/class/lesson` (the student's session token): moves the session to
/// another lesson of its class, keeping its nodes (answered with the session, as `GET
/// /api/sessions/{id}` shows it).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct MoveToLesson {
    /// A lesson id of the class.
    pub lesson: String,
}

/// Answer to `GET /api/sessions/{id}/class`: `{"class": null}` for a session in no class.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct StudentClass {
    /// The session's class, if it is a class's.
    pub class: Option<StudentClassView>,
}

/// Answer to `POST /api/classes/{id}/extend` (instructor): each student's session was extended
/// as the student's own Extend does (the server's step, up to its maximum).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtendClassResult {
    /// Sessions that now end later.
    pub extended: u32,
    /// Sessions that could not be extended: they already end at the server's maximum.
    pub at_maximum: u32,
}
