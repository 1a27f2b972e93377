//! Issue #3: abuse is contained. A fork bomb, a memory bomb, a disk fill and a CPU hog in one
//! session: the backend keeps answering `/healthz` within a second, a second session still runs
//! `docker run --rm busybox echo ok` (timed and printed), and the abusive session's limit shows
//! on the host (its cgroup counters) while the session itself keeps working afterwards.

use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::Stack;
use protocol::{CreateSessionResponse, ExecResponse};
use serial_test::serial;

use crate::support::{
    cgroup_key, cgroup_u64, create, delete, exec, exec_for, find_node_key, guard, host_free_bytes, ok, timed_docker_run,
    DeleteOnDrop, Watchdog,
};

/// Slowest acceptable `/healthz` answer while a session misbehaves.
const HEALTHZ_LIMIT: Duration = Duration::from_secs(1);

/// Two sessions on a fresh stack: the abuser and a bystander whose busybox is already pulled.
/// Both are deleted when the guards drop, even after a failed assertion.
async fn two_sessions(stack: &Stack) -> (CreateSessionResponse, CreateSessionResponse, [DeleteOnDrop; 2]) {
    let abuser = create(stack, "{}").await;
    let victim = create(stack, "{}").await;
    let guards = [guard(stack, &abuser), guard(stack, &victim)];
    let warm = timed_docker_run(stack, &victim).await;
    eprintln!("bystander's docker run before the abuse (pull included): {warm:?}");
    (abuser, victim, guards)
}

/// Starts `cmd` on the abuser's node1 in the background with a time limit.
fn start_abuse(stack: &Arc<Stack>, s: &CreateSessionResponse, cmd: &str, secs: u32) -> tokio::task::JoinHandle<ExecResponse> {
    let (stack, s, cmd) = (stack.clone(), s.clone(), cmd.to_string());
    tokio::spawn(async move { exec_for(&stack, &s, "node1", &cmd, secs).await })
}

