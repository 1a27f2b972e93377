//! Reusable pieces of the UI.

pub mod class_messages;
pub mod code_block;
pub mod countdown;
pub mod error_banner;
pub mod files;
pub mod lang_switch;
pub mod lesson_ctx;
pub mod lesson_step;
pub mod node_stats;
pub mod ports;
pub mod ssh;
pub mod terminal;
pub mod terminal_tabs;
pub mod upload;
