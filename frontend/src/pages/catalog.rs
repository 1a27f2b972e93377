//! `/lessons`: the lesson catalog as cards, in the UI language where a lesson has it.

use protocol::LessonSummary;
use yew::platform::spawn_local;
use yew::prelude::*;
use yew_router::prelude::Link;

use crate::components::countdown::Countdown;
use crate::components::error_banner::ErrorBanner;
use crate::components::lang_switch::LangSwitch;
use crate::error::Error;
use crate::hooks::use_lang;
use crate::routes::Route;
use crate::services::lesson_logic::pick_catalog;
use crate::services::page::{confirm, use_title};
use crate::services::{api, lesson_api, storage};

/// `/lessons`
#[component]
pub fn CatalogPage() -> Html {
    let handle = use_lang();
    let s = handle.strings();
    use_title(s.lessons.to_string());
    let all = use_state(|| None::<Result<Vec<LessonSummary>, Error>>);
    {
        let all = all.clone();
        use_effect_with((), move |()| {
            spawn_local(async move { all.set(Some(lesson_api::list_lessons().await)) });
        });
    }
    let body = match &*all {
        None => html! { <p class="muted">{ s.loading }</p> },
        Some(Err(err)) => html! { <ErrorBanner error={Some(err.clone())} /> },
        Some(Ok(list)) => {
            let cards = pick_catalog(list.clone(), handle.lang.code());
            html! { <div class="cards">{ for cards.iter().map(card) }</div> }
        }
    };
    html! {
        <div class="page catalog">
            <header class="topbar">
                <Link<Route> to={Route::Home} classes="brand">{ "muelle" }</Link<Route>>
                <span class="spacer"></span>
                <LangSwitch />
            </header>
            <main class="catalog-main">
                <h1>{ s.lessons }</h1>
                <p class="muted">{ s.catalog_intro }</p>
                { body }
            </main>
        </div>
    }
}

fn card(lesson: &LessonSummary) -> Html {
    html! { <LessonCard key={lesson.id.clone()} lesson={lesson.clone()} /> }
}

/// Props of [`LessonCard`].
#[derive(Properties, PartialEq)]
struct LessonCardProps {
    lesson: LessonSummary,
}

/// One lesson: title, summary, facts, tags and the learner's progress; below it, a session of
/// the lesson that still runs in this browser, with Resume and End.
#[component]
fn LessonCard(props: &LessonCardProps) -> Html {
    let handle = use_lang();
    let (s, ux) = (handle.strings(), handle.lang.ux());
    let l = &props.lesson;
    let done = storage::load_progress(&l.id).count(l.step_count);
    let pct = (done * 100).checked_div(l.step_count).unwrap_or(0);
    let running = use_state(|| storage::running_lesson(&l.id));
    {
        // The server may have ended it (expired, swept): then it is forgotten here.
        let (running, lesson) = (running.clone(), l.id.clone());
        use_effect_with((), move |()| {
            if let Some(session) = (*running).clone() {
                spawn_local(async move {
                    if let Err(err) = api::get_session(&session.id, &session.token).await {
                        if err.session_is_gone() {
                            storage::forget_lesson_session(&lesson, &session.id);
                            running.set(None);
                        }
                    }
                });
            }
        });
    }
    let end = {
        let (running, lesson) = (running.clone(), l.id.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(session) = (*running).clone() else { return };
            if !confirm(ux.confirm_end) {
                return;
            }
            let (running, lesson) = (running.clone(), lesson.clone());
            spawn_local(async move {
                match api::end_session(&session.id, &session.token).await {
                    Err(err) if !err.session_is_gone() => log::warn!("end {}: {err}", session.id),
                    _ => {
                        storage::forget_lesson_session(&lesson, &session.id);
                        running.set(None);
                    }
                }
            });
        })
    };
    html! {
        <div class={classes!("card-wrap", running.is_some().then_some("running"))} data-lesson={l.id.clone()}>
            <Link<Route> to={Route::Lesson { id: l.id.clone() }} classes="card">
                <article>
                    <h2>{ l.title.clone() }</h2>
                    <p class="card-summary">{ l.summary.clone() }</p>
                    <p class="card-facts">
                        <span class="lang-badge">{ l.lang.to_uppercase() }</span>
                        <span>{ format!("{} {}", l.duration_minutes, s.minutes) }</span>
                        <span>{ format!("{} {}", l.nodes, if l.nodes == 1 { s.node } else { s.nodes }) }</span>
                        <span class="card-progress">{ format!("{done}/{} {}", l.step_count, s.steps) }</span>
                    </p>
                    <div class="bar" aria-hidden="true"><span style={format!("width:{pct}%")}></span></div>
                    <ul class="tags">{ for l.tags.iter().map(|t| html! { <li>{ t.clone() }</li> }) }</ul>
                </article>
            </Link<Route>>
            if let Some(session) = &*running {
                <div class="card-running" role="group" aria-label={format!("{}: {}", ux.session_running, l.title)}>
                    <span class="dot ready" aria-hidden="true"></span>
                    <span>{ ux.session_running }</span>
                    <Countdown deadline_ms={session.deadline_ms} on_expire={Callback::from({
                        let running = running.clone();
                        move |()| running.set(None)
                    })} />
                    <span class="spacer"></span>
                    <Link<Route> to={Route::Lesson { id: l.id.clone() }} classes="resume">{ ux.resume }</Link<Route>>
                    <button type="button" class="end end-running" onclick={end}>{ s.end_session }</button>
                </div>
            }
        </div>
    }
}
