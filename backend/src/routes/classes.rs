//! The classroom's routes (relative to `/api`). For the instructor ([`Instructor`]): create and
//! list classes, a class's progress (JSON, CSV, and live as server-sent events), its join QR
//! code, messages, extend all, end all, reset a student's node, and a student's terminal
//! read-only. For students (the join code is the credential): the class's name and joining.
//! For a student's session (its token): the class it is in and the instructor's messages.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{SinkExt, Stream, StreamExt};
use protocol::classes::{
    ClassInfo, ClassProgress, ClassSummary, CreateClassRequest, CreateClassResponse, ExtendClassResult, JoinClassRequest,
    JoinClassResponse, MoveToLesson, SendMessage, StudentClass, StudentClassView,
};
use protocol::{ClientControl, CreateSessionResponse, NodeInfo, SessionInfo};
use serde::Deserialize;

use super::instructor::Instructor;
use super::{admission, parse_json, AuthorizedSession, ClientAddr, LimitedBody};
use crate::classes::db::{self, ClassRow};
use crate::classes::{new_join_code, normalize_code, validate_name};
use crate::error::AppError;
use crate::sessions::{now_unix, rfc3339, NewSession};
use crate::state::AppState;

/// Largest class.
pub const MAX_SEATS: u32 = 500;
/// Longest message to students, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// How often the dashboard's stream sends the progress even without a change (sessions end,
/// nodes stop).
const REFRESH: Duration = Duration::from_secs(5);

/// The classroom routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/instructor", get(check_instructor))
        .route("/classes", post(create_class).get(list_classes))
        .route("/classes/{key}/info", get(class_info))
        .route("/classes/{key}/join", post(join_class))
        .route("/classes/{key}/progress", get(get_progress))
        .route("/classes/{key}/events", get(progress_events))
        .route("/classes/{key}/csv", get(progress_csv))
        .route("/classes/{key}/qr", get(join_qr))
        .route("/classes/{key}/messages", post(send_message))
        .route("/classes/{key}/extend", post(extend_all))
        .route("/classes/{key}/end", post(end_all))
        .route("/classes/{key}/students/{student}/reset", post(reset_student_nodes))
        .route("/classes/{key}/students/{student}/nodes/{node}/reset", post(reset_student_node))
        .route("/classes/{key}/students/{student}/nodes/{node}/terminal", get(watch_terminal))
        .route("/sessions/{id}/class", get(student_view))
        .route("/sessions/{id}/class/lesson", post(move_to_lesson))
}

/// `?lang=`
#[derive(Debug, Deserialize)]
pub struct Lang {
    lang: Option<String>,
}

impl Lang {
    fn get(&self) -> &str {
        self.lang.as_deref().filter(|l| !l.is_empty()).unwrap_or(super::lessons::DEFAULT_LANG)
    }
}

/// 204 for an instructor token (the dashboard checks the token it was given).
async fn check_instructor(_: Instructor) -> StatusCode {
    StatusCode::NO_CONTENT
}

/// The base URL students open: the instructor page's origin when the browser sent one, else
/// the scheme and `Host` of the request.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        if admission::check_origin(headers, &state.config.limits).is_ok() && origin.contains("://") {
            return origin.trim_end_matches('/').to_string();
        }
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.config.tls.is_some() { "https" } else { "http" };
    format!("{scheme}://{host}")
}

fn join_url(base: &str, code: &str) -> String {
    format!("{base}/join/{code}")
}

fn class_of(state: &AppState, id: &str) -> Result<ClassRow, AppError> {
    db::class(state.classes.store(), id)?.ok_or(AppError::ClassNotFound)
}

