//! Allocation of the scarce things a session needs: ids, tokens, node uid ranges (network slots:
//! `crate::provider::addr`).

use std::collections::BTreeSet;

use rand::Rng;
use sha2::{Digest, Sha256};

/// First host uid of node slot 0; each node gets 65536 ids above it.
pub const UID_BASE: u32 = 1_000_000;
/// Size of one node's uid/gid range.
pub const UID_RANGE: u32 = 65_536;
/// Node slots whose ranges end below the warm pool's (`provider::pool::UID_BASE`): a range of
/// the registry's never overlaps a pool node's, wherever that node is adopted.
const MAX_NODE_SLOTS: u32 = (crate::provider::pool::UID_BASE - UID_BASE) / UID_RANGE;

/// A fresh session id: 16 characters of `[a-z0-9]` (URL-safe, usable in file names).
pub fn new_session_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..16).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// A fresh bearer token: 32 random bytes, hex-encoded.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// sha256 of a token, as stored.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares two digests without an early exit (no timing hints about the stored digest).
pub fn digests_match(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The short prefix of a session id used in node keys.
pub fn key_prefix(session_id: &str) -> &str {
    &session_id[..session_id.len().min(6)]
}

/// A node's host-unique key, e.g. `k3f9ab-1`.
pub fn node_key(session_id: &str, index: u8) -> String {
    format!("{}-{index}", key_prefix(session_id))
}

/// The `n` lowest node slots not in `used`, as uid bases.
pub fn free_uid_bases(used_bases: &BTreeSet<u32>, n: usize) -> Option<Vec<u32>> {
    let bases: Vec<u32> = (0..MAX_NODE_SLOTS)
        .map(|slot| UID_BASE + UID_RANGE * slot)
        .filter(|base| !used_bases.contains(base))
        .take(n)
        .collect();
    (bases.len() == n).then_some(bases)
}

/// The lowest node index (1..=max) not in `used`.
pub fn free_index(used: &BTreeSet<u8>, max: u8) -> Option<u8> {
    (1..=max).find(|i| !used.contains(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_tokens_have_their_shape() {
        let id = new_session_id();
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert_ne!(t, new_token());
        assert_eq!(node_key("k3f9ab77", 2), "k3f9ab-2");
    }

    #[test]
    fn digests_compare_by_value() {
        let a = token_digest("one");
        assert!(digests_match(&a, &token_digest("one")));
        assert!(!digests_match(&a, &token_digest("two")));
    }

    #[test]
    fn lowest_free_slots_are_chosen() {
        let used: BTreeSet<u32> = [UID_BASE, UID_BASE + 2 * UID_RANGE].into();
        assert_eq!(free_uid_bases(&used, 2), Some(vec![UID_BASE + UID_RANGE, UID_BASE + 3 * UID_RANGE]));
        assert_eq!(free_index(&[1, 2, 4].into(), 5), Some(3));
        assert_eq!(free_index(&(1..=5).collect(), 5), None);
    }

    #[test]
    fn registry_ranges_stay_below_the_pool_ranges() {
        let pool_base = crate::provider::pool::UID_BASE;
        let last = UID_BASE + (MAX_NODE_SLOTS - 1) * UID_RANGE;
        assert!(u64::from(last) + u64::from(UID_RANGE) <= u64::from(pool_base));
        // With every lower slot taken, the allocator runs out rather than reach the pool's.
        let used: BTreeSet<u32> = (0..MAX_NODE_SLOTS - 1).map(|s| UID_BASE + s * UID_RANGE).collect();
        assert_eq!(free_uid_bases(&used, 1), Some(vec![last]));
        assert_eq!(free_uid_bases(&used, 2), None);
    }
}
