//! The lesson page's data: its text in the UI language, its session, and the progress poll.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use protocol::{Lesson, NodeInfo};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::error::Error;
use crate::hooks::use_node_poll::{bump, node_named, replaced, use_node_poll};
use crate::i18n::Lang;
use crate::services::lesson_logic::{Progress, ProgressAction};
use crate::services::page::page_hidden;
use crate::services::storage::{self, StoredSession};
use crate::services::{api, lesson_api};

const POLL_MS: u32 = 3_000;

/// The lesson in `lang` (or the other language when it lacks `lang`). While a new language loads,
/// the previous text stays.
#[hook]
pub fn use_lesson_text(id: AttrValue, lang: Lang) -> Option<Result<Lesson, Error>> {
    let state = use_state(|| None);
    {
        let state = state.clone();
        use_effect_with((id, lang), move |(id, lang)| {
            let (id, lang) = (id.clone(), *lang);
            spawn_local(async move {
                let got = lesson_api::get_lesson_any(&id, lang.code(), lang.other().code()).await;
                state.set(Some(got));
            });
        });
    }
    (*state).clone()
}

/// The lesson's session as the page sees it.
#[derive(Clone, PartialEq)]
pub struct LessonSession {
    /// Running session, if any.
    pub session: Option<StoredSession>,
    /// Its nodes (with addresses once the server told them), re-read every few seconds.
    pub nodes: Vec<NodeInfo>,
    /// Replaces one node by name (after a reset).
    pub update: Callback<NodeInfo>,
    /// Creates the session.
    pub start: Callback<()>,
    /// Forgets an expired session.
    pub expire: Callback<()>,
    /// Ends the session (DELETE) and forgets it; the page asks first.
    pub end: Callback<()>,
    /// A start request is in flight.
    pub busy: bool,
    /// The last start failed.
    pub error: Option<Error>,
    /// A session ran out during this visit.
    pub ended: bool,
    /// The lesson's setup scripts failed when the session was created: their error.
    pub setup_failed: Option<String>,
}

