//! SSH into nodes over the fake provider, with Debian's OpenSSH client: the command the API
//! gives logs in and opens a shell (listed among the node's shells), a wrong key and an exec are
//! refused, and the connection ends when the session is deleted. The real-node version is in
//! tests/e2e/ssh.rs.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use common::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

const SSH: &str = "/usr/bin/ssh";

fn ssh(port: u16, user: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(SSH);
    cmd.args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"])
        .args(["-p", &port.to_string()])
        .args(extra)
        .arg(format!("{user}@127.0.0.1"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Reads the child's stdout into `out` until it contains `needle`.
async fn read_until(child: &mut Child, out: &mut String, needle: &str, limit: Duration) {
    let stdout = child.stdout.as_mut().unwrap();
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 4096];
    while !out.contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stdout.read(&mut buf)).await {
            Ok(Ok(0)) => panic!("ssh's output ended before {needle:?}:\n{out}"),
            Ok(Ok(n)) => out.push_str(&String::from_utf8_lossy(&buf[..n])),
            Ok(Err(e)) => panic!("reading ssh: {e}"),
            Err(_) => panic!("{needle:?} not seen within {limit:?}:\n{out}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_opens_a_shell_refuses_wrong_keys_and_ends_with_the_session() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;

    // Off: the API says so.
    let (status, body) = app.call(Method::GET, &protocol::routes::ssh(&id), Some(&token), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enabled"], false, "{body}");

    let _ssh = backend::ssh::start("127.0.0.1:0".parse().unwrap(), app.state.clone()).await.unwrap();
    let port = app.state.ssh.port().expect("listening");
    let key_file = app.state.config.data_dir.join(backend::ssh::HOST_KEY_FILE);
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the host key is private");

    // The command, for node1 by default; another token gets no command.
    let (status, body) = app.call(Method::GET, &protocol::routes::ssh(&id), Some(&token), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let info: protocol::ssh::SshInfo = serde_json::from_value(body).unwrap();
    assert!(info.enabled);
    let user = info.user.clone().unwrap();
    assert!(user.starts_with(&format!("node1.{id}.")), "{user}");
    assert_eq!(info.command.as_deref(), Some(format!("ssh -p {port} {user}@localhost").as_str()));
    let (status, _) = app.call(Method::GET, &protocol::routes::ssh(&id), Some(&"0".repeat(64)), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(Method::GET, &format!("{}?node=node9", protocol::routes::ssh(&id)), Some(&token), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A wrong key (last character changed), a bare node name: refused.
    let last = user.chars().last().unwrap();
    let wrong = format!("{}{}", &user[..user.len() - 1], if last == '0' { '1' } else { '0' });
    for bad in [wrong.as_str(), "node1", "root"] {
        let out = ssh(port, bad, &["-tt"]).stdin(Stdio::null()).output().await.unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(255), "{bad}: {err}");
        assert!(err.contains("Permission denied"), "{bad}: {err}");
    }

    // A command: refused with a message.
    let out = ssh(port, &user, &[]).arg("hostname").stdin(Stdio::null()).output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("only interactive shells"), "{err}");

    // An interactive shell: commands run; the shell is the node's term 2.
    let mut child = ssh(port, &user, &["-tt"]).spawn().unwrap();
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(b"echo MARK-$((6*7)) $((40+2))x\n").await.unwrap();
    let mut out = String::new();
    read_until(&mut child, &mut out, "MARK-42 42x", Duration::from_secs(20)).await;
    let (status, body) = app.call(Method::GET, &protocol::routes::terminals(&id, "node1"), Some(&token), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["terms"], serde_json::json!([2]), "the SSH shell is listed as the node's shell 2");

    // The session ends: the connection says so and closes.
    let (status, _) = app.call(Method::DELETE, &protocol::routes::session(&id), Some(&token), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    read_until(&mut child, &mut out, "session ended", Duration::from_secs(15)).await;
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait()).await.expect("ssh exits").unwrap();
    assert!(!status.success(), "the shell was killed: {status:?}");
    assert!(app.state.terminals.list(&id, "node1").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssh_shell_ends_with_exit_and_hangs_up_when_the_client_leaves() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let _ssh = backend::ssh::start("127.0.0.1:0".parse().unwrap(), app.state.clone()).await.unwrap();
    let port = app.state.ssh.port().unwrap();
    let user = app.state.sessions.ssh_user(&id, "node1").unwrap();

    // `exit 3`: the client exits with the shell's code.
    let mut child = ssh(port, &user, &["-tt"]).spawn().unwrap();
    child.stdin.as_mut().unwrap().write_all(b"exit 3\n").await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await.expect("ssh exits").unwrap();
    assert_eq!(status.code(), Some(3));

    // Killing the client hangs its shell up: the node has no shell left.
    let mut child = ssh(port, &user, &["-tt"]).spawn().unwrap();
    child.stdin.as_mut().unwrap().write_all(b"echo UP-$((1+1))\n").await.unwrap();
    let mut out = String::new();
    read_until(&mut child, &mut out, "UP-2", Duration::from_secs(20)).await;
    assert_eq!(app.state.terminals.list(&id, "node1"), [2]);
    child.kill().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.state.terminals.list(&id, "node1").is_empty() {
        assert!(Instant::now() < deadline, "the shell outlived its SSH connection");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = token;
}
