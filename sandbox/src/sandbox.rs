//! A running sandbox, seen from the host: spawn, enter, readiness, destroy.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};


use crate::cgroup::SandboxCgroup;
use crate::error::{Error, InitError, Stage};
use crate::host::HostConfig;
use crate::init::{InitResult, InitSpec};
use crate::net;
use crate::spec::SandboxSpec;

mod destroy;

/// A running sandbox. Cheap to clone; owns nothing that `Drop` would release: the backend decides
/// when a sandbox ends (it outlives a backend restart) and calls [`Sandbox::destroy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    /// The spec's name.
    pub name: String,
    /// Host pid of the sandbox's init (tini).
    pub pid: i32,
    /// The init's start time (see [`crate::ident`]); 0 when unknown (a handle stored before
    /// start times were), in which case only the cgroup check of [`Sandbox::is_alive`] applies.
    pub start_time: u64,
    /// First host uid of the sandbox's id range.
    pub uid_base: u32,
    dir: PathBuf,
    cgroup: SandboxCgroup,
    veth: String,
    init_bin: PathBuf,
}

impl Sandbox {
    /// Creates the sandbox and starts its Docker engine; returns as soon as its init runs
    /// (see [`Sandbox::wait_ready`]). On failure nothing of it is left behind.
    pub fn spawn(spec: &SandboxSpec, host: &HostConfig) -> Result<Sandbox, Error> {
        spec.validate().map_err(|message| Error::Setup { name: spec.name.clone(), message })?;
        let mut sb = Sandbox::attach(&spec.name, 0, spec.uid_base, host);
        sb.veth = spec.veth();
        let result = sb.prepare_dirs(spec.uid_base, spec.disk_bytes).and_then(|()| {
            sb.cgroup.create(&spec.limits, spec.uid_base)?;
            sb.run_init(spec, host)
        });
        match result {
            Ok(pid) => {
                sb.pid = pid;
                sb.start_time = crate::ident::start_time(pid).unwrap_or(u64::MAX);
                Ok(sb)
            }
            Err(e) => {
                let _ = sb.destroy();
                Err(e)
            }
        }
    }

    /// The handle of a sandbox created earlier (by this or a previous backend process).
    pub fn attach(name: &str, pid: i32, uid_base: u32, host: &HostConfig) -> Sandbox {
        Sandbox {
            name: name.into(),
            pid,
            start_time: 0,
            uid_base,
            dir: host.state_dir.join(name),
            cgroup: SandboxCgroup::new(&host.cgroup_root, &host.cgroup_parent, name),
            veth: format!("vh-{name}"),
            init_bin: host.init_bin.clone(),
        }
    }

    /// The same handle, naming the init by its start time too (see [`crate::ident`]).
    pub fn with_start_time(mut self, start_time: u64) -> Sandbox {
        self.start_time = start_time;
        self
    }

    /// `PID@START` (or `PID` when the start time is unknown), as `sandbox-init enter` takes it.
    fn init_id(&self) -> String {
        match self.start_time {
            0 => self.pid.to_string(),
            t => format!("{}@{t}", self.pid),
        }
    }

    /// Where upper/, work/ and docker/ live: the sandbox's own disk image when it has a limit.
    fn storage(&self) -> PathBuf {
        self.dir.join("disk")
    }

