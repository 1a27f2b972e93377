//! One component per route.

pub mod home;
pub mod session;

pub use home::HomePage;
pub use session::SessionPage;
