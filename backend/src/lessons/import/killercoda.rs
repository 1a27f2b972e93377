//! A Killercoda scenario → one muelle lesson file.
//!
//! The scenario is a directory with `index.json` (`title`, `description`, `details.intro`,
//! `details.steps[]`, `details.finish`, each with `text`, and the steps with `verify`; any of them
//! with `background`/`foreground` scripts; `details.assets` per host; `backend.imageid`), the
//! markdown files it names and an `assets/` directory. What maps:
//!
//! - intro text → the lesson's introduction; each step → a `##` step; finish → a last step;
//! - `verify` → the step's `check` (a `#!/bin/bash` script runs under bash);
//! - code annotated `{{exec}}`/`{{execute}}` (fenced or inline) → `run` blocks, with
//!   `interrupt` and `HOST2` → `node=node2`; `{{copy}}` → a plain block (it has a Copy button);
//! - assets → `file` blocks (plus `chmod` run blocks), `hostNN` → `nodeN`, in a first step
//!   "Prepare the environment";
//! - the intro's `background` script → the front matter's `background:` and its `foreground`
//!   script → `setup:`, both on node1 (Killercoda runs them on the first host): muelle starts the
//!   background script and runs the setup before the terminal opens, as Killercoda does;
//! - a step's background and foreground scripts → a `file` block writing the script to
//!   `/root/.killercoda/` and a `run` block starting it (in the background for `background`), at
//!   the start of the step they belong to (muelle has no per-step setup);
//! - `## ` headings inside the texts become `###` (a `##` would start a step).
//!
//! Everything else (placeholders like `{{TRAFFIC_HOST1_80}}`, raw HTML, binary assets, images
//! not in the catalog, other terminals…) is listed in the report.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};
use serde_json::{Map, Value};

use super::{ImportReport, Unconverted};
use crate::lessons::frontmatter::{normalize_image, MAX_NODES};
use crate::lessons::values::MAX_FILE_BYTES;
use crate::lessons::scaffold::{check_slug, find_id, next_number, slugify};
use crate::lessons::store::SharedCatalog;

/// Import options.
#[derive(Clone)]
pub struct Options {
    /// Language of the lesson (the scenario's texts are not translated): a two-letter code.
    pub lang: String,
    /// The lesson's id; by default the slug of the scenario directory's name.
    pub id: Option<String>,
    /// Images a run block names go to the front matter when the catalog has them, and to the
    /// report when it does not. Without a catalog, images are neither listed nor reported.
    pub catalog: Option<SharedCatalog>,
}

impl Default for Options {
    fn default() -> Self {
        Self { lang: "en".into(), id: None, catalog: None }
    }
}

/// A converted scenario, not yet written.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The lesson's id.
    pub id: String,
    /// The whole lesson file.
    pub markdown: String,
    /// How many `##` steps it has.
    pub steps: usize,
    /// How many nodes it declares.
    pub nodes: u8,
    /// What was not converted.
    pub unconverted: Vec<Unconverted>,
}

/// Where the scripts of the scenario are written in the node.
const SCRIPT_DIR: &str = "/root/.killercoda";
/// Heredoc delimiter for verify scripts run under bash.
const VERIFY_EOF: &str = "END_OF_VERIFY";
/// Heredoc delimiter of a `#!/bin/bash` setup or background script run under bash.
const SCRIPT_EOF: &str = "END_OF_SCRIPT";

/// A script for `/bin/sh -c`: one with a bash shebang is fed to bash by a heredoc (unless it
/// holds the delimiter line), others are kept as they are.
fn as_sh(code: &str, eof: &str) -> String {
    let (shebang, body) = match code.strip_prefix("#!") {
        Some(rest) => rest.split_once('\n').unwrap_or((rest, "")),
        None => ("", code),
    };
    let body = body.trim_matches('\n');
    if shebang.contains("bash") && !body.lines().any(|l| l.trim() == eof) {
        format!("bash <<'{eof}'\n{body}\n{eof}\n")
    } else {
        format!("{}\n", code.trim_matches('\n'))
    }
}

/// Converts the scenario in `src` and writes it to `<dest>/<lang>/NN-<id>.md`. Refuses an id that
/// `dest` already uses.
pub fn import(src: &Path, dest: &Path, opts: &Options) -> anyhow::Result<ImportReport> {
    if !dest.is_dir() {
        bail!("lessons directory {} does not exist (give the right one with --dest)", dest.display());
    }
    let c = convert(src, opts)?;
    if let Some(f) = find_id(dest, &c.id)? {
        bail!("a lesson with id `{}` already exists: {}; give another with --id", c.id, f.display());
    }
    let nn = next_number(dest)?;
    let dir = dest.join(&opts.lang);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!("{nn:02}-{}.md", c.id));
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(c.markdown.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    Ok(ImportReport { lesson: path, id: c.id, steps: c.steps, nodes: c.nodes, unconverted: c.unconverted })
}

