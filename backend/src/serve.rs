//! Serving the app on a TCP listener, with what `axum::serve` leaves out: a header-read timeout
//! that also closes idle kept-alive connections, a cap on open connections (upgraded terminal
//! sockets included), the peer address for each request, and graceful shutdown. The accept loop
//! follows axum's `serve-with-hyper` example, on hyper's HTTP/1 connection builder (browsers speak
//! HTTP/1.1 to a plain-HTTP server; hyper-util's `auto` builder would first wait for a version
//! preface with no timeout at all).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use nix::sys::resource::{getrlimit, setrlimit, Resource};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tower::Service;

use crate::config::ServerLimits;

/// How long a new connection waits for a free slot before it is closed.
const ADMIT_WAIT: Duration = Duration::from_millis(500);
/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// File descriptors kept for everything but client connections (nodes, ptys, exec pipes, db).
const FD_RESERVE: u64 = 512;

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets requests
/// in flight finish (up to [`SHUTDOWN_GRACE`]) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &ServerLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    serve_tls(listener, app, limits, None, shutdown).await
}

/// [`serve`], speaking TLS on every connection when `tls` is given (the handshake has the
/// header timeout too).
pub async fn serve_tls(
    listener: TcpListener,
    app: Router,
    limits: &ServerLimits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let handshake_timeout = limits.header_timeout;
    let max = connection_cap(limits.max_connections);
    let slots = Arc::new(Semaphore::new(max));
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a sender; all of them gone = every connection finished.
    let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
    let refused = AtomicU64::new(0);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = accept(&listener) => accepted,
            () = &mut shutdown => break,
        };
        let Some(slot) = admit(&slots).await else {
            // Closing at once keeps the descriptor free; the client may retry.
            let n = refused.fetch_add(1, Ordering::Relaxed);
            crate::metrics::METRICS.connection_refused();
            if n.is_power_of_two() {
                tracing::warn!(refused = n + 1, max, "connection limit reached; closing new connections");
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let held = Held { stream, _slot: slot };
        let conn = Conn { app: app.clone(), http1: http1.clone(), stop: stop_rx.clone(), peer };
        let (tls, alive) = (tls.clone(), alive_tx.clone());
        tokio::spawn(async move {
            match tls {
                None => conn.serve(held).await,
                Some(acceptor) => match tokio::time::timeout(handshake_timeout, acceptor.accept(held)).await {
                    Ok(Ok(stream)) => conn.serve(stream).await,
                    Ok(Err(err)) => tracing::debug!(%err, %peer, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
            }
            drop(alive);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(alive_tx);
    if tokio::time::timeout(SHUTDOWN_GRACE, alive_rx.recv()).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace period");
    }
    Ok(())
}

/// What one connection's task needs.
struct Conn {
    app: Router,
    http1: hyper::server::conn::http1::Builder,
    stop: watch::Receiver<bool>,
    peer: SocketAddr,
}

impl Conn {
    /// Serves HTTP/1.1 (and upgrades) on `io` until the client leaves, the header timeout
    /// passes, or shutdown asks it to finish its request in flight.
    async fn serve<I: AsyncRead + AsyncWrite + Unpin + Send + 'static>(mut self, io: I) {
        let (app, peer) = (self.app, self.peer);
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().call(req)
        });
        let conn = self.http1.serve_connection(TokioIo::new(io), service).with_upgrades();
        tokio::pin!(conn);
        let result = tokio::select! {
            r = conn.as_mut() => r,
            _ = self.stop.changed() => {
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        if let Err(err) = result {
            tracing::debug!(%err, %peer, "connection ended with an error");
        }
    }
}

/// The next connection; errors such as EMFILE are logged and retried after a pause, as
/// `axum::serve` does, so a burst never ends the accept loop.
async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            Err(err) if matches!(err.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) => {}
            Err(err) => {
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A connection slot: at once if one is free, else after at most [`ADMIT_WAIT`].
async fn admit(slots: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    if let Ok(slot) = slots.clone().try_acquire_owned() {
        return Some(slot);
    }
    tokio::time::timeout(ADMIT_WAIT, slots.clone().acquire_owned()).await.ok()?.ok()
}

/// `configured`, lowered when the process may not open that many descriptors.
fn connection_cap(configured: usize) -> usize {
    let soft = getrlimit(Resource::RLIMIT_NOFILE).map(|(soft, _)| soft).unwrap_or(1024);
    let room = usize::try_from(soft.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX).max(16);
    if room < configured {
        tracing::warn!(configured, room, nofile = soft, "MUELLE_MAX_CONNECTIONS lowered to fit RLIMIT_NOFILE");
    }
    configured.min(room)
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (a service manager's default soft limit of
/// 1024 would cap a class at a few hundred connections); returns the new soft limit.
pub fn raise_nofile_limit() -> u64 {
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => hard,
            Err(err) => {
                tracing::warn!(?err, soft, hard, "could not raise RLIMIT_NOFILE");
                soft
            }
        },
        Ok((soft, _)) => soft,
        Err(err) => {
            tracing::warn!(?err, "could not read RLIMIT_NOFILE");
            0
        }
    }
}

/// A connection's socket with its slot: the slot is given back when the socket closes, also
/// when hyper hands the socket to an upgrade (a terminal's WebSocket keeps its slot).
struct Held {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
}

impl AsyncRead for Held {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Held {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nofile_is_raised_to_the_hard_limit() {
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        setrlimit(Resource::RLIMIT_NOFILE, 1024.min(hard), hard).unwrap();
        assert_eq!(raise_nofile_limit(), hard);
        assert_eq!(getrlimit(Resource::RLIMIT_NOFILE).unwrap(), (hard, hard));
    }
}
