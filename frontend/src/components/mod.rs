//! Reusable pieces of the UI.

pub mod countdown;
pub mod error_banner;
pub mod lang_switch;
pub mod terminal;
