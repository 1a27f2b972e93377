//! What the browser remembers: the session's credentials (localStorage, keyed by session id, so
//! the session's link works in another tab and after the browser restarts, on this device), which
//! session a tab's lesson page uses (sessionStorage), and the chosen language and lesson
//! progress (localStorage).

use protocol::{CreateSessionResponse, SessionInfo};
use serde::{Deserialize, Serialize};

use super::lesson_logic::Progress;
use crate::i18n::Lang;

const LANG_KEY: &str = "muelle.lang";
const SESSION_PREFIX: &str = "muelle.session.";
const PROGRESS_PREFIX: &str = "muelle.progress.";
const LESSON_SESSION_PREFIX: &str = "muelle.lesson-session.";
const JOIN_CODE_KEY: &str = "muelle.join-code";
/// localStorage: a lesson's running session, so that the catalog (of any tab, also after the
/// lesson's tab was closed) shows it with Resume and End instead of leaving it running unseen.
const RUNNING_PREFIX: &str = "muelle.lesson-running.";
/// localStorage: the steps ticked in one session (the lesson's own key keeps every session's).
const SESSION_PROGRESS_PREFIX: &str = "muelle.session-progress.";
/// localStorage: the lesson page's text width, in percent.
const SPLIT_KEY: &str = "muelle.lesson-split";
/// localStorage: the playground's selected node tab, per session.
const ACTIVE_NODE_PREFIX: &str = "muelle.active-node.";

/// A session as this tab knows it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct StoredSession {
    /// Session id.
    pub id: String,
    /// Bearer token for the session.
    pub token: String,
    /// Node names, in order.
    pub nodes: Vec<String>,
    /// When the session ends, in milliseconds since the Unix epoch by this browser's clock.
    pub deadline_ms: f64,
    /// The lesson it was started for (the start page offers only playground sessions to resume).
    #[serde(default)]
    pub lesson: Option<String>,
}

impl StoredSession {
    /// Builds the record from the create response, received at `now_ms`.
    pub fn from_created(resp: &CreateSessionResponse, now_ms: f64) -> Self {
        StoredSession {
            id: resp.session.id.clone(),
            token: resp.token.clone(),
            nodes: resp.session.nodes.iter().map(|n| n.name.clone()).collect(),
            deadline_ms: deadline(now_ms, resp.session.expires_in_secs),
            lesson: resp.session.lesson.clone(),
        }
    }

    /// Takes the fresher deadline and node list from `GET /api/sessions/{id}`.
    pub fn refresh(&mut self, info: &SessionInfo, now_ms: f64) {
        self.deadline_ms = deadline(now_ms, info.expires_in_secs);
        if !info.nodes.is_empty() {
            self.nodes = info.nodes.iter().map(|n| n.name.clone()).collect();
        }
    }

    /// The node whose terminal is shown first.
    pub fn first_node(&self) -> &str {
        self.nodes.first().map(String::as_str).unwrap_or("node1")
    }

    /// The storage key for a session id.
    pub fn key(id: &str) -> String {
        format!("{SESSION_PREFIX}{id}")
    }
}

fn deadline(now_ms: f64, expires_in_secs: u64) -> f64 {
    now_ms + expires_in_secs as f64 * 1000.0
}

#[cfg(target_arch = "wasm32")]
fn storage(local: bool) -> Option<web_sys::Storage> {
    let w = web_sys::window()?;
    let s = if local {
        w.local_storage()
    } else {
        w.session_storage()
    };
    s.ok().flatten()
}

#[cfg(not(target_arch = "wasm32"))]
fn storage(_local: bool) -> Option<web_sys::Storage> {
    None
}

/// Remembers a session on this device (every tab finds it by its id).
pub fn save_session(s: &StoredSession) {
    if let (Some(st), Ok(json)) = (storage(true), serde_json::to_string(s)) {
        // Storage can be full or disabled; the session then just won't survive a reload.
        let _ = st.set_item(&StoredSession::key(&s.id), &json);
    }
}

/// The session with `id` this device started, if any (older builds kept it per tab).
pub fn load_session(id: &str) -> Option<StoredSession> {
    let key = StoredSession::key(id);
    let json = storage(true)
        .and_then(|st| st.get_item(&key).ok()?)
        .or_else(|| storage(false)?.get_item(&key).ok()?)?;
    serde_json::from_str(&json).ok()
}