    fn prepare_dirs(&self, owner: u32, disk_bytes: u64) -> Result<(), Error> {
        if self.dir.exists() {
            return Err(Error::Setup { name: self.name.clone(), message: format!("{} already exists", self.dir.display()) });
        }
        let storage = self.storage();
        fs::create_dir_all(&storage).map_err(|e| Error::io("mkdir", &storage, e))?;
        if disk_bytes > 0 {
            let image = self.dir.join("disk.img");
            crate::disk::create_and_mount(&image, &storage, disk_bytes).map_err(|e| Error::io("disk image", &image, e))?;
        }
        let id = Some(nix::unistd::Uid::from_raw(owner));
        let gid = Some(nix::unistd::Gid::from_raw(owner));
        for (base, sub) in [(&storage, "upper"), (&storage, "work"), (&storage, "docker"), (&self.dir, "merged"), (&self.dir, "lower")] {
            let p = base.join(sub);
            fs::create_dir_all(&p).map_err(|e| Error::io("mkdir", &p, e))?;
            if sub != "lower" {
                nix::unistd::chown(&p, id, gid).map_err(|e| Error::io("chown", &p, e.into()))?;
            }
        }
        for p in [&self.dir, &storage] {
            // The sandbox's root (host uid `owner`) must traverse to upper/ and work/.
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(p, fs::Permissions::from_mode(0o711)).map_err(|e| Error::io("chmod", p, e))?;
        }
        Ok(())
    }
    fn run_init(&self, spec: &SandboxSpec, host: &HostConfig) -> Result<i32, Error> {
        let init = InitSpec {
            name: spec.name.clone(),
            hostname: spec.hostname.clone(),
            dir: self.dir.clone(),
            rootfs: host.rootfs.clone(),
            uid_base: spec.uid_base,
            cgroup_dirs: self.cgroup.dirs(),
            net: spec.net.clone(),
            veth: spec.veth(),
            dns: host.dns.clone(),
            registry: host.registry(),
            devnodes: host.devnodes(),
            storage: self.storage(),
            engine_idle_secs: host.engine_idle_secs,
        };
        let exec = |op: &'static str, e: std::io::Error| Error::io(op, &self.init_bin, e);
        let mut child = Command::new(&self.init_bin)
            .arg("create")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| exec("exec", e))?;
        let json = serde_json::to_vec(&init).map_err(|e| exec("send the spec to", e.into()))?;
        child.stdin.take().expect("piped").write_all(&json).map_err(|e| exec("send the spec to", e))?;
        let mut out = String::new();
        child.stdout.take().expect("piped").read_to_string(&mut out).map_err(|e| exec("read the answer of", e))?;
        let mut err = String::new();
        let _ = child.stderr.take().expect("piped").read_to_string(&mut err);
        let _ = child.wait();
        let init_error = |source: InitError| Error::Init { name: spec.name.clone(), source };
        match serde_json::from_str::<InitResult>(out.trim()) {
            Ok(InitResult::Started { pid }) => Ok(pid),
            Ok(InitResult::Failed { error }) => Err(init_error(error.into())),
            Err(_) => Err(init_error(InitError::msg(
                Stage::Handshake,
                "read the answer of sandbox-init",
                format!("it said {:?} {:?}", out.trim(), err.trim()),
            ))),
        }
    }

    /// A command that runs `argv` inside the sandbox as its root, in /root, with a login-like
    /// environment plus `env` (`K=V`). The caller sets stdio.
    pub fn command(&self, argv: &[String], env: &[String]) -> Command {
        let mut cmd = Command::new(&self.init_bin);
        cmd.arg("enter").arg(self.init_id());
        for kv in env {
            cmd.arg("-e").arg(kv);
        }
        cmd.args(self.cgroup.dirs()).arg("--").args(argv);
        cmd.env_clear();
        cmd
    }

    /// Gives a running sandbox (typically a warm one from a pool) a new identity: its veth moves
    /// to `net.bridge`, eth0 gets `net.ip`, and the hostname and /etc files change. dockerd keeps
    /// running: its registry address does not depend on the bridge.
    pub fn reassign(&self, hostname: &str, net: &crate::spec::NetSpec) -> Result<(), Error> {
        let fail = |message: String| Error::Setup { name: self.name.clone(), message };
        net::pin_source(&self.veth, &net.ip.to_string())?;
        net::move_veth(&self.veth, &net.bridge)?;
        let script = format!(
            "set -e; hostname {h}; echo {h} > /etc/hostname; \
             printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n{ip}\t{h}\n' > /etc/hosts; \
             sed -i 's/^  [a-z0-9-]*: a Linux sandbox/  {h}: a Linux sandbox/' /etc/motd; \
             [ ! -f /etc/motd.es ] || sed -i 's/^  [a-z0-9-]*: un sandbox Linux/  {h}: un sandbox Linux/' /etc/motd.es; \
             ip addr flush dev eth0; ip addr add {ip}/{p} dev eth0; ip route replace default via {gw}",
            h = hostname, ip = net.ip, p = net.prefix, gw = net.gateway
        );
        let out = self
            .command(&["/bin/sh".into(), "-c".into(), script], &[])
            .output()
            .map_err(|e| fail(format!("enter: {e}")))?;
        if !out.status.success() {
            return Err(fail(format!("reassign: {}", String::from_utf8_lossy(&out.stderr).trim())));
        }
        Ok(())
    }

    /// Opens the sandbox's own `/dev/pts/ptmx`, for terminals that have a name inside (see
    /// [`crate::pty::spawn_with_pty_at`]). Node root controls every path in its root, so the
    /// path is resolved inside that root and no symlink is followed ([`crate::pty::open_ptmx_in`]);
    /// the root is the checked init's ([`crate::ident::open_init`]).
    pub fn open_ptmx(&self) -> std::io::Result<std::os::fd::OwnedFd> {
        let proc_dir = crate::ident::open_init(self.pid, self.start_time)?;
        let root = nix::fcntl::openat(
            &proc_dir,
            "root",
            nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )?;
        crate::pty::open_ptmx_in(&root)
    }

    /// Waits until the node's init listens on the Docker socket (reached from the host through
    /// /proc/PID/root; it appears only once it listens). dockerd itself starts on the first
    /// connection ([`Sandbox::wait_engine`] makes one), so a node that never uses Docker never
    /// runs it. Fails with the tail of the node's log.
    pub fn wait_ready(&self, timeout: Duration) -> Result<(), Error> {
        use std::os::unix::fs::FileTypeExt;
        let start = Instant::now();
        let sock = format!("/proc/{}/root/run/docker.sock", self.pid);
        while start.elapsed() < timeout {
            if !self.is_alive() {
                break;
            }
            if std::fs::symlink_metadata(&sock).is_ok_and(|m| m.file_type().is_socket()) {
                return Ok(());
            }
            sleep(Duration::from_millis(5));
        }
        Err(Error::NotReady { name: self.name.clone(), secs: timeout.as_secs(), log: self.log_tail() })
    }

    /// Waits until dockerd answers `GET /_ping` on its socket, starting it if it was not running.
    pub fn wait_engine(&self, timeout: Duration) -> Result<(), Error> {
        let start = Instant::now();
        let sock = format!("/proc/{}/root/run/docker.sock", self.pid);
        while start.elapsed() < timeout {
            if !self.is_alive() {
                break;
            }
            if ping(&sock) {
                return Ok(());
            }
            sleep(Duration::from_millis(20));
        }
        Err(Error::NotReady { name: self.name.clone(), secs: timeout.as_secs(), log: self.log_tail() })
    }

    fn log_tail(&self) -> String {
        let mut s = String::new();
        for f in ["disk/upper/var/log/muelle-node.log", "disk/upper/var/log/dockerd.log"] {
            let text = fs::read_to_string(self.dir.join(f)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().rev().take(8).collect();
            s.extend(lines.into_iter().rev().map(|l| format!("{l}\n")));
        }
        s
    }

    /// Whether the sandbox's init still runs (and is really this sandbox's, not a reused pid:
    /// same start time, in the sandbox's cgroup).
    pub fn is_alive(&self) -> bool {
        let Ok(dir) = crate::ident::open_init(self.pid, self.start_time) else { return false };
        let cg = crate::ident::read_at(&dir, "cgroup").unwrap_or_default();
        cg.lines().any(|l| l.ends_with(&format!("/{}", self.name)))
    }

    /// Host disk the sandbox takes now, in bytes (the allocated blocks of its disk image).
    pub fn disk_usage(&self) -> Option<u64> {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(self.dir.join("disk.img")).ok().map(|m| m.blocks() * 512)
    }

    /// Memory the sandbox uses now, in bytes.
    pub fn memory_usage(&self) -> Option<u64> {
        self.cgroup.memory_usage()
    }

    /// The sandbox's directory on the host.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The sandbox's cgroup directories.
    pub fn cgroup_dirs(&self) -> Vec<PathBuf> {
        self.cgroup.dirs()
    }
}

/// One `GET /_ping` on dockerd's socket.
fn ping(sock: &str) -> bool {
    let Ok(mut s) = UnixStream::connect(sock) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 256];
    matches!(s.read(&mut buf), Ok(n) if n > 12 && buf[..n].starts_with(b"HTTP/1.0 200") || buf[..n.min(256)].windows(3).any(|w| w == b"200"))
}
