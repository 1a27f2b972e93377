//! The orphan reaper, in a test process of its own (it reaps this process's zombie children).

use std::path::Path;
use std::time::{Duration, Instant};

use backend::reaper::{zombie_children, OrphanReaper};

#[test]
fn orphaned_zombies_are_reaped_on_the_second_sweep() {
    nix::sys::prctl::set_child_subreaper(true).unwrap();
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", "sleep 0.1 >/dev/null 2>&1 & echo $!"])
        .output()
        .unwrap();
    let pid: i32 = String::from_utf8(out.stdout).unwrap().trim().parse().unwrap();
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
