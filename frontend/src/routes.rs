//! The route table: every page's path. A leaf, so pages and hooks can link and navigate without
//! importing the app that mounts them.

use yew_router::prelude::*;

/// Every page of the app.
#[derive(Routable, Clone, Debug, PartialEq)]
pub enum Route {
    /// Start page.
    #[at("/")]
    Home,
    /// The lesson catalog.
    #[at("/lessons")]
    Catalog,
    /// One lesson with its terminals.
    #[at("/lessons/:id")]
    Lesson {
        /// Lesson id.
        id: String,
    },
    /// A running playground session.
    #[at("/s/:id")]
    Session {
        /// Session id.
        id: String,
    },
    /// The instructor's classes (the token comes in the fragment: `#token=…`).
    #[at("/instructor")]
    Instructor,
    /// One class's live dashboard.
    #[at("/instructor/classes/:id")]
    ClassDashboard {
        /// Class id.
        id: String,
    },
    /// The operator's view: live sessions, end one, drain (`#token=…`: admin or instructor token).
    #[at("/admin")]
    Admin,
    /// Type a class's join code.
    #[at("/join")]
    JoinCode,
    /// Join a class.
    #[at("/join/:code")]
    Join {
        /// The join code.
        code: String,
    },
    /// Anything else.
    #[not_found]
    #[at("/404")]
    NotFound,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_recognise_paths() {
        assert_eq!(Route::recognize("/"), Some(Route::Home));
        assert_eq!(
            Route::recognize("/s/abc123"),
            Some(Route::Session {
                id: "abc123".into()
            })
        );
        assert_eq!(Route::recognize("/lessons"), Some(Route::Catalog));
        assert_eq!(Route::recognize("/admin"), Some(Route::Admin));
        assert_eq!(
            Route::recognize("/lessons/first-containers"),
            Some(Route::Lesson {
                id: "first-containers".into()
            })
        );
        assert_eq!(Route::recognize("/nope/x"), Some(Route::NotFound));
        assert_eq!(Route::Session { id: "x".into() }.to_path(), "/s/x");
    }
}
