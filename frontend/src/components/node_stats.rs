//! The shown node's memory, CPU and disk use against its limits
//! (`GET …/nodes/{node}/stats`), re-read every few seconds while the page is visible.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use protocol::NodeStats;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::hooks::use_lang;
use crate::services::page::page_hidden;
use crate::services::play_api;

/// How often the stats are re-read.
const STATS_MS: u32 = 5_000;

/// Props of [`NodeStatsLine`].
#[derive(Properties, PartialEq)]
pub struct NodeStatsProps {
    /// Session id.
    pub session_id: AttrValue,
    /// Bearer token.
    pub token: AttrValue,
    /// The node shown.
    pub node: AttrValue,
}

/// `Memory 310/2048 MiB · CPU 12% · Disk 0.4/10 GiB`, each with a bar.
#[component]
pub fn NodeStatsLine(props: &NodeStatsProps) -> Html {
    let s = use_lang().strings();
    let stats = use_state(|| None::<NodeStats>);
    {
        let stats = stats.clone();
        let deps = (props.session_id.clone(), props.token.clone(), props.node.clone());
        use_effect_with(deps, move |(id, token, node)| {
            stats.set(None);
            let (id, token, node) = (id.to_string(), token.to_string(), node.to_string());
            let in_flight = Rc::new(Cell::new(false));
            let stop = Rc::new(Cell::new(false));
            let tick = move || {
                if stop.get() || page_hidden() || in_flight.replace(true) {
                    return;
                }
                let (id, token, node, stats) = (id.clone(), token.clone(), node.clone(), stats.clone());
                let (in_flight, stop) = (in_flight.clone(), stop.clone());
                spawn_local(async move {
                    match play_api::stats(&id, &token, &node).await {
                        Ok(st) => stats.set(Some(st)),
                        Err(err) if err.is_missing_endpoint() || err.session_is_gone() => stop.set(true),
                        Err(err) => log::debug!("stats of {node}: {err}"),
                    }
                    in_flight.set(false);
                });
            };
            tick();
            let poll = Interval::new(STATS_MS, tick);
            move || drop(poll)
        });
    }
    let Some(st) = (*stats).clone() else { return html! {} };
    html! {
        <span class="node-stats" data-node={props.node.clone()}>
            { meter(s.memory, st.memory_bytes, st.memory_limit_bytes, mib) }
            { meter("CPU", u64::from(st.cpu_milli), u64::from(st.cpu_limit_milli), cores) }
            { meter(s.disk, st.disk_bytes, st.disk_limit_bytes, gib) }
        </span>
    }
}

fn mib(b: u64) -> String {
    format!("{} MiB", b >> 20)
}

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30))
}

fn cores(milli: u64) -> String {
    format!("{:.2}", milli as f64 / 1000.0)
}

/// `Label used/limit` with a meter; no limit (0) shows the use alone.
fn meter(label: &'static str, used: u64, limit: u64, fmt: fn(u64) -> String) -> Html {
    let text = if limit == 0 { format!("{label} {}", fmt(used)) } else { format!("{label} {}/{}", fmt(used), fmt(limit)) };
    html! {
        <span class="stat" title={text.clone()}>
            <span class="stat-text">{ text }</span>
            if limit > 0 {
                <meter min="0" max={limit.to_string()} value={used.min(limit).to_string()} high={(limit * 9 / 10).to_string()}></meter>
            }
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(mib(300 << 20), "300 MiB");
        assert_eq!(gib(5 << 29), "2.5 GiB");
        assert_eq!(cores(1500), "1.50");
    }
}
