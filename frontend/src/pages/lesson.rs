//! `/lessons/{id}`: the lesson text on the left, the session's terminals on the right.

use protocol::Lesson;
use yew::prelude::*;
use yew_router::prelude::Link;

use crate::components::countdown::Countdown;
use crate::components::error_banner::ErrorBanner;
use crate::components::lang_switch::LangSwitch;
use crate::components::lesson_ctx::LessonCtx;
use crate::components::lesson_step::{render_parts, LessonStepView};
use crate::components::terminal::TerminalRegistry;
use crate::components::terminal_tabs::{NodeTab, TerminalTabs};
use crate::hooks::{
    use_lang, use_lesson_session, use_lesson_text, use_progress_poll, LangHandle, LessonSession,
};
use crate::routes::Route;
use crate::services::lesson_logic::{fill_lesson, Progress, ProgressAction};
use crate::services::storage;

/// Props of [`LessonPage`].
#[derive(Properties, PartialEq)]
pub struct LessonPageProps {
    /// Lesson id from the URL.
    pub id: AttrValue,
}

/// `/lessons/{id}`
#[component]
pub fn LessonPage(props: &LessonPageProps) -> Html {
    let handle = use_lang();
    let s = handle.strings();
    let text = use_lesson_text(props.id.clone(), handle.lang);
    let ls = use_lesson_session(props.id.clone());
    let progress = use_reducer(|| storage::load_progress(&props.id));
    {
        let id = props.id.clone();
        use_effect_with((*progress).clone(), move |p| storage::save_progress(&id, p));
    }
    let lang: AttrValue = match &text {
        Some(Ok(l)) => l.summary.lang.clone().into(),
        _ => handle.lang.code().into(),
    };
    use_progress_poll(ls.session.clone(), lang.clone(), progress.dispatcher());
    let registry = use_memo((), |()| TerminalRegistry::default());
    let active = use_state(|| AttrValue::from("node1"));
    let show_node = {
        let active = active.clone();
        Callback::from(move |node: AttrValue| active.set(node))
    };
    let mark_done = {
        let d = progress.dispatcher();
        Callback::from(move |n| d.dispatch(ProgressAction::Mark(n)))
    };
    let ctx = LessonCtx {
        lesson: props.id.clone(),
        lang,
        session: ls.session.clone(),
        registry: (*registry).clone(),
        show_node: show_node.clone(),
        mark_done,
    };
    let (title, steps) = match &text {
        Some(Ok(l)) => (l.summary.title.clone(), l.steps.len() as u32),
        _ => (String::new(), 0),
    };
    let article = match &text {
        None => html! { <p class="muted">{ s.loading }</p> },
        Some(Err(err)) => html! { <ErrorBanner error={Some(err.clone())} /> },
        Some(Ok(lesson)) => match &ls.session {
            Some(session) => view_lesson(&fill_lesson(lesson, &session.id, &ls.nodes), &progress, s.all_done),
            None => view_lesson(lesson, &progress, s.all_done),
        },
    };
    let terminals = view_terminals(&ls, &ctx, &active, &handle);
    html! {
        <ContextProvider<LessonCtx> context={ctx}>
            <div class="page lesson-page">
                <header class="topbar">
                    <Link<Route> to={Route::Home} classes="brand">{ "muelle" }</Link<Route>>
                    <Link<Route> to={Route::Catalog} classes="nav">{ s.lessons }</Link<Route>>
                    <span class="lesson-name">{ title }</span>
                    if steps > 0 {
                        <span class="pill progress-pill">{ format!("{}/{steps}", progress.count(steps)) }</span>
                    }
                    <span class="spacer"></span>
                    if let Some(s) = &ls.session {
                        <Countdown deadline_ms={s.deadline_ms} on_expire={ls.expire.clone()} />
                    }
                    <LangSwitch />
                </header>
                if let Some(cs) = &ls.session {
                    <crate::components::class_messages::ClassMessages session_id={cs.id.clone()} token={cs.token.clone()} />
                }
                <div class="lesson-layout">
                    <article class="lesson-text">{ article }</article>
                    <aside class="lesson-terms">{ terminals }</aside>
                </div>
            </div>
        </ContextProvider<LessonCtx>>
    }
}

fn view_lesson(lesson: &Lesson, progress: &Progress, all_done: &'static str) -> Html {
    let count = lesson.steps.len() as u32;
    let current = progress.current(count);
    let steps = lesson.steps.iter().zip(1u32..).map(|(step, n)| {
        html! {
            <LessonStepView key={n} step={step.clone()} number={n}
                            done={progress.is_done(n)} current={current == Some(n)} />
        }
    });
    html! {
        <>
            <h1 class="lesson-title">{ lesson.summary.title.clone() }</h1>
            <div class="intro">{ render_parts(&lesson.intro) }</div>
            { for steps }
            if count > 0 && current.is_none() {
                <p class="all-done">{ all_done }</p>
            }
        </>
    }
}

fn view_terminals(
    ls: &LessonSession,
    ctx: &LessonCtx,
    active: &UseStateHandle<AttrValue>,
    lang: &LangHandle,
) -> Html {
    let s = lang.strings();
    match &ls.session {
        Some(session) => {
            let nodes = ls.nodes.iter().map(NodeTab::of).collect::<Vec<_>>();
            let on_select = {
                let active = active.clone();
                Callback::from(move |n: AttrValue| active.set(n))
            };
            html! {
                <>
                if let Some(err) = &ls.setup_failed {
                    <div class="error-banner setup-failed" role="alert">
                        <p>{ s.setup_failed }</p>
                        <pre>{ err.clone() }</pre>
                    </div>
                }
                <TerminalTabs session_id={session.id.clone()} token={session.token.clone()} {nodes}
                              active={(**active).clone()} {on_select} registry={ctx.registry.clone()}
                              on_reset={ls.update.clone()} />
                </>
            }
        }
        None => {
            let start = ls.start.clone();
            let onclick = Callback::from(move |_: MouseEvent| start.emit(()));
            html! {
                <div class="lesson-start">
                    if ls.ended { <h2>{ s.session_ended }</h2> }
                    <p class="muted">{ s.start_first }</p>
                    <button type="button" class="start start-lesson" {onclick} disabled={ls.busy}>
                        { if ls.busy { s.preparing_env } else { s.start_lesson } }
                    </button>
                    <ErrorBanner error={ls.error.clone()} />
                </div>
            }
        }
    }
}
