//! `/admin`: the operator's view (the admin token or an instructor token). Every live session
//! with its age, nodes, memory and CPU (the provider's usage), the client address and its class;
//! an End button per session; the drain switch (new sessions refused, live ones go on). The
//! credential comes once in the link's fragment (`#token=…`, as `muelle serve` prints it) or is
//! pasted in the form, and is kept in sessionStorage; an instructor signed in on this browser is
//! let in with the instructor's token.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use wasm_bindgen::JsValue;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::error_banner::ErrorBanner;
use crate::components::lang_switch::LangSwitch;
use crate::error::Error;
use crate::hooks::use_lang;
use crate::i18n::AdminStrings;
use crate::routes::Route;
use crate::services::admin_api::{self, human_age, human_bytes, AdminSession, AdminSessions};
use crate::services::class_api;
use crate::services::page::{confirm, page_hidden, use_title};

/// How often the list is read again.
const REFRESH_MS: u32 = 3_000;

/// The credential of the page's fragment (`#token=…`), kept for the tab and then removed from
/// the address bar.
fn credential_from_fragment() -> Option<String> {
    let location = web_sys::window()?.location();
    let hash = location.hash().ok()?;
    let token = hash.trim_start_matches('#').split('&').find_map(|kv| kv.strip_prefix("token="))?.to_string();
    if token.is_empty() {
        return None;
    }
    admin_api::save_credential(&token);
    if let Ok(history) = web_sys::window()?.history() {
        let path = location.pathname().unwrap_or_default();
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&path));
    }
    Some(token)
}

fn initial_credential() -> Option<String> {
    credential_from_fragment().or_else(admin_api::load_credential).or_else(class_api::load_instructor)
}

fn now_s() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// What the poll writes: the last list, each session's CPU share since the previous read, and
/// what a refused credential does to the page.
#[derive(Clone)]
struct Feed {
    data: UseStateHandle<Option<Result<AdminSessions, Error>>>,
    cpu_share: UseStateHandle<HashMap<String, f64>>,
    last_cpu: Rc<RefCell<HashMap<String, (u64, f64)>>>,
    token: UseStateHandle<Option<String>>,
    refused: UseStateHandle<bool>,
}

impl Feed {
    fn reload(&self, token: String) {
        let feed = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match admin_api::sessions(&token).await {
                Ok(list) => {
                    let now = now_s();
                    let mut last = feed.last_cpu.borrow_mut();
                    let mut share = HashMap::new();
                    for s in &list.sessions {
                        let Some(cpu) = s.cpu_usec() else { continue };
                        if let Some((before, at)) = last.get(&s.id) {
                            let dt = now - at;
                            if dt > 0.5 && cpu >= *before {
                                share.insert(s.id.clone(), (cpu - before) as f64 / 1e6 / dt * 100.0);
                            }
                        }
                        last.insert(s.id.clone(), (cpu, now));
                    }
                    last.retain(|id, _| list.sessions.iter().any(|s| &s.id == id));
                    drop(last);
                    feed.cpu_share.set(share);
                    feed.data.set(Some(Ok(list)));
                }
                Err(Error::Api { status: 401, .. }) => {
                    admin_api::forget_credential();
                    feed.refused.set(true);
                    feed.token.set(None);
                }
                Err(err) => feed.data.set(Some(Err(err))),
            }
        });
    }
}

fn topbar(a: &AdminStrings) -> Html {
    html! {
        <header class="topbar">
            <Link<Route> to={Route::Home} classes="brand">{ "muelle" }</Link<Route>>
            <Link<Route> to={Route::Admin} classes="nav">{ a.title }</Link<Route>>
            <span class="spacer"></span>
            <LangSwitch />
        </header>
    }
}