/// Converts the scenario in `src` into a lesson's text.
pub fn convert(src: &Path, opts: &Options) -> anyhow::Result<Converted> {
    if opts.lang.len() != 2 || !opts.lang.bytes().all(|b| b.is_ascii_lowercase()) {
        bail!("--lang takes a two-letter code like `en`, not `{}`", opts.lang);
    }
    let index_path = src.join("index.json");
    let raw = std::fs::read_to_string(&index_path)
        .with_context(|| format!("{} is not a Killercoda scenario: cannot read {}", src.display(), index_path.display()))?;
    let index: Value = serde_json::from_str(&raw).with_context(|| format!("{} is not valid JSON", index_path.display()))?;
    let Some(index) = index.as_object() else {
        bail!("{} must hold a JSON object", index_path.display());
    };
    let id = match &opts.id {
        Some(id) => id.clone(),
        None => {
            let name = std::fs::canonicalize(src)
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            let id = slugify(&name);
            if id.is_empty() {
                bail!("cannot make an id from the directory name `{name}`: give one with --id");
            }
            id
        }
    };
    check_slug(&id)?;
    let cx = Cx {
        src: src.to_path_buf(),
        lang: opts.lang.clone(),
        catalog: opts.catalog.clone(),
        notes: Vec::new(),
        nodes: 1,
        images: BTreeSet::new(),
        images_reported: BTreeSet::new(),
    };
    cx.convert(index, id)
}

/// Texts the converter adds, in the lesson's language (English unless Spanish).
struct Words {
    setup_title: &'static str,
    setup_text: &'static str,
    scripts_text: &'static str,
    step: &'static str,
    finish: &'static str,
    empty_step: &'static str,
}

const EN: Words = Words {
    setup_title: "Prepare the environment",
    setup_text: "The original scenario prepared the nodes by itself. Press each button below, in order: **Write file** copies a file of the scenario to its node, **Run** starts its scripts.",
    scripts_text: "The original scenario ran these scripts when this step began: press them first.",
    step: "Step",
    finish: "Finish",
    empty_step: "Your environment",
};

const ES: Words = Words {
    setup_title: "Preparar el entorno",
    setup_text: "El escenario original preparaba los nodos por sí solo. Pulsa cada botón de abajo, en orden: **Escribir archivo** copia un archivo del escenario a su nodo, **Ejecutar** arranca sus scripts.",
    scripts_text: "El escenario original ejecutaba estos scripts al empezar este paso: púlsalos primero.",
    step: "Paso",
    finish: "Final",
    empty_step: "Tu entorno",
};

/// The conversion's state.
struct Cx {
    src: PathBuf,
    lang: String,
    catalog: Option<SharedCatalog>,
    notes: Vec<Unconverted>,
    /// Highest node named so far.
    nodes: u8,
    /// Catalog images named by run blocks.
    images: BTreeSet<String>,
    images_reported: BTreeSet<String>,
}

/// What a code annotation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Annotation {
    run: bool,
    interrupt: bool,
    /// 1-based host; 1 when not named.
    host: u8,
}

/// One section of the lesson: the intro, a step or the finish.
struct Section {
    title: String,
    body: String,
    /// Run and file blocks from the section's own text (not its scripts).
    runnable: usize,
}

