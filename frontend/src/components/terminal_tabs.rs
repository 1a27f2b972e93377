//! One terminal per node behind a tab bar, and inside a node's pane its shells (the "+" opens
//! another: `term=2`, `3`…; after a reload the ones still running are listed again). Every
//! terminal stays mounted and connected; inactive ones are only hidden. Above them, the
//! clipboard hint (once per browser), font size and light/dark theme.
//!
//! A node whose init died is marked stopped on its tab and in its terminal area, which offers
//! **Reset node**: the server replaces it with a fresh node of the same name and address, and the
//! terminal then connects to that one. Running nodes can be reset from their tab (after a confirm).

use std::collections::HashMap;
use std::rc::Rc;

use protocol::{NodeInfo, NodeStatus};
use wasm_bindgen::JsCast;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::error_banner::ErrorBanner;
use crate::components::terminal::{TerminalRegistry, TerminalView};
use crate::error::Error;
use crate::hooks::use_lang;
use crate::i18n::Strings;
use crate::services::node_api;
use crate::services::term_prefs::{take_clipboard_hint, TermPrefs};

/// Shells a node may have (the server's `MAX_TERMS_PER_NODE`).
pub const MAX_SHELLS: u8 = 5;

/// The shells to show: those known here and those the server runs, ascending, always with 1.
pub fn merge_terms(known: &[u8], running: &[u8]) -> Vec<u8> {
    let mut all: Vec<u8> = known
        .iter()
        .chain(running)
        .copied()
        .chain([1])
        .filter(|t| (1..=MAX_SHELLS).contains(t))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The number the "+" opens: the smallest free one, if any is left.
pub fn next_term(terms: &[u8]) -> Option<u8> {
    (1..=MAX_SHELLS).find(|t| !terms.contains(t))
}

/// A node as the tab bar shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeTab {
    /// `node1` … `node5`.
    pub name: AttrValue,
    /// Its address on the session's bridge (may be empty).
    pub ip: AttrValue,
    /// Where the node is in its lifecycle, as last read from the server.
    pub status: NodeStatus,
}

impl NodeTab {
    /// The tab of `node`.
    pub fn of(node: &NodeInfo) -> NodeTab {
        NodeTab {
            name: node.name.clone().into(),
            ip: node.ip.clone().into(),
            status: node.status,
        }
    }

    /// Its init ended: only a reset or removal helps.
    pub fn stopped(&self) -> bool {
        self.status == NodeStatus::Stopped
    }
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
    /// A node was reset: the fresh node, to replace the old one in the page's list.
    pub on_reset: Callback<NodeInfo>,
    /// Extra controls at the end of the tab bar (e.g. "+ Add node").
    #[prop_or_default]
    pub children: Html,
}

/// How many times each node was reset on this page; a terminal reconnects when its count moves.
#[derive(Default, PartialEq)]
struct Resets(HashMap<String, u32>);

impl Reducible for Resets {
    type Action = String;

    fn reduce(self: Rc<Self>, node: String) -> Rc<Self> {
        let mut map = self.0.clone();
        *map.entry(node).or_default() += 1;
        Rc::new(Resets(map))
    }
}

