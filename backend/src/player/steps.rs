//! The server side of the lesson player for one session: check a step, report progress, complete
//! a step ("Skip"), write a file block. The HTTP handlers in `routes/lessons.rs` are thin wrappers.

use std::sync::Arc;

use protocol::{ActionResponse, LessonProgress, StepSolution, StepStatus};

use super::live::LiveLessons;
use super::node_exec::{self, limit_of, Transcript, CHECK_TIMEOUT, SOLVE_TIMEOUT};
use crate::error::AppError;
use crate::lessons::model::{Action, Block, ParsedLesson, Part};
use crate::lessons::store::{scripts_of, Script, StepScripts};
use crate::provider::SandboxProvider;
use crate::sessions::SessionRegistry;

/// One session's lesson, with what it takes to run its scripts.
pub struct LessonSession {
    /// The store and the progress cache.
    pub live: Arc<LiveLessons>,
    /// The sessions (to find running nodes).
    pub sessions: Arc<SessionRegistry>,
    /// Runs commands in nodes.
    pub provider: Arc<dyn SandboxProvider>,
    /// The session.
    pub session_id: String,
    /// The lesson, in the language asked for (or its fallback).
    pub lesson: Arc<ParsedLesson>,
}

impl LessonSession {
    /// The lesson of session `session_id` (already authorized) in `lang`, or another language.
    pub fn open(
        live: Arc<LiveLessons>,
        sessions: Arc<SessionRegistry>,
        provider: Arc<dyn SandboxProvider>,
        session_id: &str,
        lang: &str,
    ) -> Result<Self, AppError> {
        let id = sessions.info(session_id)?.lesson.ok_or(AppError::NoLesson)?;
        let lesson = live
            .store
            .resolve_lang(&id, lang)
            .and_then(|l| live.store.parsed(&id, &l))
            .ok_or(AppError::LessonNotFound(id))?;
        Ok(Self { live, sessions, provider, session_id: session_id.to_string(), lesson })
    }

    /// Runs step `step`'s check (unless it passed before) → done, or not done with the hint.
    /// A check only counts once the student has reached its step: every earlier checked step
    /// must be done first (their checks run again here, in order, in case they pass now). So a
    /// check that would pass on fresh nodes ("the volume is gone") cannot tick its step early.
    pub async fn check(&self, step: u32) -> Result<StepStatus, AppError> {
        let check = self.check_of(step)?;
        if self.live.is_done(&self.session_id, step) {
            return Ok(self.status(step, true));
        }
        if let Some(open) = self.first_open_before(step).await? {
            return Ok(self.waiting(step, open));
        }
        let done = self.run_check(step, &check).await?;
        Ok(self.status(step, done))
    }

    /// Every checked step's status, in order: checks run until the first step that is not done
    /// (later steps have not been reached and are reported not done without running). Passed
    /// steps are not run again. A check that cannot run counts as not done.
    pub async fn progress(&self) -> LessonProgress {
        self.live.retain_sessions(&self.sessions.session_ids());
        let mut steps = Vec::new();
        let mut reached = true;
        for n in 1..=self.step_count() {
            let Ok(check) = self.check_of(n) else { continue };
            let done = self.live.is_done(&self.session_id, n)
                || (reached
                    && self.run_check(n, &check).await.unwrap_or_else(|err| {
                        tracing::warn!(?err, session_id = %self.session_id, step = n, "check could not run");
                        false
                    }));
            steps.push(if reached { self.status(n, done) } else { StepStatus { step: n, done, hint: None, fail: None } });
            reached &= done;
        }
        LessonProgress { lesson: self.lesson.front.id.clone(), steps }
    }

    /// The first checked step before `step` that is not done, after running its check again.
    async fn first_open_before(&self, step: u32) -> Result<Option<u32>, AppError> {
        for n in 1..step {
            let Ok(check) = self.check_of(n) else { continue };
            if !self.live.is_done(&self.session_id, n) && !self.run_check(n, &check).await? {
                return Ok(Some(n));
            }
        }
        Ok(None)
    }

    /// `step` is not done because step `open` comes first, said in the lesson's language.
    fn waiting(&self, step: u32, open: u32) -> StepStatus {
        let title = self.lesson.steps.get(open as usize - 1).map_or("", |s| s.title.as_str());
        let fail = match self.lesson.front.lang.as_str() {
            "es" => format!("Primero termina el paso {open} («{title}»): los pasos se comprueban en orden."),
            _ => format!("Finish step {open} (“{title}”) first: steps are checked in order."),
        };
        StepStatus { fail: Some(fail), ..self.status(step, false) }
    }

    /// Completes step `step`: its solve, or a replay of its run and file blocks; then its check.
    pub async fn solve(&self, step: u32) -> Result<ActionResponse, AppError> {
        let scripts = self.scripts(step)?;
        let mut t = Transcript::default();
        if scripts.check.is_some() {
            if let Some(open) = self.first_open_before(step).await? {
                t.fail(&self.waiting(step, open).fail.unwrap_or_default());
                return Ok(t.into_response(false));
            }
        }
        if let Some(solve) = &scripts.solve {
            let code = self.fill(&solve.code)?;
            for name in self.lesson.targets(&solve.node) {
                let node = self.sessions.running_node(&self.session_id, name)?;
                let r = node_exec::run_sh(&self.provider, &node, &code, limit_of(solve, SOLVE_TIMEOUT)).await?;
                t.record(&code, &r);
            }
        } else {
            // With a check, a block may fail on purpose (lessons show errors); the check decides.
            let lenient = scripts.check.is_some();
            for block in scripts.replay.iter().filter(|b| !b.interactive) {
                if !self.replay(block, lenient, &mut t).await? && !lenient {
                    break;
                }
            }
        }
        let passed = match &scripts.check {
            Some(check) if t.ok() => self.run_check(step, check).await?,
            Some(_) => false,
            None => true,
        };
        if scripts.check.is_some() && !passed && t.ok() {
            t.fail("the step's check still fails");
        }
        Ok(t.into_response(passed))
    }

