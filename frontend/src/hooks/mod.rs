//! Custom hooks shared by pages and components.

mod use_countdown;
mod use_lang;
mod use_lesson;
mod use_node_poll;
mod use_nodes;
mod use_start_session;

pub use use_countdown::use_countdown;
pub use use_lang::{initial_lang, use_lang, LangHandle};
pub use use_lesson::{use_lesson_session, use_lesson_text, use_progress_poll, LessonSession};
pub use use_nodes::{use_nodes, NodesHandle, MAX_NODES};
pub use use_start_session::use_start_session;