impl Cx {
    fn words(&self) -> &'static Words {
        if self.lang == "es" {
            &ES
        } else {
            &EN
        }
    }

    fn note(&mut self, source: impl Into<String>, what: impl Into<String>) {
        self.notes.push(Unconverted { source: source.into(), what: what.into() });
    }

    fn convert(mut self, index: &Map<String, Value>, id: String) -> anyhow::Result<Converted> {
        for k in index.keys() {
            if !["title", "description", "details", "backend", "time"].contains(&k.as_str()) {
                self.note("index.json", format!("`{k}` is not converted (muelle shows a terminal per node)"));
            }
        }
        let title = match index.get("title").and_then(Value::as_str).map(str::trim) {
            Some(t) if !t.is_empty() => t.to_string(),
            _ => {
                self.note("index.json", "no `title`: the lesson's title is its id");
                id.clone()
            }
        };
        let summary = index
            .get("description")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(&title)
            .to_string();
        let duration = index
            .get("time")
            .and_then(Value::as_str)
            .and_then(|t| t.split_whitespace().next()?.parse::<u32>().ok())
            .map_or(30, |m| m.clamp(5, 480));
        self.backend(index.get("backend"));
        let empty = Map::new();
        let details = index.get("details").and_then(Value::as_object).unwrap_or(&empty);
        for k in details.keys() {
            if !["intro", "steps", "finish", "assets"].contains(&k.as_str()) {
                self.note("index.json", format!("`details.{k}` is not converted"));
            }
        }

        let mut setup = String::new();
        let mut setup_blocks = 0;
        if let Some(assets) = details.get("assets") {
            setup_blocks += self.assets(assets, &mut setup);
        }
        let mut front_scripts = String::new();
        let intro = match details.get("intro") {
            Some(v) => {
                for (kind, key) in [("background", "background"), ("foreground", "setup")] {
                    if let Some(code) = self.script(v, kind, "intro") {
                        front_scripts.push_str(&format!("{key}:\n  node1: |\n"));
                        for line in as_sh(&code, SCRIPT_EOF).lines() {
                            let pad = if line.is_empty() { "" } else { "    " };
                            front_scripts.push_str(&format!("{pad}{line}\n"));
                        }
                    }
                }
                self.section(v, "intro", "")?.body
            }
            None => String::new(),
        };
        let mut sections = Vec::new();
        if setup_blocks > 0 {
            let w = self.words();
            sections.push(Section { title: w.setup_title.into(), body: format!("{}\n\n{setup}", w.setup_text), runnable: setup_blocks });
        }
        let steps = match details.get("steps") {
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                self.note("index.json", "`details.steps` is not a list: no steps converted");
                Vec::new()
            }
            None => Vec::new(),
        };
        for (i, step) in steps.iter().enumerate() {
            let label = format!("step{}", i + 1);
            let fallback = format!("{} {}", self.words().step, i + 1);
            let mut s = self.section(step, &label, &fallback)?;
            if let Some(verify) = step.get("verify") {
                let check = self.verify(verify, &label);
                if !s.body.is_empty() && !s.body.ends_with("\n\n") {
                    s.body.push('\n');
                }
                if !check.is_empty() && s.runnable == 0 {
                    self.note(format!("{label} \"{}\"", s.title), "the check has no Run block to replay and Killercoda has no solution: add a `solve` block (lint asks for it until then)");
                }
                s.body.push_str(&check);
            }
            sections.push(s);
        }
        if let Some(finish) = details.get("finish") {
            let fallback = self.words().finish;
            sections.push(self.section(finish, "finish", fallback)?);
        }
        if sections.is_empty() {
            self.note("index.json", "the scenario has no steps: the lesson gets one reading step");
            sections.push(Section { title: self.words().empty_step.into(), body: String::new(), runnable: 0 });
        }

        let mut md = String::new();
        let q = |s: &str| serde_json::to_string(s).expect("a string serializes");
        md.push_str(&format!(
            "---\nid: {id}\ntitle: {}\nsummary: {}\nlang: {}\nduration: {duration}\nnodes: {}\n",
            q(&title),
            q(&summary),
            self.lang,
            self.nodes
        ));
        if !self.images.is_empty() {
            let list: Vec<String> = self.images.iter().map(|i| q(i)).collect();
            md.push_str(&format!("images: [{}]\n", list.join(", ")));
        }
        md.push_str("tags: [killercoda]\n");
        md.push_str(&front_scripts);
        md.push_str("---\n");
        md.push_str(intro.trim_end());
        md.push('\n');
        for s in &sections {
            md.push_str(&format!("\n## {}\n\n{}", s.title.replace('\n', " "), s.body.trim_start()));
            if !md.ends_with('\n') {
                md.push('\n');
            }
        }
        Ok(Converted { id, markdown: md, steps: sections.len(), nodes: self.nodes, unconverted: self.notes })
    }

    /// `backend.imageid`: the node count of a multi-node environment; always a note, since the
    /// nodes are muelle's and not that environment.
    fn backend(&mut self, backend: Option<&Value>) {
        let Some(image) = backend.and_then(|b| b.get("imageid")).and_then(Value::as_str) else {
            return;
        };
        if let Some(n) = nodes_of_image(image) {
            self.use_node(n, "index.json");
        }
        self.note(
            "index.json",
            format!("environment `{image}`: the lesson runs on muelle nodes (Debian with Docker), without that environment's tools"),
        );
    }

    /// Records that host `n` is used.
    fn use_node(&mut self, n: u8, source: &str) -> bool {
        if (1..=MAX_NODES).contains(&n) {
            self.nodes = self.nodes.max(n);
            true
        } else {
            self.note(source.to_string(), format!("host {n}: a lesson has at most {MAX_NODES} nodes; node1 is used instead"));
            false
        }
    }

    /// A section's title and converted text; `label` names it in the report.
    fn section(&mut self, v: &Value, label: &str, fallback: &str) -> anyhow::Result<Section> {
        if let Some(o) = v.as_object() {
            for k in o.keys() {
                if !["title", "text", "verify", "background", "foreground"].contains(&k.as_str()) {
                    self.note("index.json", format!("`{k}` of {label} is not converted"));
                }
            }
        }
        let title = v
            .get("title")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(fallback)
            .to_string();
        let mut body = String::new();
        if label != "intro" {
            let mut scripts = String::new();
            if self.scripts(v, label, &mut scripts) > 0 {
                self.note(format!("{label} \"{title}\""), "the step's background/foreground scripts do not start by themselves: they are Run blocks at the start of the step");
                body.push_str(self.words().scripts_text);
                body.push_str("\n\n");
                body.push_str(&scripts);
            }
        }
        let mut runnable = 0;
        match v.get("text").and_then(Value::as_str) {
            Some(rel) => {
                if let Some(text) = self.read(rel, label) {
                    let (md, n) = self.markdown(&text, rel);
                    body.push_str(&md);
                    runnable = n;
                }
            }
            None if label == "intro" || label == "finish" => {}
            None => self.note(format!("{label} \"{title}\""), "no `text`: the step has no text"),
        }
        Ok(Section { title, body, runnable })
    }

    /// Reads a file the index names, relative to the scenario; `None` (and a note) when it is
    /// missing or leaves the scenario.
    fn read(&mut self, rel: &str, label: &str) -> Option<String> {
        let p = Path::new(rel);
        let path = self.src.join(p);
        // `..`, an absolute path or a link leading out of the scenario would copy a file of this
        // machine into the lesson.
        let escapes = p.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
            || (path.exists() && !self.inside(&path));
        if escapes {
            self.note("index.json", format!("`{rel}` ({label}) is outside the scenario: not read"));
            return None;
        }
        match std::fs::read_to_string(&path) {
            Ok(t) => Some(t),
            Err(e) => {
                self.note("index.json", format!("`{rel}` ({label}) cannot be read: {e}"));
                None
            }
        }
    }

    /// Whether `path`, links resolved, is inside the scenario directory.
    fn inside(&self, path: &Path) -> bool {
        match (std::fs::canonicalize(&self.src), std::fs::canonicalize(path)) {
            (Ok(src), Ok(p)) => p.starts_with(src),
            _ => false,
        }
    }

    /// The `background` and `foreground` scripts of a section as file and run blocks; returns
    /// how many blocks were written.
    fn scripts(&mut self, v: &Value, label: &str, out: &mut String) -> usize {
        let mut n = 0;
        for kind in ["background", "foreground"] {
            let Some(code) = self.script(v, kind, label) else { continue };
            let path = format!("{SCRIPT_DIR}/{label}-{kind}.sh");
            let log = format!("{SCRIPT_DIR}/{label}-{kind}.log");
            push_block(out, &format!("sh file path={path}"), &code);
            let start = if kind == "background" {
                format!("nohup bash {path} >{log} 2>&1 </dev/null &\n")
            } else {
                format!("bash {path}\n")
            };
            push_block(out, "sh run", &start);
            n += 2;
        }
        n
    }

    /// The `kind` (`background`/`foreground`) script of a section, unless missing, unreadable,
    /// empty or too large (each noted).
    fn script(&mut self, v: &Value, kind: &str, label: &str) -> Option<String> {
        let rel = v.get(kind).and_then(Value::as_str)?;
        let code = self.read(rel, label)?;
        if code.trim().is_empty() {
            self.note(rel, format!("empty {kind} script: skipped"));
            return None;
        }
        if code.len() > MAX_FILE_BYTES {
            self.note(rel, format!("{kind} script larger than {MAX_FILE_BYTES} bytes: not converted"));
            return None;
        }
        Some(code)
    }

    /// A step's `verify` script as a check block ("" when it cannot be read).
    fn verify(&mut self, v: &Value, label: &str) -> String {
        let Some(rel) = v.as_str() else {
            self.note("index.json", format!("`verify` of {label} is not a file name"));
            return String::new();
        };
        let Some(code) = self.read(rel, label) else { return String::new() };
        let (shebang, body) = match code.strip_prefix("#!") {
            Some(rest) => rest.split_once('\n').unwrap_or((rest, "")),
            None => ("", code.as_str()),
        };
        let body = body.trim_matches('\n');
        if body.trim().is_empty() {
            self.note(rel, "empty verify script: the step has no check");
            return String::new();
        }
        let script = if shebang.contains("bash") && !body.lines().any(|l| l.trim() == VERIFY_EOF) {
            format!("bash <<'{VERIFY_EOF}'\n{body}\n{VERIFY_EOF}\n")
        } else {
            format!("{body}\n")
        };
        let mut out = String::new();
        push_block(&mut out, "check", &script);
        out
    }

    /// `details.assets`: `{"host01": [{"file", "target", "chmod"}]}` → file blocks (and chmod run
    /// blocks) in `out`; returns how many blocks were written.
    fn assets(&mut self, v: &Value, out: &mut String) -> usize {
        let Some(hosts) = v.as_object() else {
            self.note("index.json", "`assets` is not an object of hosts: not converted");
            return 0;
        };
        let dir = self.src.join("assets");
        let files = if dir.exists() && !self.inside(&dir) {
            self.note("assets", "a link out of the scenario: no asset read");
            Vec::new()
        } else {
            list_files(&dir)
        };
        let mut n = 0;
        for (host, entries) in hosts {
            let Some(node) = host.strip_prefix("host").and_then(|d| d.parse::<u8>().ok()) else {
                self.note("index.json", format!("assets for `{host}`: not a host like `host01`; not converted"));
                continue;
            };
            if !self.use_node(node, "index.json") {
                continue;
            }
            let node_word = if node > 1 { format!(" node=node{node}") } else { String::new() };
            for (i, e) in entries.as_array().map(Vec::as_slice).unwrap_or_default().iter().enumerate() {
                let source = format!("assets.{host}[{i}]");
                let (Some(pattern), Some(target)) = (e.get("file").and_then(Value::as_str), e.get("target").and_then(Value::as_str)) else {
                    self.note(source, "an asset needs `file` and `target`: not converted");
                    continue;
                };
                let chmod = e.get("chmod").and_then(Value::as_str);
                let target = match target.strip_prefix('~') {
                    Some(rest) => format!("/root{rest}"),
                    None if target.starts_with('/') => target.to_string(),
                    None => {
                        self.note(source.clone(), format!("target `{target}` is relative: taken as /root/{target}"));
                        format!("/root/{target}")
                    }
                };
                let matches = asset_matches(pattern, &files);
                if matches.is_empty() {
                    self.note(source, format!("`{pattern}` matches no file under assets/"));
                    continue;
                }
                for (rel, dest_rel) in matches {
                    let path = format!("{}/{dest_rel}", target.trim_end_matches('/'));
                    n += self.asset(&rel, &path, chmod, &node_word, out);
                }
            }
        }
        n
    }

    /// One asset file as a file block (and a chmod run block).
    fn asset(&mut self, rel: &str, path: &str, chmod: Option<&str>, node_word: &str, out: &mut String) -> usize {
        let source = format!("assets/{rel}");
        let bytes = match std::fs::read(self.src.join("assets").join(rel)) {
            Ok(b) => b,
            Err(e) => {
                self.note(source, format!("cannot be read: {e}"));
                return 0;
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) if !t.contains('\0') && t.len() <= MAX_FILE_BYTES => t,
            Ok(t) if t.len() > MAX_FILE_BYTES => {
                self.note(source, format!("larger than {MAX_FILE_BYTES} bytes: not copied to {path}"));
                return 0;
            }
            _ => {
                self.note(source, format!("binary file: not copied to {path} (file blocks hold text)"));
                return 0;
            }
        };
        if path.contains(['`', '\n']) {
            self.note(source, "the target path has a backtick or newline: not converted");
            return 0;
        }
        let lang = Path::new(rel)
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| is_plain_lang(e))
            .unwrap_or("text");
        push_block(out, &format!("{lang} file path={}{node_word}", info_value(path)), &text);
        let mut n = 1;
        if let Some(mode) = chmod {
            if !mode.is_empty() && mode.chars().all(|c| "01234567ugoa+-=rwxXst,".contains(c)) {
                push_block(out, &format!("sh run{node_word}"), &format!("chmod {mode} {}\n", shell_quote(path)));
                n += 1;
            } else {
                self.note(format!("assets/{rel}"), format!("chmod `{mode}` is not a file mode: not applied"));
            }
        }
        n
    }

    /// A Killercoda markdown text → lesson markdown, and the number of run blocks in it.
    fn markdown(&mut self, text: &str, source: &str) -> (String, usize) {
        let lines: Vec<&str> = text.lines().collect();
        let mut out = String::new();
        let mut runs = 0;
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let at = format!("{source}:{}", i + 1);
            if let Some((ch, len, indent, info)) = fence_open(line) {
                let mut code = String::new();
                let mut annotation = None;
                let mut j = i + 1;
                let mut closed = false;
                while j < lines.len() {
                    if let Some(a) = fence_close(lines[j], ch, len) {
                        annotation = a;
                        closed = true;
                        break;
                    }
                    let l = lines[j];
                    let strip = (l.len() - l.trim_start_matches(' ').len()).min(indent);
                    code.push_str(&l[strip..]);
                    code.push('\n');
                    j += 1;
                }
                if !closed {
                    self.note(at.clone(), "code block is never closed: it runs to the end of the file");
                }
                let a = annotation.map(|a| self.annotation(&a, &at));
                runs += self.block(&mut out, info, &code, a, &at);
                i = j + 1;
                continue;
            }
            i += 1;
            let trimmed = line.trim();
            if let Some(rest) = low_heading(line) {
                out.push_str(&format!("### {rest}\n"));
                continue;
            }
            if ["<br>", "<br/>", "<br />"].contains(&trimmed) {
                out.push('\n');
                continue;
            }
            if trimmed.starts_with("<details") || trimmed == "</details>" || trimmed.starts_with("<summary>") {
                // muelle folds the same way, with each tag on its own line.
                if trimmed.starts_with("<details") {
                    out.push_str(if trimmed.starts_with("<details open") { "<details open>\n" } else { "<details>\n" });
                }
                if let Some(summary) = between(trimmed, "<summary>", "</summary>") {
                    out.push_str(&format!("<summary>{}</summary>\n\n", summary.trim()));
                }
                if trimmed.ends_with("</details>") {
                    out.push_str("</details>\n");
                }
                continue;
            }
            if trimmed.starts_with('<') && trimmed[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') {
                let shown: String = trimmed.chars().take(40).collect();
                self.note(at.clone(), format!("raw HTML is shown as text: `{shown}`"));
            }
            let (kept, inline, prose) = self.inline(line, &at);
            for url in image_urls(&kept) {
                if !url.starts_with("http://") && !url.starts_with("https://") {
                    self.note(at.clone(), format!("image `{url}`: the scenario's files are not served to the browser; link an http(s) image or drop it"));
                }
            }
            // A line that only held annotated code is replaced by its blocks.
            let only_code = !inline.is_empty() && !prose;
            if kept.trim().is_empty() || only_code {
                if !out.is_empty() && !out.ends_with("\n\n") && !only_code {
                    out.push('\n');
                }
            } else {
                out.push_str(&kept);
                out.push('\n');
            }
            for (code, a) in inline {
                if a.run || code.contains('\n') {
                    runs += self.block(&mut out, "", &code, Some(a), &at);
                } else {
                    push_block(&mut out, "", &code);
                }
            }
        }
        (out, runs)
    }

    /// Parses the inside of `{{…}}` after code.
    fn annotation(&mut self, inner: &str, at: &str) -> Annotation {
        let mut a = Annotation { run: false, interrupt: false, host: 1 };
        let words: Vec<String> = inner.split_whitespace().map(str::to_ascii_lowercase).collect();
        match words.first().map(String::as_str) {
            None | Some("copy") => {}
            Some("exec" | "execute") => a.run = true,
            Some(other) => self.note(at.to_string(), format!("`{{{{{other}}}}}` is not converted: the code is shown as text")),
        }
        for w in words.iter().skip(1) {
            if w == "interrupt" {
                a.interrupt = true;
            } else if let Some(n) = w.strip_prefix("host").and_then(|d| d.parse::<u8>().ok()) {
                if self.use_node(n, at) {
                    a.host = n;
                }
            } else if w.len() > 1 && w.starts_with('t') && w[1..].bytes().all(|b| b.is_ascii_digit()) {
                self.note(at.to_string(), format!("terminal `{w}`: a lesson has one terminal per node; the command runs in the node's terminal"));
            } else {
                self.note(at.to_string(), format!("`{w}` in `{{{{{inner}}}}}` is not converted"));
            }
        }
        a
    }

    /// Writes one block; returns 1 for a run block, 0 otherwise.
    fn block(&mut self, out: &mut String, info: &str, code: &str, a: Option<Annotation>, at: &str) -> usize {
        let lang = info.split(['{', ' ']).next().unwrap_or("");
        let lang = if is_plain_lang(lang) { lang } else { "" };
        match a {
            Some(a) if a.run => {
                if code.trim().is_empty() {
                    self.note(at.to_string(), "empty {{exec}} block: skipped");
                    return 0;
                }
                let mut info = String::from("sh run");
                if a.host > 1 {
                    info.push_str(&format!(" node=node{}", a.host));
                }
                if a.interrupt {
                    info.push_str(" interrupt");
                }
                self.images_of(code, at);
                push_block(out, &info, code);
                1
            }
            _ => {
                push_block(out, lang, code);
                0
            }
        }
    }

    /// Inline code with `{{…}}` after it: the line without the annotations, and each code with
    /// its annotation. Other `{{…}}` are reported.
    fn inline(&mut self, line: &str, at: &str) -> (String, Vec<(String, Annotation)>, bool) {
        let mut prose = false;
        let mut kept = String::new();
        let mut found = Vec::new();
        let mut i = 0;
        while i < line.len() {
            let rest = &line[i..];
            if rest.starts_with('`') {
                let k = rest.len() - rest.trim_start_matches('`').len();
                let close = "`".repeat(k);
                let after_open = &rest[k..];
                let Some(end) = find_run(after_open, k) else {
                    prose = true;
                    kept.push_str(&close);
                    i += k;
                    continue;
                };
                let span_end = k + end + k;
                kept.push_str(&rest[..span_end]);
                let tail = &rest[span_end..];
                if let Some(inner) = tail.strip_prefix("{{").and_then(|t| t.split_once("}}")).map(|(inner, _)| inner) {
                    let code = after_open[..end].trim().to_string();
                    let a = self.annotation(inner, at);
                    let disabled = inner.trim().is_empty();
                    if !disabled && (a.run || inner.trim().eq_ignore_ascii_case("copy")) {
                        found.push((code, a));
                    }
                    i += span_end + 2 + inner.len() + 2;
                } else {
                    prose = true;
                    i += span_end;
                }
                continue;
            }
            if let Some(after) = rest.strip_prefix("{{") {
                if let Some((inner, _)) = after.split_once("}}") {
                    self.note(at.to_string(), format!("placeholder `{{{{{inner}}}}}` is not converted"));
                    prose = true;
                    kept.push_str(&rest[..inner.len() + 4]);
                    i += inner.len() + 4;
                    continue;
                }
            }
            let c = rest.chars().next().expect("not at the end");
            prose |= !c.is_whitespace();
            kept.push(c);
            i += c.len_utf8();
        }
        (kept, found, prose)
    }

    /// Images a run block pulls (`docker run IMAGE`, `docker pull IMAGE`…): catalog images go to
    /// the front matter, others to the report.
    fn images_of(&mut self, code: &str, at: &str) {
        let Some(catalog) = self.catalog.clone() else { return };
        for image in images_in(code) {
            let Some(reference) = normalize_image(&image) else { continue };
            if catalog.contains(&reference) {
                self.images.insert(image);
            } else if self.images_reported.insert(reference.clone()) {
                self.note(at.to_string(), format!("image `{image}` is not in the image catalog: the command will fail in the classroom; use a catalog image"));
            }
        }
    }
}

