//! The front end's error type and how each error is explained to the user.

use protocol::error::codes;
use protocol::ApiError;

use crate::i18n::Strings;

/// Everything that can go wrong in the browser app. `Clone + PartialEq` so it can live in hook
/// state and props.
#[derive(thiserror::Error, Clone, Debug, PartialEq)]
pub enum Error {
    /// The request never got an HTTP answer.
    #[error("network error: {0}")]
    Network(String),
    /// The server answered with an error status.
    #[error("HTTP {status} {code}: {message}")]
    Api {
        /// HTTP status code.
        status: u16,
        /// `ApiError.code`, or `HTTP_<status>` when the body was not an `ApiError`.
        code: String,
        /// `ApiError.message`, or the raw body.
        message: String,
    },
    /// A success response or a socket message did not have the expected shape.
    #[error("unexpected response: {0}")]
    Decode(String),
    /// This tab holds no token for the session (opened from another tab or device).
    #[error("no credentials for session {0}")]
    MissingToken(String),
}

impl Error {
    /// Builds the error for a failed HTTP response from its status and body.
    pub fn from_response(status: u16, body: &str) -> Error {
        match serde_json::from_str::<ApiError>(body) {
            Ok(e) => Error::Api {
                status,
                code: e.code,
                message: e.message,
            },
            Err(_) => Error::Api {
                status,
                code: format!("HTTP_{status}"),
                message: body.chars().take(200).collect(),
            },
        }
    }

    /// Whether the session is unusable for good (gone or not ours), so the UI should offer a new
    /// one instead of a retry.
    pub fn session_is_gone(&self) -> bool {
        match self {
            Error::Api { code, status, .. } => {
                code == codes::SESSION_NOT_FOUND || code == codes::UNAUTHORIZED || *status == 404
            }
            Error::MissingToken(_) => true,
            _ => false,
        }
    }

    /// Whether the server has no such endpoint at all (an older backend), as opposed to a known
    /// endpoint saying the session or node is unknown.
    pub fn is_missing_endpoint(&self) -> bool {
        match self {
            Error::Api { status: 405, .. } => true,
            Error::Api {
                status: 404, code, ..
            } => code == codes::NOT_FOUND || code == "HTTP_404",
            _ => false,
        }
    }

    /// The sentence shown to the user, in their language.
    pub fn user_message(&self, s: &Strings) -> String {
        match self {
            Error::Network(_) => s.network.to_string(),
            Error::MissingToken(_) => s.unauthorized.to_string(),
            Error::Api { code, .. } if code == codes::OUT_OF_CAPACITY => s.out_of_capacity.into(),
            Error::Api { code, .. } if code == codes::DRAINING => s.draining.into(),
            Error::Api { code, .. } if code == codes::SESSION_NOT_FOUND => {
                s.session_not_found.into()
            }
            Error::Api { code, .. } if code == codes::UNAUTHORIZED => s.unauthorized.into(),
            Error::Api { message, .. } => format!("{}: {message}", s.generic_error),
            Error::Decode(detail) => format!("{}: {detail}", s.generic_error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn api_error_body_is_parsed() {
        let e = Error::from_response(503, r#"{"code":"OUT_OF_CAPACITY","message":"full"}"#);
        assert_eq!(
            e,
            Error::Api {
                status: 503,
                code: "OUT_OF_CAPACITY".into(),
                message: "full".into()
            }
        );
        assert_eq!(
            e.user_message(Lang::En.strings()),
            "Out of capacity, try again in a few minutes."
        );
        assert!(e
            .user_message(Lang::Es.strings())
            .starts_with("No hay capacidad"));
        assert!(!e.session_is_gone());
    }

    #[test]
    fn a_draining_server_is_explained_in_the_users_language() {
        let e = Error::from_response(503, r#"{"code":"DRAINING","message":"maintenance"}"#);
        assert!(e.user_message(Lang::En.strings()).starts_with("This server is under maintenance"));
        assert!(e.user_message(Lang::Es.strings()).starts_with("Este servidor está en mantenimiento"));
    }

    #[test]
    fn non_json_body_keeps_status() {
        let e = Error::from_response(502, "Bad Gateway");
        assert_eq!(
            e,
            Error::Api {
                status: 502,
                code: "HTTP_502".into(),
                message: "Bad Gateway".into()
            }
        );
        assert_eq!(
            e.user_message(Lang::En.strings()),
            "Something went wrong: Bad Gateway"
        );
    }

    #[test]
    fn gone_sessions() {
        assert!(Error::from_response(404, "").session_is_gone());
        assert!(
            Error::from_response(401, r#"{"code":"UNAUTHORIZED","message":"x"}"#).session_is_gone()
        );
        assert!(Error::MissingToken("s".into()).session_is_gone());
        assert!(!Error::Network("down".into()).session_is_gone());
    }

    #[test]
    fn missing_endpoints_are_told_apart_from_missing_things() {
        assert!(
            Error::from_response(404, r#"{"code":"NOT_FOUND","message":"no route"}"#)
                .is_missing_endpoint()
        );
        assert!(Error::from_response(404, "").is_missing_endpoint());
        assert!(Error::from_response(405, "").is_missing_endpoint());
        assert!(
            !Error::from_response(404, r#"{"code":"NODE_NOT_FOUND","message":"x"}"#)
                .is_missing_endpoint()
        );
        assert!(!Error::Network("x".into()).is_missing_endpoint());
    }

    #[test]
    fn long_bodies_are_cut() {
        let e = Error::from_response(500, &"x".repeat(1000));
        let Error::Api { message, .. } = e else {
            panic!("not an API error")
        };
        assert_eq!(message.len(), 200);
    }
}
