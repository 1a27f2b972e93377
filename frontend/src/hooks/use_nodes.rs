//! The playground's node list: which nodes exist, which one is shown, adding and removing them,
//! and the poll that notices a node whose init died.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use protocol::NodeInfo;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::error::Error;
use crate::hooks::page_hidden;
use crate::services::storage::{self, StoredSession};
use crate::services::{api, node_api};

/// How often a visible page re-reads its session's nodes.
pub const NODE_POLL_MS: u32 = 3_000;

/// Most nodes a session may have (the backend enforces it too).
pub const MAX_NODES: usize = 5;

/// State and actions of the node tabs.
#[derive(Clone, PartialEq)]
pub struct NodesHandle {
    /// The nodes, in order.
    pub nodes: Vec<NodeInfo>,
    /// The node whose terminal is shown.
    pub active: AttrValue,
    /// Shows a node's terminal.
    pub select: Callback<AttrValue>,
    /// Replaces the list (after a refresh from the server).
    pub set_nodes: Callback<Vec<NodeInfo>>,
    /// Replaces one node by name (after a reset).
    pub update: Callback<NodeInfo>,
    /// "+ Add node".
    pub add: Callback<()>,
    /// Removes a node.
    pub remove: Callback<AttrValue>,
    /// An add or remove is in flight.
    pub busy: bool,
    /// Why the last add or remove failed.
    pub error: Option<Error>,
}

impl NodesHandle {
    /// Whether "+ Add node" may be pressed.
    pub fn can_add(&self) -> bool {
        !self.busy && self.nodes.len() < MAX_NODES
    }
}

