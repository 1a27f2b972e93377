//! Bindings to the xterm.js globals that index.html loads (`Terminal`, `FitAddon.FitAddon`),
//! and the terminal's options.

use serde_json::json;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// xterm.js `Terminal`.
    pub type Terminal;

    /// `new Terminal(options)`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &JsValue) -> Terminal;

    /// Attaches the terminal to a container element.
    #[wasm_bindgen(method)]
    pub fn open(this: &Terminal, parent: &web_sys::HtmlElement);

    /// Writes output bytes; `callback` runs once xterm has parsed them.
    #[wasm_bindgen(method, js_name = write)]
    pub fn write_bytes(this: &Terminal, data: &js_sys::Uint8Array, callback: &js_sys::Function);

    /// Writes a local message (not from the shell).
    #[wasm_bindgen(method, js_name = write)]
    pub fn write_str(this: &Terminal, data: &str);

    /// Registers the keystroke listener (`string` argument).
    #[wasm_bindgen(method, js_name = onData)]
    pub fn on_data(this: &Terminal, listener: &js_sys::Function) -> Disposable;

    /// Loads an addon such as [`XtermFit`].
    #[wasm_bindgen(method, js_name = loadAddon)]
    pub fn load_addon(this: &Terminal, addon: &XtermFit);

    /// Current width in columns.
    #[wasm_bindgen(method, getter)]
    pub fn cols(this: &Terminal) -> u16;

    /// Current height in rows.
    #[wasm_bindgen(method, getter)]
    pub fn rows(this: &Terminal) -> u16;

    /// Gives the terminal keyboard focus.
    #[wasm_bindgen(method)]
    pub fn focus(this: &Terminal);

    /// Pastes text as typed (bracketed when the shell asked for it).
    #[wasm_bindgen(method)]
    pub fn paste(this: &Terminal, data: &str);

    /// The selected text ("" when nothing is selected).
    #[wasm_bindgen(method, js_name = getSelection)]
    pub fn get_selection(this: &Terminal) -> String;

    /// Registers a listener of selection changes.
    #[wasm_bindgen(method, js_name = onSelectionChange)]
    pub fn on_selection_change(this: &Terminal, listener: &js_sys::Function) -> Disposable;

    /// Sees every key event before xterm does; returning `false` keeps xterm from handling it.
    #[wasm_bindgen(method, js_name = attachCustomKeyEventHandler)]
    pub fn attach_custom_key_event_handler(this: &Terminal, handler: &js_sys::Function);

    /// The live options object (setting a field applies it).
    #[wasm_bindgen(method, getter)]
    pub fn options(this: &Terminal) -> JsValue;

    /// Tears the terminal down, with its listeners and addons.
    #[wasm_bindgen(method)]
    pub fn dispose(this: &Terminal);

    /// What xterm's `on*` registrations return.
    pub type Disposable;
}

#[wasm_bindgen]
extern "C" {
    /// `@xterm/addon-fit`'s addon, global `FitAddon.FitAddon`. (The Rust name must differ from
    /// the namespace's, or wasm-bindgen 0.2.130 generates invalid code.)
    #[wasm_bindgen(js_namespace = ["FitAddon"], js_name = "FitAddon")]
    pub type XtermFit;

    /// `new FitAddon.FitAddon()`.
    #[wasm_bindgen(constructor, js_namespace = ["FitAddon"], js_class = "FitAddon")]
    pub fn new() -> XtermFit;

    /// Resizes the terminal to fill its container.
    #[wasm_bindgen(method, js_class = "FitAddon")]
    pub fn fit(this: &XtermFit);
}

/// Font sizes the size buttons step through.
pub const FONT_SIZES: std::ops::RangeInclusive<u8> = 10..=24;

/// The dark palette (the default).
fn dark_theme() -> serde_json::Value {
    json!({
        "background": "#0d1117",
        "foreground": "#e6edf3",
        "cursor": "#58a6ff",
        "selectionBackground": "#264f78",
        "black": "#484f58", "red": "#ff7b72", "green": "#3fb950", "yellow": "#d29922",
        "blue": "#58a6ff", "magenta": "#bc8cff", "cyan": "#39c5cf", "white": "#b1bac4",
        "brightBlack": "#6e7681", "brightRed": "#ffa198", "brightGreen": "#56d364",
        "brightYellow": "#e3b341", "brightBlue": "#79c0ff", "brightMagenta": "#d2a8ff",
        "brightCyan": "#56d4dd", "brightWhite": "#ffffff"
    })
}

/// The light palette: dark text on white, ANSI colours dark enough to read on it.
fn light_theme() -> serde_json::Value {
    json!({
        "background": "#ffffff",
        "foreground": "#1f2328",
        "cursor": "#0969da",
        "selectionBackground": "#b6d7ff",
        "black": "#24292f", "red": "#cf222e", "green": "#116329", "yellow": "#7d4e00",
        "blue": "#0969da", "magenta": "#8250df", "cyan": "#1b7c83", "white": "#6e7781",
        "brightBlack": "#57606a", "brightRed": "#a40e26", "brightGreen": "#1a7f37",
        "brightYellow": "#633c01", "brightBlue": "#218bff", "brightMagenta": "#a475f9",
        "brightCyan": "#3192aa", "brightWhite": "#8c959f"
    })
}

/// The palette of the light or dark theme, as JSON.
pub fn theme_json(light: bool) -> String {
    if light { light_theme() } else { dark_theme() }.to_string()
}

/// The options passed to `new Terminal`, as JSON: the chosen font size and theme, system
/// monospace fonts only (the app must work offline).
pub fn options_json(font_size: u8, light: bool) -> String {
    json!({
        "cursorBlink": true,
        "fontSize": font_size,
        "lineHeight": 1.15,
        "fontFamily": "ui-monospace, 'DejaVu Sans Mono', 'Cascadia Mono', Menlo, Consolas, monospace",
        "scrollback": 5000,
        "theme": if light { light_theme() } else { dark_theme() }
    })
    .to_string()
}

/// Builds a terminal with [`options_json`].
pub fn new_terminal(font_size: u8, light: bool) -> Terminal {
    let options = js_sys::JSON::parse(&options_json(font_size, light)).unwrap_or(JsValue::UNDEFINED);
    Terminal::new(&options)
}

/// Applies a font size and theme to a live terminal.
pub fn apply_prefs(term: &Terminal, font_size: u8, light: bool) {
    let options = term.options();
    let theme = js_sys::JSON::parse(&theme_json(light)).unwrap_or(JsValue::UNDEFINED);
    let _ = js_sys::Reflect::set(&options, &"fontSize".into(), &JsValue::from(font_size));
    let _ = js_sys::Reflect::set(&options, &"theme".into(), &theme);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_valid_json_with_a_full_palette() {
        for light in [false, true] {
            let v: serde_json::Value = serde_json::from_str(&options_json(15, light)).unwrap();
            assert_eq!(v["fontSize"], 15);
            let theme = v["theme"].as_object().unwrap();
            assert_eq!(theme.len(), 20, "4 UI colours + 16 ANSI colours");
            assert!(theme
                .values()
                .all(|c| c.as_str().is_some_and(|c| c.len() == 7)));
            assert!(!v["fontFamily"].as_str().unwrap().contains("url("));
        }
        let light: serde_json::Value = serde_json::from_str(&theme_json(true)).unwrap();
        assert_eq!(light["background"], "#ffffff");
    }
}
