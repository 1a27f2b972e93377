//! The parsed form of a lesson file, as the server keeps it (check and solve scripts included).

use std::fmt;

/// One lint problem: `file:line: message`, the line 1-based in the lesson file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file as the user named it (a path relative to the linted directory's parent).
    pub file: String,
    /// 1-based line in the file.
    pub line: u32,
    /// What is wrong, for people.
    pub message: String,
    /// A warning: worth fixing, but the lesson is still served.
    pub warning: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.warning { "warning: " } else { "" };
        write!(f, "{}:{}: {level}{}", self.file, self.line, self.message)
    }
}

/// Collects problems for one file.
#[derive(Debug)]
pub struct Diags {
    file: String,
    /// The problems found so far.
    pub list: Vec<Problem>,
}

impl Diags {
    /// An empty collector for `file`.
    pub fn new(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            list: Vec::new(),
        }
    }

    /// Records a problem at `line`.
    pub fn at(&mut self, line: u32, message: impl Into<String>) {
        self.list.push(Problem {
            file: self.file.clone(),
            line,
            message: message.into(),
            warning: false,
        });
    }

    /// The file these problems are about.
    pub fn file(&self) -> &str {
        &self.file
    }
}

/// The lesson's front matter, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    /// Shared between languages, a slug.
    pub id: String,
    /// Title for the catalog and the page.
    pub title: String,
    /// One or two sentences.
    pub summary: String,
    /// Two-letter language code.
    pub lang: String,
    /// Session length in minutes.
    pub duration_minutes: u32,
    /// Declared node names, `node1`…`node5`; `nodes: 3` declares node1..node3.
    pub nodes: Vec<String>,
    /// How many nodes the session starts: the highest declared node number.
    pub node_count: u8,
    /// Image references with a tag (`busybox:latest`), each with its line.
    pub images: Vec<(String, u32)>,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// Line of the `nodes:` key (or of the opening `---`), for node problems.
    pub nodes_line: u32,
    /// Line of the `id:` key, for cross-file problems.
    pub id_line: u32,
    /// Line of the `lang:` key, for cross-file problems.
    pub lang_line: u32,
    /// `setup:` scripts, in node order: run in their nodes (waited for) before the student's
    /// terminal opens and before `lessons test` plays the steps.
    pub setup: Vec<NodeScript>,
    /// `background:` scripts, in node order: started in their nodes alongside the setup, not
    /// waited for.
    pub background: Vec<NodeScript>,
    /// `solutions: true`: students may reveal each step's solution.
    pub solutions: bool,
    /// `course:` the course the lesson belongs to, as the catalog names it in this language.
    pub course: Option<String>,
    /// `order:` the lesson's place in its course, overriding the file name's `NN-`.
    pub order: Option<u32>,
}

/// A front-matter script for one node (`setup:` or `background:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeScript {
    /// `node1` … `node5`.
    pub node: String,
    /// Shell text for `/bin/sh -c`.
    pub code: String,
    /// Line of the script's key in the file.
    pub line: u32,
}

/// What a fenced block does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Typed into the terminal by a Run button.
    Run,
    /// Written to `path` in the node by a button.
    File,
    /// Run by the server in the node: exit 0 means the step is done.
    Check,
    /// Run by the server to complete the step (Skip, tests).
    Solve,
    /// Text with a copy button.
    Plain,
}

/// A fenced code block with its parsed info string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Line of the opening fence.
    pub line: u32,
    /// `"{step}.{n}"` for blocks sent to the browser, `""` for check and solve.
    pub id: String,
    /// What the block does.
    pub action: Action,
    /// Language for highlighting (may be empty).
    pub lang: String,
    /// `node=`; `None` means the lesson's first node.
    pub node: Option<String>,
    /// The block's text, ending with a newline unless empty.
    pub code: String,
    /// `path=` of a file block.
    pub path: Option<String>,
    /// Send Ctrl-C first.
    pub interrupt: bool,
    /// Needs a person at the keys.
    pub interactive: bool,
    /// `hint="…"` of a check block.
    pub hint: Option<String>,
    /// `fail="…"` of a check block: what is still wrong when it fails.
    pub fail: Option<String>,
    /// `timeout=` seconds of a check or solve block.
    pub timeout_secs: Option<u32>,
}

/// A piece of a step, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Markdown source between blocks.
    Markdown(String),
    /// A fenced block.
    Block(Block),
    /// A `<details>` line: the parts up to the matching [`Part::EndDetails`] fold under `summary`
    /// (markdown, one line).
    Details {
        /// The `<summary>` text.
        summary: String,
        /// `<details open>`: shown unfolded at first.
        open: bool,
        /// Line of the `<details>`.
        line: u32,
    },
    /// The `</details>` closing the innermost open [`Part::Details`].
    EndDetails,
}

/// One `##` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Heading text.
    pub title: String,
    /// Line of the heading.
    pub line: u32,
    /// Prose and blocks.
    pub parts: Vec<Part>,
}

impl Step {
    /// All blocks of the step.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.parts.iter().filter_map(|p| match p {
            Part::Block(b) => Some(b),
            _ => None,
        })
    }

    /// The blocks with a given action.
    pub fn blocks_of(&self, action: Action) -> impl Iterator<Item = &Block> {
        self.blocks().filter(move |b| b.action == action)
    }

    /// The step's check script, if any.
    pub fn check(&self) -> Option<&Block> {
        self.blocks_of(Action::Check).next()
    }

    /// The step's solve script, if any.
    pub fn solve(&self) -> Option<&Block> {
        self.blocks_of(Action::Solve).next()
    }
}

/// `node=all`: the block runs on every node of the lesson.
pub const ALL_NODES: &str = "all";

/// A whole lesson file, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedLesson {
    /// The file name as reported in problems.
    pub file: String,
    /// From the `NN-` prefix of the file name.
    pub order: u32,
    /// Validated front matter.
    pub front: FrontMatter,
    /// Content before the first `##`.
    pub intro: Vec<Part>,
    /// The steps.
    pub steps: Vec<Step>,
}

impl ParsedLesson {
    /// The node a block targets: its `node=` or the lesson's first node.
    pub fn node_of<'a>(&'a self, block: &'a Block) -> &'a str {
        block
            .node
            .as_deref()
            .or(self.front.nodes.first().map(String::as_str))
            .unwrap_or("node1")
    }

    /// `block` with the variables of session `session` filled in (its code and path).
    pub fn expanded(block: &Block, session: &protocol::SessionInfo) -> Block {
        let fill = |t: &str| protocol::vars::substitute(t, &session.id, &session.nodes);
        Block { code: fill(&block.code), path: block.path.as_deref().map(fill), ..block.clone() }
    }

    /// The nodes `node` (a block's or script's node) stands for: every declared node for `all`.
    pub fn targets<'a>(&'a self, node: &'a str) -> Vec<&'a str> {
        if node == ALL_NODES {
            self.front.nodes.iter().map(String::as_str).collect()
        } else {
            vec![node]
        }
    }
}
