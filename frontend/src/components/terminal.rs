//! A node's terminal: xterm.js filling the panel, a status line and a reconnect button; over it,
//! the notice of a stopped node with its Reset button.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::hooks::use_lang;
use crate::services::terminal_proto::socket_url;
use crate::services::terminal_socket::{Notice, TerminalSender, TerminalSession};
use crate::services::terminal_state::{Input, Phase};

impl Reducible for Phase {
    type Action = Input;

    fn reduce(self: Rc<Self>, input: Input) -> Rc<Self> {
        Rc::new(self.next(input))
    }
}

/// The live terminals of a page by node name, so Run buttons can type into them.
#[derive(Clone, Default)]
pub struct TerminalRegistry(Rc<RefCell<HashMap<String, TerminalSender>>>);

impl PartialEq for TerminalRegistry {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl TerminalRegistry {
    /// The terminal of `node`, if it is mounted.
    pub fn get(&self, node: &str) -> Option<TerminalSender> {
        self.0.borrow().get(node).cloned()
    }

    fn insert(&self, node: &str, sender: TerminalSender) {
        self.0.borrow_mut().insert(node.to_string(), sender);
    }

    fn remove(&self, node: &str) {
        self.0.borrow_mut().remove(node);
    }
}

/// Props of [`TerminalView`].
#[derive(Properties, PartialEq)]
pub struct TerminalViewProps {
    /// Session id.
    pub session_id: AttrValue,
    /// Bearer token of the session.
    pub token: AttrValue,
    /// Node whose shell to attach, e.g. `node1`.
    pub node: AttrValue,
    /// Which shell of the node (1 is the first; the server keeps each between sockets).
    #[prop_or(1)]
    pub term: u8,
    /// Where to register this terminal for Run buttons, if anywhere.
    #[prop_or_default]
    pub registry: Option<TerminalRegistry>,
    /// Moves when the node was replaced by a fresh one: the terminal connects anew.
    #[prop_or_default]
    pub epoch: u32,
    /// The server lists the node as stopped (its init ended).
    #[prop_or_default]
    pub stopped: bool,
    /// This terminal is the visible one (the stopped notice takes the focus only then).
    #[prop_or(true)]
    pub active: bool,
    /// A reset of this node is under way.
    #[prop_or_default]
    pub resetting: bool,
    /// Resets the node (the stopped notice's button).
    #[prop_or_default]
    pub on_reset: Option<Callback<()>>,
    /// Removes the node (offered by the stopped notice when set).
    #[prop_or_default]
    pub on_remove: Option<Callback<()>>,
}

/// The live terminal of one node.
#[component]
pub fn TerminalView(props: &TerminalViewProps) -> Html {
    let s = use_lang().strings();
    let phase = use_reducer(|| Phase::Connecting);
    let clip = use_state(|| None::<Notice>);
    let container = use_node_ref();
    let session = use_mut_ref(|| None::<TerminalSession>);
    {
        let (container, session, dispatcher, clip_setter) = (
            container.clone(),
            session.clone(),
            phase.dispatcher(),
            clip.setter(),
        );
        let deps = (
            props.session_id.clone(),
            props.token.clone(),
            props.node.clone(),
            props.registry.clone(),
            props.epoch,
            props.term,
        );
        use_effect_with(deps, move |(id, token, node, registry, _epoch, term)| {
            if let (Some(el), Some(url)) = (
                container.cast::<web_sys::HtmlElement>(),
                page_url(id, node, token),
            ) {
                dispatcher.dispatch(Input::Reconnect);
                let notify = Callback::from(move |input| dispatcher.dispatch(input));
                let on_notice = Callback::from(move |n| clip_setter.set(Some(n)));
                let live = TerminalSession::start(&el, url, *term, notify, on_notice);
                if let Some(r) = registry {
                    r.insert(node, live.sender());
                }
                *session.borrow_mut() = Some(live);
            }
            let (node, registry) = (node.clone(), registry.clone());
            move || {
                if let Some(r) = registry {
                    r.remove(&node);
                }
                drop(session.borrow_mut().take())
            }
        });
    }
    let reconnect = {
        let (session, phase) = (session.clone(), phase.clone());
        Callback::from(move |_: MouseEvent| {
            phase.dispatch(Input::Reconnect);
            if let Some(live) = &*session.borrow() {
                live.reconnect();
            }
        })
    };
    // The server's list or the socket's NODE_STOPPED, whichever comes first.
    let stopped = props.stopped || phase.node_stopped();
    let reset_button = use_node_ref();
    {
        let button = reset_button.clone();
        use_effect_with(stopped && props.active, move |&focus| {
            // After this render's effects (a tab switch focuses the terminal).
            let later = focus.then(|| {
                gloo_timers::callback::Timeout::new(0, move || {
                    if let Some(b) = button.cast::<web_sys::HtmlElement>() {
                        let _ = b.focus();
                    }
                })
            });
            move || drop(later)
        });
    }
    let (phase_css, label) = if stopped {
        ("stopped", s.node_stopped.to_string())
    } else {
        (phase.css(), phase.label(s))
    };
    let notice = (stopped || props.resetting).then(|| {
        let text = if stopped {
            s.node_stopped_explain.replace("{node}", &props.node)
        } else {
            s.resetting.to_string()
        };
        let reset = props.on_reset.clone().map(|cb| {
            let onclick = Callback::from(move |_: MouseEvent| cb.emit(()));
            html! {
                <button type="button" class="reset-node" ref={reset_button.clone()}
                        disabled={props.resetting} {onclick}>
                    { if props.resetting { s.resetting } else { s.reset_node } }
                </button>
            }
        });
        let remove = props.on_remove.clone().filter(|_| stopped).map(|cb| {
            let onclick = Callback::from(move |_: MouseEvent| cb.emit(()));
            html! {
                <button type="button" class="remove-node" disabled={props.resetting} {onclick}>
                    { s.remove_node }
                </button>
            }
        });
        html! {
            <div class="node-notice" role="alert" data-node={props.node.clone()}>
                <p>{ text }</p>
                if stopped {
                    <div class="notice-actions">{ for reset }{ for remove }</div>
                }
            </div>
        }
    });
    {
        // "Copied" is a moment's feedback; a blocked clipboard stays until dismissed.
        let clear = clip.setter();
        use_effect_with(*clip, move |n| {
            let later = (*n == Some(Notice::Copied))
                .then(|| gloo_timers::callback::Timeout::new(2_000, move || clear.set(None)));
            move || drop(later)
        });
    }
    let clip_note = clip.map(|n| {
        let (text, css) = match n {
            Notice::ClipboardBlocked => (s.clipboard_blocked, "clip-note blocked"),
            Notice::Copied => (s.copied_selection, "clip-note"),
        };
        let dismiss = {
            let clip = clip.clone();
            Callback::from(move |_: MouseEvent| clip.set(None))
        };
        html! {
            <span class={css} role="status">
                { text }
                <button type="button" class="clip-dismiss" aria-label={s.dismiss} onclick={dismiss}>{ "×" }</button>
            </span>
        }
    });
    html! {
        <section class={classes!("terminal-panel", stopped.then_some("stopped"))} data-term={props.term.to_string()}>
            <div class="terminal-status">
                <span class={classes!("dot", phase_css)}></span>
                <span class="node-name">{ props.node.clone() }</span>
                if props.term > 1 {
                    <span class="term-no">{ format!("· {} {}", s.shell, props.term) }</span>
                }
                <span class="phase" data-phase={phase_css}>{ label }</span>
                { for clip_note }
                if phase.can_reconnect() && !stopped && !props.resetting {
                    <button type="button" class="reconnect" onclick={reconnect}>{ s.reconnect }</button>
                }
            </div>
            { for notice }
            <div class="terminal" ref={container}></div>
        </section>
    }
}

/// The socket URL for this page's origin.
fn page_url(id: &str, node: &str, token: &str) -> Option<String> {
    let location = web_sys::window()?.location();
    let (protocol, host) = (location.protocol().ok()?, location.host().ok()?);
    Some(socket_url(&protocol, &host, id, node, token))
}
