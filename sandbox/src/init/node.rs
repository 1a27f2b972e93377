//! Process C: pid 1 of the sandbox. Configures its network, carries out the mount plan,
//! pivots into the node image, then stays as the node's init ([`super::engine`]): it reaps
//! orphans and starts dockerd on the first connection to the Docker socket.

use std::convert::Infallible;
use std::fs::{self, File};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{symlink, DirBuilderExt};
use std::path::Path;
use std::process::Command;

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::unistd::{chdir, pivot_root, sethostname};

use super::plan::{etc_files, lxcfs_plan, lxcfs_present, mount_plan, Op, LXCFS_DIR};
use super::InitSpec;
use crate::error::{At, InitError, Stage};

pub(super) fn stage_c(spec: &InitSpec, go: OwnedFd) -> Result<Infallible, InitError> {
    let mut byte = [0u8; 1];
    File::from(go)
        .read_exact(&mut byte)
        .map_err(|_| InitError::msg(Stage::Veth, "wait for the network", "the host gave up"))?;
    configure_network(spec)?;
    for op in mount_plan(spec) {
        apply(&op)?;
    }
    // lxcfs is a better view, not a requirement: a bind that fails leaves the kernel's file.
    let lxcfs = Path::new(LXCFS_DIR);
    for op in lxcfs_plan(&spec.dir.join("merged"), lxcfs, &lxcfs_present(lxcfs)) {
        let _ = apply(&op);
    }
    sethostname(&spec.hostname).at(Stage::Identity, "sethostname")?;
    for (path, text) in etc_files(spec) {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).at(Stage::Identity, format!("mkdir {}", dir.display()))?;
        }
        let _ = fs::remove_file(&path); // may be a symlink into the image (resolv.conf)
        fs::write(&path, text).at(Stage::Identity, format!("write {}", path.display()))?;
    }
    enter_root(&spec.dir.join("merged"))?;
    log_to_file()?;
    let listener = super::engine::listen()?;
    super::engine::close_inherited(&listener);
    super::engine::run(listener, spec.engine_idle_secs)
}

fn ip(args: &[&str]) -> Result<(), InitError> {
    let what = format!("ip {}", args.join(" "));
    let out = Command::new("ip").args(args).output().at(Stage::NodeNetwork, what.clone())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(InitError::msg(Stage::NodeNetwork, what, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

fn configure_network(spec: &InitSpec) -> Result<(), InitError> {
    let addr = format!("{}/{}", spec.net.ip, spec.net.prefix);
    let gw = spec.net.gateway.to_string();
    ip(&["link", "set", "lo", "up"])?;
    ip(&["addr", "add", &addr, "dev", "eth0"])?;
    ip(&["link", "set", "eth0", "up"])?;
    ip(&["route", "add", "default", "via", &gw])
}

fn apply(op: &Op) -> Result<(), InitError> {
    let what = |verb: &str, p: &Path| format!("{verb} {}", p.display());
    match op {
        Op::Mount { fstype, src, target, flags, data } => {
            let data = (!data.is_empty()).then_some(data.as_str());
            mount(Some(src.as_str()), target, Some(*fstype), *flags, data)
                .at(Stage::RootMounts, what(&format!("mount {fstype} on"), target))
        }
        Op::Bind { src, target } => mount(Some(src), target, None::<&str>, MsFlags::MS_BIND | MsFlags::MS_REC, None::<&str>)
            .at(Stage::RootMounts, what(&format!("bind {} on", src.display()), target)),
        Op::Mkdir { path, mode } => {
            fs::DirBuilder::new().recursive(true).mode(*mode).create(path).at(Stage::RootMounts, what("mkdir", path))
        }
        Op::Touch { path } => File::create(path).map(drop).at(Stage::RootMounts, what("create", path)),
        Op::Symlink { target, path } => symlink(target, path).at(Stage::RootMounts, what("symlink", path)),
    }
}

/// pivot_root(2) into the new root and drop every view of the host's filesystem.
fn enter_root(root: &Path) -> Result<(), InitError> {
    let old = root.join(".oldroot");
    fs::create_dir_all(&old).at(Stage::PivotRoot, "mkdir .oldroot")?;
    chdir(root).at(Stage::PivotRoot, "chdir into the new root")?;
    pivot_root(".", ".oldroot").at(Stage::PivotRoot, "pivot_root")?;
    chdir("/").at(Stage::PivotRoot, "chdir /")?;
    umount2("/.oldroot", MntFlags::MNT_DETACH).at(Stage::PivotRoot, "umount the old root")?;
    fs::remove_dir("/.oldroot").at(Stage::PivotRoot, "rmdir /.oldroot")
}

/// stdout/stderr of the init → /var/log/muelle-node.log.
fn log_to_file() -> Result<(), InitError> {
    let log = File::options().create(true).append(true).open("/var/log/muelle-node.log")
        .at(Stage::ExecInit, "open /var/log/muelle-node.log")?;
    for fd in [1, 2] {
        // SAFETY: dup2(2) onto stdout/stderr of a descriptor we own.
        unsafe { libc::dup2(log.as_raw_fd(), fd) };
    }
    Ok(())
}
