//! The admin view's REST calls (`/api/admin`, with the admin token or an instructor token) and
//! where the page keeps its credential: sessionStorage, so that it is gone with the tab.

use gloo_net::http::Request;
use serde::Deserialize;

use super::api::{authorized, checked, json};
use crate::error::Error;

const ADMIN_KEY: &str = "muelle.admin";

/// One node of an [`AdminSession`].
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct AdminNode {
    /// `node1`…
    pub name: String,
    /// `starting`, `running`, …
    pub status: String,
    /// Memory in use, bytes.
    #[serde(default)]
    pub memory_bytes: Option<u64>,
    /// CPU time used so far, microseconds.
    #[serde(default)]
    pub cpu_usec: Option<u64>,
}

/// The class of an [`AdminSession`].
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct AdminClass {
    /// Class id.
    pub id: String,
    /// Class name.
    pub name: String,
    /// Student's name.
    pub student: String,
}

/// One live session.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct AdminSession {
    /// Session id.
    pub id: String,
    /// Seconds since it started.
    pub age_secs: u64,
    /// Seconds until it expires.
    pub expires_in_secs: u64,
    /// Its lesson.
    #[serde(default)]
    pub lesson: Option<String>,
    /// The address that started it.
    #[serde(default)]
    pub client: Option<String>,
    /// Its class seat.
    #[serde(default)]
    pub class: Option<AdminClass>,
    /// Its nodes.
    pub nodes: Vec<AdminNode>,
}

impl AdminSession {
    /// Memory of its nodes together; `None` when no node reports it.
    pub fn memory_bytes(&self) -> Option<u64> {
        self.nodes.iter().filter_map(|n| n.memory_bytes).reduce(|a, b| a.saturating_add(b))
    }

    /// CPU time of its nodes together, microseconds; `None` when no node reports it.
    pub fn cpu_usec(&self) -> Option<u64> {
        self.nodes.iter().filter_map(|n| n.cpu_usec).reduce(|a, b| a.saturating_add(b))
    }
}

/// `GET /api/admin/sessions`.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct AdminSessions {
    /// Oldest first.
    pub sessions: Vec<AdminSession>,
    /// New sessions are refused.
    pub draining: bool,
}

#[cfg(target_arch = "wasm32")]
fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

#[cfg(not(target_arch = "wasm32"))]
fn session_storage() -> Option<web_sys::Storage> {
    None
}

/// The credential this tab was given.
pub fn load_credential() -> Option<String> {
    session_storage()?.get_item(ADMIN_KEY).ok()?.filter(|t| !t.trim().is_empty())
}

/// Keeps the credential for this tab.
pub fn save_credential(token: &str) {
    if let Some(st) = session_storage() {
        let _ = st.set_item(ADMIN_KEY, token.trim());
    }
}

/// Forgets the credential (the server refused it).
pub fn forget_credential() {
    if let Some(st) = session_storage() {
        let _ = st.remove_item(ADMIN_KEY);
    }
}

/// `GET /api/admin/sessions`.
pub async fn sessions(token: &str) -> Result<AdminSessions, Error> {
    json(authorized(Request::get("/api/admin/sessions"), token).send().await).await
}

/// `DELETE /api/admin/sessions/{id}`.
pub async fn end_session(token: &str, id: &str) -> Result<(), Error> {
    checked(authorized(Request::delete(&format!("/api/admin/sessions/{id}")), token).send().await).await.map(drop)
}

/// `POST /api/admin/drain` (`on`) or `DELETE` it.
pub async fn set_drain(token: &str, on: bool) -> Result<(), Error> {
    let req = if on { Request::post("/api/admin/drain") } else { Request::delete("/api/admin/drain") };
    checked(authorized(req, token).send().await).await.map(drop)
}

/// `1.5 GiB`, `230 MiB`, `12 KiB`.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = b as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 || v >= 100.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `1:02:03` or `4:05` for an age in seconds.
pub fn human_age(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_ages_and_sums() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(230 << 20), "230 MiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
        assert_eq!(human_age(65), "1:05");
        assert_eq!(human_age(3723), "1:02:03");
        let s: AdminSession = serde_json::from_str(
            r#"{"id":"a","created_at":"x","age_secs":3,"expires_in_secs":9,"lesson":null,"client":"127.0.0.1","class":null,
                "nodes":[{"name":"node1","status":"running","memory_bytes":100,"cpu_usec":7},{"name":"node2","status":"starting","memory_bytes":null,"cpu_usec":null}]}"#,
        )
        .unwrap();
        assert_eq!((s.memory_bytes(), s.cpu_usec()), (Some(100), Some(7)));
        let none = AdminSession { nodes: vec![], ..s };
        assert_eq!(none.memory_bytes(), None);
    }
}
