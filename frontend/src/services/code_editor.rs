//! The file editor's CodeMirror 6 bundle (`frontend/editor/entry.js`, built by esbuild into
//! `/muelle-editor.js`): loaded the first time a file is opened, not with the page, and its
//! `window.MuelleEditor.create(parent, text, lang, onSave, onChange)` binding. Also which
//! highlighting mode a file name gets.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Where Trunk copies the bundle (`index.html`: `rel="copy-file"`).
const SCRIPT_URL: &str = "/muelle-editor.js";
/// The id of the `<script>` element that loads it.
const SCRIPT_ID: &str = "muelle-editor-js";

#[wasm_bindgen]
extern "C" {
    /// The handle `MuelleEditor.create` returns.
    pub type Handle;

    /// `MuelleEditor.create(parent, text, lang, onSave, onChange)`; throws if the bundle is not loaded.
    #[wasm_bindgen(catch, js_namespace = MuelleEditor, js_name = create)]
    fn create_js(
        parent: &web_sys::HtmlElement,
        text: &str,
        lang: &str,
        on_save: &js_sys::Function,
        on_change: &js_sys::Function,
    ) -> Result<Handle, JsValue>;

    /// The whole text.
    #[wasm_bindgen(method, js_name = getValue)]
    pub fn get_value(this: &Handle) -> String;

    /// Moves the keyboard focus into the editor.
    #[wasm_bindgen(method)]
    pub fn focus(this: &Handle);

    /// Removes the editor from the page.
    #[wasm_bindgen(method)]
    pub fn destroy(this: &Handle);
}

/// An editor on the page and the callbacks it calls (kept alive as long as it is).
pub struct Editor {
    handle: Handle,
    _on_save: Closure<dyn FnMut()>,
    _on_change: Closure<dyn FnMut()>,
}

impl Editor {
    /// Makes an editor in `parent`; `on_save` runs on Ctrl+S, `on_change` after every edit.
    pub fn create(
        parent: &web_sys::HtmlElement,
        text: &str,
        lang: &str,
        on_save: impl FnMut() + 'static,
        on_change: impl FnMut() + 'static,
    ) -> Result<Editor, String> {
        let on_save = Closure::<dyn FnMut()>::new(on_save);
        let on_change = Closure::<dyn FnMut()>::new(on_change);
        let handle = create_js(parent, text, lang, on_save.as_ref().unchecked_ref(), on_change.as_ref().unchecked_ref())
            .map_err(|e| format!("{e:?}"))?;
        Ok(Editor { handle, _on_save: on_save, _on_change: on_change })
    }

    /// The whole text.
    pub fn text(&self) -> String {
        self.handle.get_value()
    }

    /// Focuses the editor.
    pub fn focus(&self) {
        self.handle.focus();
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        self.handle.destroy();
    }
}

thread_local! {
    /// The load under way or done (a failed one is dropped, so the next open tries again).
    static LOADING: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// Whether `window.MuelleEditor` exists.
fn loaded() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("MuelleEditor")).ok())
        .is_some_and(|v| !v.is_undefined())
}

/// Loads the bundle once (a `<script>` added to the page); later calls wait for the same load.
pub async fn load() -> Result<(), String> {
    if loaded() {
        return Ok(());
    }
    let promise = LOADING.with(|l| l.borrow_mut().get_or_insert_with(insert_script).clone());
    match JsFuture::from(promise).await {
        Ok(_) if loaded() => Ok(()),
        result => {
            LOADING.with(|l| l.borrow_mut().take());
            if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(SCRIPT_ID)) {
                el.remove();
            }
            Err(match result {
                Err(e) => format!("{SCRIPT_URL}: {e:?}"),
                Ok(_) => format!("{SCRIPT_URL} did not define MuelleEditor"),
            })
        }
    }
}

/// A promise of the `<script>` element's load (rejected on its error event).
fn insert_script() -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        let added = (|| {
            let doc = web_sys::window()?.document()?;
            let script: web_sys::HtmlElement = doc.create_element("script").ok()?.dyn_into().ok()?;
            script.set_id(SCRIPT_ID);
            script.set_attribute("src", SCRIPT_URL).ok()?;
            script.set_onload(Some(&resolve));
            script.set_onerror(Some(&reject));
            doc.body()?.append_child(&script).ok()
        })();
        if added.is_none() {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("no document"));
        }
    })
}

/// The highlighting mode of a file, by its name: `dockerfile`, `yaml`, `shell`, or `""` (plain).
pub fn lang_for(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if name == "dockerfile" || name == "containerfile" || name.starts_with("dockerfile.") || ext == "dockerfile" {
        "dockerfile"
    } else if ext == "yml" || ext == "yaml" {
        "yaml"
    } else if matches!(ext, "sh" | "bash" | "zsh")
        || matches!(name.as_str(), ".bashrc" | ".bash_profile" | ".profile" | ".bash_aliases" | ".zshrc")
    {
        "shell"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::lang_for;

    #[test]
    fn modes_by_file_name() {
        for (path, lang) in [
            ("/root/Dockerfile", "dockerfile"),
            ("/app/dockerfile", "dockerfile"),
            ("Dockerfile.dev", "dockerfile"),
            ("/x/app.Dockerfile", "dockerfile"),
            ("/x/Containerfile", "dockerfile"),
            ("/root/compose.yaml", "yaml"),
            ("/root/docker-compose.YML", "yaml"),
            ("/root/run.sh", "shell"),
            ("/root/.bashrc", "shell"),
            ("/root/app.py", ""),
            ("/root/notes", ""),
            ("/root/Dockerfiles/readme.md", ""),
        ] {
            assert_eq!(lang_for(path), lang, "{path}");
        }
    }
}
