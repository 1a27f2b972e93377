//! One component per route.

pub mod catalog;
pub mod home;
pub mod lesson;
pub mod session;

pub use catalog::CatalogPage;
pub use home::HomePage;
pub use lesson::LessonPage;
pub use session::SessionPage;
