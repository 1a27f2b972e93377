//! The `muelle` binary's command line: generated help, errors, `MUELLE_*` variables and flags, and
//! README.md's table of variables, which must list every variable the code reads.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// `muelle ARGS` with only the given `MUELLE_*` variables (none of the caller's).
fn muelle(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_muelle"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("MUELLE_")) {
        cmd.env_remove(k);
    }
    cmd.current_dir(repo("")).args(args).envs(env.iter().copied()).output().expect("run muelle")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn every_command_has_generated_help() {
    for (args, expected) in [
        (&["--help"][..], &["serve", "images", "lessons", "MUELLE_LOG_FORMAT"][..]),
        (&["serve", "--help"], &["--bind <ADDR>", "MUELLE_BIND", "MUELLE_SANDBOX_INIT", "MUELLE_IMAGES_DIR", "[default: /var/lib/muelle]"]),
        (&["images", "--help"], &["build", "list", "registry"]),
        (&["images", "build", "--help"], &["--only <NAME>", "--no-node", "MUELLE_DATA_DIR", "MUELLE_REGISTRY_LISTEN", "MUELLE_IMAGES_DIR"]),
        (&["images", "list", "--help"], &["--catalog <FILE>", "--images <DIR>"]),
        (&["images", "registry", "--help"], &["--listen <ADDR>"]),
        (&["lessons", "--help"], &["lint", "test"]),
        (&["lessons", "lint", "--help"], &["[PATH]", "MUELLE_LESSONS_DIR", "--images <DIR>"]),
        (&["lessons", "test", "--help"], &["--verbose", "--step <N>", "--keep", "--lang <LANG>", "plays steps 1..N-1 silently"]),
    ] {
        let out = muelle(args, &[]);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        for e in expected {
            assert!(text(&out).contains(e), "{args:?} lacks {e:?}:\n{}", text(&out));
        }
    }
}

#[test]
fn unknown_commands_and_options_are_usage_errors() {
    for (args, expected) in [
        (&["frobnicate"][..], "unrecognized subcommand 'frobnicate'"),
        (&["serve", "--bogus"], "unexpected argument '--bogus'"),
        (&["images", "push"], "unrecognized subcommand 'push'"),
        (&["images", "list", "--only", "busybox"], "unexpected argument '--only'"),
        (&["images", "build", "--only"], "a value is required for '--only <NAME>'"),
        (&["--log-format", "xml"], "invalid value 'xml'"),
    ] {
        let out = muelle(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(expected) && text(&out).contains("try '--help'"), "{args:?}: {}", text(&out));
    }
}

