//! A class's student on their page: polls `GET /api/sessions/{id}/class` and shows the class's
//! lessons in order with the one the student is on and a "Next lesson" (which moves the same
//! session to it: `POST /api/sessions/{id}/class/lesson`), and the instructor's latest
//! messages; nothing for a session that is in no class.

use gloo_timers::callback::Interval;
use protocol::classes::{StudentClass, StudentClassView};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::error_banner::ErrorBanner;
use crate::error::Error;
use crate::hooks::use_lang;
use crate::routes::Route;
use crate::services::class_api;
use crate::services::storage::{self, StoredSession};

/// How often the class is fetched.
const POLL_MS: u32 = 2_000;

/// Props of [`ClassMessages`].
#[derive(Properties, PartialEq)]
pub struct ClassMessagesProps {
    /// Session id.
    pub session_id: AttrValue,
    /// Its token.
    pub token: AttrValue,
}

/// The student's class: its lessons (and Next) and the latest messages, newest last.
#[component]
pub fn ClassMessages(props: &ClassMessagesProps) -> Html {
    let lang = use_lang().lang;
    let c = lang.class_strings();
    let view = use_state(|| None::<StudentClassView>);
    let busy = use_state(|| false);
    let error = use_state(|| None::<Error>);
    let navigator = use_navigator();
    {
        let (id, token, view) = (props.session_id.to_string(), props.token.to_string(), view.clone());
        use_effect_with((id.clone(), token.clone(), lang.code()), move |(_, _, code)| {
            let code = *code;
            let in_class = std::rc::Rc::new(std::cell::Cell::new(true));
            let fetch = move || {
                let (id, token, view, in_class) = (id.clone(), token.clone(), view.clone(), in_class.clone());
                if !in_class.get() {
                    return;
                }
                wasm_bindgen_futures::spawn_local(async move {
                    match class_api::student_view(&id, &token, code).await {
                        Ok(StudentClass { class: Some(v) }) => view.set(Some(v)),
                        // Not a class's session: stop asking.
                        Ok(StudentClass { class: None }) => in_class.set(false),
                        // The session ended (or the server is away): stop asking.
                        Err(_) => in_class.set(false),
                    }
                });
            };
            fetch();
            let interval = Interval::new(POLL_MS, fetch);
            move || drop(interval)
        });
    }
    let Some(v) = &*view else { return html! {} };
    let at = v.lesson.as_ref().and_then(|l| v.lessons.iter().position(|x| &x.id == l));
    let next = at.and_then(|i| v.lessons.get(i + 1)).cloned();
    let on_next = {
        let (id, token, busy, error, view, navigator) =
            (props.session_id.to_string(), props.token.to_string(), busy.clone(), error.clone(), view.clone(), navigator.clone());
        let (current, next) = (v.lesson.clone(), next.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(next) = next.clone() else { return };
            if *busy {
                return;
            }
            busy.set(true);
            let (id, token, busy, error, view, navigator, current) =
                (id.clone(), token.clone(), busy.clone(), error.clone(), view.clone(), navigator.clone(), current.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match class_api::move_to_lesson(&id, &token, &next.id).await {
                    Ok(info) => {
                        // The session belongs to the next lesson now: the old lesson's page
                        // forgets it, and its ticks start over (the server's are per lesson).
                        if let Some(old) = &current {
                            storage::forget_lesson_session(old, &id);
                        }
                        let mut stored = StoredSession {
                            id: id.clone(),
                            token: token.clone(),
                            nodes: Vec::new(),
                            deadline_ms: 0.0,
                            lesson: Some(next.id.clone()),
                        };
                        stored.refresh(&info, js_sys::Date::now());
                        storage::save_lesson_session(&next.id, &stored);
                        view.set(None);
                        if let Some(nav) = navigator {
                            nav.push(&Route::Lesson { id: next.id.clone() });
                        }
                    }
                    Err(err) => error.set(Some(err)),
                }
                busy.set(false);
            });
        })
    };
    let lessons = (!v.lessons.is_empty()).then(|| {
        let items = v.lessons.iter().enumerate().map(|(i, l)| {
            let here = at == Some(i);
            html! {
                <li key={l.id.clone()} class={classes!("class-lesson", here.then_some("current"), at.is_some_and(|a| i < a).then_some("before"))}
                    aria-current={here.then_some("step")}>
                    { format!("{}. {}", i + 1, l.title) }
                </li>
            }
        });
        html! {
            <nav class="class-lessons" aria-label={c.class_lessons}>
                <strong class="class-title">{ v.class_name.clone() }</strong>
                if let Some(i) = at {
                    <span class="pill class-position">{ format!("{} {} {} {}", c.lesson_word, i + 1, c.of, v.lessons.len()) }</span>
                }
                <ol>{ for items }</ol>
                if let Some(next) = &next {
                    <button type="button" class="class-next" onclick={on_next} disabled={*busy}>
                        { format!("{}: {} →", c.next_lesson, next.title) }
                    </button>
                }
                <ErrorBanner error={(*error).clone()} />
            </nav>
        }
    });
    let shown = v.messages.iter().rev().take(3).rev().map(|m| {
        html! { <li key={m.id} class={classes!("class-message", (!m.to_all).then_some("direct"))}>{ m.text.clone() }</li> }
    });
    html! {
        <>
            { lessons.unwrap_or_default() }
            if !v.messages.is_empty() {
                <aside class="class-messages" role="status" aria-live="polite">
                    <strong>{ c.from_instructor }</strong>
                    <ul>{ for shown }</ul>
                </aside>
            }
        </>
    }
}
