//! The classroom API over the fake provider: instructor auth, classes, joins, progress, messages,
//! class actions, capacity held for seats, and a class surviving a restart of the server.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use backend::classes::instructor::new_instructor_token;
use backend::config::SandboxKind;
use backend::{Backend, Config, Role};
use common::TestApp;
use serde_json::{json, Value};

/// A lesson with two checked steps; fake nodes are host directories, so the checks look at
/// files in the node's home.
const LESSON: &str = "---\nid: demo\ntitle: Demo\nsummary: A test lesson.\nlang: en\nduration: 20m\nnodes: 2\n---\nIntro.\n\n## Make a marker\n```sh run\ntouch marker\n```\n```check hint=\"Create the marker.\"\ntest -f marker\n```\n\n## Make another\n```sh run\ntouch other\n```\n```check\ntest -f other\n```\n";

/// A second lesson of one checked step, on 3 nodes.
const LESSON2: &str = "---\nid: demo2\ntitle: Demo two\nsummary: The next one.\nlang: en\nduration: 20m\nnodes: 3\n---\nIntro.\n\n## Make a third\n```sh run\ntouch third\n```\n```check\ntest -f third\n```\n";

fn write_lessons(dir: &Path) -> std::path::PathBuf {
    let lessons = dir.join("lessons");
    std::fs::create_dir_all(lessons.join("en")).unwrap();
    std::fs::write(lessons.join("en/01-demo.md"), LESSON).unwrap();
    std::fs::write(lessons.join("en/02-demo2.md"), LESSON2).unwrap();
    lessons
}

fn app_with(tweak: impl FnOnce(&mut Config)) -> (TestApp, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let lessons = write_lessons(tmp.path());
    (
        TestApp::with(|c| {
            c.lessons_dir = lessons;
            tweak(c);
        }),
        tmp,
    )
}

fn instructor(app: &TestApp) -> String {
    new_instructor_token(app.state.classes.store()).unwrap()
}

async fn create_class(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/classes", Some(token), &body.to_string()).await
}

async fn join(app: &TestApp, code: &str, name: &str) -> (StatusCode, Value) {
    app.call(Method::POST, &format!("/api/classes/{code}/join"), None, &json!({ "name": name }).to_string()).await
}

async fn exec(app: &TestApp, id: &str, token: &str, cmd: &str) {
    let uri = format!("/api/sessions/{id}/nodes/node1/exec");
    let (status, body) = app.call(Method::POST, &uri, Some(token), &json!({ "cmd": cmd }).to_string()).await;
    assert_eq!((status, body["exit_code"].as_i64()), (StatusCode::OK, Some(0)), "{body}");
}

