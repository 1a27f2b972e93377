//! The playground (`/s/{id}`): header with countdown and controls, a tab and a terminal per
//! node, adding and removing nodes, file upload and published ports.

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::countdown::Countdown;
use crate::components::error_banner::ErrorBanner;
use crate::components::files::FileBrowser;
use crate::components::node_stats::NodeStatsLine;
use crate::components::lang_switch::LangSwitch;
use crate::components::ports::SessionPorts;
use crate::components::terminal::TerminalRegistry;
use crate::components::ssh::SshButton;
use crate::components::terminal_tabs::{NodeTab, TerminalTabs};
use crate::components::upload::{
    dropped_files, upload_all, UploadButton, UploadNote, UploadStatus,
};
use protocol::NodeInfo;
use yew_router::prelude::Link;

use crate::error::Error;
use crate::hooks::{use_lang, use_nodes, use_start_session, NodesHandle, MAX_NODES};
use crate::services::page::{confirm, use_title};
use crate::routes::Route;
use crate::services::{api, play_api};
use crate::services::storage::{self, StoredSession};

/// Props of [`SessionPage`].
#[derive(Properties, PartialEq)]
pub struct SessionPageProps {
    /// Session id from the URL.
    pub id: AttrValue,
}

/// `/s/{id}`
#[component]
pub fn SessionPage(props: &SessionPageProps) -> Html {
    let lang = use_lang();
    let (s, ux) = (lang.strings(), lang.lang.ux());
    let stored = use_state(|| storage::load_session(&props.id));
    let ended = use_state(|| false);
    let error = use_state(|| None::<Error>);
    let fresh_nodes = use_state(|| None::<Vec<NodeInfo>>);
    use_refresh(&stored, &ended, &fresh_nodes);
    use_ended_elsewhere(&props.id, &ended);
    let Some(session) = (*stored).clone() else {
        let missing = Error::MissingToken(props.id.to_string());
        return html! { <div class="page session"><Ended error={Some(missing)} /></div> };
    };
    let on_expire = {
        let ended = ended.clone();
        Callback::from(move |()| ended.set(true))
    };
    let on_end = end_callback(&session, &ended, &error, ux.confirm_end);
    let on_extend = extend_callback(&stored, &error);
    let on_gone = {
        let (ended, id) = (ended.clone(), session.id.clone());
        Callback::from(move |()| {
            storage::forget_session(&id);
            ended.set(true);
        })
    };
    html! {
        <div class="page session">
            <header class="topbar">
                <Link<Route> to={Route::Home} classes="brand">{ "muelle" }</Link<Route>>
                <Link<Route> to={Route::Catalog} classes="nav">{ s.lessons }</Link<Route>>
                <h1 class="session-title">{ ux.playground }</h1>
                <span class="spacer"></span>
                if !*ended {
                    <Countdown deadline_ms={session.deadline_ms} {on_expire} />
                    <button type="button" class="extend" onclick={on_extend}>{ s.extend }</button>
                    <button type="button" class="end" onclick={on_end}>{ s.end_session }</button>
                }
                <LangSwitch />
            </header>
            <main class="session-main">
                <ErrorBanner error={(*error).clone()} />
                <crate::components::class_messages::ClassMessages session_id={session.id.clone()} token={session.token.clone()} />
                if *ended {
                    <Ended error={None::<Error>} />
                } else {
                    <Playground session={session.clone()} fresh_nodes={(*fresh_nodes).clone()} {on_gone} />
                }
            </main>
        </div>
    }
}

/// Refreshes deadline and nodes from the server once; a gone session ends the page.
#[hook]
fn use_refresh(
    stored: &UseStateHandle<Option<StoredSession>>,
    ended: &UseStateHandle<bool>,
    fresh_nodes: &UseStateHandle<Option<Vec<NodeInfo>>>,
) {
    let (stored, ended, fresh_nodes) = (stored.clone(), ended.clone(), fresh_nodes.clone());
    use_effect_with((), move |()| {
        if let Some(mut session) = (*stored).clone() {
            spawn_local(async move {
                match api::get_session(&session.id, &session.token).await {
                    Ok(info) => {
                        session.refresh(&info, js_sys::Date::now());
                        storage::save_session(&session);
                        stored.set(Some(session));
                        fresh_nodes.set(Some(info.nodes));
                    }
                    Err(err) if err.session_is_gone() => {
                        storage::forget_session(&session.id);
                        ended.set(true);
                    }
                    Err(err) => log::warn!("refresh session: {err}"),
                }
            });
        }
    });
}

