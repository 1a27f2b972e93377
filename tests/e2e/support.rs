//! Shared helpers of the abuse and escape suites: the session API as a test client sees it,
//! a `/healthz` watchdog, and host-side views of a node (its cgroups, processes and uids).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::Stack;
use protocol::{CreateSessionResponse, ExecResponse};

/// First host uid any node may use (backend's `UID_BASE`): root in a node is at least this.
pub const MIN_NODE_UID: u32 = 1_000_000;

/// `POST /api/sessions` → 201.
pub async fn create(stack: &Stack, body: &str) -> CreateSessionResponse {
    let t = Instant::now();
    let r = reqwest::Client::new()
        .post(stack.url("/api/sessions"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let s: CreateSessionResponse = r.json().await.unwrap();
    eprintln!("session {} created in {:?}", s.session.id, t.elapsed());
    s
}

/// Runs `cmd` (by `/bin/sh -c`) on `node` with a time limit of `secs`.
pub async fn exec_for(stack: &Stack, s: &CreateSessionResponse, node: &str, cmd: &str, secs: u32) -> ExecResponse {
    let r = reqwest::Client::new()
        .post(stack.url(&protocol::routes::exec(&s.session.id, node)))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({ "cmd": cmd, "timeout_secs": secs }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "exec {cmd:?}: {}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

/// Runs `cmd` on node1 (limit 120 s).
pub async fn exec(stack: &Stack, s: &CreateSessionResponse, cmd: &str) -> ExecResponse {
    exec_for(stack, s, "node1", cmd, 120).await
}

/// Runs `cmd` on node1 and asserts exit code 0; returns stdout.
pub async fn ok(stack: &Stack, s: &CreateSessionResponse, cmd: &str) -> String {
    let out = exec(stack, s, cmd).await;
    assert_eq!(out.exit_code, 0, "$ {cmd}\nstdout: {}\nstderr: {}", out.stdout, out.stderr);
    out.stdout
}

/// Runs `cmd` on node1 and asserts it FAILED with `needle` in its stderr or stdout.
pub async fn denied(stack: &Stack, s: &CreateSessionResponse, cmd: &str, needle: &str) -> ExecResponse {
    let out = exec(stack, s, cmd).await;
    eprintln!("$ {cmd}\n  → exit {} {}", out.exit_code, out.stderr.trim());
    assert_ne!(out.exit_code, 0, "ESCAPE: `{cmd}` succeeded\nstdout: {}\nstderr: {}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains(needle), "`{cmd}` failed, but not with {needle:?}: {all}");
    out
}

/// `DELETE /api/sessions/{id}` → 204.
pub async fn delete(stack: &Stack, s: &CreateSessionResponse) {
    let r = reqwest::Client::new()
        .delete(stack.url(&protocol::routes::session(&s.session.id)))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "deleting {}", s.session.id);
}

/// Times `docker run --rm busybox echo ok` on node1 of `s` and asserts it printed `ok`.
pub async fn timed_docker_run(stack: &Stack, s: &CreateSessionResponse) -> Duration {
    let t = Instant::now();
    let out = exec(stack, s, "docker run --rm busybox echo ok").await;
    assert_eq!((out.exit_code, out.stdout.as_str()), (0, "ok\n"), "docker run failed: {}", out.stderr);
    t.elapsed()
}

/// Polls `GET /healthz` every 200 ms until stopped; every answer must be `ok`.
pub struct Watchdog {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<Duration>>,
}

impl Watchdog {
    /// Starts polling.
    pub fn start(stack: &Stack) -> Watchdog {
        let stop = Arc::new(AtomicBool::new(false));
        let (url, flag) = (stack.url(protocol::routes::HEALTHZ), stop.clone());
        let task = tokio::spawn(async move {
            let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
            let mut latencies = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                let t = Instant::now();
                let body = http.get(&url).send().await.expect("healthz request").text().await.unwrap();
                assert_eq!(body, "ok");
                latencies.push(t.elapsed());
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            latencies
        });
        Watchdog { stop, task }
    }

    /// Stops polling; asserts there were at least `min_probes` answers, each within `limit`.
    /// Returns the slowest.
    pub async fn finish(self, min_probes: usize, limit: Duration) -> Duration {
        self.stop.store(true, Ordering::Relaxed);
        let lat = self.task.await.expect("watchdog panicked");
        let worst = lat.iter().copied().max().unwrap_or_default();
        eprintln!("/healthz: {} probes, slowest {worst:?}", lat.len());
        assert!(lat.len() >= min_probes, "only {} /healthz probes answered", lat.len());
        assert!(worst < limit, "/healthz took {worst:?} (limit {limit:?})");
        worst
    }
}

/// A node's cgroup directory in one hierarchy, on the host.
pub fn cgroup_dir(key: &str, hierarchy: &str) -> PathBuf {
    Path::new("/sys/fs/cgroup").join(hierarchy).join("muelle").join(key)
}

/// A host-side cgroup file of a node, trimmed.
pub fn cgroup_read(key: &str, hierarchy: &str, file: &str) -> String {
    let p = cgroup_dir(key, hierarchy).join(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).trim().to_string()
}

/// A number in a host-side cgroup file.
pub fn cgroup_u64(key: &str, hierarchy: &str, file: &str) -> u64 {
    cgroup_read(key, hierarchy, file).parse().unwrap_or_else(|e| panic!("{hierarchy}/{file}: {e}"))
}

/// `key value` line of a flat-keyed cgroup file (memory.oom_control, pids.events).
pub fn cgroup_key(key: &str, hierarchy: &str, file: &str, field: &str) -> u64 {
    cgroup_read(key, hierarchy, file)
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} not in {hierarchy}/{file}"))
}

/// Host pids of every process in a node (its pids cgroup and the ones below it).
pub fn node_pids(key: &str) -> Vec<i32> {
    fn walk(d: &Path, out: &mut Vec<i32>) {
        let procs = std::fs::read_to_string(d.join("cgroup.procs")).unwrap_or_default();
        out.extend(procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                walk(&e.path(), out);
            }
        }
    }
    let mut pids = Vec::new();
    walk(&cgroup_dir(key, "pids"), &mut pids);
    pids
}

/// Host pids of a node's processes whose command line is exactly `argv`.
pub fn node_pids_running(key: &str, argv: &[&str]) -> Vec<i32> {
    let want: Vec<u8> = argv.iter().flat_map(|a| a.bytes().chain([0])).collect();
    node_pids(key)
        .into_iter()
        .filter(|p| std::fs::read(format!("/proc/{p}/cmdline")).map(|c| c == want).unwrap_or(false))
        .collect()
}

/// Real, effective, saved and filesystem uid of a host process, from /proc/PID/status.
pub fn host_uids(pid: i32) -> [u32; 4] {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:")).expect("Uid line");
    let v: Vec<u32> = line.split_whitespace().map(|x| x.parse().unwrap()).collect();
    [v[0], v[1], v[2], v[3]]
}

/// Bytes available to unprivileged users on the filesystem holding `path`.
pub fn host_free_bytes(path: &Path) -> u64 {
    let st = nix::sys::statvfs::statvfs(path).unwrap();
    st.blocks_available() as u64 * st.fragment_size() as u64
}

/// Deletes a session when dropped (a failed assertion must not leave its nodes running): a
/// plain HTTP/1.1 `DELETE` from a helper thread, since `Drop` cannot await. A session already
/// deleted just answers 404.
pub struct DeleteOnDrop {
    addr: String,
    path: String,
    token: String,
}

/// Guards `s` (see [`DeleteOnDrop`]).
pub fn guard(stack: &Stack, s: &CreateSessionResponse) -> DeleteOnDrop {
    let addr = stack.base.trim_start_matches("http://").replace("[::]", "[::1]").replace("0.0.0.0", "127.0.0.1");
    DeleteOnDrop { addr, path: protocol::routes::session(&s.session.id), token: s.token.clone() }
}

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let req = format!(
            "DELETE {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            self.path, self.addr, self.token
        );
        let addr = self.addr.clone();
        let _ = std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(&addr).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
            s.write_all(req.as_bytes()).ok()?;
            let mut out = String::new();
            s.read_to_string(&mut out).ok()
        })
        .join();
    }
}

