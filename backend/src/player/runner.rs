//! `muelle lessons test`: plays every lesson on real nodes, as a learner pressing every button
//! would, and requires each step's check to pass.
//!
//! Per step: the run blocks run in order in their nodes (file blocks are written); a step with an
//! `interactive` block is completed by its `solve` instead (its later blocks are typed inside a
//! container). Then the check must pass, retried for a few seconds since containers start
//! asynchronously. In a checked step a run block may fail (lessons show errors on purpose: "the
//! base image has no figlet"): the check decides, and the failure is printed as a note; in a
//! reading step every block must succeed. One line per step; the session is destroyed after each
//! lesson unless [`PlayOptions::keep`]. A failed check shows the step's hint; an allowed failure
//! shows its stderr; [`PlayOptions::verbose`] shows the output of passing steps too, and
//! [`PlayOptions::step`] plays the steps before it silently (blocks or solve, then check, as a
//! student would) and reports only that one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::setup;
use super::node_exec::{self, limit_of, Transcript, CHECK_TIMEOUT, SOLVE_TIMEOUT};
use crate::lessons::model::{ParsedLesson, Step};
use crate::lessons::store::{scripts_of, Script, StepScripts};
use crate::provider::SandboxProvider;
use crate::sessions::{NewSession, SessionRegistry};

/// How long a failing check is retried after the step's blocks ran.
pub const CHECK_RETRY: Duration = Duration::from_secs(8);
/// Pause between check attempts.
const CHECK_PAUSE: Duration = Duration::from_millis(500);
/// Output lines shown under a failed step.
const FAILURE_LINES: usize = 40;

/// What running one lesson gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonOutcome {
    /// `es/01-primeros-contenedores.md`
    pub label: String,
    /// Steps that passed.
    pub passed: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Wall time, session start and teardown included.
    pub elapsed: Duration,
}

/// Lines of an allowed failure's stderr shown under its note.
const NOTE_LINES: usize = 10;

/// How `lessons test` reports and what it leaves behind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlayOptions {
    /// Print the output of passing steps too.
    pub verbose: bool,
    /// Only report this step (1-based); the earlier ones are played silently, later ones not at all.
    pub step: Option<usize>,
    /// Leave the session running and print how to open a shell on its nodes.
    pub keep: bool,
}

/// Plays lessons in sessions of one registry.
pub struct Runner {
    /// Creates and destroys the sessions.
    pub sessions: Arc<SessionRegistry>,
    /// Runs commands in their nodes.
    pub provider: Arc<dyn SandboxProvider>,
    /// Reporting and `--keep`.
    pub options: PlayOptions,
}

impl Runner {
    /// Plays `lesson` in a fresh session, printing one line per step.
    pub async fn run_lesson(&self, label: &str, lesson: &ParsedLesson) -> anyhow::Result<LessonOutcome> {
        let started = Instant::now();
        let new = NewSession {
            nodes: lesson.front.node_count,
            lesson: Some(lesson.front.id.clone()),
            ttl: Some(Duration::from_secs(u64::from(lesson.front.duration_minutes) * 60)),
        };
        let (info, _token) = self
            .sessions
            .create(new)
            .await
            .map_err(|e| anyhow::anyhow!("starting a session for {label}: {e:#}"))?;
        println!("  {label}: session {} with {} node(s) in {:.1}s", info.id, info.nodes.len(), secs(started));
        let (passed, failed) = match self.setup(label, lesson, &info.id).await {
            Ok(()) => {
                let early = self.early_checks(label, lesson, &info.id).await;
                let (passed, failed) = self.play_steps(label, lesson, &info.id).await;
                (passed, failed + early)
            }
            Err(()) => (0, 1),
        };
        if self.options.keep {
            self.print_kept(label, &info);
        } else if let Err(err) = self.sessions.delete(&info.id).await {
            println!("  {label}: deleting session {} failed: {err:#}", info.id);
        }
        Ok(LessonOutcome { label: label.to_string(), passed, failed, elapsed: started.elapsed() })
    }

    /// The lesson's `setup:` scripts, then its `background:` ones started, as a session for a
    /// student gets them; a failure is printed with its output and fails the lesson.
    async fn setup(&self, label: &str, lesson: &ParsedLesson, id: &str) -> Result<(), ()> {
        if !setup::has_setup(&lesson.front) {
            return Ok(());
        }
        let started = Instant::now();
        match setup::prepare(&self.sessions, &self.provider, id, &lesson.front).await {
            Ok(()) => {
                println!("  {label}: setup done in {:.1}s", secs(started));
                Ok(())
            }
            Err(err) => {
                let line = lesson.front.setup.first().map_or(lesson.front.nodes_line, |s| s.line);
                println!("✗ {label} setup ({label}:{line}) {:.1}s: the steps were not played", secs(started));
                print_failure(&err);
                Err(())
            }
        }
    }

