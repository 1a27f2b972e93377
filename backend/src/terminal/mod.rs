//! Terminals: login shells on PTYs inside nodes that outlive their WebSockets.
//!
//! Each (session, node, term) has one shell, started by the first socket that asks for it and
//! kept until it exits or its node or session ends; its screen is kept by an emulator
//! ([`screen`]), so a socket that attaches later (a reload, a dropped network, a second tab)
//! gets the current screen once and then the live output. See [`term`] for how several sockets
//! share one shell.
//!
//! Binary frames carry raw bytes both ways; text frames carry JSON control messages
//! ([`protocol::ClientControl`] in, [`protocol::ServerEvent`] out). Output obeys [`flow::Flow`]
//! per socket.

pub mod flow;
pub mod screen;
mod shell;
pub mod term;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use protocol::error::codes;
use protocol::{ClientControl, ServerEvent};

use crate::provider::{NodeHandle, SandboxProvider};
use crate::sessions::SessionRegistry;
use term::{Out, Place, Term};

/// Shells a node may have at once (`term=1` … `term=MAX_TERMS_PER_NODE`).
pub const MAX_TERMS_PER_NODE: u8 = 5;

/// (session id, node name, term number).
type Key = (String, String, u8);

/// The live terminals of this server.
pub struct Terminals {
    map: Mutex<HashMap<Key, Arc<Term>>>,
    provider: Arc<dyn SandboxProvider>,
    sessions: Arc<SessionRegistry>,
    window: u32,
}