/// `/admin`
#[component]
pub fn AdminPage() -> Html {
    let lang = use_lang().lang;
    let a = lang.admin_strings();
    use_title(a.title.to_string());
    let token = use_state(initial_credential);
    let refused = use_state(|| false);
    let feed = Feed {
        data: use_state(|| None),
        cpu_share: use_state(HashMap::new),
        last_cpu: use_mut_ref(HashMap::new),
        token: token.clone(),
        refused: refused.clone(),
    };
    let error = use_state(|| None::<Error>);
    let busy = use_state(|| false);
    {
        let feed = feed.clone();
        use_effect_with((*token).clone(), move |token| {
            let interval = token.clone().map(|t| {
                feed.reload(t.clone());
                let feed = feed.clone();
                Interval::new(REFRESH_MS, move || {
                    if !page_hidden() {
                        feed.reload(t.clone());
                    }
                })
            });
            move || drop(interval)
        });
    }
    let Some(t) = (*token).clone() else {
        return html! {
            <div class="page instructor admin">
                { topbar(a) }
                <main class="instructor-main admin-main">
                    <h1>{ a.title }</h1>
                    <CredentialForm refused={*refused} token={token.clone()} />
                </main>
            </div>
        };
    };
    // An action, then the list again at once.
    let act: Rc<dyn Fn(Option<String>, Option<bool>)> = {
        let (feed, error, busy, t) = (feed.clone(), error.clone(), busy.clone(), t.clone());
        Rc::new(move |end: Option<String>, drain: Option<bool>| {
            let (feed, error, busy, t) = (feed.clone(), error.clone(), busy.clone(), t.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let done = match (end, drain) {
                    (Some(id), _) => admin_api::end_session(&t, &id).await,
                    (None, Some(on)) => admin_api::set_drain(&t, on).await,
                    (None, None) => Ok(()),
                };
                error.set(done.err());
                busy.set(false);
                feed.reload(t);
            });
        })
    };
    let body = match &*feed.data {
        None => html! { <p class="muted">{ "…" }</p> },
        Some(Err(err)) => html! { <ErrorBanner error={Some(err.clone())} /> },
        Some(Ok(list)) => {
            let on_drain = {
                let (act, on) = (act.clone(), !list.draining);
                Callback::from(move |_: MouseEvent| act(None, Some(on)))
            };
            let rows = list.sessions.iter().map(|s| session_row(a, s, feed.cpu_share.get(&s.id).copied(), &act, *busy));
            html! {
                <>
                    <section class={classes!("drain", list.draining.then_some("on"))} aria-labelledby="drain-state">
                        <p id="drain-state" class="drain-state" role="status">
                            <span class={classes!("pill", list.draining.then_some("draining"))}>
                                { if list.draining { a.draining } else { a.accepting } }
                            </span>
                        </p>
                        <button type="button" class={classes!("drain-toggle", list.draining.then_some("start"))}
                            aria-pressed={list.draining.to_string()} disabled={*busy} onclick={on_drain}>
                            { if list.draining { a.drain_off } else { a.drain_on } }
                        </button>
                        <p class="muted">{ a.drain_explain }</p>
                    </section>
                    <ErrorBanner error={(*error).clone()} />
                    <h2>{ format!("{} ({})", a.sessions, list.sessions.len()) }</h2>
                    if list.sessions.is_empty() {
                        <p class="muted no-sessions">{ a.no_sessions }</p>
                    } else {
                        <table class="progress-table admin-table">
                            <caption class="muted">{ a.refreshed }</caption>
                            <thead><tr>
                                <th scope="col">{ a.session }</th>
                                <th scope="col">{ a.class }</th>
                                <th scope="col">{ a.age }</th>
                                <th scope="col">{ a.nodes }</th>
                                <th scope="col">{ a.memory }</th>
                                <th scope="col">{ a.cpu }</th>
                                <th scope="col">{ a.client }</th>
                                <th scope="col">{ a.actions }</th>
                            </tr></thead>
                            <tbody>{ for rows }</tbody>
                        </table>
                    }
                </>
            }
        }
    };
    html! {
        <div class="page instructor admin">
            { topbar(a) }
            <main class="instructor-main admin-main">
                <h1>{ a.title }</h1>
                { body }
            </main>
        </div>
    }
}

fn session_row(a: &'static AdminStrings, s: &AdminSession, cpu_share: Option<f64>, act: &Rc<dyn Fn(Option<String>, Option<bool>)>, busy: bool) -> Html {
    let on_end = {
        let (act, id, question) = (act.clone(), s.id.clone(), a.confirm_end.replace("{id}", &s.id));
        Callback::from(move |_: MouseEvent| {
            if confirm(&question) {
                act(Some(id.clone()), None);
            }
        })
    };
    let class = match (&s.class, &s.lesson) {
        (Some(c), _) => format!("{} · {}", c.name, c.student),
        (None, Some(lesson)) => lesson.clone(),
        (None, None) => a.playground.to_string(),
    };
    let nodes = s.nodes.iter().map(|n| format!("{} ({})", n.name, n.status)).collect::<Vec<_>>().join(", ");
    let per_node = s
        .nodes
        .iter()
        .map(|n| format!("{}: {}", n.name, n.memory_bytes.map_or_else(|| "–".to_string(), human_bytes)))
        .collect::<Vec<_>>()
        .join(", ");
    let cpu = match (cpu_share, s.cpu_usec()) {
        (Some(p), Some(total)) => format!("{p:.0}% · {:.1} s", total as f64 / 1e6),
        (None, Some(total)) => format!("{:.1} s", total as f64 / 1e6),
        _ => "–".to_string(),
    };
    html! {
        <tr key={s.id.clone()} class="admin-row" data-session={s.id.clone()}>
            <th scope="row"><code>{ s.id.clone() }</code></th>
            <td class="class">{ class }</td>
            <td class="age" title={format!("{} {}", a.expires_in, human_age(s.expires_in_secs))}>{ human_age(s.age_secs) }</td>
            <td class="nodes" data-nodes={s.nodes.len().to_string()}>{ format!("{} · {nodes}", s.nodes.len()) }</td>
            <td class="memory" title={per_node}>{ s.memory_bytes().map_or_else(|| "–".to_string(), human_bytes) }</td>
            <td class="cpu">{ cpu }</td>
            <td class="client">{ s.client.clone().unwrap_or_else(|| a.unknown.to_string()) }</td>
            <td class="row-actions">
                <button type="button" class="end-session" aria-label={a.end_label.replace("{id}", &s.id)} disabled={busy} onclick={on_end}>{ a.end }</button>
            </td>
        </tr>
    }
}

/// Props of [`CredentialForm`].
#[derive(Properties, PartialEq)]
struct CredentialFormProps {
    refused: bool,
    token: UseStateHandle<Option<String>>,
}

/// Asks for the admin token or an instructor token when the page has none.
#[component]
fn CredentialForm(props: &CredentialFormProps) -> Html {
    let a = use_lang().lang.admin_strings();
    let typed = use_state(String::new);
    let onsubmit = {
        let (typed, token) = (typed.clone(), props.token.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let t = typed.trim().to_string();
            if !t.is_empty() {
                admin_api::save_credential(&t);
                token.set(Some(t));
            }
        })
    };
    let oninput = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            typed.set(input.value());
        })
    };
    html! {
        <form class="new-class admin-credential" {onsubmit}>
            <p>{ a.need_credential }</p>
            if props.refused { <p class="error-banner" role="alert">{ a.refused }</p> }
            <label>{ a.credential }<input type="password" name="admin_token" autocomplete="off" required=true value={(*typed).clone()} {oninput} /></label>
            <button type="submit" class="start">{ a.use_credential }</button>
        </form>
    }
}