/// `POST /api/classes` → 201 `{"id","join_code","join_url"}`; the seats' nodes are held from now
/// on (503 `OUT_OF_CAPACITY` when they do not fit).
async fn create_class(
    _: Instructor,
    State(state): State<AppState>,
    headers: HeaderMap,
    LimitedBody(body): LimitedBody,
) -> Result<(StatusCode, Json<CreateClassResponse>), AppError> {
    let req: CreateClassRequest = parse_json(&body)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(AppError::BadRequest("the class name must be 1-80 characters".into()));
    }
    if req.seats == 0 || req.seats > MAX_SEATS {
        return Err(AppError::BadRequest(format!("seats must be between 1 and {MAX_SEATS}")));
    }
    if req.lessons.len() > 50 {
        return Err(AppError::BadRequest("a class has at most 50 lessons".into()));
    }
    let max = state.config.max_nodes_per_session;
    let mut nodes = req.nodes.unwrap_or(1);
    if nodes == 0 || nodes > max {
        return Err(AppError::BadRequest(format!("nodes must be between 1 and {max}")));
    }
    for lesson in &req.lessons {
        nodes = nodes.max(super::lessons::lesson_session(&state.lessons, lesson)?.nodes);
    }
    let duration_secs = match req.duration_minutes {
        None => 0,
        Some(m @ 1..=1440) => m * 60,
        Some(_) => return Err(AppError::BadRequest("duration_minutes must be between 1 and 1440".into())),
    };
    let class = ClassRow {
        id: crate::sessions::alloc::new_session_id(),
        join_code: unused_code(&state)?,
        name: name.to_string(),
        lessons: req.lessons,
        nodes,
        duration_secs,
        seats: req.seats,
        created_at: now_unix(),
        ended_at: None,
    };
    state.sessions.hold_for_class(&class.id, class.reserved_nodes(), &[])?;
    if let Err(err) = db::insert_class(state.classes.store(), &class) {
        state.sessions.release_hold(&class.id);
        return Err(err.into());
    }
    tracing::info!(class = %class.id, seats = class.seats, nodes = class.nodes, "class created");
    let join_url = join_url(&base_url(&state, &headers), &class.join_code);
    Ok((StatusCode::CREATED, Json(CreateClassResponse { id: class.id, join_code: class.join_code, join_url })))
}

fn unused_code(state: &AppState) -> Result<String, AppError> {
    for _ in 0..20 {
        let code = new_join_code();
        if db::open_class_by_code(state.classes.store(), &code)?.is_none() {
            return Ok(code);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!("no free join code after 20 tries")))
}

/// `GET /api/classes`: the instructor's classes, newest first.
async fn list_classes(_: Instructor, State(state): State<AppState>) -> Result<Json<Vec<ClassSummary>>, AppError> {
    let store = state.classes.store();
    let mut out = Vec::new();
    for c in db::all_classes(store)? {
        out.push(ClassSummary {
            students: db::student_count(store, &c.id)?,
            ended: c.ended_at.is_some(),
            id: c.id,
            name: c.name,
            join_code: c.join_code,
            seats: c.seats,
        });
    }
    Ok(Json(out))
}

fn open_by_code(state: &AppState, key: &str) -> Result<ClassRow, AppError> {
    let code = normalize_code(key).ok_or(AppError::ClassNotFound)?;
    db::open_class_by_code(state.classes.store(), &code)?.ok_or(AppError::ClassNotFound)
}

/// `GET /api/classes/{join_code}/info`: what the join page shows.
async fn class_info(State(state): State<AppState>, Path(key): Path<String>) -> Result<Json<ClassInfo>, AppError> {
    let class = open_by_code(&state, &key)?;
    let taken = db::student_count(state.classes.store(), &class.id)?;
    Ok(Json(ClassInfo { name: class.name, lessons: class.lessons, seats_left: class.seats.saturating_sub(taken) }))
}