    /// Runs every check on the fresh nodes, before any step is played: a check that passes then
    /// cannot tell whether the student did its step (`! docker volume inspect datos` passes on a
    /// new node). Prints each such check with its file:line; returns how many there are.
    async fn early_checks(&self, label: &str, lesson: &ParsedLesson, id: &str) -> usize {
        let mut early = 0;
        for (i, step) in lesson.steps.iter().enumerate() {
            let (Some(scripts), Some(block)) = (scripts_of(lesson, i), step.check()) else { continue };
            let Some(check) = &scripts.check else { continue };
            let mut t = Transcript::default();
            self.script(id, lesson, check, CHECK_TIMEOUT, "check", &mut t).await;
            if t.ok() {
                early += 1;
                println!(
                    "✗ {label} step {} {:?}: its check ({label}:{}) passes on fresh nodes, before the step was played: \
                     it cannot tell whether the student did the step (check an effect of the step instead)",
                    i + 1,
                    step.title,
                    block.line
                );
            }
        }
        early
    }

    /// Plays the steps in order (up to [`PlayOptions::step`]); returns (passed, failed).
    async fn play_steps(&self, label: &str, lesson: &ParsedLesson, id: &str) -> (usize, usize) {
        let (mut passed, mut failed) = (0, 0);
        let last = self.options.step.unwrap_or(lesson.steps.len());
        if last > lesson.steps.len() {
            println!("✗ {label}: no step {last} (the lesson has {})", lesson.steps.len());
            return (0, 1);
        }
        for (i, step) in lesson.steps.iter().enumerate().take(last) {
            let step_started = Instant::now();
            let (t, notes) = self.run_step(id, lesson, i).await;
            let silent = i + 1 < last && self.options.step.is_some();
            if silent && t.ok() {
                continue;
            }
            let mark = if t.ok() { '✓' } else { '✗' };
            let before = if silent { format!(" (played before step {last})") } else { String::new() };
            println!("{mark} {label} step {} {:?}{before} {:.1}s", i + 1, step.title, secs(step_started));
            notes.iter().for_each(|n| println!("    ! {n}"));
            if t.ok() {
                passed += 1;
                if self.options.verbose {
                    print_failure(t.output());
                }
                continue;
            }
            failed += 1;
            print_failure(t.output());
            if let Some(hint) = step.check().and_then(|c| c.hint.as_deref()) {
                println!("    hint: {hint}");
            }
            if silent {
                break;
            }
        }
        (passed, failed)
    }

    /// `--keep`: the session stays; prints its nodes and the command that opens a shell in each.
    fn print_kept(&self, label: &str, info: &protocol::SessionInfo) {
        println!("  {label}: kept session {} (the next `muelle lessons test` ends it; a `muelle serve` on the same data directory sweeps its nodes)", info.id);
        for n in &info.nodes {
            let Ok(node) = self.sessions.running_node(&info.id, &n.name) else {
                println!("    {} {}: not running", n.name, n.ip);
                continue;
            };
            let cmd = self.provider.command(&node, &["/bin/bash".to_string(), "-l".to_string()]);
            let words: Vec<String> = std::iter::once(cmd.get_program()).chain(cmd.get_args()).map(|w| shell_quote(&w.to_string_lossy())).collect();
            println!("    {} {}: {}", n.name, n.ip, words.join(" "));
        }
    }

    /// Runs step `index` (0-based) of `lesson` in session `id`: its blocks (or solve), then its
    /// check until it passes or [`CHECK_RETRY`] runs out. Also returns notes on allowed failures.
    async fn run_step(&self, id: &str, lesson: &ParsedLesson, index: usize) -> (Transcript, Vec<String>) {
        let mut t = Transcript::default();
        let mut notes = Vec::new();
        let Some(scripts) = scripts_of(lesson, index) else {
            t.fail("no such step");
            return (t, notes);
        };
        let step = &lesson.steps[index];
        if needs_solve(step) {
            match &scripts.solve {
                Some(solve) => self.script(id, lesson, solve, SOLVE_TIMEOUT, "solve", &mut t).await,
                None => t.fail("the step has an interactive block but no solve"),
            }
        } else {
            notes = self.replay(id, lesson, &scripts, &mut t).await;
        }
        if let (true, Some(check)) = (t.ok(), &scripts.check) {
            self.check_until_pass(id, lesson, check, &mut t).await;
        }
        (t, notes)
    }

