//! The playground's node list: which nodes exist, which one is shown, adding and removing them,
//! and the poll that notices a node whose init died. The state is one reducer ([`Nodes`]); every
//! server call goes through [`run`], which marks the tabs busy and dispatches the outcome.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use protocol::NodeInfo;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::error::Error;
use crate::hooks::use_node_poll::{bump, node_named, replaced, use_node_poll_until_gone};
use crate::services::node_api;
use crate::services::storage::{self, StoredSession};

/// Most nodes a session may have (the backend enforces it too).
pub const MAX_NODES: usize = 5;

/// The node tabs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Nodes {
    /// The nodes, in order.
    pub list: Vec<NodeInfo>,
    /// The node whose terminal is shown.
    pub active: AttrValue,
    /// An add or remove is in flight.
    pub busy: bool,
    /// Why the last add or remove failed.
    pub error: Option<Error>,
}

/// What happens to the node tabs.
#[derive(Debug)]
pub enum NodesAction {
    /// Show this node's terminal.
    Select(AttrValue),
    /// The whole list, as the server told it.
    Replace(Vec<NodeInfo>),
    /// One node replaced by name (after a reset).
    Update(NodeInfo),
    /// An add or remove was sent.
    Busy,
    /// It failed.
    Failed(Error),
    /// A node was added: it goes last and is shown.
    Added(NodeInfo),
    /// A node was removed: if it was shown, the first one left is.
    Removed(AttrValue),
}

impl Nodes {
    /// The stored session's nodes, known by name until the server tells more; the first is shown.
    /// The node selected before a reload stays selected.
    fn of(session: &StoredSession) -> Nodes {
        let kept = storage::load_active_node(&session.id).filter(|n| session.nodes.contains(n));
        Nodes {
            list: session.nodes.iter().map(|n| node_named(n)).collect(),
            active: AttrValue::from(kept.unwrap_or_else(|| session.first_node().to_string())),
            ..Nodes::default()
        }
    }

    /// An add or remove came back fine.
    fn settle(&mut self) {
        self.busy = false;
        self.error = None;
    }
}

impl Reducible for Nodes {
    type Action = NodesAction;

    fn reduce(self: Rc<Self>, action: NodesAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            NodesAction::Select(name) => next.active = name,
            NodesAction::Replace(list) => {
                // A node removed elsewhere (another tab) cannot stay shown.
                if !list.is_empty() && !list.iter().any(|n| *n.name == *next.active) {
                    next.active = list[0].name.clone().into();
                }
                next.list = list;
            }
            NodesAction::Update(node) => next.list = replaced(&next.list, node),
            NodesAction::Busy => next.busy = true,
            NodesAction::Failed(err) => {
                next.busy = false;
                next.error = Some(err);
            }
            NodesAction::Added(node) => {
                next.settle();
                next.active = node.name.clone().into();
                next.list.retain(|n| n.name != node.name);
                next.list.push(node);
            }
            NodesAction::Removed(name) => {
                next.settle();
                next.list.retain(|n| *n.name != *name);
                if next.active == name {
                    let first = next.list.first().map(|n| n.name.clone());
                    next.active = first.unwrap_or_default().into();
                }
            }
        }
        Rc::new(next)
    }
}

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

/// Node tabs of `session`; changes are written back to the stored session. `on_gone` is called
/// when the poll finds the session gone.
#[hook]
pub fn use_nodes(session: &StoredSession, on_gone: Callback<()>) -> NodesHandle {
    let state = use_reducer_eq(|| Nodes::of(session));
    // Bumped by every local change, so a poll that was under way then does not undo it.
    let changes = use_memo((), |()| Rc::new(Cell::new(0u32)));
    {
        let session = session.clone();
        use_effect_with(state.list.clone(), move |list| remember(&session, list));
    }
    {
        let id = session.id.clone();
        use_effect_with(state.active.clone(), move |active| {
            if !active.is_empty() {
                storage::save_active_node(&id, active);
            }
        });
    }
    let dispatch = state.dispatcher();
    let set_nodes = dispatch.to_callback().reform(NodesAction::Replace);
    {
        let creds = (session.id.clone(), session.token.clone());
        let dispatch = dispatch.clone();
        let apply = Callback::from(move |list: Vec<NodeInfo>| {
            if !list.is_empty() {
                dispatch.dispatch(NodesAction::Replace(list));
            }
        });
        use_node_poll_until_gone(Some(creds), (*changes).clone(), apply, Some(on_gone));
    }
    let update = {
        let (dispatch, changes) = (dispatch.clone(), (*changes).clone());
        Callback::from(move |node: NodeInfo| {
            bump(&changes);
            dispatch.dispatch(NodesAction::Update(node));
        })
    };
    let add = {
        let (dispatch, changes, session) = (dispatch.clone(), (*changes).clone(), session.clone());
        Callback::from(move |()| {
            let (id, token) = (session.id.clone(), session.token.clone());
            run(&dispatch, &changes, async move {
                node_api::add_node(&id, &token)
                    .await
                    .map(NodesAction::Added)
            });
        })
    };
    let remove = {
        let (dispatch, changes, session) = (dispatch.clone(), (*changes).clone(), session.clone());
        Callback::from(move |name: AttrValue| {
            let (id, token) = (session.id.clone(), session.token.clone());
            run(&dispatch, &changes, async move {
                let removed = node_api::remove_node(&id, &token, &name).await;
                removed.map(|()| NodesAction::Removed(name))
            });
        })
    };
    NodesHandle {
        nodes: state.list.clone(),
        active: state.active.clone(),
        select: dispatch.to_callback().reform(NodesAction::Select),
        set_nodes,
        update,
        add,
        remove,
        busy: state.busy,
        error: state.error.clone(),
    }
}

