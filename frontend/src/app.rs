//! The root component: language context, router, and which page each route shows.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::hooks::{initial_lang, use_lang, LangHandle};
use crate::i18n::Lang;
use crate::pages::AdminPage;
use crate::pages::{CatalogPage, ClassDashboard, HomePage, InstructorPage, JoinCodePage, JoinPage, LessonPage, SessionPage};
use crate::routes::Route;
use crate::services::storage;

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <HomePage /> },
        Route::Catalog => html! { <CatalogPage /> },
        Route::Lesson { id } => html! { <LessonPage key={id.clone()} id={id.clone()} /> },
        // Keyed so that moving to a new session remounts the page with fresh state.
        Route::Session { id } => html! { <SessionPage key={id.clone()} id={id.clone()} /> },
        Route::Instructor => html! { <InstructorPage /> },
        Route::ClassDashboard { id } => html! { <ClassDashboard key={id.clone()} id={id.clone()} /> },
        Route::Admin => html! { <AdminPage /> },
        Route::JoinCode => html! { <JoinCodePage /> },
        Route::Join { code } => html! { <JoinPage key={code.clone()} code={code.clone()} /> },
        Route::NotFound => html! { <NotFound /> },
    }
}

/// Mounts everything.
#[component]
pub fn App() -> Html {
    let lang = use_state(initial_lang);
    {
        let code = lang.code();
        use_effect_with(code, |code| set_document_lang(code));
    }
    let set = {
        let lang = lang.clone();
        Callback::from(move |l: Lang| {
            storage::save_lang(l);
            lang.set(l);
        })
    };
    let handle = LangHandle { lang: *lang, set };
    html! {
        <ContextProvider<LangHandle> context={handle}>
            <BrowserRouter>
                <Switch<Route> render={switch} />
            </BrowserRouter>
        </ContextProvider<LangHandle>>
    }
}

#[component]
fn NotFound() -> Html {
    let s = use_lang().strings();
    html! {
        <div class="page notfound">
            <main class="hero">
                <h1 class="title">{ "404" }</h1>
                <p class="pitch">{ s.not_found }</p>
                <Link<Route> to={Route::Home} classes="start">{ s.back_home }</Link<Route>>
            </main>
        </div>
    }
}

/// Keeps `<html lang>` in step with the switch, for screen readers and hyphenation, and the
/// `muelle_lang` cookie, which a terminal's WebSocket carries so that the node greets in the
/// UI's language.
fn set_document_lang(code: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        if let Some(root) = doc.document_element() {
            let _ = root.set_attribute("lang", code);
        }
        use wasm_bindgen::JsCast;
        if let Ok(html) = doc.dyn_into::<web_sys::HtmlDocument>() {
            let _ = html.set_cookie(&format!("muelle_lang={code}; Path=/; Max-Age=31536000; SameSite=Strict"));
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = code;
}