/// The host-side key of a node (its sandbox, cgroup and veth name), found by starting a marker
/// process in it and looking for that process in the nodes' cgroups: pooled nodes keep the
/// key they were born with, so it cannot be derived from the session id.
pub async fn find_node_key(stack: &Stack, s: &CreateSessionResponse, node: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let mark = (7_000_000 + nanos % 1_000_000).to_string();
    let out = exec_for(stack, s, node, &format!("setsid sleep {mark} </dev/null >/dev/null 2>&1 &"), 10).await;
    assert_eq!(out.exit_code, 0, "{out:?}");
    let want = format!("sleep\0{mark}\0").into_bytes();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        for e in std::fs::read_dir("/sys/fs/cgroup/pids/muelle").unwrap().flatten() {
            let key = e.file_name().to_string_lossy().into_owned();
            for pid in node_pids(&key) {
                if std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == want) {
                    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
                    return key;
                }
            }
        }
        assert!(Instant::now() < deadline, "no node runs the marker `sleep {mark}`");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `GET /api/sessions/{id}` with the session's token.
pub async fn get_session(stack: &Stack, s: &CreateSessionResponse) -> reqwest::Response {
    reqwest::Client::new()
        .get(stack.url(&protocol::routes::session(&s.session.id)))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap()
}

/// The network address of the node's session: its /28.
pub fn session_net_of(ip: &str) -> std::net::Ipv4Addr {
    let ip: std::net::Ipv4Addr = ip.parse().expect("a node's IPv4 address");
    std::net::Ipv4Addr::from(u32::from(ip) & !15)
}

/// The session gateway: `.1` of the node's /28.
pub fn gateway_of(ip: &str) -> String {
    std::net::Ipv4Addr::from(u32::from(session_net_of(ip)) + 1).to_string()
}

/// The session's host bridge: `mb-` and its /28's address in hex.
pub fn bridge_of(ip: &str) -> String {
    format!("mb-{:08x}", u32::from(session_net_of(ip)))
}