/// `POST /api/classes/{join_code}/join` `{"name"}` → 201 with the student's session, as `POST
/// /api/sessions` answers (plus `student_id`, `class_id`). A lesson class's session is a lesson
/// session of its first lesson. The session's nodes come out of the class's held capacity.
async fn join_class(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
    LimitedBody(body): LimitedBody,
) -> Result<(StatusCode, Json<JoinClassResponse>), AppError> {
    // A join starts a session: a draining server refuses it as it refuses `POST /api/sessions`.
    if state.ops.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(AppError::Draining);
    }
    admission::check_origin(&headers, &state.config.limits)?;
    admission::check_json(&headers)?;
    let req: JoinClassRequest = parse_json(&body)?;
    let name = validate_name(&req.name)?;
    let class = open_by_code(&state, &key)?;
    let lesson = class.lessons.first().cloned();
    let mut new = match &lesson {
        Some(l) => super::lessons::lesson_session(&state.lessons, l)?,
        None => NewSession { nodes: class.nodes, lesson: None, ttl: None },
    };
    if class.duration_secs > 0 {
        new.ttl = Some(Duration::from_secs(u64::from(class.duration_secs)));
    }
    let student = state.classes.claim_seat(&class, &name, lesson.as_deref())?;
    let created = async {
        admission::check_disk(&state.config, state.sessions.live_nodes(), u32::from(new.nodes))?;
        let (mut session, token) = state.sessions.create_in(new, Some(&class.id)).await?;
        db::set_student_session(state.classes.store(), &student.id, &session.id)?;
        if let Some(l) = &lesson {
            session.setup = super::sessions::lesson_setup(&state, &session.id, l).await;
        }
        Ok::<_, AppError>(CreateSessionResponse { session, token })
    };
    let created = match created.await {
        Ok(created) => created,
        Err(err) => {
            if let Err(e) = db::delete_student(state.classes.store(), &student.id) {
                tracing::warn!(err = ?e, "could not give a seat back");
            }
            return Err(err);
        }
    };
    tracing::info!(class = %class.id, student = %student.id, session_id = %created.session.id, "student joined");
    state.classes.touch(&class.id);
    Ok((StatusCode::CREATED, Json(JoinClassResponse { created, student_id: student.id, class_id: class.id })))
}

/// `GET /api/classes/{id}/progress`: every student with the steps passed.
async fn get_progress(
    _: Instructor,
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(lang): Query<Lang>,
) -> Result<Json<ClassProgress>, AppError> {
    Ok(Json(state.classes.progress(&key, lang.get())?))
}

/// `GET /api/classes/{id}/events`: the progress as server-sent events (`event: progress`), sent
/// at once, on every change of the class, and every few seconds.
async fn progress_events(
    _: Instructor,
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(lang): Query<Lang>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let lang = lang.get().to_string();
    state.classes.progress(&key, &lang)?;
    let rx = state.classes.subscribe();
    let stream = futures_util::stream::unfold((state, key, lang, rx, true), |(state, key, lang, mut rx, first)| async move {
        if !first {
            let wait = async {
                loop {
                    match rx.recv().await {
                        Ok(id) if id != key => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return false,
                        _ => return true,
                    }
                }
            };
            match tokio::time::timeout(REFRESH, wait).await {
                Ok(false) => return None,
                Ok(true) | Err(_) => {}
            }
        }
        let progress = state.classes.progress(&key, &lang).ok()?;
        let event = Event::default().event("progress").json_data(&progress).ok()?;
        Some((Ok(event), (state, key, lang, rx, false)))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// One CSV field: quoted when needed; a leading `= + - @` is neutralized (spreadsheets would
/// run it as a formula).
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The progress as CSV: one row per step passed (a student with none has one row without step).
pub fn progress_to_csv(p: &ClassProgress) -> String {
    let mut out = String::from("student,student_id,joined_at,lesson,step,step_title,done_at\n");
    for s in &p.students {
        let row = |lesson: &str, step: String, title: &str, at: String| {
            [s.name.as_str(), &s.id, &rfc3339(s.joined_at), lesson, &step, title, &at].map(csv_field).join(",") + "\n"
        };
        if s.done.is_empty() {
            out += &row(s.lesson.as_deref().unwrap_or(""), String::new(), "", String::new());
        }
        for d in &s.done {
            let title = p
                .lessons
                .iter()
                .find(|l| l.id == d.lesson)
                .and_then(|l| l.steps.get(d.step as usize - 1))
                .map_or("", String::as_str);
            out += &row(&d.lesson, d.step.to_string(), title, rfc3339(d.at));
        }
    }
    out
}

/// `GET /api/classes/{id}/csv`: the progress as a CSV download.
async fn progress_csv(
    _: Instructor,
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(lang): Query<Lang>,
) -> Result<Response, AppError> {
    let p = state.classes.progress(&key, lang.get())?;
    let disposition = format!("attachment; filename=\"class-{}.csv\"", p.join_code);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], progress_to_csv(&p))
        .into_response())
}

