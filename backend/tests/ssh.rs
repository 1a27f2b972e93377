//! SSH into nodes over the fake provider, with Debian's OpenSSH client: the command the API
//! gives logs in and opens a shell (listed among the node's shells), a wrong key and an exec are
//! refused, and the connection ends when the session is deleted; scp and sftp copy files both ways
//! and a client that floods its SFTP server is disconnected. The real-node version is in
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
    cmd.args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]);
    to(cmd, port, user, extra)
}

/// The rest of an `ssh` command line, the same with or without sshpass: port, `extra`, the
/// destination, piped stdio.
fn to(mut cmd: Command, port: u16, user: &str, extra: &[&str]) -> Command {
    cmd.args(["-p", &port.to_string()])
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
    let (_, body) = app.call(Method::GET, &protocol::routes::session(&id), Some(&token), "").await;
    assert!(body.get("ssh").is_none(), "no ssh field when SSH is off: {body}");

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
    assert_eq!(info.password_user.as_deref(), Some(format!("node1.{id}").as_str()));
    assert_eq!(info.password_command.as_deref(), Some(format!("ssh -p {port} node1.{id}@localhost").as_str()));
    // The session JSON (GET and create) carries the password command for node1.
    let (_, body) = app.call(Method::GET, &protocol::routes::session(&id), Some(&token), "").await;
    assert_eq!(body["ssh"], format!("ssh -p {port} node1.{id}@localhost"), "{body}");
    let (status, body) = app.call(Method::POST, "/api/sessions", None, "{}").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["ssh"], format!("ssh -p {port} node1.{}@localhost", body["id"].as_str().unwrap()), "{body}");
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

/// OpenSSH options of the password tests: no host key kept, password only, one try.
const PASSWORD_ONLY: [&str; 12] = [
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
    "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
];

