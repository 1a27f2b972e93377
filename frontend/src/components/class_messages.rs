//! The instructor's messages on a student's page: polls `GET /api/sessions/{id}/class` and shows
//! the latest ones; nothing for a session that is in no class.

use gloo_timers::callback::Interval;
use protocol::classes::{ClassMessage, StudentClass};
use yew::prelude::*;

use crate::hooks::use_lang;
use crate::services::class_api;

/// How often the messages are fetched.
const POLL_MS: u32 = 2_000;

/// Props of [`ClassMessages`].
#[derive(Properties, PartialEq)]
pub struct ClassMessagesProps {
    /// Session id.
    pub session_id: AttrValue,
    /// Its token.
    pub token: AttrValue,
}

/// The latest messages of the student's class, newest last.
#[component]
pub fn ClassMessages(props: &ClassMessagesProps) -> Html {
    let c = use_lang().lang.class_strings();
    let messages = use_state(Vec::<ClassMessage>::new);
    {
        let (id, token, messages) = (props.session_id.to_string(), props.token.to_string(), messages.clone());
        use_effect_with((id.clone(), token.clone()), move |_| {
            let in_class = std::rc::Rc::new(std::cell::Cell::new(true));
            let fetch = move || {
                let (id, token, messages, in_class) = (id.clone(), token.clone(), messages.clone(), in_class.clone());
                if !in_class.get() {
                    return;
                }
                wasm_bindgen_futures::spawn_local(async move {
                    match class_api::student_view(&id, &token).await {
                        Ok(StudentClass { class: Some(view) }) => messages.set(view.messages),
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
    if messages.is_empty() {
        return html! {};
    }
    let shown = messages.iter().rev().take(3).rev().map(|m| {
        html! { <li key={m.id} class={classes!("class-message", (!m.to_all).then_some("direct"))}>{ m.text.clone() }</li> }
    });
    html! {
        <aside class="class-messages" role="status" aria-live="polite">
            <strong>{ c.from_instructor }</strong>
            <ul>{ for shown }</ul>
        </aside>
    }
}
