//! One step of a lesson: its text and blocks, its tick, and Check / Skip / Next.

use protocol::{LessonPart, LessonStep};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::code_block::CodeBlock;
use crate::components::lesson_ctx::{use_lesson_ctx, LessonCtx};
use crate::hooks::use_lang;
use crate::i18n::Strings;
use crate::services::lesson_api;
use crate::services::page::confirm;

/// Renders server-rendered lesson content: trusted HTML and code blocks, in order.
pub fn render_parts(parts: &[LessonPart]) -> Html {
    parts
        .iter()
        .map(|part| match part {
            LessonPart::Html { html } => html! {
                <div class="prose">{ Html::from_html_unchecked(AttrValue::from(html.clone())) }</div>
            },
            LessonPart::Block(block) => html! { <CodeBlock block={block.clone()} /> },
            LessonPart::Details { summary_html, open, parts } => html! {
                <details class="fold" open={*open}>
                    <summary>{ Html::from_html_unchecked(AttrValue::from(summary_html.clone())) }</summary>
                    { render_parts(parts) }
                </details>
            },
        })
        .collect()
}

/// A note under the step's buttons.
#[derive(Clone, PartialEq)]
enum Note {
    /// The check failed: what is still wrong (the check's `fail=`), and the hint.
    NotYet(Option<String>, String),
    /// Skip failed: message and the solve script's output.
    Failed(String, String),
}

/// Props of [`LessonStepView`].
#[derive(Properties, PartialEq)]
pub struct LessonStepViewProps {
    /// The step.
    pub step: LessonStep,
    /// 1-based.
    pub number: u32,
    /// Ticked in this session.
    pub done: bool,
    /// Not ticked in this session, but in an earlier one of this lesson.
    #[prop_or_default]
    pub done_before: bool,
    /// The first step not yet done.
    pub current: bool,
}

/// `<section id="step-N">` with the step and its controls.
#[component]
pub fn LessonStepView(props: &LessonStepViewProps) -> Html {
    let lang = use_lang();
    let (s, ux) = (lang.strings(), lang.lang.ux());
    let ctx = use_lesson_ctx();
    let note = use_state(|| None::<Note>);
    let busy = use_state(|| false);
    let solution = use_state(|| None::<String>);
    let running = ctx.as_ref().is_some_and(|c| c.session.is_some());
    let n = props.number;
    let why = (!running).then_some(ux.start_first_short);
    let ui = StepUi {
        n,
        s,
        note: note.clone(),
        busy: busy.clone(),
    };
    let action = |f: StepAction| {
        let (ctx, ui) = (ctx.clone(), ui.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(ctx) = &ctx {
                f(ctx, ui.clone());
            }
        })
    };
    let class = classes!(
        "step",
        props.done.then_some("done"),
        props.done_before.then_some("done-before"),
        props.current.then_some("current")
    );
    html! {
        <section id={format!("step-{n}")} {class} data-step={n.to_string()}>
            <h2 class="step-title">
                <span class="step-num" aria-label={format!("{} {n}", s.step)}>{ n }</span>
                <span>{ props.step.title.clone() }</span>
                if props.done {
                    <span class="tick" role="img" aria-label={s.done} title={s.done}>{ "✓" }</span>
                } else if props.done_before {
                    <span class="done-before">{ ux.done_before }</span>
                }
            </h2>
            { render_parts(&props.step.parts) }
            <div class="step-actions">
                if props.step.has_check {
                    <button type="button" class="check" disabled={!running || *busy} title={why} onclick={action(check)}>{ s.check }</button>
                } else {
                    <button type="button" class="next" onclick={action(next)}>{ s.next }</button>
                }
                if (props.step.has_solve || props.step.has_check) && !props.done {
                    <button type="button" class="skip" disabled={!running || *busy} title={why} onclick={action(skip)}>{ s.skip }</button>
                }
                if props.step.has_solution {
                    <button type="button" class="show-solution" disabled={!running || *busy} title={why}
                            onclick={toggle_solution(ctx.clone(), ui.clone(), solution.clone())}>
                        { if solution.is_some() { s.hide_solution } else { s.show_solution } }
                    </button>
                }
            </div>
            if let Some(text) = &*solution {
                <pre class="solution" aria-label={s.show_solution}><code>{ text.clone() }</code></pre>
            }
            if !props.done { { view_note(&note, s) } }
        </section>
    }
}