/// The node count of a Killercoda environment id like `kubernetes-kubeadm-2nodes`.
fn nodes_of_image(image: &str) -> Option<u8> {
    let i = image.find("node")?;
    let digits: String = image[..i].chars().rev().take_while(char::is_ascii_digit).collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

/// An opening fence: its character, length, indent and info string.
fn fence_open(line: &str) -> Option<(char, usize, usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let ch = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.len() - rest.trim_start_matches(ch).len();
    let info = rest[len..].trim();
    (indent <= 3 && len >= 3 && !(ch == '`' && info.contains('`'))).then_some((ch, len, indent, info))
}

/// A closing fence, with the annotation Killercoda puts after it (`` ```{{exec}} ``).
fn fence_close(line: &str, ch: char, len: usize) -> Option<Option<String>> {
    let t = line.trim_start();
    let n = t.len() - t.trim_start_matches(ch).len();
    if n < len {
        return None;
    }
    let rest = t[n..].trim();
    if rest.is_empty() {
        return Some(None);
    }
    let inner = rest.strip_prefix("{{")?.strip_suffix("}}")?;
    Some(Some(inner.to_string()))
}

/// The text of a `#` or `##` heading (they would start a step); `None` for other lines.
fn low_heading(line: &str) -> Option<&str> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    let text = &rest[hashes..];
    let is_heading = indent <= 3 && (1..=2).contains(&hashes) && (text.is_empty() || text.starts_with([' ', '\t']));
    is_heading.then(|| text.trim().trim_end_matches('#').trim())
}

