//! `/lessons/{id}`: the lesson text and the session's terminals side by side, with a split the
//! learner can drag (on a phone: two tabs, Lesson and Terminal).
//!
//! Progress belongs to the session the checks ran on: the ticks shown are this session's
//! (localStorage, keyed by the session id); the steps finished in earlier sessions of the lesson
//! are the lesson's history, shown apart as "done before". A lesson session outlives the page:
//! leaving it keeps the session, and the catalog shows it with Resume and End (see
//! `storage::running_lesson`), so it never runs unseen.

use protocol::{Lesson, LessonSummary};
use yew::platform::spawn_local;
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
use crate::i18n::{Strings, Ux};
use crate::routes::Route;
use crate::services::lesson_api;
use crate::services::lesson_logic::{fill_lesson, next_lesson, Progress, ProgressAction};
use crate::services::page::{announce_resize, clamp_split, confirm, use_title};
use crate::services::storage;

/// Props of [`LessonPage`].
#[derive(Properties, PartialEq)]
pub struct LessonPageProps {
    /// Lesson id from the URL.
    pub id: AttrValue,
}

/// Which half a narrow screen shows.
#[derive(Clone, Copy, PartialEq)]
enum Pane {
    Text,
    Terminal,
}

/// `/lessons/{id}`
#[component]
pub fn LessonPage(props: &LessonPageProps) -> Html {
    let handle = use_lang();
    let (s, ux) = (handle.strings(), handle.lang.ux());
    let text = use_lesson_text(props.id.clone(), handle.lang);
    let ls = use_lesson_session(props.id.clone());
    let sid = ls.session.as_ref().map(|s| s.id.clone());
    let progress = use_reducer({
        let sid = sid.clone();
        move || sid.as_deref().map(storage::load_session_progress).unwrap_or_default()
    });
    let history = use_state(|| storage::load_progress(&props.id));
    {
        // Another session (started, ended) brings its own ticks.
        let d = progress.dispatcher();
        use_effect_with(sid.clone(), move |sid| {
            d.dispatch(ProgressAction::Replace(sid.as_deref().map(storage::load_session_progress).unwrap_or_default()));
        });
    }
    {
        let (lesson, history) = (props.id.clone(), history.clone());
        use_effect_with(((*progress).clone(), sid.clone()), move |(p, sid)| {
            if let Some(id) = sid {
                storage::save_session_progress(id, p);
            }
            let mut all = storage::load_progress(&lesson);
            let before = all.clone();
            for step in &p.done {
                all.mark(*step);
            }
            if all != before {
                storage::save_progress(&lesson, &all);
                history.set(all);
            }
        });
    }
    let lang: AttrValue = match &text {
        Some(Ok(l)) => l.summary.lang.clone().into(),
        _ => handle.lang.code().into(),
    };
    use_progress_poll(ls.session.clone(), lang.clone(), progress.dispatcher());
    let catalog = use_catalog();
    let registry = use_memo((), |()| TerminalRegistry::default());
    let active = use_state(|| AttrValue::from("node1"));
    let pane = use_state(|| Pane::Text);
    let show_node = {
        let (active, pane) = (active.clone(), pane.clone());
        Callback::from(move |node: AttrValue| {
            active.set(node);
            if *pane != Pane::Terminal {
                pane.set(Pane::Terminal);
                announce_resize();
            }
        })
    };
    let mark_done = {
        let d = progress.dispatcher();
        Callback::from(move |n| d.dispatch(ProgressAction::Mark(n)))
    };
    let ctx = LessonCtx {
        lesson: props.id.clone(),
        lang: lang.clone(),
        session: ls.session.clone(),
        registry: (*registry).clone(),
        show_node: show_node.clone(),
        mark_done,
    };
    let (title, steps) = match &text {
        Some(Ok(l)) => (l.summary.title.clone(), l.steps.len() as u32),
        Some(Err(_)) => (s.not_found.to_string(), 0),
        None => (String::new(), 0),
    };
    use_title(title.clone());
    let next = match (&*catalog, &text) {
        (Some(all), Some(Ok(_))) => next_lesson(all.clone(), &props.id, &lang),
        _ => None,
    };
    let reset = {
        let (lesson, history, d) = (props.id.clone(), history.clone(), progress.dispatcher());
        Callback::from(move |_: MouseEvent| {
            if confirm(ux.confirm_reset_progress) {
                storage::save_progress(&lesson, &Progress::default());
                history.set(Progress::default());
                d.dispatch(ProgressAction::Replace(Progress::default()));
            }
        })
    };
    let marks = Marks { progress: &progress, history: &history };
    let article = match &text {
        None => html! { <p class="muted">{ s.loading }</p> },
        Some(Err(err)) => html! { <ErrorBanner error={Some(err.clone())} /> },
        Some(Ok(lesson)) => {
            let filled = ls.session.as_ref().map(|session| fill_lesson(lesson, &session.id, &ls.nodes));
            let end = lesson_end(&marks, steps, next.as_ref(), reset, s, ux);
            html! { <>{ view_lesson(filled.as_ref().unwrap_or(lesson), &marks) }{ end }</> }
        }
    };
    let found = matches!(&text, Some(Ok(_)));
    let terminals = if found { view_terminals(&ls, &ctx, &active, &handle) } else { html! {} };
    let end_session = {
        let end = ls.end.clone();
        Callback::from(move |_: MouseEvent| {
            if confirm(ux.confirm_end) {
                end.emit(());
            }
        })
    };
    let select_pane = |p: Pane| {
        let pane = pane.clone();
        Callback::from(move |_: MouseEvent| {
            pane.set(p);
            announce_resize();
        })
    };
    let pane_class = if *pane == Pane::Text { "show-text" } else { "show-term" };
    // On a phone the Start panel is behind the Terminal tab: the tab bar offers Start too.
    let start_here = {
        let (start, pane) = (ls.start.clone(), pane.clone());
        Callback::from(move |_: MouseEvent| {
            start.emit(());
            pane.set(Pane::Terminal);
            announce_resize();
        })
    };
    html! {
        <ContextProvider<LessonCtx> context={ctx}>
            <div class="page lesson-page">
                <header class="topbar">
                    <Link<Route> to={Route::Home} classes="brand">{ "muelle" }</Link<Route>>
                    <Link<Route> to={Route::Catalog} classes="nav">{ s.lessons }</Link<Route>>
                    <span class="lesson-name">{ title }</span>
                    { progress_pill(&marks, steps, ls.session.is_some(), ux) }
                    <span class="spacer"></span>
                    if let Some(session) = &ls.session {
                        <Countdown deadline_ms={session.deadline_ms} on_expire={ls.expire.clone()} />
                        <button type="button" class="end end-lesson" onclick={end_session}>{ s.end_session }</button>
                    }
                    <LangSwitch />
                </header>
                if let Some(cs) = &ls.session {
                    <crate::components::class_messages::ClassMessages session_id={cs.id.clone()} token={cs.token.clone()} />
                }
                                if found {
                    <div class="pane-tabs" role="tablist" aria-label={title_or(&text)}>
                        <button type="button" role="tab" id="pane-tab-text" aria-controls="lesson-text"
                                aria-selected={(*pane == Pane::Text).to_string()} onclick={select_pane(Pane::Text)}>
                            { ux.tab_text }
                        </button>
                        <button type="button" role="tab" id="pane-tab-term" aria-controls="lesson-terms"
                                aria-selected={(*pane == Pane::Terminal).to_string()} onclick={select_pane(Pane::Terminal)}>
                            { ux.tab_terminal }
                        </button>
                    </div>
                    if ls.session.is_none() {
                        <button type="button" class="start pane-start" onclick={start_here} disabled={ls.busy}>
                            { if ls.busy { s.preparing_env } else { s.start_lesson } }
                        </button>
                    }
                }
                <Split class={classes!("lesson-layout", pane_class, (!found).then_some("text-only"))} label={ux.resize_split}>
                    <article id="lesson-text" class="lesson-text" aria-labelledby="pane-tab-text">{ article }</article>
                    <aside id="lesson-terms" class="lesson-terms" aria-labelledby="pane-tab-term">{ terminals }</aside>
                </Split>
            </div>
        </ContextProvider<LessonCtx>>
    }
}

