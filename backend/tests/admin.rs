//! `/api/admin` with either credential: the admin token or an instructor token list sessions
//! (a class seat with its class and student), end one and drain; a draining server refuses class
//! joins as it refuses new sessions; every other bearer is a 401 `ADMIN_UNAUTHORIZED`.

mod common;

use axum::http::{Method, StatusCode};
use backend::classes::instructor::new_instructor_token;
use common::TestApp;
use serde_json::json;

const ADMIN: &str = "admin-token-for-the-admin-tests";

#[tokio::test]
async fn an_instructor_token_is_an_admin_credential() {
    // No admin token configured at all: the instructor's alone opens the view.
    let app = TestApp::new();
    let instructor = new_instructor_token(app.state.classes.store()).unwrap();
    let (plain, _) = app.create(1).await;
    let (status, class) = app
        .call(Method::POST, "/api/classes", Some(&instructor), &json!({ "name": "3B", "lessons": [], "seats": 2 }).to_string())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    let code = class["join_code"].as_str().unwrap();
    let (status, joined) = app.call(Method::POST, &format!("/api/classes/{code}/join"), None, &json!({ "name": "Ana" }).to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    let seat = joined["id"].as_str().unwrap().to_string();

    let (status, list) = app.call(Method::GET, "/api/admin/sessions", Some(&instructor), "").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{list}");
    let find = |id: &str| sessions.iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("{id} not in {list}"));
    assert_eq!(find(&plain)["class"], serde_json::Value::Null);
    assert_eq!(find(&plain)["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(find(&seat)["class"]["name"], "3B", "{list}");
    assert_eq!(find(&seat)["class"]["student"], "Ana", "{list}");

    // Drain with the instructor's token: new sessions and class joins are refused alike.
    let (status, drain) = app.call(Method::POST, "/api/admin/drain", Some(&instructor), "").await;
    assert_eq!((status, drain["draining"].as_bool(), drain["live_sessions"].as_u64()), (StatusCode::OK, Some(true), Some(2)), "{drain}");
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"nodes":1}"#).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("DRAINING")), "{body}");
    let (status, body) = app.call(Method::POST, &format!("/api/classes/{code}/join"), None, &json!({ "name": "Bo" }).to_string()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("DRAINING")), "{body}");
    let (status, state) = app.call(Method::GET, "/api/admin/drain", Some(&instructor), "").await;
    assert_eq!((status, state["draining"].as_bool()), (StatusCode::OK, Some(true)), "{state}");
    // The refused join took no seat: once the drain is lifted, Bo gets the second one.
    let (status, _) = app.call(Method::DELETE, "/api/admin/drain", Some(&instructor), "").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.call(Method::POST, &format!("/api/classes/{code}/join"), None, &json!({ "name": "Bo" }).to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // End a session with it: gone from the list, its own token no longer opens it.
    let (status, body) = app.call(Method::DELETE, &format!("/api/admin/sessions/{plain}"), Some(&instructor), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, list) = app.call(Method::GET, "/api/admin/sessions", Some(&instructor), "").await;
    assert!(list["sessions"].as_array().unwrap().iter().all(|s| s["id"] != plain.as_str()), "{list}");
}

#[tokio::test]
async fn the_admin_token_works_and_anything_else_is_refused() {
    let app = TestApp::with(|c| c.admin_token = Some(ADMIN.into()));
    let instructor = new_instructor_token(app.state.classes.store()).unwrap();
    let (id, session_token) = app.create(1).await;
    for token in [ADMIN, instructor.as_str()] {
        let (status, list) = app.call(Method::GET, "/api/admin/sessions", Some(token), "").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list["sessions"][0]["id"], id.as_str());
    }
    // One hex digit changed (to one that differs from the last digit, whatever it is).
    let last = if instructor.ends_with('0') { '1' } else { '0' };
    let wrong_instructor = format!("{}{last}", &instructor[..instructor.len() - 1]);
    assert_ne!(wrong_instructor, instructor);
    let refused: [Option<&str>; 6] = [None, Some(""), Some("not-a-credential"), Some(&session_token), Some(&ADMIN[1..]), Some(&wrong_instructor)];
    for token in refused {
        for (method, path) in [
            (Method::GET, "/api/admin/sessions".to_string()),
            (Method::DELETE, format!("/api/admin/sessions/{id}")),
            (Method::POST, "/api/admin/drain".to_string()),
            (Method::GET, "/api/admin/drain".to_string()),
        ] {
            let (status, body) = app.call(method.clone(), &path, token, "").await;
            assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("ADMIN_UNAUTHORIZED")), "{method} {path} with {token:?}: {body}");
            assert!(body["message"].as_str().unwrap().contains("instructor token"), "{body}");
        }
    }
    // Nothing of the refused calls happened: the session lives, no drain.
    let (status, state) = app.call(Method::GET, "/api/admin/drain", Some(ADMIN), "").await;
    assert_eq!((status, state["draining"].as_bool(), state["live_sessions"].as_u64()), (StatusCode::OK, Some(false), Some(1)), "{state}");
    // The admin token ends it.
    let (status, _) = app.call(Method::DELETE, &format!("/api/admin/sessions/{id}"), Some(ADMIN), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
