//! Lesson variables: `{{node2.ip}}`, `{{node1.name}}`, `{{session.id}}` in lesson text and blocks.
//!
//! A lesson is rendered once for everyone, so the values are filled in where the session is
//! known: by the browser for what it shows and types, by the server for what it runs. Only those
//! exact forms are variables (spaces inside the braces allowed); every other `{{…}}` — Go
//! templates such as `docker inspect --format '{{.State.Pid}}'` or `{{json .}}` — is left alone.
//! Shared by the backend and the frontend; pure functions, no dependencies.

use crate::NodeInfo;

/// Most nodes a lesson can name (`node1` … `node5`).
const MAX_NODE: u8 = 5;

/// A `{{ … }}` whose inside has the shape of a variable (`word.word`), known or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRef<'a> {
    /// Byte offset of the opening `{{`.
    pub start: usize,
    /// Byte offset just after the closing `}}`.
    pub end: usize,
    /// The inside without surrounding spaces, e.g. `node2.ip`.
    pub name: &'a str,
}

/// Every `{{ word.word }}` in `text`, in order (on one line each). Go templates (`{{.Name}}`,
/// `{{json .}}`, `{{range .X}}`) do not have this shape and are not returned.
pub fn var_refs(text: &str) -> Vec<VarRef<'_>> {
    let mut refs = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let inner_start = open + 2;
        let Some(close) = text[inner_start..].find("}}").map(|i| inner_start + i) else { break };
        let inner = &text[inner_start..close];
        if !inner.contains('\n') && is_var_shape(inner.trim_matches(' ')) {
            refs.push(VarRef { start: open, end: close + 2, name: inner.trim_matches(' ') });
            from = close + 2;
        } else {
            from = inner_start;
        }
    }
    refs
}

fn is_var_shape(s: &str) -> bool {
    let ident = |w: &str| {
        let mut chars = w.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    matches!(s.split_once('.'), Some((a, b)) if ident(a) && ident(b))
}

/// The node number of `nodeN` (1–5).
fn node_number(name: &str) -> Option<u8> {
    let n: u8 = name.strip_prefix("node")?.parse().ok()?;
    (name.len() == 5 && (1..=MAX_NODE).contains(&n)).then_some(n)
}

/// Every variable a lesson with `nodes` (`node1`, …) may use.
pub fn known_variables(nodes: &[String]) -> Vec<String> {
    let mut known = vec!["session.id".to_string()];
    for n in nodes.iter().filter(|n| node_number(n).is_some()) {
        known.push(format!("{n}.ip"));
        known.push(format!("{n}.name"));
    }
    known
}

/// `text` with each variable that `value` knows replaced by its value; everything else unchanged.
pub fn substitute_with(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in var_refs(text) {
        if let Some(v) = value(r.name) {
            out.push_str(&text[last..r.start]);
            out.push_str(&v);
            last = r.end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// The value of variable `name` in a session `session_id` with `nodes`.
pub fn session_value(name: &str, session_id: &str, nodes: &[NodeInfo]) -> Option<String> {
    if name == "session.id" {
        return Some(session_id.to_string());
    }
    let (node, field) = name.split_once('.')?;
    node_number(node)?;
    let info = nodes.iter().find(|n| n.name == node)?;
    match field {
        "ip" if !info.ip.is_empty() => Some(info.ip.clone()),
        "name" => Some(info.name.clone()),
        _ => None,
    }
}

/// `text` with the session's variables filled in (unknown ones stay as written).
pub fn substitute(text: &str, session_id: &str, nodes: &[NodeInfo]) -> String {
    substitute_with(text, |name| session_value(name, session_id, nodes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NodeStatus;

    fn nodes() -> Vec<NodeInfo> {
        ["10.200.0.2", "10.200.0.3"]
            .iter()
            .enumerate()
            .map(|(i, ip)| NodeInfo { name: format!("node{}", i + 1), ip: (*ip).into(), status: NodeStatus::Running })
            .collect()
    }

    #[test]
    fn fills_in_node_and_session_variables() {
        let t = "ping -c1 {{node2.ip}} from {{ node1.name }} in {{session.id}}\n";
        assert_eq!(substitute(t, "abc123", &nodes()), "ping -c1 10.200.0.3 from node1 in abc123\n");
    }

    #[test]
    fn go_templates_and_unknown_variables_are_untouched() {
        for t in [
            "docker inspect --format '{{.State.Pid}}' web",
            "docker inspect --format '{{json .}}' web",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            "{{node7.ip}} {{nod1.ip}} {{node1.mac}} {{ node2.ip\n}}",
            "{{ {{",
        ] {
            assert_eq!(substitute(t, "s", &nodes()), t, "{t}");
        }
        assert!(var_refs("--format '{{.State.Pid}}' {{json .}}").is_empty());
    }

    #[test]
    fn finds_variable_shapes_with_offsets() {
        let t = "a {{nod1.ip}} b {{ node2.name }}";
        let r = var_refs(t);
        assert_eq!(r.iter().map(|r| r.name).collect::<Vec<_>>(), ["nod1.ip", "node2.name"]);
        assert_eq!(&t[r[1].start..r[1].end], "{{ node2.name }}");
        assert_eq!(known_variables(&["node1".into()]), ["session.id", "node1.ip", "node1.name"]);
    }
}
