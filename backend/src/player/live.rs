//! The lessons a server serves: its watched [`LessonStore`], with the steps each session has
//! already passed. One per [`crate::state::AppState`]; every router built over that state shares
//! it (tests build a router per request), so the watcher and the progress outlive each router.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use protocol::SetupStatus;

use crate::lessons::catalog::installed_catalog;
use crate::lessons::store::LessonStore;

/// How often the lessons directory is scanned for edits.
pub const WATCH_EVERY: Duration = Duration::from_secs(1);

/// A watched store and the per-session progress cache.
pub struct LiveLessons {
    /// The lessons.
    pub store: LessonStore,
    done: Mutex<HashMap<String, BTreeSet<u32>>>,
    setup: Mutex<HashMap<String, SetupStatus>>,
    /// (session, step) each time a step passes for the first time (the classroom listens).
    passed: tokio::sync::broadcast::Sender<(String, u32)>,
}

impl LiveLessons {
    /// A cache over `store` (not watched; [`LiveLessons::open`] starts the watcher).
    pub fn new(store: LessonStore) -> Self {
        let (passed, _) = tokio::sync::broadcast::channel(1024);
        Self { store, done: Mutex::new(HashMap::new()), setup: Mutex::new(HashMap::new()), passed }
    }

    /// The lessons of `dir`: loaded, linted against the catalog of `images_dir` or the
    /// installation's (problems logged) and watched until the last clone of the store drops.
    pub fn open(dir: &Path, images_dir: Option<&Path>) -> LiveLessons {
        let store = LessonStore::open(dir, installed_catalog(images_dir));
        let _watcher = store.watch(WATCH_EVERY);
        tracing::info!(dir = %dir.display(), lessons = store.list().len(), "lessons loaded");
        LiveLessons::new(store)
    }

    /// Whether `step` (1-based) of session `id` has passed its check before.
    pub fn is_done(&self, id: &str, step: u32) -> bool {
        self.lock().get(id).is_some_and(|s| s.contains(&step))
    }

    /// Remembers that `step` of session `id` passed: a done step stays done.
    pub fn mark_done(&self, id: &str, step: u32) {
        if self.lock().entry(id.to_string()).or_default().insert(step) {
            // No receiver (no classroom listening) is fine.
            let _ = self.passed.send((id.to_string(), step));
        }
    }

    /// Session `id` moved to another lesson: its passed steps become `steps` (nothing is
    /// announced) and the previous lesson's setup status is forgotten.
    pub fn new_lesson(&self, id: &str, steps: impl IntoIterator<Item = u32>) {
        self.lock().insert(id.to_string(), steps.into_iter().collect());
        self.setup_lock().remove(id);
    }

    /// Every step passing from now on, as (session, step).
    pub fn subscribe_passed(&self) -> tokio::sync::broadcast::Receiver<(String, u32)> {
        self.passed.subscribe()
    }

    /// Drops the progress and setup status of sessions not in `live` (ended ones).
    pub fn retain_sessions(&self, live: &[String]) {
        let live: HashSet<&str> = live.iter().map(String::as_str).collect();
        self.lock().retain(|id, _| live.contains(id.as_str()));
        self.setup_lock().retain(|id, _| live.contains(id.as_str()));
    }

    /// Remembers how session `id`'s setup scripts went (`GET /api/sessions/{id}` shows it).
    pub fn set_setup(&self, id: &str, status: SetupStatus) {
        self.setup_lock().insert(id.to_string(), status);
    }

    /// How session `id`'s setup scripts went, if its lesson has any.
    pub fn setup_of(&self, id: &str) -> Option<SetupStatus> {
        self.setup_lock().get(id).cloned()
    }

    fn setup_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SetupStatus>> {
        self.setup.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, BTreeSet<u32>>> {
        self.done.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use protocol::SetupState;

    use super::*;
    use crate::lessons::catalog::AnyImage;

    #[test]
    fn progress_is_kept_per_session_and_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let live = LiveLessons::new(LessonStore::open(dir.path().join("none"), Arc::new(AnyImage)));
        assert!(!live.is_done("a", 1));
        live.mark_done("a", 1);
        live.mark_done("b", 2);
        assert!(live.is_done("a", 1) && !live.is_done("a", 2) && live.is_done("b", 2));
        live.set_setup("a", SetupStatus { state: SetupState::Done, message: None });
        live.set_setup("b", SetupStatus { state: SetupState::Failed, message: Some("x".into()) });
        assert_eq!(live.setup_of("a").map(|s| s.state), Some(SetupState::Done));
        live.retain_sessions(&["b".to_string()]);
        assert!(!live.is_done("a", 1) && live.is_done("b", 2));
        assert_eq!((live.setup_of("a"), live.setup_of("b").map(|s| s.state)), (None, Some(SetupState::Failed)));
    }
}
