//! The start page: what muelle is, the button that starts a session, the templates
//! (`GET /api/templates`), and a link back to a session of this device that still runs.

use protocol::Template;
use yew::platform::spawn_local;
use yew::prelude::*;

use yew_router::prelude::Link;

use crate::components::error_banner::ErrorBanner;
use crate::components::lang_switch::LangSwitch;
use crate::hooks::{use_lang, use_start_session};
use crate::routes::Route;
use crate::services::{api, play_api, storage};

/// `/`
#[component]
pub fn HomePage() -> Html {
    let lang = use_lang().lang;
    let s = lang.strings();
    let start = use_start_session();
    let templates = use_state(Vec::<Template>::new);
    let resume = use_state(|| None::<storage::StoredSession>);
    {
        let (templates, resume) = (templates.clone(), resume.clone());
        use_effect_with((), move |()| {
            spawn_local(async move {
                match play_api::templates().await {
                    Ok(list) => templates.set(list),
                    Err(err) => log::debug!("templates: {err}"),
                }
                // The latest playground session of this device that the server still knows.
                let running = storage::running_sessions(js_sys::Date::now());
                for session in running.into_iter().filter(|s| s.lesson.is_none()) {
                    match api::get_session(&session.id, &session.token).await {
                        Ok(_) => {
                            resume.set(Some(session));
                            break;
                        }
                        Err(err) if err.session_is_gone() => storage::forget_session(&session.id),
                        Err(err) => log::debug!("resume check: {err}"),
                    }
                }
            });
        });
    }
    let onclick = {
        let start = start.start.clone();
        Callback::from(move |_: MouseEvent| start.emit(()))
    };
    html! {
        <div class="page home">
            <header class="topbar">
                <span class="brand">{ "muelle" }</span>
                <span class="spacer"></span>
                <Link<Route> to={Route::Catalog} classes="nav">{ s.lessons }</Link<Route>>
                <LangSwitch />
            </header>
            <main class="hero">
                <h1 class="title">{ "muelle" }</h1>
                <p class="pitch">{ s.pitch }</p>
                if start.needs_code {
                    <label class="join-code">
                        { s.join_code }
                        <input type="text" name="join_code" autocomplete="off"
                            value={storage::load_join_code().unwrap_or_default()}
                            oninput={Callback::from(|e: InputEvent| {
                                let input: web_sys::HtmlInputElement = e.target_unchecked_into();
                                storage::save_join_code(&input.value());
                            })} />
                    </label>
                }
                <button type="button" class="start" {onclick} disabled={start.busy} aria-busy={start.busy.to_string()}>
                    { if start.busy { s.starting } else { s.start } }
                </button>
                if let Some(r) = (*resume).clone() {
                    <Link<Route> to={Route::Session { id: r.id.clone() }} classes="resume">{ format!("{} →", s.resume) }</Link<Route>>
                }
                if !templates.is_empty() {
                    <section class="templates" aria-label={s.templates}>
                        <h2>{ s.templates }</h2>
                        { for templates.iter().map(|t| {
                            let go = start.start_template.clone();
                            let id = t.id.clone();
                            let onclick = Callback::from(move |_: MouseEvent| go.emit(id.clone()));
                            let name = if lang == crate::i18n::Lang::Es { &t.name.es } else { &t.name.en };
                            html! {
                                <button type="button" class="template" data-template={t.id.clone()} {onclick} disabled={start.busy}>
                                    { name.clone() }
                                </button>
                            }
                        }) }
                    </section>
                }
                <ErrorBanner error={start.error.clone()} />
                <Link<Route> to={Route::Catalog} classes="lessons-link">{ format!("{} →", s.lessons) }</Link<Route>>
                <ul class="features">
                    { for s.features.iter().map(|f| html! { <li>{ *f }</li> }) }
                </ul>
                <pre class="preview" aria-hidden="true">
                    <span class="prompt">{ "node1 $ " }</span>{ "docker run hello-world\n" }
                    <span class="ok">{ "Hello from Docker!" }</span>
                </pre>
            </main>
        </div>
    }
}
