//! The sessions' address plan: every session owns a /28 (its gateway, up to 5 nodes, room to
//! spare) carved from one range, `MUELLE_SESSION_NET` (default 10.100.0.0/16, 4096 sessions).
//!
//! Sessions stored by a muelle that gave each session a /24 of 10.100.0.0/16 keep theirs
//! ([`SessionNet::legacy`]); the /28 slots such a /24 covers stay taken while it lives.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Prefix length of one session network.
pub const SLOT_PREFIX: u8 = 28;
/// Addresses in one session network.
const SLOT_SIZE: u32 = 1 << (32 - SLOT_PREFIX);
/// The pool's bridge (10.99.1.0/24) and the registry front (10.99.0.1) live here: no session
/// range may touch it.
pub const RESERVED: (Ipv4Addr, u8) = (Ipv4Addr::new(10, 99, 0, 0), 16);

/// `a.b.c.d/n` → (network address, n), when the host bits are zero.
fn parse_cidr(s: &str) -> Result<(u32, u8), String> {
    let (ip, len) = s.trim().split_once('/').ok_or_else(|| format!("{s:?} is not an IPv4 range such as 10.100.0.0/16"))?;
    let ip: Ipv4Addr = ip.parse().map_err(|_| format!("{s:?}: {ip:?} is not an IPv4 address"))?;
    let len: u8 = len.parse().ok().filter(|l| *l <= 32).ok_or_else(|| format!("{s:?}: prefix length {len:?} is not 0..=32"))?;
    let base = u32::from(ip);
    if base & !mask(len) != 0 {
        let net = Ipv4Addr::from(base & mask(len));
        return Err(format!("{s:?} has host bits set (the range would be {net}/{len})"));
    }
    Ok((base, len))
}

fn mask(len: u8) -> u32 {
    if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) }
}

/// Whether two ranges share an address.
fn overlap(a: (u32, u8), b: (u32, u8)) -> bool {
    let m = mask(a.1.min(b.1));
    a.0 & m == b.0 & m
}

/// The range session networks are carved from, in /28 slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRange {
    base: u32,
    prefix: u8,
}

impl Default for SessionRange {
    fn default() -> Self {
        Self { base: u32::from(Ipv4Addr::new(10, 100, 0, 0)), prefix: 16 }
    }
}

impl FromStr for SessionRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (base, prefix) = parse_cidr(s)?;
        if prefix > SLOT_PREFIX {
            return Err(format!("{s:?} is too small: it must hold at least one /{SLOT_PREFIX} (16 addresses)"));
        }
        if prefix < 8 {
            return Err(format!("{s:?} is too large: use a /8 or smaller"));
        }
        let reserved = (u32::from(RESERVED.0), RESERVED.1);
        if overlap((base, prefix), reserved) {
            return Err(format!("{s:?} overlaps {}/{}, the warm pool's and the registry front's addresses", RESERVED.0, RESERVED.1));
        }
        let ip = Ipv4Addr::from(base);
        if ip.is_loopback() || ip.is_multicast() || ip.is_unspecified() || ip.is_link_local() || u32::from(ip) >= 0xf000_0000 {
            return Err(format!("{s:?} is not a range nodes can use (loopback, link-local, multicast or reserved)"));
        }
        Ok(Self { base, prefix })
    }
}

impl fmt::Display for SessionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.prefix)
    }
}

impl SessionRange {
    /// How many session networks the range holds.
    pub fn slots(&self) -> u32 {
        1 << (SLOT_PREFIX - self.prefix)
    }

    /// Whether `ip` or `(base, prefix)` shares an address with the range.
    pub fn overlaps(&self, base: Ipv4Addr, prefix: u8) -> bool {
        overlap((self.base, self.prefix), (u32::from(base), prefix))
    }

    /// The session network of slot `slot` (< [`SessionRange::slots`]).
    pub fn net(&self, slot: u32) -> SessionNet {
        assert!(slot < self.slots(), "slot {slot} outside {self}");
        SessionNet::slot(Ipv4Addr::from(self.base + slot * SLOT_SIZE))
    }

