//! Every node's published ports as links, each with its node's name, polled every second while
//! the page is visible (the server reads them from the host, without running anything in the
//! nodes), so a `docker run -p` shows at once. Each link opens the port at an origin of its own,
//! with a key for that port only (never the session token).

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use yew::platform::spawn_local;
use yew::prelude::*;

use protocol::NodePorts;

use crate::hooks::use_lang;
use crate::services::node_api;
use crate::services::page::page_hidden;

const POLL_MS: u32 = 1_000;

/// What the ports endpoint said last.
#[derive(Clone, Debug, PartialEq)]
enum Ports {
    Loading,
    Known(Vec<NodePorts>),
    /// The server has no ports endpoint (404/405): say so once and stop asking.
    Unavailable,
}

/// Props of [`SessionPorts`].
#[derive(Properties, PartialEq)]
pub struct SessionPortsProps {
    /// Session id.
    pub session_id: AttrValue,
    /// Bearer token of the ports API.
    pub token: AttrValue,
}

/// "Ports of every node: node1 8080 ↗ · node2 5000 ↗", or a note when there are none.
#[component]
pub fn SessionPorts(props: &SessionPortsProps) -> Html {
    let lang = use_lang();
    let (s, ux) = (lang.strings(), lang.lang.ux());
    let ports = use_state(|| Ports::Loading);
    {
        let ports = ports.clone();
        let deps = (props.session_id.clone(), props.token.clone());
        use_effect_with(deps, move |(id, token)| {
            ports.set(Ports::Loading);
            let poll = start_polling(id.to_string(), token.to_string(), ports);
            move || drop(poll)
        });
    }
    let links = match &*ports {
        Ports::Loading => html! {},
        Ports::Unavailable => html! { <span class="muted">{ s.ports_unavailable }</span> },
        Ports::Known(list) if list.iter().all(|n| n.ports.is_empty()) => {
            html! { <span class="muted">{ s.no_ports }</span> }
        }
        Ports::Known(list) => list
            .iter()
            .filter(|n| !n.ports.is_empty())
            .map(|n| {
                let links = n.ports.iter().filter(|p| !p.url.is_empty()).map(|p| {
                    let href = p.url.clone();
                    html! {
                        <a class="port" {href} target="_blank" rel="noopener noreferrer"
                           data-port={p.port.to_string()} data-node={n.node.clone()}
                           aria-label={format!("{} {} ({})", n.node, p.port, s.ports)}>
                            { format!("{} ↗", p.port) }
                        </a>
                    }
                });
                html! {
                    <span class="node-ports" data-node={n.node.clone()}>
                        <span class="node-ports-name">{ n.node.clone() }</span>
                        { for links }
                    </span>
                }
            })
            .collect(),
    };
    html! {
        <span class="ports" role="group" aria-label={ux.ports_of_all} title={ux.ports_of_all}>
            <span class="ports-label">{ s.ports }</span>{ links }
        </span>
    }
}

fn start_polling(id: String, token: String, ports: UseStateHandle<Ports>) -> Interval {
    let stop = Rc::new(Cell::new(false));
    let in_flight = Rc::new(Cell::new(false));
    let tick = move || {
        if stop.get() || page_hidden() || in_flight.replace(true) {
            return;
        }
        let (id, token) = (id.clone(), token.clone());
        let (stop, in_flight, ports) = (stop.clone(), in_flight.clone(), ports.clone());
        spawn_local(async move {
            match node_api::list_session_ports(&id, &token).await {
                Ok(mut list) => {
                    for n in &mut list {
                        n.ports.sort_unstable_by_key(|p| p.port);
                        n.ports.dedup_by_key(|p| p.port);
                    }
                    // Setting an equal value still re-renders: only a change does.
                    if *ports != Ports::Known(list.clone()) {
                        ports.set(Ports::Known(list));
                    }
                }
                Err(err) if err.is_missing_endpoint() => {
                    stop.set(true);
                    ports.set(Ports::Unavailable);
                }
                Err(err) => log::debug!("ports: {err}"),
            }
            in_flight.set(false);
        });
    };
    tick();
    Interval::new(POLL_MS, tick)
}
