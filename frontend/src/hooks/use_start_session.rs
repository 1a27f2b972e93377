//! Starting a session: `POST /api/sessions` (plain or from a template), remember the token on
//! this device, open its page.
//! When the server asks for a join code (`GET /api/config`, or a 403 `JOIN_CODE_REQUIRED`), the
//! start page shows a field for it.

use yew::platform::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use protocol::error::codes;

use crate::error::Error;
use crate::routes::Route;
use crate::services::{api, play_api, storage};

/// State of the start button.
#[derive(Clone, PartialEq)]
pub struct StartHandle {
    /// Creates a session and navigates to it.
    pub start: Callback<()>,
    /// Creates a session from a template (`GET /api/templates`) and navigates to it.
    pub start_template: Callback<String>,
    /// A request is in flight.
    pub busy: bool,
    /// Why the last attempt failed.
    pub error: Option<Error>,
    /// The server needs a join code: show the field.
    pub needs_code: bool,
}

/// Hook behind every "Start" button.
#[hook]
pub fn use_start_session() -> StartHandle {
    let navigator = use_navigator();
    let busy = use_state(|| false);
    let error = use_state(|| None::<Error>);
    let needs_code = use_state(|| false);
    {
        let needs_code = needs_code.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                if let Ok(config) = api::get_config().await {
                    needs_code.set(config.join_code_required);
                }
            });
        });
    }
    let start_template = {
        let (busy, error, needs_code) = (busy.clone(), error.clone(), needs_code.clone());
        Callback::from(move |template: String| {
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (busy, error, navigator) = (busy.clone(), error.clone(), navigator.clone());
            let needs_code = needs_code.clone();
            spawn_local(async move {
                let result = if template.is_empty() {
                    api::create_session().await
                } else {
                    play_api::create_from_template(&template).await
                };
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
                        if matches!(&err, Error::Api { code, .. } if code == codes::JOIN_CODE_REQUIRED) {
                            needs_code.set(true);
                        }
                        error.set(Some(err));
                    }
                }
            });
        })
    };
    let start = start_template.reform(|()| String::new());
    StartHandle {
        start,
        start_template,
        busy: *busy,
        error: (*error).clone(),
        needs_code: *needs_code,
    }
}
