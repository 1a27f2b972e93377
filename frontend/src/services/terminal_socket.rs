//! One live terminal: the xterm.js instance, its WebSocket to one shell of a node, flow-control
//! acks, resize reports, the keep-alive ping, automatic reconnection (the server keeps the
//! shell and sends its screen again), the clipboard keys and the font size and theme.
//!
//! Callbacks hold `Weak` references, so dropping the [`TerminalSession`] tears everything down.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::{Interval, Timeout};
use protocol::{ClientControl, ServerEvent};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, HtmlElement, KeyboardEvent, MessageEvent, WebSocket};
use yew::Callback;

use super::key_order::KeyOrder;
use super::term_prefs::{TermPrefs, CHANGED_EVENT};
use super::terminal_proto::{encode_control, parse_event, shell_url, AckCounter};
use super::terminal_state::{retry_delay_ms, Input, Phase};
use super::xterm::{apply_prefs, new_terminal, Terminal, XtermFit};

const PING_EVERY_MS: u32 = 30_000;
const IDLE_ACK_MS: u32 = 50;
/// A lone Esc waits this long for the key after it: Esc then Tab leaves the terminal, and that
/// Esc must not reach the shell (bash would read the student's next key as Meta+key).
const ESC_HOLD_MS: u32 = 300;

/// What the terminal tells its component besides the connection's phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The browser refused to read or write the clipboard.
    ClipboardBlocked,
    /// The selection was copied.
    Copied,
}

/// The terminal plus its connection; owned by the terminal component.
pub struct TerminalSession {
    shared: Rc<Shared>,
    _on_data: Closure<dyn FnMut(String)>,
    _on_key: Closure<dyn FnMut(KeyboardEvent) -> bool>,
    _on_selection: Closure<dyn FnMut()>,
    _on_window_resize: EventListener,
    _on_prefs: EventListener,
    _on_focus_out: EventListener,
    _ping: Interval,
}

struct Shared {
    term: Terminal,
    /// The element xterm was opened in (a hidden shell must not take the focus).
    container: HtmlElement,
    fit: XtermFit,
    /// The socket URL without the term and size.
    base_url: String,
    /// Which shell of the node (`term=`).
    term_no: u8,
    notify: Callback<Input>,
    notice: Callback<Notice>,
    /// The connection's phase as this side saw it (for the retry decision).
    phase: RefCell<Phase>,
    /// `navigator.clipboard.readText` was refused once: Ctrl+V is left to the browser since.
    read_refused: Cell<bool>,
    socket: RefCell<Option<Live>>,
    acks: RefCell<AckCounter>,
    ack_scheduled: Cell<bool>,
    last_size: Cell<Option<(u16, u16)>>,
    /// A socket has delivered `ready` before (the first one takes the focus).
    was_ready: Cell<bool>,
    /// Sockets that closed since the last one that got `ready`.
    failures: Cell<u32>,
    /// Keys typed while a paste is read from the clipboard wait behind it.
    order: RefCell<KeyOrder>,
    /// While xterm encodes a paste (bracketed, newlines), its data is collected here.
    capture: RefCell<Option<String>>,
    /// A lone Esc not sent yet (see [`ESC_HOLD_MS`]), and the timer that sends it.
    esc_held: Cell<bool>,
    esc_timer: RefCell<Option<Timeout>>,
}

