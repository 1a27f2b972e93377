//! One shell that outlives its sockets: the PTY, the emulator that keeps its screen, and the
//! sockets attached to it (any number, like `tmux attach`: all see the same output, any may
//! type, the latest resize wins).
//!
//! A task per terminal reads the PTY into the emulator and hands each chunk to every attached
//! socket. It stops reading while an attached socket has a full flow window in flight (as a
//! single socket did before terminals were shared); a socket that stays full for
//! [`LAG_GRACE`] while others are attached stops getting live output, and gets the current
//! screen again once it has caught up, so one stalled tab does not hold the shell for all.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use tokio::sync::{mpsc, Notify};
use tokio::time::{sleep_until, Instant};

use super::flow::Flow;
use super::screen::{clamp_size, Screen};
use super::shell::Shell;
use crate::provider::{NodeHandle, SandboxProvider};
use crate::sessions::SessionRegistry;

/// Most bytes read from the PTY at once.
const READ_CHUNK: usize = 64 * 1024;
/// Input queued beyond this (clients sending far faster than the shell reads) is refused.
pub const MAX_PENDING_INPUT: usize = 16 << 20;
/// How long output is still relayed after the shell exits (background jobs may keep the PTY open).
const EXIT_DRAIN: Duration = Duration::from_millis(300);
/// How long a socket with a full window may hold the shell while other sockets are attached.
const LAG_GRACE: Duration = Duration::from_secs(3);
/// How often the terminal checks that its node is still the session's running node, besides
/// each time the registry says some node went ([`SessionRegistry::watch_nodes_gone`]): only a
/// safety net. Polling every 2 s woke a thousand idle terminals 500 times a second.
const CHECK_EVERY: Duration = Duration::from_secs(60);
/// Largest binary frame of a rendered screen.
const FRAME: usize = 64 * 1024;

/// What a socket gets from its terminal.
#[derive(Debug)]
pub enum Out {
    /// The shell runs; the screen and live output follow.
    Ready,
    /// Output (or the rendered screen).
    Bytes(Bytes),
    /// The shell ended with this code.
    Exited(i32),
    /// The shell could not be started.
    Failed(String),
    /// The shell was ended because its session or node went (code as in
    /// `protocol::error::codes`, and a reason for people such as "session ended").
    Gone {
        /// `SESSION_NOT_FOUND`, `NODE_NOT_FOUND` or `NODE_STOPPED`.
        code: &'static str,
        /// For people.
        message: String,
    },
}

enum Cmd {
    Input(Bytes),
    Resize(u16, u16),
    Hangup,
}

#[derive(PartialEq, Eq)]
enum Phase {
    Starting,
    Running,
    Ended,
}

struct Sub {
    id: u64,
    tx: mpsc::UnboundedSender<Out>,
    flow: Flow,
    full_since: Option<Instant>,
    lagging: bool,
}

struct Shared {
    screen: Screen,
    subs: Vec<Sub>,
    next_id: u64,
    phase: Phase,
}

/// A terminal: one shell in one node.
pub struct Term {
    /// The node's key (a reset node has a new one, and new shells).
    pub node_key: String,
    shared: Mutex<Shared>,
    wake: Notify,
    cmds: mpsc::UnboundedSender<Cmd>,
    pending_input: AtomicUsize,
    window: u32,
}

/// Input refused: too much is already queued.
#[derive(Debug)]
pub struct InputFull;

