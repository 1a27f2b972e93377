//! The YAML front matter between the first two `---` lines, validated key by key.

use std::collections::HashMap;

use yaml_serde::Value;

use super::fields::Fields;
use super::model::{Diags, FrontMatter};
pub use super::values::{normalize_image, parse_duration, MAX_NODES};
use super::suggest::did_you_mean;

/// Every key the front matter may have.
pub const KEYS: [&str; 13] = [
    "id", "title", "summary", "lang", "duration", "nodes", "images", "tags", "setup", "background", "solutions",
    "course", "order",
];

/// Parses the YAML text whose first line is line `first` of the file (the opening `---` is
/// `first - 1`). Problems go to `diags`; `None` when a required value is missing or unusable.
pub fn parse(yaml: &str, first: u32, diags: &mut Diags) -> Option<FrontMatter> {
    let open = first - 1;
    if let Some((key, line, earlier)) = duplicate_key(yaml, first) {
        diags.at(line, format!("`{key}` is given twice (first at line {earlier}): keep one"));
        return None;
    }
    let map = match yaml_serde::from_str::<Value>(yaml) {
        Ok(Value::Mapping(m)) => m,
        Ok(Value::Null) => yaml_serde::Mapping::new(),
        Ok(_) => {
            diags.at(
                open,
                "front matter must be a YAML mapping of `key: value` lines",
            );
            return None;
        }
        Err(e) => {
            if let Some((key, line)) = colon_in_value(yaml, first) {
                diags.at(
                    line,
                    format!("the value of `{key}` contains `: `, which YAML reads as a new key: put the value in double quotes, {key}: \"...\""),
                );
                return None;
            }
            let line = e.location().map_or(open, |l| first + l.line() as u32 - 1);
            diags.at(
                line,
                format!(
                    "bad front matter: {}",
                    shift_lines(&e.to_string(), first - 1)
                ),
            );
            return None;
        }
    };
    let lines = key_lines(yaml, first);
    let line_of = |k: &str| lines.get(k).copied().unwrap_or(open);
    let mut fields: HashMap<String, Value> = HashMap::new();
    for (k, v) in map {
        let Some(k) = k.as_str().map(str::to_string) else {
            diags.at(open, "front matter keys must be strings");
            continue;
        };
        if !KEYS.contains(&k.as_str()) {
            diags.at(
                line_of(&k),
                format!(
                    "unknown front matter key `{k}`{} (known: {})",
                    did_you_mean(&k, &KEYS),
                    KEYS.join(", ")
                ),
            );
        }
        fields.insert(k, v);
    }
    let mut f = Fields {
        fields,
        line_of: &line_of,
        open,
        diags,
    };
    let id = f.text("id", true).filter(|id| {
        f.check(
            is_slug(id),
            "id",
            "id must be a slug like `first-containers`",
        )
    });
    let title = f.text("title", true);
    let summary = f.text("summary", true);
    let lang = f.text("lang", true).filter(|l| {
        f.check(
            is_lang(l),
            "lang",
            "lang must be a two-letter code like `es` or `en`",
        )
    });
    let duration = f.duration();
    let (nodes, node_count) = f.nodes();
    let images = f
        .list("images")
        .into_iter()
        .filter_map(|(s, _)| f.image(yaml, first, &s))
        .collect();
    let tags = f.list("tags").into_iter().map(|(s, _)| s).collect();
    let setup = f.node_scripts("setup", yaml, first, &nodes);
    let background = f.node_scripts("background", yaml, first, &nodes);
    let solutions = f.flag("solutions");
    let course = f.text("course", false);
    let order = f.number("order", 1..=9999);
    Some(FrontMatter {
        id: id?,
        title: title?,
        summary: summary?,
        lang: lang?,
        duration_minutes: duration?,
        nodes,
        node_count,
        images,
        tags,
        nodes_line: line_of("nodes"),
        id_line: line_of("id"),
        lang_line: line_of("lang"),
        setup,
        background,
        solutions,
        course,
        order,
    })
}

