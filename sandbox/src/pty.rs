//! Pseudo-terminals for interactive shells: spawn a command with a PTY as its controlling terminal.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use nix::pty::{openpty, Winsize};

nix::ioctl_write_ptr_bad!(set_winsize, libc::TIOCSWINSZ, Winsize);

fn winsize(cols: u16, rows: u16) -> Winsize {
    Winsize { ws_row: rows.max(1), ws_col: cols.max(1), ws_xpixel: 0, ws_ypixel: 0 }
}

/// Spawns `cmd` in a new session whose controlling terminal is a fresh PTY of `cols`×`rows`.
/// Returns the PTY master (non-blocking, close-on-exec) and the child.
pub fn spawn_with_pty(cmd: Command, cols: u16, rows: u16) -> io::Result<(OwnedFd, Child)> {
    let pty = openpty(Some(&winsize(cols, rows)), None).map_err(io::Error::from)?;
    spawn_on(cmd, pty.master, pty.slave)
}

/// Major and minor of every devpts instance's `ptmx` (devices.txt: 5:2).
const PTMX_DEV: (u64, u64) = (5, 2);

/// Opens `dev/pts/ptmx` below `root` (a sandbox's root directory, which its root user controls):
/// resolved as if `root` were `/`, following no symlink and no magic link, so a node cannot
/// point it at a host file; and only a devpts `ptmx` device is accepted.
pub fn open_ptmx_in(root: &OwnedFd) -> io::Result<OwnedFd> {
    use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};
    let how = OpenHow::new().flags(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC).resolve(
        ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_SYMLINKS | ResolveFlag::RESOLVE_NO_MAGICLINKS,
    );
    let master = openat2(root, "dev/pts/ptmx", how)
        .map_err(|e| io::Error::new(io::Error::from(e).kind(), format!("the node's /dev/pts/ptmx: {e}")))?;
    check_ptmx(&master)?;
    Ok(master)
}

/// Whether an open file is a devpts `ptmx` (a character device 5:2 on a devpts filesystem).
fn check_ptmx(fd: &OwnedFd) -> io::Result<()> {
    let st = nix::sys::stat::fstat(fd).map_err(io::Error::from)?;
    let fs = nix::sys::statfs::fstatfs(fd).map_err(io::Error::from)?;
    let is_chr = st.st_mode & libc::S_IFMT == libc::S_IFCHR;
    let dev = (libc::major(st.st_rdev) as u64, libc::minor(st.st_rdev) as u64);
    if is_chr && dev == PTMX_DEV && fs.filesystem_type() == nix::sys::statfs::DEVPTS_SUPER_MAGIC {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::InvalidData, "the node's /dev/pts/ptmx is not a devpts ptmx"))
    }
}

/// Like [`spawn_with_pty`], but the PTY comes from the devpts instance whose `ptmx` is given
/// (a sandbox's own, opened by [`open_ptmx_in`]), so that inside the sandbox the terminal has a
/// name (`tty` prints `/dev/pts/N`); the slave is handed to `owner` (the sandbox's root).
pub fn spawn_with_pty_at(cmd: Command, master: OwnedFd, owner: u32, cols: u16, rows: u16) -> io::Result<(OwnedFd, Child)> {
    check_ptmx(&master)?;
    let unlock: libc::c_int = 0;
    // SAFETY: TIOCSPTLCK reads one int; TIOCGPTPEER returns a new descriptor we take ownership of
    // (ioctl_tty(2), "open the peer without a path lookup", as runc's console handling does).
    let slave = unsafe {
        if libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &unlock) < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = libc::ioctl(master.as_raw_fd(), libc::TIOCGPTPEER, libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        OwnedFd::from_raw_fd(fd)
    };
    // gid 5 is the tty group inside, as devpts' gid=5 option expects.
    nix::unistd::fchown(&slave, Some(nix::unistd::Uid::from_raw(owner)), Some(nix::unistd::Gid::from_raw(owner + 5)))
        .map_err(io::Error::from)?;
    resize(&master, cols, rows)?;
    spawn_on(cmd, master, slave)
}