    /// The step's solution for the student: its solve, else its run and file blocks; only when the
    /// lesson has `solutions: true` (the check stays on the server).
    pub fn solution(&self, step: u32) -> Result<StepSolution, AppError> {
        let scripts = self.scripts(step)?;
        if !self.lesson.front.solutions {
            return Err(AppError::SolutionsHidden);
        }
        let text = match &scripts.solve {
            Some(solve) => solve.code.clone(),
            None => scripts
                .replay
                .iter()
                .map(|b| match &b.path {
                    Some(p) if b.action == Action::File => format!("# {p}\n{}", b.code),
                    _ => b.code.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        };
        if text.trim().is_empty() {
            return Err(AppError::StepNotFound(step));
        }
        Ok(StepSolution { step, text: self.fill(&text)? })
    }

    /// Writes file block `block_id` to its path in its node.
    pub async fn write_block(&self, block_id: &str) -> Result<ActionResponse, AppError> {
        let block = find_block(&self.lesson, block_id)
            .filter(|b| b.action == Action::File && b.path.is_some())
            .ok_or_else(|| AppError::BlockNotFound(block_id.to_string()))?;
        let mut t = Transcript::default();
        self.replay(block, false, &mut t).await?;
        Ok(t.into_response(true))
    }

    /// Runs one run/file block in its node, recording it (as an allowed failure if `lenient`);
    /// false if it failed.
    /// A `node=all` block runs on every node, in order.
    async fn replay(&self, block: &Block, lenient: bool, t: &mut Transcript) -> Result<bool, AppError> {
        let block = ParsedLesson::expanded(block, &self.sessions.info(&self.session_id)?);
        let label = match (&block.action, &block.path) {
            (Action::File, Some(p)) => format!("write {p}"),
            _ => block.code.clone(),
        };
        let mut all_ok = true;
        for name in self.lesson.targets(self.lesson.node_of(&block)) {
            let node = self.sessions.running_node(&self.session_id, name)?;
            let r = node_exec::replay_block(&self.provider, &node, &block).await?;
            let ok = if lenient { t.record_allowed(&label, &r) } else { t.record(&label, &r) };
            all_ok &= ok;
            if !ok && !lenient {
                break;
            }
        }
        Ok(all_ok)
    }

    /// `text` with the session's variables (`{{node2.ip}}`, `{{session.id}}`) filled in.
    fn fill(&self, text: &str) -> Result<String, AppError> {
        let info = self.sessions.info(&self.session_id)?;
        Ok(protocol::vars::substitute(text, &info.id, &info.nodes))
    }

    /// Runs a check (on every node for `node=all`, where it must pass on each); a pass is
    /// remembered.
    async fn run_check(&self, step: u32, check: &Script) -> Result<bool, AppError> {
        let code = self.fill(&check.code)?;
        let mut done = true;
        for name in self.lesson.targets(&check.node) {
            let node = self.sessions.running_node(&self.session_id, name)?;
            let r = node_exec::run_sh(&self.provider, &node, &code, limit_of(check, CHECK_TIMEOUT)).await?;
            done &= r.exit_code == 0 && !r.timed_out;
            if !done {
                break;
            }
        }
        let counter = if done { &crate::metrics::METRICS.checks_passed } else { &crate::metrics::METRICS.checks_failed };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if done {
            self.live.mark_done(&self.session_id, step);
        }
        Ok(done)
    }

    fn status(&self, step: u32, done: bool) -> StepStatus {
        let check = (!done).then(|| self.check_block(step)).flatten();
        let hint = check.and_then(|c| c.hint.clone());
        let fail = check.and_then(|c| c.fail.clone());
        StepStatus { step, done, hint, fail }
    }

    fn check_block(&self, step: u32) -> Option<&Block> {
        let s = self.lesson.steps.get(usize::try_from(step).ok()?.checked_sub(1)?)?;
        s.check()
    }

    fn step_count(&self) -> u32 {
        u32::try_from(self.lesson.steps.len()).unwrap_or(u32::MAX)
    }

    fn scripts(&self, step: u32) -> Result<StepScripts, AppError> {
        let index = usize::try_from(step).ok().and_then(|s| s.checked_sub(1));
        index.and_then(|i| scripts_of(&self.lesson, i)).ok_or(AppError::StepNotFound(step))
    }

    fn check_of(&self, step: u32) -> Result<Script, AppError> {
        self.scripts(step)?.check.ok_or(AppError::NoCheck(step))
    }
}

/// A browser-visible block of the lesson by id (`"2.1"`).
pub fn find_block<'a>(lesson: &'a ParsedLesson, block_id: &str) -> Option<&'a Block> {
    let mut parts = lesson.intro.iter().chain(lesson.steps.iter().flat_map(|s| &s.parts));
    parts.find_map(|p| match p {
        Part::Block(b) if b.id == block_id => Some(b),
        _ => None,
    })
}
