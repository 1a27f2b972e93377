//! URL paths of the HTTP API, shared so the frontend never spells them by hand.

/// Liveness probe: `GET` → 200 `ok`.
pub const HEALTHZ: &str = "/healthz";
/// `POST` creates a session.
pub const SESSIONS: &str = "/api/sessions";
/// The lesson catalog.
pub const LESSONS: &str = "/api/lessons";
/// `GET`: what the start page needs to know ([`crate::ServerConfig`]).
pub const CONFIG: &str = "/api/config";

/// `GET`: the session templates ([`crate::Template`]).
pub const TEMPLATES: &str = "/api/templates";

/// `/api/sessions/{id}/extend` (POST, Bearer): more time, up to the server's maximum.
pub fn extend(id: &str) -> String {
    format!("{SESSIONS}/{id}/extend")
}

/// `/api/sessions/{id}/nodes/{node}/stats` (GET, Bearer) → [`crate::NodeStats`].
pub fn node_stats(id: &str, node: &str) -> String {
    format!("{SESSIONS}/{id}/nodes/{node}/stats")
}

/// `/api/sessions/{id}`
pub fn session(id: &str) -> String {
    format!("{SESSIONS}/{id}")
}

/// `/api/sessions/{id}/nodes`
pub fn nodes(id: &str) -> String {
    format!("{SESSIONS}/{id}/nodes")
}

/// `/api/sessions/{id}/nodes/{node}/exec`
pub fn exec(id: &str, node: &str) -> String {
    format!("{SESSIONS}/{id}/nodes/{node}/exec")
}

/// `/api/sessions/{id}/nodes/{node}/reset`
pub fn reset(id: &str, node: &str) -> String {
    format!("{SESSIONS}/{id}/nodes/{node}/reset")
}

/// `/api/sessions/{id}/nodes/{node}/ports` → `[PortLink]`.
pub fn ports(id: &str, node: &str) -> String {
    format!("{SESSIONS}/{id}/nodes/{node}/ports")
}

/// `/api/sessions/{id}/ports`: every node's ports.
pub fn session_ports(id: &str) -> String {
    format!("{SESSIONS}/{id}/ports")
}

/// `/api/sessions/{id}/nodes/{node}/terminal?token={token}` (WebSocket).
pub fn terminal(id: &str, node: &str, token: &str) -> String {
    format!("{SESSIONS}/{id}/nodes/{node}/terminal?token={token}")
}

/// The terminal socket of the `term`-th shell of `node` (1 is the default), for a client of
/// `cols`×`rows`: re-attaching to the same `term` restores its screen.
pub fn terminal_at(id: &str, node: &str, token: &str, term: u8, cols: u16, rows: u16) -> String {
    format!("{}&term={term}&cols={cols}&rows={rows}", terminal(id, node, token))
}

/// `/api/sessions/{id}/nodes/{node}/terminals` (Bearer): the running shells' term numbers.
pub fn terminals(id: &str, node: &str) -> String {
    format!("{SESSIONS}/{id}/nodes/{node}/terminals")
}

/// `/api/lessons/{id}?lang={lang}`
pub fn lesson(id: &str, lang: &str) -> String {
    format!("{LESSONS}/{id}?lang={lang}")
}

/// `/api/sessions/{id}/lesson/progress?lang={lang}` (Bearer): runs every step check.
pub fn lesson_progress(id: &str, lang: &str) -> String {
    format!("{SESSIONS}/{id}/lesson/progress?lang={lang}")
}

/// `/api/sessions/{id}/lesson/steps/{step}/check?lang={lang}` (POST, Bearer).
pub fn step_check(id: &str, step: u32, lang: &str) -> String {
    format!("{SESSIONS}/{id}/lesson/steps/{step}/check?lang={lang}")
}

/// `/api/sessions/{id}/lesson/steps/{step}/solve?lang={lang}` (POST, Bearer): "Skip".
pub fn step_solve(id: &str, step: u32, lang: &str) -> String {
    format!("{SESSIONS}/{id}/lesson/steps/{step}/solve?lang={lang}")
}

/// `/api/sessions/{id}/lesson/steps/{step}/solution?lang={lang}` (GET, Bearer): a step's solution,
/// for lessons with `solutions: true`.
pub fn step_solution(id: &str, step: u32, lang: &str) -> String {
    format!("{SESSIONS}/{id}/lesson/steps/{step}/solution?lang={lang}")
}

/// `/api/sessions/{id}/lesson/blocks/{block}/write?lang={lang}` (POST, Bearer): a `file` block.
pub fn block_write(id: &str, block: &str, lang: &str) -> String {
    format!("{SESSIONS}/{id}/lesson/blocks/{block}/write?lang={lang}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths() {
        assert_eq!(super::exec("a", "node1"), "/api/sessions/a/nodes/node1/exec");
        assert_eq!(
            super::terminal("a", "node2", "t"),
            "/api/sessions/a/nodes/node2/terminal?token=t"
        );
    }
}

/// `/api/sessions/{id}/ssh` (GET, Bearer, `?node=`) → [`crate::ssh::SshInfo`].
pub fn ssh(id: &str) -> String {
    format!("{SESSIONS}/{id}/ssh")
}
