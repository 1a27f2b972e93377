//! Golden tests of the image config and manifest JSON, and digest computation on a small tar.

use std::io::Read;

use flate2::read::GzDecoder;

use super::*;
use crate::images::catalog::Description;

/// A one-file ustar archive (`hello.txt` = "hi\n", mtime 0, root-owned), built byte by byte so the
/// test does not depend on a tar implementation.
pub(crate) fn tiny_tar() -> Vec<u8> {
    let mut header = [0u8; 512];
    let mut put = |off: usize, s: &[u8]| header[off..off + s.len()].copy_from_slice(s);
    put(0, b"hello.txt");
    put(100, b"0000644\0");
    put(108, b"0000000\0");
    put(116, b"0000000\0");
    put(124, b"00000000003\0");
    put(136, b"00000000000\0");
    put(156, b"0");
    put(257, b"ustar\0");
    put(263, b"00");
    put(148, b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = header.to_vec();
    let mut data = [0u8; 512];
    data[..3].copy_from_slice(b"hi\n");
    tar.extend_from_slice(&data);
    tar.extend_from_slice(&[0u8; 1024]);
    tar
}

fn spec() -> ImageSpec {
    ImageSpec {
        name: "nginx".into(),
        tags: vec!["latest".into()],
        description: Description {
            es: "servidor".into(),
            en: "server".into(),
        },
        recipe: "recipes/nginx.sh".into(),
        cmd: vec!["nginx".into(), "-g".into(), "daemon off;".into()],
        env: vec!["LANG=C.UTF-8".into()],
        workdir: Some("/srv".into()),
        expose: vec![80, 443],
        volumes: vec![],
        stop_signal: None,
        entrypoint: None,
    }
}

#[test]
fn sha256_digest_of_known_inputs() {
    assert_eq!(
        sha256_digest(b""),
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        sha256_digest(b"abc"),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn layer_digests_of_a_small_tar() {
    let tar = tiny_tar();
    assert_eq!(tar.len(), 2048);
    let layer = Layer::from_reader(tar.as_slice()).unwrap();
    // Golden value: `sha256sum` of the same 2048 bytes written by `tiny_tar`.
    assert_eq!(
        layer.diff_id,
        "sha256:7ee8c163fc91d515c42e8970b79ec13897e94ab4182532dc2d4325312f24bf54"
    );
    assert_eq!(layer.digest, sha256_digest(&layer.blob));
    assert_ne!(layer.digest, layer.diff_id);
    let mut unpacked = Vec::new();
    GzDecoder::new(layer.blob.as_slice())
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, tar);
}

#[test]
fn config_json_golden() {
    let json = config_json(
        &spec(),
        "sha256:abc",
        "2025-05-20T00:00:00Z",
        "recipes/nginx.sh",
    );
    let expected = concat!(
        r#"{"architecture":"amd64","os":"linux","created":"2025-05-20T00:00:00Z","#,
        r#""config":{"Cmd":["nginx","-g","daemon off;"],"#,
        r#""Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"],"#,
        r#""WorkingDir":"/srv","ExposedPorts":{"443/tcp":{},"80/tcp":{}}},"#,
        r#""rootfs":{"type":"layers","diff_ids":["sha256:abc"]},"#,
        r#""history":[{"created":"2025-05-20T00:00:00Z","created_by":"recipes/nginx.sh","#,
        r#""comment":"built by muelle from Debian packages"}]}"#
    );
    assert_eq!(String::from_utf8(json).unwrap(), expected);
}

#[test]
fn config_json_keeps_an_explicit_path_and_omits_empty_fields() {
    let mut s = spec();
    s.env = vec!["PATH=/opt/bin".into()];
    s.workdir = None;
    s.expose.clear();
    let json: serde_json::Value =
        serde_json::from_slice(&config_json(&s, "sha256:1", "t", "r")).unwrap();
    assert_eq!(json["config"]["Env"], serde_json::json!(["PATH=/opt/bin"]));
    assert!(json["config"].get("WorkingDir").is_none());
    assert!(json["config"].get("ExposedPorts").is_none());
}

#[test]
fn config_json_carries_entrypoint_volumes_and_stop_signal() {
    let mut s = spec();
    s.entrypoint = Some(vec!["docker-entrypoint.sh".into()]);
    s.cmd = vec!["postgres".into()];
    s.volumes = vec!["/var/lib/postgresql/data".into()];
    s.stop_signal = Some("SIGINT".into());
    s.expose = vec![5432];
    s.workdir = None;
    let json = String::from_utf8(config_json(&s, "sha256:1", "t", "r")).unwrap();
    // Docker's field names and order: Entrypoint before Cmd, Volumes and StopSignal last.
    let config = concat!(
        r#""config":{"Entrypoint":["docker-entrypoint.sh"],"Cmd":["postgres"],"#,
        r#""Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"],"#,
        r#""ExposedPorts":{"5432/tcp":{}},"Volumes":{"/var/lib/postgresql/data":{}},"#,
        r#""StopSignal":"SIGINT"}"#
    );
    assert!(json.contains(config), "{json}");
    assert!(!config_json(&spec(), "sha256:1", "t", "r")
        .windows(10)
        .any(|w| w == b"Entrypoint"));
}

#[test]
fn manifest_json_golden() {
    let layer = Layer {
        blob: vec![1, 2, 3, 4, 5],
        digest: "sha256:layer".into(),
        diff_id: "x".into(),
    };
    let config = b"{}";
    let expected = concat!(
        r#"{"schemaVersion":2,"#,
        r#""mediaType":"application/vnd.docker.distribution.manifest.v2+json","#,
        r#""config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"#,
        r#""digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"#,
        r#""layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","#,
        r#""size":5,"digest":"sha256:layer"}]}"#
    );
    assert_eq!(
        String::from_utf8(manifest_json(config, &layer)).unwrap(),
        expected
    );
}

#[test]
fn mtime_is_rfc3339_utc() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.tar");
    std::fs::write(&path, b"x").unwrap();
    let t = mtime_rfc3339(&path).unwrap();
    assert!(t.ends_with('Z') && t.len() == 20, "{t}");
    assert!(mtime_rfc3339(&dir.path().join("missing")).is_err());
}
