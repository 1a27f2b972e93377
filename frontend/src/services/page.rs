//! The page's visibility: polls skip their turn while the tab is in the background.

/// `document.hidden`: a background tab does not poll.
pub fn page_hidden() -> bool {
    #[cfg(target_arch = "wasm32")]
    return web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden());
    #[cfg(not(target_arch = "wasm32"))]
    false
}
