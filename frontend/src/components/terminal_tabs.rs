//! One terminal per node behind a tab bar. Every terminal stays mounted and connected; inactive
//! ones are only hidden, so their shells keep running and their output keeps arriving.

use yew::prelude::*;

use crate::components::terminal::{TerminalRegistry, TerminalView};
use crate::hooks::use_lang;

/// A node as the tab bar shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeTab {
    /// `node1` … `node5`.
    pub name: AttrValue,
    /// Its address on the session's bridge (may be empty).
    pub ip: AttrValue,
}

/// Props of [`TerminalTabs`].
#[derive(Properties, PartialEq)]
pub struct TerminalTabsProps {
    /// Session id.
    pub session_id: AttrValue,
    /// Bearer token of the session.
    pub token: AttrValue,
    /// The nodes, in order.
    pub nodes: Vec<NodeTab>,
    /// Name of the visible node.
    pub active: AttrValue,
    /// A tab was clicked.
    pub on_select: Callback<AttrValue>,
    /// Terminals register here for Run buttons.
    pub registry: TerminalRegistry,
    /// Shows a remove button on each tab (when there is more than one node).
    #[prop_or_default]
    pub on_remove: Option<Callback<AttrValue>>,
    /// Extra controls at the end of the tab bar (e.g. "+ Add node").
    #[prop_or_default]
    pub children: Html,
}

/// The tab bar and the stacked terminals.
#[component]
pub fn TerminalTabs(props: &TerminalTabsProps) -> Html {
    {
        // A terminal that was hidden while the window changed size must refit when shown.
        let registry = props.registry.clone();
        use_effect_with(props.active.clone(), move |active| {
            if let Some(term) = registry.get(active) {
                term.refit();
            }
        });
    }
    let remove_label = use_lang().more().remove_node;
    let tabs = props.nodes.iter().map(|n| tab(props, n, remove_label));
    let slots = props.nodes.iter().map(|n| {
        let active = n.name == props.active;
        html! {
            <div key={n.name.to_string()} data-node={n.name.clone()}
                 class={classes!("term-slot", if active { "active" } else { "inactive" })}>
                <TerminalView session_id={props.session_id.clone()} token={props.token.clone()}
                              node={n.name.clone()} registry={props.registry.clone()} />
            </div>
        }
    });
    html! {
        <div class="terminals">
            <div class="node-tabs" role="tablist">
                { for tabs }
                { props.children.clone() }
            </div>
            <div class="term-stack">{ for slots }</div>
        </div>
    }
}

fn tab(props: &TerminalTabsProps, node: &NodeTab, remove_label: &'static str) -> Html {
    let active = node.name == props.active;
    let select = {
        let (cb, name) = (props.on_select.clone(), node.name.clone());
        Callback::from(move |_: MouseEvent| cb.emit(name.clone()))
    };
    let remove = props.on_remove.clone().filter(|_| props.nodes.len() > 1).map(|cb| {
        let name = node.name.clone();
        let onclick = Callback::from(move |_: MouseEvent| cb.emit(name.clone()));
        html! {
            <button type="button" class="tab-remove" data-node={node.name.clone()}
                    title={remove_label} aria-label={format!("{remove_label} {}", node.name)} {onclick}>
                { "×" }
            </button>
        }
    });
    html! {
        <div key={node.name.to_string()} class={classes!("node-tab", active.then_some("active"))}>
            <button type="button" role="tab" class="tab-select" data-node={node.name.clone()}
                    aria-selected={active.to_string()} onclick={select}>
                <span class="tab-name">{ node.name.clone() }</span>
                if !node.ip.is_empty() {
                    <span class="tab-ip">{ node.ip.clone() }</span>
                }
            </button>
            { for remove }
        </div>
    }
}
