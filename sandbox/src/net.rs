//! Host networking: one bridge per session, a veth per sandbox, NAT out, and the rules that keep
//! sessions apart and away from the host's own services.
//!
//! Everything goes through `ip` and `iptables` (iproute2, iptables-nft): they are the tools an
//! operator uses to inspect the same state, and each call is a few milliseconds.

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

/// Forwarding on, NAT for the session range, and the isolation chains (idempotent).
pub fn prepare_host(sessions_cidr: &str, registry_port: u16) -> Result<(), NetError> {
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
    ensure_rule("filter", FWD, &["-i", &br, "-j", "ACCEPT"], false)?;
    ensure_rule("filter", FWD, &["-o", &br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"], false)?;
    ensure_rule("filter", FWD, &["-o", &br, "-j", "DROP"], false)?;
    ensure_chain("filter", INPUT, "INPUT")?;
    ensure_rule("filter", INPUT, &["-i", &br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"], false)?;
    ensure_rule("filter", INPUT, &["-i", &br, "-p", "tcp", "--dport", &port, "-j", "ACCEPT"], false)?;
    ensure_rule("filter", INPUT, &["-i", &br, "-p", "udp", "--dport", "53", "-j", "ACCEPT"], false)?;
    ensure_rule("filter", INPUT, &["-i", &br, "-p", "icmp", "-j", "ACCEPT"], false)?;
    ensure_rule("filter", INPUT, &["-i", &br, "-j", "DROP"], false)?;
    // Second layer behind `no_ipv6`: nothing from a session bridge reaches the host over IPv6.
    if !ok("ip6tables", &["-w", "-C", "INPUT", "-i", &br, "-j", "DROP"]) {
        run("ip6tables", &["-w", "-I", "INPUT", "1", "-i", &br, "-j", "DROP"])?;
    }
    Ok(())
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

/// Creates a veth pair: `host_if` on `bridge`, its peer `eth0` inside the net namespace of `pid`.
pub fn plug_veth(host_if: &str, pid: i32, bridge: &str, mtu: u32) -> Result<(), NetError> {
    let (pid, mtu) = (pid.to_string(), mtu.to_string());
    run("ip", &["link", "add", host_if, "mtu", &mtu, "type", "veth", "peer", "name", "eth0", "mtu", &mtu, "netns", &pid])?;
    no_ipv6(host_if)?;
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
    #[test]
    fn run_reports_the_failing_command() {
        let e = super::run("sh", &["-c", "echo boom >&2; exit 3"]).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("sh -c") && s.contains("boom"), "{s}");
        assert_eq!(super::run("echo", &["hi"]).unwrap(), "hi\n");
    }
}