/// `GET /api/classes/{id}/qr`: the join link as a QR code (SVG).
async fn join_qr(
    _: Instructor,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let class = class_of(&state, &key)?;
    let url = join_url(&base_url(&state, &headers), &class.join_code);
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(anyhow::anyhow!("QR code: {e}")))?;
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(240, 240).build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// `POST /api/classes/{id}/messages` `{"text","student"?}` → 201 `{"id"}`: shown on the student's
/// page (or every student's).
async fn send_message(
    _: Instructor,
    State(state): State<AppState>,
    Path(key): Path<String>,
    LimitedBody(body): LimitedBody,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let req: SendMessage = parse_json(&body)?;
    let text = req.text.trim();
    if text.is_empty() || text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::BadRequest(format!("a message is 1-{MAX_MESSAGE_CHARS} characters")));
    }
    let class = class_of(&state, &key)?;
    let store = state.classes.store();
    if let Some(student) = &req.student {
        db::student(store, &class.id, student)?.ok_or(AppError::NotFound)?;
    }
    let id = db::insert_message(store, &class.id, req.student.as_deref(), text, now_unix())?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// The live sessions of a class's students.
fn live_sessions(state: &AppState, class: &str) -> Result<Vec<String>, AppError> {
    Ok(db::students(state.classes.store(), class)?
        .into_iter()
        .filter_map(|s| s.session_id)
        .filter(|id| state.sessions.info(id).is_ok())
        .collect())
}

/// `POST /api/classes/{id}/extend` (any body is ignored): every student's session is extended
/// as the student's own Extend does (`MUELLE_EXTEND_MINUTES` more, never past
/// `MUELLE_MAX_SESSION_MINUTES` from its start) → `{"extended": n, "at_maximum": m}`, `m` the
/// sessions that already end at the maximum.
async fn extend_all(_: Instructor, State(state): State<AppState>, Path(key): Path<String>) -> Result<Json<ExtendClassResult>, AppError> {
    let class = class_of(&state, &key)?;
    let mut out = ExtendClassResult::default();
    for id in live_sessions(&state, &class.id)? {
        match state.sessions.extend(&id) {
            Ok(_) => out.extended += 1,
            Err(AppError::SessionAtMaximum(_)) => out.at_maximum += 1,
            // Ended since it was listed.
            Err(AppError::SessionNotFound) => {}
            Err(err) => return Err(err),
        }
    }
    tracing::info!(class = %class.id, extended = out.extended, at_maximum = out.at_maximum, "class extended");
    state.classes.touch(&class.id);
    Ok(Json(out))
}

/// `POST /api/classes/{id}/end`: ends every student's session and the class (its held capacity
/// is given back; its progress stays) → `{"ended": n}`.
async fn end_all(_: Instructor, State(state): State<AppState>, Path(key): Path<String>) -> Result<Json<serde_json::Value>, AppError> {
    let class = class_of(&state, &key)?;
    db::end_class(state.classes.store(), &class.id, now_unix())?;
    let sessions = live_sessions(&state, &class.id)?;
    for id in &sessions {
        state.sessions.delete(id).await?;
    }
    state.sessions.release_hold(&class.id);
    tracing::info!(class = %class.id, sessions = sessions.len(), "class ended");
    state.classes.touch(&class.id);
    Ok(Json(serde_json::json!({ "ended": sessions.len() })))
}

