//! The operator's side of the `muelle` binary: one server per data directory, the config file
//! (`--config`, `muelle config check`), `muelle backup` / `muelle restore`.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn muelle() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_muelle"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("MUELLE_")) {
        cmd.env_remove(k);
    }
    cmd.env("RUST_LOG", "backend=info");
    cmd
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// `muelle serve` on the fake provider over `data`, on a free loopback port.
fn serve(data: &Path) -> Command {
    let mut cmd = muelle();
    cmd.args(["serve", "--sandbox", "fake", "--bind", "127.0.0.1:0", "--pool-size", "0"])
        .arg("--data-dir")
        .arg(data)
        .arg("--static-dir")
        .arg(data.join("dist"))
        .arg("--lessons-dir")
        .arg(data.join("lessons"))
        .arg("--config")
        .arg(data.join("none.toml"));
    std::fs::write(data.join("none.toml"), "").unwrap();
    cmd
}

/// Waits until `child` holds `data`'s lock (its pid is in the lock file) and serves.
fn wait_owner(child: &mut Child, data: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server exited: {status}");
        }
        let pid = std::fs::read_to_string(data.join("muelle.lock")).unwrap_or_default();
        if pid.trim() == child.id().to_string() {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not take the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_second_server_on_a_data_directory_refuses_at_once_naming_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let mut first = Killed(serve(data).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap());
    wait_owner(&mut first.0, data);

    let started = Instant::now();
    let out = serve(data).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(10), "not at once: {:?}", started.elapsed());
    let msg = text(&out);
    assert!(msg.contains(&format!("pid {}", first.0.id())), "{msg}");
    assert!(msg.contains("one server per data directory") && msg.contains(&data.display().to_string()), "{msg}");

    // Restoring under a live server is refused the same way.
    let out = muelle().arg("restore").arg(data.join("x.db")).arg("--data-dir").arg(data).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("restore needs the server stopped") && text(&out).contains(&format!("pid {}", first.0.id())), "{}", text(&out));

    // Once the owner is gone (even killed), the directory is free again.
    drop(first);
    let mut second = Killed(serve(data).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap());
    wait_owner(&mut second.0, data);
}

#[test]
fn config_check_reports_sources_and_refuses_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("muelle.toml");
    std::fs::write(&file, "max_nodes = 40\npool_size = 1\nallowed_hosts = [\"muelle.school.lan\", \"*.ports.school.lan\"]\njoin_code = \"secret-code\"\n").unwrap();
    let out = muelle().args(["config", "check", "--config"]).arg(&file).env("MUELLE_POOL_SIZE", "3").output().unwrap();
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    let line = |key: &str| report.lines().find(|l| l.split_whitespace().next() == Some(key)).unwrap_or_else(|| panic!("{key}: {report}")).to_string();
    assert!(line("max_nodes").contains("40") && line("max_nodes").ends_with("(file)"), "{report}");
    assert!(line("pool_size").contains(" 3 ") && line("pool_size").ends_with("(variable MUELLE_POOL_SIZE)"), "{report}");
    assert!(line("bind").contains("0.0.0.0:8080") && line("bind").ends_with("(default)"), "{report}");
    assert!(line("allowed_hosts").contains("muelle.school.lan,*.ports.school.lan"), "{report}");
    assert!(line("join_code").contains("(set)") && !report.contains("secret-code"), "{report}");
    assert!(line("tls_cert").ends_with("(unset)"), "{report}");
    assert!(report.contains(&file.display().to_string()) && report.contains("ok: the configuration is valid"), "{report}");

    // An unknown key: an error with the closest key; a bad value: the variable is named.
    std::fs::write(&file, "max_node = 40\n").unwrap();
    let out = muelle().args(["config", "check", "--config"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("unknown key `max_node` (did you mean `max_nodes`?)"), "{}", text(&out));
    std::fs::write(&file, "max_nodes = \"lots\"\n").unwrap();
    let out = muelle().args(["config", "check", "--config"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("invalid MUELLE_MAX_NODES=\"lots\""), "{}", text(&out));
    // `muelle serve` reads the file, and the flag wins over it (the file's bad value is not used).
    let out = muelle().args(["serve", "--config"]).arg(&file).output().unwrap();
    assert!(text(&out).contains("invalid MUELLE_MAX_NODES=\"lots\""), "{}", text(&out));
    let out = muelle().args(["serve", "--max-nodes-per-session", "6", "--max-nodes", "4", "--config"]).arg(&file).output().unwrap();
    assert!(text(&out).contains("MUELLE_MAX_NODES_PER_SESSION must be 1..=5"), "{}", text(&out));
    // A named file must exist (the default one may be missing).
    let out = muelle().args(["config", "check"]).env("MUELLE_CONFIG", dir.path().join("missing.toml")).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("missing.toml"), "{}", text(&out));
}

