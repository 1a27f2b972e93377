//! `LessonStore`: the lessons that pass lint, reloaded when their files change on disk.
//!
//! Changes are found by polling file stamps (mtime + size): a handful of files, once a second,
//! costs nothing and works on every file system, where inotify misses edits on some mounts.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, SystemTime};

use super::dir::{check_file, cross_check, lesson_files, servable, FileResult};
use super::lint::ImageCatalog;
use super::model::{Action, Block, ParsedLesson, Problem};
use super::render::to_protocol;

/// The image catalog as the store shares it with its watcher thread.
pub type SharedCatalog = Arc<dyn ImageCatalog + Send + Sync>;

type Stamp = (Option<SystemTime>, u64);

/// Thread-safe, cheap to clone.
#[derive(Clone)]
pub struct LessonStore(Arc<Shared>);

struct Shared {
    dir: PathBuf,
    images: SharedCatalog,
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    files: BTreeMap<PathBuf, (Stamp, FileResult)>,
    cross: Vec<Problem>,
    served: HashMap<(String, String), Served>,
}

#[derive(Clone)]
struct Served {
    parsed: Arc<ParsedLesson>,
    wire: Arc<protocol::Lesson>,
}

/// What the server needs to check or complete one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepScripts {
    /// Node and script of the step's `check`.
    pub check: Option<Script>,
    /// Node and script of the step's `solve`.
    pub solve: Option<Script>,
    /// The step's run and file blocks in order: what "Skip" replays when there is no solve.
    pub replay: Vec<Block>,
}

/// A script to run in a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// `node1` … `node5`.
    pub node: String,
    /// Shell text for `/bin/sh -c`.
    pub code: String,
    /// The block's `timeout=`, if any.
    pub timeout_secs: Option<u32>,
}

impl LessonStore {
    /// Loads every lesson under `dir` (`<dir>/<lang>/*.md`).
    pub fn load(dir: impl Into<PathBuf>, images: SharedCatalog) -> std::io::Result<Self> {
        let shared = Shared {
            dir: dir.into(),
            images,
            state: RwLock::new(State::default()),
        };
        let store = Self(Arc::new(shared));
        store.refresh()?;
        Ok(store)
    }

    /// Like [`LessonStore::load`], but an unreadable directory gives an empty store (logged) that
    /// fills up once the directory appears: the server starts either way.
    pub fn open(dir: impl Into<PathBuf>, images: SharedCatalog) -> Self {
        let store = Self(Arc::new(Shared {
            dir: dir.into(),
            images,
            state: RwLock::new(State::default()),
        }));
        if let Err(err) = store.refresh() {
            tracing::warn!(?err, dir = %store.dir().display(), "cannot read the lessons directory");
        }
        store
    }

    /// Re-reads the files whose stamp changed, drops deleted ones; true if anything changed.
    pub fn refresh(&self) -> std::io::Result<bool> {
        let paths = lesson_files(&self.0.dir)?;
        let old: HashMap<PathBuf, Stamp> = {
            let st = self.read();
            st.files.iter().map(|(p, (s, _))| (p.clone(), *s)).collect()
        };
        let mut fresh = Vec::new();
        for p in &paths {
            let stamp = stamp(p);
            if old.get(p) != Some(&stamp) {
                fresh.push((p.clone(), (stamp, check_file(p, self.0.images.as_ref()))));
            }
        }
        let removed = old.keys().any(|p| !paths.contains(p));
        if fresh.is_empty() && !removed {
            return Ok(false);
        }
        let mut st = self.0.state.write().unwrap_or_else(|e| e.into_inner());
        st.files.retain(|p, _| paths.contains(p));
        for (p, entry) in fresh {
            tracing::info!(file = %p.display(), problems = entry.1.problems.len(), "lesson file (re)loaded");
            for problem in &entry.1.problems {
                tracing::warn!(problem = %problem, "lesson not served");
            }
            st.files.insert(p, entry);
        }
        rebuild(&mut st);
        Ok(true)
    }

    /// Polls the directory every `every` on a thread that ends when the last store clone drops.
    pub fn watch(&self, every: Duration) -> std::thread::JoinHandle<()> {
        let weak: Weak<Shared> = Arc::downgrade(&self.0);
        std::thread::spawn(move || {
            let mut failing = false;
            loop {
                std::thread::sleep(every);
                let Some(shared) = weak.upgrade() else { return };
                match LessonStore(shared).refresh() {
                    Err(err) if !failing => {
                        tracing::warn!(?err, "lessons directory scan failed");
                        failing = true;
                    }
                    Err(_) => {}
                    Ok(_) => failing = false,
                }
            }
        })
    }