/// The live session of student `student` of class `key`.
fn student_session(state: &AppState, key: &str, student: &str) -> Result<String, AppError> {
    let row = db::student(state.classes.store(), key, student)?.ok_or(AppError::NotFound)?;
    row.session_id.filter(|id| state.sessions.info(id).is_ok()).ok_or(AppError::SessionNotFound)
}

/// `POST /api/classes/{id}/students/{student}/nodes/{node}/reset`: a fresh node for the student.
async fn reset_student_node(
    _: Instructor,
    State(state): State<AppState>,
    Path((key, student, node)): Path<(String, String, String)>,
) -> Result<Json<NodeInfo>, AppError> {
    let session = student_session(&state, &key, &student)?;
    let info = state.sessions.reset_node(&session, &node).await?;
    tracing::info!(class = %key, student = %student, node = %node, "student's node reset by the instructor");
    state.classes.touch(&key);
    Ok(Json(info))
}

/// `POST /api/classes/{id}/students/{student}/reset`: a fresh node for each of the student's
/// nodes → their new states, in order.
async fn reset_student_nodes(
    _: Instructor,
    State(state): State<AppState>,
    Path((key, student)): Path<(String, String)>,
) -> Result<Json<Vec<NodeInfo>>, AppError> {
    let session = student_session(&state, &key, &student)?;
    let names: Vec<String> = state.sessions.info(&session)?.nodes.into_iter().map(|n| n.name).collect();
    let mut out = Vec::with_capacity(names.len());
    for node in &names {
        out.push(state.sessions.reset_node(&session, node).await?);
    }
    tracing::info!(class = %key, student = %student, nodes = names.len(), "student's nodes reset by the instructor");
    state.classes.touch(&key);
    Ok(Json(out))
}

/// `GET /api/classes/{id}/students/{student}/nodes/{node}/terminal?token=` (WebSocket): the
/// student's terminal on that node, read-only: output and events are relayed to the instructor,
/// the instructor's keystrokes and resizes never reach the node (only flow-control acks do).
///
/// The terminal is opened as the student's session opens it (`routes::terminal::open_terminal`,
/// over an in-process connection), so whatever that route attaches to is what the instructor sees.
async fn watch_terminal(
    _: Instructor,
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path((key, student, node)): Path<(String, String, String)>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let session = student_session(&state, &key, &student)?;
    state.sessions.running_node(&session, &node)?;
    tracing::info!(class = %key, student = %student, node = %node, "instructor watches a terminal");
    Ok(upgrade.on_upgrade(move |socket| async move {
        if let Err(err) = relay_read_only(state, session, node, addr, socket).await {
            tracing::warn!(?err, "read-only terminal ended");
        }
    }))
}

