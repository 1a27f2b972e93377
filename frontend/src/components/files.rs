//! The file browser and editor of a node: a directory listing (enter directories, go up), a
//! CodeMirror 6 editor (loaded the first time a file is opened; line numbers, highlighting of
//! Dockerfiles, YAML and shell by file name; Ctrl+S or Save saves; unsaved changes are marked and
//! confirmed before they are dropped), new files, and downloads of a file or of the shown
//! directory as a tar. Everything goes through `…/nodes/{node}/files`.

use protocol::{FileKind, FileList};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::error_banner::ErrorBanner;
use crate::error::Error;
use crate::hooks::use_lang;
use crate::services::code_editor::{self, lang_for};
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
    /// Counts opens: the editor is remade (keyed) for each, even of the same file.
    id: u32,
    /// The node it is on (saves go there even if another node's tab is shown meanwhile).
    node: String,
    path: String,
    /// The text it was opened with.
    text: String,
    dirty: bool,
}

thread_local! {
    /// The path of the file with unsaved changes in a mounted browser, for [`may_close`].
    static UNSAVED: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Whether the file browser may be closed from outside (the node bar's Files button): yes if
/// its editor has no unsaved changes, else the user is asked (`question` has `{file}`).
pub fn may_close(question: &str) -> bool {
    match UNSAVED.with(|u| u.borrow().clone()) {
        Some(path) => web_sys::window()
            .and_then(|w| w.confirm_with_message(&question.replace("{file}", &path)).ok())
            .unwrap_or(false),
        None => true,
    }
}

/// Whether the open file (if any) may be dropped: yes if it has no unsaved changes, else the
/// user is asked.
fn may_drop(open: &Option<Open>, question: &str) -> bool {
    match open {
        Some(f) if f.dirty => web_sys::window()
            .and_then(|w| w.confirm_with_message(&question.replace("{file}", &f.path)).ok())
            .unwrap_or(false),
        _ => true,
    }
}

/// The browser: the listing on the left, the editor (when a file is open) on the right.
#[component]
pub fn FileBrowser(props: &FileBrowserProps) -> Html {
    let lang = use_lang();
    let (s, es) = (lang.strings(), lang.lang.editor());
    let opens = use_mut_ref(|| 0u32);
    // Counts edits, so that a save does not clear the • of an edit typed while it was under way.
    let edits = use_mut_ref(|| 0u64);
    let cwd = use_state(|| START_DIR.to_string());
    let list = use_state(|| None::<FileList>);
    let open = use_state(|| None::<Open>);
    let note = use_state(|| None::<&'static str>);
    let error = use_state(|| None::<Error>);
    let reload = use_state(|| 0u32);
    let creds = (props.session_id.to_string(), props.token.to_string(), props.node.to_string());
    // While there are unsaved changes: leaving the page asks first, and so does the Files button.
    {
        let unsaved = open.as_ref().filter(|f| f.dirty).map(|f| f.path.clone());
        use_effect_with(unsaved, |unsaved| {
            UNSAVED.with(|u| *u.borrow_mut() = unsaved.clone());
            let guard = unsaved.as_ref().and_then(|_| web_sys::window()).map(|w| {
                gloo_events::EventListener::new(&w, "beforeunload", |e| e.prevent_default())
            });
            move || {
                UNSAVED.with(|u| u.borrow_mut().take());
                drop(guard);
            }
        });
    }
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
        let (open, error, note, creds, opens) = (open.clone(), error.clone(), note.clone(), creds.clone(), opens.clone());
        Callback::from(move |(path, size): (String, u64)| {
            if size > MAX_EDIT_BYTES {
                note.set(Some(s.too_big_to_edit));
                return;
            }
            if !may_drop(&open, es.discard_changes) {
                return;
            }
            let (open, error, note, opens, (id, token, node)) =
                (open.clone(), error.clone(), note.clone(), opens.clone(), creds.clone());
            spawn_local(async move {
                match play_api::read_bytes(&id, &token, &node, &path, false).await {
                    Ok(bytes) if bytes.len() as u64 > MAX_EDIT_BYTES => note.set(Some(s.too_big_to_edit)),
                    Ok(bytes) => match text_of(bytes) {
                        Some(text) => {
                            note.set(None);
                            error.set(None);
                            let id = next(&opens);
                            open.set(Some(Open { id, node, path, text, dirty: false }));
                        }
                        None => note.set(Some(es.binary_file)),
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
        let (open, cwd, opens, node) = (open.clone(), cwd.clone(), opens.clone(), props.node.to_string());
        Callback::from(move |_: MouseEvent| {
            if !may_drop(&open, es.discard_changes) {
                return;
            }
            let name = web_sys::window().and_then(|w| w.prompt_with_message(s.new_file_name).ok().flatten());
            if let Some(name) = name.map(|n| n.trim().to_string()).filter(|n| valid_name(n)) {
                let id = next(&opens);
                open.set(Some(Open { id, node: node.clone(), path: join(&cwd, &name), text: String::new(), dirty: true }));
            }
        })
    };
    // Saves the editor's text (Ctrl+S or Save).
    let save = {
        let (open, error, note, reload, creds, edits) =
            (open.clone(), error.clone(), note.clone(), reload.clone(), creds.clone(), edits.clone());
        Callback::from(move |text: String| {
            let Some(file) = (*open).clone() else { return };
            let (open, error, note, reload, edits, (id, token, _)) =
                (open.clone(), error.clone(), note.clone(), reload.clone(), edits.clone(), creds.clone());
            let edits_before = *edits.borrow();
            spawn_local(async move {
                match play_api::save_text(&id, &token, &file.node, &file.path, &text).await {
                    Ok(()) => {
                        open.set(Some(Open { dirty: *edits.borrow() != edits_before, ..file }));
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
    let close = {
        let (on_close, open) = (props.on_close.clone(), open.clone());
        Callback::from(move |_: MouseEvent| {
            if may_drop(&open, es.discard_changes) {
                on_close.emit(());
            }
        })
    };
    let on_edit = {
        let (open, note, edits) = (open.clone(), note.clone(), edits.clone());
        Callback::from(move |()| {
            *edits.borrow_mut() += 1;
            if let Some(f) = open.as_ref().filter(|f| !f.dirty).cloned() {
                open.set(Some(Open { dirty: true, ..f }));
                note.set(None);
            }
        })
    };
    let close_editor = {
        let open = open.clone();
        Callback::from(move |()| {
            if may_drop(&open, es.discard_changes) {
                open.set(None);
            }
        })
    };
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
                <Editor key={file.id} file={file.clone()} {save} {on_edit} on_close={close_editor} />
            }
        </section>
    }
}

/// The next open's id.
fn next(opens: &std::rc::Rc<std::cell::RefCell<u32>>) -> u32 {
    let mut n = opens.borrow_mut();
    *n = n.wrapping_add(1);
    *n
}

/// A file's bytes as editor text: `None` for a binary file (not UTF-8, or with NUL bytes).
fn text_of(bytes: Vec<u8>) -> Option<String> {
    if bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// A new file's name: not empty, no slash, not `.` or `..`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

/// Props of [`Editor`].
#[derive(Properties, PartialEq)]
struct EditorProps {
    file: Open,
    /// Saves this text.
    save: Callback<String>,
    /// The text was changed.
    on_edit: Callback<()>,
    on_close: Callback<()>,
}

/// Where the editor's script is.
#[derive(Clone, Copy, PartialEq)]
enum Loading {
    Pending,
    Ready,
    Failed,
}

/// CodeMirror on the open file (made once per open: the parent keys it by [`Open::id`]); Ctrl+S
/// (⌘S) or Save saves, the path shows • while there are unsaved changes.
#[component]
fn Editor(props: &EditorProps) -> Html {
    let lang = use_lang();
    let (s, es) = (lang.strings(), lang.lang.editor());
    let host = use_node_ref();
    let editor = use_mut_ref(|| None::<code_editor::Editor>);
    let loading = use_state(|| Loading::Pending);
    // The JavaScript callbacks are made once: they call the latest props through this.
    let latest = use_mut_ref(|| (props.save.clone(), props.on_edit.clone()));
    *latest.borrow_mut() = (props.save.clone(), props.on_edit.clone());
    {
        let (host, editor, loading, latest) = (host.clone(), editor.clone(), loading.clone(), latest.clone());
        let (text, mode) = (props.file.text.clone(), lang_for(&props.file.path));
        use_effect_with((), move |_| {
            let alive = std::rc::Rc::new(std::cell::Cell::new(true));
            {
                let (alive, editor) = (alive.clone(), editor.clone());
                spawn_local(async move {
                    if let Err(err) = code_editor::load().await {
                        log::error!("editor: {err}");
                        loading.set(Loading::Failed);
                        return;
                    }
                    let Some(parent) = host.cast::<web_sys::HtmlElement>().filter(|_| alive.get()) else { return };
                    let on_save = {
                        let (editor, latest) = (editor.clone(), latest.clone());
                        move || {
                            let text = editor.borrow().as_ref().map(code_editor::Editor::text);
                            if let Some(text) = text {
                                latest.borrow().0.emit(text);
                            }
                        }
                    };
                    let on_change = move || latest.borrow().1.emit(());
                    match code_editor::Editor::create(&parent, &text, mode, on_save, on_change) {
                        Ok(ed) => {
                            ed.focus();
                            *editor.borrow_mut() = Some(ed);
                            loading.set(Loading::Ready);
                        }
                        Err(err) => {
                            log::error!("editor: {err}");
                            loading.set(Loading::Failed);
                        }
                    }
                });
            }
            move || {
                alive.set(false);
                editor.borrow_mut().take();
            }
        });
    }
    let save = {
        let (editor, save) = (editor.clone(), props.save.clone());
        Callback::from(move |_: MouseEvent| {
            let text = editor.borrow().as_ref().map(code_editor::Editor::text);
            if let Some(text) = text {
                save.emit(text);
            }
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let status = match *loading {
        Loading::Pending => html! { <p class="editor-loading" role="status">{ es.loading_editor }</p> },
        Loading::Failed => html! { <p class="editor-failed" role="alert">{ es.editor_failed }</p> },
        Loading::Ready => html! {},
    };
    html! {
        <div class="editor-pane">
            <div class="files-bar">
                <code class="editor-path">
                    { props.file.path.clone() }
                    if props.file.dirty {
                        <span class="editor-dirty" title={es.unsaved} aria-label={es.unsaved}>{ " •" }</span>
                    }
                </code>
                <button type="button" class="editor-save" title={es.save_hint} onclick={save}
                        disabled={*loading != Loading::Ready}>{ s.save }</button>
                <button type="button" class="editor-close" onclick={close}>{ s.close }</button>
            </div>
            { status }
            <div class="editor" data-lang={lang_for(&props.file.path)} ref={host}></div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn binary_files_are_not_text() {
        assert_eq!(super::text_of(b"FROM debian\n".to_vec()).as_deref(), Some("FROM debian\n"));
        assert_eq!(super::text_of("¿año?".as_bytes().to_vec()).as_deref(), Some("¿año?"));
        assert_eq!(super::text_of(vec![0x7f, b'E', b'L', b'F', 0, 1]), None);
        assert_eq!(super::text_of(vec![0xff, 0xfe, b'a']), None);
    }

    #[test]
    fn new_file_names() {
        assert!(super::valid_name("app.py"));
        for bad in ["", ".", "..", "a/b"] {
            assert!(!super::valid_name(bad), "{bad:?}");
        }
    }
}