/// Where a run of exactly `k` backticks starts in `s`.
fn find_run(s: &str, k: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'`' {
            let n = b[i..].iter().take_while(|c| **c == b'`').count();
            if n == k {
                return Some(i);
            }
            i += n;
        } else {
            i += 1;
        }
    }
    None
}

/// The URLs of markdown images (`![alt](url)`) in a line.
fn image_urls(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("![") {
        rest = &rest[i + 2..];
        let Some(j) = rest.find("](") else { break };
        let after = &rest[j + 2..];
        let Some(k) = after.find(')') else { break };
        out.push(after[..k].split_whitespace().next().unwrap_or(""));
        rest = &after[k..];
    }
    out
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(&s[start..end])
}

/// A language word that the lesson parser will not read as an action or flag.
fn is_plain_lang(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 20
        && w.chars().all(|c| c.is_ascii_alphanumeric() || "+-_.#".contains(c))
        && !["run", "file", "check", "solve", "interrupt", "interactive"].contains(&w)
}

/// Appends a fenced block, with a fence longer than any backtick run that starts a line of `code`.
fn push_block(out: &mut String, info: &str, code: &str) {
    let longest = code
        .lines()
        .map(|l| l.trim_start().len() - l.trim_start().trim_start_matches('`').len())
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(&format!("{fence}{}\n{code}", info.trim()));
    if !code.is_empty() && !code.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("{fence}\n\n"));
}

