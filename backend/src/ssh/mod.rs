//! SSH into nodes (`MUELLE_SSH_LISTEN`): `ssh -p 2222 node1.<session id>.<key>@server` opens a
//! shell on that node from the student's own terminal.
//!
//! No accounts: the user name carries the node, the session and a key derived from the session's
//! stored token digest ([`user`]); it is accepted with the `none` method (or any password). The
//! short name `node1.<session id>` logs in with the session token as its password (its digest
//! checked against the stored one in constant time). Anything else gets the same generic
//! refusal, and an address with too many refusals is refused for a while. A `shell` request starts a new shell through the terminal machinery
//! ([`crate::terminal`]) under a free term number from 2 (the browser lists it like its own
//! shells), with the client's pty size and window changes. Output goes out through russh's
//! channel window: [`russh::server::Handle::data`] waits while the client's window is full, and
//! only then is the chunk counted as written ([`Term::written`]), so the terminal stops reading
//! the PTY as it does for a WebSocket. The channel closes when the shell exits, the node goes or
//! the session ends; a closed channel hangs its shell up. `exec` is refused with a message.
//!
//! The `sftp` subsystem (`sftp`, and `scp`, which speaks SFTP from OpenSSH 9) runs the node's own
//! `sftp-server` inside the node, as root in /root, its stdin and stdout relayed over the channel
//! ([`relay_sftp`]): what it can reach is what a shell on that node can. Its output waits for the
//! client's window like a shell's; input it has not read yet is bounded ([`MAX_PENDING_SFTP`]) and a
//! client that keeps sending past that is disconnected.
//!
//! Local forwarding (`ssh -L 9000:localhost:80 …`) reaches the node's own ports: a `direct-tcpip`
//! target `localhost`, `127.0.0.1`, `::1` or the node's address connects to the node's address on
//! the session network (so a service bound to the node's loopback only is not reachable); any
//! other target is refused, so the tunnel reaches neither the host nor another node. Remote
//! forwarding (`-R`) is refused.


use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Bytes;
use russh::keys::PrivateKey;
use russh::server::{Auth, ChannelOpenHandle, Handle, Msg, PublicKeyOffer, Session};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use tokio::sync::mpsc;

use crate::error::AppError;
use crate::limits::{RateLimiter, Slot};
use crate::sessions::ssh_user as user;
use crate::state::AppState;
use crate::terminal::term::{Out, Term};

/// The host key's file in the data directory (OpenSSH format, mode 0600).
pub const HOST_KEY_FILE: &str = "ssh_host_ed25519_key";
/// The first term number an SSH shell takes (1 is the browser's first shell).
const FIRST_TERM: u8 = 2;
/// Refused logins one address may have per minute (and at once) before it is refused outright.
const FAILURES_PER_MINUTE: u32 = 20;
/// Session channels one connection may open.
const MAX_CHANNELS: usize = 4;
/// Forwarded connections (`ssh -L`) one SSH connection may have open at once.
const MAX_FORWARDS: usize = 16;
/// How long connecting a forwarded connection to the node may take.
const FORWARD_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The SFTP server inside the node (Debian's `openssh-sftp-server`, in the node image).
pub const SFTP_SERVER: &str = "/usr/lib/openssh/sftp-server";
/// Bytes sent to an SFTP channel that its server has not read yet. OpenSSH's client keeps at most
/// 64 requests of 32 KiB in flight (2 MiB), and the server reads its input eagerly; more than
/// this is a client that does not wait for replies, and it is disconnected.
pub const MAX_PENDING_SFTP: usize = 8 << 20;
/// Most bytes of the SFTP server's own error output passed on to the client.
const SFTP_STDERR_CAP: usize = 4096;

/// The `ssh` command line for `user` at `host` (the name the browser used) and `port`.
pub fn command(user: &str, host: &str, port: u16) -> String {
    if port == 22 {
        format!("ssh {user}@{host}")
    } else {
        format!("ssh -p {port} {user}@{host}")
    }
}

/// The host key kept in `data_dir` ([`HOST_KEY_FILE`]), made (ed25519) on first use, so that
/// clients see the same key across restarts.
pub fn load_or_create_host_key(data_dir: &Path) -> anyhow::Result<PrivateKey> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join(HOST_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(pem) => return PrivateKey::from_openssh(pem.trim()).with_context(|| format!("reading the SSH host key {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let seed: [u8; 32] = rand::random();
    let key = PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&seed));
    let pem = key.to_openssh(russh::keys::ssh_key::LineEnding::LF).context("encoding the SSH host key")?;
    // create_new: two servers starting at once never overwrite each other's key.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(pem.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(file = %path.display(), "made the SSH host key");
    Ok(key)
}

/// The running SSH endpoint; dropping it stops accepting connections.
pub struct Running {
    handle: russh::server::RunningServerHandle,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.shutdown("server stopping".into());
        self.task.abort();
    }
}

