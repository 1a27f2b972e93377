//! Starting a session: `POST /api/sessions`, remember the token for this tab, open its page.

use yew::platform::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::error::Error;
use crate::services::{api, storage};

/// State of the start button.
#[derive(Clone, PartialEq)]
pub struct StartHandle {
    /// Creates a session and navigates to it.
    pub start: Callback<()>,
    /// A request is in flight.
    pub busy: bool,
    /// Why the last attempt failed.
    pub error: Option<Error>,
}

/// Hook behind every "Start" button.
#[hook]
pub fn use_start_session() -> StartHandle {
    let navigator = use_navigator();
    let busy = use_state(|| false);
    let error = use_state(|| None::<Error>);
    let start = {
        let (busy, error) = (busy.clone(), error.clone());
        Callback::from(move |()| {
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (busy, error, navigator) = (busy.clone(), error.clone(), navigator.clone());
            spawn_local(async move {
                let result = api::create_session().await;
                busy.set(false);
                match result {
                    Ok(resp) => {
                        let stored =
                            storage::StoredSession::from_created(&resp, js_sys::Date::now());
                        storage::save_session(&stored);
                        if let Some(nav) = navigator {
                            nav.push(&Route::Session { id: stored.id });
                        }
                    }
                    Err(err) => {
                        log::warn!("create session: {err}");
                        error.set(Some(err));
                    }
                }
            });
        })
    };
    StartHandle {
        start,
        busy: *busy,
        error: (*error).clone(),
    }
}