fn spawn_on(mut cmd: Command, master: OwnedFd, slave: OwnedFd) -> io::Result<(OwnedFd, Child)> {
    cmd.stdin(Stdio::from(slave.try_clone()?))
        .stdout(Stdio::from(slave.try_clone()?))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls (setsid, ioctl) between fork and exec (setsid(2),
    // ioctl_tty(2)); stdin is the PTY slave by then, so TIOCSCTTY makes it the controlling tty.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    set_nonblocking_cloexec(&master)?;
    Ok((master, child))
}

fn set_nonblocking_cloexec(fd: &OwnedFd) -> io::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
    let fl = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL).map_err(io::Error::from)?);
    fcntl(fd, FcntlArg::F_SETFL(fl | OFlag::O_NONBLOCK)).map_err(io::Error::from)?;
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(io::Error::from)?;
    Ok(())
}

/// Tells the terminal (and so the program in it, by SIGWINCH) its new size.
pub fn resize(master: &OwnedFd, cols: u16, rows: u16) -> io::Result<()> {
    let ws = winsize(cols, rows);
    // SAFETY: TIOCSWINSZ reads one `struct winsize` from the pointer, which outlives the call.
    unsafe { set_winsize(master.as_raw_fd(), &ws) }.map_err(io::Error::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn read_until(master: &OwnedFd, needle: &str) -> String {
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            match nix::unistd::read(master, &mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(nix::errno::Errno::EAGAIN) => std::thread::sleep(Duration::from_millis(10)),
                Err(_) => break,
            }
            if String::from_utf8_lossy(&out).contains(needle) {
                break;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn shell_on_pty_sees_a_tty_and_its_size() {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "tty >/dev/null && echo IS-TTY; stty size; read x; echo got-$x"]);
        let (master, mut child) = spawn_with_pty(cmd, 100, 30).unwrap();
        let out = read_until(&master, "30 100");
        assert!(out.contains("IS-TTY"), "{out}");
        assert!(out.contains("30 100"), "{out}");
        nix::unistd::write(&master, b"hello\n").unwrap();
        let out = read_until(&master, "got-hello");
        assert!(out.contains("got-hello"), "{out}");
        assert!(child.wait().unwrap().success());
    }

    #[test]
    fn ptmx_is_opened_inside_the_root_without_following_symlinks() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("dev/pts")).unwrap();
        let secret = root.path().join("secret");
        std::fs::write(&secret, "host only").unwrap();
        let open_root = |p: &std::path::Path| -> OwnedFd {
            nix::fcntl::open(p, nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY, nix::sys::stat::Mode::empty())
                .unwrap()
        };
        // A symlink to an absolute host path: refused, whatever it points at.
        std::os::unix::fs::symlink("/dev/ptmx", root.path().join("dev/pts/ptmx")).unwrap();
        let e = open_ptmx_in(&open_root(root.path())).unwrap_err();
        assert!(e.to_string().contains("ptmx"), "{e}");
        // A regular file there is opened but is not a ptmx.
        std::fs::remove_file(root.path().join("dev/pts/ptmx")).unwrap();
        std::fs::copy(&secret, root.path().join("dev/pts/ptmx")).unwrap();
        let e = open_ptmx_in(&open_root(root.path())).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
        // The host's own devpts, reached as a root of its own: accepted.
        if nix::unistd::getuid().is_root() {
            assert!(open_ptmx_in(&open_root(std::path::Path::new("/"))).is_ok());
        }
    }

    #[test]
    fn resize_reaches_the_program() {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "read x; stty size"]);
        let (master, mut child) = spawn_with_pty(cmd, 80, 24).unwrap();
        resize(&master, 132, 43).unwrap();
        nix::unistd::write(&master, b"\n").unwrap();
        let out = read_until(&master, "43 132");
        assert!(out.contains("43 132"), "{out}");
        child.wait().unwrap();
    }
}
