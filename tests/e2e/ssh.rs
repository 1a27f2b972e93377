//! Issue 11: SSH into a real node with Debian's OpenSSH client. The command the API gives opens
//! a shell on the node (its hostname, its dockerd answering), a wrong key is refused, and the
//! connection ends, saying so, when the session is deleted.

use std::process::Stdio;
use std::time::{Duration, Instant};

use e2e::Stack;
use serial_test::serial;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use crate::support::{create, delete, guard, ok};

fn ssh(port: u16, user: &str) -> Command {
    let mut cmd = Command::new("/usr/bin/ssh");
    cmd.args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"])
        .args(["-p", &port.to_string(), "-tt"])
        .arg(format!("{user}@127.0.0.1"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// What `GET /api/sessions/{id}/ssh` answers for session `s`.
async fn ssh_info(stack: &Stack, s: &protocol::CreateSessionResponse) -> protocol::ssh::SshInfo {
    reqwest::Client::new()
        .get(stack.url(&protocol::routes::ssh(&s.session.id)))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

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
#[serial]
async fn ssh_reaches_a_real_node_and_ends_with_its_session() {
    let stack = Stack::start(|c| c.ssh_listen = Some("127.0.0.1:0".parse().unwrap())).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _guard = guard(&stack, &s);
    let info = ssh_info(&stack, &s).await;
    eprintln!("ssh command: {:?}", info.command);
    assert!(info.enabled);
    let (user, port) = (info.user.clone().unwrap(), info.port.unwrap());
    assert_eq!(info.command.as_deref(), Some(format!("ssh -p {port} {user}@127.0.0.1").as_str()), "the host the client used");

    // A wrong key: refused.
    let last = user.chars().last().unwrap();
    let wrong = format!("{}{}", &user[..user.len() - 1], if last == '0' { '1' } else { '0' });
    let out = ssh(port, &wrong).stdin(Stdio::null()).output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(err.contains("Permission denied"), "{err}");

    // The node's shell: its hostname and its dockerd.
    let t = Instant::now();
    let mut child = ssh(port, &user).spawn().unwrap();
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(b"echo HN=$(hostname) && docker version --format 'SV={{.Server.Version}}' && echo DONE-$((6*7))\n").await.unwrap();
    let mut out = String::new();
    read_until(&mut child, &mut out, "DONE-42", Duration::from_secs(60)).await;
    eprintln!("ssh shell answered in {:?}", t.elapsed());
    assert!(out.contains("HN=node1"), "{out}");
    // The typed line echoes `SV={{…}}`; dockerd's answer is `SV=<version>`.
    let answered = out.match_indices("SV=").any(|(i, _)| out[i + 3..].starts_with(|c: char| c.is_ascii_digit()));
    assert!(answered, "docker version did not answer:\n{out}");

    // The session ends: the client is told and disconnected.
    let t = Instant::now();
    delete(&stack, &s).await;
    read_until(&mut child, &mut out, "session ended", Duration::from_secs(20)).await;
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait()).await.expect("ssh exits").unwrap();
    eprintln!("ssh disconnected {:?} after the delete ({status:?})", t.elapsed());
    assert!(!status.success());
}

/// Issue 11: `ssh -N -L` into a real node reaches the node's own port (a listener started in
/// it); a tunnel to a loopback address of the host is refused, never connected. Logged in with
/// the password form (`node1.<id>`, the session token, through sshpass).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn ssh_forwards_a_local_port_to_the_node_only() {
    let stack = Stack::start(|c| c.ssh_listen = Some("127.0.0.1:0".parse().unwrap())).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _guard = guard(&stack, &s);
    let info = ssh_info(&stack, &s).await;
    let port = info.port.expect("ssh on");
    assert_eq!(s.session.ssh.as_deref(), Some(format!("ssh -p {port} node1.{}@127.0.0.1", s.session.id).as_str()), "the create answer");
    // A one-shot server in the node, restarted for each connection (`-N`: close after the file).
    ok(&stack, &s, "echo FWD-$((6*7))-$(hostname) > /tmp/fwd; setsid sh -c 'while :; do nc -N -l 8088 < /tmp/fwd; done' </dev/null >/dev/null 2>&1 &").await;
    let host_listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let target = host_listener.local_addr().unwrap();
    let (good, bad) = (free_port(), free_port());
    let mut child = Command::new("sshpass")
        .env("SSHPASS", &s.token)
        .args(["-e", "/usr/bin/ssh", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"])
        .args(["-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no", "-o", "ExitOnForwardFailure=yes", "-N"])
        .args(["-p", &port.to_string(), "-L", &format!("{good}:localhost:8088"), "-L", &format!("{bad}:{}:{}", target.ip(), target.port())])
        .arg(format!("node1.{}@127.0.0.1", s.session.id))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let t = Instant::now();
    let mut got = String::new();
    while !got.contains("FWD-42-node1") {
        assert!(t.elapsed() < Duration::from_secs(30), "nothing came through the tunnel: {got:?}");
        got.clear();
        if let Ok(mut conn) = tokio::net::TcpStream::connect(("127.0.0.1", good)).await {
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.read_to_string(&mut got)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("the node's port answered through ssh -L after {:?}", t.elapsed());

    // The host's 127.0.0.2: the tunnel closes with nothing, the host listener sees nobody.
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", bad)).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?} {buf:?}");
    assert!(tokio::time::timeout(Duration::from_secs(1), host_listener.accept()).await.is_err(), "ESCAPE: the tunnel reached the host's {target}");
    child.kill().await.unwrap();
}

/// Issue 11: `scp` (SFTP underneath, password login) and `sftp` (the derived-key name) copy a
/// binary file to a real node and back through the node's own `sftp-server`; the file is the
/// node's (a command in the node sees it), and the host's files are not there to reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn scp_and_sftp_copy_files_to_and_from_a_real_node() {
    let stack = Stack::start(|c| c.ssh_listen = Some("127.0.0.1:0".parse().unwrap())).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _guard = guard(&stack, &s);
    let info = ssh_info(&stack, &s).await;
    let port = info.port.expect("ssh on").to_string();
    let local = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(local.path().join("up.bin"), &data).unwrap();
    let batch_opts = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"];

    let t = Instant::now();
    let out = Command::new("sshpass")
        .env("SSHPASS", &s.token)
        .args(["-e", "scp"])
        .args(batch_opts)
        .args(["-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no", "-P", &port])
        .arg(local.path().join("up.bin"))
        .arg(format!("node1.{}@127.0.0.1:up.bin", s.session.id))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "scp: {}", String::from_utf8_lossy(&out.stderr));
    eprintln!("scp of 1 MB to the node: {:?}", t.elapsed());
    let sum = ok(&stack, &s, "sha256sum /root/up.bin | cut -c1-64").await;
    let local_sum = std::process::Command::new("sha256sum").arg(local.path().join("up.bin")).output().unwrap();
    assert_eq!(sum.trim(), String::from_utf8_lossy(&local_sum.stdout)[..64].to_string(), "the node has the same bytes");

    // sftp in batch: fetch it back, list a node-only path, and the host's data dir is not there.
    let batch = local.path().join("batch");
    std::fs::write(&batch, "pwd\nget up.bin down.bin\nls /etc/hostname\n-ls /var/lib/muelle\n").unwrap();
    let out = Command::new("sftp")
        .current_dir(local.path())
        .args(batch_opts)
        .args(["-o", "BatchMode=yes", "-P", &port, "-b"])
        .arg(&batch)
        .arg(format!("{}@127.0.0.1", info.user.clone().unwrap()))
        .output()
        .await
        .unwrap();
    let (said, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "sftp: {said} {err}");
    assert!(said.contains("Remote working directory: /root"), "{said}");
    assert_eq!(std::fs::read(local.path().join("down.bin")).unwrap(), data, "the file comes back byte for byte");
    assert!(err.contains("/var/lib/muelle") && err.contains("not found"), "the host's data dir is not in the node: {said} {err}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
