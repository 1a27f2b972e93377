//! Issue 13 on real nodes: a class's seats hold capacity (its students get in while playground
//! sessions are refused), and a class with its students' progress survives a restart of the
//! server (the same database, the nodes re-adopted).

use std::time::{Duration, Instant};

use e2e::Stack;
use serde_json::{json, Value};
use serial_test::serial;

const LESSON: &str = "---\nid: class-e2e\ntitle: Class e2e\nsummary: One checked step.\nlang: en\nduration: 20m\nnodes: 1\n---\n## Make a marker\n```sh run\ntouch /tmp/class-marker\n```\n```check\ntest -f /tmp/class-marker\n```\n";

async fn call(base: &str, method: reqwest::Method, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, format!("{base}{path}")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
#[serial]
async fn class_seats_hold_capacity_and_the_class_survives_a_restart() {
    use reqwest::Method;
    let tmp = std::env::temp_dir().join(format!("muelle-class-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("lessons/en")).unwrap();
    std::fs::write(tmp.join("lessons/en/01-class-e2e.md"), LESSON).unwrap();
    let db = tmp.join("muelle.db");
    let setup = |c: &mut backend::Config| {
        c.max_nodes = 4;
        c.db_file = Some(db.clone());
        c.lessons_dir = tmp.join("lessons");
    };
    let stack = Stack::start(setup).await.unwrap();
    let teacher = backend::classes::instructor::new_instructor_token(&backend::store::Store::open(&db).unwrap()).unwrap();
    let base = stack.base.clone();

    // 2 seats × 1 node of 4: admitted; 3 × 1 beside it is not.
    let (status, class) =
        call(&base, Method::POST, "/api/classes", Some(&teacher), json!({ "name": "e2e", "lessons": ["class-e2e"], "seats": 2 })).await;
    assert_eq!(status, 201, "{class}");
    let (id, code) = (class["id"].as_str().unwrap().to_string(), class["join_code"].as_str().unwrap().to_string());
    let (status, _) = call(&base, Method::POST, "/api/classes", Some(&teacher), json!({ "name": "x", "seats": 3 })).await;
    assert_eq!(status, 503);
    // Two playground sessions take the free nodes; a third is refused.
    let mut playground = Vec::new();
    for _ in 0..2 {
        let (status, s) = call(&base, Method::POST, "/api/sessions", None, json!({})).await;
        assert_eq!(status, 201, "{s}");
        playground.push(s);
    }
    let (status, err) = call(&base, Method::POST, "/api/sessions", None, json!({})).await;
    assert_eq!((status, err["code"].as_str()), (503, Some("OUT_OF_CAPACITY")));
    // Both students still get real nodes.
    let mut students = Vec::new();
    for name in ["Ana", "Bo"] {
        let (status, s) = call(&base, Method::POST, &format!("/api/classes/{code}/join"), None, json!({ "name": name })).await;
        assert_eq!(status, 201, "{name}: {s}");
        students.push(s);
    }
    let (aid, atok) = (students[0]["id"].as_str().unwrap().to_string(), students[0]["token"].as_str().unwrap().to_string());
    let (status, out) = call(&base, Method::POST, &format!("/api/sessions/{aid}/nodes/node1/exec"), Some(&atok), json!({ "cmd": "touch /tmp/class-marker" })).await;
    assert_eq!((status, out["exit_code"].as_i64()), (200, Some(0)), "{out}");
    let (_, st) = call(&base, Method::POST, &format!("/api/sessions/{aid}/lesson/steps/1/check"), Some(&atok), json!({})).await;
    assert_eq!(st["done"], true, "{st}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, p) = call(&base, Method::GET, &format!("/api/classes/{id}/progress"), Some(&teacher), Value::Null).await;
        if p["students"][0]["done"].as_array().is_some_and(|d| !d.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "step never recorded: {p}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for s in &playground {
        let r = reqwest::Client::new()
            .delete(format!("{base}/api/sessions/{}", s["id"].as_str().unwrap()))
            .bearer_auth(s["token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }

    // Restart on the same database.
    drop(stack);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stack = Stack::start(setup).await.unwrap();
    let base = stack.base.clone();
    let (status, p) = call(&base, Method::GET, &format!("/api/classes/{id}/progress"), Some(&teacher), Value::Null).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["students"][0]["name"], "Ana");
    assert_eq!(p["students"][0]["done"][0]["step"], 1);
    assert_eq!(p["students"][0]["session_id"].as_str(), Some(aid.as_str()));
    let (status, out) = call(&base, Method::POST, &format!("/api/sessions/{aid}/nodes/node1/exec"), Some(&atok), json!({ "cmd": "test -f /tmp/class-marker" })).await;
    assert_eq!((status, out["exit_code"].as_i64()), (200, Some(0)), "the student's node was not re-adopted: {out}");
    // The hold came back with the class: 2 students live of 4, so 3 seats do not fit, 2 do.
    let (status, err) = call(&base, Method::POST, "/api/classes", Some(&teacher), json!({ "name": "y", "seats": 3 })).await;
    assert_eq!(status, 503, "{err}");
    assert!(err["message"].as_str().unwrap().contains("only 2 are free"), "{err}");
    // End all: the students' sessions go.
    let (status, end) = call(&base, Method::POST, &format!("/api/classes/{id}/end"), Some(&teacher), json!({})).await;
    assert_eq!((status, end["ended"].as_u64()), (200, Some(2)), "{end}");
    let (status, _) = call(&base, Method::GET, &format!("/api/sessions/{aid}"), Some(&atok), Value::Null).await;
    assert_eq!(status, 404);
    drop(stack);
    let _ = std::fs::remove_dir_all(&tmp);
}
