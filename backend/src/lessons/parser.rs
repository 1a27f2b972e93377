//! Lesson file → [`ParsedLesson`]: front matter, `##` steps, fenced blocks with their info strings.
//!
//! The scan is line-based so every problem carries the 1-based line of the file; the prose between
//! blocks is kept as markdown source and rendered later (see `render`).

use super::frontmatter;
use super::info;
use super::model::{Action, Block, Diags, ParsedLesson, Part, Step};

/// Parses a lesson file. `file` is the name used in problems; the order comes from its `NN-`
/// prefix. Returns the lesson when it could be built at all, plus every problem found.
pub fn parse(file: &str, text: &str) -> (Option<ParsedLesson>, Vec<crate::lessons::Problem>) {
    let mut diags = Diags::new(file);
    let order = order_from_name(file, &mut diags);
    let lines: Vec<&str> = text.lines().collect();
    let Some((yaml_end, body_start)) = front_matter_bounds(&lines, &mut diags) else {
        return (None, diags.list);
    };
    let yaml = lines[1..yaml_end].join("\n");
    let front = frontmatter::parse(&yaml, 2, &mut diags);
    let (intro, steps) = scan_body(&lines, body_start, &mut diags);
    let lesson = front.map(|front| ParsedLesson {
        file: file.to_string(),
        order,
        front,
        intro,
        steps,
    });
    (lesson, diags.list)
}

/// `NN-slug.md` → NN. A name without the prefix is a problem at line 1.
fn order_from_name(file: &str, diags: &mut Diags) -> u32 {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let parsed = name
        .strip_suffix(".md")
        .and_then(|stem| stem.split_once('-'))
        .filter(|(nn, slug)| {
            !slug.is_empty() && nn.len() >= 2 && nn.chars().all(|c| c.is_ascii_digit())
        })
        .and_then(|(nn, _)| nn.parse().ok());
    parsed.unwrap_or_else(|| {
        diags.at(
            1,
            format!(
                "file name `{name}` must look like `NN-slug.md`, e.g. `01-first-containers.md`"
            ),
        );
        0
    })
}

/// Index of the closing `---` and of the first body line.
fn front_matter_bounds(lines: &[&str], diags: &mut Diags) -> Option<(usize, usize)> {
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        diags.at(
            1,
            "the file must start with front matter: a `---` line, YAML, and another `---`",
        );
        return None;
    }
    match lines.iter().skip(1).position(|l| l.trim_end() == "---") {
        Some(i) => Some((i + 1, i + 2)),
        None => {
            diags.at(1, "front matter is not closed by a `---` line");
            None
        }
    }
}

/// An opening fence: its character, length, indent and info string.
fn fence_open(line: &str) -> Option<(char, usize, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let ch = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|c| *c == ch).count();
    let info = rest[len..].trim();
    (len >= 3).then_some((ch, len, indent, info))
}

fn fence_closes(line: &str, ch: char, len: usize) -> bool {
    let t = line.trim();
    t.len() >= len && t.chars().all(|c| c == ch)
}

struct Open {
    line: u32,
    ch: char,
    len: usize,
    indent: usize,
    info: String,
    code: String,
}

