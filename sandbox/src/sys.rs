//! Thin wrappers over the syscalls nix does not cover: the new mount API (open_tree,
//! mount_setattr, move_mount) used for idmapped mounts, and closing stray descriptors.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

const OPEN_TREE_CLONE: libc::c_uint = 1;
const AT_RECURSIVE: libc::c_uint = 0x8000;
const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;

/// `struct mount_attr` of linux/mount.h (mount_setattr(2)).
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

fn cstr(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_encoded_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn check(r: libc::c_long) -> io::Result<libc::c_long> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Mounts `src` at `dst` with every uid/gid shifted through the user namespace `userns`
/// (open_tree(2) + mount_setattr(2) with MOUNT_ATTR_IDMAP + move_mount(2)). No file is copied or
/// chowned: each sandbox sees the one shared image as owned by its own root.
pub fn idmapped_bind(src: &Path, dst: &Path, userns: &OwnedFd) -> io::Result<()> {
    let (src, dst, empty) = (cstr(src)?, cstr(dst)?, CString::default());
    // SAFETY: open_tree(2) with a valid NUL-terminated path; the returned fd is owned below.
    let fd = check(unsafe {
        libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, src.as_ptr(),
            OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint | AT_RECURSIVE)
    })?;
    // SAFETY: fd was just returned by open_tree and is owned by nobody else.
    let tree = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
    let attr = MountAttr { attr_set: MOUNT_ATTR_IDMAP, attr_clr: 0, propagation: 0, userns_fd: userns.as_raw_fd() as u64 };
    // SAFETY: mount_setattr(2) reads `size` bytes of `attr`, which lives across the call.
    check(unsafe {
        libc::syscall(libc::SYS_mount_setattr, tree.as_raw_fd(), empty.as_ptr(),
            libc::AT_EMPTY_PATH as libc::c_uint | AT_RECURSIVE, &attr as *const MountAttr, std::mem::size_of::<MountAttr>())
    })?;
    // SAFETY: move_mount(2) attaches the detached tree at dst; both paths are valid C strings.
    check(unsafe {
        libc::syscall(libc::SYS_move_mount, tree.as_raw_fd(), empty.as_ptr(), libc::AT_FDCWD, dst.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH)
    })?;
    Ok(())
}

/// Closes every descriptor above stderr except `keep` (close_range(2) around the kept ones).
pub fn close_fds_except(keep: &[RawFd]) {
    let mut keep: Vec<RawFd> = keep.iter().copied().filter(|&fd| fd > 2).collect();
    keep.sort_unstable();
    let mut from: libc::c_uint = 3;
    for fd in keep {
        let fd = fd as libc::c_uint;
        if fd > from {
            // SAFETY: close_range(2) only closes descriptors; nothing here holds them.
            unsafe { libc::syscall(libc::SYS_close_range, from, fd - 1, 0) };
        }
        from = fd + 1;
    }
    // SAFETY: as above.
    unsafe { libc::syscall(libc::SYS_close_range, from, libc::c_uint::MAX, 0) };
}

/// A pidfd for the child `pid` (pidfd_open(2)): it turns readable once that process exits, so
/// its parent can wait for the exit in an event loop without polling or listening to SIGCHLD.
/// The caller must not have reaped `pid` yet (until then the pid cannot be reused).
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: pidfd_open(2) takes a pid and flags and returns a new descriptor, owned below.
    let fd = check(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0 as libc::c_uint) })?;
    // SAFETY: fd was just returned by pidfd_open and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

    #[test]
    fn a_pidfd_turns_readable_when_its_child_exits_and_not_before() {
        let mut child = std::process::Command::new("sleep").arg("0.3").spawn().unwrap();
        let fd = super::pidfd_open(child.id()).unwrap();
        let ready = |ms: u16| {
            let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
            poll(&mut fds, PollTimeout::from(ms)).unwrap()
        };
        assert_eq!(ready(50), 0, "readable while the child runs");
        assert_eq!(ready(5000), 1, "not readable after the child exited");
        assert!(child.try_wait().unwrap().is_some(), "readable, yet the child has not exited");
    }
}
