//! What classes need of the registry: capacity held for a class's seats, sessions counted
//! against their class's hold (a class's sessions are extended as any other: `extend.rs`).
//!
//! A class of `seats` students with `nodes` nodes each holds `seats × nodes` nodes of
//! `MAX_NODES` from its admission on. Nodes its students already run count against the hold, so
//! the capacity other sessions see is `MAX_NODES − live nodes − unused holds`; a student of the
//! class only competes with the other holds, which admission made sure fit beside it.

use std::collections::{HashMap, HashSet};

use super::{holds_resources, Session, SessionRegistry};
use crate::error::AppError;

/// Capacity held for one class.
#[derive(Debug, Clone, Default)]
pub(super) struct Hold {
    /// Nodes reserved (seats × nodes per student).
    nodes: u32,
    /// The class's sessions (their live nodes use the hold).
    sessions: HashSet<String>,
}

/// Nodes the holds (all but `except`'s) keep free beyond what their sessions already run.
pub(super) fn held(holds: &HashMap<String, Hold>, sessions: &HashMap<String, Session>, except: Option<&str>) -> u32 {
    holds
        .iter()
        .filter(|(class, _)| Some(class.as_str()) != except)
        .map(|(_, h)| h.nodes.saturating_sub(live_of(h, sessions)))
        .sum()
}

/// The class whose hold counts session `id`, if any.
pub(super) fn class_of(holds: &HashMap<String, Hold>, id: &str) -> Option<String> {
    holds.iter().find(|(_, h)| h.sessions.contains(id)).map(|(class, _)| class.clone())
}

fn live_of(hold: &Hold, sessions: &HashMap<String, Session>) -> u32 {
    let n = hold
        .sessions
        .iter()
        .filter_map(|id| sessions.get(id))
        .flat_map(|s| &s.nodes)
        .filter(|n| holds_resources(n.status))
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl SessionRegistry {
    /// Holds `nodes` nodes for class `class` if they fit beside the live nodes and the other
    /// holds; [`AppError::ClassTooBig`] otherwise. Holding again (a restart, a changed class)
    /// replaces the class's hold and keeps its sessions.
    pub fn hold_for_class(&self, class: &str, nodes: u32, sessions: &[String]) -> Result<(), AppError> {
        let state = self.lock();
        let mut holds = self.holds();
        let live = super::live_nodes(&state);
        let mut hold = holds.get(class).cloned().unwrap_or_default();
        hold.sessions.extend(sessions.iter().cloned());
        hold.nodes = nodes;
        // Nodes this class's sessions already run are inside `live` and inside its hold.
        let own_live = live_of(&hold, &state);
        let others = held(&holds, &state, Some(class));
        let needed = live.saturating_sub(own_live).saturating_add(others).saturating_add(nodes.max(own_live));
        if needed > self.config.max_nodes {
            let free = self.config.max_nodes.saturating_sub(live.saturating_sub(own_live) + others);
            return Err(AppError::ClassTooBig { needed: nodes, free });
        }
        holds.insert(class.to_string(), hold);
        Ok(())
    }

    /// Holds `nodes` for `class` without checking that they fit (a restart re-reading its
    /// classes: what was admitted stays admitted).
    pub fn restore_hold(&self, class: &str, nodes: u32, sessions: &[String]) {
        let mut holds = self.holds();
        let hold = holds.entry(class.to_string()).or_default();
        hold.nodes = nodes;
        hold.sessions.extend(sessions.iter().cloned());
    }

    /// Gives back the capacity of `class` (ended).
    pub fn release_hold(&self, class: &str) {
        self.holds().remove(class);
    }

    /// Nodes held and not yet used by `class`'s sessions; `None` for a class with no hold.
    pub fn unused_hold(&self, class: &str) -> Option<u32> {
        let state = self.lock();
        let holds = self.holds();
        let hold = holds.get(class)?;
        Some(hold.nodes.saturating_sub(live_of(hold, &state)))
    }

    /// Puts session `id` on lesson `lesson` (its nodes stay as they are).
    pub fn set_lesson(&self, id: &str, lesson: &str) -> Result<(), AppError> {
        {
            let mut state = self.lock();
            let now = super::now_unix();
            let session = state.get_mut(id).filter(|s| s.is_visible(now)).ok_or(AppError::SessionNotFound)?;
            session.row.lesson = Some(lesson.to_string());
        }
        self.store.set_lesson(id, lesson)?;
        Ok(())
    }

    pub(super) fn holds(&self) -> std::sync::MutexGuard<'_, HashMap<String, Hold>> {
        self.holds.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a new session of `class` in its hold (called under the state lock).
    pub(super) fn join_hold(&self, class: &str, id: &str) {
        if let Some(hold) = self.holds().get_mut(class) {
            hold.sessions.insert(id.to_string());
        }
    }
}
