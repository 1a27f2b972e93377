//! The node bar's **SSH** button: shows the `ssh` command that opens a shell on the shown node
//! from the student's own terminal (`GET …/ssh?node=`): the password form (`node1.<id>`, the
//! password being the session token, with a button that copies the token) and the form that
//! needs no password, each with Copy; or says that the server has no SSH endpoint.

use protocol::ssh::SshInfo;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::code_block::copy_text;
use crate::hooks::use_lang;
use crate::services::play_api;

/// Props of [`SshButton`].
#[derive(Properties, PartialEq)]
pub struct SshButtonProps {
    /// Session id.
    pub session_id: AttrValue,
    /// Bearer token.
    pub token: AttrValue,
    /// The node shown.
    pub node: AttrValue,
}

#[derive(Clone, PartialEq)]
enum State {
    Closed,
    Loading,
    Shown(SshInfo),
    Failed(String),
}

/// The button and, once pressed, the panel with the command.
#[component]
pub fn SshButton(props: &SshButtonProps) -> Html {
    let lang = use_lang();
    let (t, ux) = (lang.lang.ssh(), lang.lang.ux());
    let s = lang.strings();
    let state = use_state(|| State::Closed);
    let copied = use_state(|| None::<&'static str>);
    {
        // Another node shown: its command is another.
        let (state, copied) = (state.clone(), copied.clone());
        use_effect_with(props.node.clone(), move |_| {
            state.set(State::Closed);
            copied.set(None);
        });
    }
    let open = *state != State::Closed;
    let toggle = {
        let (state, copied) = (state.clone(), copied.clone());
        let (id, token, node) = (props.session_id.to_string(), props.token.to_string(), props.node.to_string());
        Callback::from(move |_: MouseEvent| {
            copied.set(None);
            if *state != State::Closed {
                state.set(State::Closed);
                return;
            }
            state.set(State::Loading);
            let (state, id, token, node) = (state.clone(), id.clone(), token.clone(), node.clone());
            spawn_local(async move {
                state.set(match play_api::ssh(&id, &token, &node).await {
                    Ok(info) => State::Shown(info),
                    Err(err) => State::Failed(err.to_string()),
                });
            });
        })
    };
    let body = match &*state {
        State::Closed => html! {},
        State::Loading => html! { <p class="muted">{ t.loading }</p> },
        State::Failed(err) => html! { <p class="error">{ err.clone() }</p> },
        State::Shown(info) => match &info.command {
            Some(command) if info.enabled => {
                // One Copy button per text: the note under the panel says which was copied.
                let copy = |text: String| {
                    let copied = copied.clone();
                    let (done, blocked) = (ux.copied_short, ux.clipboard_blocked);
                    Callback::from(move |_: MouseEvent| {
                        let (text, copied) = (text.clone(), copied.clone());
                        spawn_local(async move {
                            copied.set(Some(if copy_text(&text).await.is_ok() { done } else { blocked }));
                        });
                    })
                };
                let node = info.node.as_deref().unwrap_or(&props.node);
                html! {
                    <>
                        if let (Some(pw_command), Some(pw_user)) = (&info.password_command, &info.password_user) {
                            <p>{ t.intro.replace("{node}", node) }</p>
                            <div class="ssh-command">
                                <code class="ssh-cmd ssh-pw-cmd">{ pw_command.clone() }</code>
                                <button type="button" class="ssh-copy ssh-copy-pw-cmd" onclick={copy(pw_command.clone())}>{ s.copy }</button>
                            </div>
                            <p class="ssh-password">
                                { t.user_label }{ " " }<code class="ssh-user">{ pw_user.clone() }</code>{ " · " }{ t.password_is_token }{ " " }
                                if !props.token.is_empty() {
                                    <button type="button" class="ssh-copy ssh-copy-token" onclick={copy(props.token.to_string())}>{ t.copy_token }</button>
                                }
                            </p>
                            <p class="ssh-files">{ t.files }{ " " }<code class="ssh-scp">{ scp_command(pw_command, info.port, t.file_example) }</code></p>
                            <p class="muted ssh-alt">{ t.no_password }</p>
                        } else {
                            <p>{ t.intro.replace("{node}", node) }</p>
                        }
                        <div class="ssh-command">
                            <code class="ssh-cmd ssh-key-cmd">{ command.clone() }</code>
                            <button type="button" class="ssh-copy ssh-copy-key-cmd" onclick={copy(command.clone())}>{ s.copy }</button>
                        </div>
                        if let Some(note) = *copied {
                            <p class="ssh-copied" role="status">{ note }</p>
                        }
                        <p class="muted ssh-note">{ t.note }</p>
                    </>
                }
            }
            _ => html! { <p class="ssh-disabled">{ t.disabled }</p> },
        },
    };
    let close = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.set(State::Closed))
    };
    html! {
        <span class="ssh">
            <button type="button" class="ssh-toggle" aria-pressed={open.to_string()} aria-expanded={open.to_string()}
                    title={t.title} onclick={toggle}>{ t.button }</button>
            if open {
                <div class="ssh-panel" role="dialog" aria-label={t.title}>
                    { body }
                    <button type="button" class="ssh-close" aria-label={t.close} title={t.close} onclick={close}>{ "×" }</button>
                </div>
            }
        </span>
    }
}

/// The `scp` line beside an `ssh -p PORT user@host` command: `scp -P PORT file user@host:`.
fn scp_command(ssh_command: &str, port: Option<u16>, file: &str) -> String {
    let dest = ssh_command.rsplit(' ').next().unwrap_or_default();
    match port {
        Some(p) if p != 22 => format!("scp -P {p} {file} {dest}:"),
        _ => format!("scp {file} {dest}:"),
    }
}