/// A `key=value` value for an info string: quoted when it has spaces, quotes or backslashes.
fn info_value(v: &str) -> String {
    if v.contains([' ', '\t', '"', '\\']) {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        v.to_string()
    }
}

/// A word for `sh`: single-quoted unless it is plainly safe.
fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Every regular file under `dir` (not following links), relative, with `/`, sorted.
fn list_files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            match e.file_type() {
                Ok(t) if t.is_dir() => walk(&e.path(), &rel, out),
                Ok(t) if t.is_file() => out.push(rel),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

/// The files an asset's `file` names, each with its path under the target: the file name for a
/// plain path, the path below the pattern's fixed directories for a glob.
fn asset_matches(pattern: &str, files: &[String]) -> Vec<(String, String)> {
    let pattern = pattern.trim_start_matches("./");
    if pattern.split('/').any(|s| s == "..") {
        return Vec::new();
    }
    let segs: Vec<&str> = pattern.split('/').collect();
    if !pattern.contains(['*', '?']) {
        let name = segs.last().copied().unwrap_or(pattern).to_string();
        return files.iter().filter(|f| *f == pattern).map(|f| (f.clone(), name.clone())).collect();
    }
    let fixed = segs[..segs.len() - 1].iter().take_while(|s| !s.contains(['*', '?'])).count();
    files
        .iter()
        .filter(|f| glob(&segs, &f.split('/').collect::<Vec<_>>()))
        .map(|f| (f.clone(), f.split('/').skip(fixed).collect::<Vec<_>>().join("/")))
        .collect()
}

/// Path glob by segments: `**` any number of segments, `*` and `?` within one.
fn glob(p: &[&str], s: &[&str]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((&"**", rest)) => (0..=s.len()).any(|i| glob(rest, &s[i..])),
        Some((seg, rest)) => !s.is_empty() && segment_matches(seg.as_bytes(), s[0].as_bytes()) && glob(rest, &s[1..]),
    }
}

