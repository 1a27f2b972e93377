//! Session templates, as Play with Docker had them: one node, three nodes, and a Swarm of three
//! managers and two workers that the server forms once the nodes run (`docker node ls` on node1
//! shows all five).

use std::time::Duration;

use protocol::{LocalName, SetupState, SetupStatus, Template};

use crate::error::AppError;
use crate::state::AppState;

/// Time limit of each `docker swarm` command.
const SWARM_STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// How a template's nodes are formed after they start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formation {
    /// Nothing: plain nodes.
    None,
    /// A Swarm: node1 inits it, the next `managers - 1` nodes join as managers, the rest as workers.
    Swarm {
        /// Managers, node1 included.
        managers: u8,
    },
}

/// A template as the server knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Def {
    /// Its id.
    pub id: &'static str,
    /// Spanish name.
    pub es: &'static str,
    /// English name.
    pub en: &'static str,
    /// Nodes started.
    pub nodes: u8,
    /// What the server does with them once they run.
    pub formation: Formation,
}

/// Every template, in the order the start page shows them.
pub const TEMPLATES: &[Def] = &[
    Def { id: "one-node", es: "Un nodo", en: "One node", nodes: 1, formation: Formation::None },
    Def { id: "three-nodes", es: "Tres nodos", en: "Three nodes", nodes: 3, formation: Formation::None },
    Def {
        id: "swarm-3m2w",
        es: "Swarm: 3 managers + 2 workers",
        en: "Swarm: 3 managers + 2 workers",
        nodes: 5,
        formation: Formation::Swarm { managers: 3 },
    },
];

/// The template named `id`.
pub fn find(id: &str) -> Result<&'static Def, AppError> {
    TEMPLATES
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| AppError::BadRequest(format!("no template {id:?}; GET /api/templates lists them")))
}

/// The templates this server can start (those within `MUELLE_MAX_NODES_PER_SESSION`).
pub fn list(max_nodes: u8) -> Vec<Template> {
    TEMPLATES
        .iter()
        .filter(|t| t.nodes <= max_nodes)
        .map(|t| Template { id: t.id.into(), name: LocalName { es: t.es.into(), en: t.en.into() }, nodes: t.nodes })
        .collect()
}

/// Forms session `id`'s nodes as `def` says; `None` when there is nothing to form. The status
/// is also kept where `GET /api/sessions/{id}` reads a lesson's setup status.
pub async fn form(state: &AppState, id: &str, def: &Def) -> Option<SetupStatus> {
    let Formation::Swarm { managers } = def.formation else { return None };
    state.lessons.set_setup(id, SetupStatus { state: SetupState::Running, message: None });
    let result = form_swarm(state, id, def.nodes, managers).await;
    if let Err(err) = &result {
        tracing::warn!(session_id = %id, template = def.id, error = %err, "forming the swarm failed");
    }
    let status = crate::player::setup::status_of(&result);
    state.lessons.set_setup(id, status.clone());
    Some(status)
}

/// `docker swarm init` on node1, then each other node joins with the manager or worker token.
async fn form_swarm(state: &AppState, id: &str, nodes: u8, managers: u8) -> Result<(), String> {
    // Each command must run in a node of its own (a node's hostname is its name): never on a
    // host whose Docker engine a development provider would reach.
    for i in 1..=nodes {
        let name = format!("node{i}");
        run(state, id, &name, &["/bin/sh", "-c", r#"[ "$(cat /proc/sys/kernel/hostname)" = "$1" ]"#, "sh", &name])
            .await
            .map_err(|_| format!("{name} is not a node of its own (hostname differs): no swarm formed"))?;
    }
    let leader = state.sessions.running_node(id, "node1").map_err(|e| format!("node1: {e}"))?;
    let addr = leader.ip.clone();
    run(state, id, "node1", &["docker", "swarm", "init", "--advertise-addr", &addr]).await?;
    let manager_token = run(state, id, "node1", &["docker", "swarm", "join-token", "-q", "manager"]).await?;
    let worker_token = run(state, id, "node1", &["docker", "swarm", "join-token", "-q", "worker"]).await?;
    for i in 2..=nodes {
        let token = if i <= managers { &manager_token } else { &worker_token };
        let name = format!("node{i}");
        run(state, id, &name, &join_argv(token.trim(), &addr)).await?;
    }
    Ok(())
}

/// `docker swarm join --token T <leader>:2377`.
pub fn join_argv(token: &str, leader: &str) -> Vec<String> {
    ["docker", "swarm", "join", "--token", token, &format!("{leader}:2377")].map(String::from).to_vec()
}

/// Runs `argv` in node `name` of session `id`; its stdout, or why it failed.
async fn run(state: &AppState, id: &str, name: &str, argv: &[impl AsRef<str>]) -> Result<String, String> {
    let node = state.sessions.running_node(id, name).map_err(|e| format!("{name}: {e}"))?;
    let argv: Vec<String> = argv.iter().map(|a| a.as_ref().to_string()).collect();
    let label = argv.iter().take(3).cloned().collect::<Vec<_>>().join(" ");
    let r = crate::exec::run(state.provider.command(&node, &argv), SWARM_STEP_TIMEOUT)
        .await
        .map_err(|e| format!("{label} on {name}: {e:#}"))?;
    if r.exit_code != 0 {
        let out = crate::player::node_exec::tail(format!("{}{}", r.stdout, r.stderr).trim(), 2000);
        return Err(format!("{label} on {name} exited with {}: {out}", r.exit_code));
    }
    Ok(r.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_listed_within_the_node_limit() {
        let ids = |max| list(max).into_iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(5), ["one-node", "three-nodes", "swarm-3m2w"]);
        assert_eq!(ids(3), ["one-node", "three-nodes"]);
        assert_eq!(list(5)[2].name.en, "Swarm: 3 managers + 2 workers");
        assert!(find("swarm-3m2w").is_ok() && find("nope").is_err());
    }

    #[test]
    fn joins_name_the_leader_on_the_swarm_port() {
        assert_eq!(
            join_argv("SWMTKN-1-x", "10.100.0.2"),
            ["docker", "swarm", "join", "--token", "SWMTKN-1-x", "10.100.0.2:2377"]
        );
    }
}