/// An open (or opening) socket with the handlers it keeps alive.
struct Live {
    ws: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl TerminalSession {
    /// Opens xterm.js in `container` and connects to shell `term_no` at `base_url` (the socket
    /// URL without term and size); phase changes go to `notify`, clipboard news to `notice`.
    pub fn start(
        container: &HtmlElement,
        base_url: String,
        term_no: u8,
        notify: Callback<Input>,
        notice: Callback<Notice>,
    ) -> Self {
        let prefs = TermPrefs::load();
        let term = new_terminal(prefs.font_size, prefs.light);
        let fit = XtermFit::new();
        term.load_addon(&fit);
        term.open(container);
        fit.fit();
        let shared = Rc::new(Shared {
            term,
            container: container.clone(),
            fit,
            base_url,
            term_no,
            notify,
            notice,
            phase: RefCell::new(Phase::Connecting),
            read_refused: Cell::new(false),
            socket: RefCell::new(None),
            acks: RefCell::new(AckCounter::default()),
            ack_scheduled: Cell::new(false),
            last_size: Cell::new(None),
            was_ready: Cell::new(false),
            failures: Cell::new(0),
            order: RefCell::new(KeyOrder::default()),
            capture: RefCell::new(None),
            esc_held: Cell::new(false),
            esc_timer: RefCell::new(None),
        });
        let weak = Rc::downgrade(&shared);
        let on_data = Closure::<dyn FnMut(String)>::new(move |data: String| {
            if let Some(s) = weak.upgrade() {
                s.typed(data);
            }
        });
        // The returned Disposable is not needed: `term.dispose()` removes the listener.
        let _ = shared.term.on_data(on_data.as_ref().unchecked_ref());
        let weak = Rc::downgrade(&shared);
        let on_key = Closure::<dyn FnMut(KeyboardEvent) -> bool>::new(move |ev: KeyboardEvent| {
            weak.upgrade().is_none_or(|s| s.on_key(&ev))
        });
        shared
            .term
            .attach_custom_key_event_handler(on_key.as_ref().unchecked_ref());
        let weak = Rc::downgrade(&shared);
        let on_selection = Closure::<dyn FnMut()>::new(move || {
            if let Some(s) = weak.upgrade() {
                // Copy on select: a selection made with the mouse is on the clipboard at once.
                let text = s.term.get_selection();
                if !text.is_empty() {
                    s.copy(text, false);
                }
            }
        });
        let _ = shared
            .term
            .on_selection_change(on_selection.as_ref().unchecked_ref());
        let weak = Rc::downgrade(&shared);
        let window = web_sys::window().expect("a browser window");
        let on_window_resize = EventListener::new(&window, "resize", move |_| {
            if let Some(s) = weak.upgrade() {
                s.fit_and_report();
            }
        });
        let weak = Rc::downgrade(&shared);
        // The focus left the terminal right after a lone Esc (Esc then Tab): that Esc meant
        // "leave", not a key for the shell.
        let on_focus_out = EventListener::new(container, "focusout", move |_| {
            if let Some(s) = weak.upgrade() {
                s.esc_held.set(false);
            }
        });
        let weak = Rc::downgrade(&shared);
        let on_prefs = EventListener::new(&window, CHANGED_EVENT, move |_| {
            if let Some(s) = weak.upgrade() {
                let prefs = TermPrefs::load();
                apply_prefs(&s.term, prefs.font_size, prefs.light);
                s.fit_and_report();
            }
        });
        let weak = Rc::downgrade(&shared);
        let ping = Interval::new(PING_EVERY_MS, move || {
            if let Some(s) = weak.upgrade() {
                s.send_control(&ClientControl::Ping);
            }
        });
        Shared::connect(&shared);
        TerminalSession {
            shared,
            _on_data: on_data,
            _on_key: on_key,
            _on_selection: on_selection,
            _on_window_resize: on_window_resize,
            _on_prefs: on_prefs,
            _on_focus_out: on_focus_out,
            _ping: ping,
        }
    }

    /// A handle that types into this terminal's shell (Run buttons) while the terminal lives.
    pub fn sender(&self) -> TerminalSender {
        TerminalSender(Rc::downgrade(&self.shared))
    }

    /// Replaces the socket with a new one to the same shell (the reconnect button); a shell
    /// that has exited is replaced by a new one.
    pub fn reconnect(&self) {
        self.shared
            .term
            .write_str("\r\n\x1b[2m--- reconnecting ---\x1b[0m\r\n");
        self.shared.failures.set(0);
        Shared::connect(&self.shared);
    }
}

/// Types into a terminal from outside it; does nothing once the terminal is gone.
#[derive(Clone)]
pub struct TerminalSender(Weak<Shared>);

impl TerminalSender {
    /// Sends `keys` as if typed, then focuses the terminal. Returns whether the shell was
    /// connected (keys typed while disconnected are dropped, like a keyboard's).
    pub fn send(&self, keys: &str) -> bool {
        let Some(s) = self.0.upgrade() else {
            return false;
        };
        let open = s.is_open();
        s.send_bytes(keys.as_bytes());
        s.term.focus();
        open
    }

    /// Refits the terminal to its container (after it becomes visible) and focuses it.
    pub fn refit(&self) {
        if let Some(s) = self.0.upgrade() {
            s.fit_and_report();
            s.term.focus();
        }
    }
}

impl Drop for TerminalSession {
    fn drop(&mut self) {
        drop(self.shared.socket.borrow_mut().take());
        self.shared.term.dispose();
    }
}

impl Shared {
    fn connect(this: &Rc<Self>) {
        // Dropping the old socket first detaches its handlers, so its close is not reported.
        drop(this.socket.borrow_mut().take());
        *this.acks.borrow_mut() = AckCounter::default();
        *this.phase.borrow_mut() = Phase::Connecting;
        // The server sizes the shell to this terminal before it sends the screen.
        this.fit.fit();
        let size = (this.term.cols(), this.term.rows());
        this.last_size.set(Some(size));
        let url = shell_url(&this.base_url, this.term_no, size.0, size.1);
        match Live::open(this, &url) {
            Ok(live) => *this.socket.borrow_mut() = Some(live),
            Err(err) => {
                log::warn!("terminal socket: {err:?}");
                this.on_close();
            }
        }
    }