/// This tab's session for lesson `id`: restored from sessionStorage (and checked with the server)
/// or created by `start`.
#[hook]
pub fn use_lesson_session(id: AttrValue) -> LessonSession {
    let session = use_state(|| storage::load_lesson_session(&id));
    let nodes = use_state_eq(|| names_only(session.as_ref()));
    let busy = use_state(|| false);
    let error = use_state(|| None::<Error>);
    let ended = use_state(|| false);
    let setup_failed = use_state(|| None::<String>);
    {
        let (session, nodes) = (session.clone(), nodes.clone());
        let setup_failed = setup_failed.clone();
        let lesson = id.clone();
        use_effect_with((), move |()| refresh(lesson, session, nodes, setup_failed));
    }
    let changes = use_memo((), |()| Rc::new(Cell::new(0u32)));
    {
        let nodes = nodes.clone();
        let creds = session.as_ref().map(|s| (s.id.clone(), s.token.clone()));
        let apply = Callback::from(move |list: Vec<NodeInfo>| {
            if !list.is_empty() {
                nodes.set(list);
            }
        });
        use_node_poll(creds, (*changes).clone(), apply);
    }
    let update = {
        let (nodes, changes) = (nodes.clone(), (*changes).clone());
        Callback::from(move |node: NodeInfo| {
            bump(&changes);
            nodes.set(replaced(&nodes, node));
        })
    };
    let start = {
        let (id, session, nodes, busy, error) = (
            id.clone(),
            session.clone(),
            nodes.clone(),
            busy.clone(),
            error.clone(),
        );
        let setup_failed = setup_failed.clone();
        Callback::from(move |()| {
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (id, session, nodes, busy, error) = (
                id.clone(),
                session.clone(),
                nodes.clone(),
                busy.clone(),
                error.clone(),
            );
            let setup_failed = setup_failed.clone();
            spawn_local(async move {
                let result = lesson_api::create_lesson_session(&id).await;
                busy.set(false);
                match result {
                    Ok(resp) => {
                        let stored = StoredSession::from_created(&resp, js_sys::Date::now());
                        storage::save_lesson_session(&id, &stored);
                        setup_failed.set(failed_setup(resp.session.setup.as_ref()));
                        nodes.set(resp.session.nodes);
                        session.set(Some(stored));
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let expire = {
        let (id, session, ended) = (id.clone(), session.clone(), ended.clone());
        Callback::from(move |()| {
            if let Some(s) = &*session {
                storage::forget_lesson_session(&id, &s.id);
            }
            session.set(None);
            ended.set(true);
        })
    };
    let end = {
        let (id, session, ended, error) = (id.clone(), session.clone(), ended.clone(), error.clone());
        Callback::from(move |()| {
            let Some(s) = (*session).clone() else { return };
            let (id, session, ended, error) = (id.clone(), session.clone(), ended.clone(), error.clone());
            spawn_local(async move {
                match api::end_session(&s.id, &s.token).await {
                    Err(err) if !err.session_is_gone() => error.set(Some(err)),
                    _ => {
                        storage::forget_lesson_session(&id, &s.id);
                        session.set(None);
                        ended.set(true);
                    }
                }
            });
        })
    };
    LessonSession {
        session: (*session).clone(),
        nodes: (*nodes).clone(),
        update,
        start,
        expire,
        end,
        busy: *busy,
        error: (*error).clone(),
        ended: *ended,
        setup_failed: (*setup_failed).clone(),
    }
}

/// The error of a failed setup (a setup still running or done is no error).
pub fn failed_setup(setup: Option<&protocol::SetupStatus>) -> Option<String> {
    setup
        .filter(|s| s.state == protocol::SetupState::Failed)
        .map(|s| s.message.clone().unwrap_or_default())
}

fn names_only(session: Option<&StoredSession>) -> Vec<NodeInfo> {
    session
        .map(|s| s.nodes.iter().map(|n| node_named(n)).collect())
        .unwrap_or_default()
}

/// Re-reads a restored session: fresh deadline and node addresses (and a failed setup, which a
/// reload must still show), or forget it if it is gone.
fn refresh(
    lesson: AttrValue,
    session: UseStateHandle<Option<StoredSession>>,
    nodes: UseStateHandle<Vec<NodeInfo>>,
    setup_failed: UseStateHandle<Option<String>>,
) {
    let Some(mut stored) = (*session).clone() else {
        return;
    };
    spawn_local(async move {
        match api::get_session(&stored.id, &stored.token).await {
            Ok(info) => {
                stored.refresh(&info, js_sys::Date::now());
                storage::save_lesson_session(&lesson, &stored);
                setup_failed.set(failed_setup(info.setup.as_ref()));
                nodes.set(info.nodes);
                session.set(Some(stored));
            }
            Err(err) if err.session_is_gone() => {
                storage::forget_lesson_session(&lesson, &stored.id);
                session.set(None);
            }
            Err(err) => log::warn!("refresh lesson session: {err}"),
        }
    });
}

/// Every 3 s while the page is visible and a session runs, asks the server which checked steps
/// pass and merges them into the progress.
#[hook]
pub fn use_progress_poll(
    session: Option<StoredSession>,
    lang: AttrValue,
    progress: UseReducerDispatcher<Progress>,
) {
    let creds = session.map(|s| (s.id, s.token));
    use_effect_with((creds, lang), move |(creds, lang)| {
        let poll = creds.clone().map(|(id, token)| {
            let in_flight = Rc::new(Cell::new(false));
            let lang = lang.to_string();
            let tick = move || {
                if page_hidden() || in_flight.replace(true) {
                    return;
                }
                let (id, token, lang) = (id.clone(), token.clone(), lang.clone());
                let (in_flight, progress) = (in_flight.clone(), progress.clone());
                spawn_local(async move {
                    match lesson_api::progress(&id, &token, &lang).await {
                        Ok(p) => progress.dispatch(ProgressAction::Merge(p)),
                        Err(err) => log::debug!("progress poll: {err}"),
                    }
                    in_flight.set(false);
                });
            };
            tick();
            Interval::new(POLL_MS, tick)
        });
        move || drop(poll)
    });
}

#[cfg(test)]
mod tests {
    use protocol::{SetupState, SetupStatus};

    use super::failed_setup;

    #[test]
    fn only_a_failed_setup_is_shown() {
        let st = |state, message: Option<&str>| SetupStatus { state, message: message.map(str::to_string) };
        assert_eq!(failed_setup(None), None);
        assert_eq!(failed_setup(Some(&st(SetupState::Done, None))), None);
        assert_eq!(failed_setup(Some(&st(SetupState::Running, None))), None);
        assert_eq!(failed_setup(Some(&st(SetupState::Failed, Some("exit 3")))).as_deref(), Some("exit 3"));
    }
}
