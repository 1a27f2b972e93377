//! The orphan reaper, in a test process of its own (it reaps this process's zombie children).

use std::path::Path;
use std::time::{Duration, Instant};

use backend::reaper::{zombie_children, OrphanReaper};

/// The tests reap this process's children: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Starts a shell whose background `sleep <secs>` is orphaned to this process; its pid.
fn orphan(secs: &str) -> i32 {
    nix::sys::prctl::set_child_subreaper(true).unwrap();
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", &format!("sleep {secs} >/dev/null 2>&1 & echo $!")])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().parse().unwrap()
}

#[test]
fn orphaned_zombies_are_reaped_on_the_second_sweep() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let pid = orphan("0.1");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !zombie_children(std::process::id()).contains(&pid) {
        assert!(Instant::now() < deadline, "orphan {pid} never became our zombie");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut reaper = OrphanReaper::default();
    assert_eq!(reaper.sweep(), 0);
    assert!(Path::new(&format!("/proc/{pid}")).exists(), "reaped on first sight");
    assert_eq!(reaper.sweep(), 1);
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "zombie {pid} left");
}

/// The sweeping task waits for SIGCHLD, not for its one-minute safety sweep: an orphan that dies
/// while the task waits is reaped about two short periods later.
#[test]
fn the_reaper_task_sweeps_when_an_orphan_dies() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async {
        let task = backend::reaper::spawn(Duration::from_millis(100));
        // Past the task's first sweeps: it now waits for a child's death.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let pid = orphan("0.3");
        let start = Instant::now();
        while Path::new(&format!("/proc/{pid}")).exists() {
            assert!(start.elapsed() < Duration::from_secs(10), "orphan {pid} not reaped in 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // It died 0.3 s in; two sweeps 0.1 s apart follow.
        assert!(start.elapsed() < Duration::from_secs(5), "reaped only after {:?}", start.elapsed());
        task.abort();
    });
}