fn title_or(text: &Option<Result<Lesson, crate::error::Error>>) -> String {
    match text {
        Some(Ok(l)) => l.summary.title.clone(),
        _ => String::new(),
    }
}

/// The catalog (for "Next lesson"), fetched once.
#[hook]
fn use_catalog() -> UseStateHandle<Option<Vec<LessonSummary>>> {
    let all = use_state(|| None);
    {
        let all = all.clone();
        use_effect_with((), move |()| {
            spawn_local(async move {
                match lesson_api::list_lessons().await {
                    Ok(list) => all.set(Some(list)),
                    Err(err) => log::debug!("catalog for next lesson: {err}"),
                }
            });
        });
    }
    all
}

/// This session's ticks and every session's (the lesson's history).
struct Marks<'a> {
    progress: &'a Progress,
    history: &'a Progress,
}

/// "3/7" for this session, and "· 7/7 before" when earlier sessions got further; without a
/// session, only what was done before.
fn progress_pill(marks: &Marks, steps: u32, running: bool, ux: &Ux) -> Html {
    if steps == 0 {
        return html! {};
    }
    let now = marks.progress.count(steps);
    let before = marks.history.count(steps);
    let text = match (running, before > now) {
        (true, false) => format!("{now}/{steps}"),
        (true, true) => format!("{now}/{steps} · {before}/{steps} {}", ux.before),
        (false, _) if before > 0 => format!("{before}/{steps} {}", ux.done_before),
        (false, _) => format!("{now}/{steps}"),
    };
    html! { <span class="pill progress-pill">{ text }</span> }
}

