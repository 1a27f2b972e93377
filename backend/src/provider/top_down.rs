//! The provider `muelle lessons test` uses: the real one, with session networks numbered from the
//! top.
//!
//! A registry numbers its sessions' /24s from 0 and knows only its own sessions. A server (or the
//! e2e suite) on the same machine does the same, so two processes would share `mb-0` and its
//! addresses. Mapping subnet `s` to `255 - s` keeps the lesson tests' nodes apart from a server's
//! until the two together hold 256 sessions.

use std::os::fd::OwnedFd;
use std::process::{Child, Command};
use std::sync::Arc;

use super::{NodeHandle, NodeSpec, ProviderError, SandboxProvider, SessionNet};

/// Wraps a provider, flipping every session network's subnet number.
pub struct TopDownNets(pub Arc<dyn SandboxProvider>);

/// The network subnet `s` of the registry becomes on the host.
pub fn flip(net: &SessionNet) -> SessionNet {
    SessionNet::new(u8::MAX - net.subnet)
}

impl SandboxProvider for TopDownNets {
    fn create_network(&self, net: &SessionNet) -> Result<(), ProviderError> {
        self.0.create_network(&flip(net))
    }

    fn destroy_network(&self, net: &SessionNet) -> Result<(), ProviderError> {
        self.0.destroy_network(&flip(net))
    }

    fn create_node(&self, spec: &NodeSpec) -> Result<NodeHandle, ProviderError> {
        self.0.create_node(&NodeSpec { net: flip(&spec.net), ..spec.clone() })
    }

    fn command(&self, node: &NodeHandle, argv: &[String]) -> Command {
        self.0.command(node, argv)
    }

    fn destroy_node(&self, node: &NodeHandle) -> Result<(), ProviderError> {
        self.0.destroy_node(node)
    }

    fn hosts_command(&self, node: &NodeHandle, content: &str) -> Option<Command> {
        self.0.hosts_command(node, content)
    }

    fn usage(&self, node: &NodeHandle) -> Option<super::NodeUsage> {
        self.0.usage(node)
    }

    fn is_alive(&self, node: &NodeHandle) -> bool {
        self.0.is_alive(node)
    }

    fn terminal(&self, node: &NodeHandle, argv: &[String], cols: u16, rows: u16) -> std::io::Result<(OwnedFd, Child)> {
        self.0.terminal(node, argv, cols, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::fake::FakeProvider;

    #[test]
    fn networks_and_node_addresses_come_from_the_top() {
        let dir = tempfile::tempdir().unwrap();
        let fake = Arc::new(FakeProvider::new(dir.path()));
        let p = TopDownNets(fake.clone());
        let net = SessionNet::new(0);
        p.create_network(&net).unwrap();
        assert_eq!(fake.networks(), ["mb-255"]);
        let spec = NodeSpec { key: "k-1".into(), name: "node1".into(), index: 1, net: net.clone(), uid_base: 1 };
        assert_eq!(p.create_node(&spec).unwrap().ip, "10.100.255.11");
        p.destroy_network(&net).unwrap();
        assert!(fake.networks().is_empty());
        assert_eq!(flip(&SessionNet::new(255)).bridge, "mb-0");
    }
}
