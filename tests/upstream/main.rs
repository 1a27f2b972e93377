//! Issue 10 point 6 on a real node: with `MUELLE_UPSTREAM_REGISTRY` set, a node pulls and runs an
//! image that only the upstream has, through the class's registry front and its pull-through
//! cache, while catalog images still come from the catalog. A second local registry on loopback
//! plays Docker Hub.
//!
//! Its own test binary: the registry front is started once per process, with the first stack's
//! configuration, so a stack with an upstream needs a process of its own.

use backend::images::publish::push;
use backend::images::{ensure_registry, Catalog, RegistryClient};
use e2e::Stack;

#[path = "../e2e/support.rs"]
#[allow(dead_code)]
mod support;
use support::{create, exec, guard};

/// Kills the upstream registry when the test ends, pass or fail.
struct KillOnDrop(tokio::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.start_kill().ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_pulls_an_upstream_only_image_through_the_cache() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let catalog = Catalog::load(root.join("images/catalog.yaml")).unwrap();
    let data_dir = e2e::data_dir();
    let busybox_tar = data_dir.join("images/tar/busybox-latest.tar");
    assert!(busybox_tar.is_file(), "{} is missing: build the images first (scripts/setup.sh)", busybox_tar.display());

    // The "upstream": a registry of its own on a free loopback port, holding `upbox`, which is
    // not in the classroom's catalog.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let up = format!("127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("muelle-upstream-{}", std::process::id()));
    let bin = backend::config::registry_bin();
    let _up = KillOnDrop(ensure_registry(&bin, &dir, &up).await.unwrap().expect("a new upstream registry"));
    let upbox = backend::images::catalog::ImageSpec { name: "upbox".into(), ..catalog.get("busybox").unwrap().clone() };
    assert!(catalog.get("upbox").is_none());
    push(&RegistryClient::new(&format!("http://{up}")), &upbox, &busybox_tar).await.unwrap();

    let remote = format!("http://{up}");
    let stack = Stack::start(|c| c.upstream_registry = Some(remote)).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _guard = guard(&stack, &s);
    let run = |cmd: &'static str| {
        let (stack, s) = (&stack, &s);
        async move {
            let r = exec(stack, s, cmd).await;
            format!("{}{}", r.stdout, r.stderr)
        }
    };

    // Not in the catalog, so it comes from the upstream through the cache…
    let out = run("docker pull upbox 2>&1 && docker run --rm upbox echo from-upstream").await;
    assert!(out.contains("from-upstream"), "{out}");
    // …while a catalog image still comes from the catalog, and an unknown one from nowhere.
    let out = run("docker run --rm busybox echo from-catalog").await;
    assert!(out.contains("from-catalog"), "{out}");
    let out = run("docker pull nowhere-image 2>&1; true").await;
    assert!(out.contains("not found") || out.contains("unknown"), "{out}");
    // The cache kept what it fetched, in the data directory beside the class's registry.
    let cached = std::fs::read_dir(data_dir.join("registry-cache/data")).map(|d| d.count()).unwrap_or(0);
    assert!(cached > 0, "the pull-through cache stored nothing");
    let _ = std::fs::remove_dir_all(&dir);
    // The cache outlives a server (like the class's registry); this one's upstream is gone.
    let _ = std::process::Command::new("pkill").args(["-f", "registry-cache/config.yml"]).status();
}
