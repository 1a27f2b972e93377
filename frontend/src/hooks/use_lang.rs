//! The UI language as a context: chosen once from storage or `navigator.language`, switchable.

use yew::prelude::*;

use crate::i18n::{Lang, Strings};
use crate::services::storage;

/// The current language and a way to change it; provided by the app root.
#[derive(Clone, PartialEq)]
pub struct LangHandle {
    /// The language in use.
    pub lang: Lang,
    /// Switches language (remembered in localStorage).
    pub set: Callback<Lang>,
}

impl LangHandle {
    /// The strings of the current language.
    pub fn strings(&self) -> &'static Strings {
        self.lang.strings()
    }
}

/// The stored choice, else the browser's language, else English.
pub fn initial_lang() -> Lang {
    if let Some(lang) = storage::load_lang() {
        return lang;
    }
    browser_tag()
        .map(|t| Lang::from_tag(&t))
        .unwrap_or(Lang::En)
}

#[cfg(target_arch = "wasm32")]
fn browser_tag() -> Option<String> {
    web_sys::window()?.navigator().language()
}

#[cfg(not(target_arch = "wasm32"))]
fn browser_tag() -> Option<String> {
    None
}

/// Reads the language context (English if used outside the provider).
#[hook]
pub fn use_lang() -> LangHandle {
    use_context::<LangHandle>().unwrap_or_else(|| LangHandle {
        lang: Lang::En,
        set: Callback::noop(),
    })
}