/// Binds `addr`, records it in `state.ssh` and serves SSH there until the result is dropped.
pub async fn start(addr: SocketAddr, state: AppState) -> anyhow::Result<Running> {
    let key = load_or_create_host_key(&state.config.data_dir)?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding MUELLE_SSH_LISTEN {addr}"))?;
    let bound = listener.local_addr()?;
    let _ = state.ssh.addr.set(bound);
    let config = russh::server::Config {
        server_id: russh::SshId::Standard("SSH-2.0-muelle".into()),
        methods: MethodSet::from(&[MethodKind::None, MethodKind::Password][..]),
        auth_rejection_time: Duration::from_secs(1),
        auth_rejection_time_initial: Some(Duration::from_secs(1)),
        keys: vec![key],
        max_auth_attempts: 3,
        inactivity_timeout: Some(Duration::from_secs(3600)),
        keepalive_interval: Some(Duration::from_secs(30)),
        nodelay: true,
        ..Default::default()
    };
    let shared = Arc::new(Shared { state, failures: RateLimiter::new(FAILURES_PER_MINUTE, FAILURES_PER_MINUTE) });
    let (handle_tx, handle_rx) = tokio::sync::oneshot::channel();
    // The accept loop borrows the server and the listener: both live in its task.
    let task = tokio::spawn(async move {
        let mut server = Server { shared };
        let running = russh::server::Server::run_on_socket(&mut server, Arc::new(config), &listener);
        let _ = handle_tx.send(running.handle());
        if let Err(err) = running.await {
            tracing::error!(%err, "the SSH endpoint stopped");
        }
    });
    let handle = handle_rx.await.context("starting the SSH endpoint")?;
    tracing::info!(addr = %bound, "SSH listening");
    Ok(Running { handle, task })
}

struct Shared {
    state: AppState,
    failures: RateLimiter,
}

struct Server {
    shared: Arc<Shared>,
}

impl russh::server::Server for Server {
    type Handler = Conn;

    fn new_client(&mut self, peer: Option<SocketAddr>) -> Conn {
        let forwards = Arc::new(tokio::sync::Semaphore::new(MAX_FORWARDS));
        Conn { shared: self.shared.clone(), peer: peer.map(|p| p.ip()), user: None, chans: HashMap::new(), forwards }
    }
}

/// One SSH connection.
struct Conn {
    shared: Arc<Shared>,
    peer: Option<IpAddr>,
    /// Set once authenticated.
    user: Option<user::User>,
    chans: HashMap<ChannelId, Chan>,
    /// One permit per open forwarded connection.
    forwards: Arc<tokio::sync::Semaphore>,
}

/// One session channel: what the client asked for before its shell, then the shell.
#[derive(Default)]
struct Chan {
    size: Option<(u16, u16)>,
    lang: Option<&'static str>,
    shell: Option<Shell>,
    sftp: Option<Sftp>,
}

/// A channel's SFTP server: fed through `input` (dropped at the client's EOF, which closes the
/// server's stdin); its relay task (and with it the process) ends when the channel goes.
struct Sftp {
    input: Option<mpsc::UnboundedSender<Bytes>>,
    /// Bytes in `input` not yet written to the server's stdin.
    pending: Arc<std::sync::atomic::AtomicUsize>,
    relay: tokio::task::JoinHandle<()>,
}

impl Drop for Sftp {
    fn drop(&mut self) {
        self.relay.abort();
    }
}

/// A channel's shell: detached and hung up when the channel goes.
struct Shell {
    term: Arc<Term>,
    sub: u64,
    pump: tokio::task::JoinHandle<()>,
    _slots: (Slot<String>, Slot<IpAddr>),
}

