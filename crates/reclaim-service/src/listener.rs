//! The hardened HTTP listener the service's public endpoint runs on (attack 9 of
//! `recovery-service.md` §5: slow-loris and connection floods).
//!
//! axum's own `serve` has no header-read timeout, no idle timeout and no connection cap, so the
//! accept loop is written here on hyper's HTTP/1 connection builder:
//! * a connection that has not sent a whole request head within `header_read_timeout` is closed
//!   (hyper's `header_read_timeout`, also between keep-alive requests);
//! * a connection on which nothing is read or written for `idle_timeout` is closed (event
//!   streams send a keep-alive comment more often than that, so they stay open);
//! * at most `max_connections` connections at once, and at most `max_per_address` from one
//!   peer address: a connection over either cap is closed at once, before a byte is read;
//! * request bodies are capped by the router (`DefaultBodyLimit`), per route.

use std::collections::HashMap;
use std::fmt;
use std::future::Future as _;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};

/// The listener's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A request head (start line and headers) must arrive within this time.
    pub header_read_timeout: Duration,
    /// A connection with no bytes read or written for this long is closed.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Connections open at once from one peer address.
    pub max_per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            max_per_address: 256,
        }
    }
}

/// Counters of what the listener refused.
#[derive(Debug, Default)]
pub struct ListenerStats {
    refused_total: std::sync::atomic::AtomicU64,
    refused_per_address: std::sync::atomic::AtomicU64,
}

impl ListenerStats {
    /// Connections closed because the total cap was reached.
    pub fn refused_total(&self) -> u64 {
        self.refused_total.load(std::sync::atomic::Ordering::Relaxed)
    }
    /// Connections closed because their address had too many open.
    pub fn refused_per_address(&self) -> u64 {
        self.refused_per_address.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A server running in the background; [`Server::shutdown`] stops it.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    stats: Arc<ListenerStats>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Server {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the listener refused so far.
    pub fn stats(&self) -> &ListenerStats {
        &self.stats
    }

    /// Stops accepting and closes every connection.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Serves `router` on `listener` with `limits`, in the background.
pub fn serve(listener: TcpListener, router: axum::Router, limits: Limits) -> io::Result<Server> {
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let stats = Arc::new(ListenerStats::default());
    let task = tokio::spawn(accept_loop(listener, router, limits, stopped, stats.clone()));
    Ok(Server { addr, stop, task, stats })
}

/// Per-address connection counts; a slot is given back when its guard drops.
#[derive(Debug, Default)]
struct PerAddress {
    open: Mutex<HashMap<IpAddr, usize>>,
}

struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = open.entry(ip).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(AddressSlot { table: self.clone(), ip })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
    stats: Arc<ListenerStats>,
) {
    let total = Arc::new(Semaphore::new(limits.max_connections));
    let per_address = Arc::new(PerAddress::default());
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Reap finished connection tasks so the set does not grow.
        while connections.try_join_next().is_some() {}
        let Ok(permit) = total.clone().try_acquire_owned() else {
            stats.refused_total.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!("connection refused: total cap");
            continue;
        };
        let Some(slot) = per_address.take(peer.ip(), limits.max_per_address) else {
            stats.refused_per_address.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!("connection refused: per-address cap");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let mut stop = stopped.clone();
        connections.spawn(async move {
            let _held = (permit, slot);
            let io = TokioIo::new(IdleTimeout::new(stream, limits.idle_timeout));
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
            let conn = builder.serve_connection(io, service).with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                }
                _ = stop.changed() => {}
            }
        });
    }
    connections.shutdown().await;
}

/// A stream that fails with `TimedOut` once nothing has been read or written for `idle`.
struct IdleTimeout<S> {
    inner: S,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    fn new(inner: S, idle: Duration) -> Self {
        Self { inner, idle, deadline: Box::pin(tokio::time::sleep(idle)) }
    }

    fn touch(&mut self) {
        if let Some(at) = Instant::now().checked_add(self.idle) {
            self.deadline.as_mut().reset(at);
        }
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connection idle")
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(result)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, data) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.touch();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
