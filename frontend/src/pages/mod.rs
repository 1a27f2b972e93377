//! One component per route.

pub mod admin;
pub mod catalog;
pub mod home;
pub mod instructor;
pub mod join;
pub mod lesson;
pub mod session;

pub use admin::AdminPage;
pub use catalog::CatalogPage;
pub use home::HomePage;
pub use instructor::{ClassDashboard, InstructorPage};
pub use join::{JoinCodePage, JoinPage};
pub use lesson::LessonPage;
pub use session::SessionPage;
