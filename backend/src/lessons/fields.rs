//! Typed access to the front matter's values, each problem reported at its key's line.

use std::collections::HashMap;

use yaml_serde::Value;

use super::values::{normalize_image, parse_duration, MAX_NODES};
use super::model::{Diags, NodeScript};
use super::suggest::did_you_mean;

/// The front matter's key/value pairs plus where to report problems.
pub(super) struct Fields<'a, F: Fn(&str) -> u32> {
    pub(super) fields: HashMap<String, Value>,
    pub(super) line_of: &'a F,
    pub(super) open: u32,
    pub(super) diags: &'a mut Diags,
}

impl<F: Fn(&str) -> u32> Fields<'_, F> {
    pub(super) fn check(&mut self, ok: bool, key: &str, msg: &str) -> bool {
        if !ok {
            self.diags.at((self.line_of)(key), msg);
        }
        ok
    }

    pub(super) fn text(&mut self, key: &str, required: bool) -> Option<String> {
        match self.fields.get(key) {
            None | Some(Value::Null) if required => {
                self.diags
                    .at(self.open, format!("front matter is missing `{key}`"));
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(_) => {
                self.diags.at(
                    (self.line_of)(key),
                    format!("`{key}` must be non-empty text"),
                );
                None
            }
        }
    }

    /// A `true`/`false` key; absent is false.
    pub(super) fn flag(&mut self, key: &str) -> bool {
        match self.fields.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.diags.at((self.line_of)(key), format!("`{key}` must be true or false"));
                false
            }
        }
    }

    /// An optional whole number in `range`; absent is `None`.
    pub(super) fn number(&mut self, key: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
        let n = match self.fields.get(key) {
            None | Some(Value::Null) => return None,
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Some(_) => None,
        };
        let ok = n.filter(|n| range.contains(n));
        if ok.is_none() {
            let msg = format!("`{key}` must be a whole number from {} to {}", range.start(), range.end());
            self.diags.at((self.line_of)(key), msg);
        }
        ok
    }

    pub(super) fn duration(&mut self) -> Option<u32> {
        let minutes = match self.fields.get("duration") {
            None | Some(Value::Null) => {
                self.diags
                    .at(self.open, "front matter is missing `duration`");
                return None;
            }
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Some(Value::String(s)) => parse_duration(s),
            Some(_) => None,
        };
        match minutes {
            Some(m) if (5..=480).contains(&m) => Some(m),
            _ => {
                let msg = "duration must be minutes from 5 to 480, like `45` or \"1h30m\"";
                self.diags.at((self.line_of)("duration"), msg);
                None
            }
        }
    }

    pub(super) fn nodes(&mut self) -> (Vec<String>, u8) {
        let line = (self.line_of)("nodes");
        let names: Vec<String> = match self.fields.get("nodes") {
            None | Some(Value::Null) => vec!["node1".into()],
            Some(Value::Number(n)) => match n.as_u64() {
                Some(c) if (1..=u64::from(MAX_NODES)).contains(&c) => (1..=c).map(|i| format!("node{i}")).collect(),
                _ => {
                    self.diags
                        .at(line, format!("nodes must be a count from 1 to {MAX_NODES}"));
                    vec!["node1".into()]
                }
            },
            Some(_) => self.list("nodes").into_iter().map(|(s, _)| s).collect(),
        };
        let mut out: Vec<String> = Vec::new();
        for n in names {
            let idx = n.strip_prefix("node").and_then(|i| i.parse::<u8>().ok());
            if !matches!(idx, Some(1..=MAX_NODES)) || n.starts_with("node0") {
                self.diags.at(
                    line,
                    format!("node `{n}` is not one of node1 … node{MAX_NODES}"),
                );
            } else if out.contains(&n) {
                self.diags.at(line, format!("node `{n}` is listed twice"));
            } else {
                out.push(n);
            }
        }
        if out.is_empty() {
            self.diags
                .at(line, "nodes: the lesson needs at least one node");
            out.push("node1".into());
        }
        let count = out
            .iter()
            .filter_map(|n| n[4..].parse::<u8>().ok())
            .max()
            .unwrap_or(1);
        (out, count)
    }

    /// A list of strings (a single string is accepted as a list of one).
    pub(super) fn list(&mut self, key: &str) -> Vec<(String, u32)> {
        let line = (self.line_of)(key);
        let items = match self.fields.get(key) {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::String(s)) => return vec![(s.clone(), line)],
            Some(Value::Sequence(items)) => items.clone(),
            Some(_) => {
                self.diags.at(line, format!("`{key}` must be a list"));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for v in items {
            match v {
                Value::String(s) => out.push((s, line)),
                other => self
                    .diags
                    .at(line, format!("`{key}`: {other:?} is not text")),
            }
        }
        out
    }

    pub(super) fn image(&mut self, yaml: &str, first: u32, raw: &str) -> Option<(String, u32)> {
        let key_line = (self.line_of)("images");
        // The item's own line: the first line after the key that mentions it.
        let line = yaml
            .lines()
            .enumerate()
            .map(|(i, l)| (first + i as u32, l))
            .find(|(n, l)| *n >= key_line && l.contains(raw))
            .map_or(key_line, |(n, _)| n);
        match normalize_image(raw) {
            Some(r) => Some((r, line)),
            None => {
                self.diags
                    .at(line, format!("`{raw}` is not an image reference"));
                None
            }
        }
    }

    /// `setup:` or `background:`: one script for every node (`key: |` and the script), or a
    /// mapping of declared node names to scripts (`key:` then `  node2: |` …). Unknown node
    /// names and empty or non-text scripts are reported at their line.
    pub(super) fn node_scripts(&mut self, key: &str, yaml: &str, first: u32, nodes: &[String]) -> Vec<NodeScript> {
        let line = (self.line_of)(key);
        let mut out = Vec::new();
        match self.fields.get(key).cloned() {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                if s.trim().is_empty() {
                    self.diags.at(line, format!("`{key}` is empty: give a script, or remove the key"));
                } else {
                    out.extend(nodes.iter().map(|n| NodeScript { node: n.clone(), code: script_text(&s), line }));
                }
            }
            Some(Value::Mapping(m)) => {
                let known: Vec<&str> = nodes.iter().map(String::as_str).collect();
                for (k, v) in m {
                    let Some(node) = k.as_str().map(str::to_string) else {
                        self.diags.at(line, format!("`{key}`: node names are text like `node1`"));
                        continue;
                    };
                    let at = sub_key_line(yaml, first, line, &node);
                    if !known.contains(&node.as_str()) {
                        self.diags.at(
                            at,
                            format!("`{key}`: `{node}` is not a node of this lesson{} (nodes: {})", did_you_mean(&node, &known), known.join(", ")),
                        );
                        continue;
                    }
                    match v {
                        Value::String(s) if !s.trim().is_empty() => out.push(NodeScript { node, code: script_text(&s), line: at }),
                        _ => self.diags.at(at, format!("`{key}`: the script of `{node}` must be non-empty text (use `{node}: |` and the script on the next lines)")),
                    }
                }
                out.sort_by_key(|s| nodes.iter().position(|n| *n == s.node));
            }
            Some(_) => self.diags.at(
                line,
                format!("`{key}` must be a script for every node (`{key}: |` and the script on the next lines) or a mapping of nodes to scripts (`  node1: |`)"),
            ),
        }
        out
    }
}

/// A script ending with one newline.
fn script_text(s: &str) -> String {
    format!("{}\n", s.trim_end())
}

/// The line of `  name:` under the top-level key at `key_line`, else `key_line`.
fn sub_key_line(yaml: &str, first: u32, key_line: u32, name: &str) -> u32 {
    yaml.lines()
        .enumerate()
        .map(|(i, l)| (first + i as u32, l))
        .skip_while(|(n, _)| *n <= key_line)
        .take_while(|(_, l)| l.is_empty() || l.starts_with([' ', '\t', '#']))
        .find(|(_, l)| {
            let t = l.trim_start();
            t.strip_prefix(name).or_else(|| t.strip_prefix(&format!("\"{name}\""))).is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map_or(key_line, |(n, _)| n)
}
