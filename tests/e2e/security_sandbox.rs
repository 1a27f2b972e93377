//! Issue #7, host side of the sandbox: a node whose init dies is shown stopped and can be reset
//! (no host pid in any answer); the terminal never follows a node-controlled path to a host
//! file; node files on the host are private.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{Duration, Instant};

use e2e::{Stack, Terminal};
use protocol::{ApiError, CreateSessionResponse, NodeStatus};
use serial_test::serial;

use crate::support::{create, exec_for, find_node_key, guard, node_pids, ok};

async fn node_status(stack: &Stack, s: &CreateSessionResponse, node: &str) -> NodeStatus {
    let r = crate::support::get_session(stack, s).await;
    assert_eq!(r.status(), 200);
    let info: protocol::SessionInfo = r.json().await.unwrap();
    info.nodes.iter().find(|n| n.name == node).expect("node listed").status
}

/// POST exec, whatever the status; returns (status, body).
async fn raw_exec(stack: &Stack, s: &CreateSessionResponse, node: &str, cmd: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(stack.url(&protocol::routes::exec(&s.session.id, node)))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({ "cmd": cmd, "timeout_secs": 20 }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The first text frame of a terminal socket (its `ready` or its `error`).
async fn first_text(url: &str) -> String {
    use futures_util::StreamExt;
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("terminal socket");
    let deadline = Duration::from_secs(10);
    loop {
        match tokio::time::timeout(deadline, ws.next()).await.expect("no frame within 10 s") {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => return t.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("socket ended without a text frame: {other:?}"),
        }
    }
}

/// Everything a client may read must not name host pids or host paths.
fn assert_no_host_detail(text: &str, host_pids: &[i32]) {
    for pid in host_pids {
        assert!(!text.contains(&pid.to_string()), "host pid {pid} in {text:?}");
    }
    for leak in ["/proc/", "/var/lib", "sandbox-init", "sandboxes/"] {
        assert!(!text.contains(leak), "{leak:?} in {text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn security_a_node_whose_init_dies_is_stopped_and_can_be_reset() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, r#"{"nodes":2}"#).await;
    let _g = guard(&stack, &s);
    let key = find_node_key(&stack, &s, "node1").await;
    let host_pids = node_pids(&key);
    assert!(!host_pids.is_empty());

    // The node's root ends its own init (muelle-init, pid 1 inside).
    let _ = raw_exec(&stack, &s, "node1", "kill -TERM 1; sleep 5").await;
    let t = Instant::now();
    while node_status(&stack, &s, "node1").await != NodeStatus::Stopped {
        assert!(t.elapsed() < Duration::from_secs(15), "node1 not shown stopped 15 s after its init died");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("node1 shown stopped {:?} after its init died", t.elapsed());
    assert_eq!(node_status(&stack, &s, "node2").await, NodeStatus::Running, "the other node is untouched");

    // Exec and terminal answer a clear error, with no host pid or path.
    let (code, body) = raw_exec(&stack, &s, "node1", "echo hi").await;
    assert_eq!(code, 409, "{body}");
    let err: ApiError = serde_json::from_str(&body).unwrap();
    assert_eq!(err.code, "NODE_STOPPED");
    assert_eq!(err.message, "node1 has stopped; reset it or remove it");
    assert_no_host_detail(&body, &host_pids);
    let url = stack.ws_url(&protocol::routes::terminal(&s.session.id, "node1", &s.token));
    let refused = first_text(&url).await;
    let event: protocol::ServerEvent = serde_json::from_str(&refused).unwrap();
    assert_eq!(
        event,
        protocol::ServerEvent::Error { code: "NODE_STOPPED".into(), message: "node1 has stopped; reset it or remove it".into() }
    );
    assert_no_host_detail(&refused, &host_pids);
    // What was left of it on the host is gone (the node stays listed until reset or removed).
    let t = Instant::now();
    while stack.data_dir.join("sandboxes").join(&key).exists() {
        assert!(t.elapsed() < Duration::from_secs(15), "the stopped node's directory is still there");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Reset: a fresh node1 with the same name and address.
    let r = reqwest::Client::new()
        .post(stack.url(&protocol::routes::reset(&s.session.id, "node1")))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let info: protocol::NodeInfo = r.json().await.unwrap();
    assert_eq!((info.name.as_str(), info.status), ("node1", NodeStatus::Running));
    assert_eq!(info.ip, s.session.nodes[0].ip);
    assert_eq!(ok(&stack, &s, "hostname").await.trim(), "node1");
    assert_eq!(ok(&stack, &s, "docker info --format '{{.ServerVersion}}' >/dev/null && echo up").await, "up\n");
    let node2_ip = &s.session.nodes[1].ip;
    ok(&stack, &s, &format!("ping -c1 -W2 {node2_ip}")).await;
    let mut term = Terminal::connect(&url).await.expect("terminal on the reset node");
    term.type_str("echo reset-$((40+2))\n").await.unwrap();
    term.expect("reset-42", Duration::from_secs(10)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn security_the_terminal_never_follows_a_node_symlink_to_a_host_file() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _g = guard(&stack, &s);
    let url = stack.ws_url(&protocol::routes::terminal(&s.session.id, "node1", &s.token));
    Terminal::connect(&url).await.expect("a terminal works to begin with");

    // A host-only FIFO: whoever opens it for writing wakes a reader blocked in open(2).
    let bait = std::env::temp_dir().join(format!("muelle-ptmx-bait-{}", std::process::id()));
    let _ = std::fs::remove_file(&bait);
    nix::unistd::mkfifo(&bait, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader_path = bait.clone();
    std::thread::spawn(move || {
        let opened = std::fs::File::open(&reader_path).is_ok();
        let _ = tx.send(opened);
    });

    // Node root hides its devpts and puts a symlink to the host path in its place.
    let out = exec_for(
        &stack,
        &s,
        "node1",
        &format!("mount -t tmpfs none /dev/pts && ln -s {} /dev/pts/ptmx && ls -l /dev/pts/ptmx", bait.display()),
        20,
    )
    .await;
    assert_eq!(out.exit_code, 0, "{out:?}");

    // Shells outlive their sockets: the first one still runs, so ask for a new one (term 2),
    // whose PTY has to be opened now, through the node's planted symlink.
    let new_shell = format!("{url}&term=2");
    let t = Instant::now();
    let term = Terminal::connect(&new_shell).await;
    let opened = rx.recv_timeout(Duration::from_secs(3));
    // Unblock the reader thread if nobody opened the FIFO, then clean up.
    if opened.is_err() {
        let _ = std::fs::OpenOptions::new().write(true).open(&bait);
    }
    let _ = std::fs::remove_file(&bait);
    assert!(opened.is_err(), "ESCAPE: the backend opened the host file the node's /dev/pts/ptmx points at");
    let err = term.err().expect("a terminal opened through a symlinked ptmx");
    eprintln!("terminal refused in {:?}: {err}", t.elapsed());

    // The node and its terminals work again once its own devpts is back.
    ok(&stack, &s, "umount /dev/pts").await;
    let mut term = Terminal::connect(&new_shell).await.expect("terminal once /dev/pts is back");
    term.type_str("tty\n").await.unwrap();
    term.expect("/dev/pts/", Duration::from_secs(10)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn security_node_files_on_the_host_are_private() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _g = guard(&stack, &s);
    let key = find_node_key(&stack, &s, "node1").await;
    let dir = stack.data_dir.join("sandboxes").join(&key);
    let img = std::fs::metadata(dir.join("disk.img")).expect("disk.img");
    assert_eq!(img.permissions().mode() & 0o777, 0o600, "disk.img mode");
    assert_eq!(img.uid(), 0);
    let d = std::fs::metadata(&dir).unwrap();
    assert_eq!(d.permissions().mode() & 0o007, 0o001, "others may only traverse the node's directory");
    // Still a working node (the idmapped mounts and dockerd are fine with it).
    assert_eq!(ok(&stack, &s, "docker run --rm busybox echo ok").await, "ok\n");
}