    /// A socket closed: opens a new one after a back-off (the server kept the shell), unless
    /// the shell exited, the server refused for good, or too many tries failed in a row.
    fn on_close(self: &Rc<Self>) {
        let phase = self.phase.borrow().next(Input::SocketClosed);
        *self.phase.borrow_mut() = phase.clone();
        match retry_delay_ms(&phase, self.failures.get()) {
            Some(delay) => {
                self.failures.set(self.failures.get() + 1);
                self.notify.emit(Input::Reconnect);
                let weak = Rc::downgrade(self);
                Timeout::new(delay, move || {
                    if let Some(s) = weak.upgrade() {
                        Shared::connect(&s);
                    }
                })
                .forget();
            }
            None => self.notify.emit(Input::SocketClosed),
        }
    }

    /// The clipboard keys: Ctrl+V and Ctrl+Shift+V paste (never ^V to the shell), Ctrl+Shift+C
    /// copies the selection. Returns whether xterm should handle the key itself.
    fn on_key(self: &Rc<Self>, ev: &KeyboardEvent) -> bool {
        let ctrl = (ev.ctrl_key() || ev.meta_key()) && !ev.alt_key();
        let key = ev.key().to_ascii_lowercase();
        let paste = ctrl && key == "v";
        let copy = ctrl && ev.shift_key() && key == "c";
        if !(paste || copy) {
            return true;
        }
        if ev.type_() != "keydown" {
            return false;
        }
        if paste {
            if self.read_refused.get() || !has_clipboard() {
                // Left to the browser: its paste event reaches xterm, which sends the text.
                return false;
            }
            ev.prevent_default();
            self.paste_from_clipboard();
        } else {
            ev.prevent_default();
            let text = self.term.get_selection();
            if !text.is_empty() {
                self.copy(text, true);
            }
        }
        false
    }

    /// xterm's data (keys, and a paste's encoded text): sent unless a paste still waits.
    fn typed(self: &Rc<Self>, data: String) {
        if let Some(c) = self.capture.borrow_mut().as_mut() {
            c.push_str(&data);
            return;
        }
        if data == "\x1b" {
            if self.esc_held.replace(true) {
                self.release("\x1b".to_string()); // Esc, Esc: the first one goes now
            }
            let weak = Rc::downgrade(self);
            let timer = Timeout::new(ESC_HOLD_MS, move || {
                if let Some(s) = weak.upgrade() {
                    if s.esc_held.replace(false) {
                        s.release("\x1b".to_string());
                    }
                }
            });
            *self.esc_timer.borrow_mut() = Some(timer);
            return;
        }
        let data = if self.esc_held.replace(false) { format!("\x1b{data}") } else { data };
        self.release(data);
    }

    /// Keys on their way to the shell, behind any paste still being read.
    fn release(&self, data: String) {
        let ready = self.order.borrow_mut().typed(data);
        if let Some(keys) = ready {
            self.send_bytes(keys.as_bytes());
        }
    }

