//! The mount plan of a sandbox's root, as data: computed by a pure function (unit-tested without
//! root) and carried out by `node.rs` inside the new namespaces.

use std::path::{Path, PathBuf};

use nix::mount::MsFlags;

use super::InitSpec;
use crate::cgroup::HIERARCHIES;

/// One step of building the root filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// mount(2) of a filesystem.
    Mount { fstype: &'static str, src: String, target: PathBuf, flags: MsFlags, data: String },
    /// A bind mount of a host path.
    Bind { src: PathBuf, target: PathBuf },
    /// mkdir -p with a mode.
    Mkdir { path: PathBuf, mode: u32 },
    /// An empty regular file (a bind target).
    Touch { path: PathBuf },
    /// A symbolic link `path` → `target`.
    Symlink { target: String, path: PathBuf },
}

fn mount(fstype: &'static str, target: PathBuf, flags: MsFlags, data: &str) -> Op {
    Op::Mount { fstype, src: fstype.to_string(), target, flags, data: data.to_string() }
}

/// The device nodes every node gets (bound from the host's prepared copies).
pub(crate) const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty", "fuse", "net/tun"];

/// Every mount of the sandbox root, in order; `root` is where the overlay appears.
pub(crate) fn mount_plan(spec: &InitSpec) -> Vec<Op> {
    let d = &spec.dir;
    let root = d.join("merged");
    let r = |p: &str| root.join(p);
    let nosuid = MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    let overlay = format!(
        "lowerdir={},upperdir={},workdir={},userxattr",
        d.join("lower").display(), spec.storage.join("upper").display(), spec.storage.join("work").display()
    );
    let mut ops = vec![
        Op::Mount { fstype: "overlay", src: "overlay".into(), target: root.clone(), flags: MsFlags::empty(), data: overlay },
        // overlay2 cannot sit on overlayfs: dockerd's storage is a plain directory of the host disk.
        Op::Mkdir { path: r("var/lib/docker"), mode: 0o711 },
        Op::Bind { src: spec.storage.join("docker"), target: r("var/lib/docker") },
        mount("proc", r("proc"), nosuid | MsFlags::MS_NOEXEC, ""),
        mount("sysfs", r("sys"), nosuid | MsFlags::MS_NOEXEC, ""),
        Op::Mount { fstype: "tmpfs", src: "cgroup_root".into(), target: r("sys/fs/cgroup"), flags: nosuid, data: "mode=755,size=1m".into() },
    ];
    for h in HIERARCHIES {
        let target = r(&format!("sys/fs/cgroup/{h}"));
        ops.push(Op::Mkdir { path: target.clone(), mode: 0o755 });
        ops.push(match *h {
            "unified" => mount("cgroup2", target, nosuid | MsFlags::MS_NOEXEC, ""),
            "systemd" => Op::Mount { fstype: "cgroup", src: "cgroup".into(), target, flags: nosuid | MsFlags::MS_NOEXEC, data: "none,name=systemd".into() },
            ctrl => Op::Mount { fstype: "cgroup", src: "cgroup".into(), target, flags: nosuid | MsFlags::MS_NOEXEC, data: ctrl.into() },
        });
    }
    ops.extend(dev_plan(&root, &spec.devnodes));
    ops.push(Op::Mount { fstype: "tmpfs", src: "tmpfs".into(), target: r("run"), flags: nosuid, data: "mode=755,size=64m".into() });
    ops.push(Op::Mount { fstype: "tmpfs", src: "tmpfs".into(), target: r("tmp"), flags: nosuid, data: "mode=1777,size=512m".into() });
    ops
}

/// Where the host's lxcfs (Debian's `lxcfs` package, started by scripts/setup.sh) shows each
/// reader its own cgroup's view of /proc.
pub(crate) const LXCFS_DIR: &str = "/var/lib/lxcfs";

/// The /proc files lxcfs computes per cgroup: `free`, `top` and `uptime` in a node then show the
/// node's memory limit, its CPU quota, its load and its own uptime instead of the host's.
pub(crate) const LXCFS_PROC: &[&str] = &["meminfo", "cpuinfo", "stat", "uptime", "loadavg", "diskstats", "swaps"];

/// Binds of the lxcfs files in `present` (those `lxcfs_dir/proc` has) over the node's fresh
/// /proc; applied after [`mount_plan`]. Nothing when lxcfs does not run.
pub(crate) fn lxcfs_plan(root: &Path, lxcfs_dir: &Path, present: &[&str]) -> Vec<Op> {
    LXCFS_PROC
        .iter()
        .filter(|f| present.contains(f))
        .map(|f| Op::Bind { src: lxcfs_dir.join("proc").join(f), target: root.join("proc").join(f) })
        .collect()
}

