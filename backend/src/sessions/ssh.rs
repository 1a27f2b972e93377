//! What the SSH endpoint ([`crate::ssh`]) asks of the registry: a session's SSH user names, and
//! whether a user name's key (or a password) is the session's.

use super::{alloc, now_unix, SessionRegistry};
use crate::error::AppError;
use super::ssh_user as user;

impl SessionRegistry {
    /// The SSH user name of `node` in session `id` (`node1.<id>.<key>`); 404 if the session is
    /// not visible.
    pub fn ssh_user(&self, id: &str, node: &str) -> Result<String, AppError> {
        let state = self.lock();
        let session = state.get(id).filter(|s| s.is_visible(now_unix())).ok_or(AppError::SessionNotFound)?;
        Ok(user::user_name(node, id, &session.token_sha256))
    }

    /// Whether `key` is the SSH key of visible session `id` (compared in constant time; an
    /// unknown session compares against a dummy key, so both take the same time).
    pub fn ssh_key_matches(&self, id: &str, key: &str) -> bool {
        let expected = {
            let state = self.lock();
            state.get(id).filter(|s| s.is_visible(now_unix())).map(|s| user::derive_key(id, &s.token_sha256))
        };
        let known = expected.is_some();
        let expected = expected.unwrap_or_else(|| user::derive_key(id, &[0; 32]));
        user::key_matches(key, &expected) && known
    }

    /// Whether `password` is the token of visible session `id` (its digest compared in constant
    /// time against the stored one; an unknown session compares against a dummy digest).
    pub fn ssh_password_matches(&self, id: &str, password: &str) -> bool {
        let stored = {
            let state = self.lock();
            state.get(id).filter(|s| s.is_visible(now_unix())).map(|s| s.token_sha256)
        };
        let known = stored.is_some();
        alloc::digests_match(&stored.unwrap_or([0xa5; 32]), &alloc::token_digest(password)) && known
    }
}
