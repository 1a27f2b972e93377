//! The file browser and editor of a node: a directory listing (enter directories, go up), a
//! plain-text editor (a textarea with line numbers; Ctrl+S saves), new files, and downloads of a
//! file or of the shown directory as a tar. Everything goes through `…/nodes/{node}/files`.

use protocol::{FileKind, FileList};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::error_banner::ErrorBanner;
use crate::error::Error;
use crate::hooks::use_lang;
use crate::services::play_api::{self, join, parent, MAX_EDIT_BYTES};

/// Where the browser opens.
const START_DIR: &str = "/root";

/// Props of [`FileBrowser`].
#[derive(Properties, PartialEq)]
pub struct FileBrowserProps {
    /// Session id.
    pub session_id: AttrValue,
    /// Bearer token.
    pub token: AttrValue,
    /// The node browsed.
    pub node: AttrValue,
    /// Closes the browser.
    pub on_close: Callback<()>,
}

/// A file open in the editor.
#[derive(Clone, PartialEq)]
struct Open {
    path: String,
    text: String,
    dirty: bool,
}

/// The browser: the listing on the left, the editor (when a file is open) on the right.
#[component]
pub fn FileBrowser(props: &FileBrowserProps) -> Html {
    let s = use_lang().strings();
    let cwd = use_state(|| START_DIR.to_string());
    let list = use_state(|| None::<FileList>);
    let open = use_state(|| None::<Open>);
    let note = use_state(|| None::<&'static str>);
    let error = use_state(|| None::<Error>);
    let reload = use_state(|| 0u32);
    let creds = (props.session_id.to_string(), props.token.to_string(), props.node.to_string());
    {
        let (list, error) = (list.clone(), error.clone());
        use_effect_with(((*cwd).clone(), creds.clone(), *reload), move |(dir, (id, token, node), _)| {
            let (dir, id, token, node) = (dir.clone(), id.clone(), token.clone(), node.clone());
            spawn_local(async move {
                match play_api::list_dir(&id, &token, &node, &dir).await {
                    Ok(l) => {
                        list.set(Some(l));
                        error.set(None);
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        });
    }
    let go = {
        let (cwd, open) = (cwd.clone(), open.clone());
        Callback::from(move |dir: String| {
            cwd.set(dir);
            let _ = &open;
        })
    };
    let open_file = {
        let (open, error, note, creds) = (open.clone(), error.clone(), note.clone(), creds.clone());
        Callback::from(move |(path, size): (String, u64)| {
            if size > MAX_EDIT_BYTES {
                note.set(Some(s.too_big_to_edit));
                return;
            }
            let (open, error, note, (id, token, node)) = (open.clone(), error.clone(), note.clone(), creds.clone());
            spawn_local(async move {
                match play_api::read_bytes(&id, &token, &node, &path, false).await {
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(text) => {
                            note.set(None);
                            open.set(Some(Open { path, text, dirty: false }));
                        }
                        Err(_) => note.set(Some(s.too_big_to_edit)),
                    },
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let download = {
        let (error, creds) = (error.clone(), creds.clone());
        Callback::from(move |(path, dir): (String, bool)| {
            let (error, (id, token, node)) = (error.clone(), creds.clone());
            spawn_local(async move {
                match play_api::read_bytes(&id, &token, &node, &path, true).await {
                    Ok(bytes) => {
                        let base = path.trim_end_matches('/').rsplit('/').next().filter(|b| !b.is_empty()).unwrap_or("root");
                        let name = if dir { format!("{base}.tar") } else { base.to_string() };
                        play_api::offer_download(&name, &bytes);
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let new_file = {
        let (open, cwd) = (open.clone(), cwd.clone());
        Callback::from(move |_: MouseEvent| {
            let name = web_sys::window().and_then(|w| w.prompt_with_message(s.new_file_name).ok().flatten());
            if let Some(name) = name.map(|n| n.trim().to_string()).filter(|n| valid_name(n)) {
                open.set(Some(Open { path: join(&cwd, &name), text: String::new(), dirty: true }));
            }
        })
    };
    let save = {
        let (open, error, note, reload, creds) = (open.clone(), error.clone(), note.clone(), reload.clone(), creds.clone());
        Callback::from(move |()| {
            let Some(file) = (*open).clone() else { return };
            let (open, error, note, reload, (id, token, node)) =
                (open.clone(), error.clone(), note.clone(), reload.clone(), creds.clone());
            spawn_local(async move {
                match play_api::save_text(&id, &token, &node, &file.path, &file.text).await {
                    Ok(()) => {
                        open.set(Some(Open { dirty: false, ..file }));
                        note.set(Some(s.saved));
                        error.set(None);
                        reload.set(reload.wrapping_add(1));
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let entries = match &*list {
        None => html! { <p class="muted">{ s.loading }</p> },
        Some(l) => l
            .entries
            .iter()
            .map(|e| {
                let path = join(&l.path, &e.name);
                let is_dir = e.kind == FileKind::Dir;
                let onclick = {
                    let (go, open_file, path, size) = (go.clone(), open_file.clone(), path.clone(), e.size);
                    Callback::from(move |_: MouseEvent| {
                        if is_dir { go.emit(path.clone()) } else { open_file.emit((path.clone(), size)) }
                    })
                };
                let dl = {
                    let (download, path) = (download.clone(), path.clone());
                    Callback::from(move |_: MouseEvent| download.emit((path.clone(), is_dir)))
                };
                let icon = match e.kind { FileKind::Dir => "📁", FileKind::Link => "🔗", _ => "📄" };
                html! {
                    <li class={classes!("entry", is_dir.then_some("dir"))}>
                        <button type="button" class="entry-open" data-name={e.name.clone()} {onclick}>
                            <span aria-hidden="true">{ icon }</span>{ format!(" {}", e.name) }
                        </button>
                        if !is_dir {
                            <span class="size">{ e.size.to_string() }</span>
                        }
                        <button type="button" class="entry-download" title={s.download} aria-label={format!("{} {}", s.download, e.name)} onclick={dl}>{ "⤓" }</button>
                    </li>
                }
            })
            .collect(),
    };
    let up = {
        let (go, cwd) = (go.clone(), cwd.clone());
        Callback::from(move |_: MouseEvent| go.emit(parent(&cwd)))
    };
    let download_dir = {
        let (download, cwd) = (download.clone(), cwd.clone());
        Callback::from(move |_: MouseEvent| download.emit(((*cwd).clone(), true)))
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <section class="files" aria-label={s.files}>
            <div class="files-list">
                <div class="files-bar">
                    <button type="button" class="files-up" onclick={up} disabled={*cwd == "/"}>{ format!("↑ {}", s.parent_dir) }</button>
                    <code class="files-path">{ (*cwd).clone() }</code>
                    <button type="button" class="files-new" onclick={new_file}>{ s.new_file }</button>
                    <button type="button" class="files-download" onclick={download_dir}>{ s.download }</button>
                    <button type="button" class="files-close" onclick={close}>{ s.close }</button>
                </div>
                <ErrorBanner error={(*error).clone()} />
                if let Some(n) = *note {
                    <p class="files-note" role="status">{ n }</p>
                }
                <ul class="entries">{ entries }</ul>
            </div>
            if let Some(file) = (*open).clone() {
                <Editor {file} {save} on_edit={{ let open = open.clone(); let note = note.clone(); Callback::from(move |text: String| {
                    if let Some(f) = (*open).clone() { open.set(Some(Open { text, dirty: true, ..f })); note.set(None); }
                }) }} on_close={{ let open = open.clone(); Callback::from(move |()| open.set(None)) }} />
            }
        </section>
    }
}

/// A new file's name: not empty, no slash, not `.` or `..`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

/// Props of [`Editor`].
#[derive(Properties, PartialEq)]
struct EditorProps {
    file: Open,
    save: Callback<()>,
    on_edit: Callback<String>,
    on_close: Callback<()>,
}

/// A textarea with line numbers; Ctrl+S (⌘S) saves.
#[component]
fn Editor(props: &EditorProps) -> Html {
    let s = use_lang().strings();
    let gutter = use_node_ref();
    let lines = props.file.text.split('\n').count().max(1);
    let numbers: String = (1..=lines).map(|n| format!("{n}\n")).collect();
    let oninput = props.on_edit.reform(|e: InputEvent| {
        let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
        area.value()
    });
    let onscroll = {
        let gutter = gutter.clone();
        Callback::from(move |e: Event| {
            let area: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            if let Some(g) = gutter.cast::<web_sys::HtmlElement>() {
                g.set_scroll_top(area.scroll_top());
            }
        })
    };
    let onkeydown = {
        let save = props.save.clone();
        Callback::from(move |e: KeyboardEvent| {
            if (e.ctrl_key() || e.meta_key()) && e.key().eq_ignore_ascii_case("s") {
                e.prevent_default();
                save.emit(());
            }
        })
    };
    let save = props.save.reform(|_: MouseEvent| ());
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <div class="editor-pane">
            <div class="files-bar">
                <code class="editor-path">{ format!("{}{}", props.file.path, if props.file.dirty { " •" } else { "" }) }</code>
                <button type="button" class="editor-save" onclick={save}>{ s.save }</button>
                <button type="button" class="editor-close" onclick={close}>{ s.close }</button>
            </div>
            <div class="editor">
                <pre class="gutter" aria-hidden="true" ref={gutter}>{ numbers }</pre>
                <textarea class="editor-text" spellcheck="false" autocapitalize="off" wrap="off"
                          aria-label={props.file.path.clone()}
                          value={props.file.text.clone()} {oninput} {onscroll} {onkeydown} />
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn new_file_names() {
        assert!(super::valid_name("app.py"));
        for bad in ["", ".", "..", "a/b"] {
            assert!(!super::valid_name(bad), "{bad:?}");
        }
    }
}
