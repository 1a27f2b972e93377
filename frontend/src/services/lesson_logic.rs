//! Plain-Rust rules of the lesson pages: which catalog entry to show, what a Run button types,
//! and the set of finished steps kept per lesson.

use std::collections::BTreeSet;

use protocol::{Lesson, LessonBlock, LessonPart, LessonProgress, LessonSummary, NodeInfo};
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

/// Lessons of one course, in order (`name` is `None` for the lessons of no course).
#[derive(Debug, Clone, PartialEq)]
pub struct Course {
    /// The course's name in the lessons' language.
    pub name: Option<String>,
    /// Its lessons, by `order`.
    pub lessons: Vec<LessonSummary>,
}

/// Groups a picked catalog (see [`pick_catalog`], already in order) into courses: each course
/// where its first lesson comes, the lessons of no course last.
pub fn courses(picked: Vec<LessonSummary>) -> Vec<Course> {
    let mut out: Vec<Course> = Vec::new();
    let mut loose = Vec::new();
    for lesson in picked {
        match &lesson.course {
            None => loose.push(lesson),
            Some(name) => match out.iter_mut().find(|c| c.name.as_ref() == Some(name)) {
                Some(course) => course.lessons.push(lesson),
                None => out.push(Course { name: Some(name.clone()), lessons: vec![lesson] }),
            },
        }
    }
    if !loose.is_empty() {
        out.push(Course { name: None, lessons: loose });
    }
    out
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

/// The lesson as the session's student sees it: `{{node2.ip}}`, `{{node1.name}}` and
/// `{{session.id}}` filled in, in the text (values HTML-escaped), in the titles and in the code and
/// path of every block (so Run types, and Copy copies, what is shown). Other `{{…}}` (Go
/// templates) and variables the session cannot fill stay as written.
pub fn fill_lesson(lesson: &Lesson, session_id: &str, nodes: &[NodeInfo]) -> Lesson {
    let mut out = lesson.clone();
    out.intro = fill_parts(&lesson.intro, session_id, nodes);
    for step in &mut out.steps {
        step.title = protocol::vars::substitute(&step.title, session_id, nodes);
        step.parts = fill_parts(&step.parts, session_id, nodes);
    }
    out
}

fn fill_parts(parts: &[LessonPart], session_id: &str, nodes: &[NodeInfo]) -> Vec<LessonPart> {
    let text = |t: &str| protocol::vars::substitute(t, session_id, nodes);
    // In server-rendered HTML a value is text: escaped.
    let fill_html = |h: &str| {
        protocol::vars::substitute_with(h, |name| protocol::vars::session_value(name, session_id, nodes).map(|v| escape_html(&v)))
    };
    parts
        .iter()
        .map(|part| match part {
            LessonPart::Html { html } => LessonPart::Html { html: fill_html(html) },
            LessonPart::Block(b) => LessonPart::Block(LessonBlock {
                code: text(&b.code),
                path: b.path.as_deref().map(text),
                ..b.clone()
            }),
            LessonPart::Details { summary_html, open, parts } => LessonPart::Details {
                summary_html: fill_html(summary_html),
                open: *open,
                parts: fill_parts(parts, session_id, nodes),
            },
        })
        .collect()
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The lesson after `id` in the catalog's order (in `lang` where it exists), if any.
pub fn next_lesson(all: Vec<LessonSummary>, id: &str, lang: &str) -> Option<LessonSummary> {
    let list = pick_catalog(all, lang);
    let at = list.iter().position(|l| l.id == id)?;
    list.into_iter().nth(at + 1)
}

/// The terminals a Run button types into: its node, or every node of the session for `node=all`.
pub fn run_targets(block_node: &str, session_nodes: &[String]) -> Vec<String> {
    if block_node == "all" {
        session_nodes.to_vec()
    } else {
        vec![block_node.to_string()]
    }
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
    /// Another session's progress (the page's session changed), or none (Reset progress).
    Replace(Progress),
}

impl Progress {
    /// The progress after `action`.
    pub fn apply(&self, action: ProgressAction) -> Progress {
        let mut next = self.clone();
        match action {
            ProgressAction::Mark(step) => next.mark(step),
            ProgressAction::Merge(server) => next.merge(&server),
            ProgressAction::Replace(p) => {
                next = p;
                true
            }
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

    #[test]
    fn courses_keep_order_and_put_loose_lessons_last() {
        let with = |id: &str, order: u32, course: Option<&str>| LessonSummary { course: course.map(str::to_string), ..summary(id, "es", order) };
        let picked = vec![
            with("a", 1, Some("Docker")),
            with("loose", 2, None),
            with("k8s", 3, Some("Kubernetes")),
            with("b", 4, Some("Docker")),
        ];
        let got = courses(picked);
        let shape: Vec<(Option<&str>, Vec<&str>)> =
            got.iter().map(|c| (c.name.as_deref(), c.lessons.iter().map(|l| l.id.as_str()).collect())).collect();
        assert_eq!(shape, vec![(Some("Docker"), vec!["a", "b"]), (Some("Kubernetes"), vec!["k8s"]), (None, vec!["loose"])]);
        assert!(courses(vec![]).is_empty());
    }

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
            course: None,
            images: vec![],
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

    fn session_nodes() -> Vec<NodeInfo> {
        ["10.100.7.2", "10.100.7.3"]
            .iter()
            .enumerate()
            .map(|(i, ip)| NodeInfo { name: format!("node{}", i + 1), ip: (*ip).into(), status: protocol::NodeStatus::Running })
            .collect()
    }

    #[test]
    fn variables_are_filled_in_text_titles_and_blocks_but_go_templates_are_not() {
        let mut run = block("ping -c1 {{node2.ip}}\ndocker inspect --format '{{.State.Pid}}' {{json .}} {{ node1.name }}\n", false);
        run.path = Some("/tmp/{{session.id}}.txt".into());
        let lesson = Lesson {
            summary: LessonSummary { nodes: 2, step_count: 1, ..summary("x", "en", 1) },
            node_names: vec!["node1".into(), "node2".into()],
            intro: vec![LessonPart::Html { html: "<p>Session <code>{{session.id}}</code></p>".into() }],
            steps: vec![protocol::LessonStep {
                title: "Ping {{node2.name}}".into(),
                parts: vec![
                    LessonPart::Html { html: "<p>{{node2.ip}} and {{node7.ip}}</p>".into() },
                    LessonPart::Block(run),
                ],
                has_check: false,
                has_solve: false,
                hint: None,
                has_solution: false,
            }],
        };
        let filled = fill_lesson(&lesson, "s<1>", &session_nodes());
        assert_eq!(filled.intro, vec![LessonPart::Html { html: "<p>Session <code>s&lt;1&gt;</code></p>".into() }]);
        assert_eq!(filled.steps[0].title, "Ping node2");
        assert_eq!(filled.steps[0].parts[0], LessonPart::Html { html: "<p>10.100.7.3 and {{node7.ip}}</p>".into() });
        let LessonPart::Block(b) = &filled.steps[0].parts[1] else { panic!("not a block") };
        assert_eq!(b.code, "ping -c1 10.100.7.3\ndocker inspect --format '{{.State.Pid}}' {{json .}} node1\n");
        assert_eq!(b.path.as_deref(), Some("/tmp/s<1>.txt"));
        assert_eq!(keystrokes(b), "ping -c1 10.100.7.3\rdocker inspect --format '{{.State.Pid}}' {{json .}} node1\r");
    }

    #[test]
    fn the_next_lesson_follows_catalog_order() {
        let all = vec![summary("b", "en", 2), summary("a", "es", 1), summary("c", "en", 3), summary("b", "es", 2)];
        assert_eq!(next_lesson(all.clone(), "a", "es").map(|l| l.title), Some("b-es".into()));
        assert_eq!(next_lesson(all.clone(), "b", "en").map(|l| l.id), Some("c".into()));
        assert_eq!(next_lesson(all.clone(), "c", "en"), None, "the last lesson has none");
        assert_eq!(next_lesson(all, "zz", "en"), None);
    }

    #[test]
    fn replace_swaps_in_another_sessions_progress() {
        let mut old = Progress::default();
        old.mark(1);
        old.mark(2);
        assert_eq!(old.apply(ProgressAction::Replace(Progress::default())), Progress::default());
    }

    #[test]
    fn node_all_types_into_every_terminal() {
        let nodes = vec!["node1".to_string(), "node2".to_string(), "node3".to_string()];
        assert_eq!(run_targets("all", &nodes), nodes);
        assert_eq!(run_targets("node2", &nodes), ["node2"]);
    }
}