impl Drop for Shell {
    fn drop(&mut self) {
        self.pump.abort();
        self.term.detach(self.sub);
        self.term.hangup();
    }
}

impl Conn {
    /// Accepts `name` if it is a visible session's node with the right key (`node1.<id>.<key>`,
    /// any password), or the short name `node1.<id>` with the session's token as `password`.
    fn check(&mut self, name: &str, password: Option<&str>) -> Auth {
        let addr = self.peer.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        if !self.shared.failures.has_token(addr) {
            tracing::debug!(%addr, "SSH login refused: too many failures from this address");
            return Auth::reject();
        }
        let sessions = &self.shared.state.sessions;
        let accepted = if let Some(u) = user::parse(name) {
            sessions.ssh_key_matches(&u.session, &u.key).then_some(u)
        } else if let Some(u) = user::parse_short(name) {
            match password {
                // The client's first try (`none`): not a failure, it asks for the password next.
                None => return Auth::Reject { proceed_with_methods: Some(MethodSet::from(&[MethodKind::Password][..])), partial_success: false },
                Some(p) => sessions.ssh_password_matches(&u.session, p).then_some(u),
            }
        } else {
            None
        };
        match accepted {
            Some(u) => {
                let how = if u.key.is_empty() { "token" } else { "key" };
                tracing::info!(session_id = %u.session, node = %u.node, %addr, how, "SSH login");
                self.user = Some(u);
                Auth::Accept
            }
            None => {
                let _ = self.shared.failures.check(addr);
                Auth::reject()
            }
        }
    }

    /// Starts the shell of `channel`: the node's shell under a free term number, attached.
    fn start_shell(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), String> {
        let u = self.user.clone().ok_or("not logged in")?;
        let chan = self.chans.get_mut(&channel).ok_or("no such channel")?;
        if chan.shell.is_some() {
            return Err("this channel has a shell already".into());
        }
        let state = &self.shared.state;
        let node = running_node(state, &u)?;
        let addr = self.peer.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let slots = state.limits.terminal_slots(&u.session, addr).map_err(|e| e.to_api_error().message)?;
        let (term_no, term) = state
            .terminals
            .start_free(&u.session, node, FIRST_TERM, chan.size, chan.lang)
            .ok_or_else(|| format!("{} has {} shells open already; close one and connect again", u.node, crate::terminal::MAX_TERMS_PER_NODE))?;
        let (sub, outs) = term.attach(chan.size).ok_or("the shell has just ended; connect again")?;
        tracing::info!(session_id = %u.session, node = %u.node, term = term_no, "SSH shell");
        let _ = session.channel_success(channel);
        let pump = tokio::spawn(pump(session.handle(), channel, term.clone(), sub, outs));
        chan.shell = Some(Shell { term, sub, pump, _slots: slots });
        Ok(())
    }

    /// Starts the node's SFTP server for `channel`, relayed by a task of its own.
    fn start_sftp(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), String> {
        let u = self.user.clone().ok_or("not logged in")?;
        let chan = self.chans.get_mut(&channel).ok_or("no such channel")?;
        if chan.shell.is_some() || chan.sftp.is_some() {
            return Err("this channel is in use already".into());
        }
        let state = &self.shared.state;
        let node = running_node(state, &u)?;
        let mut cmd = tokio::process::Command::from(state.provider.command(&node, &[SFTP_SERVER.to_string()]));
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| {
            tracing::warn!(error = %e, "SSH: cannot start the SFTP server");
            "cannot start the SFTP server".to_string()
        })?;
        tracing::info!(session_id = %u.session, node = %u.node, "SSH sftp");
        let _ = session.channel_success(channel);
        let (input, inputs) = mpsc::unbounded_channel();
        let pending = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let relay = tokio::spawn(relay_sftp(session.handle(), channel, child, inputs, pending.clone()));
        chan.sftp = Some(Sftp { input: Some(input), pending, relay });
        Ok(())
    }
}

/// The logged-in user's node, or what to tell the client when it is not running.
fn running_node(state: &AppState, u: &user::User) -> Result<crate::provider::NodeHandle, String> {
    state.sessions.running_node(&u.session, &u.node).map_err(|e| match e {
        AppError::SessionNotFound => "session ended".to_string(),
        AppError::NodeNotFound => format!("this session has no node {}", u.node),
        other => other.to_api_error().message,
    })
}