/// `ssh` through `sshpass -e` (the password in `SSHPASS`, never in argv), password only.
fn ssh_password(port: u16, user: &str, password: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new("sshpass");
    cmd.env("SSHPASS", password)
        .args(["-e", SSH])
        .args(PASSWORD_ONLY);
    to(cmd, port, user, extra)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_logs_in_with_the_session_token_as_password() {
    let app = TestApp::new();
    let (id, token) = app.create(2).await;
    let (other_id, other_token) = app.create(1).await;
    let _ssh = backend::ssh::start("127.0.0.1:0".parse().unwrap(), app.state.clone()).await.unwrap();
    let port = app.state.ssh.port().unwrap();

    // Wrong passwords: another session's token, a changed token, empty; and a right token for
    // an unknown session, or under a derived-key-shaped name. All refused, with no shell.
    let mut changed = token.clone();
    changed.replace_range(..1, if token.starts_with('0') { "1" } else { "0" });
    let unknown = format!("node1.{}", "z".repeat(id.len()));
    let cases = [
        (format!("node1.{id}"), other_token.as_str()),
        (format!("node1.{id}"), changed.as_str()),
        (format!("node1.{id}"), ""),
        (unknown, token.as_str()),
        (format!("node1.{id}.x"), token.as_str()),
        (format!("node1.{other_id}"), token.as_str()),
    ];
    for (user, password) in &cases {
        let out = ssh_password(port, user, password, &["-tt"]).stdin(Stdio::null()).output().await.unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{user}: {err}");
        assert!(err.contains("Permission denied"), "{user} / {password:?}: {err}");
    }
    assert!(app.state.terminals.list(&id, "node1").is_empty());

    // The right token: a shell on node1, and on node2 with the same password.
    for node in ["node1", "node2"] {
        let mut child = ssh_password(port, &format!("{node}.{id}"), &token, &["-tt"]).spawn().unwrap();
        child.stdin.as_mut().unwrap().write_all(b"echo PW-$((6*7))\n").await.unwrap();
        let mut out = String::new();
        read_until(&mut child, &mut out, "PW-42", Duration::from_secs(20)).await;
        assert_eq!(app.state.terminals.list(&id, node), [2], "{node}");
        child.stdin.as_mut().unwrap().write_all(b"exit 4\n").await.unwrap();
        let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await.expect("ssh exits").unwrap();
        assert_eq!(status.code(), Some(4));
    }

    // A node the session does not have: logged in, then told so.
    let out = ssh_password(port, &format!("node3.{id}"), &token, &["-tt"]).stdin(Stdio::null()).output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("this session has no node node3"), "{err}");

    // The derived-key name still works with any password; the session's deletion ends both.
    let user = app.state.sessions.ssh_user(&id, "node1").unwrap();
    let mut child = ssh_password(port, &user, "anything", &["-tt"]).spawn().unwrap();
    child.stdin.as_mut().unwrap().write_all(b"echo KEY-$((1+2))\n").await.unwrap();
    let mut out = String::new();
    read_until(&mut child, &mut out, "KEY-3", Duration::from_secs(20)).await;
    let (status, _) = app.call(Method::DELETE, &protocol::routes::session(&id), Some(&token), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    read_until(&mut child, &mut out, "session ended", Duration::from_secs(15)).await;
    let out = ssh_password(port, &format!("node1.{id}"), &token, &["-tt"]).stdin(Stdio::null()).output().await.unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"), "an ended session's token logs in no more");
}

/// A free local port (bound then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Connects to 127.0.0.1:`port` (retrying while `ssh -L` starts listening).
async fn connect_local(port: u16) -> tokio::net::TcpStream {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Ok(s) => return s,
            Err(e) => assert!(Instant::now() < deadline, "ssh -L never listened on {port}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_forwards_to_the_host_or_back_are_refused() {
    let app = TestApp::new();
    let (id, _token) = app.create(1).await;
    let _ssh = backend::ssh::start("127.0.0.1:0".parse().unwrap(), app.state.clone()).await.unwrap();
    let port = app.state.ssh.port().unwrap();
    let user = app.state.sessions.ssh_user(&id, "node1").unwrap();

    // A listener on another loopback address of the host: a tunnel to it is refused, never made.
    let host_listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let target = host_listener.local_addr().unwrap();
    let local = free_port();
    let forward = format!("{local}:{}:{}", target.ip(), target.port());
    let mut child = ssh(port, &user, &["-N", "-o", "ExitOnForwardFailure=yes", "-L", &forward]).spawn().unwrap();
    let mut conn = connect_local(local).await;
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the tunnel closes at once with nothing: {read:?} {buf:?}");
    let accepted = tokio::time::timeout(Duration::from_secs(1), host_listener.accept()).await;
    assert!(accepted.is_err(), "ESCAPE: the forward reached the host's {target}");
    child.kill().await.unwrap();

    // Remote forwarding: refused.
    let out = ssh(port, &user, &["-N", "-o", "ExitOnForwardFailure=yes", "-R", "0:localhost:80"]).stdin(Stdio::null()).output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(err.contains("remote port forwarding failed"), "{err}");
}

/// `scp` or `sftp` (`program`) through `sshpass -e`, password only, batch options.
fn sftp_password(program: &str, password: &str) -> Command {
    let mut cmd = Command::new("sshpass");
    cmd.env("SSHPASS", password)
        .args(["-e", program])
        .args(PASSWORD_ONLY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scp_and_sftp_copy_files_to_and_from_the_node() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let _ssh = backend::ssh::start("127.0.0.1:0".parse().unwrap(), app.state.clone()).await.unwrap();
    let port = app.state.ssh.port().unwrap().to_string();
    let dest = format!("node1.{id}@127.0.0.1");
    let local = tempfile::tempdir().unwrap();
    // Every byte value, 300 KiB: more than one SFTP read or write.
    let data: Vec<u8> = (0..300 * 1024).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(local.path().join("up.bin"), &data).unwrap();

    // scp (SFTP underneath) up, into the node's home.
    let out = sftp_password("scp", &token)
        .args(["-P", &port])
        .arg(local.path().join("up.bin"))
        .arg(format!("{dest}:up.bin"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "scp: {}", String::from_utf8_lossy(&out.stderr));

    // sftp: where it starts, the file there, then moved and fetched back.
    let batch = local.path().join("batch");
    std::fs::write(&batch, "pwd\nls -l up.bin\nmkdir d\nrename up.bin d/moved.bin\nget d/moved.bin down.bin\n").unwrap();
    // `sftp -b` implies BatchMode, so no password: the derived-key name, which needs none.
    let key_dest = format!("{}@127.0.0.1", app.state.sessions.ssh_user(&id, "node1").unwrap());
    let out = sftp_password("sftp", &token)
        .current_dir(local.path())
        .args(["-P", &port, "-b"])
        .arg(&batch)
        .arg(&key_dest)
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "sftp: {said} {}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains(&format!(" {} ", data.len())), "ls -l shows the size: {said}");
    assert_eq!(std::fs::read(local.path().join("down.bin")).unwrap(), data, "the file comes back byte for byte");
    let home = said
        .lines()
        .find_map(|l| l.strip_prefix("Remote working directory: "))
        .unwrap_or_else(|| panic!("pwd: {said}"))
        .trim()
        .to_string();

    // The browser's files API sees the file where sftp put it: it is the node's file system.
    let uri = format!("/api/sessions/{id}/nodes/node1/files?path={home}/d/moved.bin");
    let (status, body) = app.call_raw(Method::GET, &uri, Some(&token), "").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(body, data);

    // scp down from the node.
    let out = sftp_password("scp", &token)
        .args(["-P", &port])
        .arg(format!("{dest}:d/moved.bin"))
        .arg(local.path().join("again.bin"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "scp down: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(local.path().join("again.bin")).unwrap(), data);

    // Another subsystem: refused.
    let out = ssh_password(port.parse().unwrap(), &format!("node1.{id}"), &token, &["-s"]).arg("netconf").stdin(Stdio::null()).output().await.unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    // The session ended: sftp no longer logs in.
    let (status, _) = app.call(Method::DELETE, &protocol::routes::session(&id), Some(&token), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let out = sftp_password("sftp", &token).args(["-P", &port, "-b"]).arg(&batch).arg(&key_dest).output().await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// An SFTP string: its length, then its bytes.
fn sftp_string(bytes: &[u8]) -> Vec<u8> {
    let mut s = (bytes.len() as u32).to_be_bytes().to_vec();
    s.extend_from_slice(bytes);
    s
}

/// One SFTP request packet: length, type, request id, then `body`.
fn sftp_packet(kind: u8, id: u32, body: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(9 + body.len());
    p.extend_from_slice(&(5 + body.len() as u32).to_be_bytes());
    p.push(kind);
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(body);
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sftp_client_that_never_reads_its_replies_is_cut_off() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let _ssh = backend::ssh::start("127.0.0.1:0".parse().unwrap(), app.state.clone()).await.unwrap();
    let port = app.state.ssh.port().unwrap();

    // `ssh -s sftp` with its stdout never read: the replies back up (ssh's pipe, the channel
    // window, the server's pipe) and the SFTP server stops reading, while requests keep coming.
    let mut child = ssh_password(port, &format!("node1.{id}"), &token, &["-s"]).arg("sftp").spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // SSH_FXP_INIT version 3; OPEN /bin/bash for reading (OpenSSH's sftp-server calls its first
    // handle 0, four bytes); then READ 256 KiB of it again and again. The server's own output
    // queue takes 128 MiB of replies (about 512 of them) before it stops reading its input.
    let mut init = vec![0, 0, 0, 5, 1];
    init.extend_from_slice(&3u32.to_be_bytes());
    let mut open = sftp_string(b"/bin/bash");
    open.extend_from_slice(&1u32.to_be_bytes()); // SSH_FXF_READ
    open.extend_from_slice(&0u32.to_be_bytes()); // no attributes
    init.extend(sftp_packet(3, 1, &open));
    let mut read = sftp_string(&0u32.to_be_bytes());
    read.extend_from_slice(&0u64.to_be_bytes());
    read.extend_from_slice(&(256u32 << 10).to_be_bytes());
    let reads: Vec<u8> = (2..4098).flat_map(|i| sftp_packet(5, i, &read)).collect();
    let sent = tokio::spawn(async move {
        let mut sent = 0usize;
        if stdin.write_all(&init).await.is_err() {
            return sent;
        }
        // 64 MiB at most; the server disconnects long before.
        while sent < 64 << 20 {
            if stdin.write_all(&reads).await.is_err() {
                break;
            }
            sent += reads.len();
        }
        sent
    });
    let waited = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    // (sshpass exits with ssh; its stderr is ssh's)
    if waited.is_err() {
        child.kill().await.unwrap();
    }
    let sent = sent.await.unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).await.unwrap();
    let status = waited.unwrap_or_else(|_| panic!("the channel is still open after {sent} bytes: {err}")).unwrap();
    assert!(!status.success());
    assert!(sent < 64 << 20, "the server kept taking requests: {sent} bytes");
    assert!(err.contains("faster than the SFTP server reads"), "the client is told why: {err}");
    // Its SFTP server went with it (the fake node's server is a child of this process); the
    // session lives on.
    let me = std::process::id().to_string();
    let servers = || {
        std::fs::read_dir("/proc").unwrap().flatten().filter(|p| {
            let stat = std::fs::read_to_string(p.path().join("stat")).unwrap_or_default();
            let cmd = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
            cmd.starts_with(backend::ssh::SFTP_SERVER.as_bytes()) && stat.rsplit(')').next().unwrap_or("").split_whitespace().nth(1) == Some(me.as_str())
        }).count()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while servers() > 0 {
        assert!(Instant::now() < deadline, "the SFTP server outlived its connection");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _) = app.call(Method::GET, &protocol::routes::session(&id), Some(&token), "").await;
    assert_eq!(status, StatusCode::OK);
}
