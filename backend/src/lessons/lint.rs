//! Rules a parsed lesson must follow beyond syntax: declared nodes, catalog images, and a way to
//! finish every step.
//!
//! A step without a `check` is a reading step, ticked when the learner presses Next. A step with
//! a `check` must be completable without a person: by a `solve` block, or by replaying its run and
//! file blocks when none of them is `interactive`.

use pulldown_cmark::{Event, Parser, Tag};

use super::images_used::images_used;
use super::model::{Action, Diags, ParsedLesson, Problem, Step, ALL_NODES};
use super::suggest::did_you_mean;
use super::render::{safe_url, MARKDOWN_OPTIONS};

/// Which image references the nodes can pull (the image catalog).
pub trait ImageCatalog {
    /// Whether `reference` (always with a tag, e.g. `busybox:latest`) is available.
    fn contains(&self, reference: &str) -> bool;

    /// What is available, for the message when an image is not (`name:tag` each).
    fn available(&self) -> Vec<String> {
        Vec::new()
    }
}

impl ImageCatalog for crate::images::Catalog {
    fn contains(&self, reference: &str) -> bool {
        crate::images::Catalog::contains(self, reference)
    }

    fn available(&self) -> Vec<String> {
        let named = |i: &crate::images::ImageSpec| match i.tags.as_slice() {
            [only] if only == "latest" => i.name.clone(),
            tags => format!("{} ({})", i.name, tags.join(", ")),
        };
        self.images.iter().map(named).collect()
    }
}

impl<F: Fn(&str) -> bool> ImageCatalog for F {
    fn contains(&self, reference: &str) -> bool {
        self(reference)
    }
}

/// Checks one lesson; returns its problems (empty = the lesson can be served).
pub fn lint(l: &ParsedLesson, images: &dyn ImageCatalog) -> Vec<Problem> {
    let mut d = Diags::new(l.file.clone());
    let missing = |reference: &str| {
        let available = images.available();
        let list = if available.is_empty() { String::new() } else { format!(" (available: {})", available.join(", ")) };
        format!("image `{reference}` is not in the image catalog{list}")
    };
    for (reference, line) in &l.front.images {
        if !images.contains(reference) {
            d.at(*line, missing(reference));
        }
    }
    for used in images_used(l) {
        let tagged = super::frontmatter::normalize_image(&used.reference).unwrap_or_else(|| used.reference.clone());
        if !images.contains(&tagged) {
            d.at(used.line, missing(&used.reference));
        }
    }
    if l.steps.is_empty() {
        d.at(1, "the lesson has no steps: each `## ` heading starts one");
    }
    for b in l.intro.iter().filter_map(|p| match p {
        super::model::Part::Block(b) => Some(b),
        _ => None,
    }) {
        if matches!(b.action, Action::Check | Action::Solve) {
            d.at(
                b.line,
                "`check` and `solve` blocks belong to a step: put them after a `## ` heading",
            );
        }
    }
    let all_blocks = l.intro.iter().chain(l.steps.iter().flat_map(|s| &s.parts));
    for b in all_blocks.filter_map(|p| match p {
        super::model::Part::Block(b) => Some(b),
        _ => None,
    }) {
        if let Some(n) = &b.node {
            if n != ALL_NODES && !l.front.nodes.contains(n) {
                let declared = l.front.nodes.join(", ");
                d.at(
                    b.line,
                    format!("node `{n}` is not declared by the lesson (nodes: {declared}, or `all`)"),
                );
            }
        }
        if b.code.trim().is_empty() && b.action != Action::File {
            d.at(b.line, "empty code block");
        }
    }
    for s in &l.steps {
        lint_step(s, &mut d);
    }
    d.list
}

/// Links and images in the lesson's markdown (`text`, the whole file) whose URL is not http(s),
/// mailto or relative: the renderer drops them, so the author should hear of it.
pub fn lint_links(file: &str, text: &str) -> Vec<Problem> {
    let mut d = Diags::new(file);
    for (event, range) in Parser::new_ext(text, MARKDOWN_OPTIONS).into_offset_iter() {
        let (what, url) = match &event {
            Event::Start(Tag::Link { dest_url, .. }) => ("link", dest_url),
            Event::Start(Tag::Image { dest_url, .. }) => ("image", dest_url),
            _ => continue,
        };
        if !safe_url(url) {
            let line = 1 + text[..range.start].matches('\n').count() as u32;
            let shown: String = url.chars().take(40).collect();
            d.at(line, format!("{what} to `{shown}`: only http(s), mailto and relative links are allowed"));
        }
    }
    d.list
}

