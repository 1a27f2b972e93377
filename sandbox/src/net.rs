//! Host networking: one bridge per session, a veth per sandbox, NAT out, and the rules that keep
//! sessions apart and away from the host's own services.
//!
//! Everything goes through `ip`, `iptables` and `ebtables` (iproute2, iptables-nft): they are the
//! tools an operator uses to inspect the same state, and each call is a few milliseconds.
//!
//! What a node may send:
//! - **Egress** (`MUELLE-EGRESS`, filter table, for everything a session bridge forwards): with
//!   [`Egress::Internet`], anything but the link-local, private, carrier-grade NAT, benchmark,
//!   loopback, multicast and reserved ranges ([`BLOCKED_RANGES`]), plus DNS to the one nameserver
//!   the nodes are given; with [`Egress::None`], nothing. A node's own session is one bridge (never
//!   routed), and the host's own services are `MUELLE-IN`'s: the registry, DNS and ping.
//! - **Anti-spoofing** (`MUELLE-SPOOF`, ebtables nat PREROUTING, one chain per veth): only IPv4
//!   and ARP frames whose sender address is the node's own enter the bridge; everything else from
//!   that veth is dropped. Containers inside a node leave NATed to the node's address.

use std::process::Command;

/// Network failures.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// An `ip`/`iptables`/`sysctl` invocation failed.
    #[error("{cmd}: {stderr}")]
    Command { cmd: String, stderr: String },
}

/// Prefix of every session bridge; iptables matches `mb-+`.
pub const BRIDGE_PREFIX: &str = "mb-";
const FWD: &str = "MUELLE-FWD";
const INPUT: &str = "MUELLE-IN";
const NAT: &str = "MUELLE-NAT";
const EGRESS: &str = "MUELLE-EGRESS";
const SPOOF: &str = "MUELLE-SPOOF";

/// Destinations no node reaches through the host, whatever the egress policy: RFC 6890's
/// non-global ranges a school network or the host may use (its LAN, other bridges, link-local
/// metadata services). The documentation ranges (TEST-NET-1..3) are not in it.
pub const BLOCKED_RANGES: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
];

/// What nodes may reach beyond their own session and the host's registry and DNS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Egress {
    /// The internet (NAT out), but none of [`BLOCKED_RANGES`].
    #[default]
    Internet,
    /// Nothing is forwarded out (the registry on the host still answers).
    None,
}

impl std::str::FromStr for Egress {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "internet" => Ok(Self::Internet),
            "none" => Ok(Self::None),
            other => Err(format!("unknown egress policy {other:?} (expected `internet` or `none`)")),
        }
    }
}

