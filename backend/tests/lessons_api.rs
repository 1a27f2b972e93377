//! The lesson HTTP API over the fake provider: catalog, lesson sessions, step checks, progress,
//! solve and file-block writes. Fake nodes are host directories, so the test lessons' scripts
//! only touch files in the node's home or under a temp dir.

mod common;

use std::path::Path;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

/// Text written by the file block: quotes, `$`, backticks, a backslash and trailing newlines.
const FILE_TEXT: &str = "say 'hi' \"$HOME\" `id` $(id) \\n\n\nend\n\n";

fn demo(lang: &str, title: &str, out: &Path) -> String {
    format!(
        r#"---
id: demo
title: {title}
summary: A test lesson.
lang: {lang}
duration: 20m
nodes: 2
---
Intro.

## Make a marker
```sh run
touch marker
```
```check hint="Create the marker."
test -f marker
```

## On node2
```sh run node=node2
echo two > two.txt
```
```check node=node2 hint="Write two.txt on node2."
grep -qx two two.txt
```
```solve node=node2
echo two > two.txt
```

## Write a file
~~~text file path={out}/sub/dir/notes.txt
{FILE_TEXT}~~~
```check
test -f {out}/sub/dir/notes.txt
```

## Show an error
```sh run
ls /nonexistent-muelle-dir
```
```sh run
touch shown
```
```check
test -f shown
```

## Read
Nothing to check.
"#,
        out = out.display()
    )
}

const SOLO: &str = "---\nid: solo\ntitle: Solo\nsummary: Only in English.\nlang: en\nduration: 5\n---\n## Read\nText.\n";
const BROKEN: &str = "---\nid: broken\ntitle: B\nsummary: S\nlang: en\nduration: 5\n---\n## Step\n```chek\nx\n```\n";

/// An app whose lessons dir holds `demo` (en, es), `solo` (en) and a broken lesson.
fn app_with_lessons() -> (TestApp, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let write = |rel: &str, text: &str| {
        let p = tmp.path().join("lessons").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("en/01-demo.md", &demo("en", "Demo", &out));
    write("es/01-demo.md", &demo("es", "Demostración", &out));
    write("en/02-solo.md", SOLO);
    write("en/03-broken.md", BROKEN);
    let lessons = tmp.path().join("lessons");
    (TestApp::with(|c| c.lessons_dir = lessons), tmp)
}

async fn lesson_session(app: &TestApp) -> (String, String) {
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"lesson":"demo"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body["id"].as_str().unwrap().to_string(), body["token"].as_str().unwrap().to_string())
}

async fn post(app: &TestApp, uri: &str, token: &str) -> (StatusCode, Value) {
    app.call(Method::POST, uri, Some(token), "").await
}

/// Runs a shell command in a node through the exec API.
async fn exec(app: &TestApp, id: &str, token: &str, node: &str, cmd: &str) {
    let uri = format!("/api/sessions/{id}/nodes/{node}/exec");
    let (status, body) = app.call(Method::POST, &uri, Some(token), &json!({ "cmd": cmd }).to_string()).await;
    assert_eq!((status, body["exit_code"].as_i64()), (StatusCode::OK, Some(0)), "{body}");
}

