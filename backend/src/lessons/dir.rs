//! A lessons directory (`<dir>/<lang>/NN-slug.md`): per-file lint plus the rules across files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::lint::{lint, lint_links, ImageCatalog};
use super::model::{ParsedLesson, Problem};
use super::parser::parse;

/// The outcome of linting one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// Where the file is.
    pub path: PathBuf,
    /// How problems name it.
    pub label: String,
    /// The parsed lesson, if it could be built (it may still have problems).
    pub lesson: Option<ParsedLesson>,
    /// This file's own problems.
    pub problems: Vec<Problem>,
}

/// The lesson files under `dir`: `*.md` in each subdirectory, sorted.
pub fn lesson_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let sub = entry?.path();
        if !sub.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&sub)? {
            let f = f?.path();
            if f.is_file() && f.extension().is_some_and(|e| e == "md") {
                out.push(f);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The lesson files `path` names, sorted: the file itself, or every `*.md` in a two-letter
/// language directory (`es/`, `en/`) at any depth below the directory (hidden directories,
/// `target` and `node_modules` skipped), so `lessons`, `lessons/es` and a course tree all work.
pub fn lesson_files_under(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    walk(path, 0, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    const MAX_DEPTH: usize = 8;
    let in_lang_dir = dir.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_lowercase()));
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() && depth < MAX_DEPTH && !name.starts_with('.') && name != "target" && name != "node_modules" {
            walk(&p, depth + 1, out)?;
        } else if in_lang_dir && p.is_file() && p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads, parses and lints one file. An unreadable file is a problem at line 1, not an error.
pub fn check_file(path: &Path, images: &dyn ImageCatalog) -> FileResult {
    let label = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            let problems = vec![Problem {
                file: label.clone(),
                line: 1,
                message: format!("cannot read: {e}"),
            }];
            return FileResult {
                path: path.to_path_buf(),
                label,
                lesson: None,
                problems,
            };
        }
    };
    let (lesson, mut problems) = parse(&label, &text);
    if let Some(l) = &lesson {
        problems.extend(lint(l, images));
        problems.extend(lint_links(&label, &text));
        let dir_lang = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str());
        if let Some(d) = dir_lang.filter(|d| d.len() == 2 && *d != l.front.lang) {
            let message = format!(
                "lang is `{}` but the file is in the `{d}/` directory",
                l.front.lang
            );
            problems.push(Problem {
                file: label.clone(),
                line: l.front.lang_line,
                message,
            });
        }
    }
    problems.sort();
    FileResult {
        path: path.to_path_buf(),
        label,
        lesson,
        problems,
    }
}

/// Rules across files: one file per (id, lang); translations of an id agree on their nodes.
pub fn cross_check(results: &[FileResult]) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut seen: HashMap<(&str, &str), &str> = HashMap::new();
    let mut nodes: HashMap<&str, (&str, &[String])> = HashMap::new();
    for r in results {
        let Some(l) = &r.lesson else { continue };
        let f = &l.front;
        let key = (f.id.as_str(), f.lang.as_str());
        if let Some(first) = seen.insert(key, &r.label) {
            let message = format!(
                "lesson `{}` in `{}` is also defined by {first}",
                f.id, f.lang
            );
            out.push(Problem {
                file: r.label.clone(),
                line: f.id_line,
                message,
            });
            seen.insert(key, first);
            continue;
        }
        match nodes.get(f.id.as_str()) {
            Some((other, n)) if *n != f.nodes.as_slice() => out.push(Problem {
                file: r.label.clone(),
                line: f.nodes_line,
                message: format!(
                    "nodes differ from the translation in {other}: {:?} vs {:?}",
                    f.nodes, n
                ),
            }),
            Some(_) => {}
            None => {
                nodes.insert(&f.id, (&r.label, &f.nodes));
            }
        }
    }
    out
}

/// Whether a result may be served: no problems of its own, none across files.
pub fn servable<'a>(r: &'a FileResult, cross: &[Problem]) -> Option<&'a ParsedLesson> {
    let clean = r.problems.is_empty() && !cross.iter().any(|p| p.file == r.label);
    r.lesson.as_ref().filter(|_| clean)
}

/// Lints every lesson file `path` names ([`lesson_files_under`]); returns the results and the
/// cross-file problems.
pub fn lint_dir(
    path: &Path,
    images: &dyn ImageCatalog,
) -> std::io::Result<(Vec<FileResult>, Vec<Problem>)> {
    let results: Vec<FileResult> = lesson_files_under(path)?
        .iter()
        .map(|p| check_file(p, images))
        .collect();
    let cross = cross_check(&results);
    Ok((results, cross))
}
