//! Issue #3: state lives in SQLite; after `kill -9` of the backend and a restart, live sessions
//! are re-adopted (their containers still run, a terminal reconnect gets a fresh shell) and the
//! sessions that expired meanwhile are swept, leaving nothing.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use e2e::{data_dir, leftovers, Terminal};
use protocol::{CreateSessionResponse, ExecResponse};
use serial_test::serial;

/// The `muelle` binary cargo built beside this test (target/<profile>/muelle).
pub(crate) fn muelle_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|d| d.join("muelle"))
        .find(|p| p.is_file())
        .expect("target/<profile>/muelle: build it with `cargo build -p backend`")
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(port: u16, ttl_secs: u64) -> Server {
        let child = Command::new(muelle_bin())
            .arg("serve")
            .env("MUELLE_BIND", format!("127.0.0.1:{port}"))
            .env("MUELLE_DATA_DIR", data_dir())
            .env("MUELLE_SESSION_TTL_SECS", ttl_secs.to_string())
            .env("MUELLE_EXPIRY_INTERVAL_SECS", "1")
            // kill -9 leaves a pool's nodes to the next start's sweep; keep this test to its own.
            .env("MUELLE_POOL_SIZE", "0")
            .spawn()
            .expect("start muelle serve");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(format!("{base}/healthz")).await.map(|r| r.status() != 200).unwrap_or(true) {
            assert!(Instant::now() < deadline, "muelle serve did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Server { child, base }
    }

    fn kill9(&mut self) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
    }

    async fn create(&self) -> CreateSessionResponse {
        let r = reqwest::Client::new().post(format!("{}/api/sessions", self.base)).json(&serde_json::json!({})).send().await.unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    async fn exec(&self, s: &CreateSessionResponse, cmd: &str) -> ExecResponse {
        let r = reqwest::Client::new()
            .post(format!("{}{}", self.base, protocol::routes::exec(&s.session.id, "node1")))
            .bearer_auth(&s.token)
            .json(&serde_json::json!({ "cmd": cmd, "timeout_secs": 60 }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "exec {cmd:?}: {}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    async fn status(&self, s: &CreateSessionResponse) -> u16 {
        let r = reqwest::Client::new()
            .get(format!("{}{}", self.base, protocol::routes::session(&s.session.id)))
            .bearer_auth(&s.token)
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn key(s: &CreateSessionResponse) -> (String, String) {
    let ip = &s.session.nodes[0].ip;
    (format!("{}-1", &s.session.id[..6]), crate::support::bridge_of(ip))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn kill_9_and_restart_readopts_live_sessions_and_sweeps_expired_ones() {
    const TTL: u64 = 25;
    let mut server = Server::start(18731, TTL).await;
    let doomed = server.create().await; // expires while the backend is down
    tokio::time::sleep(Duration::from_secs(12)).await;
    let live = server.create().await;
    let out = server.exec(&live, "docker run -d --name keep busybox sleep 1000 >/dev/null && echo started").await;
    assert_eq!(out.stdout, "started\n", "{}", out.stderr);
    server.kill9();

    // Down long enough for `doomed` (created TTL s ago + margin) to expire, not `live`.
    tokio::time::sleep(Duration::from_secs(TTL - 10)).await;
    let mut server = Server::start(18732, TTL).await;
    assert_eq!(server.status(&live).await, 200, "live session not re-adopted");
    let out = server.exec(&live, "docker ps --format '{{.Names}}'").await;
    assert_eq!(out.stdout.trim(), "keep", "container lost across the restart: {}", out.stderr);
    let url = format!("ws{}{}", &server.base[4..], protocol::routes::terminal(&live.session.id, "node1", &live.token));
    let mut term = Terminal::connect(&url).await.expect("terminal after restart");
    term.type_str("echo fresh-$((20+3))\n").await.unwrap();
    term.expect("fresh-23", Duration::from_secs(10)).await.unwrap();

    assert_eq!(server.status(&doomed).await, 404, "expired session still served");
    let (k, br) = key(&doomed);
    let left = leftovers(&data_dir(), &k, &br);
    assert!(left.is_empty(), "expired session left: {left:?}");

    drop(term);
    let r = reqwest::Client::new()
        .delete(format!("{}{}", server.base, protocol::routes::session(&live.session.id)))
        .bearer_auth(&live.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (k, br) = key(&live);
    assert!(leftovers(&data_dir(), &k, &br).is_empty());
    server.kill9();
}