#[tokio::test]
async fn catalog_lists_servable_lessons_with_language_fallback() {
    let (app, _tmp) = app_with_lessons();
    let (status, all) = app.call(Method::GET, "/api/lessons", None, "").await;
    assert_eq!(status, StatusCode::OK);
    let pairs: Vec<(&str, &str)> =
        all.as_array().unwrap().iter().map(|s| (s["id"].as_str().unwrap(), s["lang"].as_str().unwrap())).collect();
    assert_eq!(pairs, [("demo", "en"), ("demo", "es"), ("solo", "en")]);
    let (_, es) = app.call(Method::GET, "/api/lessons?lang=es", None, "").await;
    let es: Vec<(&str, &str)> =
        es.as_array().unwrap().iter().map(|s| (s["id"].as_str().unwrap(), s["lang"].as_str().unwrap())).collect();
    assert_eq!(es, [("demo", "es"), ("solo", "en")]);

    let (status, l) = app.call(Method::GET, "/api/lessons/demo?lang=es", None, "").await;
    assert_eq!((status, l["title"].as_str(), l["nodes"].as_u64()), (StatusCode::OK, Some("Demostración"), Some(2)));
    assert_eq!(l["steps"].as_array().unwrap().len(), 5);
    assert_eq!(l["steps"][0]["hint"], "Create the marker.");
    assert!(!l.to_string().contains("grep -qx"), "check scripts must not reach the browser");
    let (_, solo) = app.call(Method::GET, "/api/lessons/solo?lang=es", None, "").await;
    assert_eq!(solo["lang"], "en");
    for uri in ["/api/lessons/nope", "/api/lessons/broken?lang=en"] {
        let (status, body) = app.call(Method::GET, uri, None, "").await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("LESSON_NOT_FOUND")), "{uri}");
    }
}

#[tokio::test]
async fn lesson_sessions_get_the_lessons_nodes_and_duration() {
    let (app, _tmp) = app_with_lessons();
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"lesson":"demo","nodes":1}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(body["lesson"], "demo");
    let ttl = body["expires_in_secs"].as_u64().unwrap();
    assert!((1190..=1200).contains(&ttl), "{ttl}");
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"lesson":"nope"}"#).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("LESSON_NOT_FOUND")));
}

#[tokio::test]
async fn checks_report_hints_and_stay_done() {
    let (app, _tmp) = app_with_lessons();
    let (id, token) = lesson_session(&app).await;
    let check1 = format!("/api/sessions/{id}/lesson/steps/1/check?lang=en");
    let (status, body) = post(&app, &check1, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"step": 1, "done": false, "hint": "Create the marker."}));
    exec(&app, &id, &token, "node1", "touch marker").await;
    assert_eq!(post(&app, &check1, &token).await.1, json!({"step": 1, "done": true, "hint": null}));
    // Once done, a step stays done even if the learner undoes its work.
    exec(&app, &id, &token, "node1", "rm marker").await;
    assert_eq!(post(&app, &check1, &token).await.1["done"], true);

    let progress = format!("/api/sessions/{id}/lesson/progress?lang=en");
    let (status, p) = app.call(Method::GET, &progress, Some(&token), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["lesson"], "demo");
    let steps: Vec<(u64, bool)> =
        p["steps"].as_array().unwrap().iter().map(|s| (s["step"].as_u64().unwrap(), s["done"] == true)).collect();
    assert_eq!(steps, [(1, true), (2, false), (3, false), (4, false)]);
    assert_eq!(p["steps"][1]["hint"], "Write two.txt on node2.");

    // The step-2 check runs on node2: the file on node1 does not count.
    exec(&app, &id, &token, "node1", "echo two > two.txt").await;
    assert_eq!(post(&app, &format!("/api/sessions/{id}/lesson/steps/2/check"), &token).await.1["done"], false);
    exec(&app, &id, &token, "node2", "echo two > two.txt").await;
    assert_eq!(post(&app, &format!("/api/sessions/{id}/lesson/steps/2/check"), &token).await.1["done"], true);

    for (uri, status, code) in [
        (format!("/api/sessions/{id}/lesson/steps/5/check"), StatusCode::BAD_REQUEST, "BAD_REQUEST"),
        (format!("/api/sessions/{id}/lesson/steps/9/check"), StatusCode::NOT_FOUND, "NOT_FOUND"),
        (format!("/api/sessions/{id}/lesson/steps/x/check"), StatusCode::BAD_REQUEST, "BAD_REQUEST"),
    ] {
        let (s, body) = post(&app, &uri, &token).await;
        assert_eq!((s, body["code"].as_str()), (status, Some(code)), "{uri}");
    }
}