fn view_note(note: &Option<Note>, s: &Strings) -> Html {
    match note {
        None => html! {},
        Some(Note::NotYet(None, hint)) => html! {
            <p class="hint" role="status"><strong>{ s.not_yet }</strong>{ " " }{ hint.clone() }</p>
        },
        Some(Note::NotYet(Some(fail), hint)) => html! {
            <div class="hint" role="status">
                <p><strong>{ s.not_yet }</strong>{ " " }{ fail.clone() }</p>
                <p>{ hint.clone() }</p>
            </div>
        },
        Some(Note::Failed(message, output)) => html! {
            <div class="hint fail" role="status">
                <strong>{ message.clone() }</strong>
                if !output.is_empty() { <pre class="block-output">{ output.clone() }</pre> }
            </div>
        },
    }
}

/// What a step's button handler works on.
#[derive(Clone)]
struct StepUi {
    /// 1-based step number.
    n: u32,
    s: &'static Strings,
    note: UseStateHandle<Option<Note>>,
    busy: UseStateHandle<bool>,
}

type StepAction = fn(&LessonCtx, StepUi);

/// "Check": runs the step's check; a pass ticks the step, a failure shows the hint.
fn check(ctx: &LessonCtx, ui: StepUi) {
    let StepUi {
        n,
        s,
        note,
        busy,
    } = ui;
    let Some((id, token)) = ctx.creds() else {
        return;
    };
    let (lang, mark) = (ctx.lang.to_string(), ctx.mark_done.clone());
    busy.set(true);
    spawn_local(async move {
        let result = lesson_api::check_step(&id, &token, n, &lang).await;
        busy.set(false);
        match result {
            Ok(status) if status.done => {
                note.set(None);
                mark.emit(n);
            }
            Ok(status) => note.set(Some(Note::NotYet(
                status.fail,
                status.hint.unwrap_or_else(|| s.no_hint.into()),
            ))),
            Err(err) => note.set(Some(Note::Failed(err.to_string(), String::new()))),
        }
    });
}

/// "Skip": after a confirmation, the server solves the step (its solve script, or a replay of
/// its blocks) and the step is ticked if its check then passes.
fn skip(ctx: &LessonCtx, ui: StepUi) {
    let StepUi {
        n,
        s,
        note,
        busy,
    } = ui;
    if !confirm(s.confirm_skip) {
        return;
    }
    let Some((id, token)) = ctx.creds() else {
        return;
    };
    let (lang, mark) = (ctx.lang.to_string(), ctx.mark_done.clone());
    busy.set(true);
    spawn_local(async move {
        let result = lesson_api::solve_step(&id, &token, n, &lang).await;
        busy.set(false);
        match result {
            Ok(r) if r.ok => {
                note.set(None);
                mark.emit(n);
            }
            Ok(r) => note.set(Some(Note::Failed(s.skip_failed.into(), r.output))),
            Err(err) => note.set(Some(Note::Failed(
                format!("{}: {err}", s.skip_failed),
                String::new(),
            ))),
        }
    });
}

/// "Show solution": fetches the step's solution from the server and shows it; pressed again,
/// hides it.
fn toggle_solution(ctx: Option<LessonCtx>, ui: StepUi, solution: UseStateHandle<Option<String>>) -> Callback<MouseEvent> {
    Callback::from(move |_: MouseEvent| {
        if solution.is_some() {
            return solution.set(None);
        }
        let Some((id, token)) = ctx.as_ref().and_then(LessonCtx::creds) else {
            return;
        };
        let lang = ctx.as_ref().map(|c| c.lang.to_string()).unwrap_or_default();
        let (n, note, solution) = (ui.n, ui.note.clone(), solution.clone());
        spawn_local(async move {
            match lesson_api::step_solution(&id, &token, n, &lang).await {
                Ok(s) => solution.set(Some(s.text)),
                Err(err) => note.set(Some(Note::Failed(err.to_string(), String::new()))),
            }
        });
    })
}

/// A reading step: tick it and bring the next step into view.
fn next(ctx: &LessonCtx, ui: StepUi) {
    let n = ui.n;
    ctx.mark_done.emit(n);
    #[cfg(target_arch = "wasm32")]
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("step-{}", n + 1)))
    {
        el.scroll_into_view();
    }
}

