//! Lesson catalog and lesson content as sent to the browser.
//!
//! `check` and `solve` scripts never appear here: the server runs them. A step only says whether
//! it has them, and the hint to show when its check fails.

use serde::{Deserialize, Serialize};

/// One entry of `GET /api/lessons`: one lesson in one language.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LessonSummary {
    /// Shared by the translations of one lesson, e.g. `first-containers`.
    pub id: String,
    /// Language code of this version (`es`, `en`).
    pub lang: String,
    /// Title shown in the catalog.
    pub title: String,
    /// One or two sentences about the lesson.
    pub summary: String,
    /// Length of the session the lesson gets, in minutes.
    pub duration_minutes: u32,
    /// How many nodes the session starts (1–5).
    pub nodes: u8,
    /// Free-form tags for filtering.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Number of steps.
    pub step_count: u32,
    /// Position in the catalog: front matter `order`, else the `NN-` prefix of the file name.
    pub order: u32,
    /// The course the lesson belongs to (front matter `course`), named in the lesson's language;
    /// the catalog shows each course's lessons together, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course: Option<String>,
    /// Images the lesson's nodes use (front matter `images`), e.g. `busybox:latest`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
}

/// `GET /api/lessons/{lang}/{id}`: a parsed lesson, ready to display.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    /// The catalog fields (id, lang, title, …).
    #[serde(flatten)]
    pub summary: LessonSummary,
    /// Names of the nodes the lesson uses (`node1` … `node5`).
    pub node_names: Vec<String>,
    /// Content before the first step (often empty).
    #[serde(default)]
    pub intro: Vec<LessonPart>,
    /// The steps, in order.
    pub steps: Vec<LessonStep>,
}

/// One `##` section of a lesson.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LessonStep {
    /// The heading text.
    pub title: String,
    /// Rendered prose and code blocks, in document order.
    pub parts: Vec<LessonPart>,
    /// Whether the server can check the step (if not, it is a reading step, done on "Next").
    pub has_check: bool,
    /// Whether the server can complete the step itself ("Skip").
    pub has_solve: bool,
    /// Shown to the learner when the check fails.
    #[serde(default)]
    pub hint: Option<String>,
    /// The lesson lets the student reveal this step's solution
    /// (`GET /api/sessions/{id}/lesson/steps/{step}/solution`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_solution: bool,
}

/// A piece of a step: rendered markdown or a code block.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LessonPart {
    /// Markdown rendered to HTML by the server (raw HTML in the source is escaped).
    Html {
        /// The HTML fragment.
        html: String,
    },
    /// A fenced code block.
    Block(LessonBlock),
    /// A fold (`<details>` in the lesson): `parts` shown under a clickable `summary_html`.
    Details {
        /// The summary, inline HTML rendered by the server like [`LessonPart::Html`].
        summary_html: String,
        /// Unfolded at first.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        open: bool,
        /// What folds: text, blocks, nested folds.
        parts: Vec<LessonPart>,
    },
}

/// What a code block's button does.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// "Run": type the code into the node's terminal.
    Run,
    /// "Write file": the server writes the code to `path` in the node.
    File,
    /// Text with a copy button.
    Plain,
}