#[tokio::test]
async fn solve_runs_the_solve_or_replays_the_blocks() {
    let (app, tmp) = app_with_lessons();
    let (id, token) = lesson_session(&app).await;
    // Step 1 has no solve: its run block is replayed in node1.
    let (_, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/1/solve?lang=en"), &token).await;
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["output"].as_str().unwrap().contains("touch marker"));
    let (status, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/2/solve"), &token).await;
    assert_eq!((status, r["ok"].as_bool()), (StatusCode::OK, Some(true)), "{r}");
    // Step 3's file block is written by its replay.
    let (_, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/3/solve"), &token).await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(std::fs::read_to_string(tmp.path().join("out/sub/dir/notes.txt")).unwrap(), FILE_TEXT);
    // Step 4 shows an error on purpose: the replay goes on, and the check decides.
    let (_, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/4/solve"), &token).await;
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["output"].as_str().unwrap().contains("nonexistent-muelle-dir"));
    let (_, p) = app.call(Method::GET, &format!("/api/sessions/{id}/lesson/progress"), Some(&token), "").await;
    assert!(p["steps"].as_array().unwrap().iter().all(|s| s["done"] == true), "{p}");
}

#[tokio::test]
async fn file_blocks_are_written_byte_for_byte() {
    let (app, tmp) = app_with_lessons();
    let (id, token) = lesson_session(&app).await;
    let (_, lesson) = app.call(Method::GET, "/api/lessons/demo?lang=en", None, "").await;
    let block = &lesson["steps"][2]["parts"].as_array().unwrap().iter().find(|p| p["kind"] == "file").unwrap();
    let block_id = block["id"].as_str().unwrap();
    let (status, r) = post(&app, &format!("/api/sessions/{id}/lesson/blocks/{block_id}/write?lang=en"), &token).await;
    assert_eq!((status, r["ok"].as_bool()), (StatusCode::OK, Some(true)), "{r}");
    assert_eq!(std::fs::read(tmp.path().join("out/sub/dir/notes.txt")).unwrap(), FILE_TEXT.as_bytes());
    // A run block is not a file block; unknown ids are 404.
    for bad in ["1.1", "7.7"] {
        let (status, body) = post(&app, &format!("/api/sessions/{id}/lesson/blocks/{bad}/write"), &token).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("NOT_FOUND")), "{bad}");
    }
}

#[tokio::test]
async fn the_step_api_needs_the_token_and_a_lesson_session() {
    let (app, _tmp) = app_with_lessons();
    let (id, token) = lesson_session(&app).await;
    let uris = [
        (Method::GET, format!("/api/sessions/{id}/lesson/progress")),
        (Method::POST, format!("/api/sessions/{id}/lesson/steps/1/check")),
        (Method::POST, format!("/api/sessions/{id}/lesson/steps/1/solve")),
        (Method::POST, format!("/api/sessions/{id}/lesson/blocks/3.1/write")),
    ];
    for (method, uri) in &uris {
        for bad in [None, Some("wrong")] {
            let (status, body) = app.call(method.clone(), uri, bad, "").await;
            assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED")), "{uri}");
        }
    }
    assert!(!_tmp.path().join("out/sub/dir/notes.txt").exists(), "nothing ran without a token");
    let (plain, plain_token) = app.create(1).await;
    let (status, body) =
        app.call(Method::GET, &format!("/api/sessions/{plain}/lesson/progress"), Some(&plain_token), "").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("LESSON_NOT_FOUND")));
    let (status, body) = app.call(Method::GET, "/api/sessions/nope/lesson/progress", Some(&token), "").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("SESSION_NOT_FOUND")));
}

/// Step 2's check ("the marker is gone") passes on fresh nodes; step 1 makes the marker.
const EARLY: &str = "---\nid: early\ntitle: Early\nsummary: S\nlang: es\nduration: 5\n---\n## Crear\n```sh run\ntouch marker\n```\n```check\ntest -f marker\n```\n## Borrar\n```sh run\nrm marker\n```\n```check\n! test -f marker\n```\n";