async fn relay_read_only(
    state: AppState,
    session: String,
    node: String,
    addr: std::net::IpAddr,
    mut viewer: WebSocket,
) -> anyhow::Result<()> {
    use tokio_tungstenite::tungstenite::Message as T;
    let (client_io, server_io) = tokio::io::duplex(256 << 10);
    // The student's first shell (no `term=`), as the student sees it.
    let route = move |State(st): State<AppState>,
                      query: axum::extract::Query<super::terminal::TerminalQuery>,
                      headers: axum::http::HeaderMap,
                      upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>| {
        let session = AuthorizedSession { id: session.clone() };
        let path = Path((session.id.clone(), node.clone()));
        super::terminal::open_terminal(State(st), session, ClientAddr(addr), path, query, headers, upgrade)
    };
    let app = Router::new().route("/terminal", get(route)).with_state(state);
    let server = tokio::spawn(async move {
        let service = hyper::service::service_fn(move |req: axum::http::Request<hyper::body::Incoming>| {
            tower::ServiceExt::oneshot(app.clone(), req)
        });
        let io = hyper_util::rt::TokioIo::new(server_io);
        hyper::server::conn::http1::Builder::new().serve_connection(io, service).with_upgrades().await
    });
    let (terminal, _) = tokio_tungstenite::client_async("ws://muelle.internal/terminal", client_io).await?;
    let (mut to_terminal, mut from_terminal) = terminal.split();
    loop {
        tokio::select! {
            out = from_terminal.next() => match out {
                Some(Ok(T::Binary(bytes))) => viewer.send(Message::Binary(bytes)).await?,
                Some(Ok(T::Text(text))) => viewer.send(Message::Text(text.as_str().into())).await?,
                Some(Ok(T::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            input = viewer.recv() => match input {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(ClientControl::Ack { .. } | ClientControl::Ping) = serde_json::from_str::<ClientControl>(&text) {
                        to_terminal.send(T::Text(text.as_str().into())).await?;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                // Keystrokes (binary frames) and everything else stop here.
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = to_terminal.close().await;
    let _ = viewer.close().await;
    server.abort();
    Ok(())
}

/// `GET /api/sessions/{id}/class` (the session's token): its class and the messages for it;
/// `{"class": null}` for a session that is in no class (every playground and lesson page asks).
async fn student_view(
    State(state): State<AppState>,
    session: AuthorizedSession,
    Query(lang): Query<Lang>,
) -> Result<Json<StudentClass>, AppError> {
    let store = state.classes.store();
    let Some(student) = db::student_by_session(store, &session.id)? else {
        return Ok(Json(StudentClass { class: None }));
    };
    let class = class_of(&state, &student.class_id)?;
    let messages = db::messages_for(store, &class.id, &student.id)?;
    let lesson = state.sessions.info(&session.id)?.lesson.or(student.lesson);
    let lessons = state.classes.lessons_of(&class, lang.get());
    let view = StudentClassView { class_name: class.name, student_name: student.name, messages, lessons, lesson };
    Ok(Json(StudentClass { class: Some(view) }))
}

/// `POST /api/sessions/{id}/class/lesson` `{"lesson"}` (the session's token): the student's
/// session moves to that lesson of its class (the dashboard's "Next lesson"). Its nodes stay;
/// a lesson that needs more nodes gets them added (out of the class's held capacity, which was
/// sized for its largest lesson); the lesson's setup runs as at a lesson session's start. The
/// steps the student passed in that lesson before count as passed.
async fn move_to_lesson(
    State(state): State<AppState>,
    session: AuthorizedSession,
    LimitedBody(body): LimitedBody,
) -> Result<Json<SessionInfo>, AppError> {
    let req: MoveToLesson = parse_json(&body)?;
    let store = state.classes.store();
    let student = db::student_by_session(store, &session.id)?.ok_or(AppError::ClassNotFound)?;
    let class = class_of(&state, &student.class_id)?;
    if !class.lessons.contains(&req.lesson) {
        return Err(AppError::BadRequest(format!("lesson {:?} is not a lesson of this class", req.lesson)));
    }
    let info = state.sessions.info(&session.id)?;
    let moved = info.lesson.as_deref() != Some(req.lesson.as_str());
    if moved {
        let needed = super::lessons::lesson_session(&state.lessons, &req.lesson)?.nodes;
        for _ in info.nodes.len()..usize::from(needed) {
            admission::check_disk(&state.config, state.sessions.live_nodes(), 1)?;
            state.sessions.add_node(&session.id).await?;
        }
        state.sessions.set_lesson(&session.id, &req.lesson)?;
        state.classes.move_student(&student, &session.id, &req.lesson)?;
        tracing::info!(class = %class.id, student = %student.id, lesson = %req.lesson, "student moved to a lesson");
    }
    let mut info = state.sessions.info(&session.id)?;
    info.setup = if moved {
        super::sessions::lesson_setup(&state, &session.id, &req.lesson).await
    } else {
        state.lessons.setup_of(&session.id)
    };
    Ok(Json(info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("Ana"), "Ana");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