/// Node tabs of `session`; changes are written back to the stored session.
#[hook]
pub fn use_nodes(session: &StoredSession) -> NodesHandle {
    let nodes = use_state_eq(|| {
        session
            .nodes
            .iter()
            .map(|n| crate::hooks::node_named(n))
            .collect::<Vec<_>>()
    });
    let active = use_state(|| AttrValue::from(session.first_node().to_string()));
    let busy = use_state(|| false);
    let error = use_state(|| None::<Error>);
    // Bumped by every local change, so a poll that was under way then does not undo it.
    let changes = use_memo((), |()| Rc::new(Cell::new(0u32)));
    let select = {
        let active = active.clone();
        Callback::from(move |n: AttrValue| active.set(n))
    };
    let set_nodes = {
        let (nodes, session) = (nodes.clone(), session.clone());
        Callback::from(move |list: Vec<NodeInfo>| {
            remember(&session, &list);
            nodes.set(list);
        })
    };
    {
        let (set_nodes, changes) = (set_nodes.clone(), (*changes).clone());
        let creds = (session.id.clone(), session.token.clone());
        let apply = Callback::from(move |list: Vec<NodeInfo>| {
            if !list.is_empty() {
                set_nodes.emit(list);
            }
        });
        use_node_poll(Some(creds), changes, apply);
    }
    let update = {
        let (nodes, set_nodes, changes) = (nodes.clone(), set_nodes.clone(), (*changes).clone());
        Callback::from(move |node: NodeInfo| {
            changes.set(changes.get().wrapping_add(1));
            set_nodes.emit(replaced(&nodes, node));
        })
    };
    let add = {
        let (session, set_nodes, nodes, active) = (
            session.clone(),
            set_nodes.clone(),
            nodes.clone(),
            active.clone(),
        );
        let (busy, error, changes) = (busy.clone(), error.clone(), (*changes).clone());
        Callback::from(move |()| {
            let (session, set_nodes, nodes, active) = (
                session.clone(),
                set_nodes.clone(),
                nodes.clone(),
                active.clone(),
            );
            let (busy, error, changes) = (busy.clone(), error.clone(), changes.clone());
            busy.set(true);
            changes.set(changes.get().wrapping_add(1));
            spawn_local(async move {
                let result = node_api::add_node(&session.id, &session.token).await;
                changes.set(changes.get().wrapping_add(1));
                busy.set(false);
                match result {
                    Ok(node) => {
                        error.set(None);
                        active.set(node.name.clone().into());
                        let mut list = (*nodes).clone();
                        list.retain(|n| n.name != node.name);
                        list.push(node);
                        set_nodes.emit(list);
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let remove = {
        let (session, set_nodes, nodes, active) = (
            session.clone(),
            set_nodes.clone(),
            nodes.clone(),
            active.clone(),
        );
        let (busy, error, changes) = (busy.clone(), error.clone(), (*changes).clone());
        Callback::from(move |name: AttrValue| {
            let (session, set_nodes, nodes, active) = (
                session.clone(),
                set_nodes.clone(),
                nodes.clone(),
                active.clone(),
            );
            let (busy, error, changes) = (busy.clone(), error.clone(), changes.clone());
            busy.set(true);
            changes.set(changes.get().wrapping_add(1));
            spawn_local(async move {
                let result = node_api::remove_node(&session.id, &session.token, &name).await;
                changes.set(changes.get().wrapping_add(1));
                busy.set(false);
                match result {
                    Ok(()) => {
                        error.set(None);
                        let list: Vec<NodeInfo> =
                            nodes.iter().filter(|n| *n.name != *name).cloned().collect();
                        if *active == name {
                            active.set(
                                list.first()
                                    .map(|n| n.name.clone())
                                    .unwrap_or_default()
                                    .into(),
                            );
                        }
                        set_nodes.emit(list);
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    NodesHandle {
        nodes: (*nodes).clone(),
        active: (*active).clone(),
        select,
        set_nodes,
        update,
        add,
        remove,
        busy: *busy,
        error: (*error).clone(),
    }
}

fn remember(session: &StoredSession, list: &[NodeInfo]) {
    // Keep the latest deadline the page knows; only the node names change here.
    if let Some(mut stored) = storage::load_session(&session.id) {
        let names: Vec<String> = list.iter().map(|n| n.name.clone()).collect();
        if stored.nodes != names {
            stored.nodes = names;
            storage::save_session(&stored);
        }
    }
}

/// `list` with the node named like `node` replaced by it (appended when it is not there).
pub fn replaced(list: &[NodeInfo], node: NodeInfo) -> Vec<NodeInfo> {
    let mut out = list.to_vec();
    match out.iter_mut().find(|n| n.name == node.name) {
        Some(slot) => *slot = node,
        None => out.push(node),
    }
    out
}

/// Every [`NODE_POLL_MS`] while the page is visible, re-reads the session's nodes and hands them
/// to `apply`, so a node whose init died shows as stopped within seconds. A poll is dropped
/// when `changes` moved while it was under way (a local add, remove or reset is newer).
#[hook]
pub fn use_node_poll(
    creds: Option<(String, String)>,
    changes: Rc<Cell<u32>>,
    apply: Callback<Vec<NodeInfo>>,
) {
    // The latest `apply`, so the interval never calls a stale one.
    let latest = use_mut_ref(|| apply.clone());
    *latest.borrow_mut() = apply;
    use_effect_with(creds, move |creds| {
        let poll = creds.clone().map(|(id, token)| {
            let in_flight = Rc::new(Cell::new(false));
            Interval::new(NODE_POLL_MS, move || {
                if page_hidden() || in_flight.replace(true) {
                    return;
                }
                let (id, token, in_flight) = (id.clone(), token.clone(), in_flight.clone());
                let (changes, latest) = (changes.clone(), latest.clone());
                let seen = changes.get();
                spawn_local(async move {
                    match api::get_session(&id, &token).await {
                        Ok(info) if changes.get() == seen => {
                            let apply = latest.borrow().clone();
                            apply.emit(info.nodes);
                        }
                        Ok(_) => {}
                        Err(err) => log::debug!("node poll: {err}"),
                    }
                    in_flight.set(false);
                });
            })
        });
        move || drop(poll)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::NodeStatus;

    fn node(name: &str, status: NodeStatus) -> NodeInfo {
        NodeInfo {
            name: name.into(),
            ip: format!("10.0.0.{}", name.len()),
            status,
        }
    }

    #[test]
    fn a_reset_node_replaces_its_stopped_self_in_place() {
        let list = vec![
            node("node1", NodeStatus::Running),
            node("node2", NodeStatus::Stopped),
            node("node3", NodeStatus::Running),
        ];
        let out = replaced(&list, node("node2", NodeStatus::Running));
        assert_eq!(out.len(), 3);
        assert_eq!(out[1], node("node2", NodeStatus::Running));
        assert_eq!(out[0], list[0]);
        let out = replaced(&list[..1], node("node4", NodeStatus::Running));
        assert_eq!(
            out.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
            ["node1", "node4"]
        );
    }
}
