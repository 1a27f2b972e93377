//! [`ParsedLesson`] → `protocol::Lesson`: markdown to HTML, blocks without check/solve contents.

use pulldown_cmark::{html, Event, Options, Parser};

use super::model::{Action, ParsedLesson, Part, Step};

/// Renders markdown to an HTML fragment. Raw HTML in the source is escaped, not passed through:
/// lesson files should not be able to run script in a learner's browser.
pub fn markdown_to_html(md: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(md, options).map(|e| match e {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
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
    }
}

/// The lesson as the browser gets it.
pub fn to_protocol(l: &ParsedLesson) -> protocol::Lesson {
    protocol::Lesson {
        summary: to_summary(l),
        node_names: l.front.nodes.clone(),
        images: l.front.images.iter().map(|(r, _)| r.clone()).collect(),
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
    }
}

fn parts(l: &ParsedLesson, parts: &[Part]) -> Vec<protocol::LessonPart> {
    parts
        .iter()
        .filter_map(|p| match p {
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
        })
        .collect()
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
    fn tables_render() {
        let h = markdown_to_html("| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(h.contains("<table>"), "{h}");
    }
}