    /// The slots `net` covers (none when it lies outside the range).
    pub fn slots_of(&self, net: &SessionNet) -> std::ops::Range<u32> {
        if !self.overlaps(net.base, net.prefix) {
            return 0..0;
        }
        let size = |len: u8| 1u64 << (32 - u32::from(len));
        let start = u64::from(u32::from(net.base));
        let (lo, hi) = (start.max(u64::from(self.base)), (start + size(net.prefix)).min(u64::from(self.base) + size(self.prefix)));
        let slot = |a: u64| ((a - u64::from(self.base)) / u64::from(SLOT_SIZE)) as u32;
        slot(lo)..slot(hi - 1) + 1
    }

    /// The lowest slot whose network no session in `used` touches.
    pub fn free_slot<'a>(&self, used: impl IntoIterator<Item = &'a SessionNet>) -> Option<u32> {
        let taken: std::collections::BTreeSet<u32> = used.into_iter().flat_map(|n| self.slots_of(n)).collect();
        (0..self.slots()).find(|s| !taken.contains(s))
    }
}

/// The host part of a node's address: node `i` of a /28 is `.1 + i` (the gateway is `.1`), of a
/// legacy /24 `.10 + i`.
pub(super) fn node_offset(prefix: u8) -> u32 {
    if prefix <= 24 { 10 } else { 1 }
}

/// A session's private network: one bridge, one /28 of the session range ([`SessionRange`]),
/// or the /24 of a session stored before the /28 plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionNet {
    /// Host bridge name (at most 15 bytes): `mb-` and the network address in hex
    /// (`mb-0a640010` for 10.100.0.16/28), `mb-<n>` for a legacy /24.
    pub bridge: String,
    /// Network address.
    pub base: std::net::Ipv4Addr,
    /// Prefix length: [`SLOT_PREFIX`], or 24 for a legacy network.
    pub prefix: u8,
}