/// Which of [`LXCFS_PROC`] the host's lxcfs serves now. Each is read once: a mount whose lxcfs
/// died answers ENOTCONN, and binding that would break `free` instead of improving it.
pub(crate) fn lxcfs_present(lxcfs_dir: &Path) -> Vec<&'static str> {
    LXCFS_PROC
        .iter()
        .copied()
        .filter(|f| std::fs::read(lxcfs_dir.join("proc").join(f)).is_ok_and(|b| !b.is_empty()))
        .collect()
}

fn dev_plan(root: &Path, devnodes: &Path) -> Vec<Op> {
    let dev = root.join("dev");
    let mut ops = vec![Op::Mount {
        fstype: "tmpfs", src: "tmpfs".into(), target: dev.clone(), flags: MsFlags::MS_NOSUID, data: "mode=755,size=64k".into(),
    }];
    ops.push(Op::Mkdir { path: dev.join("net"), mode: 0o755 });
    for name in DEVICES {
        // A user namespace may not mknod: bind the host's prepared nodes instead.
        ops.push(Op::Touch { path: dev.join(name) });
        ops.push(Op::Bind { src: devnodes.join(name), target: dev.join(name) });
    }
    for (dir, mode) in [("pts", 0o755), ("shm", 0o1777), ("mqueue", 0o1777)] {
        ops.push(Op::Mkdir { path: dev.join(dir), mode });
    }
    ops.push(Op::Mount { fstype: "devpts", src: "devpts".into(), target: dev.join("pts"), flags: MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620,gid=5".into() });
    ops.push(Op::Mount { fstype: "tmpfs", src: "shm".into(), target: dev.join("shm"), flags: MsFlags::MS_NOSUID | MsFlags::MS_NODEV, data: "mode=1777,size=64m".into() });
    ops.push(Op::Mount { fstype: "mqueue", src: "mqueue".into(), target: dev.join("mqueue"), flags: MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC, data: String::new() });
    for (target, name) in [("pts/ptmx", "ptmx"), ("/proc/self/fd", "fd"), ("/proc/self/fd/0", "stdin"), ("/proc/self/fd/1", "stdout"), ("/proc/self/fd/2", "stderr")] {
        ops.push(Op::Symlink { target: target.into(), path: dev.join(name) });
    }
    ops
}

/// Shown once per terminal by the image's .bashrc.
const MOTD: &str = "
  {node}: a Linux sandbox with its own Docker engine, for this session only.
  Try: docker run hello-world  |  docker images  |  docker ps -a
  Images come from the classroom registry: busybox, debian, nginx, httpd, mariadb, postgres,
  redis, python, node, jupyter, hello-world.
  Swarm: this kernel has no IPVS, so use `docker service create --endpoint-mode dnsrr`
  and `--publish mode=host` (virtual IPs and the routing mesh do not work).

";

/// The Spanish welcome, printed instead of [`MOTD`] when the terminal was opened from a Spanish
/// UI (the backend picks it).
const MOTD_ES: &str = "
  {node}: un sandbox Linux con su propio motor Docker, solo para esta sesión.
  Prueba: docker run hello-world  |  docker images  |  docker ps -a
  Las imágenes vienen del registro de la clase: busybox, debian, nginx, httpd, mariadb, postgres,
  redis, python, node, jupyter, hello-world.
  Swarm: este kernel no tiene IPVS; usa `docker service create --endpoint-mode dnsrr`
  y `--publish mode=host` (las IP virtuales y la malla de enrutado no funcionan).

";

/// /etc files written into the sandbox's own layer: identity, DNS, the engine's config.
pub(crate) fn etc_files(spec: &InitSpec) -> Vec<(PathBuf, String)> {
    let etc = spec.dir.join("merged/etc");
    let daemon = serde_json::json!({
        "storage-driver": "overlay2",
        "registry-mirrors": [format!("http://{}", spec.registry)],
        "insecure-registries": [spec.registry],
        "mtu": spec.net.mtu,
        "log-opts": {"max-size": "10m", "max-file": "2"},
    });
    vec![
        (etc.join("hostname"), format!("{}\n", spec.hostname)),
        (etc.join("hosts"), format!("127.0.0.1\tlocalhost\n::1\tlocalhost\n{}\t{}\n{}", spec.net.ip, spec.hostname, crate::host::hub_alias(&spec.registry))),
        (etc.join("resolv.conf"), format!("nameserver {}\n", spec.dns)),
        (etc.join("docker/daemon.json"), format!("{daemon:#}\n")),
        (etc.join("motd"), MOTD.replace("{node}", &spec.hostname)),
        (etc.join("motd.es"), MOTD_ES.replace("{node}", &spec.hostname)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    pub(crate) fn spec() -> InitSpec {
        InitSpec {
            name: "ab-1".into(),
            hostname: "node1".into(),
            dir: "/d/ab-1".into(),
            rootfs: "/img".into(),
            uid_base: 1_000_000,
            cgroup_dirs: vec![],
            net: crate::spec::NetSpec { bridge: "mb-1".into(), ip: Ipv4Addr::new(10, 100, 1, 11), prefix: 24, gateway: Ipv4Addr::new(10, 100, 1, 1), mtu: 1400 },
            veth: "vh-ab-1".into(),
            dns: "10.0.0.53".into(),
            registry: "10.100.1.1:5000".into(),
            devnodes: "/d/.dev".into(),
            storage: "/d/ab-1/disk".into(),
            engine_idle_secs: 0,
        }
    }

    #[test]
    fn overlay_comes_first_and_uses_userxattr() {
        let ops = mount_plan(&spec());
        match &ops[0] {
            Op::Mount { fstype: "overlay", target, data, .. } => {
                assert_eq!(target, Path::new("/d/ab-1/merged"));
                assert_eq!(data, "lowerdir=/d/ab-1/lower,upperdir=/d/ab-1/disk/upper,workdir=/d/ab-1/disk/work,userxattr");
            }
            other => panic!("first op is {other:?}"),
        }
    }

    #[test]
    fn docker_storage_is_a_bind_not_overlay() {
        let ops = mount_plan(&spec());
        assert!(ops.contains(&Op::Bind { src: "/d/ab-1/disk/docker".into(), target: "/d/ab-1/merged/var/lib/docker".into() }));
    }

    #[test]
    fn every_cgroup_hierarchy_is_mounted_after_the_tmpfs() {
        let ops = mount_plan(&spec());
        let tmpfs = ops.iter().position(|o| matches!(o, Op::Mount { src, .. } if src == "cgroup_root")).unwrap();
        for h in HIERARCHIES {
            let t = PathBuf::from(format!("/d/ab-1/merged/sys/fs/cgroup/{h}"));
            let i = ops.iter().position(|o| matches!(o, Op::Mount { target, .. } if *target == t)).unwrap();
            assert!(i > tmpfs, "{h} mounted before its tmpfs");
        }
        assert!(ops.iter().any(|o| matches!(o, Op::Mount { fstype: "cgroup", data, .. } if data == "devices")));
    }

    #[test]
    fn devices_are_bound_not_created() {
        let ops = mount_plan(&spec());
        for d in DEVICES {
            let target = PathBuf::from(format!("/d/ab-1/merged/dev/{d}"));
            assert!(ops.contains(&Op::Bind { src: PathBuf::from("/d/.dev").join(d), target }));
        }
        assert!(ops.iter().any(|o| matches!(o, Op::Mount { fstype: "devpts", data, .. } if data.contains("newinstance"))));
    }

    #[test]
    fn lxcfs_files_are_bound_over_the_fresh_proc_when_present() {
        let ops = lxcfs_plan(Path::new("/d/ab-1/merged"), Path::new("/var/lib/lxcfs"), &["meminfo", "stat", "bogus"]);
        assert_eq!(
            ops,
            vec![
                Op::Bind { src: "/var/lib/lxcfs/proc/meminfo".into(), target: "/d/ab-1/merged/proc/meminfo".into() },
                Op::Bind { src: "/var/lib/lxcfs/proc/stat".into(), target: "/d/ab-1/merged/proc/stat".into() },
            ]
        );
        assert!(lxcfs_plan(Path::new("/r"), Path::new("/l"), &[]).is_empty());
        // No lxcfs at that path: nothing is bound.
        let empty = tempfile::tempdir().unwrap();
        assert!(lxcfs_present(empty.path()).is_empty());
        let fake = tempfile::tempdir().unwrap();
        std::fs::create_dir(fake.path().join("proc")).unwrap();
        std::fs::write(fake.path().join("proc/meminfo"), "MemTotal: 1 kB\n").unwrap();
        std::fs::write(fake.path().join("proc/stat"), "").unwrap();
        assert_eq!(lxcfs_present(fake.path()), ["meminfo"]);
    }

    #[test]
    fn daemon_json_points_at_the_mirror() {
        let files = etc_files(&spec());
        let (_, daemon) = files.iter().find(|(p, _)| p.ends_with("daemon.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(daemon).unwrap();
        assert_eq!(v["registry-mirrors"][0], "http://10.100.1.1:5000");
        assert_eq!(v["insecure-registries"][0], "10.100.1.1:5000");
        assert_eq!(v["mtu"], 1400);
        let (_, motd) = files.iter().find(|(p, _)| p.ends_with("motd")).unwrap();
        assert!(motd.contains("node1:") && motd.contains("dnsrr"));
        let (_, es) = files.iter().find(|(p, _)| p.ends_with("motd.es")).unwrap();
        assert!(es.contains("  node1: un sandbox Linux con su propio motor") && es.contains("Prueba:"));
        let (_, hosts) = files.iter().find(|(p, _)| p.ends_with("hosts")).unwrap();
        assert!(hosts.contains("10.100.1.11\tnode1"));
    }
}
