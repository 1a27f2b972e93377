//! The lessons a server serves: one watched [`LessonStore`] per lessons directory in the process,
//! with the steps each session has already passed.
//!
//! Why process-wide: `server::app()` may be called many times over one `AppState` (tests build a
//! router per request), yet the store's watcher and the sessions' progress must outlive each
//! router, and `AppState` stays as it is. Session ids are random, so sharing is harmless.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::lint::ImageCatalog;
use super::store::{LessonStore, SharedCatalog};
use crate::images::Catalog;

/// How often the lessons directory is scanned for edits.
pub const WATCH_EVERY: Duration = Duration::from_secs(1);

/// A watched store and the per-session progress cache.
pub struct LiveLessons {
    /// The lessons.
    pub store: LessonStore,
    done: Mutex<HashMap<String, BTreeSet<u32>>>,
}

impl LiveLessons {
    /// A cache over `store` (not watched; [`LiveLessons::for_dir`] starts the watcher).
    pub fn new(store: LessonStore) -> Self {
        Self { store, done: Mutex::new(HashMap::new()) }
    }

    /// The shared instance for `dir`: loaded, linted (problems logged) and watched on first use.
    /// Images are checked against the catalog of `images_dir` (`MUELLE_IMAGES_DIR`) or the
    /// installation's.
    pub fn for_dir(dir: &Path, images_dir: Option<&Path>) -> Arc<LiveLessons> {
        static ALL: OnceLock<Mutex<HashMap<PathBuf, Arc<LiveLessons>>>> = OnceLock::new();
        let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut all = ALL.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        all.entry(key)
            .or_insert_with(|| {
                let store = LessonStore::open(dir, installed_catalog(images_dir));
                let _watcher = store.watch(WATCH_EVERY);
                tracing::info!(dir = %dir.display(), lessons = store.list().len(), "lessons loaded");
                Arc::new(LiveLessons::new(store))
            })
            .clone()
    }

    /// Whether `step` (1-based) of session `id` has passed its check before.
    pub fn is_done(&self, id: &str, step: u32) -> bool {
        self.lock().get(id).is_some_and(|s| s.contains(&step))
    }

    /// Remembers that `step` of session `id` passed: a done step stays done.
    pub fn mark_done(&self, id: &str, step: u32) {
        self.lock().entry(id.to_string()).or_default().insert(step);
    }

    /// Drops the progress of sessions not in `live` (ended ones).
    pub fn retain_sessions(&self, live: &[String]) {
        let live: HashSet<&str> = live.iter().map(String::as_str).collect();
        self.lock().retain(|id, _| live.contains(id.as_str()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, BTreeSet<u32>>> {
        self.done.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The catalog of `images_dir`, else the installation's ([`crate::images::find_catalog`]); without
/// one, image names go unchecked (logged), so a misplaced catalog does not hide every lesson.
pub fn installed_catalog(images_dir: Option<&Path>) -> SharedCatalog {
    match crate::images::find_catalog(images_dir).and_then(Catalog::load) {
        Ok(c) => Arc::new(c),
        Err(err) => {
            tracing::warn!(err = %format!("{err:#}"), "no image catalog: lesson images are not checked");
            Arc::new(AnyImage)
        }
    }
}

struct AnyImage;

impl ImageCatalog for AnyImage {
    fn contains(&self, _reference: &str) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_kept_per_session_and_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let live = LiveLessons::new(LessonStore::open(dir.path().join("none"), Arc::new(AnyImage)));
        assert!(!live.is_done("a", 1));
        live.mark_done("a", 1);
        live.mark_done("b", 2);
        assert!(live.is_done("a", 1) && !live.is_done("a", 2) && live.is_done("b", 2));
        live.retain_sessions(&["b".to_string()]);
        assert!(!live.is_done("a", 1) && live.is_done("b", 2));
    }

    #[test]
    fn one_instance_per_directory() {
        let dir = tempfile::tempdir().unwrap();
        let a = LiveLessons::for_dir(dir.path(), None);
        let b = LiveLessons::for_dir(&dir.path().join("."), None);
        assert!(Arc::ptr_eq(&a, &b));
        let other = tempfile::tempdir().unwrap();
        assert!(!Arc::ptr_eq(&a, &LiveLessons::for_dir(other.path(), None)));
    }

    #[test]
    fn the_installed_catalog_is_found() {
        let c = installed_catalog(None);
        assert!(c.contains("busybox:latest"));
        assert!(!c.contains("alpine:latest"));
    }
}
