//! [`RelayLink`]: a loopback TCP forwarder between the engine's event stream and the embedded
//! relay, which can be cut and held down — to show that a dropped SSE stream resumes with
//! `Last-Event-ID` and loses nothing.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

#[derive(Debug, Default)]
struct Inner {
    down: AtomicBool,
    connections: Mutex<Vec<AbortHandle>>,
}

impl Inner {
    fn cut(&self) {
        let mut conns = self.connections.lock().unwrap_or_else(PoisonError::into_inner);
        for c in conns.drain(..) {
            c.abort();
        }
    }
}

/// Forwards `127.0.0.1:<port>` to the relay.
#[derive(Debug)]
pub struct RelayLink {
    addr: SocketAddr,
    inner: Arc<Inner>,
    accept: JoinHandle<()>,
}

impl RelayLink {
    /// Listens on an ephemeral loopback port and forwards every connection to `target`.
    pub async fn start(target: SocketAddr) -> std::io::Result<RelayLink> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner::default());
        let shared = inner.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if shared.down.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let conn = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                let mut conns = shared.connections.lock().unwrap_or_else(PoisonError::into_inner);
                conns.retain(|c| !c.is_finished());
                conns.push(conn.abort_handle());
            }
        });
        Ok(RelayLink { addr, inner, accept })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Drops every open connection (the engine reconnects at once).
    pub fn cut(&self) {
        self.inner.cut();
    }

    /// `false`: cut every connection and refuse new ones until set up again.
    pub fn set_up(&self, up: bool) {
        self.inner.down.store(!up, Ordering::SeqCst);
        if !up {
            self.inner.cut();
        }
    }

    /// Whether connections are let through.
    pub fn is_up(&self) -> bool {
        !self.inner.down.load(Ordering::SeqCst)
    }
}

impl Drop for RelayLink {
    fn drop(&mut self) {
        self.accept.abort();
        self.inner.cut();
    }
}