/// Forgets a session (ended or deleted), in every tab of this device.
pub fn forget_session(id: &str) {
    for local in [true, false] {
        if let Some(st) = storage(local) {
            let _ = st.remove_item(&StoredSession::key(id));
        }
    }
}

/// Sessions this device started that have not reached their end by `now_ms`, latest end first;
/// ended ones are forgotten on the way.
pub fn running_sessions(now_ms: f64) -> Vec<StoredSession> {
    let Some(st) = storage(true) else { return Vec::new() };
    let len = st.length().unwrap_or(0);
    let keys: Vec<String> = (0..len).filter_map(|i| st.key(i).ok().flatten()).collect();
    let mut out: Vec<StoredSession> = Vec::new();
    for key in keys.iter().filter(|k| k.starts_with(SESSION_PREFIX)) {
        match st.get_item(key).ok().flatten().and_then(|j| serde_json::from_str::<StoredSession>(&j).ok()) {
            Some(s) if s.deadline_ms > now_ms => out.push(s),
            _ => {
                let _ = st.remove_item(key);
            }
        }
    }
    sort_running(&mut out);
    out
}

/// Latest end first.
fn sort_running(list: &mut [StoredSession]) {
    list.sort_by(|a, b| b.deadline_ms.total_cmp(&a.deadline_ms));
}

/// The finished steps of lesson `lesson` (localStorage, so they outlive the session).
pub fn load_progress(lesson: &str) -> Progress {
    storage(true)
        .and_then(|st| st.get_item(&format!("{PROGRESS_PREFIX}{lesson}")).ok()?)
        .map(|json| Progress::from_json(&json))
        .unwrap_or_default()
}

/// Remembers the finished steps of lesson `lesson`.
pub fn save_progress(lesson: &str, progress: &Progress) {
    if let Some(st) = storage(true) {
        let _ = st.set_item(&format!("{PROGRESS_PREFIX}{lesson}"), &progress.to_json());
    }
}

/// The session this tab started for lesson `lesson`, if it still has its credentials; else the
/// lesson's running session that another (maybe closed) tab of this browser started.
pub fn load_lesson_session(lesson: &str) -> Option<StoredSession> {
    let key = format!("{LESSON_SESSION_PREFIX}{lesson}");
    storage(false)
        .and_then(|st| st.get_item(&key).ok()?)
        .and_then(|id| load_session(&id))
        .or_else(|| running_lesson(lesson))
}

/// Remembers `session` as this tab's session for lesson `lesson` (and the session itself), and
/// as the lesson's running session for the catalog.
pub fn save_lesson_session(lesson: &str, session: &StoredSession) {
    save_session(session);
    if let Some(st) = storage(false) {
        let _ = st.set_item(&format!("{LESSON_SESSION_PREFIX}{lesson}"), &session.id);
    }
    if let (Some(st), Ok(json)) = (storage(true), serde_json::to_string(session)) {
        let _ = st.set_item(&format!("{RUNNING_PREFIX}{lesson}"), &json);
    }
}

/// The running session of lesson `lesson` this browser knows (localStorage), if its deadline
/// has not passed by this browser's clock.
pub fn running_lesson(lesson: &str) -> Option<StoredSession> {
    let json = storage(true)?.get_item(&format!("{RUNNING_PREFIX}{lesson}")).ok()??;
    let s: StoredSession = serde_json::from_str(&json).ok()?;
    (s.deadline_ms > now_ms()).then_some(s)
}

/// Forgets lesson `lesson`'s session everywhere (ended, expired or gone).
pub fn forget_lesson_session(lesson: &str, id: &str) {
    forget_session(id);
    if let Some(st) = storage(false) {
        let _ = st.remove_item(&format!("{LESSON_SESSION_PREFIX}{lesson}"));
    }
    if let Some(st) = storage(true) {
        let _ = st.remove_item(&format!("{RUNNING_PREFIX}{lesson}"));
        let _ = st.remove_item(&format!("{SESSION_PROGRESS_PREFIX}{id}"));
    }
}

/// The steps ticked in session `id`.
pub fn load_session_progress(id: &str) -> Progress {
    storage(true)
        .and_then(|st| st.get_item(&format!("{SESSION_PROGRESS_PREFIX}{id}")).ok()?)
        .map(|json| Progress::from_json(&json))
        .unwrap_or_default()
}

/// Remembers the steps ticked in session `id`.
pub fn save_session_progress(id: &str, progress: &Progress) {
    if let Some(st) = storage(true) {
        let _ = st.set_item(&format!("{SESSION_PROGRESS_PREFIX}{id}"), &progress.to_json());
    }
}

