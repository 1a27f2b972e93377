//! A lessons directory (`<dir>/<lang>/NN-slug.md`): per-file lint plus the rules across files.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::lint::{lint, lint_button_names, lint_links, lint_vars, ImageCatalog};
use super::model::{Action, ParsedLesson, Problem};
use super::suggest::did_you_mean;
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
    /// When the file was last written: of two translations that disagree, the newer one is
    /// the one that changed.
    pub modified: Option<std::time::SystemTime>,
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
                warning: false,
            }];
            return FileResult {
                path: path.to_path_buf(),
                label,
                lesson: None,
                problems,
                modified: None,
            };
        }
    };
    let (lesson, mut problems) = parse(&label, &text);
    if let Some(l) = &lesson {
        problems.extend(lint(l, images));
        problems.extend(lint_links(&label, &text));
        problems.extend(lint_vars(&label, &text, &l.front.nodes));
        problems.extend(lint_button_names(&label, &text, &l.front.lang));
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
                warning: false,
            });
        }
    }
    problems.sort();
    FileResult {
        path: path.to_path_buf(),
        label,
        lesson,
        problems,
        modified: std::fs::metadata(path).and_then(|m| m.modified()).ok(),
    }
}

/// Rules across files: one file per (id, lang); translations of an id agree on their nodes and
/// steps (count, and the run, file, check and solve blocks of each); an id without its
/// translation while other lessons have one is a warning. A disagreement is reported against the
/// file that changed (the newer one; on a tie, the one that is not Spanish), so its good twin
/// stays served.
pub fn cross_check(results: &[FileResult]) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut seen: HashMap<(&str, &str), &str> = HashMap::new();
    let mut by_id: BTreeMap<&str, Vec<&FileResult>> = BTreeMap::new();
    let mut all_by_id: BTreeMap<&str, Vec<&FileResult>> = BTreeMap::new();
    for r in results {
        let Some(l) = &r.lesson else { continue };
        let f = &l.front;
        let key = (f.id.as_str(), f.lang.as_str());
        if let Some(first) = seen.insert(key, &r.label) {
            let message = format!("lesson `{}` in `{}` is also defined by {first}", f.id, f.lang);
            out.push(error(r, f.id_line, message));
            seen.insert(key, first);
            continue;
        }
        // A file with problems of its own is not served; comparing it with its translation would
        // only report side effects of those problems (a broken fence changes the step's blocks).
        all_by_id.entry(&f.id).or_default().push(r);
        if r.problems.iter().all(|p| p.warning) {
            by_id.entry(&f.id).or_default().push(r);
        }
    }
    for group in by_id.values_mut() {
        // The reference is the file that did not change: the oldest; Spanish first on a tie.
        group.sort_by_key(|r| (r.modified, lesson_of(r).front.lang != "es", r.label.clone()));
        let (reference, others) = group.split_first().expect("groups are never empty");
        for other in others {
            out.extend(translation_problems(reference, other));
        }
    }
    out.extend(unpaired(&all_by_id));
    out.extend(same_place(results));
    out
}

/// Two lessons of one course and language at the same order: the catalog could show either
/// first. Reported against the second (by file name).
fn same_place(results: &[FileResult]) -> Vec<Problem> {
    let mut places: BTreeMap<(&str, &str, u32), &FileResult> = BTreeMap::new();
    let mut out = Vec::new();
    let mut sorted: Vec<&FileResult> = results.iter().filter(|r| r.lesson.is_some()).collect();
    sorted.sort_by(|a, b| a.label.cmp(&b.label));
    for r in sorted {
        let l = lesson_of(r);
        let course = l.front.course.as_deref().unwrap_or("");
        if let Some(first) = places.insert((course, &l.front.lang, l.order), r) {
            let among = l.front.course.as_deref().map_or("among the lessons of no course".to_string(), |c| format!("in course `{c}`"));
            let message = format!(
                "order {} is also the place of {} {among}: give each lesson its own `order` (or `NN-` prefix)",
                l.order, first.label
            );
            out.push(error(r, l.front.id_line, message));
            places.insert((course, &l.front.lang, l.order), first);
        }
    }
    out
}

fn lesson_of(r: &FileResult) -> &ParsedLesson {
    r.lesson.as_ref().expect("only parsed lessons are grouped")
}

fn error(r: &FileResult, line: u32, message: String) -> Problem {
    Problem { file: r.label.clone(), line, message, warning: false }
}