#[test]
fn variables_and_flags_reach_the_configuration() {
    // A bad value is refused before anything starts, naming the variable, whether it came from
    // the environment (with or without `serve`) or from the flag.
    for (args, env) in [
        (&[][..], &[("MUELLE_MAX_NODES", "lots")][..]),
        (&["serve"], &[("MUELLE_MAX_NODES", "lots")]),
        (&["serve", "--max-nodes", "lots"], &[]),
        // The flag wins over a good variable.
        (&["serve", "--max-nodes", "lots"], &[("MUELLE_MAX_NODES", "9")]),
    ] {
        let out = muelle(args, env);
        assert_eq!(out.status.code(), Some(1), "{args:?} {env:?}: {}", text(&out));
        assert!(text(&out).contains("invalid MUELLE_MAX_NODES=\"lots\""), "{args:?} {env:?}: {}", text(&out));
    }
    // An empty variable is unset (its default applies), as scripts export `X=${X:-}`.
    let out = muelle(&["lessons", "lint"], &[("MUELLE_LESSONS_DIR", ""), ("MUELLE_LOG_FORMAT", ""), ("MUELLE_IMAGES_DIR", "")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = muelle(&["serve", "--max-nodes-per-session", "6"], &[]);
    assert!(text(&out).contains("MUELLE_MAX_NODES_PER_SESSION must be 1..=5"), "{}", text(&out));
    // `images list` shows where the node rootfs lives: under the data directory it was given.
    let tmp = tempfile::tempdir().unwrap();
    let from_env = tmp.path().join("from-env");
    let from_flag = tmp.path().join("from-flag");
    let listen = [("MUELLE_REGISTRY_LISTEN", "127.0.0.1:1")];
    let env = [("MUELLE_DATA_DIR", from_env.to_str().unwrap()), listen[0]];
    let out = muelle(&["images", "list"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains(&format!("{}/", from_env.display())), "{}", text(&out));
    assert!(text(&out).contains("registry not answering at http://127.0.0.1:1"), "{}", text(&out));
    let out = muelle(&["images", "list", "--data-dir", from_flag.to_str().unwrap()], &env);
    assert!(text(&out).contains(&format!("{}/", from_flag.display())) && !text(&out).contains("from-env"), "{}", text(&out));
}

#[test]
fn serve_logs_to_stderr_without_colour_when_not_a_terminal() {
    use std::io::{BufRead, Read};
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_muelle"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("MUELLE_") || k == "RUST_LOG") {
        cmd.env_remove(k);
    }
    // Bare `muelle` is `muelle serve`; the variables configure it.
    let mut child = cmd
        .current_dir(repo(""))
        .envs([("MUELLE_SANDBOX", "fake"), ("MUELLE_BIND", "127.0.0.1:0"), ("MUELLE_POOL_SIZE", "0")])
        .env("MUELLE_DATA_DIR", tmp.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut logs = String::new();
    while !logs.contains("listening") {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        logs.push_str(&line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert!(logs.contains("listening") && logs.contains("addr=127.0.0.1:"), "{logs}");
    // The instructor link, then the admin view's link with the same secret, on one line.
    let token_of = |page: &str| {
        let line = logs.lines().find(|l| l.contains(&format!("/{page}#token="))).unwrap_or_else(|| panic!("no /{page} link in {logs}"));
        line.rsplit("#token=").next().unwrap().trim().to_string()
    };
    let token = token_of("instructor");
    assert!(token.len() == 64 && token_of("admin") == token, "{logs}");
    assert!(logs.contains("Admin view") && logs.contains(&format!("/admin#token={token}")), "{logs}");
    assert!(!logs.contains('\u{1b}'), "colour codes in piped logs: {logs:?}");
    assert_eq!(stdout, "", "logs on stdout");
}

const BEGIN: &str = "<!-- muelle-variables: generated from backend/src/cli.rs, checked by backend/tests/cli.rs -->\n";
const END: &str = "<!-- muelle-variables: end -->";

/// The table README.md must hold between [`BEGIN`] and [`END`].
fn variables_table() -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;");
    let mut out = String::from("| variable | option | default | what it sets |\n|---|---|---|---|\n");
    for (var, places, help, default) in backend::cli::variables() {
        let default = if default.is_empty() { "–".to_string() } else { format!("`{default}`") };
        out.push_str(&format!("| `{var}` | {} | {default} | {} |\n", cell(&places), cell(&help)));
    }
    out
}

#[test]
fn the_readme_table_is_the_command_line() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let start = readme.find(BEGIN).expect("README.md has the variables marker") + BEGIN.len();
    let end = readme[start..].find(END).expect("README.md has the end marker") + start;
    let expected = variables_table();
    assert!(readme[start..end] == expected, "README.md's table is out of date; replace it with:\n{expected}");
}

/// Every `MUELLE_*` name in `text` (names cut at a `_` end are prefixes in messages, skipped).
fn names_in(text: &str, out: &mut std::collections::BTreeSet<String>) {
    let mut rest = text;
    while let Some(i) = rest.find("MUELLE_") {
        let tail = &rest[i..];
        let len = tail.find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')).unwrap_or(tail.len());
        let name = &tail[..len];
        if !name.ends_with('_') {
            out.insert(name.to_string());
        }
        rest = &tail[len..];
    }
}

fn scan(dir: &Path, out: &mut std::collections::BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() && !name.starts_with('.') && name != "target" && name != "node_modules" && name != "dist" {
            scan(&p, out);
        } else if ["rs", "sh", "mjs", "js", "toml", "yaml"].iter().any(|e| name.ends_with(&format!(".{e}"))) {
            names_in(&std::fs::read_to_string(&p).unwrap_or_default(), out);
        }
    }
}

#[test]
fn every_variable_the_code_reads_is_in_the_readme() {
    let mut used = std::collections::BTreeSet::new();
    for dir in ["backend", "sandbox", "protocol", "frontend/src", "tests", "scripts", "images"] {
        scan(&repo(dir), &mut used);
    }
    assert!(used.contains("MUELLE_BIND") && used.contains("MUELLE_NODE_SUITE"), "{used:?}");
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let section = &readme[readme.find("## Configuration").expect("README.md has a Configuration section")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let missing: Vec<&String> = used.iter().filter(|v| !section.contains(&format!("`{v}`"))).collect();
    assert!(missing.is_empty(), "variables read in the code but not in README.md's Configuration section: {missing:?}");
}
