//! The provider `muelle lessons test` uses: the real one, with session networks numbered from the
//! top.
//!
//! A registry numbers its sessions' /28 slots from 0 and knows only its own sessions. A server (or
//! the e2e suite) on the same machine does the same, so two processes would share the first
//! network and its addresses. Mapping slot `s` of the session range to `slots - 1 - s` keeps the
//! lesson tests' nodes apart from a server's until the two together fill the range.

use std::os::fd::OwnedFd;
use std::process::{Child, Command};
use std::sync::Arc;

use super::addr::SessionRange;
use super::{NodeHandle, NodeSpec, ProviderError, SandboxProvider, SessionNet};

/// Wraps a provider, flipping every session network's slot in the range.
pub struct TopDownNets(pub Arc<dyn SandboxProvider>, pub SessionRange);

/// The network slot `s` of the registry becomes on the host (a network that is not one slot of
/// `range` stays as it is).
pub fn flip(range: &SessionRange, net: &SessionNet) -> SessionNet {
    let slots = range.slots_of(net);
    if net.prefix != super::addr::SLOT_PREFIX || slots.len() != 1 {
        return net.clone();
    }
    range.net(range.slots() - 1 - slots.start)
}

impl SandboxProvider for TopDownNets {
    fn create_network(&self, net: &SessionNet) -> Result<(), ProviderError> {
        self.0.create_network(&flip(&self.1, net))
    }

    fn destroy_network(&self, net: &SessionNet) -> Result<(), ProviderError> {
        self.0.destroy_network(&flip(&self.1, net))
    }

    fn create_node(&self, spec: &NodeSpec) -> Result<NodeHandle, ProviderError> {
        self.0.create_node(&NodeSpec { net: flip(&self.1, &spec.net), ..spec.clone() })
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
        let range = SessionRange::default();
        let p = TopDownNets(fake.clone(), range);
        let net = range.net(0);
        p.create_network(&net).unwrap();
        assert_eq!(fake.networks(), ["mb-0a64fff0"]);
        let spec = NodeSpec { key: "k-1".into(), name: "node1".into(), index: 1, net: net.clone(), uid_base: 1 };
        assert_eq!(p.create_node(&spec).unwrap().ip, "10.100.255.242");
        p.destroy_network(&net).unwrap();
        assert!(fake.networks().is_empty());
        assert_eq!(flip(&range, &range.net(4095)).bridge, "mb-0a640000");
        assert_eq!(flip(&range, &range.net(1)).cidr(), "10.100.255.224/28");
        assert_eq!(flip(&range, &SessionNet::legacy(3)), SessionNet::legacy(3));
    }
}