/// Whether `host` (a `direct-tcpip` target) names the node itself: `localhost`, a loopback
/// address written as the client would (`127.0.0.1`, `::1`), or the node's own address `node_ip`.
/// Anything else (another node, the host, another loopback address) is refused.
pub fn is_own_target(host: &str, node_ip: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "::1" || host == node_ip
}

/// Says `message` on the channel's stderr, exits 1 and closes it (the request itself succeeds,
/// so that OpenSSH shows the message rather than only "request failed").
fn refuse(channel: ChannelId, message: &str, session: &mut Session) -> Result<(), russh::Error> {
    session.channel_success(channel)?;
    end_with(channel, message, session)
}

/// Says `message` on the channel's stderr, exits 1 and closes it.
fn end_with(channel: ChannelId, message: &str, session: &mut Session) -> Result<(), russh::Error> {
    session.extended_data(channel, 1, Bytes::from(format!("muelle: {message}\r\n")))?;
    session.exit_status_request(channel, 1)?;
    session.eof(channel)?;
    session.close(channel)
}

/// Relays the shell's output to the channel until the shell ends or the client goes, then says
/// why (the session or the node ended) and closes the channel.
async fn pump(handle: Handle, channel: ChannelId, term: Arc<Term>, sub: u64, mut outs: mpsc::UnboundedReceiver<Out>) {
    let (code, why) = loop {
        match outs.recv().await {
            Some(Out::Ready) => {}
            Some(Out::Bytes(bytes)) => {
                let n = bytes.len();
                // Waits while the client's window is full: the backpressure the Term obeys.
                if handle.data(channel, bytes).await.is_err() {
                    term.detach(sub);
                    return;
                }
                term.written(sub, n);
            }
            Some(Out::Exited(code)) => break (code, None),
            // The session or the node went: the terminal says which ("session ended", …).
            Some(Out::Gone { message, .. }) => break (255, Some(message)),
            Some(Out::Failed(message)) => {
                let _ = handle.extended_data(channel, 1, Bytes::from(format!("muelle: {message}\r\n"))).await;
                break (1, None);
            }
            None => break (255, None),
        }
    };
    term.detach(sub);
    if let Some(why) = why {
        let _ = handle.data(channel, Bytes::from(format!("\r\nmuelle: {why}\r\n"))).await;
    }
    let _ = handle.exit_status_request(channel, u32::try_from(code).unwrap_or(255)).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

/// Relays an SFTP server: the channel's data to its stdin (closed at the client's EOF), its stdout
/// to the channel (waiting for the client's window), then its exit status and the end of the
/// channel. A few KiB of its stderr (a node without `sftp-server` says so there) go to the
/// client's stderr.
async fn relay_sftp(
    handle: Handle,
    channel: ChannelId,
    mut child: tokio::process::Child,
    mut inputs: mpsc::UnboundedReceiver<Bytes>,
    pending: Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (Some(mut stdin), Some(mut stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take()) else {
        return;
    };
    let write = async move {
        while let Some(bytes) = inputs.recv().await {
            let n = bytes.len();
            let ok = stdin.write_all(&bytes).await.is_ok();
            pending.fetch_sub(n, Ordering::Relaxed);
            if !ok {
                break;
            }
        }
        // Dropping stdin: the server reads EOF and exits.
    };
    let read = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match stdout.read(&mut buf).await {
                Ok(0) | Err(_) => return true,
                Ok(n) => {
                    if handle.data(channel, Bytes::copy_from_slice(&buf[..n])).await.is_err() {
                        return false;
                    }
                }
            }
        }
    };
    let errors = async {
        let mut kept = Vec::new();
        let mut stderr = stderr;
        let _ = (&mut stderr).take(SFTP_STDERR_CAP as u64).read_to_end(&mut kept).await;
        // The rest is read and dropped, so that the server never blocks on its stderr.
        let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
        kept
    };
    // The output decides the end: the input side stops when the server stopped reading.
    let (client_there, errors) = tokio::select! {
        r = async { tokio::join!(read, errors) } => r,
        () = async { write.await; std::future::pending::<()>().await } => unreachable!(),
    };
    if !client_there {
        return;
    }
    let code = match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
        Ok(Ok(status)) => crate::exec::exit_code(status),
        _ => 255,
    };
    if !errors.is_empty() {
        let _ = handle.extended_data(channel, 1, Bytes::from(errors)).await;
    }
    let _ = handle.exit_status_request(channel, u32::try_from(code).unwrap_or(255)).await;
    let _ = handle.eof(channel).await;
    let _ = handle.close(channel).await;
}

