//! Running lesson scripts in a node through the provider: check and solve scripts, replayed run
//! blocks, and file blocks written byte for byte. Shared by the HTTP step API and `lessons test`.

use std::sync::Arc;
use std::time::Duration;

use protocol::{ActionResponse, ExecResponse};

use crate::lessons::model::{Action, Block};
use crate::lessons::store::Script;
use crate::provider::{NodeHandle, SandboxProvider};

/// Time limit of a check without `timeout=`.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(20);
/// Time limit of a solve without `timeout=`, and of each replayed block (pulls take a while).
pub const SOLVE_TIMEOUT: Duration = Duration::from_secs(300);
/// Most output an [`ActionResponse`] carries.
pub const OUTPUT_LIMIT: usize = 64 * 1024;
pub use crate::lessons::values::MAX_FILE_BYTES;

/// Writes `$2` to the path `$1`, creating its directory. The text is an argument, never part of
/// the script, so quotes, `$` and newlines reach the file unchanged.
const WRITE_SCRIPT: &str = r#"mkdir -p -- "$(dirname -- "$1")" && printf '%s' "$2" > "$1""#;

/// The limit of a script: its `timeout=`, else `default`.
pub fn limit_of(script: &Script, default: Duration) -> Duration {
    script.timeout_secs.map_or(default, |s| Duration::from_secs(s.into()))
}

/// Runs `code` with `/bin/sh -c` in the node.
pub async fn run_sh(
    provider: &Arc<dyn SandboxProvider>,
    node: &NodeHandle,
    code: &str,
    limit: Duration,
) -> anyhow::Result<ExecResponse> {
    let argv = ["/bin/sh".to_string(), "-c".to_string(), code.to_string()];
    crate::exec::run(provider.command(node, &argv), limit).await
}

/// Writes `content` to the absolute `path` in the node (mkdir -p of its directory).
pub async fn write_file(
    provider: &Arc<dyn SandboxProvider>,
    node: &NodeHandle,
    path: &str,
    content: &str,
) -> anyhow::Result<ExecResponse> {
    anyhow::ensure!(
        content.len() <= MAX_FILE_BYTES,
        "file block of {} bytes is larger than {MAX_FILE_BYTES}",
        content.len()
    );
    let argv = [
        "/bin/sh".to_string(),
        "-c".to_string(),
        WRITE_SCRIPT.to_string(),
        "muelle-write".to_string(),
        path.to_string(),
        content.to_string(),
    ];
    crate::exec::run(provider.command(node, &argv), SOLVE_TIMEOUT).await
}

/// Runs one run block (its code) or file block (a write) in `node`.
pub async fn replay_block(
    provider: &Arc<dyn SandboxProvider>,
    node: &NodeHandle,
    block: &Block,
) -> anyhow::Result<ExecResponse> {
    match (block.action, &block.path) {
        (Action::File, Some(path)) => write_file(provider, node, path, &block.code).await,
        _ => run_sh(provider, node, &block.code, SOLVE_TIMEOUT).await,
    }
}

/// The combined output of several commands, and whether all of them succeeded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Transcript {
    failed: bool,
    output: String,
}

impl Transcript {
    /// Records one command's result under a `$ label` line; returns whether it succeeded.
    pub fn record(&mut self, label: &str, r: &ExecResponse) -> bool {
        let ok = r.exit_code == 0 && !r.timed_out;
        self.output.push_str(&format!("$ {}\n", label.trim_end()));
        self.output.push_str(&r.stdout);
        self.output.push_str(&r.stderr);
        if r.timed_out {
            self.output.push_str("(timed out)\n");
        } else if r.exit_code != 0 {
            self.output.push_str(&format!("(exit status {})\n", r.exit_code));
        }
        self.failed |= !ok;
        ok
    }

    /// Records a command whose failure is allowed (the step's check decides); returns whether it
    /// succeeded.
    pub fn record_allowed(&mut self, label: &str, r: &ExecResponse) -> bool {
        let failed_before = self.failed;
        let ok = self.record(label, r);
        self.failed = failed_before;
        ok
    }

    /// Records a failure that produced no command output (a node that is not running…).
    pub fn fail(&mut self, message: &str) {
        self.output.push_str(message);
        self.output.push('\n');
        self.failed = true;
    }

    /// Whether every recorded command succeeded.
    pub fn ok(&self) -> bool {
        !self.failed
    }

    /// The output so far.
    pub fn output(&self) -> &str {
        &self.output
    }

    /// The response, `ok` only if nothing failed and `extra_ok` holds; output cut at
    /// [`OUTPUT_LIMIT`] (keeping its end, where errors are).
    pub fn into_response(self, extra_ok: bool) -> ActionResponse {
        ActionResponse { ok: !self.failed && extra_ok, output: tail(&self.output, OUTPUT_LIMIT) }
    }
}

/// The last `max` bytes of `s` (on a character boundary).
pub fn tail(s: &str, max: usize) -> String {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s[start..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::fake::FakeProvider;

    fn exec(code: i32, out: &str, timed_out: bool) -> ExecResponse {
        ExecResponse { exit_code: code, stdout: out.into(), stderr: String::new(), timed_out, truncated: false }
    }

    #[test]
    fn transcripts_fail_on_any_failure() {
        let mut t = Transcript::default();
        assert!(t.record("echo a\n", &exec(0, "a\n", false)));
        assert!(!t.record("false", &exec(1, "", false)));
        assert!(t.record("true", &exec(0, "", false)));
        assert_eq!(t.output(), "$ echo a\na\n$ false\n(exit status 1)\n$ true\n");
        assert!(!t.clone().into_response(true).ok);
        let mut slow = Transcript::default();
        assert!(!slow.record("sleep 9", &exec(124, "", true)));
        assert!(slow.output().ends_with("(timed out)\n"));
        let mut allowed = Transcript::default();
        assert!(!allowed.record_allowed("false", &exec(1, "", false)));
        assert!(allowed.ok() && allowed.output().contains("(exit status 1)"));
        let mut fine = Transcript::default();
        fine.record("true", &exec(0, "", false));
        assert!(fine.clone().into_response(true).ok);
        assert!(!fine.into_response(false).ok);
    }

    #[test]
    fn tail_keeps_the_end_on_a_char_boundary() {
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("ab", 10), "ab");
        assert_eq!(tail("añb", 2), "b");
    }

    #[tokio::test]
    async fn files_are_written_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let provider: Arc<dyn SandboxProvider> = Arc::new(FakeProvider::new(dir.path().join("n")));
        let node = NodeHandle { key: "k-1".into(), name: "node1".into(), ip: String::new(), pid: 0, uid_base: 0, start_time: 0 };
        let path = dir.path().join("a b/c/it's.txt");
        let text = "x='$HOME' \"$(id)\" `id`\n\\n\n\n";
        let r = write_file(&provider, &node, path.to_str().unwrap(), text).await.unwrap();
        assert_eq!(r.exit_code, 0, "{r:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        let big = "a".repeat(MAX_FILE_BYTES + 1);
        assert!(write_file(&provider, &node, path.to_str().unwrap(), &big).await.is_err());
    }
}
