//! The session page: header with node, countdown and controls, and node1's terminal.

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::countdown::Countdown;
use crate::components::error_banner::ErrorBanner;
use crate::components::lang_switch::LangSwitch;
use crate::components::terminal::TerminalView;
use yew_router::prelude::Link;

use crate::app::Route;
use crate::error::Error;
use crate::hooks::{use_lang, use_start_session};
use crate::services::api;
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
    let s = use_lang().strings();
    let stored = use_state(|| storage::load_session(&props.id));
    let ended = use_state(|| false);
    let error = use_state(|| None::<Error>);
    use_refresh(&stored, &ended);
    let Some(session) = (*stored).clone() else {
        let missing = Error::MissingToken(props.id.to_string());
        return html! { <div class="page session"><Ended error={Some(missing)} /></div> };
    };
    let on_expire = {
        let ended = ended.clone();
        Callback::from(move |()| ended.set(true))
    };
    let on_end = end_callback(&session, &ended, &error);
    html! {
        <div class="page session">
            <header class="topbar">
                <Link<Route> to={Route::Home} classes="brand">{ "muelle" }</Link<Route>>
                <span class="pill">{ session.first_node().to_string() }</span>
                <span class="spacer"></span>
                if !*ended {
                    <Countdown deadline_ms={session.deadline_ms} {on_expire} />
                    <button type="button" class="end" onclick={on_end}>{ s.end_session }</button>
                }
                <LangSwitch />
            </header>
            <ErrorBanner error={(*error).clone()} />
            if *ended {
                <Ended error={None::<Error>} />
            } else {
                <TerminalView session_id={session.id.clone()} token={session.token.clone()}
                              node={session.first_node().to_string()} />
            }
        </div>
    }
}

/// Refreshes deadline and nodes from the server once; a gone session ends the page.
#[hook]
fn use_refresh(stored: &UseStateHandle<Option<StoredSession>>, ended: &UseStateHandle<bool>) {
    let (stored, ended) = (stored.clone(), ended.clone());
    use_effect_with((), move |()| {
        if let Some(mut session) = (*stored).clone() {
            spawn_local(async move {
                match api::get_session(&session.id, &session.token).await {
                    Ok(info) => {
                        session.refresh(&info, js_sys::Date::now());
                        storage::save_session(&session);
                        stored.set(Some(session));
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

/// `DELETE` the session, then show the ended panel.
fn end_callback(
    session: &StoredSession,
    ended: &UseStateHandle<bool>,
    error: &UseStateHandle<Option<Error>>,
) -> Callback<MouseEvent> {
    let (id, token) = (session.id.clone(), session.token.clone());
    let (ended, error) = (ended.clone(), error.clone());
    Callback::from(move |_| {
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
