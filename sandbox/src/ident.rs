//! Who a sandbox's init is: its host pid plus its start time (field 22 of `/proc/PID/stat`, in
//! clock ticks since boot). A pid alone may belong to another process once the init dies; the
//! pair names one process for the life of the machine.
//!
//! [`open_init`] opens `/proc/PID` as a directory and checks the start time through it: that
//! directory stays bound to the process it was opened for (a new process that reuses the pid
//! gets a new one), so everything opened below it afterwards (`ns/*`, `root`) belongs to the
//! checked process or fails.

use std::io;
use std::os::fd::{AsFd, OwnedFd};

use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;

/// What a node's error text says when its init is gone (no host pid, no host path).
pub const NOT_RUNNING: &str = "the node's init is not running";

/// The state letter and the start time of `/proc/PID/stat`'s text.
fn parse_stat(stat: &str) -> Option<(char, u64)> {
    // After the last ')' (the command name may hold anything): " S ppid ...", starttime is the
    // 20th field from there (field 22 of proc(5)).
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

/// The start time of `pid`, if it runs and is not a zombie.
pub fn start_time(pid: i32) -> Option<u64> {
    if pid <= 0 {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    match parse_stat(&stat)? {
        ('Z' | 'X', _) => None,
        (_, start) => Some(start),
    }
}

/// The start time of `pid`, zombie or not.
pub fn any_start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat).map(|(_, t)| t)
}

/// Opens `/proc/PID` of the process `pid` started at `start` (any process with that pid when
/// `start` is 0): fails with ESRCH unless that very process runs.
pub fn open_init(pid: i32, start: u64) -> io::Result<OwnedFd> {
    let gone = || io::Error::from_raw_os_error(libc::ESRCH);
    if pid <= 0 {
        return Err(gone());
    }
    let dir = nix::fcntl::open(
        format!("/proc/{pid}").as_str(),
        OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|_| gone())?;
    let stat = read_at(&dir, "stat").map_err(|_| gone())?;
    match parse_stat(&stat) {
        Some(('Z' | 'X', _)) | None => Err(gone()),
        Some((_, t)) if start != 0 && t != start => Err(gone()),
        Some(_) => Ok(dir),
    }
}

/// Reads a small file below an open directory.
pub fn read_at(dir: impl AsFd, name: &str) -> io::Result<String> {
    let fd = openat(dir, name, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
    io::read_to_string(std::fs::File::from(fd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_state_and_start_time_even_with_odd_names() {
        let stat = "4242 (a) b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 10";
        assert_eq!(parse_stat(stat), Some(('S', 98765)));
        assert_eq!(parse_stat("1 (x) Z 0"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn own_process_is_identified_and_a_wrong_start_time_is_refused() {
        let me = std::process::id() as i32;
        let t = start_time(me).expect("own start time");
        assert!(open_init(me, t).is_ok());
        assert!(open_init(me, 0).is_ok());
        assert_eq!(open_init(me, t + 1).unwrap_err().raw_os_error(), Some(libc::ESRCH));
        assert_eq!(open_init(-1, 0).unwrap_err().raw_os_error(), Some(libc::ESRCH));
    }

    #[test]
    fn a_dead_process_is_not_running() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        child.wait().unwrap();
        assert_eq!(start_time(pid), None);
        assert!(open_init(pid, 0).is_err());
    }

    #[test]
    fn a_zombie_is_not_running() {
        let child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(start_time(pid), None, "an exited, unreaped child is a zombie");
        assert!(open_init(pid, 0).is_err());
        drop(child);
    }
}
