//! Running one non-interactive command in a node: captured output (capped), a time limit, and a
//! kill of the command's whole process group when the limit passes.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Context;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use protocol::ExecResponse;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::{sleep_until, Instant};

/// Most bytes of stdout (and of stderr) kept; the rest is read and dropped.
pub const OUTPUT_CAP: usize = 1 << 20;
/// Exit code reported when the time limit killed the command (as coreutils `timeout` does).
pub const TIMEOUT_EXIT_CODE: i32 = 124;
/// How long output is still collected after the command exits (background children may hold
/// the pipes open forever).
const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// Runs `cmd` (stdin null, stdout/stderr captured) for at most `limit`.
pub async fn run(cmd: std::process::Command, limit: Duration) -> anyhow::Result<ExecResponse> {
    let mut cmd = cmd;
    // Own process group, so a timeout kills the command's children too.
    cmd.process_group(0);
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = cmd.spawn().context("spawning the exec command")?;
    let pid = child.id().context("exec child has no pid")?;
    let mut stdout = child.stdout.take().context("no stdout pipe")?;
    let mut stderr = child.stderr.take().context("no stderr pipe")?;
    let (mut out, mut err) = (Capped::default(), Capped::default());
    let (mut out_done, mut err_done) = (false, false);
    let deadline = Instant::now() + limit;
    let mut status: Option<ExitStatus> = None;
    let mut drain_until = deadline;
    while !(out_done && err_done && status.is_some()) {
        tokio::select! {
            done = read_chunk(&mut stdout, &mut out), if !out_done => out_done = done,
            done = read_chunk(&mut stderr, &mut err), if !err_done => err_done = done,
            s = child.wait(), if status.is_none() => {
                status = Some(s.context("waiting for the exec command")?);
                drain_until = deadline.min(Instant::now() + DRAIN_GRACE);
            }
            _ = sleep_until(drain_until) => break,
        }
    }
    let timed_out = status.is_none();
    let exit_code = match status {
        Some(s) => exit_code(s),
        None => {
            kill_group(pid);
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            TIMEOUT_EXIT_CODE
        }
    };
    Ok(ExecResponse {
        exit_code,
        truncated: out.truncated || err.truncated,
        stdout: String::from_utf8_lossy(&out.bytes).into_owned(),
        stderr: String::from_utf8_lossy(&err.bytes).into_owned(),
        timed_out,
    })
}

/// Output kept up to [`OUTPUT_CAP`] bytes; whether more was dropped.
#[derive(Default)]
pub struct Capped {
    /// The first bytes.
    pub bytes: Vec<u8>,
    /// True when bytes beyond the cap were read and dropped.
    pub truncated: bool,
}

/// Reads one chunk into `buf` (keeping at most [`OUTPUT_CAP`] bytes); true at end of stream.
pub async fn read_chunk(reader: &mut (impl AsyncRead + Unpin), buf: &mut Capped) -> bool {
    let mut chunk = [0u8; 16 * 1024];
    match reader.read(&mut chunk).await {
        Ok(0) | Err(_) => true,
        Ok(n) => {
            let room = OUTPUT_CAP.saturating_sub(buf.bytes.len());
            buf.bytes.extend_from_slice(&chunk[..n.min(room)]);
            buf.truncated |= n > room;
            false
        }
    }
}

fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        if let Err(err) = killpg(Pid::from_raw(pid), Signal::SIGKILL) {
            tracing::warn!(?err, pid, "killing a timed-out exec failed");
        }
    }
}

/// The shell convention: the exit code, or 128+N for death by signal N.
pub fn exit_code(status: ExitStatus) -> i32 {
    status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(-1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> std::process::Command {
        let mut c = std::process::Command::new("/bin/sh");
        c.args(["-c", script]);
        c
    }

    #[tokio::test]
    async fn captures_output_and_exit_code() {
        let r = run(sh("echo out; echo err >&2; exit 3"), Duration::from_secs(5)).await.unwrap();
        assert_eq!((r.stdout.as_str(), r.stderr.as_str(), r.exit_code, r.timed_out), ("out\n", "err\n", 3, false));
    }

    #[tokio::test]
    async fn timeout_kills_the_whole_group() {
        let started = std::time::Instant::now();
        let r = run(sh("echo before; sleep 30 & sleep 30; echo after"), Duration::from_millis(500)).await.unwrap();
        assert!(r.timed_out);
        assert_eq!(r.exit_code, TIMEOUT_EXIT_CODE);
        assert_eq!(r.stdout, "before\n");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn output_is_capped() {
        let r = run(sh("head -c 3000000 /dev/zero | tr '\\0' a"), Duration::from_secs(10)).await.unwrap();
        assert_eq!(r.stdout.len(), OUTPUT_CAP);
        assert_eq!(r.exit_code, 0);
        assert!(r.truncated);
        let small = run(sh("echo hi"), Duration::from_secs(10)).await.unwrap();
        assert!(!small.truncated);
    }

    #[tokio::test]
    async fn background_children_do_not_hold_the_answer() {
        let started = std::time::Instant::now();
        let r = run(sh("(sleep 20 &) ; echo done"), Duration::from_secs(15)).await.unwrap();
        assert_eq!((r.stdout.as_str(), r.exit_code, r.timed_out), ("done\n", 0, false));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn signals_map_to_128_plus_n() {
        let r = run(sh("kill -9 $$"), Duration::from_secs(5)).await.unwrap();
        assert_eq!(r.exit_code, 137);
    }
}