/// What `other` (the changed file) does differently from `reference`, its translation.
fn translation_problems(reference: &FileResult, other: &FileResult) -> Vec<Problem> {
    let (a, b) = (lesson_of(reference), lesson_of(other));
    let mut out = Vec::new();
    if a.front.nodes != b.front.nodes {
        let message = format!(
            "nodes differ from the translation in {}: {:?} vs {:?}",
            reference.label, b.front.nodes, a.front.nodes
        );
        out.push(error(other, b.front.nodes_line, message));
    }
    if a.order != b.order || a.front.course.is_some() != b.front.course.is_some() {
        let message = format!(
            "place in the course differs from the translation in {} (order {}{} vs {}{}): translations keep one order",
            reference.label,
            b.order,
            if b.front.course.is_some() { ", in a course" } else { ", no course" },
            a.order,
            if a.front.course.is_some() { ", in a course" } else { ", no course" },
        );
        out.push(error(other, b.front.id_line, message));
    }
    if a.steps.len() != b.steps.len() {
        let line = b.steps.get(a.steps.len()).map_or(1, |s| s.line);
        let message = format!(
            "{} steps, but the translation in {} has {}: translations must have the same steps",
            b.steps.len(),
            reference.label,
            a.steps.len()
        );
        out.push(error(other, line, message));
    }
    for (n, (sa, sb)) in a.steps.iter().zip(&b.steps).enumerate() {
        let (shape_a, shape_b) = (step_shape(sa), step_shape(sb));
        if shape_a != shape_b {
            let message = format!(
                "step {} has {}, but step {} of the translation in {} (line {}) has {}",
                n + 1,
                shape_b,
                n + 1,
                reference.label,
                sa.line,
                shape_a
            );
            out.push(error(other, sb.line, message));
        }
    }
    out
}

/// The blocks of a step that students and tests act on, counted: "2 run, 0 file, a check, no solve".
fn step_shape(s: &super::model::Step) -> String {
    let count = |a: Action| s.blocks_of(a).count();
    let has = |a: Action, what: &str| if count(a) > 0 { format!("a {what}") } else { format!("no {what}") };
    format!(
        "{} run, {} file, {}, {}",
        count(Action::Run),
        count(Action::File),
        has(Action::Check, "check"),
        has(Action::Solve, "solve")
    )
}

/// Ids that exist in one language but not in another language that itself has ids the first
/// lacks: the signature of an id typo, which makes two one-language lessons. A warning, with the
/// closest id of the other language. (A language with fewer lessons, all of them paired, is a
/// translation under way, not a typo: no warning.)
fn unpaired(by_id: &BTreeMap<&str, Vec<&FileResult>>) -> Vec<Problem> {
    let langs: BTreeSet<&str> = by_id.values().flatten().map(|r| lesson_of(r).front.lang.as_str()).collect();
    let mut out = Vec::new();
    if langs.len() < 2 {
        return out;
    }
    for (id, group) in by_id {
        let have: BTreeSet<&str> = group.iter().map(|r| lesson_of(r).front.lang.as_str()).collect();
        for missing in langs.difference(&have) {
            let r = group[0];
            let ids_there: Vec<&str> = by_id
                .iter()
                .filter(|(_, g)| g.iter().any(|r| lesson_of(r).front.lang == *missing))
                .map(|(id, _)| *id)
                .collect();
            let in_any = |id: &str, langs: &BTreeSet<&str>| {
                by_id[id].iter().any(|r| langs.contains(lesson_of(r).front.lang.as_str()))
            };
            // Does the other language have an id that this one's languages lack?
            if !ids_there.iter().any(|other| !in_any(other, &have)) {
                continue;
            }
            let message = format!(
                "lesson `{id}` has no `{missing}` translation (no `{missing}` file has `id: {id}`){}",
                did_you_mean(id, &ids_there)
            );
            out.push(Problem { warning: true, ..error(r, lesson_of(r).front.id_line, message) });
        }
    }
    out
}

