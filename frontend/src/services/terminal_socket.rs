//! One live terminal: the xterm.js instance, its WebSocket to a node, flow-control acks,
//! resize reports and the keep-alive ping.
//!
//! Callbacks hold `Weak` references, so dropping the [`TerminalSession`] tears everything down.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use gloo_timers::callback::{Interval, Timeout};
use protocol::{ClientControl, ServerEvent};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, HtmlElement, MessageEvent, WebSocket};
use yew::Callback;

use super::terminal_proto::{encode_control, parse_event, AckCounter};
use super::terminal_state::{retry_delay_ms, Input};
use super::xterm::{new_terminal, Terminal, XtermFit};

const PING_EVERY_MS: u32 = 30_000;
const IDLE_ACK_MS: u32 = 50;

/// The terminal plus its connection; owned by the terminal component.
pub struct TerminalSession {
    shared: Rc<Shared>,
    _on_data: Closure<dyn FnMut(String)>,
    _on_window_resize: EventListener,
    _ping: Interval,
}

struct Shared {
    term: Terminal,
    fit: XtermFit,
    url: String,
    notify: Callback<Input>,
    socket: RefCell<Option<Live>>,
    acks: RefCell<AckCounter>,
    ack_scheduled: Cell<bool>,
    last_size: Cell<Option<(u16, u16)>>,
    /// The current socket has delivered `ready`.
    got_ready: Cell<bool>,
    /// Consecutive sockets that closed before `ready`.
    failures: Cell<u32>,
}

/// An open (or opening) socket with the handlers it keeps alive.
struct Live {
    ws: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl TerminalSession {
    /// Opens xterm.js in `container` and connects to `url`; phase changes go to `notify`.
    pub fn start(container: &HtmlElement, url: String, notify: Callback<Input>) -> Self {
        let term = new_terminal();
        let fit = XtermFit::new();
        term.load_addon(&fit);
        term.open(container);
        fit.fit();
        let shared = Rc::new(Shared {
            term,
            fit,
            url,
            notify,
            socket: RefCell::new(None),
            acks: RefCell::new(AckCounter::default()),
            ack_scheduled: Cell::new(false),
            last_size: Cell::new(None),
            got_ready: Cell::new(false),
            failures: Cell::new(0),
        });
        let weak = Rc::downgrade(&shared);
        let on_data = Closure::<dyn FnMut(String)>::new(move |data: String| {
            if let Some(s) = weak.upgrade() {
                s.send_bytes(data.as_bytes());
            }
        });
        // The returned Disposable is not needed: `term.dispose()` removes the listener.
        let _ = shared.term.on_data(on_data.as_ref().unchecked_ref());
        let weak = Rc::downgrade(&shared);
        let window = web_sys::window().expect("a browser window");
        let on_window_resize = EventListener::new(&window, "resize", move |_| {
            if let Some(s) = weak.upgrade() {
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
            _on_window_resize: on_window_resize,
            _ping: ping,
        }
    }

    /// A handle that types into this terminal's shell (Run buttons) while the terminal lives.
    pub fn sender(&self) -> TerminalSender {
        TerminalSender(Rc::downgrade(&self.shared))
    }

    /// Replaces the socket with a new one to the same node (the reconnect button).
    pub fn reconnect(&self) {
        self.shared
            .term
            .write_str("\r\n\x1b[2m--- reconnecting ---\x1b[0m\r\n");
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
        this.last_size.set(None);
        this.got_ready.set(false);
        match Live::open(this) {
            Ok(live) => *this.socket.borrow_mut() = Some(live),
            Err(err) => {
                log::warn!("terminal socket: {err:?}");
                this.notify.emit(Input::SocketClosed);
            }
        }
    }

    /// Retries a socket that never got `ready`, with back-off; otherwise reports the close.
    fn on_close(self: &Rc<Self>) {
        match retry_delay_ms(self.got_ready.get(), self.failures.get()) {
            Some(delay) => {
                self.failures.set(self.failures.get() + 1);
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
            self.got_ready.set(true);
            self.failures.set(0);
            self.fit_and_report();
            self.term.focus();
        }
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

impl Live {
    fn open(shared: &Rc<Shared>) -> Result<Live, JsValue> {
        let ws = WebSocket::new(&shared.url)?;
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
