//! Process C: pid 1 of the sandbox. Configures its network, carries out the mount plan,
//! pivots into the node image and execs tini, which keeps dockerd running.

use std::convert::Infallible;
use std::ffi::CString;
use std::fs::{self, File};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{symlink, DirBuilderExt};
use std::path::Path;
use std::process::Command;

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::unistd::{chdir, execve, pivot_root, sethostname};

use super::plan::{etc_files, mount_plan, Op};
use super::InitSpec;

/// The node's pid 1 command line: tini reaps zombies and restarts nothing itself, so a loop keeps
/// dockerd up if a student kills it.
const INIT: &[&str] = &[
    "/usr/bin/tini", "-s", "-g", "--", "/bin/sh", "-c",
    "while :; do dockerd >>/var/log/dockerd.log 2>&1; echo \"dockerd exited: $?\" >>/var/log/dockerd.log; sleep 1; done",
];

pub(super) fn stage_c(spec: &InitSpec, go: OwnedFd) -> Result<Infallible, String> {
    let mut byte = [0u8; 1];
    File::from(go).read_exact(&mut byte).map_err(|_| "host gave up before the network was ready".to_string())?;
    configure_network(spec)?;
    for op in mount_plan(spec) {
        apply(&op)?;
    }
    sethostname(&spec.hostname).map_err(|e| format!("sethostname: {e}"))?;
    for (path, text) in etc_files(spec) {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        }
        let _ = fs::remove_file(&path); // may be a symlink into the image (resolv.conf)
        fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
    }
    enter_root(&spec.dir.join("merged"))?;
    exec_init()
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

fn configure_network(spec: &InitSpec) -> Result<(), String> {
    let addr = format!("{}/{}", spec.net.ip, spec.net.prefix);
    let gw = spec.net.gateway.to_string();
    ip(&["link", "set", "lo", "up"])?;
    ip(&["addr", "add", &addr, "dev", "eth0"])?;
    ip(&["link", "set", "eth0", "up"])?;
    ip(&["route", "add", "default", "via", &gw])
}

fn apply(op: &Op) -> Result<(), String> {
    let fail = |what: &str, p: &Path, e: &dyn std::fmt::Display| format!("{what} {}: {e}", p.display());
    match op {
        Op::Mount { fstype, src, target, flags, data } => {
            let data = (!data.is_empty()).then_some(data.as_str());
            mount(Some(src.as_str()), target, Some(*fstype), *flags, data).map_err(|e| fail(&format!("mount {fstype}"), target, &e))
        }
        Op::Bind { src, target } => mount(Some(src), target, None::<&str>, MsFlags::MS_BIND | MsFlags::MS_REC, None::<&str>)
            .map_err(|e| fail(&format!("bind {} on", src.display()), target, &e)),
        Op::Mkdir { path, mode } => {
            fs::DirBuilder::new().recursive(true).mode(*mode).create(path).map_err(|e| fail("mkdir", path, &e))
        }
        Op::Touch { path } => File::create(path).map(drop).map_err(|e| fail("create", path, &e)),
        Op::Symlink { target, path } => symlink(target, path).map_err(|e| fail("symlink", path, &e)),
    }
}

/// pivot_root(2) into the new root and drop every view of the host's filesystem.
fn enter_root(root: &Path) -> Result<(), String> {
    let old = root.join(".oldroot");
    fs::create_dir_all(&old).map_err(|e| format!("mkdir .oldroot: {e}"))?;
    chdir(root).map_err(|e| format!("chdir new root: {e}"))?;
    pivot_root(".", ".oldroot").map_err(|e| format!("pivot_root: {e}"))?;
    chdir("/").map_err(|e| format!("chdir /: {e}"))?;
    umount2("/.oldroot", MntFlags::MNT_DETACH).map_err(|e| format!("umount old root: {e}"))?;
    fs::remove_dir("/.oldroot").map_err(|e| format!("rmdir /.oldroot: {e}"))
}

fn exec_init() -> Result<Infallible, String> {
    let log = File::options().create(true).append(true).open("/var/log/muelle-node.log")
        .map_err(|e| format!("open node log: {e}"))?;
    for fd in [1, 2] {
        // SAFETY: dup2(2) onto stdout/stderr of a descriptor we own.
        unsafe { libc::dup2(log.as_raw_fd(), fd) };
    }
    let argv: Vec<CString> = INIT.iter().map(|s| CString::new(*s).expect("no NUL")).collect();
    let env: Vec<CString> = [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=/root",
        "LANG=C.UTF-8",
    ]
    .iter()
    .map(|s| CString::new(*s).expect("no NUL"))
    .collect();
    execve(&argv[0], &argv, &env).map_err(|e| format!("exec tini: {e}"))
}