/// Polls the class's progress until `pred` holds (the step listener runs beside the request).
async fn progress_until(app: &TestApp, token: &str, class: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let (status, p) = app.call(Method::GET, &format!("/api/classes/{class}/progress"), Some(token), "").await;
        assert_eq!(status, StatusCode::OK, "{p}");
        if pred(&p) {
            return p;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "progress never matched: {p}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn instructor_endpoints_refuse_session_tokens_and_anything_else() {
    let (app, _tmp) = app_with(|_| {});
    let teacher = instructor(&app);
    let (status, class) = create_class(&app, &teacher, json!({ "name": "3B", "seats": 2 })).await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    let (id, code) = (class["id"].as_str().unwrap(), class["join_code"].as_str().unwrap());
    let (status, student) = join(&app, code, "Ana").await;
    assert_eq!(status, StatusCode::CREATED, "{student}");
    let session_token = student["token"].as_str().unwrap().to_string();
    let sid = student["student_id"].as_str().unwrap();
    let endpoints = [
        (Method::POST, "/api/classes".to_string(), json!({ "name": "x", "seats": 1 }).to_string()),
        (Method::GET, "/api/classes".to_string(), String::new()),
        (Method::GET, "/api/instructor".to_string(), String::new()),
        (Method::GET, format!("/api/classes/{id}/progress"), String::new()),
        (Method::GET, format!("/api/classes/{id}/events"), String::new()),
        (Method::GET, format!("/api/classes/{id}/csv"), String::new()),
        (Method::GET, format!("/api/classes/{id}/qr"), String::new()),
        (Method::POST, format!("/api/classes/{id}/messages"), json!({ "text": "hi" }).to_string()),
        (Method::POST, format!("/api/classes/{id}/extend"), json!({ "minutes": 5 }).to_string()),
        (Method::POST, format!("/api/classes/{id}/students/{sid}/nodes/node1/reset"), String::new()),
        (Method::GET, format!("/api/classes/{id}/students/{sid}/nodes/node1/terminal"), String::new()),
        (Method::POST, format!("/api/classes/{id}/end"), String::new()),
    ];
    let wrong = ["", "garbage", &session_token, &teacher[..teacher.len() - 1]];
    for (method, uri, body) in &endpoints {
        for token in wrong {
            let token = (!token.is_empty()).then_some(token);
            let (status, err) = app.call(method.clone(), uri, token, body).await;
            assert_eq!((status, err["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED")), "{method} {uri} {token:?}");
        }
    }
    // The class is untouched: the student's session still runs.
    let (status, _) = app.call(Method::GET, &format!("/api/sessions/{}", student["id"].as_str().unwrap()), Some(&session_token), "").await;
    assert_eq!(status, StatusCode::OK);
    // And the instructor token works on each (the terminal needs a WebSocket: 400 without one;
    // the event stream never ends, it has its own test).
    for (method, uri, body) in endpoints.iter().filter(|(_, uri, _)| !uri.ends_with("/events")) {
        let (status, _) = app.call_raw(method.clone(), uri, Some(&teacher), body).await;
        assert_ne!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
}

#[tokio::test]
async fn students_join_a_lesson_class_and_their_steps_reach_the_progress() {
    let (app, _tmp) = app_with(|_| {});
    let teacher = instructor(&app);
    let (status, class) =
        create_class(&app, &teacher, json!({ "name": "Docker 3B", "lessons": ["demo"], "nodes": 1, "seats": 2 })).await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    let (id, code) = (class["id"].as_str().unwrap().to_string(), class["join_code"].as_str().unwrap().to_string());
    assert_eq!(code.len(), 6);
    assert_eq!(class["join_url"].as_str().unwrap(), format!("http://localhost/join/{code}"));

    let (status, info) = app.call(Method::GET, &format!("/api/classes/{}/info", code.to_lowercase()), None, "").await;
    assert_eq!((status, info["name"].as_str(), info["seats_left"].as_u64()), (StatusCode::OK, Some("Docker 3B"), Some(2)));

    // Joined by the code as typed (lower case): a lesson session of the class's lesson.
    let (status, ana) = join(&app, &code.to_lowercase(), "  Ana ").await;
    assert_eq!(status, StatusCode::CREATED, "{ana}");
    for key in ["id", "token", "expires_at", "nodes", "student_id", "class_id"] {
        assert!(ana.get(key).is_some(), "{key} missing in {ana}");
    }
    assert_eq!((ana["lesson"].as_str(), ana["nodes"].as_array().unwrap().len()), (Some("demo"), 2));
    let (status, bo) = join(&app, &code, "Bo").await;
    assert_eq!(status, StatusCode::CREATED, "{bo}");
    let (status, full) = join(&app, &code, "Cy").await;
    assert_eq!((status, full["code"].as_str()), (StatusCode::CONFLICT, Some("CLASS_FULL")));
    for bad in ["", "   ", &"x".repeat(41)] {
        let (status, _) = join(&app, &code, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
    let (status, e) = join(&app, "ZZZZZZ", "Ana").await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("CLASS_NOT_FOUND")));

    // Ana passes step 1 through the lesson API; the class's progress has it.
    let (aid, atok) = (ana["id"].as_str().unwrap(), ana["token"].as_str().unwrap());
    exec(&app, aid, atok, "touch marker").await;
    let (status, st) = app.call(Method::POST, &format!("/api/sessions/{aid}/lesson/steps/1/check"), Some(atok), "").await;
    assert_eq!((status, st["done"].as_bool()), (StatusCode::OK, Some(true)), "{st}");
    let p = progress_until(&app, &teacher, &id, |p| !p["students"][0]["done"].as_array().unwrap().is_empty()).await;
    assert_eq!(p["students"][0]["name"], "Ana");
    assert_eq!(p["students"][0]["done"][0]["lesson"], "demo");
    assert_eq!(p["students"][0]["done"][0]["step"], 1);
    assert!(p["students"][1]["done"].as_array().unwrap().is_empty());
    assert_eq!(p["lessons"][0]["steps"], json!(["Make a marker", "Make another"]));
    assert!(p["students"][0]["step_since"].as_i64() >= p["students"][1]["step_since"].as_i64());

    // CSV and QR.
    let (status, csv) = app.call_raw(Method::GET, &format!("/api/classes/{id}/csv"), Some(&teacher), "").await;
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with("student,student_id,joined_at,lesson,step,step_title,done_at\n"), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("Ana,") && l.contains(",demo,1,Make a marker,")), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("Bo,") && l.contains(",demo,,,")), "{csv}");
    let (status, svg) = app.call_raw(Method::GET, &format!("/api/classes/{id}/qr"), Some(&teacher), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(svg).unwrap().contains("<svg"));

    // Messages: to all, and to Bo only.
    let bo_id = bo["student_id"].as_str().unwrap();
    let (status, _) = app.call(Method::POST, &format!("/api/classes/{id}/messages"), Some(&teacher), r#"{"text":"Break at 11"}"#).await;
    assert_eq!(status, StatusCode::CREATED);
    let body = json!({ "text": "Bo, look at step 2", "student": bo_id }).to_string();
    let (status, _) = app.call(Method::POST, &format!("/api/classes/{id}/messages"), Some(&teacher), &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app.call(Method::POST, &format!("/api/classes/{id}/messages"), Some(&teacher), r#"{"text":" "}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, view) = app.call(Method::GET, &format!("/api/sessions/{aid}/class"), Some(atok), "").await;
    let view = &view["class"];
    let texts = |v: &Value| v["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!((view["class_name"].as_str(), texts(view)), (Some("Docker 3B"), vec!["Break at 11".to_string()]));
    let (bid, btok) = (bo["id"].as_str().unwrap(), bo["token"].as_str().unwrap());
    let (_, view) = app.call(Method::GET, &format!("/api/sessions/{bid}/class"), Some(btok), "").await;
    assert_eq!(texts(&view["class"]), ["Break at 11", "Bo, look at step 2"]);
    // A student's token does not read another student's class view.
    let (status, _) = app.call(Method::GET, &format!("/api/sessions/{bid}/class"), Some(atok), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Extend all: both sessions end later.
    let (_, before) = app.call(Method::GET, &format!("/api/sessions/{aid}"), Some(atok), "").await;
    let (status, ext) = app.call(Method::POST, &format!("/api/classes/{id}/extend"), Some(&teacher), "").await;
    assert_eq!((status, ext), (StatusCode::OK, json!({ "extended": 2, "at_maximum": 0 })));
    let (_, after) = app.call(Method::GET, &format!("/api/sessions/{aid}"), Some(atok), "").await;
    assert!(after["expires_in_secs"].as_u64().unwrap() >= before["expires_in_secs"].as_u64().unwrap() + 590, "{before} {after}");

    // Reset one student's node: a fresh node (the marker is gone).
    let (status, node) =
        app.call(Method::POST, &format!("/api/classes/{id}/students/{}/nodes/node1/reset", ana["student_id"].as_str().unwrap()), Some(&teacher), "").await;
    assert_eq!((status, node["status"].as_str()), (StatusCode::OK, Some("running")), "{node}");
    let uri = format!("/api/sessions/{aid}/nodes/node1/exec");
    let (_, out) = app.call(Method::POST, &uri, Some(atok), r#"{"cmd":"test -f marker"}"#).await;
    assert_ne!(out["exit_code"].as_i64(), Some(0), "the reset node still has the marker");

    // End all: sessions gone, the class closed to joins, its progress kept.
    let (status, end) = app.call(Method::POST, &format!("/api/classes/{id}/end"), Some(&teacher), "").await;
    assert_eq!((status, end["ended"].as_u64()), (StatusCode::OK, Some(2)));
    let (status, _) = app.call(Method::GET, &format!("/api/sessions/{aid}"), Some(atok), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = join(&app, &code, "Late").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let p = progress_until(&app, &teacher, &id, |p| p["ended"] == true).await;
    assert_eq!(p["students"][0]["done"][0]["step"], 1);
    assert!(p["students"][0]["session_id"].is_null());
}

#[tokio::test]
async fn seats_hold_capacity_and_their_students_always_get_in() {
    let (app, _tmp) = app_with(|c| c.max_nodes = 10);
    let teacher = instructor(&app);
    // 3 seats × 2 nodes = 6 of 10.
    let (status, class) = create_class(&app, &teacher, json!({ "name": "A", "nodes": 2, "seats": 3 })).await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    let (id, code) = (class["id"].as_str().unwrap().to_string(), class["join_code"].as_str().unwrap().to_string());
    // Another 3 × 2 does not fit beside it.
    let (status, err) = create_class(&app, &teacher, json!({ "name": "B", "nodes": 2, "seats": 3 })).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("OUT_OF_CAPACITY")), "{err}");
    assert!(err["message"].as_str().unwrap().contains("only 4 are free"), "{err}");
    // Playground sessions get the 4 nodes the class does not hold, and no more.
    for _ in 0..4 {
        app.create(1).await;
    }
    let (status, err) = app.call(Method::POST, "/api/sessions", None, r#"{"nodes":1}"#).await;
    assert_eq!((status, err["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("OUT_OF_CAPACITY")));
    // The machine is "full", yet every student of the class gets in.
    for name in ["Ana", "Bo", "Cy"] {
        let (status, s) = join(&app, &code, name).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {s}");
        assert_eq!(s["nodes"].as_array().unwrap().len(), 2);
    }
    assert_eq!(app.state.sessions.live_nodes(), 10);
    // Ending the class gives its nodes back.
    let (status, _) = app.call(Method::POST, &format!("/api/classes/{id}/end"), Some(&teacher), "").await;
    assert_eq!(status, StatusCode::OK);
    let (status, class) = create_class(&app, &teacher, json!({ "name": "B", "nodes": 2, "seats": 3 })).await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    // Bad classes.
    for bad in [json!({ "name": "", "seats": 1 }), json!({ "name": "x", "seats": 0 }), json!({ "name": "x", "seats": 1, "nodes": 9 }), json!({ "name": "x", "seats": 1, "lessons": ["nope"] })] {
        let (status, _) = create_class(&app, &teacher, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

fn config_in(dir: &Path, lessons: &Path) -> Config {
    Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        static_dir: dir.join("dist"),
        lessons_dir: lessons.to_path_buf(),
        sandbox: SandboxKind::Fake,
        max_nodes: 10,
        ..Config::default()
    }
}

async fn call(app: &axum::Router, method: Method, uri: &str, token: Option<&str>, body: &str) -> (StatusCode, Value) {
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app.clone().oneshot(req.body(axum::body::Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() })
}

#[tokio::test]
async fn a_class_its_progress_and_its_hold_survive_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let lessons = write_lessons(tmp.path());
    let backend = Backend::start(config_in(tmp.path(), &lessons), Role::Harness).await.unwrap();
    let app = backend::app(backend.state.clone());
    let teacher = new_instructor_token(backend.state.classes.store()).unwrap();
    let body = json!({ "name": "Restart", "lessons": ["demo"], "seats": 4 }).to_string();
    let (status, class) = call(&app, Method::POST, "/api/classes", Some(&teacher), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    let (id, code) = (class["id"].as_str().unwrap().to_string(), class["join_code"].as_str().unwrap().to_string());
    let (status, ana) = call(&app, Method::POST, &format!("/api/classes/{code}/join"), None, r#"{"name":"Ana"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{ana}");
    let (aid, atok) = (ana["id"].as_str().unwrap().to_string(), ana["token"].as_str().unwrap().to_string());
    let (_, out) = call(&app, Method::POST, &format!("/api/sessions/{aid}/nodes/node1/exec"), Some(&atok), r#"{"cmd":"touch marker"}"#).await;
    assert_eq!(out["exit_code"], 0);
    let (_, st) = call(&app, Method::POST, &format!("/api/sessions/{aid}/lesson/steps/1/check"), Some(&atok), "").await;
    assert_eq!(st["done"], true, "{st}");
    let start = Instant::now();
    while call(&app, Method::GET, &format!("/api/classes/{id}/progress"), Some(&teacher), "").await.1["students"][0]["done"]
        .as_array()
        .unwrap()
        .is_empty()
    {
        assert!(start.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(app);
    drop(backend);

    // The same data directory, a new server.
    let backend = Backend::start(config_in(tmp.path(), &lessons), Role::Harness).await.unwrap();
    let app = backend::app(backend.state.clone());
    let (status, p) = call(&app, Method::GET, &format!("/api/classes/{id}/progress"), Some(&teacher), "").await;
    assert_eq!(status, StatusCode::OK, "the instructor token survives too: {p}");
    assert_eq!((p["name"].as_str(), p["students"][0]["name"].as_str()), (Some("Restart"), Some("Ana")));
    assert_eq!(p["students"][0]["done"][0]["step"], 1);
    assert_eq!(p["students"][0]["session_id"].as_str(), Some(aid.as_str()), "the student's session was recovered");
    // The lesson player knows step 1 passed (step 2 can be checked without running step 1 again).
    let (_, out) = call(&app, Method::POST, &format!("/api/sessions/{aid}/nodes/node1/exec"), Some(&atok), r#"{"cmd":"rm marker && touch other"}"#).await;
    assert_eq!(out["exit_code"], 0);
    let (_, st) = call(&app, Method::POST, &format!("/api/sessions/{aid}/lesson/steps/2/check"), Some(&atok), "").await;
    assert_eq!(st["done"], true, "{st}");
    // The hold is back: 4 seats × 2 nodes of 10, so a 3 × 2 class does not fit.
    let body = json!({ "name": "Too big", "nodes": 2, "seats": 3 }).to_string();
    let (status, err) = call(&app, Method::POST, "/api/classes", Some(&teacher), &body).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{err}");
    // Joins go on with the same code.
    let (status, bo) = call(&app, Method::POST, &format!("/api/classes/{code}/join"), None, r#"{"name":"Bo"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{bo}");
}

/// Reads server-sent events from `body` until one has `needle`; returns its data.
async fn next_event_with(body: &mut axum::body::Body, needle: &str, limit: Duration) -> String {
    use http_body_util::BodyExt;
    let deadline = Instant::now() + limit;
    let mut buf = String::new();
    loop {
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if event.contains("event: progress") && event.contains(needle) {
                return event;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, body.frame()).await.expect("no such event in time").unwrap().unwrap();
        if let Ok(data) = frame.into_data() {
            buf.push_str(&String::from_utf8_lossy(&data));
        }
    }
}

#[tokio::test]
async fn the_event_stream_pushes_a_tick_within_three_seconds() {
    use tower::ServiceExt;
    let (app, _tmp) = app_with(|_| {});
    let teacher = instructor(&app);
    let (_, class) = create_class(&app, &teacher, json!({ "name": "Live", "lessons": ["demo"], "seats": 2 })).await;
    let (id, code) = (class["id"].as_str().unwrap().to_string(), class["join_code"].as_str().unwrap().to_string());
    let (_, ana) = join(&app, &code, "Ana").await;
    // An EventSource cannot set headers: the token comes as ?token=, with Accept: text/event-stream.
    let req = axum::http::Request::get(format!("/api/classes/{id}/events?token={teacher}"))
        .header("accept", "text/event-stream")
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = app.router().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let first = next_event_with(&mut body, "\"name\":\"Ana\"", Duration::from_secs(3)).await;
    assert!(first.contains("\"done\":[]"), "{first}");
    // ?token= is not taken on a plain GET.
    let (status, _) = app.call(Method::GET, &format!("/api/classes/{id}/progress?token={teacher}"), None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (aid, atok) = (ana["id"].as_str().unwrap(), ana["token"].as_str().unwrap());
    exec(&app, aid, atok, "touch marker").await;
    let (_, st) = app.call(Method::POST, &format!("/api/sessions/{aid}/lesson/steps/1/check"), Some(atok), "").await;
    assert_eq!(st["done"], true);
    let passed = Instant::now();
    let tick = next_event_with(&mut body, "\"step\":1", Duration::from_secs(3)).await;
    println!("dashboard event {} ms after the check", passed.elapsed().as_millis());
    assert!(tick.contains("\"lesson\":\"demo\""), "{tick}");
}

#[tokio::test]
async fn the_instructor_sees_a_students_terminal_but_cannot_type_in_it() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let (app, _tmp) = app_with(|_| {});
    let teacher = instructor(&app);
    let (_, class) = create_class(&app, &teacher, json!({ "name": "Watch", "seats": 1 })).await;
    let (id, code) = (class["id"].as_str().unwrap().to_string(), class["join_code"].as_str().unwrap().to_string());
    let (_, ana) = join(&app, &code, "Ana").await;
    let (aid, atok, sid) = (ana["id"].as_str().unwrap(), ana["token"].as_str().unwrap(), ana["student_id"].as_str().unwrap());
    let addr = app.serve().await;
    let path = format!("/api/classes/{id}/students/{sid}/nodes/node1/terminal");
    // The student's own token is refused before the upgrade.
    let refused = tokio_tungstenite::connect_async(format!("ws://{addr}{path}?token={atok}")).await;
    assert!(refused.is_err(), "a session token opened the instructor's view");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}{path}?token={teacher}")).await.unwrap();
    // Output comes through: the ready event, then the shell's prompt.
    let ready = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.unwrap().unwrap().unwrap();
    assert!(matches!(&ready, Message::Text(t) if t.as_str().contains("ready")), "{ready:?}");
    // Keystrokes and resizes are dropped; acks pass.
    ws.send(Message::Binary(b"touch typed-by-teacher\n".to_vec().into())).await.unwrap();
    ws.send(Message::Text(r#"{"type":"resize","cols":20,"rows":5}"#.into())).await.unwrap();
    ws.send(Message::Text(r#"{"type":"ack","bytes":10}"#.into())).await.unwrap();
    ws.send(Message::Text(r#"{"type":"ping"}"#.into())).await.unwrap();
    let start = Instant::now();
    let mut pong = false;
    while !pong && start.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(Duration::from_secs(1), ws.next()).await {
            pong = t.as_str().contains("pong");
        }
    }
    assert!(pong, "the ping never reached the terminal");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let uri = format!("/api/sessions/{aid}/nodes/node1/exec");
    let (_, out) = app.call(Method::POST, &uri, Some(atok), r#"{"cmd":"test -e typed-by-teacher"}"#).await;
    assert_eq!(out["exit_code"], 1, "the instructor's keys reached the node: {out}");
}

#[tokio::test]
async fn a_session_in_no_class_gets_an_explicit_no_class() {
    let (app, _tmp) = app_with(|_| {});
    let (sid, token) = app.create(1).await;
    let (status, view) = app.call(Method::GET, &format!("/api/sessions/{sid}/class"), Some(&token), "").await;
    assert_eq!((status, view), (StatusCode::OK, json!({ "class": null })));
    // Still the session's own token only.
    let (status, _) = app.call(Method::GET, &format!("/api/sessions/{sid}/class"), Some("garbage"), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn resetting_a_student_resets_every_node_of_their_session() {
    let (app, _tmp) = app_with(|_| {});
    let teacher = instructor(&app);
    // The lesson takes 2 nodes.
    let (_, class) = create_class(&app, &teacher, json!({ "name": "Reset", "lessons": ["demo"], "seats": 2 })).await;
    let (id, code) = (class["id"].as_str().unwrap().to_string(), class["join_code"].as_str().unwrap().to_string());
    let (_, ana) = join(&app, &code, "Ana").await;
    let (_, bo) = join(&app, &code, "Bo").await;
    let (aid, atok, sid) = (ana["id"].as_str().unwrap(), ana["token"].as_str().unwrap(), ana["student_id"].as_str().unwrap());
    let (bid, btok) = (bo["id"].as_str().unwrap(), bo["token"].as_str().unwrap());
    let has = |sess: &str, tok: &str, node: &str| {
        let (sess, tok, node) = (sess.to_string(), tok.to_string(), node.to_string());
        let app = &app;
        async move {
            let uri = format!("/api/sessions/{sess}/nodes/{node}/exec");
            let (_, out) = app.call(Method::POST, &uri, Some(&tok), r#"{"cmd":"test -f marker"}"#).await;
            out["exit_code"].as_i64() == Some(0)
        }
    };
    for node in ["node1", "node2"] {
        let uri = format!("/api/sessions/{aid}/nodes/{node}/exec");
        let (_, out) = app.call(Method::POST, &uri, Some(atok), r#"{"cmd":"touch marker"}"#).await;
        assert_eq!(out["exit_code"], 0, "{out}");
        let uri = format!("/api/sessions/{bid}/nodes/{node}/exec");
        let (_, out) = app.call(Method::POST, &uri, Some(btok), r#"{"cmd":"touch marker"}"#).await;
        assert_eq!(out["exit_code"], 0, "{out}");
    }
    let (status, nodes) = app.call(Method::POST, &format!("/api/classes/{id}/students/{sid}/reset"), Some(&teacher), "").await;
    assert_eq!(status, StatusCode::OK, "{nodes}");
    let names: Vec<&str> = nodes.as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["node1", "node2"]);
    assert!(nodes.as_array().unwrap().iter().all(|n| n["status"] == "running"), "{nodes}");
    for node in ["node1", "node2"] {
        assert!(!has(aid, atok, node).await, "Ana's {node} was not reset");
        assert!(has(bid, btok, node).await, "Bo's {node} was reset too");
    }
    // Only a student of this class, with the instructor's token.
    let (status, _) = app.call(Method::POST, &format!("/api/classes/{id}/students/nobody/reset"), Some(&teacher), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::POST, &format!("/api/classes/{id}/students/{sid}/reset"), Some(atok), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn extend_all_extends_as_a_students_extend_and_reports_those_at_the_maximum() {
    // Sessions of 20 minutes, extended 15 at a time, 30 at most.
    let (app, _tmp) = app_with(|c| {
        c.session_ttl = Duration::from_secs(20 * 60);
        c.extend_step = Duration::from_secs(15 * 60);
        c.max_session = Duration::from_secs(30 * 60);
    });
    let teacher = instructor(&app);
    let (_, class) = create_class(&app, &teacher, json!({ "name": "Long", "seats": 2, "duration_minutes": 20 })).await;
    let (id, code) = (class["id"].as_str().unwrap().to_string(), class["join_code"].as_str().unwrap().to_string());
    let (_, ana) = join(&app, &code, "Ana").await;
    let (_, bo) = join(&app, &code, "Bo").await;
    let left = |s: &Value| {
        let (sess, tok) = (s["id"].as_str().unwrap().to_string(), s["token"].as_str().unwrap().to_string());
        let app = &app;
        async move { app.call(Method::GET, &format!("/api/sessions/{sess}"), Some(&tok), "").await.1["expires_in_secs"].as_u64().unwrap() }
    };
    assert!(left(&ana).await <= 20 * 60);
    // The first extension is cut to the maximum (30 minutes from the start, not 20 + 15).
    let (status, ext) = app.call(Method::POST, &format!("/api/classes/{id}/extend"), Some(&teacher), "").await;
    assert_eq!((status, ext), (StatusCode::OK, json!({ "extended": 2, "at_maximum": 0 })));
    for s in [&ana, &bo] {
        let secs = left(s).await;
        assert!((29 * 60..=30 * 60).contains(&secs), "{secs} s left, not the 30 min maximum");
    }
    // At the maximum: the class action says so instead of claiming success.
    let (status, ext) = app.call(Method::POST, &format!("/api/classes/{id}/extend"), Some(&teacher), "").await;
    assert_eq!((status, ext), (StatusCode::OK, json!({ "extended": 0, "at_maximum": 2 })));
    assert!(left(&ana).await <= 30 * 60);
    // A student's own Extend agrees.
    let uri = format!("/api/sessions/{}/extend", ana["id"].as_str().unwrap());
    let (status, _) = app.call(Method::POST, &uri, ana["token"].as_str(), "").await;
    assert!(status.is_client_error(), "{status}");
}

#[tokio::test]
async fn a_student_moves_through_the_class_lessons_on_one_session() {
    // 2 seats × 3 nodes (the larger lesson) held of 7: the third node comes out of the hold.
    let (app, _tmp) = app_with(|c| c.max_nodes = 7);
    let teacher = instructor(&app);
    let (status, class) = create_class(&app, &teacher, json!({ "name": "Two", "lessons": ["demo", "demo2"], "seats": 2 })).await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    let (id, code) = (class["id"].as_str().unwrap().to_string(), class["join_code"].as_str().unwrap().to_string());
    let (_, ana) = join(&app, &code, "Ana").await;
    let (_, bo) = join(&app, &code, "Bo").await;
    let (aid, atok) = (ana["id"].as_str().unwrap(), ana["token"].as_str().unwrap());
    assert_eq!((ana["lesson"].as_str(), ana["nodes"].as_array().unwrap().len()), (Some("demo"), 2));
    let view = |tok: &str| {
        let (aid, tok) = (aid.to_string(), tok.to_string());
        let app = &app;
        async move { app.call(Method::GET, &format!("/api/sessions/{aid}/class"), Some(&tok), "").await.1["class"].clone() }
    };
    // The student's class view lists the lessons in order and where the student is.
    let v = view(atok).await;
    let ids: Vec<&str> = v["lessons"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!((ids, v["lesson"].as_str()), (vec!["demo", "demo2"], Some("demo")), "{v}");
    assert_eq!(v["lessons"][1]["title"], "Demo two");

    // Step 1 of lesson 1.
    exec(&app, aid, atok, "touch marker").await;
    let (_, st) = app.call(Method::POST, &format!("/api/sessions/{aid}/lesson/steps/1/check"), Some(atok), "").await;
    assert_eq!(st["done"], true, "{st}");
    progress_until(&app, &teacher, &id, |p| p["students"][0]["done"].as_array().unwrap().len() == 1).await;

    // Moves: only to a lesson of the class, only with the session's own token.
    let uri = format!("/api/sessions/{aid}/class/lesson");
    let (status, _) = app.call(Method::POST, &uri, Some(atok), r#"{"lesson":"nope"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.call(Method::POST, &uri, bo["token"].as_str(), r#"{"lesson":"demo2"}"#).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (sid, stok) = app.create(1).await;
    let (status, e) = app.call(Method::POST, &format!("/api/sessions/{sid}/class/lesson"), Some(&stok), r#"{"lesson":"demo2"}"#).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("CLASS_NOT_FOUND")));

    // Next lesson: the same session, its nodes kept (node1's marker is still there), one more
    // node for a lesson of 3.
    let (status, info) = app.call(Method::POST, &uri, Some(atok), r#"{"lesson":"demo2"}"#).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!((info["id"].as_str(), info["lesson"].as_str()), (Some(aid), Some("demo2")));
    let nodes: Vec<&str> = info["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(nodes, ["node1", "node2", "node3"]);
    exec(&app, aid, atok, "test -f marker").await;
    assert_eq!(view(atok).await["lesson"], "demo2");
    let (_, lp) = app.call(Method::GET, &format!("/api/sessions/{aid}/lesson/progress"), Some(atok), "").await;
    assert_eq!((lp["lesson"].as_str(), lp["steps"][0]["done"].as_bool()), (Some("demo2"), Some(false)), "{lp}");
    // Lesson 2's step 1 reaches the dashboard as lesson 2's, beside lesson 1's.
    exec(&app, aid, atok, "touch third").await;
    let (_, st) = app.call(Method::POST, &format!("/api/sessions/{aid}/lesson/steps/1/check"), Some(atok), "").await;
    assert_eq!(st["done"], true, "{st}");
    let p = progress_until(&app, &teacher, &id, |p| p["students"][0]["done"].as_array().unwrap().len() == 2).await;
    let done: Vec<(String, u64)> = p["students"][0]["done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["lesson"].as_str().unwrap().to_string(), d["step"].as_u64().unwrap()))
        .collect();
    assert_eq!(done, [("demo".to_string(), 1), ("demo2".to_string(), 1)]);
    assert_eq!(p["students"][0]["lesson"], "demo2");
    assert_eq!(p["students"][1]["lesson"], "demo", "Bo stays where he is");
    assert_eq!(p["lessons"][1]["steps"], json!(["Make a third"]));
    // Back to lesson 1: its step 1 is still passed for the lesson player.
    let (status, _) = app.call(Method::POST, &uri, Some(atok), r#"{"lesson":"demo"}"#).await;
    assert_eq!(status, StatusCode::OK);
    let (_, lp) = app.call(Method::GET, &format!("/api/sessions/{aid}/lesson/progress"), Some(atok), "").await;
    assert_eq!((lp["lesson"].as_str(), lp["steps"][0]["done"].as_bool()), (Some("demo"), Some(true)), "lesson 1's step 1 was forgotten: {lp}");
}
