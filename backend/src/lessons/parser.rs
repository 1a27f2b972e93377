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
        order: front.order.unwrap_or(order),
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
    // Lines of the `<details>` still open, innermost last, and the index (in the current parts)
    // of one still waiting for its `<summary>` line.
    let mut details: Vec<u32> = Vec::new();
    let mut awaiting_summary: Option<usize> = None;
    for (i, &line) in lines.iter().enumerate().skip(start) {
        let n = i as u32 + 1;
        let step_no = steps.len();
        let parts = steps.last_mut().map_or(&mut intro, |s| &mut s.parts);
        if open.is_none() {
            if let Some(at) = awaiting_summary {
                if line.trim().is_empty() {
                    continue;
                }
                awaiting_summary = None;
                if let (Some(text), Some(Part::Details { summary, .. })) = (summary_line(line), parts.get_mut(at)) {
                    *summary = text.to_string();
                    continue;
                }
                let opened = details.last().copied().unwrap_or(n);
                diags.at(opened, "a `<details>` needs its `<summary>…</summary>` line right after it (the text shown folded)");
            }
            if let Some((open_attr, summary)) = details_open(line) {
                flush(&mut prose, parts);
                details.push(n);
                parts.push(Part::Details { summary: summary.unwrap_or_default().to_string(), open: open_attr, line: n });
                if summary.is_none() {
                    awaiting_summary = Some(parts.len() - 1);
                }
                continue;
            }
            if is_details_close(line) {
                flush(&mut prose, parts);
                if details.pop().is_some() {
                    parts.push(Part::EndDetails);
                } else {
                    diags.at(n, "`</details>` without a `<details>` before it in this step");
                }
                continue;
            }
            if summary_line(line).is_some() {
                diags.at(n, "`<summary>` belongs right after a `<details>` line");
                continue;
            }
        }
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
            close_details(&mut details, parts, Some(n), diags);
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
    let parts = steps.last_mut().map_or(&mut intro, |s| &mut s.parts);
    flush(&mut prose, parts);
    close_details(&mut details, parts, None, diags);
    (intro, steps)
}

/// `<details>` / `<details open>`, alone on its line or followed by its `<summary>…</summary>`:
/// whether it is open, and the summary when on the same line. At most three spaces of indent, as
/// for other markdown blocks.
fn details_open(line: &str) -> Option<(bool, Option<&str>)> {
    let t = line.trim_end();
    let t = t.strip_prefix("   ").or(t.strip_prefix("  ")).or(t.strip_prefix(' ')).unwrap_or(t);
    let rest = t.strip_prefix("<details")?;
    let (attrs, after) = rest.split_once('>')?;
    let open = match attrs.trim() {
        "" => false,
        "open" => true,
        _ => return None,
    };
    let after = after.trim();
    if after.is_empty() {
        return Some((open, None));
    }
    summary_line(after).map(|s| (open, Some(s)))
}

/// `<summary>text</summary>` on one line: the text.
fn summary_line(line: &str) -> Option<&str> {
    let t = line.trim();
    let inner = t.strip_prefix("<summary>")?.strip_suffix("</summary>")?;
    Some(inner.trim())
}

fn is_details_close(line: &str) -> bool {
    line.trim() == "</details>"
}

/// Closes every `<details>` still open where a step (heading at `heading`) or the file (`None`)
/// ends, with a problem at each opening line.
fn close_details(details: &mut Vec<u32>, parts: &mut Vec<Part>, heading: Option<u32>, diags: &mut Diags) {
    let place = match heading {
        Some(n) => format!("before the next step (line {n})"),
        None => "before the end of the file".to_string(),
    };
    while let Some(opened) = details.pop() {
        parts.push(Part::EndDetails);
        diags.at(opened, format!("`<details>` is not closed {place}: add a `</details>` line (a fold ends within its step)"));
    }
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
    fn details_fold_blocks_and_keep_their_ids() {
        let text = GOOD.replace(
            "Text\n```sh run\ndocker ps\n```\n",
            "Text\n<details>\n<summary>Why **ps**?</summary>\n\nInside.\n```sh run\ndocker ps\n```\n</details>\n<details open><summary>Two</summary>\nB\n</details>\n",
        );
        let (l, p) = parse("01-demo.md", &text);
        assert!(p.is_empty(), "{p:?}");
        let parts = &l.unwrap().steps[0].parts;
        assert!(matches!(&parts[1], Part::Details { summary, open: false, line: 12 } if summary == "Why **ps**?"), "{parts:?}");
        assert!(matches!(&parts[3], Part::Block(b) if b.id == "1.1" && b.line == 16), "{parts:?}");
        assert_eq!(parts[4], Part::EndDetails);
        assert!(matches!(&parts[5], Part::Details { summary, open: true, .. } if summary == "Two"), "{parts:?}");
        assert_eq!((&parts[6], &parts[7]), (&Part::Markdown("B\n".into()), &Part::EndDetails));
    }

    #[test]
    fn details_problems_at_their_lines() {
        // Not closed before the next step; no summary; a stray close and a stray summary.
        let text = GOOD.replace("Text\n", "Text\n<details>\nno summary\n").replace("## Two ##\n", "## Two ##\n</details>\n<summary>x</summary>\n");
        let (l, p) = parse("01-demo.md", &text);
        let got: Vec<(u32, &str)> = p.iter().map(|p| (p.line, p.message.as_str())).collect();
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[0].0 == 12 && got[0].1.contains("<summary>"), "{got:?}");
        assert!(got[1].0 == 12 && got[1].1.contains("not closed before the next step (line 20)"), "{got:?}");
        assert!(got[2].0 == 21 && got[2].1.contains("without a `<details>`"), "{got:?}");
        assert!(got[3].0 == 22 && got[3].1.contains("right after a `<details>`"), "{got:?}");
        // The fold still ends within its step, so the steps' content is whole.
        assert_eq!(l.unwrap().steps[0].parts.iter().filter(|p| **p == Part::EndDetails).count(), 1);
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