fn segment_matches(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => segment_matches(&p[1..], s) || (!s.is_empty() && segment_matches(p, &s[1..])),
        (Some(b'?'), Some(_)) => segment_matches(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => segment_matches(&p[1..], &s[1..]),
        _ => false,
    }
}

/// Images named by `docker run`, `docker create` and `docker pull` (with or without the
/// `container`/`image` group), skipping options and their values.
pub fn images_in(code: &str) -> Vec<String> {
    const WITH_VALUE: [&str; 22] = [
        "-p", "--publish", "-e", "--env", "-v", "--volume", "-w", "--workdir", "-u", "--user", "--name",
        "--network", "--net", "--mount", "-l", "--label", "-h", "--hostname", "--entrypoint", "--platform",
        "--restart", "--env-file",
    ];
    let mut out = Vec::new();
    for statement in code.split(['\n', ';', '|', '&']) {
        let words: Vec<&str> = statement.split_whitespace().collect();
        let Some(d) = words.iter().position(|w| *w == "docker") else { continue };
        let mut rest = &words[d + 1..];
        if let Some((first, tail)) = rest.split_first() {
            if *first == "container" || *first == "image" {
                rest = tail;
            }
        }
        let Some((verb, mut args)) = rest.split_first() else { continue };
        if !["run", "create", "pull"].contains(verb) {
            continue;
        }
        while let Some((w, tail)) = args.split_first() {
            if w.starts_with('-') {
                args = if WITH_VALUE.contains(w) && !w.contains('=') { tail.get(1..).unwrap_or_default() } else { tail };
                continue;
            }
            out.push(w.trim_matches(|c| c == '"' || c == '\'').to_string());
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let files: Vec<String> = ["conf.yaml", "run.sh", "app1/readme.md", "app1/config/app.json", "app2/img/a.png"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = |p: &str| asset_matches(p, &files);
        assert_eq!(m("app1/readme.md"), vec![("app1/readme.md".into(), "readme.md".into())]);
        assert_eq!(m("*").len(), 2);
        assert_eq!(m("**").len(), 5);
        assert_eq!(m("**/*.json"), vec![("app1/config/app.json".into(), "app1/config/app.json".into())]);
        assert_eq!(m("app1/**/*.*").iter().map(|(_, d)| d.as_str()).collect::<Vec<_>>(), vec!["readme.md", "config/app.json"]);
        assert_eq!(m("app*/*.md").len(), 1);
        assert!(m("../etc/passwd").is_empty());
        assert!(m("missing.txt").is_empty());
    }

    #[test]
    fn fences_and_headings() {
        assert_eq!(fence_close("```{{exec interrupt}}", '`', 3), Some(Some("exec interrupt".into())));
        assert_eq!(fence_close("```", '`', 3), Some(None));
        assert_eq!(fence_close("``", '`', 3), None);
        assert_eq!(fence_close("``` text", '`', 3), None);
        assert_eq!(fence_open("```yaml{2,5}"), Some(('`', 3, 0, "yaml{2,5}")));
        assert_eq!(low_heading("## Title ##"), Some("Title"));
        assert_eq!(low_heading("# Title"), Some("Title"));
        assert_eq!(low_heading("### Title"), None);
        assert_eq!(low_heading("#hashtag"), None);
    }

    #[test]
    fn images_named_by_docker_commands() {
        let code = "docker run -d -p 80:80 --name web nginx:alpine\ndocker image pull busybox && docker container run --rm -it debian:bookworm bash\necho docker ps";
        assert_eq!(images_in(code), vec!["nginx:alpine", "busybox", "debian:bookworm"]);
    }

    #[test]
    fn markdown_images() {
        assert_eq!(image_urls("a ![x](./a.png) b ![y](https://e.org/b.png \"t\") ![z]"), vec!["./a.png", "https://e.org/b.png"]);
        assert!(image_urls("[link](x.md)").is_empty());
    }

    #[test]
    fn node_counts_of_environments() {
        assert_eq!(nodes_of_image("kubernetes-kubeadm-2nodes"), Some(2));
        assert_eq!(nodes_of_image("ubuntu"), None);
        assert_eq!(nodes_of_image("kubernetes-kubeadm-1node"), Some(1));
    }

    #[test]
    fn blocks_get_a_long_enough_fence() {
        let mut out = String::new();
        push_block(&mut out, "text", "```\ninner\n```\n");
        assert!(out.starts_with("````text\n```\ninner\n```\n````\n"), "{out}");
        assert_eq!(info_value("/my dir/a\"b"), r#""/my dir/a\"b""#);
        assert_eq!(shell_quote("/root/it's"), r"'/root/it'\''s'");
    }
}
