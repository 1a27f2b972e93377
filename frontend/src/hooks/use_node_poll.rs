//! A session's node list as the server sees it, re-read every few seconds, and the list edits
//! the playground and the lesson page share.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use protocol::{NodeInfo, NodeStatus};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::services::api;
use crate::services::page::page_hidden;

/// How often a visible page re-reads its session's nodes.
pub const NODE_POLL_MS: u32 = 3_000;

/// Every [`NODE_POLL_MS`] while the page is visible, re-reads the session's nodes and hands them
/// to `apply`, so a node whose init died shows as stopped within seconds. A poll is dropped
/// when `changes` moved while it was under way (a local add, remove or reset is newer).
#[hook]
pub fn use_node_poll(
    creds: Option<(String, String)>,
    changes: Rc<Cell<u32>>,
    apply: Callback<Vec<NodeInfo>>,
) {
    use_node_poll_until_gone(creds, changes, apply, None);
}

/// [`use_node_poll`], which also calls `on_gone` when the server says the session is gone
/// (ended by its clock, by another tab or by the API): the page then stops polling.
#[hook]
pub fn use_node_poll_until_gone(
    creds: Option<(String, String)>,
    changes: Rc<Cell<u32>>,
    apply: Callback<Vec<NodeInfo>>,
    on_gone: Option<Callback<()>>,
) {
    // The latest `apply`, so the interval never calls a stale one.
    let latest = use_mut_ref(|| apply.clone());
    *latest.borrow_mut() = apply;
    let gone = use_mut_ref(|| on_gone.clone());
    *gone.borrow_mut() = on_gone;
    use_effect_with(creds, move |creds| {
        let poll = creds.clone().map(|(id, token)| {
            let in_flight = Rc::new(Cell::new(false));
            Interval::new(NODE_POLL_MS, move || {
                if page_hidden() || in_flight.replace(true) {
                    return;
                }
                let (id, token, in_flight) = (id.clone(), token.clone(), in_flight.clone());
                let (changes, latest, gone) = (changes.clone(), latest.clone(), gone.clone());
                let seen = changes.get();
                spawn_local(async move {
                    match api::get_session(&id, &token).await {
                        Ok(info) if changes.get() == seen => {
                            let apply = latest.borrow().clone();
                            apply.emit(info.nodes);
                        }
                        Ok(_) => {}
                        Err(err) if err.session_is_gone() && gone.borrow().is_some() => {
                            let on_gone = gone.borrow().clone();
                            if let Some(cb) = on_gone {
                                cb.emit(());
                            }
                        }
                        Err(err) => log::debug!("node poll: {err}"),
                    }
                    in_flight.set(false);
                });
            })
        });
        move || drop(poll)
    });
}

/// Marks a local change to the node list, so a poll under way since before it is dropped.
pub fn bump(changes: &Cell<u32>) {
    changes.set(changes.get().wrapping_add(1));
}

/// A node known only by name (its address comes with the next refresh).
pub fn node_named(name: &str) -> NodeInfo {
    NodeInfo {
        name: name.to_string(),
        ip: String::new(),
        status: NodeStatus::Starting,
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn node(name: &str, status: NodeStatus) -> NodeInfo {
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
