//! Disk limits: a sandbox with a disk limit gets its own sparse ext4 image, loop-mounted, that
//! holds its writable root and its /var/lib/docker. A full sandbox gets ENOSPC; the host disk and
//! other sandboxes are untouched. (This kernel has no CONFIG_QUOTA, so project quotas on one
//! shared filesystem are not available.)
//!
//! The host mounts the image only until the sandbox's mount namespace holds its own copy; then
//! it detaches its copy, and the loop device (autoclear) goes away when the sandbox does.

use std::io;
use std::path::Path;
use std::process::Command;

fn run(prog: &str, args: &[&str]) -> io::Result<()> {
    let out = Command::new(prog).args(args).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("{prog} {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim())))
    }
}

/// Creates a sparse ext4 image of `bytes` at `image` and mounts it at `dir` (host namespace).
/// Takes host space only as the sandbox writes; `discard` gives freed blocks back.
pub fn create_and_mount(image: &Path, dir: &Path, bytes: u64) -> io::Result<()> {
    // 0600: the image holds the node's whole writable root; no other host user reads it.
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(image)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.set_len(bytes)?;
    let img = image.to_string_lossy();
    run("mkfs.ext4", &["-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard", &img])?;
    std::fs::create_dir_all(dir)?;
    run("mount", &["-t", "ext4", "-o", "loop,discard,noatime", &img, &dir.to_string_lossy()])
}

/// Whether `dir` is a mount point in the caller's mount namespace.
pub fn is_mount_point(dir: &Path) -> bool {
    let want = dir.to_string_lossy();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(&*want))
}

/// Detaches the host's mount of a sandbox disk, if there still is one.
pub fn detach(dir: &Path) {
    if is_mount_point(dir) {
        let _ = nix::mount::umount2(dir, nix::mount::MntFlags::MNT_DETACH);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn root_is_a_mount_point_and_a_plain_dir_is_not() {
        assert!(super::is_mount_point(std::path::Path::new("/")));
        let t = tempfile::tempdir().unwrap();
        assert!(!super::is_mount_point(t.path()));
    }
}
