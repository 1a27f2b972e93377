//! `/lessons`: the lesson catalog as cards, in the UI language where a lesson has it.

use protocol::LessonSummary;
use yew::platform::spawn_local;
use yew::prelude::*;
use yew_router::prelude::Link;

use crate::components::error_banner::ErrorBanner;
use crate::components::lang_switch::LangSwitch;
use crate::error::Error;
use crate::hooks::use_lang;
use crate::routes::Route;
use crate::services::lesson_logic::pick_catalog;
use crate::services::{lesson_api, storage};

/// `/lessons`
#[component]
pub fn CatalogPage() -> Html {
    let handle = use_lang();
    let s = handle.strings();
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

/// One lesson: title, summary, facts, tags and the learner's progress.
#[component]
fn LessonCard(props: &LessonCardProps) -> Html {
    let s = use_lang().strings();
    let l = &props.lesson;
    let done = storage::load_progress(&l.id).count(l.step_count);
    let pct = (done * 100).checked_div(l.step_count).unwrap_or(0);
    html! {
        <Link<Route> to={Route::Lesson { id: l.id.clone() }} classes="card">
            <article data-lesson={l.id.clone()}>
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
    }
}
