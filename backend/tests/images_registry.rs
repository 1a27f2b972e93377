//! Integration test: a real `docker-registry` (Debian package) on a free 127.0.0.1 port in a temp
//! dir; a small busybox-like tarball built here is pushed as a one-layer image, then its manifest
//! and blobs are read back and every digest is checked.

use std::io::Read;
use std::path::Path;
use std::process::Command;

use backend::images::catalog::{Description, ImageSpec};
use backend::images::image::sha256_digest;
use backend::images::publish::{is_pushed, push};
use backend::images::{ensure_registry, RegistryClient};
use flate2::read::GzDecoder;

/// Kills the registry when the test ends, pass or fail (it is not killed on drop by design).
struct KillOnDrop(tokio::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.0.start_kill().ok();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A busybox-like rootfs tarball: the host's static busybox with a few applet links.
fn busybox_like_tar(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("root");
    for sub in ["bin", "etc", "tmp"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).is_file());
    match busybox {
        Some(path) => std::fs::copy(path, root.join("bin/busybox"))
            .map(drop)
            .unwrap(),
        None => std::fs::write(root.join("bin/busybox"), "#!/bin/sh\necho busybox\n").unwrap(),
    }
    for applet in ["sh", "ls", "echo"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    let tar = dir.join("testbox-latest.tar");
    let status = Command::new("tar")
        .args(["--numeric-owner", "-C"])
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .expect("tar runs");
    assert!(status.success(), "tar failed");
    tar
}

fn spec() -> ImageSpec {
    ImageSpec {
        name: "testbox".into(),
        tags: vec!["latest".into(), "1.0".into()],
        description: Description {
            es: "prueba".into(),
            en: "test".into(),
        },
        recipe: "recipes/testbox.sh".into(),
        cmd: vec!["sh".into()],
        env: vec![],
        workdir: Some("/tmp".into()),
        expose: vec![8080],
        entrypoint: Some(vec!["/entrypoint.sh".into()]),
        volumes: vec!["/data".into()],
        stop_signal: Some("SIGINT".into()),
    }
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_then_read_back_from_a_real_registry() {
    assert!(
        Command::new("docker-registry")
            .arg("--version")
            .output()
            .is_ok(),
        "docker-registry is required (apt-get install docker-registry)"
    );
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let child = ensure_registry(&backend::config::registry_bin(), dir.path(), &listen)
        .await
        .expect("registry starts");
    let _registry = KillOnDrop(child.expect("nothing was listening on the free port"));
    assert!(
        ensure_registry(&backend::config::registry_bin(), dir.path(), &listen)
            .await
            .unwrap()
            .is_none(),
        "second call reuses it"
    );
    assert!(dir.path().join("registry/config.yml").is_file());

    let client = RegistryClient::new(&format!("http://{listen}"));
    let tar = busybox_like_tar(dir.path());
    let image = spec();
    assert!(!is_pushed(&client, &image, &tar).await.unwrap());
    let report = push(&client, &image, &tar).await.expect("push succeeds");
    assert_eq!(report.uploaded_blobs, 2, "layer and config are new");
    assert!(is_pushed(&client, &image, &tar).await.unwrap());

    let repo = "library/testbox";
    let manifest = client.get_manifest(repo, "latest").await.unwrap();
    assert_eq!(sha256_digest(&manifest), report.manifest_digest);
    assert_eq!(
        client.get_manifest(repo, "1.0").await.unwrap(),
        manifest,
        "both tags, one manifest"
    );
    assert_eq!(
        client
            .manifest_digest(repo, "1.0")
            .await
            .unwrap()
            .as_deref(),
        Some(report.manifest_digest.as_str())
    );
    assert_eq!(client.manifest_digest(repo, "missing").await.unwrap(), None);

    let manifest = json(&manifest);
    assert_eq!(manifest["schemaVersion"], 2);
    let config_digest = manifest["config"]["digest"].as_str().unwrap();
    let layer_digest = manifest["layers"][0]["digest"].as_str().unwrap();
    let config = client.get_blob(repo, config_digest).await.unwrap();
    let layer = client.get_blob(repo, layer_digest).await.unwrap();
    assert_eq!(sha256_digest(&config), config_digest);
    assert_eq!(sha256_digest(&layer), layer_digest);
    assert_eq!(manifest["layers"][0]["size"], layer.len() as u64);
    assert_eq!(report.layer_size, layer.len() as u64);

    let mut plain = Vec::new();
    GzDecoder::new(layer.as_slice())
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(
        plain,
        std::fs::read(&tar).unwrap(),
        "the layer is the gzipped tarball"
    );
    let config = json(&config);
    assert_eq!(config["rootfs"]["diff_ids"][0], sha256_digest(&plain));
    assert_eq!(config["config"]["Cmd"], serde_json::json!(["sh"]));
    assert_eq!(config["config"]["WorkingDir"], "/tmp");
    assert!(config["config"]["ExposedPorts"]["8080/tcp"].is_object());
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/entrypoint.sh"])
    );
    assert!(config["config"]["Volumes"]["/data"].is_object());
    assert_eq!(config["config"]["StopSignal"], "SIGINT");
    assert_eq!(
        (config["architecture"].as_str(), config["os"].as_str()),
        (Some("amd64"), Some("linux"))
    );

    // A second push of the same image finds both blobs in place and uploads nothing.
    let again = push(&client, &image, &tar).await.unwrap();
    assert_eq!(again.uploaded_blobs, 0);
    assert_eq!(
        again.manifest_digest, report.manifest_digest,
        "same tarball, same digest"
    );
}

/// `MUELLE_UPSTREAM_REGISTRY`: a second local registry plays the upstream. Through the front,
/// catalog images come from the class's registry, anything else from the pull-through cache of
/// the upstream; offline (no cache) the same request gets the catalog hint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_pulls_what_the_catalog_lacks_through_the_upstream_cache() {
    use backend::images::front::{spawn, Front};
    use backend::images::registry_service::ensure_cache;
    let bin = backend::config::registry_bin();
    let dir = tempfile::tempdir().unwrap();
    let (up, local, cache) = (
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
    );
    let _up = KillOnDrop(ensure_registry(&bin, &dir.path().join("up"), &up).await.unwrap().unwrap());
    let _local = KillOnDrop(ensure_registry(&bin, &dir.path().join("local"), &local).await.unwrap().unwrap());
    let tar = busybox_like_tar(dir.path());
    // The upstream has `testbox`; the class's registry has `catalogbox` (same layer).
    let upstream = push(&RegistryClient::new(&format!("http://{up}")), &spec(), &tar).await.unwrap();
    let catalog = ImageSpec { name: "catalogbox".into(), ..spec() };
    push(&RegistryClient::new(&format!("http://{local}")), &catalog, &tar).await.unwrap();
    let remote = format!("http://{up}");
    let _cache = KillOnDrop(ensure_cache(&bin, &dir.path().join("c"), &cache, &remote).await.unwrap().unwrap());
    assert!(ensure_cache(&bin, &dir.path().join("c"), &cache, &remote).await.unwrap().is_none(), "reused");
    assert!(std::fs::read_to_string(dir.path().join("c/registry-cache/config.yml")).unwrap().contains(&remote));

    let front_at = |cache: Option<&str>| {
        let addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let front = Front {
            upstream: local.parse().unwrap(),
            own: "127.0.0.1".parse().unwrap(),
            nodes: (std::net::Ipv4Addr::new(10, 100, 0, 0), 16),
            cache: cache.map(|c| c.parse().unwrap()),
        };
        (spawn(addr, front).unwrap(), RegistryClient::new(&format!("http://{addr}")))
    };
    let (online_task, online) = front_at(Some(&cache));
    let manifest = online.get_manifest("library/testbox", "latest").await.expect("from the upstream's cache");
    assert_eq!(sha256_digest(&manifest), upstream.manifest_digest);
    let layer = json(&manifest)["layers"][0]["digest"].as_str().unwrap().to_string();
    assert_eq!(sha256_digest(&online.get_blob("library/testbox", &layer).await.unwrap()), layer);
    assert!(online.get_manifest("library/catalogbox", "latest").await.is_ok(), "the catalog still comes from the class's registry");
    assert!(online.get_manifest("library/nowhere", "latest").await.is_err());
    // The cache kept what it fetched.
    let cached = std::fs::read_dir(dir.path().join("c/registry-cache/data")).unwrap().count();
    assert!(cached > 0, "the cache stored nothing");

    let (offline_task, offline) = front_at(None);
    let err = format!("{:#}", offline.get_manifest("library/testbox", "latest").await.unwrap_err());
    assert!(err.contains("testbox is not in this classroom's catalog; available: catalogbox"), "{err}");
    online_task.abort();
    offline_task.abort();
}
