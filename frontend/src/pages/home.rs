//! The start page: what muelle is and the button that starts a session.

use yew::prelude::*;

use yew_router::prelude::Link;

use crate::components::error_banner::ErrorBanner;
use crate::components::lang_switch::LangSwitch;
use crate::hooks::{use_lang, use_start_session};
use crate::routes::Route;
use crate::services::storage;

/// `/`
#[component]
pub fn HomePage() -> Html {
    let s = use_lang().strings();
    let start = use_start_session();
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
