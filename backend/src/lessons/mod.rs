//! Lessons: the markdown format, its parser and lint, and the lesson store. A leaf like
//! `images/`: it knows nothing of sessions or nodes; playing lessons on nodes is
//! [`crate::player`]'s.
//!
//! The format is documented for instructors in `lessons/README.md`.

pub mod catalog;
pub mod dir;
mod fields;
pub mod frontmatter;
pub mod import;
pub mod images_used;
pub mod info;
pub mod lint;
pub mod model;
pub mod parser;
pub mod render;
pub mod scaffold;
pub mod store;
pub mod values;
pub mod suggest;

pub use lint::ImageCatalog;
pub use model::{Action, Block, ParsedLesson, Problem, Step};
pub use store::LessonStore;