impl Terminals {
    /// No terminals yet; shells start in nodes of `sessions` through `provider`, and each socket
    /// may have `window` output bytes in flight.
    pub fn new(provider: Arc<dyn SandboxProvider>, sessions: Arc<SessionRegistry>, window: u32) -> Self {
        Self { map: Mutex::default(), provider, sessions, window }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Arc<Term>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The term numbers of `node` in session `id` whose shells run, ascending.
    pub fn list(&self, id: &str, node: &str) -> Vec<u8> {
        let mut terms: Vec<u8> = self
            .lock()
            .iter()
            .filter(|((s, n, _), t)| s == id && n == node && !t.ended())
            .map(|((_, _, term), _)| *term)
            .collect();
        terms.sort_unstable();
        terms
    }

    /// The running terminal `term_no` of `node` in session `id`, or a new one of `size` (80×24 by
    /// default) whose welcome text is in `lang` (see [`crate::provider::welcome`]). A terminal of
    /// an older node of that name (before a reset) is replaced.
    pub fn get_or_start(
        self: &Arc<Self>,
        id: &str,
        node: NodeHandle,
        term_no: u8,
        size: Option<(u16, u16)>,
        lang: Option<&'static str>,
    ) -> Arc<Term> {
        let key = (id.to_string(), node.name.clone(), term_no);
        let mut map = self.lock();
        if let Some(t) = map.get(&key).filter(|t| t.node_key == node.key && !t.ended()) {
            return t.clone();
        }
        self.start_in(&mut map, key, node, size, lang)
    }

    /// A new terminal of `node` in session `id` under the lowest term number from `first` to
    /// [`MAX_TERMS_PER_NODE`] that has no running shell (an SSH shell takes one, listed like
    /// the browser's); `None` when all are taken.
    pub fn start_free(
        self: &Arc<Self>,
        id: &str,
        node: NodeHandle,
        first: u8,
        size: Option<(u16, u16)>,
        lang: Option<&'static str>,
    ) -> Option<(u8, Arc<Term>)> {
        let mut map = self.lock();
        let term_no = (first..=MAX_TERMS_PER_NODE).find(|n| {
            let key = (id.to_string(), node.name.clone(), *n);
            !map.get(&key).is_some_and(|t| t.node_key == node.key && !t.ended())
        })?;
        let key = (id.to_string(), node.name.clone(), term_no);
        Some((term_no, self.start_in(&mut map, key, node, size, lang)))
    }

    fn start_in(
        self: &Arc<Self>,
        map: &mut HashMap<Key, Arc<Term>>,
        key: Key,
        node: NodeHandle,
        size: Option<(u16, u16)>,
        lang: Option<&'static str>,
    ) -> Arc<Term> {
        let (cols, rows) = size.unwrap_or((80, 24));
        let provider = crate::provider::welcome::Welcome::wrap(self.provider.clone(), lang);
        let place = Place { session: key.0.clone(), node, provider, sessions: self.sessions.clone() };
        let weak = Arc::downgrade(self);
        let k = key.clone();
        let t = term::start(place, cols, rows, self.window, move |me| {
            // Forget it, unless a newer terminal took the key meanwhile.
            if let Some(terminals) = weak.upgrade() {
                let mut map = terminals.lock();
                if map.get(&k).is_some_and(|t| Arc::ptr_eq(t, me)) {
                    map.remove(&k);
                }
            }
        });
        map.insert(key, t.clone());
        t
    }
}

/// Serves one socket attached to `term` until the shell ends or the client leaves (the shell
/// stays). `size` is the client's terminal size, if it said.
pub async fn serve(mut socket: WebSocket, term: Arc<Term>, size: Option<(u16, u16)>) {
    let Some((id, mut outs)) = term.attach(size) else {
        finish(socket, Some(error_event(codes::INTERNAL, "the terminal has just ended; connect again"))).await;
        return;
    };
    let last = loop {
        tokio::select! {
            out = outs.recv() => match out {
                Some(Out::Ready) => {
                    if send_event(&mut socket, &ServerEvent::Ready).await.is_err() {
                        break None;
                    }
                }
                Some(Out::Bytes(bytes)) => {
                    let n = bytes.len();
                    if socket.send(Message::Binary(bytes)).await.is_err() {
                        break None;
                    }
                    term.written(id, n);
                }
                Some(Out::Exited(code)) => break Some(ServerEvent::Exited { code }),
                Some(Out::Failed(message)) => break Some(error_event(codes::INTERNAL, &message)),
                Some(Out::Gone { code, message }) => break Some(error_event(code, &message)),
                None => break None,
            },
            msg = socket.recv() => match on_message(msg, &mut socket, &term, id).await {
                Step::Continue => {}
                Step::Stop(last) => break last,
            },
        }
    };
    term.detach(id);
    if let Some(event) = last {
        finish(socket, Some(event)).await;
    }
}

/// Sends `error` as the socket's only event and closes it (a node that cannot have a terminal).
pub async fn refuse(socket: WebSocket, error: protocol::ApiError) {
    finish(socket, Some(error_event(&error.code, &error.message))).await;
}

fn error_event(code: &str, message: &str) -> ServerEvent {
    ServerEvent::Error { code: code.into(), message: message.into() }
}

async fn send_event(socket: &mut WebSocket, event: &ServerEvent) -> Result<(), axum::Error> {
    let json = serde_json::to_string(event).map_err(axum::Error::new)?;
    socket.send(Message::Text(json.into())).await
}

/// Sends a last event and a normal close frame whose reason is the event's message, cut to
/// the 123 bytes a close frame holds (errors ignored: the client may be gone).
async fn finish(mut socket: WebSocket, event: Option<ServerEvent>) {
    let mut reason = match &event {
        Some(ServerEvent::Error { message, .. }) => message.clone(),
        _ => String::new(),
    };
    if let Some(event) = event {
        let _ = send_event(&mut socket, &event).await;
    }
    while reason.len() > 123 {
        reason.pop();
    }
    let frame = CloseFrame { code: close_code::NORMAL, reason: reason.into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// What to do after a client message.
enum Step {
    Continue,
    /// Detach, sending this last event if any.
    Stop(Option<ServerEvent>),
}

async fn on_message(msg: Option<Result<Message, axum::Error>>, socket: &mut WebSocket, term: &Term, id: u64) -> Step {
    match msg {
        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => Step::Stop(None),
        Some(Ok(Message::Binary(bytes))) => match term.input(bytes) {
            Ok(()) => Step::Continue,
            Err(_) => Step::Stop(Some(error_event(codes::BAD_REQUEST, "input arrives faster than the terminal reads it"))),
        },
        Some(Ok(Message::Text(text))) => {
            let reply = match serde_json::from_str::<ClientControl>(text.as_str()) {
                Ok(ClientControl::Resize { cols, rows }) => {
                    term.resize(cols, rows);
                    None
                }
                Ok(ClientControl::Ping) => Some(ServerEvent::Pong),
                Ok(ClientControl::Ack { bytes }) => {
                    term.ack(id, bytes);
                    None
                }
                Err(err) => Some(error_event(codes::BAD_REQUEST, &format!("malformed control message: {err}"))),
            };
            match reply {
                Some(event) if send_event(socket, &event).await.is_err() => Step::Stop(None),
                _ => Step::Continue,
            }
        }
        Some(Ok(_)) => Step::Continue,
    }
}