/// Splits the body into intro parts and steps.
fn scan_body(lines: &[&str], start: usize, diags: &mut Diags) -> (Vec<Part>, Vec<Step>) {
    let mut intro: Vec<Part> = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut prose = String::new();
    let mut open: Option<Open> = None;
    for (i, &line) in lines.iter().enumerate().skip(start) {
        let n = i as u32 + 1;
        let step_no = steps.len();
        let parts = steps.last_mut().map_or(&mut intro, |s| &mut s.parts);
        if let Some(o) = open.as_mut() {
            if fence_closes(line, o.ch, o.len) {
                let o = open.take().expect("checked above");
                let ordinal = parts
                    .iter()
                    .filter(|p| matches!(p, Part::Block(b) if !b.id.is_empty()))
                    .count();
                parts.push(Part::Block(make_block(o, step_no, ordinal, diags)));
            } else {
                if let Some((ch, len, _, info)) = fence_open(line).filter(|f| f.0 == o.ch && f.1 >= o.len && !f.3.is_empty()) {
                    // A closing fence has no info string, so this line is code to CommonMark;
                    // what the author meant is a new block after a missing closing fence.
                    let fence: String = std::iter::repeat_n(ch, len).collect();
                    diags.at(
                        n,
                        format!(
                            "this fence line ({fence}{info}) opens a block inside the block opened \
                             at line {}: that block has no closing {fence} before line {n}",
                            o.line
                        ),
                    );
                }
                let strip = line.len() - line.trim_start_matches(' ').len();
                o.code.push_str(&line[strip.min(o.indent)..]);
                o.code.push('\n');
            }
        } else if let Some((ch, len, indent, info)) = fence_open(line) {
            flush(&mut prose, parts);
            if ch == '`' && info.contains('`') {
                // CommonMark would not see a fence here; say so instead of misreading the rest.
                diags.at(n, "a ``` fence's info string cannot contain backticks (drop them, or fence with ~~~)");
            }
            open = Some(Open {
                line: n,
                ch,
                len,
                indent,
                info: info.to_string(),
                code: String::new(),
            });
        } else if let Some(title) = line
            .strip_prefix("##")
            .filter(|r| r.is_empty() || r.starts_with([' ', '\t']))
        {
            flush(&mut prose, parts);
            let title = title.trim().trim_end_matches('#').trim().to_string();
            if title.is_empty() {
                diags.at(n, "step heading `##` has no title");
            }
            steps.push(Step {
                title,
                line: n,
                parts: Vec::new(),
            });
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    if let Some(o) = open {
        diags.at(o.line, "code block is never closed (missing closing fence)");
    }
    flush(
        &mut prose,
        steps.last_mut().map_or(&mut intro, |s| &mut s.parts),
    );
    (intro, steps)
}

fn flush(prose: &mut String, parts: &mut Vec<Part>) {
    if !prose.trim().is_empty() {
        parts.push(Part::Markdown(std::mem::take(prose)));
    }
    prose.clear();
}

/// Builds a block from its fence; `step` is 1-based (0 = intro), `ordinal` counts earlier
/// browser-visible blocks in the same step.
fn make_block(o: Open, step: usize, ordinal: usize, diags: &mut Diags) -> Block {
    let (info, errs) = info::parse(&o.info);
    for e in errs {
        diags.at(o.line, e);
    }
    let action = info.action.unwrap_or(Action::Plain);
    let id = match action {
        Action::Check | Action::Solve => String::new(),
        _ => format!("{step}.{}", ordinal + 1),
    };
    Block {
        line: o.line,
        id,
        action,
        lang: info.lang,
        node: info.node,
        code: o.code,
        path: info.path,
        interrupt: info.interrupt,
        interactive: info.interactive,
        hint: info.hint,
        fail: info.fail,
        timeout_secs: info.timeout_secs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nid: demo\ntitle: Demo\nsummary: S\nlang: en\nduration: 30\n---\nIntro.\n\n## One\nText\n```sh run\ndocker ps\n```\n```check hint=\"do it\"\ndocker ps -a | grep -q x\n```\n## Two ##\n~~~~\n```\nnested\n```\n~~~~\n";

    #[test]
    fn splits_steps_and_blocks() {
        let (l, p) = parse("lessons/en/01-demo.md", GOOD);
        assert!(p.is_empty(), "{p:?}");
        let l = l.unwrap();
        assert_eq!(l.order, 1);
        assert_eq!(l.intro, vec![Part::Markdown("Intro.\n\n".into())]);
        assert_eq!(l.steps.len(), 2);
        assert_eq!((l.steps[0].title.as_str(), l.steps[0].line), ("One", 10));
        let run = l.steps[0].blocks_of(Action::Run).next().unwrap();
        assert_eq!(
            (run.id.as_str(), run.line, run.code.as_str()),
            ("1.1", 12, "docker ps\n")
        );
        let check = l.steps[0].check().unwrap();
        assert_eq!(
            (check.hint.as_deref(), check.id.as_str()),
            (Some("do it"), "")
        );
        assert_eq!(l.steps[1].title, "Two");
        let plain = l.steps[1].blocks().next().unwrap();
        assert_eq!(
            (plain.action, plain.code.as_str()),
            (Action::Plain, "```\nnested\n```\n")
        );
    }

    #[test]
    fn unclosed_fence_and_front_matter() {
        let (_, p) = parse("01-x.md", "---\nid: x\n");
        assert_eq!(p[0].line, 1);
        let text = GOOD.replace("~~~~\n```\nnested\n```\n~~~~\n", "```sh\nopen\n");
        let (_, p) = parse("01-demo.md", &text);
        assert_eq!(
            p.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![19],
            "{p:?}"
        );
    }

    #[test]
    fn file_name_needs_order() {
        let (l, p) = parse("demo.md", GOOD);
        assert!(l.is_some());
        assert_eq!((p[0].line, p[0].message.contains("NN-slug.md")), (1, true));
    }

    #[test]
    fn a_fence_inside_a_block_means_a_missing_closing_fence() {
        let text = GOOD.replace("docker ps\n```\n```check", "docker ps\n```check");
        let (_, p) = parse("01-demo.md", &text);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].line, 14);
        assert!(p[0].message.contains("inside the block opened at line 12"), "{p:?}");
        assert!(p[0].message.contains("that block has no closing \u{60}\u{60}\u{60} before line 14"), "{p:?}");
    }
}