/// The one place a node action talks to the server: marks the tabs busy (and the list changed,
/// so a poll under way is dropped), awaits `call`, then dispatches its action or `Failed`.
fn run(
    dispatch: &UseReducerDispatcher<Nodes>,
    changes: &Rc<Cell<u32>>,
    call: impl Future<Output = Result<NodesAction, Error>> + 'static,
) {
    let (dispatch, changes) = (dispatch.clone(), changes.clone());
    dispatch.dispatch(NodesAction::Busy);
    bump(&changes);
    spawn_local(async move {
        let result = call.await;
        bump(&changes);
        dispatch.dispatch(result.unwrap_or_else(NodesAction::Failed));
    });
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

#[cfg(test)]
mod tests {
    use protocol::NodeStatus;

    use super::*;
    use crate::hooks::use_node_poll::tests::node;

    fn tabs(names: &[&str], active: &str) -> Rc<Nodes> {
        Rc::new(Nodes {
            list: names.iter().map(|n| node(n, NodeStatus::Running)).collect(),
            active: AttrValue::from(active.to_string()),
            ..Nodes::default()
        })
    }

    fn names(nodes: &Nodes) -> Vec<&str> {
        nodes.list.iter().map(|n| n.name.as_str()).collect()
    }

    #[test]
    fn an_added_node_goes_last_is_shown_and_clears_the_last_error() {
        let busy = tabs(&["node1"], "node1").reduce(NodesAction::Busy);
        assert!(busy.busy);
        let failed = busy.reduce(NodesAction::Failed(Error::Network("down".into())));
        assert_eq!((failed.busy, names(&failed)), (false, vec!["node1"]));
        assert_eq!(failed.error, Some(Error::Network("down".into())));
        let added = failed
            .reduce(NodesAction::Busy)
            .reduce(NodesAction::Added(node("node2", NodeStatus::Running)));
        assert_eq!(names(&added), ["node1", "node2"]);
        assert_eq!((added.active.as_str(), added.busy), ("node2", false));
        assert_eq!(added.error, None);
    }

    #[test]
    fn removing_the_shown_node_shows_the_first_one_left() {
        let nodes = tabs(&["node1", "node2", "node3"], "node3");
        let other = nodes.clone().reduce(NodesAction::Removed("node2".into()));
        assert_eq!(
            (names(&other), other.active.as_str()),
            (vec!["node1", "node3"], "node3")
        );
        let shown = nodes.reduce(NodesAction::Removed("node3".into()));
        assert_eq!(
            (names(&shown), shown.active.as_str()),
            (vec!["node1", "node2"], "node1")
        );
        let last = tabs(&["node1"], "node1").reduce(NodesAction::Removed("node1".into()));
        assert_eq!((last.list.len(), last.active.as_str()), (0, ""));
    }

    #[test]
    fn a_shown_node_removed_elsewhere_gives_way_to_the_first() {
        let nodes = tabs(&["node1", "node2"], "node2");
        let fresh = vec![node("node1", NodeStatus::Running), node("node3", NodeStatus::Running)];
        let after = nodes.clone().reduce(NodesAction::Replace(fresh));
        assert_eq!((names(&after), after.active.as_str()), (vec!["node1", "node3"], "node1"));
        let kept = nodes.reduce(NodesAction::Replace(vec![node("node2", NodeStatus::Running), node("node4", NodeStatus::Running)]));
        assert_eq!(kept.active.as_str(), "node2", "a node still there stays shown");
    }

    #[test]
    fn select_replace_and_update_leave_busy_and_error_alone() {
        let nodes = tabs(&["node1", "node2"], "node1").reduce(NodesAction::Busy);
        let nodes = nodes.reduce(NodesAction::Select("node2".into()));
        assert_eq!(nodes.active.as_str(), "node2");
        let nodes = nodes.reduce(NodesAction::Update(node("node2", NodeStatus::Stopped)));
        assert_eq!(nodes.list[1].status, NodeStatus::Stopped);
        let fresh = vec![node("node1", NodeStatus::Running)];
        let nodes = nodes.reduce(NodesAction::Replace(fresh.clone()));
        assert_eq!((nodes.list.clone(), nodes.busy), (fresh, true));
    }
}