impl SessionNet {
    /// The /28 at `base`.
    pub fn slot(base: std::net::Ipv4Addr) -> Self {
        Self { bridge: format!("mb-{:08x}", u32::from(base)), base, prefix: SLOT_PREFIX }
    }
    /// The network of a session stored before the /28 plan: 10.100.`subnet`.0/24 on `mb-<subnet>`.
    pub fn legacy(subnet: u8) -> Self {
        Self { bridge: format!("mb-{subnet}"), base: std::net::Ipv4Addr::new(10, 100, subnet, 0), prefix: 24 }
    }
    /// The network a stored session row names: its `net` column (`a.b.c.d/28`), or, when that is
    /// empty (stored before the /28 plan), the legacy /24 of its `subnet`.
    pub fn from_stored(subnet: u32, net: Option<&str>) -> anyhow::Result<Self> {
        let Some(net) = net else {
            let subnet = u8::try_from(subnet).map_err(|_| anyhow::anyhow!("legacy subnet {subnet} is not 0..=255"))?;
            return Ok(Self::legacy(subnet));
        };
        let (ip, len) = net.split_once('/').ok_or_else(|| anyhow::anyhow!("stored session network {net:?} is not a.b.c.d/28"))?;
        let base: std::net::Ipv4Addr = ip.parse().map_err(|_| anyhow::anyhow!("stored session network {net:?}: bad address"))?;
        anyhow::ensure!(len == SLOT_PREFIX.to_string() && u32::from(base) % 16 == 0, "stored session network {net:?} is not a /28");
        Ok(Self::slot(base))
    }
    /// `a.b.c.d/len`.
    pub fn cidr(&self) -> String {
        format!("{}/{}", self.base, self.prefix)
    }
    fn host(&self, n: u32) -> String {
        std::net::Ipv4Addr::from(u32::from(self.base) + n).to_string()
    }
    /// The bridge's own address (the nodes' gateway): `.1` of the network.
    pub fn gateway(&self) -> String {
        self.host(1)
    }
    /// Address of node `index` (1-based): in a /28 node1 → .2 … node5 → .6 (of the network);
    /// in a legacy /24 node1 → .11.
    pub fn node_ip(&self, index: u8) -> String {
        self.host(node_offset(self.prefix) + u32::from(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str) -> SessionRange {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_range_holds_4096_sessions_of_a_28() {
        let r = SessionRange::default();
        assert_eq!((r.to_string().as_str(), r.slots()), ("10.100.0.0/16", 4096));
        let first = r.net(0);
        assert_eq!((first.gateway().as_str(), first.node_ip(1).as_str(), first.node_ip(5).as_str()), ("10.100.0.1", "10.100.0.2", "10.100.0.6"));
        assert_eq!((first.cidr().as_str(), first.bridge.as_str()), ("10.100.0.0/28", "mb-0a640000"));
        let second = r.net(1);
        assert_eq!((second.cidr().as_str(), second.gateway().as_str(), second.node_ip(1).as_str()), ("10.100.0.16/28", "10.100.0.17", "10.100.0.18"));
        let last = r.net(4095);
        assert_eq!((last.cidr().as_str(), last.node_ip(5).as_str()), ("10.100.255.240/28", "10.100.255.246"));
        assert!(last.bridge.len() <= 15);
        assert_eq!(range("172.20.0.0/28").slots(), 1);
        assert_eq!(range("10.128.0.0/10").slots(), 1 << 18);
    }

    #[test]
    fn bad_ranges_are_refused_with_a_reason() {
        for (bad, why) in [
            ("10.100.0.0", "not an IPv4 range"),
            ("10.100.0/16", "not an IPv4 address"),
            ("10.100.0.0/33", "prefix length"),
            ("10.100.0.5/16", "host bits set (the range would be 10.100.0.0/16)"),
            ("10.100.0.0/29", "too small"),
            ("10.0.0.0/7", "too large"),
            ("10.99.128.0/20", "overlaps 10.99.0.0/16"),
            ("10.0.0.0/8", "overlaps 10.99.0.0/16"),
            ("127.0.0.0/16", "not a range nodes can use"),
        ] {
            let err = bad.parse::<SessionRange>().unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!("10.98.0.0/16".parse::<SessionRange>().is_ok());
    }

    #[test]
    fn slots_are_allocated_released_and_legacy_24s_stay_taken() {
        let r = SessionRange::default();
        let mut used: Vec<SessionNet> = Vec::new();
        for want in 0..3 {
            let slot = r.free_slot(&used).unwrap();
            assert_eq!(slot, want);
            used.push(r.net(slot));
        }
        // Released: the lowest slot is handed out again.
        used.remove(1);
        assert_eq!(r.free_slot(&used), Some(1));
        // A legacy session's 10.100.0.0/24 covers slots 0..16.
        let legacy = SessionNet::legacy(0);
        assert_eq!(r.slots_of(&legacy), 0..16);
        assert_eq!(r.free_slot([&legacy]), Some(16));
        assert_eq!(r.slots_of(&SessionNet::legacy(3)), 48..64);
        // Outside the range: covers nothing.
        assert_eq!(range("10.98.0.0/16").slots_of(&legacy), 0..0);
        // A full range has no slot; the 4096 of a /16 are all distinct networks.
        let all: Vec<SessionNet> = (0..r.slots()).map(|s| r.net(s)).collect();
        assert_eq!(r.free_slot(&all), None);
        let distinct: std::collections::BTreeSet<String> = all.iter().map(SessionNet::cidr).collect();
        assert_eq!(distinct.len(), 4096);
        assert_eq!(r.free_slot(&all[..4095]), Some(4095));
    }

    #[test]
    fn legacy_nets_keep_their_addresses_and_bridge() {
        let n = SessionNet::legacy(7);
        assert_eq!((n.bridge.as_str(), n.gateway().as_str(), n.node_ip(2).as_str(), n.cidr().as_str()), ("mb-7", "10.100.7.1", "10.100.7.12", "10.100.7.0/24"));
        assert_eq!(SessionNet::from_stored(7, None).unwrap(), n);
        assert_eq!(SessionNet::from_stored(1, Some("10.100.0.16/28")).unwrap(), SessionRange::default().net(1));
        assert!(SessionNet::from_stored(1, Some("10.100.0.17/28")).is_err());
    }
}
