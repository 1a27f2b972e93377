//! The images a lesson's blocks name: `docker run|create|pull IMAGE`, `docker service create
//! IMAGE`, `FROM IMAGE` in Dockerfiles and `image:` in compose files, so lint can check them
//! against the catalog before a student meets a pull error. Images the lesson builds or tags
//! itself, references with a registry host, and ones spelt with shell variables are not checked.

use std::collections::BTreeSet;

use super::model::{Action, Block, ParsedLesson};

/// An image named by a block, with the file line that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUse {
    /// As written (`alpine`, `nginx:1.25`).
    pub reference: String,
    /// 1-based line in the lesson file.
    pub line: u32,
}

/// Every checkable image the lesson's action blocks name, in file order.
pub fn images_used(l: &ParsedLesson) -> Vec<ImageUse> {
    let blocks: Vec<&Block> = l
        .intro
        .iter()
        .chain(l.steps.iter().flat_map(|s| &s.parts))
        .filter_map(|p| match p {
            super::model::Part::Block(b) if b.action != Action::Plain => Some(b),
            _ => None,
        })
        .collect();
    let built: BTreeSet<String> = blocks.iter().flat_map(|b| built_here(&b.code)).collect();
    let mut out = Vec::new();
    for b in blocks {
        let path = b.path.as_deref().unwrap_or("");
        let found = if b.action == Action::File && (b.lang.eq_ignore_ascii_case("dockerfile") || path.rsplit('/').next().is_some_and(|n| n.starts_with("Dockerfile") || n.ends_with(".Dockerfile"))) {
            from_lines(&b.code)
        } else if b.action == Action::File && (path.ends_with(".yml") || path.ends_with(".yaml")) {
            compose_images(&b.code)
        } else if b.action == Action::File {
            Vec::new()
        } else {
            docker_commands(&b.code)
        };
        for (offset, reference) in found {
            if checkable(&reference) && !built.contains(&bare(&reference)) {
                out.push(ImageUse { reference, line: b.line + 1 + offset });
            }
        }
    }
    out
}

/// Shell lines with their continuations joined: (index of the first line, words).
fn commands(code: &str) -> Vec<(u32, Vec<String>)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, line) in code.lines().enumerate() {
        if current.is_empty() {
            start = i as u32;
        }
        match line.trim_end().strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                for part in current.split(['|', ';', '&', '(', ')', '`']) {
                    let words: Vec<String> = part
                        .split_whitespace()
                        .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
                        .collect();
                    out.push((start, words));
                }
                current.clear();
            }
        }
    }
    out
}

/// Short options of `docker run/create/service create/pull` that take a value.
const SHORT_WITH_VALUE: &str = "acehlmpuvw";
/// Long options that take no value.
const LONG_FLAGS: [&str; 16] = [
    "rm", "init", "privileged", "read-only", "detach", "interactive", "tty", "publish-all",
    "no-healthcheck", "oom-kill-disable", "disable-content-trust", "quiet", "help",
    "no-resolve-image", "with-registry-auth", "all-tags",
];

/// `docker [container|image] run|create|pull …` and `docker service create …`: the image word.
fn docker_commands(code: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for (line, words) in commands(code) {
        let Some(d) = words.iter().position(|w| w == "docker") else { continue };
        let mut rest = words[d + 1..].iter().map(String::as_str).peekable();
        let sub = match (rest.next(), rest.peek().copied()) {
            (Some("container" | "image"), Some(s @ ("run" | "create" | "pull"))) => s,
            (Some("service"), Some("create")) => "create",
            (Some(s @ ("run" | "create" | "pull")), _) => {
                out.extend(image_after_options(s, std::iter::once("").chain(rest)).map(|i| (line, i)));
                continue;
            }
            _ => continue,
        };
        rest.next();
        out.extend(image_after_options(sub, std::iter::once("").chain(rest)).map(|i| (line, i)));
    }
    out
}

/// The first word after the options (the iterator's first item is a placeholder).
fn image_after_options<'a>(_sub: &str, words: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut words = words.skip(1);
    while let Some(w) = words.next() {
        if let Some(long) = w.strip_prefix("--") {
            if long.is_empty() {
                return words.next().map(str::to_string);
            }
            if !long.contains('=') && !LONG_FLAGS.contains(&long) {
                words.next();
            }
        } else if let Some(short) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
            // `-it`, `-dp 80:80`, `-p8080:80`: a value-taking letter takes the rest or the next word.
            if let Some(i) = short.find(|c| SHORT_WITH_VALUE.contains(c)) {
                if i + 1 == short.len() {
                    words.next();
                }
            }
        } else {
            return Some(w.to_string());
        }
    }
    None
}

/// `FROM [--platform=…] IMAGE [AS name]`, skipping earlier stages named by `AS`.
fn from_lines(code: &str) -> Vec<(u32, String)> {
    let mut stages = BTreeSet::new();
    let mut out = Vec::new();
    for (i, line) in code.lines().enumerate() {
        let mut words = line.split_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case("FROM")) {
            continue;
        }
        let words: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
        let Some(image) = words.first() else { continue };
        if !stages.contains(&image.to_lowercase()) && *image != "scratch" {
            out.push((i as u32, image.to_string()));
        }
        if let [_, r#as, name, ..] = words.as_slice() {
            if r#as.eq_ignore_ascii_case("as") {
                stages.insert(name.to_lowercase());
            }
        }
    }
    out
}

