//! Issue #7 point 1: the registry is read-only for nodes. A node that tags busybox as
//! `hello-world` cannot push it, raw writes to the front are refused, another session's
//! `docker run hello-world` still greets, and the registry itself listens on loopback only.

use std::time::Duration;

use e2e::Stack;
use serial_test::serial;

use crate::support::{create, delete, denied, exec, gateway_of, guard, ok};

const FRONT: &str = "10.99.0.1:5000";
const READ_ONLY: &str = "this classroom's registry is read-only for nodes";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn nodes_cannot_write_to_the_registry() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let a = create(&stack, "{}").await;
    let b = create(&stack, "{}").await;
    let _guards = (guard(&stack, &a), guard(&stack, &b));

    // The overwrite that was seen: busybox pushed as the class's hello-world.
    ok(&stack, &a, "docker pull -q busybox >/dev/null && docker tag busybox 10.99.0.1:5000/library/hello-world").await;
    let push = denied(
        &stack,
        &a,
        "docker push 10.99.0.1:5000/library/hello-world 2>&1",
        READ_ONLY,
    )
    .await;
    eprintln!("docker push: {}", push.stdout.trim());

    // Raw writes: every one refused with a registry error, whatever the path.
    for (method, path) in [
        ("DELETE", "/v2/library/hello-world/manifests/latest"),
        ("PUT", "/v2/library/hello-world/manifests/latest"),
        ("POST", "/v2/library/hello-world/blobs/uploads/"),
        ("PATCH", "/v2/library/hello-world/blobs/uploads/x"),
    ] {
        let cmd = format!("curl -sS -m 5 -X {method} -H 'Content-Type: application/json' -d '{{}}' -w ' HTTP%{{http_code}}' http://{FRONT}{path}");
        let out = ok(&stack, &a, &cmd).await;
        assert!(
            out.contains("HTTP403") && out.contains("DENIED") && out.contains(READ_ONLY),
            "{method} {path}: {out}"
        );
    }
    // Only /v2/ is served at all, and the registry's own port is not reachable from a node.
    let out = ok(
        &stack,
        &a,
        &format!("curl -sS -m 5 -w ' HTTP%{{http_code}}' http://{FRONT}/debug/vars"),
    )
    .await;
    assert!(out.contains("HTTP404"), "{out}");
    let gw = gateway_of(&a.session.nodes[0].ip);
    for target in [
        "10.99.0.1:5001".to_string(),
        format!("{gw}:5001"),
        format!("{gw}:5000"),
    ] {
        let out = exec(
            &stack,
            &a,
            &format!("curl -sS -m 3 -o /dev/null http://{target}/v2/"),
        )
        .await;
        assert_ne!(out.exit_code, 0, "a node reached {target}: {}", out.stdout);
    }
    // Reads still work, and a repository the class does not have says what it has.
    let out = ok(&stack, &a, &format!("curl -sS -m 5 -w ' HTTP%{{http_code}}' http://{FRONT}/v2/library/alpine/manifests/latest")).await;
    assert!(
        out.contains("HTTP404")
            && out.contains("alpine is not in this classroom's catalog; available:")
            && out.contains("busybox"),
        "{out}"
    );
    // What the student sees: the engine asks its mirror, then "Docker Hub", which is the front's
    // HTTPS door: the CLI prints the front's answer, not a DNS error.
    let pull = exec(&stack, &a, "docker pull alpine 2>&1").await;
    eprintln!("docker pull alpine → exit {}: {}", pull.exit_code, pull.stdout.trim());
    assert_ne!(pull.exit_code, 0);
    assert!(
        pull.stdout.contains("alpine is not in this classroom's catalog; available:") && pull.stdout.contains("busybox"),
        "{}",
        pull.stdout
    );
    let pull = exec(&stack, &a, "docker pull docker.io/library/busybox:latest 2>&1 && docker run --rm docker.io/busybox echo via-hub-name").await;
    assert!(pull.stdout.contains("via-hub-name"), "{}", pull.stdout);
    // The node trusts the classroom's CA for Docker Hub's name only, in dockerd's certs.d.
    let out = exec(&stack, &a, "curl -sS -m 5 https://registry-1.docker.io/v2/ 2>&1; echo rc=$?").await;
    assert!(out.stdout.contains("rc=60") || out.stdout.contains("certificate"), "curl must not trust the classroom CA system-wide: {}", out.stdout);

    // Another session still gets the real hello-world.
    let out = ok(&stack, &b, "docker run --rm hello-world").await;
    assert!(out.contains("Hello from Docker!"), "{out}");

    // On the host: the registry on loopback, the front on its one address, nothing on 0.0.0.0.
    let ss = String::from_utf8(
        std::process::Command::new("ss")
            .args(["-Hltn"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let locals: Vec<&str> = ss
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert!(
        locals.contains(&"127.0.0.1:5001"),
        "registry not on loopback: {locals:?}"
    );
    assert!(locals.contains(&FRONT), "front not listening: {locals:?}");
    for wild in [
        "0.0.0.0:5000",
        "0.0.0.0:5001",
        "*:5000",
        "*:5001",
        "[::]:5000",
        "[::]:5001",
    ] {
        assert!(!locals.contains(&wild), "{wild} listens: {locals:?}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    delete(&stack, &b).await;
    delete(&stack, &a).await;
}