/// Runs a command, turning a non-zero exit into [`NetError::Command`].
pub fn run(prog: &str, args: &[&str]) -> Result<String, NetError> {
    let out = Command::new(prog).args(args).output().map_err(|e| NetError::Command {
        cmd: format!("{prog} {}", args.join(" ")),
        stderr: e.to_string(),
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(NetError::Command {
            cmd: format!("{prog} {}", args.join(" ")),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

fn ok(prog: &str, args: &[&str]) -> bool {
    Command::new(prog).args(args).output().map(|o| o.status.success()).unwrap_or(false)
}

/// Appends (or inserts at 1 when `first`) a rule unless `iptables -C` finds it already.
fn ensure_rule(table: &str, chain: &str, rule: &[&str], first: bool) -> Result<(), NetError> {
    let mut check = vec!["-w", "-t", table, "-C", chain];
    check.extend_from_slice(rule);
    if ok("iptables", &check) {
        return Ok(());
    }
    let mut add = vec!["-w", "-t", table];
    if first {
        add.extend_from_slice(&["-I", chain, "1"]);
    } else {
        add.extend_from_slice(&["-A", chain]);
    }
    add.extend_from_slice(rule);
    run("iptables", &add).map(drop)
}

fn delete_rule(table: &str, chain: &str, rule: &[&str]) {
    let mut del = vec!["-w", "-t", table, "-D", chain];
    del.extend_from_slice(rule);
    while ok("iptables", &del) {}
}

fn ensure_chain(table: &str, chain: &str, hook: &str) -> Result<(), NetError> {
    if !ok("iptables", &["-w", "-t", table, "-nL", chain]) {
        run("iptables", &["-w", "-t", table, "-N", chain])?;
    }
    ensure_rule(table, hook, &["-j", chain], true)
}

/// The `iptables-restore --noflush` input that replaces `MUELLE-EGRESS` in one transaction.
pub fn egress_rules(egress: Egress, sessions_cidr: &str, dns: Option<std::net::Ipv4Addr>) -> String {
    let mut r = format!("*filter\n:{EGRESS} - [0:0]\n");
    match egress {
        Egress::None => r += &format!("-A {EGRESS} -j DROP\n"),
        Egress::Internet => {
            // Only the session range leaves (its NAT rule names it), never a parked pool node.
            r += &format!("-A {EGRESS} ! -s {sessions_cidr} -j DROP\n");
            if let Some(dns) = dns {
                for proto in ["udp", "tcp"] {
                    r += &format!("-A {EGRESS} -d {dns}/32 -p {proto} -m {proto} --dport 53 -j ACCEPT\n");
                }
            }
            for range in BLOCKED_RANGES {
                r += &format!("-A {EGRESS} -d {range} -j DROP\n");
            }
            r += &format!("-A {EGRESS} -j ACCEPT\n");
        }
    }
    r + "COMMIT\n"
}

fn restore(input: &str) -> Result<(), NetError> {
    use std::io::Write;
    let cmd = || "iptables-restore --noflush".to_string();
    let mut child = Command::new("iptables-restore")
        .args(["-w", "--noflush"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| NetError::Command { cmd: cmd(), stderr: e.to_string() })?;
    child.stdin.take().expect("piped").write_all(input.as_bytes()).map_err(|e| NetError::Command { cmd: cmd(), stderr: e.to_string() })?;
    let out = child.wait_with_output().map_err(|e| NetError::Command { cmd: cmd(), stderr: e.to_string() })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(NetError::Command { cmd: cmd(), stderr: String::from_utf8_lossy(&out.stderr).trim().to_string() })
    }
}

/// Forwarding on, NAT for the session range, the isolation chains and the egress policy
/// (idempotent; the policy is replaced by the one given).
pub fn prepare_host(sessions_cidr: &str, registry_ip: &str, registry_port: u16, egress: Egress, dns: &str) -> Result<(), NetError> {
    std::fs::write("/proc/sys/net/ipv4/ip_forward", "1").map_err(|e| NetError::Command {
        cmd: "sysctl net.ipv4.ip_forward=1".into(),
        stderr: e.to_string(),
    })?;
    let br = format!("{BRIDGE_PREFIX}+");
    let port = registry_port.to_string();
    ensure_chain("nat", NAT, "POSTROUTING")?;
    ensure_rule("nat", NAT, &["-s", sessions_cidr, "!", "-d", sessions_cidr, "-j", "MASQUERADE"], false)?;
    ensure_chain("filter", FWD, "FORWARD")?;
    // Per-session ACCEPTs are inserted above these by `create_bridge`.
    ensure_rule("filter", FWD, &["-i", &br, "-o", &br, "-j", "DROP"], false)?;
    restore(&egress_rules(egress, sessions_cidr, dns.parse().ok()))?;
    // Before the egress policy, everything from a bridge was accepted here.
    delete_rule("filter", FWD, &["-i", &br, "-j", "ACCEPT"]);
    ensure_rule("filter", FWD, &["-i", &br, "-j", EGRESS], false)?;
    ensure_rule("filter", FWD, &["-o", &br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"], false)?;
    ensure_rule("filter", FWD, &["-o", &br, "-j", "DROP"], false)?;
    ensure_chain("filter", INPUT, "INPUT")?;
    ensure_rule("filter", INPUT, &["-i", &br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"], false)?;
    ensure_rule("filter", INPUT, &["-i", &br, "-p", "tcp", "--dport", &port, "-j", "ACCEPT"], false)?;
    // The registry front's HTTPS door (as Docker Hub), on its own address only. Inserted at the
    // top: on a host prepared by an older muelle the chain already ends with its DROP.
    ensure_rule("filter", INPUT, &["-i", &br, "-d", registry_ip, "-p", "tcp", "--dport", "443", "-j", "ACCEPT"], true)?;
    ensure_rule("filter", INPUT, &["-i", &br, "-p", "udp", "--dport", "53", "-j", "ACCEPT"], false)?;
    ensure_rule("filter", INPUT, &["-i", &br, "-p", "icmp", "-j", "ACCEPT"], false)?;
    ensure_rule("filter", INPUT, &["-i", &br, "-j", "DROP"], false)?;
    ensure_spoof_chain()?;
    // Second layer behind `no_ipv6`: nothing from a session bridge reaches the host over IPv6.
    if !ok("ip6tables", &["-w", "-C", "INPUT", "-i", &br, "-j", "DROP"]) {
        run("ip6tables", &["-w", "-I", "INPUT", "1", "-i", &br, "-j", "DROP"])?;
    }
    Ok(())
}

/// The machine-wide lock around muelle's ebtables changes. Nodes start in parallel (one
/// `sandbox-init` process each), and ebtables-nft fails rather than waits when another
/// transaction is under way; worse, a pin and an unpin of the same veth interleaved call by call
/// (one flushes or appends to the chain the other has just deleted: `RULE_DELETE failed`, `No
/// chain/target/match by that name`) leave a node unplugged. So a whole pin or unpin holds this
/// lock ([`EbLock::take`]), and calls inside it go through [`EbLock::eb`].
struct EbLock {
    /// Released when dropped.
    _held: Option<nix::fcntl::Flock<std::fs::File>>,
}

const EB_LOCK: &str = "/run/muelle-ebtables.lock";

impl EbLock {
    fn take() -> Self {
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(EB_LOCK);
        // flock(2) waits; a signal may interrupt the wait: take it again.
        let lock = file.ok().and_then(|mut f| loop {
            match nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive) {
                Ok(l) => break Some(l),
                Err((back, nix::errno::Errno::EINTR)) => f = back,
                Err(_) => break None,
            }
        });
        Self { _held: lock }
    }

    /// One `ebtables -t nat` call under this lock, retried a few times when ebtables-nft says
    /// another transaction (not muelle's) is under way.
    fn eb(&self, args: &[&str]) -> Result<String, NetError> {
        let mut all = vec!["--concurrent", "-t", "nat"];
        all.extend_from_slice(args);
        let mut result = run("ebtables", &all);
        for _ in 0..4 {
            match &result {
                Err(NetError::Command { stderr, .. }) if stderr.contains("emporarily") || stderr.contains("busy") => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    result = run("ebtables", &all);
                }
                _ => break,
            }
        }
        result
    }
}

/// `MUELLE-SPOOF`, entered from the bridge nat PREROUTING by every frame from a node's veth.
fn ensure_spoof_chain() -> Result<(), NetError> {
    let lock = EbLock::take();
    if lock.eb(&["-L", SPOOF]).is_err() {
        lock.eb(&["-N", SPOOF])?;
    }
    lock.eb(&["-P", SPOOF, "RETURN"])?;
    let jump = format!("-i {}+ -j {SPOOF}", VETH_PREFIX);
    if !lock.eb(&["-L", "PREROUTING"])?.lines().any(|l| l.trim() == jump) {
        lock.eb(&["-I", "PREROUTING", "1", "-i", &format!("{VETH_PREFIX}+"), "-j", SPOOF])?;
    }
    Ok(())
}

/// Prefix of the host side of every node's veth.
pub const VETH_PREFIX: &str = "vh-";

fn spoof_chain(host_if: &str) -> String {
    format!("S-{host_if}")
}

/// The rules of a veth's chain that let only `ip` in, as `ebtables -L` lists them.
fn pin_rules(ip: &str) -> [String; 3] {
    // Anything else is dropped: other senders, IPv6, VLAN tags. (A rule, not the chain's
    // policy: ebtables-nft ignores policies of user chains.)
    [format!("-p IPv4 --ip-src {ip} -j RETURN"), format!("-p ARP --arp-ip-src {ip} -j RETURN"), "-j DROP".into()]
}

/// The rules `ebtables -L <chain>` lists (its lines after the `Bridge chain:` header).
fn listed_rules(listing: &str) -> Vec<&str> {
    listing
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("Bridge chain:"))
        .skip(1)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Lets only frames sent from `ip` (IPv4 and ARP) in through the host veth `host_if`
/// (idempotent: a veth already pinned to `ip` is left as it is, one pinned to another address
/// is pinned again). The whole change holds the ebtables lock, so that a concurrent
/// [`unpin_source`] of the same veth comes wholly before or after it.
pub fn pin_source(host_if: &str, ip: &str) -> Result<(), NetError> {
    let chain = spoof_chain(host_if);
    let want = pin_rules(ip);
    let lock = EbLock::take();
    match lock.eb(&["-L", &chain]) {
        Ok(listing) if listed_rules(&listing) == want => {}
        found => {
            if found.is_ok() {
                lock.eb(&["-F", &chain])?;
            } else {
                lock.eb(&["-N", &chain])?;
            }
            for rule in &want {
                let mut args = vec!["-A", chain.as_str()];
                args.extend(rule.split(' '));
                lock.eb(&args)?;
            }
        }
    }
    let jump = format!("-i {host_if} -j {chain}");
    if !lock.eb(&["-L", SPOOF])?.lines().any(|l| l.trim() == jump) {
        lock.eb(&["-A", SPOOF, "-i", host_if, "-j", &chain])?;
    }
    Ok(())
}

/// Removes what [`pin_source`] added for `host_if` (idempotent; under the ebtables lock, as a
/// pin is).
pub fn unpin_source(host_if: &str) {
    let chain = spoof_chain(host_if);
    let lock = EbLock::take();
    while lock.eb(&["-D", SPOOF, "-i", host_if, "-j", &chain]).is_ok() {}
    if lock.eb(&["-L", &chain]).is_ok() {
        let _ = lock.eb(&["-F", &chain]);
        let _ = lock.eb(&["-X", &chain]);
    }
}

/// Adds `ip/32` to the host's loopback interface (idempotent): a host address that every bridge
/// routes to.
pub fn add_local_address(ip: &str) -> Result<(), NetError> {
    let addr = format!("{ip}/32");
    if !run("ip", &["-4", "-o", "addr", "show", "dev", "lo"])?.contains(&addr) {
        run("ip", &["addr", "add", &addr, "dev", "lo"])?;
    }
    Ok(())
}

/// Moves a host veth to another bridge.
pub fn move_veth(host_if: &str, bridge: &str) -> Result<(), NetError> {
    run("ip", &["link", "set", host_if, "nomaster"])?;
    run("ip", &["link", "set", host_if, "master", bridge, "up"]).map(drop)
}

/// Creates a session bridge with address `gateway/prefix` and lets its members talk to each
/// other (idempotent).
pub fn create_bridge(name: &str, gateway: &str, prefix: u8) -> Result<(), NetError> {
    if !ok("ip", &["link", "show", name]) {
        run("ip", &["link", "add", name, "type", "bridge"])?;
    }
    no_ipv6(name)?;
    let addr = format!("{gateway}/{prefix}");
    if !run("ip", &["-4", "-o", "addr", "show", "dev", name])?.contains(&addr) {
        run("ip", &["addr", "add", &addr, "dev", name])?;
    }
    run("ip", &["link", "set", name, "up"])?;
    ensure_rule("filter", FWD, &["-i", name, "-o", name, "-j", "ACCEPT"], true)
}

/// Removes a session bridge and its rule (idempotent).
pub fn delete_bridge(name: &str) -> Result<(), NetError> {
    delete_rule("filter", FWD, &["-i", name, "-o", name, "-j", "ACCEPT"]);
    if ok("ip", &["link", "show", name]) {
        run("ip", &["link", "del", name])?;
    }
    Ok(())
}

/// Creates a veth pair: `host_if` on `bridge`, its peer `eth0` inside the net namespace of `pid`,
/// which may send from `ip` only ([`pin_source`]).
pub fn plug_veth(host_if: &str, pid: i32, bridge: &str, mtu: u32, ip: &str) -> Result<(), NetError> {
    let (pid, mtu) = (pid.to_string(), mtu.to_string());
    run("ip", &["link", "add", host_if, "mtu", &mtu, "type", "veth", "peer", "name", "eth0", "mtu", &mtu, "netns", &pid])?;
    no_ipv6(host_if)?;
    pin_source(host_if, ip)?;
    run("ip", &["link", "set", host_if, "master", bridge, "up"]).map(drop)
}

/// Turns IPv6 off on a host interface. The isolation rules are IPv4 rules: without this, nodes
/// would reach the host's services on its IPv6 link-local address of their bridge.
fn no_ipv6(ifname: &str) -> Result<(), NetError> {
    let path = format!("/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6");
    match std::fs::write(&path, "1") {
        Ok(()) => Ok(()),
        // A kernel without IPv6 has nothing to turn off.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !std::path::Path::new("/proc/sys/net/ipv6").exists() => Ok(()),
        Err(e) => Err(NetError::Command { cmd: format!("sysctl net.ipv6.conf.{ifname}.disable_ipv6=1"), stderr: e.to_string() }),
    }
}

/// Removes a host veth if it is still there (it normally vanishes with the sandbox's netns).
pub fn delete_link(name: &str) {
    if ok("ip", &["link", "show", name]) {
        let _ = run("ip", &["link", "del", name]);
    }
}

/// Whether a network interface exists on the host.
pub fn link_exists(name: &str) -> bool {
    std::path::Path::new("/sys/class/net").join(name).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn egress_rules_keep_nodes_off_private_ranges_but_let_dns_through() {
        let dns = Some("10.255.255.53".parse().unwrap());
        let r = egress_rules(Egress::Internet, "10.100.0.0/16", dns);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[..2], ["*filter", ":MUELLE-EGRESS - [0:0]"]);
        assert_eq!(lines[2], "-A MUELLE-EGRESS ! -s 10.100.0.0/16 -j DROP");
        let pos = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}"));
        assert!(pos("-d 10.255.255.53/32 -p udp -m udp --dport 53 -j ACCEPT") < pos("-d 10.0.0.0/8 -j DROP"));
        for range in ["169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "198.18.0.0/15"] {
            assert!(pos(&format!("-d {range} -j DROP")) < pos("-A MUELLE-EGRESS -j ACCEPT"), "{range}");
        }
        assert_eq!(lines[lines.len() - 2..], ["-A MUELLE-EGRESS -j ACCEPT", "COMMIT"]);
        let none = egress_rules(Egress::None, "10.100.0.0/16", dns);
        assert_eq!(none, "*filter\n:MUELLE-EGRESS - [0:0]\n-A MUELLE-EGRESS -j DROP\nCOMMIT\n");
        assert_eq!("none".parse::<Egress>(), Ok(Egress::None));
        assert_eq!("internet".parse::<Egress>(), Ok(Egress::Internet));
        assert!("all".parse::<Egress>().is_err());
    }

    #[test]
    fn a_pinned_chain_is_recognised_from_its_listing() {
        let listing = "Bridge table: nat\n\nBridge chain: S-vh-ab12cd-1, entries: 3, policy: RETURN\n\
                       -p IPv4 --ip-src 10.100.0.2 -j RETURN \n-p ARP --arp-ip-src 10.100.0.2 -j RETURN \n-j DROP \n\n";
        assert_eq!(listed_rules(listing), pin_rules("10.100.0.2"));
        assert_ne!(listed_rules(listing), pin_rules("10.100.0.3"));
        let flushed = "Bridge table: nat\n\nBridge chain: S-vh-ab12cd-1, entries: 0, policy: RETURN\n\n";
        assert!(listed_rules(flushed).is_empty());
    }

    #[test]
    fn run_reports_the_failing_command() {
        let e = super::run("sh", &["-c", "echo boom >&2; exit 3"]).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("sh -c") && s.contains("boom"), "{s}");
        assert_eq!(super::run("echo", &["hi"]).unwrap(), "hi\n");
    }
}