impl Resets {
    fn of(&self, node: &str) -> u32 {
        self.0.get(node).copied().unwrap_or(0)
    }
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
    let lang = use_lang();
    let (s, ux) = (lang.strings(), lang.lang.ux());
    let stack = use_node_ref();
    use_leave_key(stack.clone(), props.active.clone());
    let resets = use_reducer(Resets::default);
    let resetting = use_state(|| None::<AttrValue>);
    let error = use_state(|| None::<Error>);
    let reset = {
        let (id, token, on_reset) = (
            props.session_id.clone(),
            props.token.clone(),
            props.on_reset.clone(),
        );
        let (resets, resetting, error) = (resets.dispatcher(), resetting.clone(), error.clone());
        Callback::from(move |name: AttrValue| {
            if resetting.is_some() {
                return;
            }
            resetting.set(Some(name.clone()));
            error.set(None);
            let (id, token, on_reset) = (id.clone(), token.clone(), on_reset.clone());
            let (resets, resetting, error) = (resets.clone(), resetting.clone(), error.clone());
            spawn_local(async move {
                match node_api::reset_node(&id, &token, &name).await {
                    Ok(node) => {
                        on_reset.emit(node);
                        resets.dispatch(name.to_string());
                    }
                    Err(err) => error.set(Some(err)),
                }
                resetting.set(None);
            });
        })
    };
    let busy = resetting.is_some();
    let tabs = props
        .nodes
        .iter()
        .map(|n| tab(props, n, s));
    let slots = props.nodes.iter().map(|n| {
        let active = n.name == props.active;
        let on_reset = {
            let (reset, name) = (reset.clone(), n.name.clone());
            Callback::from(move |()| reset.emit(name.clone()))
        };
        let on_remove = props
            .on_remove
            .clone()
            .filter(|_| props.nodes.len() > 1)
            .map(|cb| {
                let name = n.name.clone();
                Callback::from(move |()| cb.emit(name.clone()))
            });
        html! {
            <div key={n.name.to_string()} data-node={n.name.clone()} role="tabpanel"
                 id={format!("panel-{}", n.name)} aria-labelledby={format!("tab-{}", n.name)}
                 class={classes!("term-slot", if active { "active" } else { "inactive" })}>
                <NodeShells session_id={props.session_id.clone()} token={props.token.clone()}
                            node={n.name.clone()} registry={props.registry.clone()}
                            epoch={resets.of(&n.name)} stopped={n.stopped()} {active}
                            resetting={resetting.as_ref() == Some(&n.name)}
                            {on_reset} {on_remove} />
            </div>
        }
    });
    let actions = props
        .nodes
        .iter()
        .find(|n| n.name == props.active)
        .map(|n| node_actions(props, n, (s, ux), &reset, busy));
    html! {
        <div class="terminals">
            <div class="node-bar">
                <div class="node-tabs" role="tablist" aria-label={s.nodes} onkeydown={arrow_keys(props)}>
                    { for tabs }
                </div>
                { for actions }
                { props.children.clone() }
            </div>
            <ErrorBanner error={(*error).clone()} />
            <TermTools />
            <div class="term-stack" ref={stack}>{ for slots }</div>
            <p class="term-hint" id="term-hint">{ ux.leave_terminal }</p>
        </div>
    }
}

/// Left/Right (and Home/End) move between the node tabs, as in a WAI-ARIA tab list.
fn arrow_keys(props: &TerminalTabsProps) -> Callback<KeyboardEvent> {
    let names: Vec<AttrValue> = props.nodes.iter().map(|n| n.name.clone()).collect();
    let (active, select) = (props.active.clone(), props.on_select.clone());
    Callback::from(move |ev: KeyboardEvent| {
        let Some(at) = names.iter().position(|n| *n == active) else { return };
        let to = match ev.key().as_str() {
            "ArrowRight" => (at + 1) % names.len(),
            "ArrowLeft" => (at + names.len() - 1) % names.len(),
            "Home" => 0,
            "End" => names.len() - 1,
            _ => return,
        };
        ev.prevent_default();
        select.emit(names[to].clone());
        focus_by_id(&format!("tab-{}", names[to]));
    })
}