/// `{{word.word}}` in the lesson's text (`text`, the whole file) that is not one of its variables
/// (`{{nodeN.ip}}`, `{{nodeN.name}}` for a declared node, `{{session.id}}`): it would reach the
/// student as written. Go templates (`{{.State.Pid}}`, `{{json .}}`) are not variables.
pub fn lint_vars(file: &str, text: &str, nodes: &[String]) -> Vec<Problem> {
    let mut d = Diags::new(file);
    let known = protocol::vars::known_variables(nodes);
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    for (i, line) in text.lines().enumerate() {
        for r in protocol::vars::var_refs(line).into_iter().filter(|r| !known.contains(&r.name)) {
            let name = r.name;
            d.at(
                i as u32 + 1,
                format!(
                    "unknown variable `{{{{{name}}}}}`{}: a lesson with nodes {} has {}",
                    did_you_mean(name, &known),
                    nodes.join(", "),
                    known.iter().map(|k| format!("`{{{{{k}}}}}`")).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    d.list
}

/// Bold text that names a button of the UI in another language than the lesson's
/// (`Pulsa **Run**` in a Spanish lesson, whose UI says **Ejecutar**): the student would look for
/// a button that is not there. Code spans and blocks are not text and are not checked.
pub fn lint_button_names(file: &str, text: &str, lang: &str) -> Vec<Problem> {
    let mut d = Diags::new(file);
    let mut strong: Option<(usize, String)> = None;
    for (event, range) in Parser::new_ext(text, MARKDOWN_OPTIONS).into_offset_iter() {
        match (&event, strong.as_mut()) {
            (Event::Start(Tag::Strong), _) => strong = Some((range.start, String::new())),
            (Event::Text(t), Some((_, acc))) => acc.push_str(t),
            (Event::End(pulldown_cmark::TagEnd::Strong), Some(_)) => {
                let (start, name) = strong.take().unwrap_or_default();
                if let Some(right) = protocol::labels::wrong_language(&name, lang) {
                    let line = 1 + text[..start].matches('\n').count() as u32;
                    d.at(
                        line,
                        format!("`**{}**` names a button the `{lang}` UI labels `**{right}**`: use its name", name.trim()),
                    );
                }
            }
            _ => {}
        }
    }
    d.list
}

fn lint_step(s: &Step, d: &mut Diags) {
    for action in [Action::Check, Action::Solve] {
        if let Some(extra) = s.blocks_of(action).nth(1) {
            d.at(
                extra.line,
                format!(
                    "a step has at most one `{action:?}` block",
                    action = lower(action)
                ),
            );
        }
    }
    let runs: Vec<_> = s
        .blocks()
        .filter(|b| matches!(b.action, Action::Run | Action::File))
        .collect();
    let interactive = runs.iter().find(|b| b.interactive);
    match (s.check(), s.solve()) {
        (None, Some(solve)) => d.at(
            solve.line,
            "`solve` without a `check`: nothing would confirm the step is done",
        ),
        (Some(_), None) if runs.is_empty() => d.at(
            s.line,
            format!(
                "step `{}` has a check but no way to finish: add run or file blocks, or a solve",
                s.title
            ),
        ),
        (Some(_), None) => {
            if let Some(b) = interactive {
                d.at(b.line, "an `interactive` run block needs a `solve` block in its step (for Skip and tests)");
            }
        }
        _ => {}
    }
    if s.check().is_none() {
        if let Some(b) = interactive {
            d.at(
                b.line,
                "an `interactive` run block needs a `check` and a `solve` in its step",
            );
        }
    }
}

fn lower(a: Action) -> String {
    format!("{a:?}").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::parser::parse;

    fn lint_text(body: &str) -> Vec<(u32, String)> {
        let text = format!("---\nid: t\ntitle: T\nsummary: S\nlang: en\nduration: 30\nnodes: 2\nimages: [busybox, nginx]\n---\n{body}");
        let (l, p) = parse("01-t.md", &text);
        assert!(p.is_empty(), "{p:?}");
        let known = |r: &str| r == "busybox:latest";
        lint(&l.unwrap(), &known)
            .into_iter()
            .map(|p| (p.line, p.message))
            .collect()
    }

    #[test]
    fn good_steps_pass_but_unknown_image_does_not() {
        let p = lint_text(
            "## Read\nJust text.\n## Do\n```sh run node=node2\nls\n```\n```check\ntrue\n```\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0, 8);
        assert!(p[0].1.contains("nginx:latest"));
    }

    #[test]
    fn finish_rules() {
        let body = "## A\n```check\ntrue\n```\n## B\n```sh run interactive\nsh\n```\n```check\ntrue\n```\n## C\n```solve\ntrue\n```\n## D\n```sh run node=node4\nls\n```\n";
        let p: Vec<u32> = lint_text(body)
            .into_iter()
            .map(|p| p.0)
            .filter(|l| *l != 8)
            .collect();
        // A: line 10 (no way to finish); B: interactive run at 15; C: solve at 22; D: node4 at 26.
        assert_eq!(p, vec![26, 10, 15, 22]);
    }

    #[test]
    fn unsafe_links_are_reported_at_their_line() {
        let text = "---\nid: t\n---\nSee [docs](https://docs.docker.com).\n\n```sh\n[not](javascript:a)\n```\nClick [me](javascript:alert(1))\nand ![x](data:image/png;base64,AA)\n";
        let p: Vec<(u32, String)> = lint_links("f.md", text).into_iter().map(|p| (p.line, p.message)).collect();
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].0, 9);
        assert!(p[0].1.starts_with("link to `javascript:alert(1)`: only http(s)"), "{p:?}");
        assert_eq!(p[1].0, 10);
        assert!(p[1].1.starts_with("image to `data:image/png;base64,AA`"), "{p:?}");
    }

    #[test]
    fn check_in_intro_is_an_error() {
        let p = lint_text("```check\ntrue\n```\n## A\ntext\n");
        assert!(
            p.iter()
                .any(|(l, m)| *l == 10 && m.contains("belong to a step")),
            "{p:?}"
        );
    }

    #[test]
    fn images_in_blocks_are_checked_and_the_error_lists_the_catalog() {
        let catalog = crate::images::Catalog::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../images/catalog.yaml")).unwrap();
        let text = "---\nid: t\ntitle: T\nsummary: S\nlang: en\nduration: 30\n---\n## A\n```sh run\ndocker run --rm busybox true\ndocker run -it alpine sh\n```\n";
        let (l, p) = parse("01-t.md", text);
        assert!(p.is_empty(), "{p:?}");
        let p = lint(&l.unwrap(), &catalog);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].line, 11);
        assert!(p[0].message.starts_with("image `alpine` is not in the image catalog (available: "), "{p:?}");
        assert!(p[0].message.contains("busybox, "), "{p:?}");
        assert!(p[0].message.contains("debian (bookworm, "), "{p:?}");
    }

    #[test]
    fn buttons_are_named_as_the_lessons_ui_labels_them() {
        let text = "---\nid: t\nlang: es\n---\nPulsa **Run** y luego **Comprobar**.\n\n**Nota**: `**Run**` en código no cuenta.\n\n## A\nO **Check**.\n";
        let p: Vec<(u32, String)> = lint_button_names("f.md", text, "es").into_iter().map(|p| (p.line, p.message)).collect();
        assert_eq!(p.iter().map(|p| p.0).collect::<Vec<_>>(), [5, 10], "{p:?}");
        assert_eq!(p[0].1, "`**Run**` names a button the `es` UI labels `**Ejecutar**`: use its name");
        assert!(p[1].1.contains("`**Comprobar**`"), "{p:?}");
        assert!(lint_button_names("f.md", "Press **Run**, then **Check**.\n", "en").is_empty());
    }

    #[test]
    fn node_all_is_allowed() {
        let p = lint_text("## A\n```sh run node=all\nls\n```\n```check node=all\ntrue\n```\n```solve node=all\ntrue\n```\n");
        assert_eq!(p.iter().filter(|(l, _)| *l != 8).count(), 0, "{p:?}");
    }

    #[test]
    fn unknown_variables_are_reported_at_their_line_and_go_templates_are_not() {
        let text = "---\nid: t\nnodes: 2\n---\n## A\nPing {{node2.ip}} from {{ node1.name }} ({{session.id}}).\n\
            ```sh run\nping {{node7.ip}}\ndocker inspect --format '{{.State.Pid}}' web\ndocker inspect --format '{{json .}}' web\n\
            echo {{nod1.ip}} {{node1.mac}}\n```\n";
        let nodes = vec!["node1".to_string(), "node2".to_string()];
        let p: Vec<(u32, String)> = lint_vars("f.md", text, &nodes).into_iter().map(|p| (p.line, p.message)).collect();
        assert_eq!(p.iter().map(|p| p.0).collect::<Vec<_>>(), [8, 11, 11], "{p:?}");
        assert!(p[0].1.starts_with("unknown variable `{{node7.ip}}` (did you mean `node1.ip`?)"), "{p:?}");
        assert!(p[1].1.contains("`{{nod1.ip}}` (did you mean `node1.ip`?)"), "{p:?}");
        assert!(p[1].1.contains("a lesson with nodes node1, node2 has `{{session.id}}`, `{{node1.ip}}`"), "{p:?}");
        assert!(p[2].1.starts_with("unknown variable `{{node1.mac}}`"), "{p:?}");
    }
}
