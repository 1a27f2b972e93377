//! What a sandbox should be: identity, network, limits. Built like `std::process::Command`.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::cgroup::CgroupLimits;

/// A sandbox's place on its session's bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetSpec {
    /// Host bridge to plug the veth into (must exist).
    pub bridge: String,
    /// The sandbox's address.
    pub ip: Ipv4Addr,
    /// Prefix length of the session's subnet.
    pub prefix: u8,
    /// Default gateway (the bridge's address); also where the registry mirror answers.
    pub gateway: Ipv4Addr,
    /// MTU of the sandbox's eth0 and of the Docker networks inside.
    pub mtu: u32,
}

/// A sandbox to create; see [`SandboxSpec::spawn`](crate::Sandbox::spawn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSpec {
    /// Unique on the host, ≤ 12 bytes of `[a-z0-9-]` (names the cgroup, directory and veth).
    pub name: String,
    /// Hostname inside (node1…node5).
    pub hostname: String,
    /// First host uid/gid of the sandbox's 65536 ids; root inside is this uid on the host.
    pub uid_base: u32,
    /// Network placement.
    pub net: NetSpec,
    /// cgroup limits.
    pub limits: CgroupLimits,
    /// Size of the sandbox's disk (writable root + /var/lib/docker) in bytes; 0 = no quota.
    pub disk_bytes: u64,
}

impl SandboxSpec {
    /// A spec with default limits (2 GiB, 1 core, 2048 pids, no disk quota).
    pub fn new(name: &str, hostname: &str, uid_base: u32, net: NetSpec) -> Self {
        Self {
            name: name.into(),
            hostname: hostname.into(),
            uid_base,
            net,
            limits: CgroupLimits::default(),
            disk_bytes: 0,
        }
    }

    /// Sets the limits.
    pub fn with_limits(mut self, limits: CgroupLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the disk quota.
    pub fn with_disk_bytes(mut self, bytes: u64) -> Self {
        self.disk_bytes = bytes;
        self
    }

    /// Host-side name of the veth (≤ 15 bytes, the kernel's IFNAMSIZ limit).
    pub fn veth(&self) -> String {
        format!("vh-{}", self.name)
    }

    /// Checks what the kernel and the host layout require of the spec.
    pub fn validate(&self) -> Result<(), String> {
        let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if self.name.is_empty() || self.name.len() > 12 || !self.name.chars().all(ok) {
            return Err(format!("bad sandbox name {:?} (1-12 of a-z 0-9 -)", self.name));
        }
        if self.hostname.is_empty() || self.hostname.len() > 63 || !self.hostname.chars().all(ok) {
            return Err(format!("bad hostname {:?}", self.hostname));
        }
        if self.uid_base < 65536 || self.uid_base.checked_add(65536).is_none() {
            return Err(format!("uid_base {} must be >= 65536", self.uid_base));
        }
        if self.net.prefix == 0 || self.net.prefix > 30 || self.net.bridge.len() > 15 {
            return Err("bad network spec".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> SandboxSpec {
        let net = NetSpec {
            bridge: "mb-1".into(),
            ip: Ipv4Addr::new(10, 100, 1, 11),
            prefix: 24,
            gateway: Ipv4Addr::new(10, 100, 1, 1),
            mtu: 1400,
        };
        SandboxSpec::new(name, "node1", 1_000_000, net)
    }

    #[test]
    fn veth_fits_ifnamsiz() {
        let s = spec("abcdefghijkl");
        s.validate().unwrap();
        assert!(s.veth().len() <= 15);
    }

    #[test]
    fn rejects_bad_names_and_ranges() {
        assert!(spec("Bad_Name").validate().is_err());
        assert!(spec("much-too-long-name").validate().is_err());
        let mut s = spec("ok");
        s.uid_base = 0;
        assert!(s.validate().is_err());
    }
}