    /// The catalog: every servable lesson, by order, id, then language.
    pub fn list(&self) -> Vec<protocol::LessonSummary> {
        let mut out: Vec<_> = self
            .read()
            .served
            .values()
            .map(|s| s.wire.summary.clone())
            .collect();
        out.sort_by(|a, b| (a.order, &a.id, &a.lang).cmp(&(b.order, &b.id, &b.lang)));
        out
    }

    /// A lesson as the browser gets it.
    pub fn get(&self, id: &str, lang: &str) -> Option<Arc<protocol::Lesson>> {
        self.served(id, lang).map(|s| s.wire)
    }

    /// The full parsed lesson, scripts included (server side only).
    pub fn parsed(&self, id: &str, lang: &str) -> Option<Arc<ParsedLesson>> {
        self.served(id, lang).map(|s| s.parsed)
    }

    /// Check, solve and replay blocks of step `step` (0-based).
    pub fn step_scripts(&self, id: &str, lang: &str, step: usize) -> Option<StepScripts> {
        scripts_of(self.parsed(id, lang)?.as_ref(), step)
    }

    /// `lang` if the lesson exists in it, else another language it exists in (alphabetically
    /// first), so a link in one language still opens a lesson only translated to another.
    pub fn resolve_lang(&self, id: &str, lang: &str) -> Option<String> {
        let st = self.read();
        if st.served.contains_key(&(id.to_string(), lang.to_string())) {
            return Some(lang.to_string());
        }
        st.served.keys().filter(|(i, _)| i == id).map(|(_, l)| l.clone()).min()
    }

    /// A browser-visible block by its id (`"2.1"`), with its node resolved.
    pub fn block(&self, id: &str, lang: &str, block_id: &str) -> Option<(String, Block)> {
        let l = self.parsed(id, lang)?;
        let mut all = l.intro.iter().chain(l.steps.iter().flat_map(|s| &s.parts));
        all.find_map(|p| match p {
            super::model::Part::Block(b) if b.id == block_id => {
                Some((l.node_of(b).to_string(), b.clone()))
            }
            _ => None,
        })
    }

    /// Every current lint problem, sorted.
    pub fn problems(&self) -> Vec<Problem> {
        let st = self.read();
        let mut out: Vec<Problem> = st
            .files
            .values()
            .flat_map(|(_, r)| r.problems.clone())
            .collect();
        out.extend(st.cross.iter().cloned());
        out.sort();
        out
    }

    /// The directory the store reads.
    pub fn dir(&self) -> &Path {
        &self.0.dir
    }

    fn served(&self, id: &str, lang: &str) -> Option<Served> {
        self.read()
            .served
            .get(&(id.to_string(), lang.to_string()))
            .cloned()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.0.state.read().unwrap_or_else(|e| e.into_inner())
    }
}

fn stamp(p: &Path) -> Stamp {
    std::fs::metadata(p).map_or((None, 0), |m| (m.modified().ok(), m.len()))
}

/// Check, solve and replay blocks of step `step` (0-based) of a parsed lesson.
pub fn scripts_of(l: &ParsedLesson, step: usize) -> Option<StepScripts> {
    let s = l.steps.get(step)?;
    let script = |b: &Block| Script {
        node: l.node_of(b).to_string(),
        code: b.code.clone(),
        timeout_secs: b.timeout_secs,
    };
    Some(StepScripts {
        check: s.check().map(script),
        solve: s.solve().map(script),
        replay: s
            .blocks()
            .filter(|b| matches!(b.action, Action::Run | Action::File))
            .cloned()
            .collect(),
    })
}

/// Recomputes cross-file problems and the servable set.
fn rebuild(st: &mut State) {
    let results: Vec<FileResult> = st.files.values().map(|(_, r)| r.clone()).collect();
    st.cross = cross_check(&results);
    st.served.clear();
    for r in &results {
        if let Some(l) = servable(r, &st.cross) {
            let served = Served {
                parsed: Arc::new(l.clone()),
                wire: Arc::new(to_protocol(l)),
            };
            st.served
                .insert((l.front.id.clone(), l.front.lang.clone()), served);
        }
    }
    for p in &st.cross {
        if p.warning {
            tracing::warn!(problem = %p, "lesson warning");
        } else {
            tracing::warn!(problem = %p, "lesson not served");
        }
    }
}
