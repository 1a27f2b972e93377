//! Custom hooks shared by pages and components.

mod use_countdown;
mod use_lang;
mod use_start_session;

pub use use_countdown::use_countdown;
pub use use_lang::{initial_lang, use_lang, LangHandle};
pub use use_start_session::use_start_session;
