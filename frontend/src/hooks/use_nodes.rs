//! The playground's node list: which nodes exist, which one is shown, adding and removing them.

use protocol::NodeInfo;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::error::Error;
use crate::services::node_api;
use crate::services::storage::{self, StoredSession};

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
    let nodes = use_state(|| {
        session
            .nodes
            .iter()
            .map(|n| crate::hooks::node_named(n))
            .collect::<Vec<_>>()
    });
    let active = use_state(|| AttrValue::from(session.first_node().to_string()));
    let busy = use_state(|| false);
    let error = use_state(|| None::<Error>);
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
    let add = {
        let (session, set_nodes, nodes, active) = (
            session.clone(),
            set_nodes.clone(),
            nodes.clone(),
            active.clone(),
        );
        let (busy, error) = (busy.clone(), error.clone());
        Callback::from(move |()| {
            let (session, set_nodes, nodes, active) = (
                session.clone(),
                set_nodes.clone(),
                nodes.clone(),
                active.clone(),
            );
            let (busy, error) = (busy.clone(), error.clone());
            busy.set(true);
            spawn_local(async move {
                let result = node_api::add_node(&session.id, &session.token).await;
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
        let (busy, error) = (busy.clone(), error.clone());
        Callback::from(move |name: AttrValue| {
            let (session, set_nodes, nodes, active) = (
                session.clone(),
                set_nodes.clone(),
                nodes.clone(),
                active.clone(),
            );
            let (busy, error) = (busy.clone(), error.clone());
            busy.set(true);
            spawn_local(async move {
                let result = node_api::remove_node(&session.id, &session.token, &name).await;
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
        add,
        remove,
        busy: *busy,
        error: (*error).clone(),
    }
}

fn remember(session: &StoredSession, list: &[NodeInfo]) {
    // Keep the latest deadline the page knows; only the node names change here.
    if let Some(mut stored) = storage::load_session(&session.id) {
        stored.nodes = list.iter().map(|n| n.name.clone()).collect();
        storage::save_session(&stored);
    }
}