fn focus_by_id(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// xterm.js keeps Tab for the shell, so a keyboard user leaves the terminal with Esc then Tab
/// (or Shift+Tab): the focus goes to the shown node's tab. Esc alone still reaches the shell
/// (vi needs it); only a Tab right after it is taken. Listens in the capture phase, before
/// xterm's own handler.
#[hook]
fn use_leave_key(stack: NodeRef, active: AttrValue) {
    use_effect_with((stack, active), |(stack, active)| {
        let armed = Rc::new(std::cell::Cell::new(false));
        let active = active.clone();
        let listener = stack.cast::<web_sys::Element>().map(|target| {
            let options = gloo_events::EventListenerOptions {
                phase: gloo_events::EventListenerPhase::Capture,
                passive: false,
            };
            gloo_events::EventListener::new_with_options(&target, "keydown", options, move |ev| {
                let Some(ev) = ev.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                match ev.key().as_str() {
                    "Escape" => armed.set(true),
                    "Tab" if armed.replace(false) => {
                        ev.prevent_default();
                        ev.stop_propagation();
                        focus_by_id(&format!("tab-{active}"));
                    }
                    "Shift" => {}
                    _ => armed.set(false),
                }
            })
        });
        move || drop(listener)
    });
}

/// The clipboard hint (once per browser), font size and theme.
#[component]
fn TermTools() -> Html {
    let s = use_lang().strings();
    let prefs = use_state(|| {
        let p = TermPrefs::load();
        p.mark_document();
        p
    });
    let hint = use_state(take_clipboard_hint);
    let set = {
        let prefs = prefs.clone();
        Callback::from(move |p: TermPrefs| {
            p.save();
            prefs.set(p);
        })
    };
    let smaller = {
        let (set, p) = (set.clone(), *prefs);
        Callback::from(move |_: MouseEvent| set.emit(p.step_font(-1)))
    };
    let bigger = {
        let (set, p) = (set.clone(), *prefs);
        Callback::from(move |_: MouseEvent| set.emit(p.step_font(1)))
    };
    let theme = {
        let (set, p) = (set.clone(), *prefs);
        Callback::from(move |_: MouseEvent| {
            set.emit(TermPrefs {
                light: !p.light,
                ..p
            })
        })
    };
    let close_hint = {
        let hint = hint.clone();
        Callback::from(move |_: MouseEvent| hint.set(false))
    };
    let theme_label = if prefs.light {
        s.dark_theme
    } else {
        s.light_theme
    };
    html! {
        <div class="term-tools">
            if *hint {
                <p class="clip-hint" role="note">
                    { s.clipboard_hint }
                    <button type="button" class="clip-dismiss" aria-label={s.dismiss} onclick={close_hint}>{ "×" }</button>
                </p>
            }
            <span class="term-prefs">
                <button type="button" class="font-smaller" title={s.font_smaller} aria-label={s.font_smaller}
                        onclick={smaller}>{ "A−" }</button>
                <span class="font-size" aria-live="polite">{ format!("{}px", prefs.font_size) }</span>
                <button type="button" class="font-bigger" title={s.font_bigger} aria-label={s.font_bigger}
                        onclick={bigger}>{ "A+" }</button>
                <button type="button" class="theme-toggle" title={theme_label} aria-label={theme_label}
                        aria-pressed={prefs.light.to_string()} onclick={theme}>
                    { if prefs.light { "☾" } else { "☀" } }
                </button>
            </span>
        </div>
    }
}

/// Props of [`NodeShells`].
#[derive(Properties, PartialEq)]
struct NodeShellsProps {
    session_id: AttrValue,
    token: AttrValue,
    node: AttrValue,
    registry: TerminalRegistry,
    epoch: u32,
    stopped: bool,
    active: bool,
    resetting: bool,
    on_reset: Callback<()>,
    on_remove: Option<Callback<()>>,
}

/// A node's shells: a small selector ("1 2 +") and one terminal per shell, the chosen one shown.
/// Run buttons type into shell 1.
#[component]
fn NodeShells(props: &NodeShellsProps) -> Html {
    let s = use_lang().strings();
    let terms = use_state(|| vec![1u8]);
    let selected = use_state(|| 1u8);
    {
        // The shells still running on the server (after a reload, or opened in another tab).
        let (id, token, node, terms) = (
            props.session_id.clone(),
            props.token.clone(),
            props.node.clone(),
            terms.clone(),
        );
        use_effect_with((node.clone(), props.epoch), move |_| {
            spawn_local(async move {
                if let Ok(running) = node_api::list_terminals(&id, &token, &node).await {
                    terms.set(merge_terms(&terms, &running));
                }
            });
        });
    }
    let add = next_term(&terms).map(|n| {
        let (terms, selected) = (terms.clone(), selected.clone());
        Callback::from(move |_: MouseEvent| {
            terms.set(merge_terms(&terms, &[n]));
            selected.set(n);
        })
    });
    let tabs = terms.iter().map(|&t| {
        let chosen = t == *selected;
        let select = {
            let selected = selected.clone();
            Callback::from(move |_: MouseEvent| selected.set(t))
        };
        html! {
            <button type="button" role="tab" class={classes!("shell-tab", chosen.then_some("active"))}
                    data-term={t.to_string()} aria-selected={chosen.to_string()}
                    aria-label={format!("{} {} {t}", props.node, s.shell)} onclick={select}>
                { t }
            </button>
        }
    });
    let views = terms.iter().map(|&t| {
        let shown = t == *selected;
        html! {
            <div key={t} class={classes!("shell-pane", if shown { "active" } else { "inactive" })}
                 data-term={t.to_string()}>
                <TerminalView session_id={props.session_id.clone()} token={props.token.clone()}
                              node={props.node.clone()} term={t}
                              registry={(t == 1).then(|| props.registry.clone())}
                              epoch={props.epoch} stopped={props.stopped} active={props.active && shown}
                              resetting={props.resetting}
                              on_reset={props.on_reset.clone()} on_remove={props.on_remove.clone()} />
            </div>
        }
    });
    html! {
        <div class="node-shells">
            <div class="shell-bar">
                // Only the shells are tabs; "+" sits beside the tab list, not in it.
                <div class="shell-tabs" role="tablist" aria-label={format!("{} {}", props.node, s.shell)}>
                    { for tabs }
                </div>
                if let Some(onclick) = add {
                    <button type="button" class="shell-add" title={s.new_shell} aria-label={s.new_shell}
                            {onclick}>{ "+" }</button>
                }
            </div>
            <div class="shell-stack">{ for views }</div>
        </div>
    }
}

fn tab(
    props: &TerminalTabsProps,
    node: &NodeTab,
    s: &'static Strings,
) -> Html {
    let active = node.name == props.active;
    let stopped = node.stopped();
    let select = {
        let (cb, name) = (props.on_select.clone(), node.name.clone());
        Callback::from(move |_: MouseEvent| cb.emit(name.clone()))
    };
    html! {
        <div key={node.name.to_string()} role="presentation"
             class={classes!("node-tab", active.then_some("active"), stopped.then_some("stopped"))}>
            <button type="button" role="tab" class="tab-select" data-node={node.name.clone()}
                    id={format!("tab-{}", node.name)} aria-controls={format!("panel-{}", node.name)}
                    aria-selected={active.to_string()} tabindex={if active { "0" } else { "-1" }} onclick={select}>
                <span class="tab-name">{ node.name.clone() }</span>
                if !node.ip.is_empty() {
                    <span class="tab-ip">{ node.ip.clone() }</span>
                }
                if stopped {
                    <span class="tab-badge">{ s.node_stopped }</span>
                }
            </button>
        </div>
    }
}

/// Reset and remove of the shown node, next to the tab list (not inside it: a tab list holds
/// only tabs). Removing asks first.
fn node_actions(
    props: &TerminalTabsProps,
    node: &NodeTab,
    (s, ux): (&'static Strings, &'static crate::i18n::Ux),
    reset: &Callback<AttrValue>,
    busy: bool,
) -> Html {
    let stopped = node.stopped();
    let remove_label = s.remove_node;
    let remove = props.on_remove.clone().filter(|_| props.nodes.len() > 1).map(|cb| {
        let name = node.name.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            if confirm(&ux.confirm_remove.replace("{node}", &name)) {
                cb.emit(name.clone());
            }
        });
        html! {
            <button type="button" class="tab-remove" data-node={node.name.clone()}
                    title={remove_label} aria-label={format!("{remove_label} {}", node.name)} {onclick}>
                { "×" }
            </button>
        }
    });
    let reset_running = {
        let (reset, name) = (reset.clone(), node.name.clone());
        Callback::from(move |_: MouseEvent| {
            // A stopped node has nothing left to lose; a running one asks first.
            if stopped || confirm(&s.confirm_reset.replace("{node}", &name)) {
                reset.emit(name.clone());
            }
        })
    };
    html! {
        <div class="node-actions" role="group" aria-label={node.name.clone()}>
            <button type="button" class="tab-reset" data-node={node.name.clone()} disabled={busy}
                    title={s.reset_node} aria-label={format!("{} {}", s.reset_node, node.name)}
                    onclick={reset_running}>
                { "↻" }
            </button>
            { for remove }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_are_merged_sorted_and_bounded() {
        assert_eq!(merge_terms(&[], &[]), vec![1]);
        assert_eq!(merge_terms(&[1], &[3, 2]), vec![1, 2, 3]);
        assert_eq!(merge_terms(&[1, 2], &[2, 9, 0]), vec![1, 2]);
    }

    #[test]
    fn plus_opens_the_smallest_free_number() {
        assert_eq!(next_term(&[1]), Some(2));
        assert_eq!(next_term(&[1, 3]), Some(2));
        assert_eq!(next_term(&[1, 2, 3, 4, 5]), None);
    }
}

fn confirm(question: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false)
}
