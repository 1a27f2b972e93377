//! A lesson's code block and its button: Run types it into a terminal, Write file asks the
//! server to write it, Copy puts it on the clipboard.

use protocol::{BlockKind, LessonBlock};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::lesson_ctx::{use_lesson_ctx, LessonCtx};
use crate::hooks::use_lang;
use crate::i18n::{Strings, Ux};
use crate::services::{lesson_api, lesson_logic::{keystrokes, run_targets}};

/// What the last press of the button did.
#[derive(Clone, PartialEq)]
struct Outcome {
    ok: bool,
    message: String,
    /// Output of a failed write, shown under the message.
    output: String,
}

/// Props of [`CodeBlock`].
#[derive(Properties, PartialEq)]
pub struct CodeBlockProps {
    /// The block as the server sent it.
    pub block: LessonBlock,
}

/// One fenced block of a step.
#[component]
pub fn CodeBlock(props: &CodeBlockProps) -> Html {
    let lang = use_lang();
    let (s, ux) = (lang.strings(), lang.lang.ux());
    let ctx = use_lesson_ctx();
    let outcome = use_state(|| None::<Outcome>);
    let b = &props.block;
    let (label, needs_session) = match b.kind {
        BlockKind::Run => (s.run, true),
        BlockKind::File => (s.write_file, true),
        BlockKind::Plain => (s.copy, false),
    };
    let enabled = !needs_session || ctx.as_ref().is_some_and(|c| c.session.is_some());
    // A disabled Run says why, on the button (title) and next to it.
    let why = (!enabled).then_some(ux.start_first_short);
    let copied = b.kind == BlockKind::Plain && outcome.as_ref().is_some_and(|o| o.ok);
    let onclick = {
        let (block, outcome) = (b.clone(), outcome.clone());
        Callback::from(move |_: MouseEvent| press(&block, ctx.as_ref(), (s, ux), &outcome))
    };
    let kind = match b.kind {
        BlockKind::Run => "run",
        BlockKind::File => "file",
        BlockKind::Plain => "plain",
    };
    let caption = b.path.clone().unwrap_or_else(|| b.lang.clone());
    html! {
        <div class={classes!("block", format!("block-{kind}"))} data-block={b.id.clone()}>
            <div class="block-bar">
                <span class="block-caption">{ caption }</span>
                if b.kind != BlockKind::Plain {
                    <span class="block-node">{ b.node.clone() }</span>
                }
                if b.interactive {
                    <span class="block-badge">{ s.interactive }</span>
                }
                <span class="spacer"></span>
                if let Some(why) = why {
                    <span class="block-why" id={format!("why-{}", b.id)}>{ why }</span>
                }
                <button type="button" class={classes!("block-btn", kind, copied.then_some("copied"))} disabled={!enabled}
                        title={why} aria-describedby={why.map(|_| format!("why-{}", b.id))} {onclick}>
                    { if copied { format!("{} ✓", ux.copied_short) } else { label.to_string() } }
                </button>
            </div>
            <pre><code>{ b.code.trim_end() }</code></pre>
            if let Some(o) = &*outcome {
                <p class={classes!("block-status", if o.ok { "ok" } else { "fail" })} role="status">
                    { o.message.clone() }
                </p>
                if !o.output.is_empty() {
                    <pre class="block-output">{ o.output.clone() }</pre>
                }
            }
        </div>
    }
}

fn press(
    block: &LessonBlock,
    ctx: Option<&LessonCtx>,
    (s, ux): (&'static Strings, &'static Ux),
    outcome: &UseStateHandle<Option<Outcome>>,
) {
    let say = |ok: bool, message: &str| {
        outcome.set(Some(Outcome {
            ok,
            message: message.into(),
            output: String::new(),
        }))
    };
    match (block.kind, ctx) {
        (BlockKind::Plain, _) => {
            let (code, outcome) = (block.code.clone(), outcome.clone());
            let blocked = ux.clipboard_blocked;
            spawn_local(async move {
                let (ok, message) = match copy_text(&code).await {
                    Ok(()) => (true, s.copied),
                    Err(()) => (false, blocked),
                };
                outcome.set(Some(Outcome { ok, message: message.into(), output: String::new() }));
            });
        }
        (BlockKind::Run, Some(ctx)) => {
            let nodes = ctx.session.as_ref().map_or_else(Vec::new, |s| s.nodes.clone());
            let targets = run_targets(&block.node, &nodes);
            if let Some(first) = targets.first() {
                ctx.show_node.emit(first.clone().into());
            }
            let keys = keystrokes(block);
            // Every target gets the keys, even when an earlier one is not connected.
            let sent = targets.iter().filter(|n| ctx.registry.get(n).is_some_and(|term| term.send(&keys))).count();
            if sent == targets.len() && sent > 0 {
                outcome.set(None)
            } else {
                say(false, s.not_connected)
            }
        }
        (BlockKind::File, Some(ctx)) => write_file(block, ctx, s, outcome.clone()),
        _ => {}
    }
}

fn write_file(
    block: &LessonBlock,
    ctx: &LessonCtx,
    s: &'static Strings,
    outcome: UseStateHandle<Option<Outcome>>,
) {
    let Some((id, token)) = ctx.creds() else {
        return;
    };
    let (block_id, lang) = (block.id.clone(), ctx.lang.to_string());
    let path = block.path.clone().unwrap_or_default();
    spawn_local(async move {
        let result = lesson_api::write_block(&id, &token, &block_id, &lang).await;
        outcome.set(Some(match result {
            Ok(r) if r.ok => Outcome {
                ok: true,
                message: format!("{}: {path}", s.file_written),
                output: String::new(),
            },
            Ok(r) => Outcome {
                ok: false,
                message: s.file_failed.into(),
                output: r.output,
            },
            Err(err) => Outcome {
                ok: false,
                message: format!("{}: {err}", s.file_failed),
                output: String::new(),
            },
        }));
    });
}

/// `navigator.clipboard.writeText`; `Err` when the browser refuses (no permission, insecure
/// origin), so that the button says so instead of "Copied".
pub(crate) async fn copy_text(text: &str) -> Result<(), ()> {
    #[cfg(target_arch = "wasm32")]
    {
        let w = web_sys::window().ok_or(())?;
        let promise = w.navigator().clipboard().write_text(text);
        wasm_bindgen_futures::JsFuture::from(promise).await.map(drop).map_err(|err| log::warn!("clipboard: {err:?}"))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = text;
        Err(())
    }
}
