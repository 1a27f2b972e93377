//! `scripts/bench.sh`: measures muelle against its targets on this machine, in one run, and
//! prints them side by side. Real backend, real sandboxes, real dockerd, over the real API.
//!
//! `bench --sessions N` (or BENCH_SESSIONS, default 100) sets how many live sessions the echo and
//! memory figures use.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use e2e::{Stack, Terminal};
use protocol::CreateSessionResponse;

struct Row {
    what: String,
    target: String,
    measured: String,
}

async fn create(stack: &Stack, http: &reqwest::Client) -> anyhow::Result<CreateSessionResponse> {
    let r = http.post(stack.url("/api/sessions")).json(&serde_json::json!({})).send().await?;
    if r.status() != 201 {
        bail!("create: {} {}", r.status(), r.text().await?);
    }
    Ok(r.json().await?)
}

async fn delete(stack: &Stack, http: &reqwest::Client, s: &CreateSessionResponse) {
    let _ = http.delete(stack.url(&protocol::routes::session(&s.session.id))).bearer_auth(&s.token).send().await;
}

fn term_url(stack: &Stack, s: &CreateSessionResponse) -> String {
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
async fn start_times(stack: &Stack, http: &reqwest::Client, n: usize) -> anyhow::Result<(f64, f64)> {
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
        let r: protocol::ExecResponse = http
            .post(stack.url(&protocol::routes::exec(&s.session.id, "node1")))
            .bearer_auth(&s.token)
            .json(&serde_json::json!({"cmd": "docker version --format '{{.Server.Version}}'"}))
            .send()
            .await?
            .json()
            .await?;
        if r.exit_code != 0 {
            bail!("docker version failed: {}", r.stderr);
        }
        docker.push(t.elapsed().as_secs_f64());
        delete(stack, http, &s).await;
    }
    Ok((median(prompt), median(docker)))
}

/// POST → prompt with a warm pool of one node, refilled between trials; median of 5.
async fn warm_start(cold: &Stack) -> anyhow::Result<f64> {
    let _ = cold;
    let stack = Stack::start(|c| {
        c.pool_size = 1;
        c.limits.session_rate_per_minute = 0;
    })
    .await?;
    let http = reqwest::Client::new();
    let mut times = Vec::new();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(3)).await; // the pool refills one node in < 1 s
        let t = Instant::now();
        let s = create(&stack, &http).await?;
        let mut term = Terminal::connect(&term_url(&stack, &s)).await?;
        term.expect("[node1]", Duration::from_secs(10)).await?;
        times.push(t.elapsed().as_secs_f64());
        delete(&stack, &http, &s).await;
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

/// Creates `n` sessions 8 at a time.
async fn many(stack: &Stack, http: &reqwest::Client, n: usize) -> anyhow::Result<Vec<CreateSessionResponse>> {
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
async fn bulk_output(stack: &Stack, http: &reqwest::Client) -> anyhow::Result<f64> {
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

/// muelle's speed and memory figures beside their targets, on the real stack (root).
#[derive(clap::Parser)]
struct Args {
    /// Live sessions the echo and memory figures use
    #[arg(long, env = "BENCH_SESSIONS", default_value_t = 100)]
    sessions: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let n = <Args as clap::Parser>::parse().sessions;
    // One client address starts every session and opens every terminal: no per-address limits.
    let stack = Stack::start(|c| {
        c.max_nodes = 400;
        c.limits.session_rate_per_minute = 0;
        c.limits.max_terminals_per_addr = usize::MAX;
    })
    .await?;
    let http = reqwest::Client::new();
    let mut rows = Vec::new();
    let row = |what: &str, target: &str, measured: String| Row { what: what.into(), target: target.into(), measured };

    eprintln!("measuring cold starts…");
    let (prompt, docker) = start_times(&stack, &http, 5).await?;
    rows.push(row("Start → shell prompt (cold, median of 5)", "< 2 s", format!("{prompt:.2} s")));
    rows.push(row("Start → shell prompt (warm pool, median of 5)", "< 0.3 s", format!("{:.2} s", warm_start(&stack).await?)));
    rows.push(row("New node → `docker version` answers", "< 1.5 s", format!("{docker:.2} s")));

    eprintln!("5-node sessions…");
    let mut five = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let r = http.post(stack.url("/api/sessions")).json(&serde_json::json!({"nodes": 5})).send().await?;
        if r.status() != 201 {
            bail!("5-node session: {}", r.status());
        }
        five.push(t.elapsed().as_secs_f64());
        let s: CreateSessionResponse = r.json().await?;
        delete(&stack, &http, &s).await;
    }
    rows.push(row("5-node session → every dockerd answers (median of 3)", "-", format!("{:.2} s", median(five))));

    eprintln!("starting {n} sessions…");
    let avail0 = mem_available();
    let t = Instant::now();
    let sessions = many(&stack, &http, n).await?;
    let created = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(10)).await; // let the dockerds settle to idle
    let per_node = (avail0.saturating_sub(mem_available())) as f64 / n as f64 / (1 << 20) as f64;
    rows.push(row(&format!("{n} sessions started (8 at a time)"), "-", format!("{created:.1} s")));
    rows.push(row("Idle memory per node (host MemAvailable drop / n)", "≈ 31 MiB", format!("{per_node:.1} MiB")));

    eprintln!("opening {n} terminals and measuring echo…");
    let mut terms = Vec::new();
    for s in &sessions {
        let mut t = Terminal::connect(&term_url(&stack, s)).await?;
        t.expect("[node1]", Duration::from_secs(10)).await?;
        terms.push(t);
    }
    let mut lat = echo_latencies(&mut terms, 10).await?;
    let (p50, p99) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.99));
    rows.push(row(&format!("Keystroke echo p99, {n} live sessions ({} samples)", lat.len()), "< 5 ms", format!("{p99:.2} ms (p50 {p50:.2} ms)")));
    drop(terms);

    eprintln!("100 MB of terminal output…");
    let secs = bulk_output(&stack, &http).await?;
    rows.push(row("100 MB terminal output, acked like the browser", "no freeze", format!("{secs:.1} s ({:.0} MB/s), shell answers after", 100.0 / secs)));

    eprintln!("cleaning up…");
    for s in &sessions {
        delete(&stack, &http, s).await;
    }
    if let Some(g) = frontend_gzipped() {
        rows.push(row("Front end, gzipped", "< 600 KB", format!("{} KB", g / 1000)));
    }

    let w = rows.iter().map(|r| r.what.chars().count()).max().unwrap_or(10);
    println!("\nmuelle benchmarks ({} cores, {} GiB)\n", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), (mem_available() >> 30));
    println!("{:w$}  {:>10}  measured", "figure", "target");
    for r in rows {
        println!("{:w$}  {:>10}  {}", r.what, r.target, r.measured);
    }
    Ok(())
}