#[test]
fn backup_and_restore_keep_the_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let store = backend::store::Store::open(&a.join("muelle.db")).unwrap();
    let row = backend::store::SessionRow {
        id: "s1".into(),
        token_sha256: "ab".into(),
        created_at: 1,
        expires_at: i64::MAX / 2,
        lesson: Some("01-hello".into()),
        subnet: 9,
        net: Some("10.100.0.144/28".into()),
    };
    store.insert_session(&row, &[]).unwrap();
    // Backed up while the store is open (the server runs).
    let file = dir.path().join("backup.db");
    let out = muelle().arg("backup").arg(&file).arg("--data-dir").arg(&a).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = muelle().arg("backup").arg(&file).arg("--data-dir").arg(&a).output().unwrap();
    assert!(out.status.code() == Some(1) && text(&out).contains("exists"), "{}", text(&out));
    drop(store);

    let out = muelle().arg("restore").arg(&file).arg("--data-dir").arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let restored = backend::store::Store::open(&b.join("muelle.db")).unwrap().load_all().unwrap();
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0].0, row);

    // Not a muelle database: refused, the state untouched.
    let junk = dir.path().join("junk.db");
    rusqlite::Connection::open(&junk).unwrap().execute_batch("CREATE TABLE t (x);").unwrap();
    let out = muelle().arg("restore").arg(&junk).arg("--data-dir").arg(&b).output().unwrap();
    assert!(out.status.code() == Some(1) && text(&out).contains("is not a muelle backup"), "{}", text(&out));
    assert_eq!(backend::store::Store::open(&b.join("muelle.db")).unwrap().load_all().unwrap().len(), 1);
}

mod config_file {
    use backend::config_file::{parse, resolve, settings, FileValues, Source};
    use clap::CommandFactory;

    fn serve() -> clap::Command {
        backend::cli::Cli::command().find_subcommand("serve").unwrap().clone()
    }

    #[test]
    fn keys_are_the_flags_and_values_become_text() {
        let s = settings(&serve());
        let v = parse("bind = \"127.0.0.1:9\"\nmax_nodes = 40\nallowed_hosts = [\"a.lan\", \"*.b.lan\"]\n", &s).unwrap();
        assert_eq!(v.get("MUELLE_BIND").map(String::as_str), Some("127.0.0.1:9"));
        assert_eq!(v.get("MUELLE_MAX_NODES").map(String::as_str), Some("40"));
        assert_eq!(v.get("MUELLE_ALLOWED_HOSTS").map(String::as_str), Some("a.lan,*.b.lan"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let s = settings(&serve());
        let err = parse("max_node = 3\n", &s).unwrap_err().to_string();
        assert!(err.contains("unknown key `max_node`") && err.contains("did you mean `max_nodes`?"), "{err}");
        let err = parse("[nodes]\nmax = 3\n", &s).unwrap_err().to_string();
        assert!(err.contains("unknown key `nodes`"), "{err}");
        let err = parse("allowed_hosts = [1, 2]\n", &s).unwrap_err().to_string();
        assert!(err.contains("a list of strings"), "{err}");
        assert!(parse("bind = \n", &s).is_err());
    }

    #[test]
    fn flag_beats_variable_beats_file_beats_default() {
        let serve = serve();
        let values = [("MUELLE_MAX_NODES", "30"), ("MUELLE_POOL_SIZE", "4"), ("MUELLE_BIND", "127.0.0.1:1")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let file = FileValues::new(None, values);
        let m = serve.clone().try_get_matches_from(["serve", "--max-nodes", "9"]).unwrap();
        assert_eq!(resolve(&serve, &m, &file, "MUELLE_MAX_NODES"), (Some("9".into()), Source::Flag));
        // Only where the test's own environment leaves the variable unset.
        if std::env::var_os("MUELLE_POOL_SIZE").is_none() {
            assert_eq!(resolve(&serve, &m, &file, "MUELLE_POOL_SIZE"), (Some("4".into()), Source::File));
        }
        if std::env::var_os("MUELLE_SESSION_TTL_SECS").is_none() {
            assert_eq!(resolve(&serve, &m, &file, "MUELLE_SESSION_TTL_SECS"), (Some("3600".into()), Source::Default));
        }
        if std::env::var_os("MUELLE_JOIN_CODE").is_none() {
            assert_eq!(resolve(&serve, &m, &file, "MUELLE_JOIN_CODE"), (None, Source::Unset));
        }
    }
}
