//! What a lesson's steps and code blocks need from their page: the session, the terminals and
//! the progress, shared as a context instead of threading props through every level.

use yew::prelude::*;

use crate::components::terminal::TerminalRegistry;
use crate::services::storage::StoredSession;

/// Provided by the lesson page.
#[derive(Clone, PartialEq)]
pub struct LessonCtx {
    /// Lesson id.
    pub lesson: AttrValue,
    /// Language of the text shown (the API's `lang`).
    pub lang: AttrValue,
    /// The running session, `None` before "Start lesson".
    pub session: Option<StoredSession>,
    /// The page's terminals.
    pub registry: TerminalRegistry,
    /// Brings a node's terminal tab to the front.
    pub show_node: Callback<AttrValue>,
    /// Ticks a step (1-based).
    pub mark_done: Callback<u32>,
}

impl LessonCtx {
    /// `(session id, token)` when a session runs.
    pub fn creds(&self) -> Option<(String, String)> {
        self.session
            .as_ref()
            .map(|s| (s.id.clone(), s.token.clone()))
    }
}

/// Reads the lesson context; components using it are only mounted inside the provider.
#[hook]
pub fn use_lesson_ctx() -> Option<LessonCtx> {
    use_context::<LessonCtx>()
}
