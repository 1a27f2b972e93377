//! The page itself: its visibility (polls skip their turn while the tab is in the background),
//! its title, confirms, and the resize the terminals listen to.

/// `document.hidden`: a background tab does not poll.
pub fn page_hidden() -> bool {
    #[cfg(target_arch = "wasm32")]
    return web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden());
    #[cfg(not(target_arch = "wasm32"))]
    false
}

/// The document's title as a screen reader and the tab strip show it: `"{what} — muelle"`, or
/// `muelle` alone.
pub fn page_title(what: &str) -> String {
    if what.trim().is_empty() {
        "muelle".to_string()
    } else {
        format!("{} — muelle", what.trim())
    }
}

/// Sets `document.title` to [`page_title`]`(what)`.
pub fn set_title(what: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(d) = web_sys::window().and_then(|w| w.document()) {
        d.set_title(&page_title(what));
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = what;
}

/// Sets the page title while the calling component is mounted and `what` is current.
#[yew::hook]
pub fn use_title(what: String) {
    yew::use_effect_with(what, |what| set_title(what));
}

/// Tells the terminals their box changed (a split moved, a pane was shown): they refit on the
/// window's `resize`, as for a real resize.
pub fn announce_resize() {
    #[cfg(target_arch = "wasm32")]
    if let (Some(w), Ok(ev)) = (web_sys::window(), web_sys::Event::new("resize")) {
        let _ = w.dispatch_event(&ev);
    }
}

/// `window.confirm(question)`; `false` where there is no window.
pub fn confirm(question: &str) -> bool {
    #[cfg(target_arch = "wasm32")]
    return web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false);
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = question;
        false
    }
}

/// The split between a lesson's text and its terminals, in percent of the width: kept between
/// 20 and 80 so that neither side disappears.
pub fn clamp_split(percent: f64) -> f64 {
    if percent.is_nan() {
        42.0
    } else {
        percent.clamp(20.0, 80.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_the_page_then_muelle() {
        assert_eq!(page_title("node1"), "node1 — muelle");
        assert_eq!(page_title("  "), "muelle");
    }

    #[test]
    fn the_split_stays_usable() {
        assert_eq!(clamp_split(5.0), 20.0);
        assert_eq!(clamp_split(95.0), 80.0);
        assert_eq!(clamp_split(50.0), 50.0);
        assert_eq!(clamp_split(f64::NAN), 42.0);
    }
}