/// `image:` of compose services that do not `build:` it.
fn compose_images(code: &str) -> Vec<(u32, String)> {
    let Ok(yaml_serde::Value::Mapping(doc)) = yaml_serde::from_str::<yaml_serde::Value>(code) else {
        return Vec::new();
    };
    let Some(yaml_serde::Value::Mapping(services)) = doc.get("services") else { return Vec::new() };
    let mut out = Vec::new();
    for service in services.values() {
        if service.get("build").is_some() {
            continue;
        }
        if let Some(image) = service.get("image").and_then(|v| v.as_str()) {
            let line = code
                .lines()
                .position(|l| l.trim_start().strip_prefix("image:").is_some_and(|v| v.trim().trim_matches(|c| c == '"' || c == '\'') == image))
                .unwrap_or(0);
            out.push((line as u32, image.to_string()));
        }
    }
    out.sort();
    out
}

/// Names the lesson's own commands create: `docker build -t`, `docker tag SRC DST`,
/// `docker commit C NAME` (without their tags).
fn built_here(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (_, words) in commands(code) {
        let Some(d) = words.iter().position(|w| w == "docker") else { continue };
        let w: Vec<&str> = words[d + 1..].iter().map(String::as_str).filter(|w| *w != "image" && *w != "container" && *w != "buildx").collect();
        match w.first().copied() {
            Some("build") => {
                let mut it = w.iter();
                while let Some(x) = it.next() {
                    if let Some(v) = x.strip_prefix("--tag=").or_else(|| x.strip_prefix("-t=")) {
                        out.push(bare(v));
                    } else if *x == "-t" || *x == "--tag" {
                        out.extend(it.next().map(|v| bare(v)));
                    }
                }
            }
            Some("tag") => out.extend(w.iter().skip(1).filter(|x| !x.starts_with('-')).nth(1).map(|v| bare(v))),
            Some("commit") => out.extend(w.iter().skip(1).filter(|x| !x.starts_with('-')).nth(1).map(|v| bare(v))),
            _ => {}
        }
    }
    out
}

/// The name without tag or digest.
fn bare(reference: &str) -> String {
    let no_digest = reference.split('@').next().unwrap_or(reference);
    match no_digest.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name.to_string(),
        _ => no_digest.to_string(),
    }
}

/// Whether lint can judge it: no variables or placeholders, and no registry host.
fn checkable(reference: &str) -> bool {
    let plain = !reference.is_empty() && !reference.contains(['$', '{', '<', '*']) && !reference.starts_with('-');
    let first = reference.split('/').next().unwrap_or("");
    let has_host = reference.contains('/') && (first.contains(['.', ':']) || first == "localhost");
    plain && !has_host
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::parser::parse;

    fn used(body: &str) -> Vec<(String, u32)> {
        let text = format!("---\nid: t\ntitle: T\nsummary: S\nlang: en\nduration: 30\n---\n{body}");
        let (l, p) = parse("01-t.md", &text);
        assert!(p.is_empty(), "{p:?}");
        images_used(&l.unwrap()).into_iter().map(|u| (u.reference, u.line)).collect()
    }

    #[test]
    fn finds_images_of_docker_commands() {
        let body = "## A\n```sh run\ndocker run -d --name web -p 8080:80 -v \"$PWD\":/usr/share/nginx/html nginx\ndocker run -it --rm alpine sh\ndocker container run -e A=1 --network=net redis:7 redis-server\ndocker pull ubuntu:22.04 && docker create busybox\ndocker run \\\n  --memory 256m \\\n  debian echo hi\ndocker service create --name v --replicas 3 --endpoint-mode dnsrr httpd\ndocker run -dp80:80 node:20\n```\n";
        assert_eq!(
            used(body),
            vec![
                ("nginx".into(), 10), ("alpine".into(), 11), ("redis:7".into(), 12), ("ubuntu:22.04".into(), 13),
                ("busybox".into(), 13), ("debian".into(), 14), ("httpd".into(), 17), ("node:20".into(), 18)
            ]
        );
    }

    #[test]
    fn skips_what_the_lesson_builds_and_what_it_cannot_judge() {
        let body = "## A\n```dockerfile file path=/root/app/Dockerfile\nFROM python:3 AS build\nRUN true\nFROM build\nFROM scratch\n```\n```sh run\ndocker build -t app:1 /root/app\ndocker tag app:1 myapp\ndocker run app:1\ndocker run myapp\ndocker run $IMAGE\ndocker run localhost:5000/app\n```\n```yaml file path=/root/app/compose.yaml\nservices:\n  web:\n    build: .\n    image: web\n  db:\n    image: \"mariadb:11\"\n```\n";
        assert_eq!(used(body), vec![("python:3".into(), 10), ("mariadb:11".into(), 29)]);
    }

    #[test]
    fn plain_blocks_are_examples_not_commands() {
        assert!(used("## A\n```sh\ndocker run alpine\n```\n").is_empty());
    }
}
