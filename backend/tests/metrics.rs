//! `/metrics`, `/readyz` and `/api/admin` over HTTP, on the fake provider: the values move as
//! sessions start and end, a drain refuses new sessions (and shows in the metrics and readiness),
//! the admin lists and ends sessions. One test: the counters are process-wide.

mod common;

use backend::config::SandboxKind;
use common::TestApp;

const ADMIN: &str = "admin-token-for-the-tests";

/// The value of the series `series` (name and labels, exactly) in a scrape.
fn value(text: &str, series: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.strip_prefix(series).is_some_and(|rest| rest.starts_with(' ')))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn scrape(&self) -> String {
        let resp = self.http.get(format!("{}/metrics", self.base)).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
        resp.text().await.unwrap()
    }

    async fn create(&self) -> (u16, serde_json::Value) {
        let resp = self
            .http
            .post(format!("{}/api/sessions", self.base))
            .header("content-type", "application/json")
            .body(r#"{"nodes":2}"#)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    async fn admin(&self, method: reqwest::Method, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, if text.is_empty() { serde_json::Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    async fn ready(&self) -> (u16, serde_json::Value) {
        let resp = self.http.get(format!("{}/readyz", self.base)).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_readiness_and_admin_follow_the_sessions() {
    let app = TestApp::with(|c| {
        c.sandbox = SandboxKind::Fake;
        c.max_nodes = 3;
        c.admin_token = Some(ADMIN.into());
    });
    let addr = app.serve().await;
    let c = Client { http: reqwest::Client::new(), base: format!("http://{addr}") };

    let before = c.scrape().await;
    assert_eq!(value(&before, "muelle_sessions_live"), 0.0);
    assert_eq!(value(&before, "muelle_nodes_live"), 0.0);
    assert_eq!(value(&before, "muelle_ready"), 1.0);
    assert_eq!(c.ready().await.0, 200);
    let starts = value(&before, "muelle_session_starts_total");
    let observed = value(&before, "muelle_session_start_seconds_count");
    let ends = value(&before, "muelle_session_ends_total");

    // A session of two nodes: live gauges, a start and its latency.
    let (status, first) = c.create().await;
    assert_eq!(status, 201, "{first}");
    let id = first["id"].as_str().unwrap().to_string();
    let m = c.scrape().await;
    assert_eq!(value(&m, "muelle_sessions_live"), 1.0);
    assert_eq!(value(&m, "muelle_nodes_live"), 2.0);
    assert_eq!(value(&m, "muelle_session_starts_total"), starts + 1.0);
    assert_eq!(value(&m, "muelle_session_start_seconds_count"), observed + 1.0);
    assert_eq!(value(&m, "muelle_session_start_seconds_bucket{le=\"+Inf\"}"), observed + 1.0);

    // Two more nodes would pass MUELLE_MAX_NODES=3: refused, counted by reason; 3 of 3 is not
    // reached, so still ready.
    let refused_before = value(&m, "muelle_refusals_total{reason=\"OUT_OF_CAPACITY\"}");
    let (status, body) = c.create().await;
    assert_eq!((status, body["code"].as_str()), (503, Some("OUT_OF_CAPACITY")), "{body}");
    let m = c.scrape().await;
    assert_eq!(value(&m, "muelle_refusals_total{reason=\"OUT_OF_CAPACITY\"}"), refused_before + 1.0);
    assert_eq!(value(&m, "muelle_sessions_live"), 1.0);

    // The admin: no token, a wrong one → 401; the right one lists the session with its client.
    for token in [None, Some("not-the-admin-token")] {
        let (status, body) = c.admin(reqwest::Method::GET, "/api/admin/sessions", token).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("ADMIN_UNAUTHORIZED")), "{body}");
    }
    // A session's own token is not an admin token.
    let (status, _) = c.admin(reqwest::Method::GET, "/api/admin/sessions", first["token"].as_str()).await;
    assert_eq!(status, 401);
    let (status, list) = c.admin(reqwest::Method::GET, "/api/admin/sessions", Some(ADMIN)).await;
    assert_eq!(status, 200, "{list}");
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{list}");
    assert_eq!(sessions[0]["id"], id.as_str());
    assert_eq!(sessions[0]["client"], "127.0.0.1");
    assert_eq!(sessions[0]["nodes"].as_array().unwrap().len(), 2);
    assert!(sessions[0]["age_secs"].as_u64().unwrap() < 60, "{list}");
    assert_eq!(list["draining"], false);

    // Drain: new sessions get a 503 DRAINING, the live one stays, readiness says why.
    let (status, drain) = c.admin(reqwest::Method::POST, "/api/admin/drain", Some(ADMIN)).await;
    assert_eq!((status, drain["draining"].as_bool(), drain["live_sessions"].as_u64()), (200, Some(true), Some(1)), "{drain}");
    let drained_before = value(&c.scrape().await, "muelle_refusals_total{reason=\"DRAINING\"}");
    let (status, body) = c.create().await;
    assert_eq!((status, body["code"].as_str()), (503, Some("DRAINING")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("live sessions go on"), "{body}");
    let (status, ready) = c.ready().await;
    assert_eq!(status, 503, "{ready}");
    assert!(ready["reasons"][0].as_str().unwrap().starts_with("draining"), "{ready}");
    let m = c.scrape().await;
    assert_eq!(value(&m, "muelle_refusals_total{reason=\"DRAINING\"}"), drained_before + 1.0);
    assert_eq!((value(&m, "muelle_draining"), value(&m, "muelle_ready")), (1.0, 0.0));
    assert_eq!(value(&m, "muelle_sessions_live"), 1.0);
    let (status, _) = c.admin(reqwest::Method::DELETE, "/api/admin/drain", Some(ADMIN)).await;
    assert_eq!(status, 200);
    assert_eq!(c.ready().await.0, 200);

    // The admin ends the session: the gauges fall, an end is counted; ending it again is 404.
    let (status, _) = c.admin(reqwest::Method::DELETE, &format!("/api/admin/sessions/{id}"), Some(ADMIN)).await;
    assert_eq!(status, 204);
    let m = c.scrape().await;
    assert_eq!(value(&m, "muelle_sessions_live"), 0.0);
    assert_eq!(value(&m, "muelle_nodes_live"), 0.0);
    assert_eq!(value(&m, "muelle_session_ends_total"), ends + 1.0);
    let (status, body) = c.admin(reqwest::Method::DELETE, &format!("/api/admin/sessions/{id}"), Some(ADMIN)).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("SESSION_NOT_FOUND")));

    // Capacity exhausted: three one-node sessions fill MUELLE_MAX_NODES=3 and readiness drops.
    for _ in 0..3 {
        let resp = c.http.post(format!("{}/api/sessions", c.base)).header("content-type", "application/json").body(r#"{"nodes":1}"#).send().await.unwrap();
        assert_eq!(resp.status(), 201);
    }
    let (status, ready) = c.ready().await;
    assert_eq!(status, 503, "{ready}");
    assert!(ready["reasons"][0].as_str().unwrap().contains("3 of 3 nodes"), "{ready}");
    // Liveness is another matter.
    assert_eq!(c.http.get(format!("{}/healthz", c.base)).send().await.unwrap().status(), 200);
}
