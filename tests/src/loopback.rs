//! Small servers the tests start on 127.0.0.1, each stopped when dropped.
//!
//! Several test peers (the moto front, the cognito-local Lambda relay) are
//! an axum router on a free loopback port, and two test files need an
//! endpoint that accepts connections and never answers: the binding,
//! spawning and stopping live here once.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A router served on a free port of 127.0.0.1 until this is dropped.
pub struct Served {
    address: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Served {
    /// Serves `router` on a free port of 127.0.0.1; `what` names it in a
    /// failure to bind.
    pub async fn start(router: axum::Router, what: &str) -> Served {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap_or_else(|err| panic!("bind the {what} on 127.0.0.1: {err}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|err| panic!("the {what}'s address: {err}"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Served { address, server }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A TCP endpoint that counts connections and never answers: a call to it
/// can neither succeed nor fail fast, so only the SDK's own timeouts can end
/// it.
pub struct SilentEndpoint {
    port: u16,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl SilentEndpoint {
    pub async fn start() -> SilentEndpoint {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind the silent endpoint");
        let port = listener.local_addr().expect("address").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        SilentEndpoint {
            port,
            connections,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// How many connections it has accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for SilentEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}