/// A fenced code block as the browser sees it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LessonBlock {
    /// Stable within the lesson: `"{step}.{n}"` (step 0 is the intro), used to ask the server to
    /// write a file block.
    pub id: String,
    /// What the block's button does.
    pub kind: BlockKind,
    /// Language for highlighting (`sh`, `dockerfile`, …), empty if none.
    #[serde(default)]
    pub lang: String,
    /// Which node's terminal or file system the block targets.
    pub node: String,
    /// The block's text.
    pub code: String,
    /// Destination path of a `file` block.
    #[serde(default)]
    pub path: Option<String>,
    /// Send Ctrl-C before typing the code.
    #[serde(default)]
    pub interrupt: bool,
    /// The block needs a person at the keys (e.g. `docker run -it`).
    #[serde(default)]
    pub interactive: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> LessonSummary {
        LessonSummary {
            id: "first-containers".into(),
            lang: "en".into(),
            title: "First containers".into(),
            summary: "Run them.".into(),
            duration_minutes: 45,
            nodes: 1,
            tags: vec!["basics".into()],
            step_count: 1,
            order: 1,
            course: Some("Docker".into()),
            images: vec!["busybox:latest".into()],
        }
    }

    #[test]
    fn summary_golden_json() {
        let s = serde_json::to_string(&summary()).unwrap();
        assert_eq!(
            s,
            r#"{"id":"first-containers","lang":"en","title":"First containers","summary":"Run them.","duration_minutes":45,"nodes":1,"tags":["basics"],"step_count":1,"order":1,"course":"Docker","images":["busybox:latest"]}"#
        );
        assert_eq!(
            serde_json::from_str::<LessonSummary>(&s).unwrap(),
            summary()
        );
    }

    #[test]
    fn lesson_golden_json() {
        let block = LessonBlock {
            id: "1.1".into(),
            kind: BlockKind::Run,
            lang: "sh".into(),
            node: "node1".into(),
            code: "docker ps\n".into(),
            path: None,
            interrupt: false,
            interactive: true,
        };
        let lesson = Lesson {
            summary: summary(),
            node_names: vec!["node1".into()],
            intro: vec![],
            steps: vec![LessonStep {
                title: "Go".into(),
                parts: vec![
                    LessonPart::Html {
                        html: "<p>Hi</p>\n".into(),
                    },
                    LessonPart::Block(block),
                ],
                has_check: true,
                has_solve: false,
                hint: Some("Try again".into()),
                has_solution: false,
            }],
        };
        let s = serde_json::to_string(&lesson).unwrap();
        assert_eq!(
            s,
            concat!(
                r#"{"id":"first-containers","lang":"en","title":"First containers","summary":"Run them.","#,
                r#""duration_minutes":45,"nodes":1,"tags":["basics"],"step_count":1,"order":1,"course":"Docker","#,
                r#""images":["busybox:latest"],"node_names":["node1"],"intro":[],"steps":[{"title":"Go","#,
                r#""parts":[{"type":"html","html":"<p>Hi</p>\n"},{"type":"block","id":"1.1","kind":"run","#,
                r#""lang":"sh","node":"node1","code":"docker ps\n","path":null,"interrupt":false,"#,
                r#""interactive":true}],"has_check":true,"has_solve":false,"hint":"Try again"}]}"#
            )
        );
        assert_eq!(serde_json::from_str::<Lesson>(&s).unwrap(), lesson);
    }

    #[test]
    fn optional_fields_default() {
        let s = r#"{"type":"block","id":"0.1","kind":"plain","node":"node1","code":"x"}"#;
        let part: LessonPart = serde_json::from_str(s).unwrap();
        let LessonPart::Block(b) = part else {
            panic!("not a block")
        };
        assert_eq!(b.kind, BlockKind::Plain);
        assert!(b.lang.is_empty() && b.path.is_none() && !b.interrupt && !b.interactive);
    }
}

/// Where one step of a lesson stands in a session (`GET /api/sessions/{id}/lesson/progress`,
/// `POST /api/sessions/{id}/lesson/steps/{step}/check`). Steps are numbered from 1.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct StepStatus {
    /// 1-based step number.
    pub step: u32,
    /// The step's check passed (reading steps without a check are never `done` by the server;
    /// the browser ticks them itself).
    pub done: bool,
    /// The step's hint, present when its check ran and failed.
    #[serde(default)]
    pub hint: Option<String>,
    /// What is still wrong (the check's `fail="…"`), present when its check ran and failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<String>,
}

/// `GET /api/sessions/{id}/lesson/steps/{step}/solution`: what completes the step (its `solve`
/// script, or its run blocks and file blocks), with the session's variables filled in. Only for
/// lessons with `solutions: true`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct StepSolution {
    /// 1-based step number.
    pub step: u32,
    /// Shell text (file blocks as `# path` followed by their content).
    pub text: String,
}

/// Every checked step of the session's lesson.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LessonProgress {
    /// Lesson id.
    pub lesson: String,
    /// One entry per step that has a check, in order.
    pub steps: Vec<StepStatus>,
}

/// Result of `POST /api/sessions/{id}/lesson/steps/{step}/solve` ("Skip") and of
/// `POST /api/sessions/{id}/lesson/blocks/{block}/write` (a `file` block's button).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ActionResponse {
    /// The commands ran without error (and, for solve, the step's check now passes).
    pub ok: bool,
    /// Combined output of what ran, cut at 64 KiB, for showing when `ok` is false.
    #[serde(default)]
    pub output: String,
}

#[cfg(test)]
mod session_api_tests {
    use super::*;

    #[test]
    fn progress_golden() {
        let p = LessonProgress {
            lesson: "first-containers".into(),
            steps: vec![StepStatus { step: 2, done: false, hint: Some("Run docker run hello-world".into()), fail: None }],
        };
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(s, r#"{"lesson":"first-containers","steps":[{"step":2,"done":false,"hint":"Run docker run hello-world"}]}"#);
        assert_eq!(serde_json::from_str::<LessonProgress>(&s).unwrap(), p);
        let a: ActionResponse = serde_json::from_str(r#"{"ok":true}"#).unwrap();
        assert_eq!(a, ActionResponse { ok: true, output: String::new() });
    }
}