impl russh::server::Handler for Conn {
    type Error = russh::Error;

    async fn auth_none(&mut self, user: &str) -> Result<Auth, Self::Error> {
        Ok(self.check(user, None))
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(self.check(user, Some(password)))
    }

    async fn auth_publickey_offered(&mut self, _user: &str, _offer: PublicKeyOffer<'_>) -> Result<Auth, Self::Error> {
        Ok(Auth::reject())
    }

    async fn channel_open_session(&mut self, channel: Channel<Msg>, reply: ChannelOpenHandle, _session: &mut Session) -> Result<(), Self::Error> {
        if self.user.is_none() || self.chans.len() >= MAX_CHANNELS {
            reply.reject(russh::ChannelOpenFailure::AdministrativelyProhibited).await;
            return Ok(());
        }
        // Requests and data come to this handler; the channel object itself is not read.
        self.chans.insert(channel.id(), Chan::default());
        reply.accept().await;
        Ok(())
    }

    /// `ssh -L`: a connection to the node's own port (`localhost:80` means the node's port 80),
    /// made to the node's address on the session network; any other target is refused.
    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<Msg>,
        host_to_connect: &str,
        port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(u) = self.user.clone() else {
            reply.reject(russh::ChannelOpenFailure::AdministrativelyProhibited).await;
            return Ok(());
        };
        let Ok(permit) = self.forwards.clone().try_acquire_owned() else {
            reply.reject(russh::ChannelOpenFailure::ResourceShortage).await;
            return Ok(());
        };
        let target = match self.shared.state.sessions.running_node(&u.session, &u.node) {
            Ok(node) => {
                let port = u16::try_from(port_to_connect).ok().filter(|p| *p != 0);
                let ip = node.ip.parse::<IpAddr>().ok();
                match (port, ip) {
                    (Some(port), Some(ip)) if is_own_target(host_to_connect, &node.ip) => Some(SocketAddr::new(ip, port)),
                    _ => None,
                }
            }
            Err(_) => None,
        };
        let Some(addr) = target else {
            tracing::info!(session_id = %u.session, node = %u.node, host = host_to_connect, port = port_to_connect, "SSH forward refused");
            reply.reject(russh::ChannelOpenFailure::AdministrativelyProhibited).await;
            return Ok(());
        };
        tokio::spawn(async move {
            let _permit = permit;
            let stream = match tokio::time::timeout(FORWARD_CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => stream,
                _ => return reply.reject(russh::ChannelOpenFailure::ConnectFailed).await,
            };
            let _ = stream.set_nodelay(true);
            reply.accept().await;
            tracing::debug!(session_id = %u.session, node = %u.node, %addr, "SSH forward");
            let (mut a, mut b) = (channel.into_stream(), stream);
            let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
        });
        Ok(())
    }

    async fn channel_close(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        self.chans.remove(&channel);
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        cols: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match self.chans.get_mut(&channel) {
            Some(chan) => {
                chan.size = Some(size(cols, rows));
                session.channel_success(channel)
            }
            None => session.channel_failure(channel),
        }
    }

    async fn env_request(&mut self, channel: ChannelId, name: &str, value: &str, session: &mut Session) -> Result<(), Self::Error> {
        // The welcome text follows the client's language, as the browser's follows its cookie.
        if let Some(chan) = self.chans.get_mut(&channel) {
            if name == "LANG" && value.starts_with("es") {
                chan.lang = Some("es");
            }
        }
        session.channel_failure(channel)
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        match self.start_shell(channel, session) {
            Ok(()) => Ok(()),
            Err(message) => refuse(channel, &message, session),
        }
    }

    async fn exec_request(&mut self, channel: ChannelId, _data: &[u8], session: &mut Session) -> Result<(), Self::Error> {
        refuse(channel, "only interactive shells here; run ssh without a command (add -tt to pipe input)", session)
    }

    async fn subsystem_request(&mut self, channel: ChannelId, name: &str, session: &mut Session) -> Result<(), Self::Error> {
        if name != "sftp" {
            tracing::debug!(subsystem = name, "SSH subsystem refused");
            return session.channel_failure(channel);
        }
        match self.start_sftp(channel, session) {
            Ok(()) => Ok(()),
            Err(message) => refuse(channel, &message, session),
        }
    }

    async fn channel_eof(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        if let Some(sftp) = self.chans.get_mut(&channel).and_then(|c| c.sftp.as_mut()) {
            sftp.input = None;
        }
        Ok(())
    }

    async fn data(&mut self, channel: ChannelId, data: &[u8], session: &mut Session) -> Result<(), Self::Error> {
        let Some(chan) = self.chans.get(&channel) else { return Ok(()) };
        if let Some(sftp) = &chan.sftp {
            use std::sync::atomic::Ordering;
            let over = sftp.pending.fetch_add(data.len(), Ordering::Relaxed) + data.len() > MAX_PENDING_SFTP;
            let sent = !over && sftp.input.as_ref().is_some_and(|i| i.send(Bytes::copy_from_slice(data)).is_ok());
            if !sent {
                sftp.pending.fetch_sub(data.len(), Ordering::Relaxed);
            }
            if over {
                // Its replies are stuck behind its own full window, so closing the channel would
                // never reach it: the connection is ended instead.
                self.chans.remove(&channel);
                tracing::info!("SSH sftp: the client sends faster than the server reads; disconnected");
                session.disconnect(russh::Disconnect::ByApplication, "the client sends faster than the SFTP server reads", "")?;
            }
            return Ok(());
        }
        let Some(shell) = chan.shell.as_ref() else { return Ok(()) };
        if shell.term.input(Bytes::copy_from_slice(data)).is_err() {
            self.chans.remove(&channel);
            end_with(channel, "input arrives faster than the terminal reads it", session)?;
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        cols: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(chan) = self.chans.get_mut(&channel) {
            let (cols, rows) = size(cols, rows);
            chan.size = Some((cols, rows));
            if let Some(shell) = &chan.shell {
                shell.term.resize(cols, rows);
            }
        }
        Ok(())
    }
}

