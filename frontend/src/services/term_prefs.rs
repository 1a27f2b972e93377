//! The terminal's look, remembered in localStorage: font size and light or dark theme. A change
//! is announced with a `muelle-term-prefs` event on the window, so every open terminal applies it.

use super::xterm::FONT_SIZES;

const FONT_KEY: &str = "muelle.term.font-size";
const THEME_KEY: &str = "muelle.term.theme";
const HINT_KEY: &str = "muelle.term.clipboard-hint";
/// The window event that tells terminals to re-read the preferences.
pub const CHANGED_EVENT: &str = "muelle-term-prefs";
/// The default font size.
pub const DEFAULT_FONT: u8 = 14;

/// Font size and theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermPrefs {
    /// Pixels, within [`FONT_SIZES`].
    pub font_size: u8,
    /// The light theme instead of the dark one.
    pub light: bool,
}

impl Default for TermPrefs {
    fn default() -> Self {
        TermPrefs {
            font_size: DEFAULT_FONT,
            light: false,
        }
    }
}

impl TermPrefs {
    /// Reads stored values (`font`, `theme`); anything missing or invalid is the default.
    pub fn parse(font: Option<&str>, theme: Option<&str>) -> TermPrefs {
        let font_size = font
            .and_then(|f| f.parse::<u8>().ok())
            .filter(|f| FONT_SIZES.contains(f))
            .unwrap_or(DEFAULT_FONT);
        TermPrefs {
            font_size,
            light: theme == Some("light"),
        }
    }

    /// One font size step bigger (`+1`) or smaller (`-1`), within [`FONT_SIZES`].
    pub fn step_font(self, delta: i8) -> TermPrefs {
        let size = (i16::from(self.font_size) + i16::from(delta))
            .clamp(i16::from(*FONT_SIZES.start()), i16::from(*FONT_SIZES.end()));
        TermPrefs {
            font_size: u8::try_from(size).unwrap_or(DEFAULT_FONT),
            ..self
        }
    }

    /// The stored preferences of this browser.
    pub fn load() -> TermPrefs {
        let storage = local();
        let get = |k: &str| storage.as_ref().and_then(|s| s.get_item(k).ok().flatten());
        TermPrefs::parse(get(FONT_KEY).as_deref(), get(THEME_KEY).as_deref())
    }

    /// Sets `data-term-theme` on the page's root element, for the CSS around the terminals.
    pub fn mark_document(self) {
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element());
        if let Some(root) = root {
            let _ = root.set_attribute("data-term-theme", if self.light { "light" } else { "dark" });
        }
    }

    /// Stores these preferences and tells every terminal of the page.
    pub fn save(self) {
        self.mark_document();
        if let Some(s) = local() {
            let _ = s.set_item(FONT_KEY, &self.font_size.to_string());
            let _ = s.set_item(THEME_KEY, if self.light { "light" } else { "dark" });
        }
        if let (Some(w), Ok(ev)) = (web_sys::window(), web_sys::Event::new(CHANGED_EVENT)) {
            let _ = w.dispatch_event(&ev);
        }
    }
}

/// Whether the clipboard hint is still to be shown in this browser; marks it shown.
pub fn take_clipboard_hint() -> bool {
    let Some(s) = local() else { return false };
    if s.get_item(HINT_KEY).ok().flatten().is_some() {
        return false;
    }
    let _ = s.set_item(HINT_KEY, "shown");
    true
}

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_are_checked() {
        assert_eq!(TermPrefs::parse(None, None), TermPrefs::default());
        assert_eq!(
            TermPrefs::parse(Some("18"), Some("light")),
            TermPrefs {
                font_size: 18,
                light: true
            }
        );
        assert_eq!(TermPrefs::parse(Some("200"), Some("x")).font_size, DEFAULT_FONT);
        assert_eq!(TermPrefs::parse(Some("-3"), None).font_size, DEFAULT_FONT);
    }

    #[test]
    fn font_steps_stay_in_range() {
        let p = TermPrefs::default();
        assert_eq!(p.step_font(1).font_size, DEFAULT_FONT + 1);
        assert_eq!(p.step_font(-1).font_size, DEFAULT_FONT - 1);
        let mut small = p;
        for _ in 0..40 {
            small = small.step_font(-1);
        }
        assert_eq!(small.font_size, *FONT_SIZES.start());
        let mut big = p;
        for _ in 0..40 {
            big = big.step_font(1);
        }
        assert_eq!(big.font_size, *FONT_SIZES.end());
    }
}
