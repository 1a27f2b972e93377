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

/// `?lang=es` in the page's URL (a link that opens a lesson in a language), else the stored
/// choice, else the browser's language, else English. A language from the URL is remembered.
pub fn initial_lang() -> Lang {
    if let Some(lang) = url_query().as_deref().and_then(lang_in_query) {
        storage::save_lang(lang);
        return lang;
    }
    if let Some(lang) = storage::load_lang() {
        return lang;
    }
    browser_tag()
        .map(|t| Lang::from_tag(&t))
        .unwrap_or(Lang::En)
}

/// The `lang=` of a query string (`?a=1&lang=es`), if it names a language of the UI.
pub fn lang_in_query(query: &str) -> Option<Lang> {
    query
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="))
        .and_then(Lang::parse)
}

#[cfg(target_arch = "wasm32")]
fn url_query() -> Option<String> {
    web_sys::window()?.location().search().ok()
}

#[cfg(not(target_arch = "wasm32"))]
fn url_query() -> Option<String> {
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_language() {
        assert_eq!(lang_in_query("?lang=es"), Some(Lang::Es));
        assert_eq!(lang_in_query("?x=1&lang=en"), Some(Lang::En));
        assert_eq!(lang_in_query("?lang=fr"), None);
        assert_eq!(lang_in_query(""), None);
        assert_eq!(lang_in_query("?language=es"), None);
    }
}