/// A pty size from the client's (0 means unknown: 80×24).
fn size(cols: u32, rows: u32) -> (u16, u16) {
    let clamp = |v: u32, default: u16| if v == 0 { default } else { u16::try_from(v).unwrap_or(u16::MAX) };
    (clamp(cols, 80), clamp(rows, 24))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ssh_host_key_is_made_once_and_kept_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_host_key(dir.path()).unwrap();
        assert_eq!(first.algorithm(), russh::keys::Algorithm::Ed25519);
        let mode = std::fs::metadata(dir.path().join(HOST_KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_or_create_host_key(dir.path()).unwrap();
        assert_eq!(first.public_key(), again.public_key(), "the same key after a restart");
        let other = load_or_create_host_key(tempfile::tempdir().unwrap().path()).unwrap();
        assert_ne!(first.public_key(), other.public_key());
    }

    #[test]
    fn the_ssh_command_names_the_port_unless_it_is_22() {
        assert_eq!(command("node1.a.b", "muelle.lan", 2222), "ssh -p 2222 node1.a.b@muelle.lan");
        assert_eq!(command("node1.a.b", "muelle.lan", 22), "ssh node1.a.b@muelle.lan");
        assert_eq!(size(0, 0), (80, 24));
        assert_eq!(size(200, 70_000), (200, u16::MAX));
    }

    #[test]
    fn ssh_forwards_reach_only_the_node_itself() {
        for ok in ["localhost", "LocalHost", "127.0.0.1", "::1", "[::1]", "10.100.3.11"] {
            assert!(is_own_target(ok, "10.100.3.11"), "{ok}");
        }
        for bad in ["127.0.0.2", "127.1", "0.0.0.0", "10.100.3.12", "10.100.3.1", "node2", "example.com", "", "::ffff:127.0.0.1", "localhost.", "2130706433"] {
            assert!(!is_own_target(bad, "10.100.3.11"), "{bad}");
        }
    }
}
