//! `/join` (type a class's code) and `/join/{code}` (a display name, then the class's session).
//! The session is remembered per code in localStorage: opening the link again on the same
//! device, after a reload or a browser restart, goes back to the same session.

use protocol::classes::ClassInfo;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::error_banner::ErrorBanner;
use crate::components::lang_switch::LangSwitch;
use crate::error::Error;
use crate::hooks::use_lang;
use crate::routes::Route;
use crate::services::class_api::{self, ClassSeat};
use crate::services::storage::{self, StoredSession};
use crate::services::api;

/// `/join`: a field for the code.
#[component]
pub fn JoinCodePage() -> Html {
    let c = use_lang().lang.class_strings();
    let navigator = use_navigator();
    let code = use_state(String::new);
    let oninput = {
        let code = code.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            code.set(input.value());
        })
    };
    let onsubmit = {
        let code = code.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let typed = code.trim().to_uppercase();
            if let (Some(nav), false) = (&navigator, typed.is_empty()) {
                nav.push(&Route::Join { code: typed });
            }
        })
    };
    html! {
        <div class="page join">
            <header class="topbar">
                <Link<Route> to={Route::Home} classes="brand">{ "muelle" }</Link<Route>>
                <span class="spacer"></span>
                <LangSwitch />
            </header>
            <main class="hero">
                <h1 class="title">{ c.join_title }</h1>
                <form class="join-form" {onsubmit}>
                    <label>{ c.type_code }
                        <input type="text" name="class_code" autocomplete="off" maxlength="6" value={(*code).clone()} {oninput} />
                    </label>
                    <button type="submit" class="start">{ c.join }</button>
                </form>
            </main>
        </div>
    }
}

/// Props of [`JoinPage`].
#[derive(Properties, PartialEq)]
pub struct JoinPageProps {
    /// The class's join code.
    pub code: AttrValue,
}

/// Puts a class session where the lesson and session pages look for it, and goes there.
fn enter(navigator: &Option<Navigator>, seat: &ClassSeat) {
    match &seat.lesson {
        Some(lesson) => storage::save_lesson_session(lesson, &seat.session),
        None => storage::save_session(&seat.session),
    }
    if let Some(nav) = navigator {
        match &seat.lesson {
            Some(lesson) => nav.push(&Route::Lesson { id: lesson.clone() }),
            None => nav.push(&Route::Session { id: seat.session.id.clone() }),
        }
    }
}

/// `/join/{code}`
#[component]
pub fn JoinPage(props: &JoinPageProps) -> Html {
    let c = use_lang().lang.class_strings();
    let navigator = use_navigator();
    let info = use_state(|| None::<Result<ClassInfo, Error>>);
    let name = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<Error>);
    {
        // A session this device already has in the class: back to it while it lives.
        let (code, info, navigator) = (props.code.to_string(), info.clone(), navigator.clone());
        use_effect_with(code.clone(), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(mut seat) = class_api::load_seat(&code) {
                    match api::get_session(&seat.session.id, &seat.session.token).await {
                        Ok(live) => {
                            seat.session.refresh(&live, js_sys::Date::now());
                            // The student may have moved on to a later lesson of the class.
                            if live.lesson.is_some() && live.lesson != seat.lesson {
                                seat.lesson = live.lesson.clone();
                                class_api::save_seat(&code, &seat);
                            }
                            enter(&navigator, &seat);
                            return;
                        }
                        Err(_) => class_api::forget_seat(&code),
                    }
                }
                info.set(Some(class_api::class_info(&code).await));
            });
        });
    }
    let oninput = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            name.set(input.value());
        })
    };
    let onsubmit = {
        let (code, name, busy, error) = (props.code.to_string(), name.clone(), busy.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy || name.trim().is_empty() {
                return;
            }
            busy.set(true);
            let (code, typed, busy, error, navigator) = (code.clone(), name.trim().to_string(), busy.clone(), error.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match class_api::join(&code, &typed).await {
                    Ok(joined) => {
                        let seat = ClassSeat {
                            session: StoredSession::from_created(&joined.created, js_sys::Date::now()),
                            lesson: joined.created.session.lesson.clone(),
                        };
                        class_api::save_seat(&code, &seat);
                        enter(&navigator, &seat);
                    }
                    Err(err) => {
                        error.set(Some(err));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let body = match &*info {
        None => html! { <p class="muted">{ "…" }</p> },
        Some(Err(err)) => html! { <ErrorBanner error={Some(err.clone())} /> },
        Some(Ok(class)) => html! {
            <>
                <h1 class="title class-name">{ class.name.clone() }</h1>
                <p class="muted">{ format!("{} {}", class.seats_left, c.seats_left) }</p>
                <form class="join-form" {onsubmit}>
                    <label>{ c.your_name }
                        <input type="text" name="student_name" autocomplete="nickname" maxlength="40" value={(*name).clone()} {oninput} />
                    </label>
                    <button type="submit" class="start" disabled={*busy}>{ if *busy { c.joining } else { c.join } }</button>
                </form>
                <ErrorBanner error={(*error).clone()} />
            </>
        },
    };
    html! {
        <div class="page join">
            <header class="topbar">
                <Link<Route> to={Route::Home} classes="brand">{ "muelle" }</Link<Route>>
                <span class="pill">{ props.code.to_string() }</span>
                <span class="spacer"></span>
                <LangSwitch />
            </header>
            <main class="hero">{ body }</main>
        </div>
    }
}
