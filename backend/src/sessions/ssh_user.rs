//! SSH user names: `<node>.<session id>.<key>`, where the key is derived on the server from what
//! the session already stores (the SHA-256 of its bearer token), so SSH needs no account, no
//! password and no new column: whoever can read the session (its token) can ask for the command
//! (`GET /api/sessions/{id}/ssh`), and nobody else can make the key. The short form
//! `<node>.<session id>` ([`parse_short`]) logs in with the session token as the password.

use sha2::{Digest, Sha256};

/// Hex characters of the key in a user name (80 bits).
pub const KEY_LEN: usize = 20;
/// Label mixed into the key, so that it is no other digest of the token.
const LABEL: &[u8] = b"muelle ssh user key v1\0";

/// A user name taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `node1`.
    pub node: String,
    /// The session id.
    pub session: String,
    /// The key, as given (checked by [`key_matches`]); empty for a password login.
    pub key: String,
}

fn node_ok(node: &str) -> bool {
    (1..=32).contains(&node.len()) && node.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn session_ok(session: &str) -> bool {
    (1..=64).contains(&session.len()) && session.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Splits the short name `node1.<session>` (the password is the session token); `None` for
/// anything else.
pub fn parse_short(user: &str) -> Option<User> {
    let (node, session) = user.split_once('.')?;
    (node_ok(node) && session_ok(session)).then(|| User { node: node.into(), session: session.into(), key: String::new() })
}

/// The short user name of `node` in session `id` (its password is the session token).
pub fn short_name(node: &str, id: &str) -> String {
    format!("{node}.{id}")
}

/// Splits `node1.<session>.<key>`; `None` for anything else (the caller says no more than "denied").
pub fn parse(user: &str) -> Option<User> {
    let mut parts = user.split('.');
    let (node, session, key) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let key_ok = key.len() == KEY_LEN && key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (node_ok(node) && session_ok(session) && key_ok).then(|| User { node: node.into(), session: session.into(), key: key.into() })
}

/// The key of session `id` whose token's SHA-256 is `token_sha256`: the first [`KEY_LEN`] hex
/// characters of SHA-256(label ‖ id ‖ token digest).
pub fn derive_key(id: &str, token_sha256: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(LABEL);
    h.update(id.as_bytes());
    h.update([0]);
    h.update(token_sha256);
    let mut key = hex::encode(h.finalize());
    key.truncate(KEY_LEN);
    key
}

/// Whether `given` is `expected`, compared without an early exit (lengths are public: both are
/// [`KEY_LEN`] once parsed).
pub fn key_matches(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The user name of `node` in session `id`.
pub fn user_name(node: &str, id: &str, token_sha256: &[u8; 32]) -> String {
    format!("{node}.{id}.{}", derive_key(id, token_sha256))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::alloc::token_digest;

    #[test]
    fn ssh_user_names_are_parsed() {
        let u = parse("node2.k3f9ab77abcd0123.0123456789abcdef0123").unwrap();
        assert_eq!(u, User { node: "node2".into(), session: "k3f9ab77abcd0123".into(), key: "0123456789abcdef0123".into() });
        for bad in [
            "",
            "root",
            "node1",
            "node1.k3f9ab77abcd0123",
            "node1.k3f9ab77abcd0123.0123456789abcdef0123.x",
            "node1..0123456789abcdef0123",
            ".k3f9ab77abcd0123.0123456789abcdef0123",
            "node1.k3f9ab77abcd0123.0123456789abcdef012",
            "node1.k3f9ab77abcd0123.0123456789abcdef01234",
            "node1.k3f9ab77abcd0123.0123456789ABCDEF0123",
            "node1.k3f9ab77abcd0123.0123456789abcdefg123",
            "Node1.k3f9ab77abcd0123.0123456789abcdef0123",
            "node1.K3F9.0123456789abcdef0123",
            "node1.k3f9/../x.0123456789abcdef0123",
            "node 1.k3f9ab77abcd0123.0123456789abcdef0123",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn short_ssh_user_names_are_parsed() {
        let u = parse_short("node3.k3f9ab77abcd0123").unwrap();
        assert_eq!(u, User { node: "node3".into(), session: "k3f9ab77abcd0123".into(), key: String::new() });
        assert_eq!(short_name("node3", "k3f9ab77abcd0123"), "node3.k3f9ab77abcd0123");
        for bad in ["", "node1", "node1.", ".k3f9", "node1.k3f9.0123456789abcdef0123", "node1.K3F9", "Node1.k3f9", "node1.k3f9/..", "node 1.k3f9"] {
            assert_eq!(parse_short(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ssh_keys_come_from_the_token_and_the_id() {
        let digest = token_digest("a".repeat(64).as_str());
        let key = derive_key("abcd", &digest);
        assert_eq!(key.len(), KEY_LEN);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(key, derive_key("abcd", &digest), "stable across calls (and restarts)");
        assert_ne!(key, derive_key("abce", &digest), "another session, another key");
        assert_ne!(key, derive_key("abcd", &token_digest(&"b".repeat(64))), "another token, another key");
        // Not a prefix of the token's own digest (which the store holds).
        assert!(!hex::encode(digest).starts_with(&key));
        let name = user_name("node1", "abcd", &digest);
        let u = parse(&name).unwrap();
        assert_eq!((u.node.as_str(), u.session.as_str()), ("node1", "abcd"));
        assert!(key_matches(&u.key, &key));
    }

    #[test]
    fn ssh_key_check_compares_every_byte() {
        let key = "0123456789abcdef0123";
        assert!(key_matches(key, key));
        assert!(!key_matches("1123456789abcdef0123", key));
        assert!(!key_matches("0123456789abcdef0124", key));
        assert!(!key_matches("0123456789abcdef012", key));
        assert!(!key_matches("", key));
    }
}