/// Ends the page as soon as another tab of this device forgets the session (its End button,
/// or its poll finding the session gone): the `storage` event of its key.
#[hook]
fn use_ended_elsewhere(id: &AttrValue, ended: &UseStateHandle<bool>) {
    let (key, ended) = (StoredSession::key(id), ended.clone());
    use_effect_with(key, move |key| {
        let key = key.clone();
        let listener = web_sys::window().map(|w| {
            gloo_events::EventListener::new(&w, "storage", move |ev| {
                use wasm_bindgen::JsCast;
                let Some(ev) = ev.dyn_ref::<web_sys::StorageEvent>() else { return };
                if ev.key().as_deref() == Some(key.as_str()) && ev.new_value().is_none() {
                    ended.set(true);
                }
            })
        });
        move || drop(listener)
    });
}

/// `POST …/extend`, then the countdown follows the new end.
fn extend_callback(
    stored: &UseStateHandle<Option<StoredSession>>,
    error: &UseStateHandle<Option<Error>>,
) -> Callback<MouseEvent> {
    let (stored, error) = (stored.clone(), error.clone());
    Callback::from(move |_| {
        let Some(mut session) = (*stored).clone() else { return };
        let (stored, error) = (stored.clone(), error.clone());
        spawn_local(async move {
            match play_api::extend(&session.id, &session.token).await {
                Ok(info) => {
                    session.refresh(&info, js_sys::Date::now());
                    storage::save_session(&session);
                    stored.set(Some(session));
                    error.set(None);
                }
                Err(err) => error.set(Some(err)),
            }
        });
    })
}

/// Props of [`Playground`].
#[derive(Properties, PartialEq)]
struct PlaygroundProps {
    session: StoredSession,
    /// Called when the node poll finds the session gone.
    on_gone: Callback<()>,
    /// The node list from the server, once it answered.
    fresh_nodes: Option<Vec<NodeInfo>>,
}

/// Node tabs, their terminals, "+ Add node", ports and upload; files dropped on the terminals
/// go to the visible node.
#[component]
fn Playground(props: &PlaygroundProps) -> Html {
    let lang = use_lang();
    let (s, ux) = (lang.strings(), lang.lang.ux());
    let nodes = use_nodes(&props.session, props.on_gone.clone());
    let files_open = use_state(|| false);
    use_title(if nodes.active.is_empty() { ux.playground.to_string() } else { nodes.active.to_string() });
    {
        let set = nodes.set_nodes.clone();
        use_effect_with(props.fresh_nodes.clone(), move |fresh| {
            if let Some(list) = fresh.clone().filter(|l| !l.is_empty()) {
                set.emit(list);
            }
        });
    }
    let registry = use_memo((), |()| TerminalRegistry::default());
    let upload = use_state(|| None::<UploadStatus>);
    let dragging = use_state(|| false);
    let (id, token) = (props.session.id.clone(), props.session.token.clone());
    let on_files = {
        let (id, token, node, upload) = (
            id.clone(),
            token.clone(),
            nodes.active.to_string(),
            upload.clone(),
        );
        Callback::from(move |files: Vec<web_sys::File>| {
            if !files.is_empty() {
                upload_all(
                    id.clone(),
                    token.clone(),
                    node.clone(),
                    files,
                    upload.clone(),
                );
            }
        })
    };
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |ev: DragEvent| {
            ev.prevent_default();
            dragging.set(true);
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let (dragging, on_files) = (dragging.clone(), on_files.clone());
        Callback::from(move |ev: DragEvent| {
            ev.prevent_default();
            dragging.set(false);
            on_files.emit(dropped_files(&ev));
        })
    };
    let tabs: Vec<NodeTab> = nodes.nodes.iter().map(NodeTab::of).collect();
    html! {
        <div class={classes!("playground", dragging.then_some("dragging"))} {ondragover} {ondragleave} {ondrop}>
            <ErrorBanner error={nodes.error.clone()} />
            <TerminalTabs session_id={id.clone()} token={token.clone()} nodes={tabs} active={nodes.active.clone()}
                          on_select={nodes.select.clone()} registry={(*registry).clone()}
                          on_remove={Some(nodes.remove.clone())} on_reset={nodes.update.clone()}>
                { add_button(&nodes, s.add_node, ux.max_nodes) }
                <span class="spacer"></span>
                <SessionPorts session_id={id.clone()} token={token.clone()} />
                if !nodes.active.is_empty() {
                    <NodeStatsLine session_id={id.clone()} token={token.clone()} node={nodes.active.clone()} />
                }
                <button type="button" class="files-toggle" aria-pressed={files_open.to_string()} disabled={nodes.active.is_empty()}
                        onclick={{ let f = files_open.clone(); Callback::from(move |_: MouseEvent| {
                            if !*f || crate::components::files::may_close(lang.lang.editor().discard_changes) { f.set(!*f) }
                        }) }}>{ s.files }</button>
                <UploadButton {on_files} disabled={nodes.active.is_empty()} />
                if !nodes.active.is_empty() {
                    <SshButton session_id={id.clone()} token={token.clone()} node={nodes.active.clone()} />
                }
            </TerminalTabs>
            if *files_open && !nodes.active.is_empty() {
                <FileBrowser session_id={id.clone()} token={token.clone()} node={nodes.active.clone()}
                             on_close={{ let f = files_open.clone(); Callback::from(move |()| f.set(false)) }} />
            }
            <UploadNote status={(*upload).clone()} />
            if *dragging {
                <div class="drop-overlay">{ format!("{} {}", s.drop_here, nodes.active) }</div>
            }
        </div>
    }
}

