//! `scripts/bench.sh`: measures muelle against its targets on this machine, in one run, and
//! prints them side by side. Real backend, real sandboxes, real dockerd, over the real API.
//!
//! `bench --sessions N` (or BENCH_SESSIONS, default 100) sets how many live sessions the echo and
//! memory figures use. The backend runs in a child process (this binary with `--serve`), so that
//! its memory and CPU are measured apart from the client's. Every figure is also written to
//! `target/bench/latest.json`, one key per figure (null when not measured).

use std::collections::VecDeque;
use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use e2e::{Stack, Terminal};
use futures_util::{SinkExt, StreamExt};
use protocol::CreateSessionResponse;
use tokio_tungstenite::tungstenite::Message;

/// A backend in a child process: `bench --serve --pool-size N` prints its base URL and runs until
/// its stdin closes.
struct Server {
    base: String,
    child: std::process::Child,
}

impl Server {
    fn start(pool_size: usize) -> anyhow::Result<Server> {
        let mut child = std::process::Command::new(std::env::current_exe()?)
            .args(["--serve", "--pool-size", &pool_size.to_string()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("start the backend")?;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        if !line.starts_with("http://") {
            let _ = child.kill();
            bail!("the backend did not start (printed {line:?})");
        }
        Ok(Server { base: line.trim().to_string(), child })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn ws_url(&self, path: &str) -> String {
        format!("ws{}{path}", &self.base[4..])
    }

    /// Resident memory of the backend process, bytes.
    fn rss(&self) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        s.lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    }

    /// CPU time the backend process has used (user + system), seconds.
    fn cpu_secs(&self) -> f64 {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name, which ends with the last ')': state is field 3.
        let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        // /proc counts in USER_HZ, which is 100 on Linux whatever the kernel's HZ.
        (ticks(14) + ticks(15)) as f64 / 100.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// `--serve`: the backend the bench measures, with real sandboxes; one client address starts
/// every session and opens every terminal, so the per-address limits are off.
async fn serve(pool_size: usize) -> anyhow::Result<()> {
    let stack = Stack::start(|c| {
        c.max_nodes = 1200; // BENCH_SESSIONS=1000 and a 5-node session beside them
        // Admission keeps 1/64 of every node's disk free (160 MiB for 10 GiB): 1000 such nodes
        // ask for 160 GB, more than this machine's disk. 2 GiB disks (32 MiB each) fit.
        c.node_limits.disk_mb = 2048;
        c.pool_size = pool_size;
        c.limits.session_rate_per_minute = 0;
        c.limits.max_terminals_per_addr = usize::MAX;
    })
    .await?;
    println!("{}", stack.base);
    std::io::stdout().flush()?;
    tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await??;
    drop(stack);
    tokio::time::sleep(Duration::from_secs(5)).await; // a warm pool empties itself
    Ok(())
}

async fn create(stack: &Server, http: &reqwest::Client) -> anyhow::Result<CreateSessionResponse> {
    let r = http.post(stack.url("/api/sessions")).json(&serde_json::json!({})).send().await?;
    if r.status() != 201 {
        bail!("create: {} {}", r.status(), r.text().await?);
    }
    Ok(r.json().await?)
}

async fn delete(stack: &Server, http: &reqwest::Client, s: &CreateSessionResponse) {
    let _ = http.delete(stack.url(&protocol::routes::session(&s.session.id))).bearer_auth(&s.token).send().await;
}

/// `docker version` in `node` of session `s`, which must answer (the first one starts the engine).
async fn docker_version(stack: &Server, http: &reqwest::Client, s: &CreateSessionResponse, node: &str) -> anyhow::Result<()> {
    let r: protocol::ExecResponse = http
        .post(stack.url(&protocol::routes::exec(&s.session.id, node)))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({"cmd": "docker version --format '{{.Server.Version}}'"}))
        .send()
        .await?
        .json()
        .await?;
    if r.exit_code != 0 {
        bail!("docker version on {node} failed: {}", r.stderr);
    }
    Ok(())
}

/// A new one-node session's `docker run --rm hello-world`, from the request to its end (the
/// engine's start and the pull from the local registry included), in seconds.
async fn hello_world(stack: &Server, http: &reqwest::Client) -> anyhow::Result<f64> {
    let t = Instant::now();
    let s = create(stack, http).await?;
    let r: protocol::ExecResponse = http
        .post(stack.url(&protocol::routes::exec(&s.session.id, "node1")))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({"cmd": "docker run --rm hello-world"}))
        .send()
        .await?
        .json()
        .await?;
    let secs = t.elapsed().as_secs_f64();
    delete(stack, http, &s).await;
    if r.exit_code != 0 || !r.stdout.contains("Hello from Docker") {
        bail!("hello-world failed: {}{}", r.stdout, r.stderr);
    }
    Ok(secs)
}

fn term_url(stack: &Server, s: &CreateSessionResponse) -> String {
    stack.ws_url(&protocol::routes::terminal(&s.session.id, "node1", &s.token))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// POST → prompt on screen, and POST → `docker version` answered, medians of `n`.
async fn start_times(stack: &Server, http: &reqwest::Client, n: usize) -> anyhow::Result<(f64, f64)> {
    let (mut prompt, mut docker) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        let s = create(stack, http).await?;
        let mut term = Terminal::connect(&term_url(stack, &s)).await?;
        term.expect("[node1]", Duration::from_secs(10)).await?;
        prompt.push(t.elapsed().as_secs_f64());
        delete(stack, http, &s).await;

        let t = Instant::now();
        let s = create(stack, http).await?;
        docker_version(stack, http, &s, "node1").await?;
        docker.push(t.elapsed().as_secs_f64());
        delete(stack, http, &s).await;
    }
    Ok((median(prompt), median(docker)))
}

/// POST → prompt with a warm pool, refilled between trials; median of 5.
async fn warm_start(stack: &Server) -> anyhow::Result<f64> {
    let http = reqwest::Client::new();
    let mut times = Vec::new();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(3)).await; // the pool refills one node in < 1 s
        let t = Instant::now();
        let s = create(stack, &http).await?;
        let mut term = Terminal::connect(&term_url(stack, &s)).await?;
        term.expect("[node1]", Duration::from_secs(10)).await?;
        times.push(t.elapsed().as_secs_f64());
        delete(stack, &http, &s).await;
    }
    Ok(median(times))
}