/// The abuser answers a fresh exec again (within `within`).
async fn still_alive(stack: &Stack, s: &CreateSessionResponse, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let out = exec_for(stack, s, "node1", "echo alive", 10).await;
        if out.exit_code == 0 && out.stdout == "alive\n" {
            return;
        }
        assert!(Instant::now() < deadline, "abuser's node is dead: {out:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until the node's cgroup has refused more forks than `before`; returns the count.
async fn forks_refused_beyond(key: &str, before: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let n = cgroup_key(key, "pids", "pids.events", "max");
        if n > before {
            return n;
        }
        assert!(Instant::now() < deadline, "fork bomb never hit pids.max");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn fork_bomb_is_held_by_the_pids_limit() {
    let stack = Arc::new(Stack::start(|_| {}).await.expect("stack"));
    let (a, v, _guards) = two_sessions(&stack).await;
    let key = find_node_key(&stack, &a, "node1").await;
    let max = cgroup_u64(&key, "pids", "pids.max");
    let dog = Watchdog::start(&stack);
    // The classic bomb; the exec keeps running (exec sleep forks nothing) until its time limit.
    let bomb = start_abuse(&stack, &a, "bash -c ':(){ :|:& };:; exec sleep 600'", 25);
    let refused = forks_refused_beyond(&key, 0).await;
    let current = cgroup_u64(&key, "pids", "pids.current");
    eprintln!("fork bomb: {current} processes (pids.max {max}), {refused} forks refused so far");
    assert!(current <= max, "{current} processes above pids.max {max}");
    let during = timed_docker_run(&stack, &v).await;
    eprintln!("bystander's docker run DURING the fork bomb: {during:?}");
    let out = bomb.await.unwrap();
    assert!(out.timed_out && out.exit_code == 124, "the bomb should run until its time limit: {out:?}");
    // The time limit killed the exec's whole process group: the node is usable again.
    still_alive(&stack, &a, Duration::from_secs(20)).await;
    // 2000 SIGKILLed processes take a while to exit under the node's CPU quota.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut left = cgroup_u64(&key, "pids", "pids.current");
    while left >= 200 {
        assert!(Instant::now() < deadline, "{left} processes left 30 s after the bomb was killed");
        tokio::time::sleep(Duration::from_millis(250)).await;
        left = cgroup_u64(&key, "pids", "pids.current");
    }
    let after = timed_docker_run(&stack, &a).await;
    eprintln!("abuser's own docker run after the bomb: {after:?} ({left} processes left)");

    // A bomb that outlives its exec (it returns at once) saturates the node until the session
    // ends; ending it must still be clean and quick.
    let out = exec_for(&stack, &a, "node1", "bash -c ':(){ :|:& };:'", 30).await;
    assert!(!out.timed_out, "{out:?}");
    forks_refused_beyond(&key, cgroup_key(&key, "pids", "pids.events", "max")).await;
    let stuck = exec_for(&stack, &a, "node1", "echo alive", 10).await;
    eprintln!("exec in a saturated node: exit {} {:?} {:?}", stuck.exit_code, stuck.stdout, stuck.stderr.trim());
    let during = timed_docker_run(&stack, &v).await;
    eprintln!("bystander's docker run beside a saturated node: {during:?}");
    dog.finish(20, HEALTHZ_LIMIT).await;
    let bridge = crate::support::bridge_of(&a.session.nodes[0].ip);
    let t = Instant::now();
    delete(&stack, &a).await;
    eprintln!("deleting the saturated session took {:?}", t.elapsed());
    let left = e2e::leftovers(&stack.data_dir, &key, &bridge);
    assert!(left.is_empty(), "left behind: {left:?}");
    delete(&stack, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn memory_bomb_is_killed_inside_its_node() {
    let stack = Arc::new(Stack::start(|c| c.node_limits.memory_mb = 768).await.expect("stack"));
    let (a, v, _guards) = two_sessions(&stack).await;
    let key = find_node_key(&stack, &a, "node1").await;
    let limit = cgroup_u64(&key, "memory", "memory.limit_in_bytes");
    assert_eq!(limit, 768 << 20);
    let dog = Watchdog::start(&stack);
    // `tail` keeps the current line, and /dev/zero has no newline: it allocates without end.
    let bomb = start_abuse(&stack, &a, "tail /dev/zero", 90);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let during = timed_docker_run(&stack, &v).await;
    eprintln!("bystander's docker run DURING the memory bomb: {during:?}");
    let out = bomb.await.unwrap();
    eprintln!("node memory bomb: {out:?}");
    assert!(!out.timed_out && out.exit_code == 137, "the OOM killer should end it: {out:?}");
    let kills = cgroup_key(&key, "memory", "memory.oom_control", "oom_kill");
    assert!(kills >= 1, "no OOM kill recorded in the node's cgroup");
    // The same from a container: its cgroup sits under the node's, so the node's limit holds it
    // (docker sets no limit of its own). The kill is counted in the container's cgroup, which
    // goes with the container; docker's OOMKilled and the node's peak show it.
    ok(&stack, &a, "docker pull -q busybox >/dev/null").await;
    std::fs::write(crate::support::cgroup_dir(&key, "memory").join("memory.max_usage_in_bytes"), "0").unwrap();
    let t = Instant::now();
    let out = exec(&stack, &a, "docker run --name membomb busybox tail /dev/zero").await;
    eprintln!("container memory bomb ended in {:?}: {out:?}", t.elapsed());
    assert_eq!(out.exit_code, 137, "container bomb: {out:?}");
    let state = ok(&stack, &a, "docker inspect -f '{{.State.OOMKilled}} {{.HostConfig.Memory}}' membomb && docker rm membomb >/dev/null").await;
    assert_eq!(state.trim(), "true 0", "killed by the OOM killer, under no limit but the node's");
    let peak = cgroup_u64(&key, "memory", "memory.max_usage_in_bytes");
    eprintln!("node's peak memory during the container bomb: {} MiB of {} MiB", peak >> 20, limit >> 20);
    // A dying task may overcharge by a page or so (the kernel's forced charges).
    assert!(peak <= limit + (1 << 20) && peak > limit / 10 * 9, "peak {peak}, limit {limit}");
    dog.finish(10, HEALTHZ_LIMIT).await;
    still_alive(&stack, &a, Duration::from_secs(10)).await;
    let after = timed_docker_run(&stack, &a).await;
    eprintln!("abuser's own docker run after the bombs: {after:?}");
    delete(&stack, &v).await;
    delete(&stack, &a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn disk_fill_stops_at_the_node_disk() {
    const DISK_MB: u64 = 1024;
    let stack = Arc::new(Stack::start(|c| c.node_limits.disk_mb = DISK_MB).await.expect("stack"));
    let (a, v, _guards) = two_sessions(&stack).await;
    let key = find_node_key(&stack, &a, "node1").await;
    let image = stack.data_dir.join("sandboxes").join(&key).join("disk.img");
    let free_before = host_free_bytes(&stack.data_dir);
    let dog = Watchdog::start(&stack);
    // First a container's layer, then the node's own root: both live on the node's disk.
    let fill = start_abuse(&stack, &a, "docker run --rm busybox dd if=/dev/zero of=/fill bs=1M count=4096", 120);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = timed_docker_run(&stack, &v).await;
    eprintln!("bystander's docker run DURING the container disk fill: {during:?}");
    let out = fill.await.unwrap();
    eprintln!("container fill: exit {} {}", out.exit_code, out.stderr.trim());
    assert!(out.exit_code != 0 && out.stderr.contains("No space left on device"), "{out:?}");
    let out = exec(&stack, &a, "dd if=/dev/zero of=/root/fill bs=1M count=4096").await;
    eprintln!("node fill: exit {} {}", out.exit_code, out.stderr.trim());
    assert!(out.exit_code != 0 && out.stderr.contains("No space left on device"), "{out:?}");
    let written: u64 = ok(&stack, &a, "stat -c %s /root/fill").await.trim().parse().unwrap();
    assert!(written > (DISK_MB << 20) / 2 && written < DISK_MB << 20, "wrote {written} bytes");
    // The host paid at most the image's size.
    let allocated = std::fs::metadata(&image).map(|m| std::os::unix::fs::MetadataExt::blocks(&m) * 512).unwrap();
    let free_after = host_free_bytes(&stack.data_dir);
    eprintln!(
        "disk image holds {} MiB of {DISK_MB} MiB; host free {} → {} GiB",
        allocated >> 20, free_before >> 30, free_after >> 30
    );
    assert!(allocated <= (DISK_MB << 20) + (1 << 20), "image grew to {allocated} bytes");
    assert!(free_after > 2 << 30, "the host disk is nearly full: {free_after} bytes left");
    let during = timed_docker_run(&stack, &v).await;
    eprintln!("bystander's docker run while the abuser's disk is full: {during:?}");
    still_alive(&stack, &a, Duration::from_secs(10)).await;
    let full = exec(&stack, &a, "docker run --rm busybox echo ok").await;
    eprintln!("abuser's docker run on a full disk: exit {} {}", full.exit_code, full.stderr.trim());
    assert!(full.exit_code == 0 || full.stderr.to_lowercase().contains("no space left"), "{full:?}");
    ok(&stack, &a, "rm /root/fill").await;
    let after = timed_docker_run(&stack, &a).await;
    eprintln!("abuser's docker run after rm: {after:?}");
    dog.finish(10, HEALTHZ_LIMIT).await;
    delete(&stack, &v).await;
    delete(&stack, &a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn cpu_hog_gets_one_core() {
    let stack = Arc::new(Stack::start(|_| {}).await.expect("stack"));
    let (a, v, _guards) = two_sessions(&stack).await;
    let key = find_node_key(&stack, &a, "node1").await;
    let cores = cgroup_u64(&key, "cpu", "cpu.cfs_quota_us") as f64 / cgroup_u64(&key, "cpu", "cpu.cfs_period_us") as f64;
    let dog = Watchdog::start(&stack);
    let hog = start_abuse(&stack, &a, "for i in 1 2 3 4; do timeout 15 yes >/dev/null & done; wait; echo done", 60);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (t0, u0) = (Instant::now(), cgroup_u64(&key, "cpuacct", "cpuacct.usage"));
    let during = timed_docker_run(&stack, &v).await;
    eprintln!("bystander's docker run DURING the CPU hog: {during:?}");
    tokio::time::sleep(Duration::from_secs(5).saturating_sub(t0.elapsed())).await;
    let used = (cgroup_u64(&key, "cpuacct", "cpuacct.usage") - u0) as f64 / 1e9 / t0.elapsed().as_secs_f64();
    let throttled = cgroup_key(&key, "cpu", "cpu.stat", "nr_throttled");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!("CPU hog used {used:.2} cores (quota {cores:.2}), throttled {throttled} times; host load {}", load.trim());
    // The host has other work too (2 cores): the hog must run, but may get less than its quota.
    assert!(used > 0.2 * cores, "the hog did not run ({used:.2} cores)");
    assert!(used < cores * 1.15, "the hog used {used:.2} cores, quota {cores:.2}");
    let out = hog.await.unwrap();
    assert_eq!((out.exit_code, out.stdout.as_str()), (0, "done\n"), "{out:?}");
    dog.finish(20, HEALTHZ_LIMIT).await;
    still_alive(&stack, &a, Duration::from_secs(5)).await;
    delete(&stack, &v).await;
    delete(&stack, &a).await;
}