fn view_lesson(lesson: &Lesson, marks: &Marks) -> Html {
    let count = lesson.steps.len() as u32;
    let current = marks.progress.current(count);
    let steps = lesson.steps.iter().zip(1u32..).map(|(step, n)| {
        let done = marks.progress.is_done(n);
        html! {
            <LessonStepView key={n} step={step.clone()} number={n} {done}
                            done_before={!done && marks.history.is_done(n)}
                            current={current == Some(n)} />
        }
    });
    html! {
        <>
            <h1 class="lesson-title">{ lesson.summary.title.clone() }</h1>
            <div class="intro">{ render_parts(&lesson.intro) }</div>
            { for steps }
        </>
    }
}

/// The end of the text: "all done", the next lesson and Reset progress.
fn lesson_end(marks: &Marks, steps: u32, next: Option<&LessonSummary>, reset: Callback<MouseEvent>, s: &Strings, ux: &Ux) -> Html {
    let finished = steps > 0 && marks.progress.current(steps).is_none();
    let any = marks.progress.count(steps) > 0 || marks.history.count(steps) > 0;
    html! {
        <footer class="lesson-end">
            if finished {
                <p class="all-done" role="status">{ s.all_done }</p>
            }
            <div class="lesson-end-actions">
                if let Some(next) = next {
                    <Link<Route> to={Route::Lesson { id: next.id.clone() }}
                                 classes={classes!("next-lesson", finished.then_some("primary"))}>
                        { format!("{}: {} →", ux.next_lesson, next.title) }
                    </Link<Route>>
                }
                if any {
                    <button type="button" class="reset-progress" onclick={reset}>{ ux.reset_progress }</button>
                }
            </div>
        </footer>
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
                <ErrorBanner error={ls.error.clone()} />
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

/// Props of [`Split`].
#[derive(Properties, PartialEq)]
struct SplitProps {
    class: Classes,
    /// Accessible name of the handle.
    label: &'static str,
    /// Exactly two children: the left and the right side.
    children: Html,
}

/// Two columns with a handle between them, dragged with the pointer or moved with the arrow
/// keys (±5 %); the width is remembered. The handle is the grid's middle column (a CSS `order`
/// puts it between the children).
#[component]
fn Split(props: &SplitProps) -> Html {
    let split = use_state(|| clamp_split(storage::load_split().unwrap_or(42.0)));
    let dragging = use_state(|| false);
    let layout = use_node_ref();
    let set = {
        let split = split.clone();
        Callback::from(move |p: f64| {
            let p = clamp_split(p);
            split.set(p);
            storage::save_split(p);
            announce_resize();
        })
    };
    let onpointerdown = {
        let dragging = dragging.clone();
        Callback::from(move |ev: PointerEvent| {
            if let Some(el) = ev.target_dyn_into::<web_sys::Element>() {
                let _ = el.set_pointer_capture(ev.pointer_id());
            }
            ev.prevent_default();
            dragging.set(true);
        })
    };
    let onpointermove = {
        let (dragging, layout, set) = (dragging.clone(), layout.clone(), set.clone());
        Callback::from(move |ev: PointerEvent| {
            if !*dragging {
                return;
            }
            if let Some(el) = layout.cast::<web_sys::Element>() {
                let r = el.get_bounding_client_rect();
                if r.width() > 0.0 {
                    set.emit((f64::from(ev.client_x()) - r.left()) * 100.0 / r.width());
                }
            }
        })
    };
    let onpointerup = {
        let dragging = dragging.clone();
        Callback::from(move |_: PointerEvent| dragging.set(false))
    };
    let onkeydown = {
        let (split, set) = (split.clone(), set.clone());
        Callback::from(move |ev: KeyboardEvent| {
            let step = match ev.key().as_str() {
                "ArrowLeft" => -5.0,
                "ArrowRight" => 5.0,
                _ => return,
            };
            ev.prevent_default();
            set.emit(*split + step);
        })
    };
    html! {
        <main ref={layout} class={props.class.clone()} style={format!("--split: {:.1}%", *split)}>
            { props.children.clone() }
            <div class={classes!("splitter", dragging.then_some("dragging"))} role="separator" tabindex="0"
                 aria-orientation="vertical" aria-label={props.label} aria-valuemin="20" aria-valuemax="80"
                 aria-valuenow={format!("{:.0}", *split)} aria-controls="lesson-text"
                 {onpointerdown} {onpointermove} {onpointerup} {onkeydown}></div>
        </main>
    }
}