/// "+ Add node"; at the limit it is disabled and says why (title, and a note read with it).
fn add_button(nodes: &NodesHandle, label: &'static str, full: &'static str) -> Html {
    let add = nodes.add.clone();
    let onclick = Callback::from(move |_: MouseEvent| add.emit(()));
    let at_limit = nodes.nodes.len() >= MAX_NODES;
    html! {
        <>
            <button type="button" class="add-node" disabled={!nodes.can_add()} {onclick}
                    title={at_limit.then_some(full)} aria-describedby={at_limit.then_some("add-node-why")}>{ label }</button>
            if at_limit {
                <span class="add-node-why muted" id="add-node-why">{ full }</span>
            }
        </>
    }
}

/// `DELETE` the session, then show the ended panel.
fn end_callback(
    session: &StoredSession,
    ended: &UseStateHandle<bool>,
    error: &UseStateHandle<Option<Error>>,
    question: &'static str,
) -> Callback<MouseEvent> {
    let (id, token) = (session.id.clone(), session.token.clone());
    let (ended, error) = (ended.clone(), error.clone());
    Callback::from(move |_| {
        if !confirm(question) {
            return;
        }
        let (id, token, ended, error) = (id.clone(), token.clone(), ended.clone(), error.clone());
        spawn_local(async move {
            match api::end_session(&id, &token).await {
                Err(err) if !err.session_is_gone() => error.set(Some(err)),
                _ => {
                    storage::forget_session(&id);
                    error.set(None);
                    ended.set(true);
                }
            }
        });
    })
}

/// Props of [`Ended`].
#[derive(Properties, PartialEq)]
struct EndedProps {
    /// Why there is no session, when it is not simply over.
    error: Option<Error>,
}

/// "Session ended" with a button for a new one.
#[component]
fn Ended(props: &EndedProps) -> Html {
    let s = use_lang().strings();
    let start = use_start_session();
    let onclick = {
        let start = start.start.clone();
        Callback::from(move |_: MouseEvent| start.emit(()))
    };
    html! {
        <section class="ended">
            if props.error.is_some() {
                <ErrorBanner error={props.error.clone()} />
            } else {
                <h2>{ s.session_ended }</h2>
            }
            <button type="button" class="start" {onclick} disabled={start.busy}>
                { if start.busy { s.starting } else { s.start_new } }
            </button>
            <ErrorBanner error={start.error.clone()} />
        </section>
    }
}