impl Term {
    /// A terminal of `cols`×`rows` and the receiving end of its commands (for [`run`]).
    fn new(node_key: String, cols: u16, rows: u16, window: u32) -> (Arc<Self>, mpsc::UnboundedReceiver<Cmd>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Shared { screen: Screen::new(cols, rows), subs: Vec::new(), next_id: 0, phase: Phase::Starting };
        let term = Self { node_key, shared: Mutex::new(shared), wake: Notify::new(), cmds: tx, pending_input: AtomicUsize::new(0), window };
        (Arc::new(term), rx)
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the shell has ended (or never started).
    pub fn ended(&self) -> bool {
        self.lock().phase == Phase::Ended
    }

    /// Attaches a socket; `size` (the client's) becomes the terminal's. Returns the socket's id
    /// and what it will get: `Ready` and the current screen at once if the shell runs (after
    /// its start otherwise), then live output. `None` if the shell has ended.
    pub fn attach(&self, size: Option<(u16, u16)>) -> Option<(u64, mpsc::UnboundedReceiver<Out>)> {
        let mut shared = self.lock();
        if shared.phase == Phase::Ended {
            return None;
        }
        if let Some((cols, rows)) = size {
            let (cols, rows) = clamp_size(cols, rows);
            shared.screen.resize(cols, rows);
            let _ = self.cmds.send(Cmd::Resize(cols, rows));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let id = shared.next_id;
        shared.next_id += 1;
        let mut sub = Sub { id, tx, flow: Flow::new(self.window), full_since: None, lagging: false };
        if shared.phase == Phase::Running {
            let _ = sub.tx.send(Out::Ready);
            send_screen(&shared.screen, &mut sub);
        }
        shared.subs.push(sub);
        Some((id, rx))
    }

    /// Detaches socket `id`.
    pub fn detach(&self, id: u64) {
        self.lock().subs.retain(|s| s.id != id);
        self.wake.notify_one();
    }

    /// Queues keystrokes for the shell.
    pub fn input(&self, bytes: Bytes) -> Result<(), InputFull> {
        let n = bytes.len();
        if self.pending_input.load(Ordering::Relaxed) + n > MAX_PENDING_INPUT {
            return Err(InputFull);
        }
        self.pending_input.fetch_add(n, Ordering::Relaxed);
        let _ = self.cmds.send(Cmd::Input(bytes));
        Ok(())
    }

    /// Resizes the terminal (the latest resize of any socket wins).
    pub fn resize(&self, cols: u16, rows: u16) {
        let (cols, rows) = clamp_size(cols, rows);
        let _ = self.cmds.send(Cmd::Resize(cols, rows));
    }

    /// Ends the shell (as a closed SSH connection hangs up its shell); its sockets get `Exited`.
    pub fn hangup(&self) {
        let _ = self.cmds.send(Cmd::Hangup);
    }

    /// Socket `id` has written `n` bytes out.
    pub fn written(&self, id: u64, n: usize) {
        if let Some(sub) = self.lock().subs.iter_mut().find(|s| s.id == id) {
            sub.flow.on_written(n);
        }
        self.wake.notify_one();
    }

    /// Socket `id`'s client acknowledged `bytes` more bytes. A socket that had fallen behind
    /// and has now caught up gets the current screen again.
    pub fn ack(&self, id: u64, bytes: u32) {
        let mut shared = self.lock();
        let Shared { screen, subs, .. } = &mut *shared;
        if let Some(sub) = subs.iter_mut().find(|s| s.id == id) {
            sub.flow.on_ack(bytes);
            if sub.lagging && sub.flow.in_flight() < sub.flow.window() / 2 {
                sub.lagging = false;
                sub.full_since = None;
                send_screen(screen, sub);
            }
        }
        drop(shared);
        self.wake.notify_one();
    }

    /// Whether the PTY may be read now: no socket (that is not left behind) has a full window.
    fn may_read(&self) -> bool {
        let mut shared = self.lock();
        let now = Instant::now();
        let others = shared.subs.len() > 1;
        let mut ok = true;
        for sub in shared.subs.iter_mut().filter(|s| !s.lagging) {
            if sub.flow.may_send() {
                sub.full_since = None;
                continue;
            }
            let since = *sub.full_since.get_or_insert(now);
            if others && now.duration_since(since) >= LAG_GRACE {
                tracing::debug!(socket = sub.id, "terminal socket fell behind; it gets the screen when it catches up");
                sub.lagging = true;
            } else {
                ok = false;
            }
        }
        ok
    }

    fn output(&self, bytes: &[u8]) {
        let mut shared = self.lock();
        shared.screen.process(bytes);
        let chunk = Bytes::copy_from_slice(bytes);
        for sub in shared.subs.iter_mut().filter(|s| !s.lagging) {
            if sub.tx.send(Out::Bytes(chunk.clone())).is_ok() {
                sub.flow.on_sent(chunk.len());
            }
        }
    }

    fn started(&self) {
        let mut shared = self.lock();
        shared.phase = Phase::Running;
        let Shared { screen, subs, .. } = &mut *shared;
        for sub in subs.iter_mut() {
            let _ = sub.tx.send(Out::Ready);
            send_screen(screen, sub);
        }
    }

    /// Ends the terminal: every socket gets `last` and its channel closes.
    fn end(&self, last: impl Fn() -> Out) {
        let mut shared = self.lock();
        shared.phase = Phase::Ended;
        for sub in shared.subs.drain(..) {
            let _ = sub.tx.send(last());
        }
    }
}

/// Sends the rendered screen to one socket, in frames of at most [`FRAME`] bytes.
fn send_screen(screen: &Screen, sub: &mut Sub) {
    let bytes = Bytes::from(screen.render());
    for i in (0..bytes.len()).step_by(FRAME) {
        let part = bytes.slice(i..(i + FRAME).min(bytes.len()));
        sub.flow.on_sent(part.len());
        let _ = sub.tx.send(Out::Bytes(part));
    }
}

/// Where a terminal's shell runs, and how to tell that its node is gone.
pub struct Place {
    /// Session id.
    pub session: String,
    /// The node.
    pub node: NodeHandle,
    /// Starts the shell.
    pub provider: Arc<dyn SandboxProvider>,
    /// Says whether the node is still the session's running node.
    pub sessions: Arc<SessionRegistry>,
}

impl Place {
    fn node_is_current(&self) -> bool {
        matches!(self.sessions.running_node(&self.session, &self.node.name), Ok(h) if h.key == self.node.key)
    }

    /// Why the node is no longer the session's running node, when its session or the node
    /// itself went; `None` when it was replaced by a reset (a new shell follows there).
    fn gone_reason(&self) -> Option<(&'static str, String)> {
        use crate::error::AppError;
        use protocol::error::codes;
        match self.sessions.running_node(&self.session, &self.node.name) {
            Err(AppError::SessionNotFound) => Some((codes::SESSION_NOT_FOUND, "session ended".into())),
            Err(AppError::NodeNotFound) => Some((codes::NODE_NOT_FOUND, format!("{} was removed", self.node.name))),
            Err(AppError::NodeStopped(_)) => Some((codes::NODE_STOPPED, format!("{} stopped", self.node.name))),
            _ => None,
        }
    }
}

/// Starts a terminal in `place` of `cols`×`rows`; `on_end` runs once its shell has ended (to
/// forget it).
pub fn start(place: Place, cols: u16, rows: u16, window: u32, on_end: impl FnOnce(&Arc<Term>) + Send + 'static) -> Arc<Term> {
    let (cols, rows) = clamp_size(cols, rows);
    let (term, cmds) = Term::new(place.node.key.clone(), cols, rows, window);
    let t = term.clone();
    tokio::spawn(async move {
        run(&t, place, cols, rows, cmds).await;
        on_end(&t);
    });
    term
}

async fn run(term: &Term, place: Place, cols: u16, rows: u16, mut cmds: mpsc::UnboundedReceiver<Cmd>) {
    let node = &place.node;
    let mut shell = match Shell::spawn(place.provider.clone(), node.clone(), cols, rows).await {
        Ok(shell) => shell,
        Err(err) => {
            tracing::error!(?err, node = %node.key, "could not start a shell");
            term.end(|| Out::Failed("could not start a shell".into()));
            return;
        }
    };
    tracing::info!(node = %node.key, "terminal started");
    term.started();
    let code = pump(term, &place, &mut shell, &mut cmds).await;
    let killed = shell.terminate().await;
    // Asked however the pump ended: a node destroyed with its session often kills the shell
    // (exit 137) before the pump's own check notices the node is gone.
    let gone = place.gone_reason();
    let code = code.unwrap_or(killed);
    match gone {
        Some((reason, message)) => {
            tracing::info!(node = %node.key, %message, "terminal ended");
            term.end(|| Out::Gone { code: reason, message: message.clone() });
        }
        None => {
            term.end(|| Out::Exited(code));
            tracing::info!(node = %node.key, code, "terminal ended");
        }
    }
}

/// Relays until the shell exits (and its output is drained): its exit code; or until the node
/// goes: `None`.
async fn pump(term: &Term, place: &Place, shell: &mut Shell, cmds: &mut mpsc::UnboundedReceiver<Cmd>) -> Option<i32> {
    let mut buf = vec![0u8; READ_CHUNK];
    let mut input: VecDeque<u8> = VecDeque::new();
    let mut pty_open = true;
    let mut exit: Option<(i32, Instant)> = None;
    let mut check = tokio::time::interval(CHECK_EVERY);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut gone = place.sessions.watch_nodes_gone();
    loop {
        if let (false, Some((code, _))) = (pty_open, exit) {
            return Some(code);
        }
        let reading = pty_open && (exit.is_some() || term.may_read());
        let drain_deadline = exit.map_or_else(|| Instant::now() + Duration::from_secs(3600), |e| e.1);
        tokio::select! {
            ready = shell.pty.readable(), if reading => {
                let Ok(mut guard) = ready else { pty_open = false; continue };
                match guard.try_io(|fd| nix::unistd::read(fd.get_ref(), &mut buf).map_err(io::Error::from)) {
                    Err(_would_block) => {}
                    // EIO: every process holding the PTY's other side has closed it.
                    Ok(Ok(0)) | Ok(Err(_)) => pty_open = false,
                    Ok(Ok(n)) => term.output(&buf[..n]),
                }
            }
            ready = shell.pty.writable(), if pty_open && !input.is_empty() => {
                let Ok(mut guard) = ready else { pty_open = false; continue };
                let (front, _) = input.as_slices();
                match guard.try_io(|fd| nix::unistd::write(fd.get_ref(), front).map_err(io::Error::from)) {
                    Err(_would_block) => {}
                    Ok(Ok(n)) => {
                        input.drain(..n);
                        term.pending_input.fetch_sub(n, Ordering::Relaxed);
                    }
                    Ok(Err(_)) => {
                        term.pending_input.fetch_sub(input.len(), Ordering::Relaxed);
                        input.clear();
                    }
                }
            }
            cmd = cmds.recv() => match cmd {
                Some(Cmd::Input(bytes)) => input.extend(bytes.iter()),
                Some(Cmd::Resize(cols, rows)) => {
                    if let Err(err) = sandbox::pty::resize(shell.pty.get_ref(), cols, rows) {
                        tracing::warn!(?err, "terminal resize failed");
                    }
                    term.lock().screen.resize(cols, rows);
                }
                Some(Cmd::Hangup) => return None,
                // The sender lives in the terminal itself.
                None => {}
            },
            () = term.wake.notified() => {}
            // Some node went: check now. (The sender lives in the registry, which `place`
            // holds, so this never ends in an error.)
            _ = gone.changed(), if exit.is_none() => check.reset_immediately(),
            _ = check.tick(), if exit.is_none() => {
                if !place.node_is_current() {
                    tracing::info!(node = %place.node.key, "node or session gone; ending its terminal");
                    return None;
                }
            }
            code = shell.exit.wait(), if exit.is_none() => exit = Some((code, Instant::now() + EXIT_DRAIN)),
            () = sleep_until(drain_deadline), if exit.is_some() => return exit.map(|e| e.0),
        }
    }
}