/// The lesson text's share of the page width (percent), as last dragged.
pub fn load_split() -> Option<f64> {
    storage(true)?.get_item(SPLIT_KEY).ok()??.parse().ok()
}

/// Remembers the split.
pub fn save_split(percent: f64) {
    if let Some(st) = storage(true) {
        let _ = st.set_item(SPLIT_KEY, &format!("{percent:.1}"));
    }
}

/// The node tab last selected in session `id` (sessionStorage: per tab, survives a reload).
pub fn load_active_node(id: &str) -> Option<String> {
    storage(false)?.get_item(&format!("{ACTIVE_NODE_PREFIX}{id}")).ok()?
}

/// Remembers the selected node tab of session `id`.
pub fn save_active_node(id: &str, node: &str) {
    if let Some(st) = storage(false) {
        let _ = st.set_item(&format!("{ACTIVE_NODE_PREFIX}{id}"), node);
    }
}

fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Date::now();
    #[cfg(not(target_arch = "wasm32"))]
    0.0
}

/// The class's join code, as last typed on the start page.
pub fn load_join_code() -> Option<String> {
    storage(true)?.get_item(JOIN_CODE_KEY).ok()?.filter(|c| !c.trim().is_empty())
}

/// Remembers the join code for this browser (lesson pages start sessions with it too).
pub fn save_join_code(code: &str) {
    if let Some(st) = storage(true) {
        let _ = st.set_item(JOIN_CODE_KEY, code.trim());
    }
}

/// The language chosen with the switch, if any.
pub fn load_lang() -> Option<Lang> {
    Lang::parse(&storage(true)?.get_item(LANG_KEY).ok()??)
}

/// Remembers the language choice across visits.
pub fn save_lang(lang: Lang) {
    if let Some(st) = storage(true) {
        let _ = st.set_item(LANG_KEY, lang.code());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{NodeInfo, NodeStatus};

    fn info(secs: u64, nodes: &[&str]) -> SessionInfo {
        SessionInfo {
            id: "s1".into(),
            expires_at: "2026-01-01T00:00:00Z".into(),
            expires_in_secs: secs,
            nodes: nodes
                .iter()
                .map(|n| NodeInfo {
                    name: (*n).into(),
                    ip: "10.0.0.2".into(),
                    status: NodeStatus::Running,
                })
                .collect(),
            lesson: None,
            setup: None,
            ssh: None,
        }
    }

    #[test]
    fn created_session_is_stored_with_deadline() {
        let resp = CreateSessionResponse {
            session: info(3600, &["node1"]),
            token: "t".into(),
        };
        let s = StoredSession::from_created(&resp, 1_000.0);
        assert_eq!(s.deadline_ms, 3_601_000.0);
        assert_eq!(s.first_node(), "node1");
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<StoredSession>(&json).unwrap(), s);
    }

    #[test]
    fn refresh_updates_deadline_and_nodes() {
        let resp = CreateSessionResponse {
            session: info(60, &["node1"]),
            token: "t".into(),
        };
        let mut s = StoredSession::from_created(&resp, 0.0);
        s.refresh(&info(10, &["node1", "node2"]), 50_000.0);
        assert_eq!(s.deadline_ms, 60_000.0);
        assert_eq!(s.nodes, vec!["node1", "node2"]);
        s.refresh(&info(5, &[]), 0.0);
        assert_eq!(s.nodes.len(), 2, "an empty list keeps the known nodes");
    }

    #[test]
    fn keys_are_namespaced() {
        assert_eq!(StoredSession::key("abc"), "muelle.session.abc");
    }

    #[test]
    fn no_storage_natively() {
        assert_eq!(load_session("x"), None);
        assert_eq!(load_lang(), None);
        assert_eq!(load_progress("x"), Progress::default());
        assert_eq!(load_lesson_session("x"), None);
        assert!(running_sessions(0.0).is_empty());
    }

    #[test]
    fn running_sessions_come_latest_end_first() {
        let s = |id: &str, deadline_ms| StoredSession { id: id.into(), token: "t".into(), nodes: vec![], deadline_ms, lesson: None };
        let mut list = vec![s("a", 10.0), s("b", 30.0), s("c", 20.0)];
        sort_running(&mut list);
        assert_eq!(list.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["b", "c", "a"]);
    }
}
