//! A lesson's `setup:` and `background:` scripts, run when a session starts for it: first each
//! background script is started detached in its node, its output in [`BACKGROUND_LOG`], not
//! waited for; then each setup script runs in its node, in node order, waited for (up to
//! [`SETUP_TIMEOUT`] each). So a setup script may wait for a file a background script makes
//! (Killercoda's foreground/background pattern); a background script that needs the setup's
//! work waits for it itself. Shared by `POST /api/sessions` (which returns once this is done or failed) and
//! `muelle lessons test` (which plays it before the early checks and the steps).

use std::sync::Arc;
use std::time::Duration;

use protocol::{SetupState, SetupStatus};

use super::node_exec::run_sh;
use crate::lessons::model::FrontMatter;
use crate::provider::SandboxProvider;
use crate::sessions::SessionRegistry;

/// Time limit of each setup script.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(300);
/// Time limit of starting a background script (it is not waited for).
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Where a background script's output goes, in its node.
pub const BACKGROUND_LOG: &str = "/tmp/muelle-background.log";
/// Output lines of a failed setup script kept in its message.
const MESSAGE_LINES: usize = 20;

/// Starts `$1` detached (its own session when `setsid` exists), stdin from /dev/null, output to
/// the log: the starter returns at once and nothing holds its pipes open.
const START_BACKGROUND: &str = r#"log="$2"
if command -v setsid >/dev/null 2>&1; then
  setsid /bin/sh -c "$1" </dev/null >>"$log" 2>&1 &
else
  nohup /bin/sh -c "$1" </dev/null >>"$log" 2>&1 &
fi"#;

/// Whether the lesson has anything to run when its session starts.
pub fn has_setup(front: &FrontMatter) -> bool {
    !front.setup.is_empty() || !front.background.is_empty()
}

/// Starts the background scripts of `front` in session `id`, then runs its setup scripts.
/// `Err` names the node and says what failed, with the script's last output lines.
pub async fn prepare(
    sessions: &SessionRegistry,
    provider: &Arc<dyn SandboxProvider>,
    id: &str,
    front: &FrontMatter,
) -> Result<(), String> {
    for s in &front.background {
        let node = sessions.running_node(id, &s.node).map_err(|e| format!("background on {}: {e}", s.node))?;
        let argv = [
            "/bin/sh".to_string(),
            "-c".to_string(),
            START_BACKGROUND.to_string(),
            "muelle-background".to_string(),
            s.code.clone(),
            BACKGROUND_LOG.to_string(),
        ];
        let r = crate::exec::run(provider.command(&node, &argv), START_TIMEOUT)
            .await
            .map_err(|e| format!("background on {}: {e:#}", s.node))?;
        if r.exit_code != 0 {
            return Err(format!("starting the background script on {} failed ({}): {}", s.node, r.exit_code, r.stderr.trim()));
        }
    }
    for s in &front.setup {
        let node = sessions.running_node(id, &s.node).map_err(|e| format!("setup on {}: {e}", s.node))?;
        let r = run_sh(provider, &node, &s.code, SETUP_TIMEOUT)
            .await
            .map_err(|e| format!("setup on {}: {e:#}", s.node))?;
        if r.exit_code != 0 {
            let why = if r.timed_out {
                format!("did not finish in {}s", SETUP_TIMEOUT.as_secs())
            } else {
                format!("exited with {}", r.exit_code)
            };
            let output = format!("{}{}", r.stdout, r.stderr);
            let lines: Vec<&str> = output.lines().collect();
            let tail = lines[lines.len().saturating_sub(MESSAGE_LINES)..].join("\n");
            return Err(format!("setup on {} {why}{}{tail}", s.node, if tail.is_empty() { "" } else { ":\n" }));
        }
    }
    Ok(())
}

/// [`prepare`]'s result as the session JSON carries it.
pub fn status_of(result: &Result<(), String>) -> SetupStatus {
    match result {
        Ok(()) => SetupStatus { state: SetupState::Done, message: None },
        Err(m) => SetupStatus { state: SetupState::Failed, message: Some(m.clone()) },
    }
}
