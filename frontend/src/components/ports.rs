//! A node's published ports as links, polled every 5 s. Each link opens the port at an origin of
//! its own, with a key for that port only (never the session token).

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use yew::platform::spawn_local;
use yew::prelude::*;

use protocol::PortLink;

use crate::hooks::use_lang;
use crate::services::node_api;
use crate::services::page::page_hidden;

const POLL_MS: u32 = 5_000;

/// What the ports endpoint said last.
#[derive(Clone, Debug, PartialEq)]
enum Ports {
    Loading,
    Known(Vec<PortLink>),
    /// The server has no ports endpoint (404/405): say so once and stop asking.
    Unavailable,
}

/// Props of [`NodePorts`].
#[derive(Properties, PartialEq)]
pub struct NodePortsProps {
    /// Session id.
    pub session_id: AttrValue,
    /// Bearer token of the ports API.
    pub token: AttrValue,
    /// The node whose ports to show.
    pub node: AttrValue,
}

/// "Ports: 8080 ↗ 5000 ↗", or a note when there are none.
#[component]
pub fn NodePorts(props: &NodePortsProps) -> Html {
    let s = use_lang().strings();
    let ports = use_state(|| Ports::Loading);
    {
        let ports = ports.clone();
        let deps = (
            props.session_id.clone(),
            props.token.clone(),
            props.node.clone(),
        );
        use_effect_with(deps, move |(id, token, node)| {
            ports.set(Ports::Loading);
            let poll = start_polling(id.to_string(), token.to_string(), node.to_string(), ports);
            move || drop(poll)
        });
    }
    let links = match &*ports {
        Ports::Loading => html! {},
        Ports::Unavailable => html! { <span class="muted">{ s.ports_unavailable }</span> },
        Ports::Known(list) if list.is_empty() => {
            html! { <span class="muted">{ s.no_ports }</span> }
        }
        Ports::Known(list) => list
            .iter()
            .filter(|p| !p.url.is_empty())
            .map(|p| {
                let href = p.url.clone();
                html! {
                    <a class="port" {href} target="_blank" rel="noopener noreferrer" data-port={p.port.to_string()}>
                        { format!("{} ↗", p.port) }
                    </a>
                }
            })
            .collect(),
    };
    html! {
        <span class="ports"><span class="ports-label">{ s.ports }</span>{ links }</span>
    }
}

fn start_polling(
    id: String,
    token: String,
    node: String,
    ports: UseStateHandle<Ports>,
) -> Interval {
    let stop = Rc::new(Cell::new(false));
    let in_flight = Rc::new(Cell::new(false));
    let tick = move || {
        if stop.get() || page_hidden() || in_flight.replace(true) {
            return;
        }
        let (id, token, node) = (id.clone(), token.clone(), node.clone());
        let (stop, in_flight, ports) = (stop.clone(), in_flight.clone(), ports.clone());
        spawn_local(async move {
            match node_api::list_ports(&id, &token, &node).await {
                Ok(mut list) => {
                    list.sort_unstable_by_key(|p| p.port);
                    list.dedup_by_key(|p| p.port);
                    ports.set(Ports::Known(list));
                }
                Err(err) if err.is_missing_endpoint() => {
                    stop.set(true);
                    ports.set(Ports::Unavailable);
                }
                Err(err) => log::debug!("ports of {node}: {err}"),
            }
            in_flight.set(false);
        });
    };
    tick();
    Interval::new(POLL_MS, tick)
}