/// Rewrites the YAML-relative `line N` in a yaml_serde message into file lines.
fn shift_lines(msg: &str, offset: u32) -> String {
    let mut out = String::new();
    let mut rest = msg;
    while let Some(i) = rest.find("line ") {
        out.push_str(&rest[..i + 5]);
        rest = &rest[i + 5..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        match rest[..digits].parse::<u32>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// The top-level lines of the YAML (not indented, not comments or list items), each with its
/// file line; the one scan [`key_lines`], [`duplicate_key`] and [`colon_in_value`] share.
fn top_level_lines(yaml: &str, first: u32) -> impl Iterator<Item = (u32, &str)> {
    yaml.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with([' ', '\t', '#', '-']))
        .map(move |(i, l)| (first + i as u32, l))
}

/// The key of a top-level `key: value` line, without quotes.
fn key_of(line: &str) -> Option<&str> {
    line.split_once(':').map(|(k, _)| k.trim().trim_matches(|c| c == '"' || c == '\''))
}

/// Line of each top-level key (a line starting in column 0 with `key:`).
fn key_lines(yaml: &str, first: u32) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    for (line, l) in top_level_lines(yaml, first) {
        if let Some(k) = key_of(l) {
            out.entry(k.to_string()).or_insert(line);
        }
    }
    out
}

/// The first top-level key given twice: (key, its second line, its first line).
fn duplicate_key(yaml: &str, first: u32) -> Option<(String, u32, u32)> {
    let mut seen: HashMap<&str, u32> = HashMap::new();
    top_level_lines(yaml, first).find_map(|(line, l)| {
        let k = key_of(l)?;
        seen.insert(k, line).map(|earlier| (k.to_string(), line, earlier))
    })
}

/// A top-level `key: value` whose unquoted value holds `: ` (a YAML error people make with
/// titles like `Docker: first steps`): (key, line).
fn colon_in_value(yaml: &str, first: u32) -> Option<(String, u32)> {
    top_level_lines(yaml, first).find_map(|(line, l)| {
        let (k, v) = l.split_once(": ")?;
        let v = v.trim();
        let quoted = v.starts_with(['"', '\'', '[', '{', '|', '>']);
        (!quoted && (v.contains(": ") || v.ends_with(':'))).then(|| (k.trim().to_string(), line))
    })
}

/// Whether `s` is a lesson id: lowercase ASCII letters and digits in dash-separated words.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn is_lang(s: &str) -> bool {
    s.len() == 2 && s.chars().all(|c| c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("45"), Some(45));
        assert_eq!(parse_duration("45m"), Some(45));
        assert_eq!(parse_duration("1h"), Some(60));
        assert_eq!(parse_duration("1h30m"), Some(90));
        assert_eq!(parse_duration("soon"), None);
    }

    #[test]
    fn images_get_a_tag() {
        assert_eq!(
            normalize_image("busybox").as_deref(),
            Some("busybox:latest")
        );
        assert_eq!(
            normalize_image("debian:bookworm").as_deref(),
            Some("debian:bookworm")
        );
        assert_eq!(
            normalize_image("localhost:5000/app").as_deref(),
            Some("localhost:5000/app:latest")
        );
        assert_eq!(normalize_image("bad image"), None);
    }

    #[test]
    fn full_front_matter() {
        let yaml = "id: first-containers\ntitle: T\nsummary: S\nlang: en\nduration: 45m\nnodes: [node1, node3]\nimages:\n  - busybox\ntags: [basics]\n";
        let mut d = Diags::new("f.md");
        let f = parse(yaml, 2, &mut d).unwrap();
        assert!(d.list.is_empty(), "{:?}", d.list);
        assert_eq!(f.duration_minutes, 45);
        assert_eq!(f.nodes, vec!["node1", "node3"]);
        assert_eq!(f.node_count, 3);
        assert_eq!(f.images, vec![("busybox:latest".to_string(), 9)]);
        assert_eq!(f.nodes_line, 7);
    }

    #[test]
    fn solutions_is_a_flag() {
        let base = "id: a\ntitle: T\nsummary: S\nlang: en\nduration: 5\n";
        let mut d = Diags::new("f.md");
        assert!(!parse(base, 1, &mut d).unwrap().solutions);
        assert!(parse(&format!("{base}solutions: true\n"), 1, &mut d).unwrap().solutions);
        assert!(d.list.is_empty(), "{:?}", d.list);
        assert!(!parse(&format!("{base}solutions: yes please\n"), 1, &mut d).unwrap().solutions);
        assert_eq!((d.list[0].line, d.list[0].message.as_str()), (6, "`solutions` must be true or false"));
        let mut d = Diags::new("f.md");
        parse(&format!("{base}solution: true\n"), 1, &mut d);
        assert!(d.list[0].message.contains("(did you mean `solutions`?)"), "{:?}", d.list);
    }

    #[test]
    fn errors_carry_key_lines() {
        let yaml =
            "id: Bad Id\ntitle: T\nsummary: S\nlang: english\nduration: 2\nnodes: 9\ncolour: red\n";
        let mut d = Diags::new("f.md");
        assert!(parse(yaml, 2, &mut d).is_none());
        let got: Vec<(u32, bool)> = d
            .list
            .iter()
            .map(|p| (p.line, !p.message.is_empty()))
            .collect();
        let lines: Vec<u32> = got.iter().map(|g| g.0).collect();
        assert_eq!(lines, vec![8, 2, 5, 6, 7], "{:?}", d.list);
        assert!(d.list[0]
            .message
            .contains("unknown front matter key `colour`"));
    }

    #[test]
    fn yaml_syntax_error_line() {
        let mut d = Diags::new("f.md");
        assert!(parse("id: a\ntitle: [unclosed\n", 2, &mut d).is_none());
        assert_eq!(d.list.len(), 1);
        // The parser notices at the end of the YAML (file line 4) and names where `[` opened.
        assert_eq!(d.list[0].line, 4, "{:?}", d.list);
        assert!(
            d.list[0]
                .message
                .contains("flow sequence at line 3 column 8"),
            "{:?}",
            d.list
        );
    }

    #[test]
    fn duplicate_key_at_its_own_line() {
        let mut d = Diags::new("f.md");
        assert!(parse("id: a\ntitle: T\nsummary: S\nid: b\n", 2, &mut d).is_none());
        assert_eq!(d.list.len(), 1, "{:?}", d.list);
        assert_eq!(d.list[0].line, 5);
        assert!(d.list[0].message.contains("`id` is given twice (first at line 2)"), "{:?}", d.list);
    }

    #[test]
    fn colon_in_a_value_gets_quoting_advice() {
        let mut d = Diags::new("f.md");
        assert!(parse("id: a\ntitle: Docker: first steps\n", 2, &mut d).is_none());
        assert_eq!(d.list.len(), 1, "{:?}", d.list);
        assert_eq!(d.list[0].line, 3);
        assert!(d.list[0].message.contains("put the value in double quotes, title: \"...\""), "{:?}", d.list);
    }

    #[test]
    fn misspelt_key_gets_a_suggestion() {
        let mut d = Diags::new("f.md");
        let _ = parse("id: a\nsumary: S\n", 2, &mut d);
        assert!(d.list.iter().any(|p| p.line == 3 && p.message.contains("`sumary` (did you mean `summary`?)")), "{:?}", d.list);
    }

    const HEAD: &str = "id: a\ntitle: T\nsummary: S\nlang: en\nduration: 5\nnodes: 2\n";

    #[test]
    fn setup_for_every_node_and_background_per_node() {
        let yaml = format!("{HEAD}setup: |\n  touch ready\n  echo hi\nbackground:\n  node2: \"sleep 100\"\n");
        let mut d = Diags::new("f.md");
        let f = parse(&yaml, 2, &mut d).unwrap();
        assert!(d.list.is_empty(), "{:?}", d.list);
        let setup: Vec<(&str, &str, u32)> = f.setup.iter().map(|s| (s.node.as_str(), s.code.as_str(), s.line)).collect();
        assert_eq!(setup, vec![("node1", "touch ready\necho hi\n", 8), ("node2", "touch ready\necho hi\n", 8)]);
        let bg: Vec<(&str, &str, u32)> = f.background.iter().map(|s| (s.node.as_str(), s.code.as_str(), s.line)).collect();
        assert_eq!(bg, vec![("node2", "sleep 100\n", 12)]);
    }

    #[test]
    fn setup_per_node_in_node_order() {
        let yaml = format!("{HEAD}setup:\n  node2: |\n    echo two\n  node1: echo one\n");
        let mut d = Diags::new("f.md");
        let f = parse(&yaml, 2, &mut d).unwrap();
        assert!(d.list.is_empty(), "{:?}", d.list);
        let got: Vec<(&str, u32)> = f.setup.iter().map(|s| (s.node.as_str(), s.line)).collect();
        assert_eq!(got, vec![("node1", 11), ("node2", 9)]);
    }

    #[test]
    fn setup_errors_at_their_lines() {
        let yaml = format!("{HEAD}setup:\n  node1: echo ok\n  nod2: echo typo\n  node3: echo undeclared\n  node2: \"\"\nbackground: [a, b]\n");
        let mut d = Diags::new("f.md");
        let _ = parse(&yaml, 2, &mut d);
        let got: Vec<(u32, &str)> = d.list.iter().map(|p| (p.line, p.message.as_str())).collect();
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0].0, 10);
        assert!(got[0].1.contains("`nod2` is not a node of this lesson (did you mean `node2`?) (nodes: node1, node2)"), "{got:?}");
        assert_eq!(got[1].0, 11);
        assert!(got[1].1.contains("`node3` is not a node of this lesson"), "{got:?}");
        assert_eq!(got[2].0, 12);
        assert!(got[2].1.contains("the script of `node2` must be non-empty text"), "{got:?}");
        assert_eq!(got[3].0, 13);
        assert!(got[3].1.contains("`background` must be a script for every node"), "{got:?}");
    }

    #[test]
    fn misspelt_setup_key_gets_a_suggestion() {
        let mut d = Diags::new("f.md");
        let _ = parse(&format!("{HEAD}setpu: echo\n"), 2, &mut d);
        assert!(d.list.iter().any(|p| p.line == 8 && p.message.contains("(did you mean `setup`?)")), "{:?}", d.list);
    }
}