    fn paste_from_clipboard(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else { return };
        let promise = window.navigator().clipboard().read_text();
        let id = self.order.borrow_mut().paste_started();
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let result = wasm_bindgen_futures::JsFuture::from(promise).await;
            let Some(s) = weak.upgrade() else { return };
            let encoded = match result.ok().and_then(|v| v.as_string()) {
                Some(text) => {
                    // xterm brackets the text and fixes newlines, then hands it to onData
                    // (synchronously): collect it so that it takes the paste's place in line.
                    *s.capture.borrow_mut() = Some(String::new());
                    s.term.paste(&text);
                    s.term.focus();
                    s.capture.borrow_mut().take().unwrap_or_default()
                }
                None => {
                    s.read_refused.set(true);
                    s.notice.emit(Notice::ClipboardBlocked);
                    String::new()
                }
            };
            let ready = s.order.borrow_mut().paste_done(id, encoded);
            if !ready.is_empty() {
                s.send_bytes(ready.as_bytes());
            }
        });
    }

    /// Puts `text` on the clipboard; says so when `told` (a key), says when it was refused.
    fn copy(self: &Rc<Self>, text: String, told: bool) {
        if !has_clipboard() {
            self.notice.emit(Notice::ClipboardBlocked);
            return;
        }
        let Some(window) = web_sys::window() else { return };
        let promise = window.navigator().clipboard().write_text(&text);
        let notice = self.notice.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(promise).await {
                Ok(_) if told => notice.emit(Notice::Copied),
                Ok(_) => {}
                Err(err) => {
                    log::warn!("clipboard: {err:?}");
                    notice.emit(Notice::ClipboardBlocked);
                }
            }
        });
    }

    fn on_message(self: &Rc<Self>, ev: MessageEvent) {
        let data = ev.data();
        if let Some(buf) = data.dyn_ref::<js_sys::ArrayBuffer>() {
            self.write_output(&js_sys::Uint8Array::new(buf));
        } else if let Some(text) = data.as_string() {
            match parse_event(&text) {
                Ok(event) => self.on_event(event),
                Err(err) => log::warn!("{err}"),
            }
        }
    }

    fn on_event(&self, event: ServerEvent) {
        if event == ServerEvent::Ready {
            self.failures.set(0);
            self.fit_and_report();
            // The first ready takes the focus, unless this shell is not the one shown (a "+"
            // shell that connects after the student went back to shell 1 must not take the keys).
            if !self.was_ready.replace(true) && is_shown(&self.container) {
                self.term.focus();
            }
        }
        let next = self.phase.borrow().next(Input::Event(event.clone()));
        *self.phase.borrow_mut() = next;
        self.notify.emit(Input::Event(event));
    }

    /// Writes output and acknowledges it once xterm has processed it.
    fn write_output(self: &Rc<Self>, bytes: &js_sys::Uint8Array) {
        let len = bytes.length();
        let weak = Rc::downgrade(self);
        let done = Closure::once_into_js(move || {
            if let Some(s) = weak.upgrade() {
                s.processed(len);
            }
        });
        self.term.write_bytes(bytes, done.unchecked_ref());
    }

    fn processed(self: &Rc<Self>, len: u32) {
        let full = self.acks.borrow_mut().record(len);
        match full {
            Some(bytes) => self.send_control(&ClientControl::Ack { bytes }),
            None if !self.ack_scheduled.replace(true) => {
                let weak = Rc::downgrade(self);
                Timeout::new(IDLE_ACK_MS, move || {
                    if let Some(s) = weak.upgrade() {
                        s.ack_scheduled.set(false);
                        let rest = s.acks.borrow_mut().flush();
                        if let Some(bytes) = rest {
                            s.send_control(&ClientControl::Ack { bytes });
                        }
                    }
                })
                .forget();
            }
            None => {}
        }
    }

    fn fit_and_report(&self) {
        self.fit.fit();
        let size = (self.term.cols(), self.term.rows());
        if self.last_size.get() != Some(size) && self.is_open() {
            self.last_size.set(Some(size));
            self.send_control(&ClientControl::Resize {
                cols: size.0,
                rows: size.1,
            });
        }
    }

    fn is_open(&self) -> bool {
        matches!(&*self.socket.borrow(), Some(l) if l.ws.ready_state() == WebSocket::OPEN)
    }

    fn send_bytes(&self, bytes: &[u8]) {
        if let Some(live) = &*self.socket.borrow() {
            if live.ws.ready_state() == WebSocket::OPEN {
                let _ = live.ws.send_with_u8_array(bytes);
            }
        }
    }

    fn send_control(&self, msg: &ClientControl) {
        if let Some(live) = &*self.socket.borrow() {
            if live.ws.ready_state() == WebSocket::OPEN {
                let _ = live.ws.send_with_str(&encode_control(msg));
            }
        }
    }
}

/// Whether `navigator.clipboard` exists (only in secure contexts: HTTPS or localhost).
/// Whether `el` is rendered and visible (`checkVisibility` with `visibility: hidden` counted;
/// true where the browser lacks it).
fn is_shown(el: &HtmlElement) -> bool {
    let Ok(check) = js_sys::Reflect::get(el, &"checkVisibility".into()) else { return true };
    let Some(check) = check.dyn_ref::<js_sys::Function>() else { return true };
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"visibilityProperty".into(), &true.into());
    check.call1(el, &options).map(|v| v.as_bool() != Some(false)).unwrap_or(true)
}

fn has_clipboard() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::get(&w.navigator(), &"clipboard".into())
            .is_ok_and(|c| !c.is_undefined() && !c.is_null())
    })
}

impl Live {
    fn open(shared: &Rc<Shared>, url: &str) -> Result<Live, JsValue> {
        let ws = WebSocket::new(url)?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let weak: Weak<Shared> = Rc::downgrade(shared);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(s) = weak.upgrade() {
                s.on_message(ev);
            }
        });
        let weak = Rc::downgrade(shared);
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
            log::info!("terminal socket closed: {} {}", ev.code(), ev.reason());
            if let Some(s) = weak.upgrade() {
                s.on_close();
            }
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Live {
            ws,
            _on_message: on_message,
            _on_close: on_close,
        })
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
