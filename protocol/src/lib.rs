//! muelle's wire contract: the JSON and WebSocket types shared by the backend and the browser.
//!
//! serde only, so the crate builds for native targets and for wasm32. Integers are fixed-width
//! (wasm32 is 32-bit); new fields are added with `#[serde(default)]` so old peers keep working.

pub mod classes;
pub mod error;
pub mod labels;
pub mod lesson;
pub mod play;
pub mod routes;
pub mod session;
pub mod ssh;
pub mod terminal;
pub mod vars;

pub use error::ApiError;
pub use lesson::{
    ActionResponse, BlockKind, Lesson, LessonBlock, LessonPart, LessonProgress, LessonStep, LessonSummary,
    StepSolution, StepStatus,
};
pub use session::{
    CreateSessionRequest, CreateSessionResponse, ExecRequest, ExecResponse, NodeInfo, NodeStatus,
    NodePorts, PortLink, MAX_NODES_PER_SESSION, ServerConfig, SessionInfo, SetupState, SetupStatus,
};
pub use play::{FileEntry, FileKind, FileList, LocalName, NodeStats, Template};
pub use terminal::{ClientControl, ServerEvent, TerminalList};

/// Bumped whenever a change to these types is not backwards compatible.
pub const PROTOCOL_VERSION: u32 = 1;
