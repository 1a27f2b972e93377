//! [`ParsedLesson`] → `protocol::Lesson`: markdown to HTML, blocks without check/solve contents.

use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};

use super::model::{Action, ParsedLesson, Part, Step};

/// The markdown extensions lessons use.
pub const MARKDOWN_OPTIONS: Options = Options::ENABLE_TABLES.union(Options::ENABLE_STRIKETHROUGH);

/// Renders markdown to an HTML fragment that runs no script in a learner's browser (the frontend
/// inserts it as HTML): raw HTML in the source is escaped, not passed through, and a link or
/// image whose URL is not http(s), mailto or relative (`javascript:`, `data:`, `vbscript:`…)
/// loses its tag and keeps only its text. pulldown-cmark escapes every text and attribute it
/// writes, so with no raw HTML and no such URLs nothing else can carry script: no sanitizer
/// (such as ammonia) is needed after it.
pub fn markdown_to_html(md: &str) -> String {
    // Whether each open link / image was dropped, so its end tag goes too.
    let (mut links, mut images) = (Vec::new(), Vec::new());
    let events = Parser::new_ext(md, MARKDOWN_OPTIONS).filter_map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Some(Event::Text(s)),
        Event::Start(Tag::Link { ref dest_url, .. }) => {
            let safe = safe_url(dest_url);
            links.push(safe);
            safe.then_some(e)
        }
        Event::End(TagEnd::Link) => links.pop().unwrap_or(true).then_some(e),
        Event::Start(Tag::Image { ref dest_url, .. }) => {
            let safe = safe_url(dest_url);
            images.push(safe);
            safe.then_some(e)
        }
        Event::End(TagEnd::Image) => images.pop().unwrap_or(true).then_some(e),
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// Whether a lesson may link to `url`: `http:`, `https:`, `mailto:`, or no scheme at all (a
/// relative link, `#anchor`, `//host/path`). Tabs, newlines and other control characters are
/// ignored first, as browsers ignore them (`java\tscript:` is `javascript:`).
pub fn safe_url(url: &str) -> bool {
    let cleaned: String = url.chars().filter(|c| !c.is_ascii_control() && !c.is_whitespace()).collect();
    let scheme_end = cleaned.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')));
    match scheme_end.map(|i| (&cleaned[..i], &cleaned[i..])) {
        Some((scheme, rest)) if rest.starts_with(':') && !scheme.is_empty() => {
            ["http", "https", "mailto"].iter().any(|s| scheme.eq_ignore_ascii_case(s))
        }
        // No `scheme:` before the first `/`, `?` or `#`: relative.
        _ => true,
    }
}

/// The catalog entry for a lesson.
pub fn to_summary(l: &ParsedLesson) -> protocol::LessonSummary {
    let f = &l.front;
    protocol::LessonSummary {
        id: f.id.clone(),
        lang: f.lang.clone(),
        title: f.title.clone(),
        summary: f.summary.clone(),
        duration_minutes: f.duration_minutes,
        nodes: f.node_count,
        tags: f.tags.clone(),
        step_count: l.steps.len() as u32,
        order: l.order,
        course: f.course.clone(),
        images: f.images.iter().map(|(r, _)| r.clone()).collect(),
    }
}

/// The lesson as the browser gets it.
pub fn to_protocol(l: &ParsedLesson) -> protocol::Lesson {
    protocol::Lesson {
        summary: to_summary(l),
        node_names: l.front.nodes.clone(),
        intro: parts(l, &l.intro),
        steps: l.steps.iter().map(|s| step(l, s)).collect(),
    }
}

fn step(l: &ParsedLesson, s: &Step) -> protocol::LessonStep {
    protocol::LessonStep {
        title: s.title.clone(),
        parts: parts(l, &s.parts),
        has_check: s.check().is_some(),
        has_solve: s.solve().is_some(),
        hint: s.check().and_then(|c| c.hint.clone()),
        has_solution: l.front.solutions && (s.solve().is_some() || s.blocks().any(|b| matches!(b.action, Action::Run | Action::File))),
    }
}

/// Markdown of one line (a fold's summary) as inline HTML: no `<p>` around it.
pub fn inline_markdown_to_html(md: &str) -> String {
    let html = markdown_to_html(md);
    let t = html.trim_end();
    t.strip_prefix("<p>").and_then(|t| t.strip_suffix("</p>")).unwrap_or(t).to_string()
}

/// The parts as the browser gets them: the flat `Details` … `EndDetails` markers become nested
/// [`protocol::LessonPart::Details`] (the parser closes every fold it opens).
fn parts(l: &ParsedLesson, parts: &[Part]) -> Vec<protocol::LessonPart> {
    // The parts of the innermost open fold, under the folds that contain it.
    let mut stack: Vec<(String, bool, Vec<protocol::LessonPart>)> = Vec::new();
    let mut top: Vec<protocol::LessonPart> = Vec::new();
    for p in parts {
        match p {
            Part::Details { summary, open, .. } => stack.push((inline_markdown_to_html(summary), *open, Vec::new())),
            Part::EndDetails => {
                if let Some((summary_html, open, inner)) = stack.pop() {
                    let fold = protocol::LessonPart::Details { summary_html, open, parts: inner };
                    stack.last_mut().map_or(&mut top, |s| &mut s.2).push(fold);
                }
            }
            other => {
                if let Some(part) = part(l, other) {
                    stack.last_mut().map_or(&mut top, |s| &mut s.2).push(part);
                }
            }
        }
    }
    // Folds left open (only in a lesson lint rejects) keep their content rather than lose it.
    while let Some((summary_html, open, inner)) = stack.pop() {
        let fold = protocol::LessonPart::Details { summary_html, open, parts: inner };
        stack.last_mut().map_or(&mut top, |s| &mut s.2).push(fold);
    }
    top
}

fn part(l: &ParsedLesson, p: &Part) -> Option<protocol::LessonPart> {
    match p {
        Part::Details { .. } | Part::EndDetails => None,
        Part::Markdown(md) => Some(protocol::LessonPart::Html {
            html: markdown_to_html(md),
        }),
        Part::Block(b) => {
            let kind = match b.action {
                Action::Run => protocol::BlockKind::Run,
                Action::File => protocol::BlockKind::File,
                Action::Plain => protocol::BlockKind::Plain,
                Action::Check | Action::Solve => return None,
            };
            Some(protocol::LessonPart::Block(protocol::LessonBlock {
                id: b.id.clone(),
                kind,
                lang: b.lang.clone(),
                node: l.node_of(b).to_string(),
                code: b.code.clone(),
                path: b.path.clone(),
                interrupt: b.interrupt,
                interactive: b.interactive,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_is_escaped() {
        let h = markdown_to_html("Hi <script>alert(1)</script> **there**\n");
        assert!(h.contains("&lt;script&gt;"), "{h}");
        assert!(h.contains("<strong>there</strong>"), "{h}");
    }

    #[test]
    fn only_safe_links_and_images_keep_their_tag() {
        let h = markdown_to_html(
            "[ok](https://docs.docker.com) [rel](../02-next) [mail](mailto:a@b.c) [x](javascript:alert(1)) \
             [y](<JaVa\tScRiPt:alert(2)>) <javascript:alert(3)> ![img](data:image/svg+xml,<svg/onload=alert(4)>) \
             [z](vbscript:msgbox) ![pic](/img/a.png)\n",
        );
        assert!(h.contains(r#"<a href="https://docs.docker.com">ok</a>"#), "{h}");
        assert!(h.contains(r#"<a href="../02-next">rel</a>"#), "{h}");
        assert!(h.contains(r#"<a href="mailto:a@b.c">mail</a>"#), "{h}");
        assert!(h.contains(r#"<img src="/img/a.png" alt="pic" />"#), "{h}");
        for bad in ["javascript", "JaVa", "data:", "vbscript", "alert(3)"] {
            assert!(!h.contains(&format!("=\"{bad}")) && !h.to_lowercase().contains("href=\"javascript"), "{bad}: {h}");
        }
        assert!(h.contains("mail</a> x y javascript:alert(3) img z"), "{h}");
        assert!(!h.contains("<img src=\"data"), "{h}");
    }

    #[test]
    fn url_schemes() {
        for ok in ["https://x.org", "HTTP://x", "mailto:a@b", "/abs", "rel/a:b", "#top", "?q=1", "//cdn.x/y", "a.png"] {
            assert!(safe_url(ok), "{ok}");
        }
        for bad in ["javascript:x", " javascript:x", "java\nscript:x", "data:text/html,x", "file:///etc", "vbscript:x", "blob:x"] {
            assert!(!safe_url(bad), "{bad}");
        }
    }

    #[test]
    fn details_nest_in_the_protocol_and_keep_blocks_runnable() {
        let text = "---\nid: demo\ntitle: Demo\nsummary: S\nlang: en\nduration: 30\n---\n## One\nBefore\n\
                    <details><summary>Stuck? *Show* <b>me</b></summary>\nOuter\n<details open>\n<summary>Deeper</summary>\n\
                    ```sh run\necho hi\n```\n</details>\n</details>\nAfter\n";
        let (l, p) = crate::lessons::parser::parse("01-demo.md", text);
        assert!(p.is_empty(), "{p:?}");
        let parts = to_protocol(&l.unwrap()).steps.remove(0).parts;
        assert_eq!(parts.len(), 3, "{parts:?}");
        let protocol::LessonPart::Details { summary_html, open: false, parts: outer } = &parts[1] else { panic!("{parts:?}") };
        // Inline markdown, raw HTML escaped, no <p> around it.
        assert_eq!(summary_html, "Stuck? <em>Show</em> &lt;b&gt;me&lt;/b&gt;");
        let protocol::LessonPart::Details { summary_html, open: true, parts: inner } = &outer[1] else { panic!("{outer:?}") };
        assert_eq!(summary_html, "Deeper");
        assert!(matches!(&inner[0], protocol::LessonPart::Block(b) if b.id == "1.1" && b.code == "echo hi\n"), "{inner:?}");
        assert!(matches!(&parts[2], protocol::LessonPart::Html { html } if html == "<p>After</p>\n"), "{parts:?}");
    }

    #[test]
    fn tables_render() {
        let h = markdown_to_html("| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(h.contains("<table>"), "{h}");
    }
}