#[tokio::test]
async fn a_check_that_passes_on_fresh_nodes_waits_for_its_step() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("lessons/es")).unwrap();
    std::fs::write(tmp.path().join("lessons/es/01-early.md"), EARLY).unwrap();
    let lessons = tmp.path().join("lessons");
    let app = TestApp::with(|c| c.lessons_dir = lessons);
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"lesson":"early"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (id, token) = (body["id"].as_str().unwrap().to_string(), body["token"].as_str().unwrap().to_string());
    let progress = format!("/api/sessions/{id}/lesson/progress");
    let done = |p: &Value| -> Vec<bool> { p["steps"].as_array().unwrap().iter().map(|s| s["done"] == true).collect() };

    // Fresh nodes: step 2's check would pass, but step 2 has not been reached.
    let (_, p) = app.call(Method::GET, &progress, Some(&token), "").await;
    assert_eq!(done(&p), [false, false], "{p}");
    let (_, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/2/check"), &token).await;
    assert_eq!(r["done"], false, "{r}");
    assert!(r["fail"].as_str().unwrap().starts_with("Primero termina el paso 1 («Crear»)"), "{r}");
    let (_, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/2/solve"), &token).await;
    assert_eq!(r["ok"], false, "{r}");
    assert!(r["output"].as_str().unwrap().contains("Primero termina el paso 1"), "{r}");

    // Step 1 done by hand; step 2's check now runs and fails while the marker is there.
    exec(&app, &id, &token, "node1", "touch marker").await;
    let (_, p) = app.call(Method::GET, &progress, Some(&token), "").await;
    assert_eq!(done(&p), [true, false], "{p}");
    let (_, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/2/check"), &token).await;
    assert_eq!((r["done"].as_bool(), r.get("fail")), (Some(false), None), "{r}");
    exec(&app, &id, &token, "node1", "rm marker").await;
    let (_, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/2/check"), &token).await;
    assert_eq!(r["done"], true, "{r}");
}

/// A lesson whose `setup:` writes a file in each node's home (a different one on node2) and
/// whose `background:` writes one later, and a lesson whose setup fails.
fn app_with_setup_lessons() -> (TestApp, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = tmp.path().join("lessons").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "en/01-prep.md",
        "---\nid: prep\ntitle: Prep\nsummary: S.\nlang: en\nduration: 5\nnodes: 2\nsetup:\n  node1: |\n    echo one > ready.txt\n    echo \"$PWD\" >> ready.txt\n  node2: echo two > ready.txt\nbackground: |\n  sleep 2\n  echo late > bg.txt\n---\n## Look\n```sh run\ncat ready.txt\n```\n",
    );
    write(
        "en/02-badprep.md",
        "---\nid: badprep\ntitle: Bad\nsummary: S.\nlang: en\nduration: 5\nsetup: |\n  echo preparing\n  echo no such package >&2\n  exit 3\n---\n## Look\nText.\n",
    );
    let lessons = tmp.path().join("lessons");
    (TestApp::with(|c| c.lessons_dir = lessons), tmp)
}

/// Runs a shell command in a node through the exec API; returns its stdout.
async fn exec_out(app: &TestApp, id: &str, token: &str, node: &str, cmd: &str) -> String {
    let uri = format!("/api/sessions/{id}/nodes/{node}/exec");
    let (status, body) = app.call(Method::POST, &uri, Some(token), &json!({ "cmd": cmd }).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["stdout"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn setup_runs_before_the_session_is_returned_and_background_alongside() {
    let (app, _tmp) = app_with_setup_lessons();
    let started = std::time::Instant::now();
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"lesson":"prep"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["setup"], json!({"state": "done"}), "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "the background script must not be waited for");
    let (id, token) = (body["id"].as_str().unwrap(), body["token"].as_str().unwrap());
    // The setup's files are there before the student did anything, each node with its own.
    let one = exec_out(&app, id, token, "node1", "cat ready.txt; test ! -e bg.txt && echo no-bg-yet").await;
    let home = exec_out(&app, id, token, "node1", "echo \"$PWD\"").await;
    assert_eq!(one, format!("one\n{home}no-bg-yet\n"));
    assert_eq!(exec_out(&app, id, token, "node2", "cat ready.txt").await, "two\n");
    // The background script runs on every node, after the response.
    for node in ["node1", "node2"] {
        let mut got = String::new();
        for _ in 0..40 {
            got = exec_out(&app, id, token, node, "cat bg.txt 2>/dev/null || true").await;
            if !got.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        assert_eq!(got, "late\n", "{node}");
    }
    let (status, info) = app.call(Method::GET, &format!("/api/sessions/{id}"), Some(token), "").await;
    assert_eq!((status, &info["setup"]), (StatusCode::OK, &json!({"state": "done"})));
    // A lesson without setup scripts has no setup status.
    let (app2, _tmp2) = app_with_lessons();
    let (_, body) = app2.call(Method::POST, "/api/sessions", None, r#"{"lesson":"demo"}"#).await;
    assert!(body.get("setup").is_none(), "{body}");
}

#[tokio::test]
async fn a_failed_setup_is_reported_with_its_output() {
    let (app, _tmp) = app_with_setup_lessons();
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"lesson":"badprep"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["setup"]["state"], "failed", "{body}");
    let message = body["setup"]["message"].as_str().unwrap();
    assert!(message.starts_with("setup on node1 exited with 3:\n"), "{message}");
    assert!(message.contains("preparing") && message.contains("no such package"), "{message}");
    let (id, token) = (body["id"].as_str().unwrap(), body["token"].as_str().unwrap());
    let (_, info) = app.call(Method::GET, &format!("/api/sessions/{id}"), Some(token), "").await;
    assert_eq!(info["setup"], body["setup"]);
}

const VARS: &str = r#"---
id: vars
title: Variables
summary: Node variables and node=all.
lang: en
duration: 5
nodes: 2
---
## Everywhere
```sh run node=all
echo "{{node2.ip}} {{ node1.name }} {{session.id}}" > vars.txt
```
```check node=all
test -f vars.txt
```

## Templates stay
```sh run
echo '{{.State.Pid}} {{json .}}' > tpl.txt
```
```check
grep -qxF '{{.State.Pid}} {{json .}}' tpl.txt
```
"#;

/// Runs `cmd` in `node` and returns its stdout.
async fn stdout_of(app: &TestApp, id: &str, token: &str, node: &str, cmd: &str) -> String {
    let uri = format!("/api/sessions/{id}/nodes/{node}/exec");
    let (status, body) = app.call(Method::POST, &uri, Some(token), &json!({ "cmd": cmd }).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["stdout"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn node_variables_are_filled_in_and_node_all_runs_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("lessons/en")).unwrap();
    std::fs::write(tmp.path().join("lessons/en/01-vars.md"), VARS).unwrap();
    let lessons = tmp.path().join("lessons");
    let app = TestApp::with(|c| c.lessons_dir = lessons);
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"lesson":"vars"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (id, token) = (body["id"].as_str().unwrap().to_string(), body["token"].as_str().unwrap().to_string());
    let ip2 = body["nodes"][1]["ip"].as_str().unwrap().to_string();
    // The lesson as sent keeps the variables: the browser fills them in.
    let (_, lesson) = app.call(Method::GET, "/api/lessons/vars?lang=en", None, "").await;
    assert!(lesson.to_string().contains("{{node2.ip}}"), "{lesson}");

    // A `node=all` check must pass on every node: node1 alone is not enough.
    exec(&app, &id, &token, "node1", "touch vars.txt").await;
    let (_, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/1/check"), &token).await;
    assert_eq!(r["done"], false, "{r}");
    exec(&app, &id, &token, "node1", "rm vars.txt").await;

    // Skip replays the `node=all` block on both nodes, with the variables filled in.
    let (_, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/1/solve"), &token).await;
    assert_eq!(r["ok"], true, "{r}");
    let want = format!("{} node1 {id}\n", if ip2.is_empty() { "{{node2.ip}}" } else { &ip2 });
    for node in ["node1", "node2"] {
        assert_eq!(stdout_of(&app, &id, &token, node, "cat vars.txt").await, want, "{node}");
    }
    // Go templates reach the node unchanged.
    let (_, r) = post(&app, &format!("/api/sessions/{id}/lesson/steps/2/solve"), &token).await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(stdout_of(&app, &id, &token, "node1", "cat tpl.txt").await, "{{.State.Pid}} {{json .}}\n");
}

const SOLVED: &str = r#"---
id: solved
title: Solutions
summary: Shows its solutions.
lang: en
duration: 5
solutions: true
---
## With a solve
```sh run
touch a
```
```check
test -f a && test -f secret-check-marker || true
```
```solve
touch a # from {{node1.name}}
```

## Blocks only
```sh run
echo one
```
~~~text file path=/tmp/muelle-solution-test/{{session.id}}.txt
hello
~~~

## Read
Nothing to do.
"#;

#[tokio::test]
async fn solutions_are_shown_only_when_the_lesson_allows_them() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("lessons/en")).unwrap();
    std::fs::write(tmp.path().join("lessons/en/01-vars.md"), VARS).unwrap();
    std::fs::write(tmp.path().join("lessons/en/02-solved.md"), SOLVED).unwrap();
    let lessons = tmp.path().join("lessons");
    let app = TestApp::with(|c| c.lessons_dir = lessons);
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"lesson":"solved"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (id, token) = (body["id"].as_str().unwrap().to_string(), body["token"].as_str().unwrap().to_string());
    let (_, lesson) = app.call(Method::GET, "/api/lessons/solved?lang=en", None, "").await;
    let has: Vec<bool> = lesson["steps"].as_array().unwrap().iter().map(|s| s["has_solution"] == true).collect();
    assert_eq!(has, [true, true, false], "{lesson}");
    assert!(!lesson.to_string().contains("secret-check-marker"), "the check stays on the server");
    assert!(!lesson.to_string().contains("# from"), "the solve is only sent on request");

    let get = |step: u32, id: String, token: String| {
        let app = &app;
        async move { app.call(Method::GET, &format!("/api/sessions/{id}/lesson/steps/{step}/solution?lang=en"), Some(&token), "").await }
    };
    let (status, s) = get(1, id.clone(), token.clone()).await;
    assert_eq!((status, s["text"].as_str()), (StatusCode::OK, Some("touch a # from node1\n")), "{s}");
    let (status, s) = get(2, id.clone(), token.clone()).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["text"].as_str().unwrap(), format!("echo one\n\n# /tmp/muelle-solution-test/{id}.txt\nhello\n"));
    let (status, _) = get(3, id.clone(), token.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(9, id.clone(), token.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(1, id.clone(), "wrong".into()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A lesson without `solutions: true` keeps them hidden.
    let (_, body) = app.call(Method::POST, "/api/sessions", None, r#"{"lesson":"vars"}"#).await;
    let (vars_id, vars_token) = (body["id"].as_str().unwrap().to_string(), body["token"].as_str().unwrap().to_string());
    let (status, s) = get(1, vars_id, vars_token).await;
    assert_eq!((status, s["code"].as_str()), (StatusCode::FORBIDDEN, Some("SOLUTIONS_HIDDEN")), "{s}");
    let (_, demo) = app.call(Method::GET, "/api/lessons/vars?lang=en", None, "").await;
    assert!(demo["steps"].as_array().unwrap().iter().all(|s| s.get("has_solution").is_none()), "{demo}");
}
