//! Plain-Rust rules of the lesson pages: which catalog entry to show, what a Run button types,
//! and the set of finished steps kept per lesson.

use std::collections::BTreeSet;

use protocol::{LessonBlock, LessonProgress, LessonSummary};
use serde::{Deserialize, Serialize};

/// One entry per lesson id, in the wanted language when the lesson has it (else another one),
/// sorted by catalog order, then id.
pub fn pick_catalog(all: Vec<LessonSummary>, lang: &str) -> Vec<LessonSummary> {
    let mut picked: Vec<LessonSummary> = Vec::new();
    for lesson in all {
        match picked.iter_mut().find(|p| p.id == lesson.id) {
            Some(slot) if slot.lang != lang && lesson.lang == lang => *slot = lesson,
            Some(_) => {}
            None => picked.push(lesson),
        }
    }
    picked.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.id.cmp(&b.id)));
    picked
}

/// The keys a Run button sends: Ctrl-C first for `interrupt` blocks, then every line of the code
/// followed by Enter (`\r`, as a keyboard sends it). Trailing empty lines are not typed.
pub fn keystrokes(block: &LessonBlock) -> String {
    let mut out = String::new();
    if block.interrupt {
        out.push('\x03');
    }
    for line in block.code.trim_end_matches(['\n', '\r']).split('\n') {
        out.push_str(line.trim_end_matches('\r'));
        out.push('\r');
    }
    out
}

/// The steps (1-based) a learner has finished in one lesson, as stored in localStorage.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Finished step numbers.
    pub done: BTreeSet<u32>,
}

impl Progress {
    /// Parses the stored JSON; anything unreadable is an empty progress.
    pub fn from_json(json: &str) -> Progress {
        serde_json::from_str(json).unwrap_or_default()
    }

    /// The JSON to store.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether step `step` is finished.
    pub fn is_done(&self, step: u32) -> bool {
        self.done.contains(&step)
    }

    /// Marks `step` finished; returns whether that changed anything.
    pub fn mark(&mut self, step: u32) -> bool {
        step >= 1 && self.done.insert(step)
    }

    /// Adds every step the server reports as done (steps are never un-ticked: a learner who
    /// cleans up after a step keeps its tick). Returns whether anything changed.
    pub fn merge(&mut self, server: &LessonProgress) -> bool {
        let mut changed = false;
        for status in server.steps.iter().filter(|s| s.done) {
            changed |= self.mark(status.step);
        }
        changed
    }

    /// Finished steps among the first `step_count` (the lesson may have changed since).
    pub fn count(&self, step_count: u32) -> u32 {
        self.done.range(1..=step_count).count() as u32
    }

    /// The first unfinished step, or `None` when all `step_count` are done.
    pub fn current(&self, step_count: u32) -> Option<u32> {
        (1..=step_count).find(|s| !self.is_done(*s))
    }
}

/// What changes the progress shown on a lesson page.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressAction {
    /// The learner finished a step (Next, a passing Check, Skip).
    Mark(u32),
    /// A progress poll answered.
    Merge(LessonProgress),
}

impl Progress {
    /// The progress after `action`.
    pub fn apply(&self, action: ProgressAction) -> Progress {
        let mut next = self.clone();
        match action {
            ProgressAction::Mark(step) => next.mark(step),
            ProgressAction::Merge(server) => next.merge(&server),
        };
        next
    }
}

impl yew::Reducible for Progress {
    type Action = ProgressAction;

    fn reduce(self: std::rc::Rc<Self>, action: ProgressAction) -> std::rc::Rc<Self> {
        let next = self.apply(action);
        if next == *self {
            self
        } else {
            std::rc::Rc::new(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{BlockKind, StepStatus};

    fn summary(id: &str, lang: &str, order: u32) -> LessonSummary {
        LessonSummary {
            id: id.into(),
            lang: lang.into(),
            title: format!("{id}-{lang}"),
            summary: String::new(),
            duration_minutes: 30,
            nodes: 1,
            tags: vec![],
            step_count: 3,
            order,
        }
    }

    fn block(code: &str, interrupt: bool) -> LessonBlock {
        LessonBlock {
            id: "1.1".into(),
            kind: BlockKind::Run,
            lang: "sh".into(),
            node: "node1".into(),
            code: code.into(),
            path: None,
            interrupt,
            interactive: false,
        }
    }

    #[test]
    fn catalog_prefers_the_ui_language_and_falls_back() {
        let all = vec![
            summary("b", "en", 2),
            summary("a", "en", 1),
            summary("b", "es", 2),
            summary("c", "en", 3),
        ];
        let titles: Vec<String> = pick_catalog(all.clone(), "es")
            .into_iter()
            .map(|l| l.title)
            .collect();
        assert_eq!(titles, ["a-en", "b-es", "c-en"]);
        let en: Vec<String> = pick_catalog(all, "en")
            .into_iter()
            .map(|l| l.title)
            .collect();
        assert_eq!(en, ["a-en", "b-en", "c-en"]);
        assert!(pick_catalog(vec![], "es").is_empty());
    }

    #[test]
    fn run_blocks_type_each_line_with_enter() {
        assert_eq!(keystrokes(&block("docker ps\n", false)), "docker ps\r");
        assert_eq!(
            keystrokes(&block("echo a\r\necho b\n\n", false)),
            "echo a\recho b\r"
        );
        assert_eq!(keystrokes(&block("exit", true)), "\x03exit\r");
        assert_eq!(keystrokes(&block("", false)), "\r");
    }

    #[test]
    fn progress_marks_merges_and_counts() {
        let mut p = Progress::default();
        assert!(p.mark(2));
        assert!(!p.mark(2), "already done");
        assert!(!p.mark(0), "steps start at 1");
        let server = LessonProgress {
            lesson: "x".into(),
            steps: vec![
                StepStatus {
                    step: 1,
                    done: true,
                    hint: None,
                    fail: None,
                },
                StepStatus {
                    step: 3,
                    done: false,
                    hint: Some("h".into()),
                    fail: None,
                },
            ],
        };
        assert!(p.merge(&server));
        assert!(!p.merge(&server), "merging twice changes nothing");
        assert!(p.is_done(1) && p.is_done(2) && !p.is_done(3));
        assert_eq!(p.count(3), 2);
        assert_eq!(p.count(1), 1, "steps past the lesson's end are not counted");
        assert_eq!(p.current(3), Some(3));
        p.mark(3);
        assert_eq!(p.current(3), None);
    }

    #[test]
    fn actions_apply() {
        let p = Progress::default().apply(ProgressAction::Mark(2));
        assert!(p.is_done(2));
        let server = LessonProgress {
            lesson: "x".into(),
            steps: vec![StepStatus {
                step: 5,
                done: true,
                hint: None,
                    fail: None,
            }],
        };
        let p = p.apply(ProgressAction::Merge(server));
        assert_eq!(p.done.iter().copied().collect::<Vec<_>>(), [2, 5]);
    }

    #[test]
    fn progress_json_round_trips_and_tolerates_garbage() {
        let mut p = Progress::default();
        p.mark(4);
        p.mark(1);
        assert_eq!(p.to_json(), r#"{"done":[1,4]}"#);
        assert_eq!(Progress::from_json(&p.to_json()), p);
        assert_eq!(Progress::from_json("not json"), Progress::default());
    }
}