fn mem_available() -> u64 {
    let m = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    m.lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// Memory charged to every node's cgroup together (the `muelle` parent of the memory hierarchy).
fn nodes_charged() -> u64 {
    std::fs::read_to_string("/sys/fs/cgroup/memory/muelle/memory.usage_in_bytes")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Creates `n` sessions 8 at a time.
async fn many(stack: &Server, http: &reqwest::Client, n: usize) -> anyhow::Result<Vec<CreateSessionResponse>> {
    let mut out = Vec::new();
    while out.len() < n {
        let batch = (n - out.len()).min(8);
        let futs = (0..batch).map(|_| create(stack, http));
        for r in futures_util::future::join_all(futs).await {
            out.push(r?);
        }
    }
    Ok(out)
}

/// Keystroke → echo latency over the WebSocket, across `terms`, `rounds` times each (ms).
async fn echo_latencies(terms: &mut [Terminal], rounds: usize) -> anyhow::Result<Vec<f64>> {
    let mut lat = Vec::new();
    for round in 0..rounds {
        for t in terms.iter_mut() {
            let c = (b'a' + (round % 26) as u8) as char;
            let before = t.screen.len();
            let start = Instant::now();
            t.type_str(&c.to_string()).await?;
            t.expect_after(before, &c.to_string(), Duration::from_secs(5)).await?;
            lat.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    for t in terms.iter_mut() {
        t.type_str("\u{15}").await?; // Ctrl-U clears the typed line
    }
    Ok(lat)
}

/// 100 MB through one terminal, acking like the browser does; seconds.
async fn bulk_output(stack: &Server, http: &reqwest::Client) -> anyhow::Result<f64> {
    let s = create(stack, http).await?;
    let mut term = Terminal::connect(&term_url(stack, &s)).await?;
    term.expect("[node1]", Duration::from_secs(10)).await?;
    let t = Instant::now();
    term.type_str("head -c 100000000 /dev/zero | tr '\\0' x; echo; echo BULK-$((6*7))\n").await?;
    let got = term.drain_until("BULK-42", 64 * 1024, Duration::from_secs(300)).await.context("bulk output")?;
    let secs = t.elapsed().as_secs_f64();
    if got < 100_000_000 {
        bail!("only {got} bytes arrived");
    }
    // Still responsive afterwards.
    term.type_str("echo still-here\n").await?;
    term.expect("still-here", Duration::from_secs(5)).await?;
    delete(stack, http, &s).await;
    Ok(secs)
}

fn frontend_gzipped() -> Option<u64> {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/dist");
    let mut total = 0;
    for e in std::fs::read_dir(dist).ok()?.flatten() {
        let out = std::process::Command::new("gzip").arg("-9c").arg(e.path()).output().ok()?;
        total += out.stdout.len() as u64;
    }
    Some(total)
}

/// Keys the typing client sends: capitals that no prompt or line redraw of the shell contains, so
/// every one seen in the output is an echo.
const KEYS: &[u8] = b"QXZJKVWY";

/// What one typing terminal measured.
#[derive(Default)]
struct Typed {
    latencies_ms: Vec<f64>,
    /// Keys whose echo never came.
    lost: usize,
}

/// One terminal typing `keys` keys at 10 keys/s from `start + phase`, a Ctrl-U every 30 keys
/// (not timed) so that the line never wraps. Echo latency: key sent → its byte back.
async fn type_one(url: String, start: tokio::time::Instant, phase: Duration, keys: usize) -> anyhow::Result<Typed> {
    let mut term = Terminal::connect(&url).await?;
    term.expect("[node1]", Duration::from_secs(30)).await?;
    let (mut tx, mut rx) = term.into_ws().split();
    let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel::<(u8, Instant)>();
    let writer = async move {
        let mut tick = tokio::time::interval_at(start + phase, Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for k in 0..keys {
            tick.tick().await;
            if k % 30 == 29 {
                tx.send(Message::Binary(b"\x15".to_vec().into())).await?;
                continue;
            }
            let c = KEYS[k % KEYS.len()];
            sent_tx.send((c, Instant::now()))?;
            tx.send(Message::Binary(vec![c].into())).await?;
        }
        Ok::<_, anyhow::Error>(tx)
    };
    let reader = async move {
        let mut typed = Typed::default();
        let mut pending: VecDeque<(u8, Instant)> = VecDeque::new();
        let mut writer_done = false;
        loop {
            loop {
                match sent_rx.try_recv() {
                    Ok(k) => pending.push_back(k),
                    Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                    Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                        writer_done = true;
                        break;
                    }
                }
            }
            if writer_done && pending.is_empty() {
                return Ok::<_, anyhow::Error>(typed);
            }
            // A key without echo after 5 s is lost; the writer is at most 100 ms ahead.
            let wait = if writer_done { Duration::from_secs(5) } else { Duration::from_millis(200) };
            match tokio::time::timeout(wait, rx.next()).await {
                Err(_) if writer_done => {
                    typed.lost += pending.len();
                    return Ok(typed);
                }
                Err(_) => {}
                Ok(None) => bail!("terminal closed while typing"),
                Ok(Some(m)) => {
                    if let Message::Binary(b) = m? {
                        let now = Instant::now();
                        for byte in b.iter() {
                            // Pick up keys sent after the last drain (their echo may be here).
                            while let Ok(k) = sent_rx.try_recv() {
                                pending.push_back(k);
                            }
                            if pending.front().is_some_and(|(c, _)| c == byte) {
                                let (_, sent) = pending.pop_front().expect("front");
                                typed.latencies_ms.push(now.duration_since(sent).as_secs_f64() * 1000.0);
                            }
                        }
                    }
                }
            }
        }
    };
    let (w, r) = tokio::join!(writer, reader);
    let mut tx = w?;
    let _ = tx.send(Message::Binary(b"\x15".to_vec().into())).await;
    r
}

/// Every session's terminal types at 10 keys/s for `secs`, all at once, their phases spread over
/// the 100 ms between keys (a class typing together).
async fn typing_together(stack: &Server, sessions: &[CreateSessionResponse], secs: u64) -> anyhow::Result<Typed> {
    let start = tokio::time::Instant::now() + Duration::from_secs(5); // every terminal connected by then
    let n = sessions.len().max(1);
    let tasks: Vec<_> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let phase = Duration::from_micros((i * 100_000 / n) as u64);
            tokio::spawn(type_one(term_url(stack, s), start, phase, secs as usize * 10))
        })
        .collect();
    let mut all = Typed::default();
    for t in tasks {
        let typed = t.await??;
        all.latencies_ms.extend(typed.latencies_ms);
        all.lost += typed.lost;
    }
    Ok(all)
}

/// A class starting at once: `sessions` sessions of `nodes` nodes requested evenly within
/// `within`; for every node, request → its terminal shows the prompt (s). Also the refusals.
async fn class_burst(stack: &Server, sessions: usize, nodes: usize, within: Duration) -> anyhow::Result<(Vec<f64>, usize)> {
    let http = reqwest::Client::new();
    let t0 = tokio::time::Instant::now();
    let tasks: Vec<_> = (0..sessions)
        .map(|i| {
            let (http, at) = (http.clone(), t0 + within * i as u32 / sessions as u32);
            let (create_url, base) = (stack.url("/api/sessions"), stack.base.clone());
            tokio::spawn(async move {
                tokio::time::sleep_until(at).await;
                let t = Instant::now();
                let r = http.post(create_url).json(&serde_json::json!({"nodes": nodes})).send().await?;
                if r.status() != 201 {
                    return Ok::<_, anyhow::Error>(Err(format!("{} {}", r.status(), r.text().await.unwrap_or_default())));
                }
                let s: CreateSessionResponse = r.json().await?;
                let terms = s.session.nodes.iter().map(|node| {
                    let url = format!("ws{}{}", &base[4..], protocol::routes::terminal(&s.session.id, &node.name, &s.token));
                    let name = node.name.clone();
                    async move {
                        let mut term = Terminal::connect(&url).await?;
                        term.expect(&format!("[{name}]"), Duration::from_secs(60)).await?;
                        Ok::<_, anyhow::Error>((t.elapsed().as_secs_f64(), term))
                    }
                });
                let ready = futures_util::future::try_join_all(terms).await?;
                Ok(Ok((s, ready.into_iter().map(|(secs, _)| secs).collect::<Vec<_>>())))
            })
        })
        .collect();
    let (mut times, mut refused, mut made) = (Vec::new(), 0, Vec::new());
    for t in tasks {
        match t.await?? {
            Ok((s, secs)) => {
                times.extend(secs);
                made.push(s);
            }
            Err(why) => {
                eprintln!("  refused: {why}");
                refused += 1;
            }
        }
    }
    for s in &made {
        delete(stack, &http, s).await;
    }
    Ok((times, refused))
}

/// Time to interactive (ms) of the start page and a lesson page in headless Chromium: medians of
/// 5 cold loads each (tests/browser/bench-tti.mjs).
fn frontend_tti(stack: &Server) -> anyhow::Result<(f64, f64)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("browser");
    if !dir.join("node_modules/playwright-core").exists() {
        let ok = std::process::Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir).status()?;
        if !ok.success() {
            bail!("npm ci in tests/browser failed");
        }
    }
    let out = std::process::Command::new("node")
        .args(["bench-tti.mjs", "5"])
        .current_dir(&dir)
        .env("BASE_URL", &stack.base)
        .output()?;
    if !out.status.success() {
        bail!("bench-tti.mjs: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).context("bench-tti.mjs output")?;
    let med = |k: &str| -> anyhow::Result<f64> {
        let xs: Vec<f64> = v[k].as_array().context("no times")?.iter().filter_map(|x| x.as_f64()).collect();
        if xs.is_empty() {
            bail!("no {k}");
        }
        Ok(median(xs))
    };
    Ok((med("start_ms")?, med("lesson_ms")?))
}

/// muelle's speed and memory figures beside their targets, on the real stack (root).
#[derive(clap::Parser)]
struct Args {
    /// Live sessions the echo, typing and memory figures use
    #[arg(long, env = "BENCH_SESSIONS", default_value_t = 100)]
    sessions: usize,
    /// Seconds every session types together
    #[arg(long, env = "BENCH_TYPING_SECS", default_value_t = 30)]
    typing_secs: u64,
    /// How many of the live sessions type together (the class typing at once)
    #[arg(long, env = "BENCH_TYPING", default_value_t = 200)]
    typing: usize,
    /// Sessions of the class burst (3 nodes each, requested within 10 s)
    #[arg(long, env = "BENCH_CLASS", default_value_t = 40)]
    class: usize,
    /// Play-with-Docker-style (dind) nodes the anchor starts beside muelle's (0: none)
    #[arg(long, env = "BENCH_ANCHOR", default_value_t = 5)]
    anchor: usize,
    /// Only the anchor (dind nodes) and its muelle counterparts, for a quick look
    #[arg(long)]
    anchor_only: bool,
    /// Internal: run the backend the bench measures, print its URL, stop when stdin closes
    #[arg(long, hide = true)]
    serve: bool,
    #[arg(long, hide = true, default_value_t = 0)]
    pool_size: usize,
}

/// The table and target/bench/latest.json.
#[derive(Default)]
struct Report {
    rows: Vec<(String, String, String)>,
    json: serde_json::Map<String, serde_json::Value>,
}

impl Report {
    /// One row; `key`/`value` go to the JSON as well (a `None` value is written as null).
    fn add(&mut self, key: Option<(&str, Option<f64>)>, what: &str, target: &str, measured: String) {
        if let Some((k, v)) = key {
            let v = v.map(|x| (x * 1000.0).round() / 1000.0);
            self.json.insert(k.into(), v.map_or(serde_json::Value::Null, serde_json::Value::from));
        }
        eprintln!("  {what}: {measured} (target {target})");
        self.rows.push((what.into(), target.into(), measured));
    }

    fn missing(&mut self, key: &str, what: &str, target: &str, why: &str) {
        self.add(Some((key, None)), what, target, format!("not measured: {why}"));
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    if args.serve {
        return serve(args.pool_size).await;
    }
    let n = args.sessions;
    // Other work on the machine skews every figure: the load average goes beside them.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let stack = Server::start(0)?;
    let http = reqwest::Client::new();
    let mut rep = Report::default();

    if args.anchor_only {
        let (_, docker) = start_times(&stack, &http, 3).await?;
        let hello = hello_world(&stack, &http).await?;
        let a = e2e::anchor::measure(&e2e::data_dir().join("images/node/rootfs"), backend::images::DEFAULT_LISTEN.parse()?, args.anchor.max(1)).await?;
        println!("muelle: docker version {docker:.2} s, hello-world {hello:.2} s");
        println!("anchor: {a:?}");
        return Ok(());
    }
    eprintln!("measuring cold starts…");
    let (prompt, docker) = start_times(&stack, &http, 5).await?;
    rep.add(Some(("start_cold_s", Some(prompt))), "Start → shell prompt (cold, median of 5)", "< 2 s", format!("{prompt:.2} s"));
    let warm_server = Server::start(2)?;
    let warm = warm_start(&warm_server).await?;
    rep.add(Some(("start_warm_s", Some(warm))), "Start → shell prompt (warm pool, median of 5)", "< 0.3 s", format!("{warm:.2} s"));
    rep.add(Some(("docker_version_s", Some(docker))), "New node → `docker version` answers (median of 5)", "< 1.5 s", format!("{docker:.2} s"));

    eprintln!("5-node sessions…");
    let mut five = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let r = http.post(stack.url("/api/sessions")).json(&serde_json::json!({"nodes": 5})).send().await?;
        if r.status() != 201 {
            bail!("5-node session: {}", r.status());
        }
        let s: CreateSessionResponse = r.json().await?;
        docker_version(&stack, &http, &s, "node5").await?;
        five.push(t.elapsed().as_secs_f64());
        delete(&stack, &http, &s).await;
    }
    let five = median(five);
    rep.add(None, "5-node session → node5's `docker version` answers (median of 3)", "-", format!("{five:.2} s"));

    eprintln!("starting {n} sessions…");
    let (avail0, rss0, charged0) = (mem_available(), stack.rss(), nodes_charged());
    let t = Instant::now();
    let sessions = many(&stack, &http, n).await?;
    let created = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(10)).await; // let the nodes settle to idle
    let per_node = (avail0.saturating_sub(mem_available())) as f64 / n as f64 / (1 << 20) as f64;
    let charged = nodes_charged().saturating_sub(charged0) as f64 / n as f64 / (1 << 20) as f64;
    let rss_sessions = stack.rss();
    rep.add(None, &format!("{n} sessions started (8 at a time)"), "-", format!("{created:.1} s"));
    rep.add(Some(("sessions_held", Some(n as f64))), "Idle one-node sessions held", "1000", format!("{n} (BENCH_SESSIONS)"));
    rep.add(Some(("idle_mib_per_node", Some(per_node))), "Idle memory per node (host MemAvailable drop / n)", "≤ 8 MiB", format!("{per_node:.1} MiB ({charged:.1} MiB charged to its cgroup)"));
    rep.json.insert("idle_cgroup_mib_per_node".into(), ((charged * 1000.0).round() / 1000.0).into());

    eprintln!("opening {n} terminals and measuring echo…");
    let mut terms = Vec::new();
    for s in &sessions {
        let mut t = Terminal::connect(&term_url(&stack, s)).await?;
        t.expect("[node1]", Duration::from_secs(10)).await?;
        terms.push(t);
    }
    let rss_terms = stack.rss();
    let per100 = |b: u64| b.saturating_sub(rss0) as f64 / (1 << 20) as f64 * 100.0 / n as f64;
    rep.add(
        Some(("server_rss_mib_per_100", Some(per100(rss_terms)))),
        "Server RSS per 100 live sessions, a terminal open each",
        "-",
        format!("{:.1} MiB ({:.1} MiB without terminals; {:.0} MiB in all)", per100(rss_terms), per100(rss_sessions), rss_terms as f64 / (1 << 20) as f64),
    );
    let mut lat = echo_latencies(&mut terms, 10).await?;
    let (p50, p99) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.99));
    rep.add(
        Some(("echo_p99_ms", Some(p99))),
        &format!("Keystroke echo p99, one terminal typing at a time, {n} live ({} samples)", lat.len()),
        "< 5 ms",
        format!("{p99:.2} ms (p50 {p50:.2} ms)"),
    );

    eprintln!("idle server CPU…");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu0, t) = (stack.cpu_secs(), Instant::now());
    tokio::time::sleep(Duration::from_secs(20)).await;
    let idle_cpu = (stack.cpu_secs() - cpu0) / t.elapsed().as_secs_f64() * 100.0;
    rep.add(Some(("server_idle_cpu_pct", Some(idle_cpu))), &format!("Server CPU, {n} sessions idle, terminals open (20 s)"), "< 1 % of a core", format!("{idle_cpu:.2} %"));
    drop(terms);

    let typers = &sessions[..n.min(args.typing)];
    eprintln!("{} sessions typing together for {} s ({n} live)…", typers.len(), args.typing_secs);
    let mut typed = typing_together(&stack, typers, args.typing_secs).await?;
    let lat = &mut typed.latencies_ms;
    if lat.is_empty() {
        bail!("no echo measured while typing");
    }
    let (p50, p99) = (percentile(lat, 0.5), percentile(lat, 0.99));
    let max = lat.iter().copied().fold(0.0, f64::max);
    rep.add(
        Some(("echo_typing_p99_ms", Some(p99))),
        &format!("Echo p99, {} sessions typing together at 10 keys/s, {n} live ({} keys)", typers.len(), lat.len()),
        "< 5 ms",
        format!("{p99:.2} ms (p50 {p50:.2} ms, {} lost)", typed.lost),
    );
    rep.json.insert("echo_typing_p50_ms".into(), ((p50 * 1000.0).round() / 1000.0).into());
    rep.json.insert("echo_typing_lost".into(), typed.lost.into());
    rep.add(Some(("echo_typing_max_ms", Some(max))), "Echo worst case, same run", "< 100 ms", format!("{max:.1} ms"));

    eprintln!("100 MB of terminal output…");
    let secs = bulk_output(&stack, &http).await?;
    rep.add(None, "100 MB terminal output, acked like the browser", "no freeze", format!("{secs:.1} s ({:.0} MB/s), shell answers after", 100.0 / secs));

    eprintln!("cleaning up…");
    for s in &sessions {
        delete(&stack, &http, s).await;
    }
    drop(sessions);

    if args.class > 0 {
        eprintln!("class burst: {} sessions of 3 nodes within 10 s…", args.class);
        let (mut times, refused) = class_burst(&warm_server, args.class, 3, Duration::from_secs(10)).await?;
        if times.is_empty() {
            rep.missing("class_burst_p95_s", "Class burst", "p95 < 3 s", "every session refused");
        } else {
            let p95 = percentile(&mut times, 0.95);
            let max = times.iter().copied().fold(0.0, f64::max);
            rep.add(
                Some(("class_burst_p95_s", Some(p95))),
                &format!("Class burst: {}×3 nodes in 10 s, request → prompt, p95 ({} terminals)", args.class, times.len()),
                "< 3 s, none refused",
                format!("{p95:.2} s (max {max:.2} s, {refused} refused)"),
            );
            rep.json.insert("class_burst_refused".into(), refused.into());
        }
    } else {
        rep.missing("class_burst_p95_s", "Class burst", "p95 < 3 s", "BENCH_CLASS=0");
    }
    drop(warm_server);

    eprintln!("`docker run hello-world` in a new node…");
    let hello = hello_world(&stack, &http).await;
    match &hello {
        Ok(s) => rep.add(Some(("hello_world_s", Some(*s))), "New node → `docker run --rm hello-world` done (engine start and pull included)", "-", format!("{s:.2} s")),
        Err(e) => rep.missing("hello_world_s", "New node → `docker run hello-world`", "-", &format!("{e:#}")),
    }
    if args.anchor > 0 {
        eprintln!("anchor: {} Play-with-Docker-style (dind) nodes…", args.anchor);
        let registry: std::net::SocketAddr = backend::images::DEFAULT_LISTEN.parse()?;
        match e2e::anchor::measure(&e2e::data_dir().join("images/node/rootfs"), registry, args.anchor).await {
            Ok(a) => {
                let ratio = |ours: f64, theirs: f64| if ours > 0.0 { format!("{:.1}× ours", theirs / ours) } else { "-".into() };
                rep.add(
                    Some(("dind_start_s", Some(a.start_s))),
                    &format!("Anchor, dind node: start → `docker version` (median of {})", a.nodes),
                    "-",
                    format!("{:.2} s ({}; ours {docker:.2} s)", a.start_s, ratio(docker, a.start_s)),
                );
                rep.add(
                    Some(("dind_idle_mib_per_node", Some(a.idle_mib))),
                    "Anchor, dind node: idle memory (host MemAvailable drop / n)",
                    "-",
                    format!("{:.1} MiB ({:.1} MiB charged to its cgroup; {}; ours {per_node:.1} MiB)", a.idle_mib, a.idle_cgroup_mib, ratio(per_node, a.idle_mib)),
                );
                let ours = hello.as_ref().map_or(0.0, |s| *s);
                rep.add(
                    Some(("dind_hello_world_s", Some(a.hello_s))),
                    "Anchor, dind node: `docker run --rm hello-world` (pull included; its engine already runs)",
                    "-",
                    format!("{:.2} s ({}; ours {ours:.2} s)", a.hello_s, ratio(ours, a.hello_s)),
                );
            }
            Err(e) => {
                eprintln!("  anchor: {e:#}");
                rep.missing("dind_start_s", "Anchor (dind node): start → `docker version`", "-", &format!("{e:#}"));
                rep.missing("dind_idle_mib_per_node", "Anchor (dind node): idle memory", "-", "see above");
            }
        }
    } else {
        rep.missing("dind_start_s", "Anchor (dind node): start → `docker version`", "-", "BENCH_ANCHOR=0");
        rep.missing("dind_idle_mib_per_node", "Anchor (dind node): idle memory", "-", "BENCH_ANCHOR=0");
    }

    match frontend_gzipped() {
        Some(g) => rep.add(Some(("frontend_gz_kb", Some(g as f64 / 1000.0))), "Front end, gzipped", "< 600 KB", format!("{} KB", g / 1000)),
        None => rep.missing("frontend_gz_kb", "Front end, gzipped", "< 600 KB", "frontend/dist missing"),
    }
    eprintln!("front end time to interactive…");
    match frontend_tti(&stack) {
        Ok((start, lesson)) => {
            rep.add(Some(("start_page_tti_ms", Some(start))), "Start page: time to interactive (Chromium, cold cache, median of 5)", "< 1000 ms", format!("{start:.0} ms"));
            rep.add(Some(("lesson_page_tti_ms", Some(lesson))), "Lesson page: time to interactive (same)", "< 1000 ms", format!("{lesson:.0} ms"));
        }
        Err(e) => {
            eprintln!("  {e:#}");
            rep.missing("start_page_tti_ms", "Start page: time to interactive", "< 1000 ms", "headless Chromium failed");
            rep.missing("lesson_page_tti_ms", "Lesson page: time to interactive", "< 1000 ms", "headless Chromium failed");
        }
    }
    drop(stack);

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("latest.json"), serde_json::to_string_pretty(&serde_json::Value::Object(rep.json))? + "\n")?;

    println!(
        "\nmuelle benchmarks ({} cores, {} GiB available, load average {} before the run)\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        mem_available() >> 30,
        load.join(" ")
    );
    println!("| figure | target | measured |\n|---|---|---|");
    for (what, target, measured) in rep.rows {
        println!("| {what} | {target} | {measured} |");
    }
    println!("\n(also in target/bench/latest.json)");
    Ok(())
}
