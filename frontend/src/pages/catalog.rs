//! `/lessons`: the lesson catalog as courses of numbered cards, in the UI language where a lesson
//! has it, with the learner's progress across each course.

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
use crate::services::lesson_logic::{courses, pick_catalog, Course};
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
            let groups = courses(pick_catalog(list.clone(), handle.lang.code()));
            html! { <>{ for groups.into_iter().map(|course| html! { <CourseView {course} /> }) }</> }
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

/// Props of [`CourseView`].
#[derive(Properties, PartialEq)]
struct CourseViewProps {
    course: Course,
}

/// One course: its name, its size, the learner's progress across it and where to go on, then its
/// lessons as numbered cards in order.
#[component]
fn CourseView(props: &CourseViewProps) -> Html {
    let s = use_lang().strings();
    let lessons = &props.course.lessons;
    let done: Vec<u32> = lessons.iter().map(|l| storage::load_progress(&l.id).count(l.step_count)).collect();
    let finished = lessons.iter().zip(&done).filter(|(l, d)| l.step_count > 0 && **d >= l.step_count).count();
    let (steps_done, steps): (u32, u32) = (done.iter().sum(), lessons.iter().map(|l| l.step_count).sum());
    let pct = (steps_done * 100).checked_div(steps).unwrap_or(0);
    let minutes: u32 = lessons.iter().map(|l| l.duration_minutes).sum();
    let next = lessons.iter().zip(&done).find(|(l, d)| **d < l.step_count).map(|(l, _)| l);
    let name = props.course.name.clone().unwrap_or_else(|| s.other_lessons.to_string());
    let head_id = format!("course-{}", lessons.first().map_or("", |l| l.id.as_str()));
    let next_line = match next {
        Some(l) => html! {
            <p class="course-next">
                { s.continue_with }{ " " }
                <Link<Route> to={Route::Lesson { id: l.id.clone() }}>{ l.title.clone() }</Link<Route>>
            </p>
        },
        None => html! { <p class="course-next done">{ s.course_done }</p> },
    };
    html! {
        <section class="course" aria-labelledby={head_id.clone()}>
            <header class="course-head">
                <h2 id={head_id}>{ name }</h2>
                <p class="course-facts">
                    <span>{ format!("{} {}", lessons.len(), s.course_lessons) }</span>
                    <span>{ format!("{minutes} {}", s.minutes) }</span>
                    <span class="course-progress">{ format!("{finished}/{} {}", lessons.len(), s.lessons_done) }</span>
                </p>
                <div class="bar" aria-hidden="true"><span style={format!("width:{pct}%")}></span></div>
                { next_line }
            </header>
            <ol class="cards">
                { for lessons.iter().enumerate().map(|(i, l)| html! {
                    <li key={l.id.clone()}><LessonCard lesson={l.clone()} number={i + 1} /></li>
                }) }
            </ol>
        </section>
    }
}

/// Props of [`LessonCard`].
#[derive(Properties, PartialEq)]
struct LessonCardProps {
    lesson: LessonSummary,
    /// Place in its course, from 1.
    number: usize,
}

/// One lesson: its place, title, summary, what it needs, tags and the learner's progress; below
/// it, a session of the lesson that still runs in this browser, with Resume and End.
#[component]
fn LessonCard(props: &LessonCardProps) -> Html {
    let handle = use_lang();
    let (s, ux) = (handle.strings(), handle.lang.ux());
    let l = &props.lesson;
    let done = storage::load_progress(&l.id).count(l.step_count);
    let pct = (done * 100).checked_div(l.step_count).unwrap_or(0);
    let images: Vec<&str> = l.images.iter().map(|i| i.strip_suffix(":latest").unwrap_or(i)).collect();
    let finished = l.step_count > 0 && done >= l.step_count;
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
            <Link<Route> to={Route::Lesson { id: l.id.clone() }} classes={classes!("card", finished.then_some("finished"))}>
                <article>
                    <h3><span class="card-number">{ format!("{}. ", props.number) }</span>{ l.title.clone() }</h3>
                    <p class="card-summary">{ l.summary.clone() }</p>
                    <p class="card-facts">
                        <span class="lang-badge">{ l.lang.to_uppercase() }</span>
                        <span>{ format!("{} {}", l.duration_minutes, s.minutes) }</span>
                        <span>{ format!("{} {}", l.nodes, if l.nodes == 1 { s.node } else { s.nodes }) }</span>
                        <span class="card-progress">{ format!("{done}/{} {}", l.step_count, s.steps) }</span>
                    </p>
                    if !images.is_empty() {
                        <p class="card-needs">{ format!("{}: {}", s.needs, images.join(", ")) }</p>
                    }
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
