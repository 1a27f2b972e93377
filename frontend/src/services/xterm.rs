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

/// The options passed to `new Terminal`, as JSON: dark theme, system monospace fonts only
/// (the app must work offline).
pub fn options_json() -> String {
    json!({
        "cursorBlink": true,
        "fontSize": 14,
        "lineHeight": 1.15,
        "fontFamily": "ui-monospace, 'DejaVu Sans Mono', 'Cascadia Mono', Menlo, Consolas, monospace",
        "scrollback": 5000,
        "theme": {
            "background": "#0d1117",
            "foreground": "#e6edf3",
            "cursor": "#58a6ff",
            "selectionBackground": "#264f78",
            "black": "#484f58", "red": "#ff7b72", "green": "#3fb950", "yellow": "#d29922",
            "blue": "#58a6ff", "magenta": "#bc8cff", "cyan": "#39c5cf", "white": "#b1bac4",
            "brightBlack": "#6e7681", "brightRed": "#ffa198", "brightGreen": "#56d364",
            "brightYellow": "#e3b341", "brightBlue": "#79c0ff", "brightMagenta": "#d2a8ff",
            "brightCyan": "#56d4dd", "brightWhite": "#ffffff"
        }
    })
    .to_string()
}

/// Builds a terminal with [`options_json`].
pub fn new_terminal() -> Terminal {
    let options = js_sys::JSON::parse(&options_json()).unwrap_or(JsValue::UNDEFINED);
    Terminal::new(&options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_valid_json_with_a_full_palette() {
        let v: serde_json::Value = serde_json::from_str(&options_json()).unwrap();
        let theme = v["theme"].as_object().unwrap();
        assert_eq!(theme.len(), 20, "4 UI colours + 16 ANSI colours");
        assert!(theme
            .values()
            .all(|c| c.as_str().is_some_and(|c| c.len() == 7)));
        assert!(!v["fontFamily"].as_str().unwrap().contains("url("));
    }
}