/// Whether a result may be served: no problems of its own, none across files.
pub fn servable<'a>(r: &'a FileResult, cross: &[Problem]) -> Option<&'a ParsedLesson> {
    let clean = !r.problems.iter().chain(cross).any(|p| !p.warning && p.file == r.label);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn lesson(id: &str, lang: &str, nodes: u8, steps: &[&str]) -> String {
        let mut text = format!("---\nid: {id}\ntitle: T\nsummary: S\nlang: {lang}\nduration: 30\nnodes: {nodes}\n---\nIntro.\n");
        for s in steps {
            text.push_str(&format!("## Step\n{s}\n"));
        }
        text
    }

    const RUN_CHECK: &str = "```sh run\nls\n```\n```check\ntrue\n```";
    const READ: &str = "Just text.";

    /// Writes `es` and `en` files; the English one written `en_later` seconds after the Spanish one.
    fn pair(dir: &Path, es: &str, en: &str, en_later: u64) {
        let t0 = SystemTime::now() - Duration::from_secs(3600);
        for (lang, text, at) in [("es", es, t0), ("en", en, t0 + Duration::from_secs(en_later))] {
            std::fs::create_dir_all(dir.join(lang)).unwrap();
            let path = dir.join(lang).join("01-vol.md");
            std::fs::write(&path, text).unwrap();
            std::fs::File::options().write(true).open(&path).unwrap().set_modified(at).unwrap();
        }
    }

    fn run(dir: &Path) -> (Vec<FileResult>, Vec<Problem>) {
        let any = |_: &str| true;
        lint_dir(dir, &any).unwrap()
    }

    #[test]
    fn a_translation_with_fewer_steps_is_reported_against_itself() {
        let tmp = tempfile::tempdir().unwrap();
        let five = [RUN_CHECK, RUN_CHECK, READ, RUN_CHECK, RUN_CHECK];
        pair(tmp.path(), &lesson("vol", "es", 1, &five), &lesson("vol", "en", 1, &five[..4]), 60);
        let (results, cross) = run(tmp.path());
        assert_eq!(cross.len(), 1, "{cross:?}");
        assert!(cross[0].file.ends_with("en/01-vol.md"), "{cross:?}");
        assert!(cross[0].message.starts_with("4 steps, but the translation in"), "{cross:?}");
        let served: Vec<&str> = results.iter().filter_map(|r| servable(r, &cross)).map(|l| l.front.lang.as_str()).collect();
        assert_eq!(served, vec!["es"], "the good twin stays served");
    }

    #[test]
    fn the_file_that_changed_takes_the_blame() {
        let tmp = tempfile::tempdir().unwrap();
        let steps = [RUN_CHECK, READ];
        // The English file changed its nodes after the Spanish one was written.
        pair(tmp.path(), &lesson("vol", "es", 1, &steps), &lesson("vol", "en", 2, &steps), 60);
        let (results, cross) = run(tmp.path());
        assert_eq!(cross.len(), 1, "{cross:?}");
        assert!(cross[0].file.ends_with("en/01-vol.md") && cross[0].line == 7, "{cross:?}");
        assert!(results.iter().any(|r| r.label.ends_with("es/01-vol.md") && servable(r, &cross).is_some()));
        // Now the Spanish file is the newer one: it takes the blame, English stays served.
        pair(tmp.path(), &lesson("vol", "es", 2, &steps), &lesson("vol", "en", 1, &steps), 0);
        std::fs::File::options().write(true).open(tmp.path().join("es/01-vol.md")).unwrap()
            .set_modified(SystemTime::now()).unwrap();
        let (_, cross) = run(tmp.path());
        assert!(cross[0].file.ends_with("es/01-vol.md"), "{cross:?}");
    }

    #[test]
    fn translations_keep_one_place_in_the_course() {
        let tmp = tempfile::tempdir().unwrap();
        let es = lesson("vol", "es", 1, &[RUN_CHECK]).replace("lang: es\n", "lang: es\ncourse: Docker desde cero\n");
        let en = lesson("vol", "en", 1, &[RUN_CHECK]).replace("lang: en\n", "lang: en\ncourse: Docker from scratch\norder: 7\n");
        pair(tmp.path(), &es, &en, 10);
        let (_, cross) = run(tmp.path());
        assert_eq!(cross.len(), 1, "{cross:?}");
        assert!(cross[0].file.ends_with("en/01-vol.md") && cross[0].line == 2, "{cross:?}");
        assert!(cross[0].message.contains("(order 7, in a course vs 1, in a course)"), "{cross:?}");
        // Same place, names in each language: clean.
        pair(tmp.path(), &es, &en.replace("order: 7\n", ""), 10);
        assert!(run(tmp.path()).1.is_empty());
    }

    #[test]
    fn steps_must_have_the_same_blocks() {
        let tmp = tempfile::tempdir().unwrap();
        let en = [RUN_CHECK, "```sh run\nls\n```"];
        pair(tmp.path(), &lesson("vol", "es", 1, &[RUN_CHECK, RUN_CHECK]), &lesson("vol", "en", 1, &en), 60);
        let (_, cross) = run(tmp.path());
        assert_eq!(cross.len(), 1, "{cross:?}");
        assert!(cross[0].message.starts_with("step 2 has 1 run, 0 file, no check, no solve, but step 2 of the translation"), "{cross:?}");
    }

    #[test]
    fn an_id_typo_is_a_warning_with_a_suggestion() {
        let tmp = tempfile::tempdir().unwrap();
        pair(tmp.path(), &lesson("volumes", "es", 1, &[READ]), &lesson("volumnes", "en", 1, &[READ]), 0);
        let (results, cross) = run(tmp.path());
        assert_eq!(cross.len(), 2, "{cross:?}");
        assert!(cross.iter().all(|p| p.warning));
        let en = cross.iter().find(|p| p.file.ends_with("en/01-vol.md")).unwrap();
        assert_eq!(en.line, 2);
        assert!(en.message.contains("lesson `volumnes` has no `es` translation") && en.message.contains("did you mean `volumes`?"), "{en:?}");
        assert!(en.to_string().contains(":2: warning: "), "{en}");
        assert_eq!(results.iter().filter(|r| servable(r, &cross).is_some()).count(), 2, "warnings do not hide lessons");
    }
}
