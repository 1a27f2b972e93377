//! Talking to the backend and the browser: REST, the terminal socket, storage, xterm.js, the
//! lazily loaded CodeMirror editor.

pub mod admin_api;
pub mod api;
pub mod class_api;
pub mod code_editor;
pub mod key_order;
pub mod lesson_api;
pub mod lesson_logic;
pub mod node_api;
pub mod page;
pub mod play_api;
pub mod storage;
pub mod term_prefs;
pub mod terminal_proto;
pub mod terminal_socket;
pub mod terminal_state;
pub mod xterm;
