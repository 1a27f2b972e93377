//! The terminal bridge: a login shell on a PTY inside a node, relayed over a WebSocket.
//!
//! Binary frames carry raw bytes both ways; text frames carry JSON control messages
//! ([`protocol::ClientControl`] in, [`protocol::ServerEvent`] out). Input is queued and written
//! as the PTY accepts it (a large paste never blocks the runtime, and output keeps flowing
//! meanwhile, which the PTY's echo needs). Output obeys [`flow::Flow`].

pub mod flow;
mod shell;

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use protocol::error::codes;
use protocol::{ClientControl, ServerEvent};
use tokio::time::{sleep_until, Instant};

use crate::provider::{NodeHandle, SandboxProvider};
use flow::Flow;
use shell::Shell;

/// Most bytes read from the PTY per frame.
const READ_CHUNK: usize = 64 * 1024;
/// Input queued beyond this (a client sending far faster than the shell reads) ends the session.
const MAX_PENDING_INPUT: usize = 16 << 20;
/// How long output is still relayed after the shell exits (background jobs may keep the PTY open).
const EXIT_DRAIN: Duration = Duration::from_millis(300);

/// Why a bridge ended.
enum End {
    ShellExited(i32),
    ClientGone,
    Failed(String),
}

/// Runs a terminal on `node` over `socket` until the shell exits or the client leaves.
pub async fn serve(mut socket: WebSocket, provider: Arc<dyn SandboxProvider>, node: NodeHandle, window: u32) {
    let mut shell = match Shell::spawn(provider, node.clone()).await {
        Ok(shell) => shell,
        Err(err) => {
            tracing::error!(?err, node = %node.key, "could not start a shell");
            finish(socket, Some(error_event(codes::INTERNAL, "could not start a shell"))).await;
            return;
        }
    };
    tracing::info!(node = %node.key, "terminal attached");
    let end = Bridge { flow: Flow::new(window), input: VecDeque::new() }.run(&mut socket, &mut shell).await;
    match end {
        End::ShellExited(code) => finish(socket, Some(ServerEvent::Exited { code })).await,
        End::ClientGone => {}
        End::Failed(message) => finish(socket, Some(error_event(codes::BAD_REQUEST, &message))).await,
    }
    shell.terminate().await;
    tracing::info!(node = %node.key, "terminal detached");
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

/// Sends a last event and a normal close frame (errors ignored: the client may be gone).
async fn finish(mut socket: WebSocket, event: Option<ServerEvent>) {
    if let Some(event) = event {
        let _ = send_event(&mut socket, &event).await;
    }
    let frame = CloseFrame { code: close_code::NORMAL, reason: "".into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// What to do after a client message.
enum Step {
    Continue,
    Stop(End),
}

struct Bridge {
    flow: Flow,
    input: VecDeque<u8>,
}

impl Bridge {
    async fn run(&mut self, socket: &mut WebSocket, shell: &mut Shell) -> End {
        if send_event(socket, &ServerEvent::Ready).await.is_err() {
            return End::ClientGone;
        }
        let mut buf = vec![0u8; READ_CHUNK];
        let mut pty_open = true;
        let mut exit: Option<(i32, Instant)> = None;
        loop {
            if let (false, Some((code, _))) = (pty_open, exit) {
                return End::ShellExited(code);
            }
            let reading = pty_open && (exit.is_some() || self.flow.may_send());
            let drain_deadline = exit.map_or_else(|| Instant::now() + Duration::from_secs(3600), |e| e.1);
            tokio::select! {
                ready = shell.pty.readable(), if reading => {
                    let Ok(mut guard) = ready else { return End::Failed("terminal read failed".into()) };
                    match guard.try_io(|fd| nix::unistd::read(fd.get_ref(), &mut buf).map_err(io::Error::from)) {
                        Err(_would_block) => {}
                        // EIO: every process holding the PTY's other side has closed it.
                        Ok(Ok(0)) | Ok(Err(_)) => pty_open = false,
                        Ok(Ok(n)) => {
                            let frame = Message::Binary(Bytes::copy_from_slice(&buf[..n]));
                            if socket.send(frame).await.is_err() {
                                return End::ClientGone;
                            }
                            self.flow.on_sent(n);
                        }
                    }
                }
                ready = shell.pty.writable(), if pty_open && !self.input.is_empty() => {
                    let Ok(mut guard) = ready else { return End::Failed("terminal write failed".into()) };
                    let (front, _) = self.input.as_slices();
                    match guard.try_io(|fd| nix::unistd::write(fd.get_ref(), front).map_err(io::Error::from)) {
                        Err(_would_block) => {}
                        Ok(Ok(n)) => drop(self.input.drain(..n)),
                        Ok(Err(_)) => self.input.clear(),
                    }
                }
                msg = socket.recv() => {
                    if let Step::Stop(end) = self.on_message(msg, socket, shell).await {
                        return end;
                    }
                }
                code = shell.exit.wait(), if exit.is_none() => exit = Some((code, Instant::now() + EXIT_DRAIN)),
                () = sleep_until(drain_deadline), if exit.is_some() => {
                    return End::ShellExited(exit.map_or(-1, |e| e.0));
                }
            }
        }
    }

    async fn on_message(
        &mut self,
        msg: Option<Result<Message, axum::Error>>,
        socket: &mut WebSocket,
        shell: &Shell,
    ) -> Step {
        match msg {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => Step::Stop(End::ClientGone),
            Some(Ok(Message::Binary(bytes))) => {
                if self.input.len() + bytes.len() > MAX_PENDING_INPUT {
                    return Step::Stop(End::Failed("input arrives faster than the terminal reads it".into()));
                }
                self.input.extend(bytes.iter());
                Step::Continue
            }
            Some(Ok(Message::Text(text))) => self.on_control(text.as_str(), socket, shell).await,
            Some(Ok(_)) => Step::Continue,
        }
    }

    async fn on_control(&mut self, text: &str, socket: &mut WebSocket, shell: &Shell) -> Step {
        let reply = match serde_json::from_str::<ClientControl>(text) {
            Ok(ClientControl::Resize { cols, rows }) => {
                if let Err(err) = sandbox::pty::resize(shell.pty.get_ref(), cols, rows) {
                    tracing::warn!(?err, "terminal resize failed");
                }
                None
            }
            Ok(ClientControl::Ping) => Some(ServerEvent::Pong),
            Ok(ClientControl::Ack { bytes }) => {
                self.flow.on_ack(bytes);
                None
            }
            Err(err) => Some(error_event(codes::BAD_REQUEST, &format!("malformed control message: {err}"))),
        };
        match reply {
            Some(event) if send_event(socket, &event).await.is_err() => Step::Stop(End::ClientGone),
            _ => Step::Continue,
        }
    }
}
