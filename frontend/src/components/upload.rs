//! Uploading files to a node: a button with a file picker, drag-and-drop onto the terminals,
//! and the status line that reports each upload.

use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, FileList, HtmlInputElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::hooks::use_lang;
use crate::services::node_api;

/// Where the last upload stands.
#[derive(Clone, Debug, PartialEq)]
pub enum UploadStatus {
    /// Sending this file: the share sent (0.0–1.0).
    Sending(String, f64),
    /// Written to this path on this node.
    Done(String, String),
    /// The server refused (message).
    Failed(String),
    /// The server has no upload endpoint.
    Unavailable,
}

/// The files of a picker or a drop.
pub fn files_of(list: Option<FileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// The files dropped by a drag event.
pub fn dropped_files(ev: &DragEvent) -> Vec<File> {
    files_of(ev.data_transfer().and_then(|d| d.files()))
}

/// Uploads `files` one after the other to `node`, reporting through `status`.
pub fn upload_all(
    id: String,
    token: String,
    node: String,
    files: Vec<File>,
    status: UseStateHandle<Option<UploadStatus>>,
) {
    spawn_local(async move {
        for file in files {
            status.set(Some(UploadStatus::Sending(file.name(), 0.0)));
            let (shown, name) = (status.clone(), file.name());
            let on_progress = move |share: f64| shown.set(Some(UploadStatus::Sending(name.clone(), share)));
            match node_api::upload_file(&id, &token, &node, &file, on_progress).await {
                Ok(path) => status.set(Some(UploadStatus::Done(path, node.clone()))),
                Err(err) if err.is_missing_endpoint() => {
                    status.set(Some(UploadStatus::Unavailable));
                    return;
                }
                Err(err) => {
                    status.set(Some(UploadStatus::Failed(format!(
                        "{}: {err}",
                        file.name()
                    ))));
                    return;
                }
            }
        }
    });
}

/// Props of [`UploadButton`].
#[derive(Properties, PartialEq)]
pub struct UploadButtonProps {
    /// The chosen files.
    pub on_files: Callback<Vec<File>>,
    /// Greyed out (no node running).
    #[prop_or_default]
    pub disabled: bool,
}

/// "Upload file": a label around a hidden file input, so it is keyboard-reachable.
#[component]
pub fn UploadButton(props: &UploadButtonProps) -> Html {
    let s = use_lang().strings();
    let onchange = {
        let on_files = props.on_files.clone();
        Callback::from(move |ev: Event| {
            if let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            {
                on_files.emit(files_of(input.files()));
                input.set_value("");
            }
        })
    };
    html! {
        <label class={classes!("upload-btn", props.disabled.then_some("disabled"))}>
            { s.upload }
            <input type="file" class="upload-input" multiple=true disabled={props.disabled} {onchange} />
        </label>
    }
}

/// Props of [`UploadNote`].
#[derive(Properties, PartialEq)]
pub struct UploadNoteProps {
    /// Nothing is shown for `None`.
    pub status: Option<UploadStatus>,
}

/// One line saying how the last upload went.
#[component]
pub fn UploadNote(props: &UploadNoteProps) -> Html {
    let lang = use_lang();
    let (s, ux) = (lang.strings(), lang.lang.ux());
    let (class, text) = match &props.status {
        None => return html! {},
        Some(UploadStatus::Sending(name, share)) => {
            let pct = (share * 100.0).round().clamp(0.0, 100.0);
            return html! {
                <p class="upload-note sending" role="status">
                    { format!("{} {name}: {pct}%", ux.uploading) }
                    <progress max="100" value={pct.to_string()} aria-label={name.clone()}></progress>
                </p>
            };
        }
        Some(UploadStatus::Done(path, node)) => ("ok", format!("{} {node}:{path}", s.uploaded)),
        Some(UploadStatus::Failed(msg)) => ("fail", format!("{}: {msg}", s.generic_error)),
        Some(UploadStatus::Unavailable) => ("fail", s.upload_unavailable.to_string()),
    };
    html! { <p class={classes!("upload-note", class)} role="status">{ text }</p> }
}
