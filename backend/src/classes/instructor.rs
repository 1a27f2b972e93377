//! Instructor tokens: random bearers whose sha256 is kept in the store. `muelle serve` makes
//! one at start (and prints a link with it, as Jupyter prints its token); `muelle instructor
//! token` makes another. Session tokens are never instructor tokens: they live in another table.

use rusqlite::params;

use crate::sessions::alloc::{new_token, token_digest};
use crate::sessions::now_unix;
use crate::store::Store;

/// Makes a new instructor token, stores its digest, returns it (shown once).
pub fn new_instructor_token(store: &Store) -> anyhow::Result<String> {
    let token = new_token();
    let digest = hex::encode(token_digest(&token));
    store.with_conn(|conn| {
        conn.execute(
            "INSERT INTO instructor_tokens (token_sha256, created_at) VALUES (?1, ?2)",
            params![digest, now_unix()],
        )
    })?;
    Ok(token)
}

/// The instructor's page with `token` in its fragment (never sent to the server, so never logged).
pub fn instructor_link(base: &str, token: &str) -> String {
    format!("{}/instructor#token={token}", base.trim_end_matches('/'))
}

/// The admin page (`/admin`: live sessions, end one, drain) with an instructor `token` in its
/// fragment; the admin API takes instructor tokens too.
pub fn admin_link(base: &str, token: &str) -> String {
    format!("{}/admin#token={token}", base.trim_end_matches('/'))
}

/// Whether `bearer` is an instructor token of this server. The digest is looked up by value (an
/// index on a sha256: timing reveals nothing about the token). The admin view accepts these too.
pub fn instructor_authorized(store: &Store, bearer: &str) -> bool {
    let bearer = bearer.trim();
    if bearer.is_empty() || bearer.len() > 128 {
        return false;
    }
    let digest = hex::encode(token_digest(bearer));
    store
        .with_conn(|conn| {
            conn.query_row("SELECT 1 FROM instructor_tokens WHERE token_sha256 = ?1", params![digest], |_| Ok(()))
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_as_digests_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("muelle.db")).unwrap();
        assert!(!instructor_authorized(&store, "nope"));
        let t = new_instructor_token(&store).unwrap();
        assert!(instructor_authorized(&store, &t));
        assert!(!instructor_authorized(&store, &t[1..]));
        assert!(!instructor_authorized(&store, ""));
        let raw: i64 = store
            .with_conn(|c| c.query_row("SELECT COUNT(*) FROM instructor_tokens WHERE token_sha256 = ?1", params![t], |r| r.get(0)))
            .unwrap();
        assert_eq!(raw, 0, "the token itself is never stored");
    }
}