    /// The step's run and file blocks in order. Without a check, the first failure fails the
    /// step; with one, failures are allowed and returned as notes.
    async fn replay(&self, id: &str, lesson: &ParsedLesson, scripts: &StepScripts, t: &mut Transcript) -> Vec<String> {
        let mut notes = Vec::new();
        let info = match self.sessions.info(id) {
            Ok(info) => info,
            Err(err) => {
                t.fail(&format!("session {id}: {err}"));
                return notes;
            }
        };
        let runs = scripts.replay.iter().flat_map(|b| lesson.targets(lesson.node_of(b)).into_iter().map(move |n| (b, n)));
        for (block, name) in runs {
            let node = match self.sessions.running_node(id, name) {
                Ok(n) => n,
                Err(err) => {
                    t.fail(&format!("{name}: {err}"));
                    return notes;
                }
            };
            let block = &ParsedLesson::expanded(block, &info);
            let label = block.path.as_ref().map_or_else(|| block.code.clone(), |p| format!("write {p}"));
            match node_exec::replay_block(&self.provider, &node, block).await {
                Ok(r) if scripts.check.is_some() => {
                    if !t.record_allowed(&label, &r) {
                        let mut note = format!("{:?} exited with {} (allowed: the check decides)", label.trim_end(), r.exit_code);
                        let lines: Vec<&str> = r.stderr.lines().collect();
                        for line in &lines[lines.len().saturating_sub(NOTE_LINES)..] {
                            note.push_str(&format!("\n      {line}"));
                        }
                        notes.push(note);
                    }
                }
                Ok(r) if t.record(&label, &r) => {}
                Ok(_) => return notes,
                Err(err) => {
                    t.fail(&format!("{label}: {err:#}"));
                    return notes;
                }
            }
        }
        notes
    }

    /// Runs the check until it passes; records only the last failed attempt.
    async fn check_until_pass(&self, id: &str, lesson: &ParsedLesson, check: &Script, t: &mut Transcript) {
        let deadline = Instant::now() + CHECK_RETRY;
        loop {
            let mut attempt = Transcript::default();
            self.script(id, lesson, check, CHECK_TIMEOUT, "check", &mut attempt).await;
            if attempt.ok() {
                return;
            }
            if Instant::now() >= deadline {
                return t.fail(&format!("check failed:\n{}", attempt.output()));
            }
            tokio::time::sleep(CHECK_PAUSE).await;
        }
    }

    /// Runs a check or solve script in its node (in every node for `node=all`), with the
    /// session's variables filled in.
    async fn script(&self, id: &str, lesson: &ParsedLesson, s: &Script, default: Duration, what: &str, t: &mut Transcript) {
        let code = match self.sessions.info(id) {
            Ok(info) => protocol::vars::substitute(&s.code, &info.id, &info.nodes),
            Err(err) => return t.fail(&format!("{what}: session {id}: {err}")),
        };
        for name in lesson.targets(&s.node) {
            let node = match self.sessions.running_node(id, name) {
                Ok(n) => n,
                Err(err) => return t.fail(&format!("{what} on {name}: {err}")),
            };
            match node_exec::run_sh(&self.provider, &node, &code, limit_of(s, default)).await {
                Ok(r) => {
                    t.record(&format!("{what} on {name}: {}", code.trim_end()), &r);
                }
                Err(err) => t.fail(&format!("{what}: {err:#}")),
            }
        }
    }
}

/// A step with an interactive block cannot be replayed: a person would type into a container.
pub fn needs_solve(step: &Step) -> bool {
    step.blocks().any(|b| b.interactive)
}

fn secs(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

/// `word` as one shell word: unchanged when it is plain, else in single quotes.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The last lines of a step's output, indented.
fn print_failure(output: &str) {
    let lines: Vec<&str> = output.lines().collect();
    for line in &lines[lines.len().saturating_sub(FAILURE_LINES)..] {
        println!("    | {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::parser::parse;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("/usr/bin/sandbox-init"), "/usr/bin/sandbox-init");
        assert_eq!(shell_quote("1234@5678"), "1234@5678");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn interactive_steps_are_completed_by_their_solve() {
        let text = "---\nid: x\ntitle: X\nsummary: S\nlang: en\nduration: 5\n---\n\
            ## A\n```sh run\nls\n```\n\
            ## B\n```sh run interactive\ndocker run -it busybox sh\n```\n```sh run\nexit\n```\n\
            ```check\ntrue\n```\n```solve\ntrue\n```\n";
        let (lesson, problems) = parse("en/01-x.md", text);
        assert!(problems.is_empty(), "{problems:?}");
        let lesson = lesson.unwrap();
        assert!(!needs_solve(&lesson.steps[0]));
        assert!(needs_solve(&lesson.steps[1]));
    }
}
