//! `AppState`: what every handler gets. Built by [`crate::server::Backend::start`] (or by tests
//! over the fake provider); the routes depend on it, it depends on no route.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::classes::Classes;
use crate::config::Config;
use crate::limits::Limits;
use crate::player::live::LiveLessons;
use crate::provider::SandboxProvider;
use crate::sessions::SessionRegistry;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<Config>,
    /// The live sessions.
    pub sessions: Arc<SessionRegistry>,
    /// Creates and enters sandboxes.
    pub provider: Arc<dyn SandboxProvider>,
    /// Per-session and per-address limits (execs, terminals, session creation).
    pub limits: Arc<Limits>,
    /// The lessons served (`config.lessons_dir`, watched) and each session's progress.
    pub lessons: Arc<LiveLessons>,
    /// The classroom: classes, students, their progress.
    pub classes: Arc<Classes>,
}

impl AppState {
    /// The state of an app over `sessions`, with fresh limits from `config` and the lessons of
    /// `config.lessons_dir` (loaded now, then watched).
    pub fn new(config: Arc<Config>, sessions: Arc<SessionRegistry>, provider: Arc<dyn SandboxProvider>) -> Self {
        let lessons = Arc::new(LiveLessons::open(&config.lessons_dir, config.images_dir.as_deref()));
        let limits = Arc::new(Limits::new(&config));
        let classes = Classes::open(sessions.clone(), lessons.clone());
        Self { config, sessions, provider, limits, lessons, classes }
    }
}

impl FromRef<AppState> for Arc<SessionRegistry> {
    fn from_ref(state: &AppState) -> Self {
        state.sessions.clone()
    }
}
