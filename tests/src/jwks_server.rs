//! A real JWKS endpoint on 127.0.0.1 that can misbehave on demand.
//!
//! It speaks plain HTTP/1.1 over a tokio `TcpListener`, written out by hand
//! rather than with axum, because the faults are the point: a stalled
//! response, a body dripped a byte at a time, a 10 MB body with or without
//! `Content-Length`, a listener that is gone. Every response closes its
//! connection, so each fetch is a fresh connection and a dropped listener
//! really refuses the next one.
//!
//! It counts the requests it receives (a refused connection never arrives,
//! so it is not counted), and records their paths. The URL template has
//! `{userPoolId}` in the path, and a JWKS can be set per pool.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// 200 with the JWKS set for the requested pool (or the default one).
    Serve,
    /// 200 with the JWKS, sent `delay` after the request was read: a
    /// regional endpoint's TLS and round trip, for the benchmarks.
    Delayed {
        /// The wait before the answer.
        delay: Duration,
    },
    /// The listener is dropped: connections are refused.
    Refuse,
    /// The request is read and then nothing is ever sent.
    Stall,
    /// 200 with the JWKS, its body sent one byte per `interval`.
    Drip {
        /// The pause between two bytes.
        interval: Duration,
    },
    /// This status, with a short JSON error body.
    Status(u16),
    /// 200 with an HTML page, as a captive portal or proxy error would send.
    Html,
    /// 200 with a 10 MB body; with `Content-Length` when `announced`, else
    /// delimited by closing the connection.
    Huge {
        /// Whether `Content-Length` says how big it is.
        announced: bool,
    },
}

/// The size of the [`Mode::Huge`] body.
pub const HUGE_BODY_BYTES: usize = 10 * 1024 * 1024;

struct Shared {
    mode: Mutex<Mode>,
    default_jwks: Mutex<Vec<u8>>,
    per_pool: Mutex<HashMap<String, Vec<u8>>>,
    requests: AtomicUsize,
    paths: Mutex<Vec<String>>,
}

/// A running JWKS server. Stops when dropped.
pub struct JwksServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

/// The path the server expects: `/{userPoolId}/.well-known/jwks.json`, like
/// Cognito's own URL below the issuer.
const PATH_TEMPLATE: &str = "/{userPoolId}/.well-known/jwks.json";

impl JwksServer {
    /// Starts serving `jwks` for every pool on a free port of 127.0.0.1.
    pub async fn start(jwks: &Value) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a JWKS server on 127.0.0.1");
        let address = listener.local_addr().expect("listener address");
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Serve),
            default_jwks: Mutex::new(jwks.to_string().into_bytes()),
            per_pool: Mutex::new(HashMap::new()),
            requests: AtomicUsize::new(0),
            paths: Mutex::new(Vec::new()),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        JwksServer {
            address,
            shared,
            accept: Mutex::new(Some(accept)),
        }
    }

    /// `http://127.0.0.1:PORT/{userPoolId}/.well-known/jwks.json`, for
    /// `JWKS_URL`.
    pub fn url_template(&self) -> String {
        format!("http://{}{PATH_TEMPLATE}", self.address)
    }

    /// How many requests have arrived so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The paths requested so far, in order.
    pub fn paths(&self) -> Vec<String> {
        lock(&self.shared.paths).clone()
    }

    /// Serves `jwks` for every pool without a JWKS of its own.
    pub fn set_jwks(&self, jwks: &Value) {
        *lock(&self.shared.default_jwks) = jwks.to_string().into_bytes();
    }

    /// Serves `jwks` for `pool_id` only.
    pub fn set_pool_jwks(&self, pool_id: &str, jwks: &Value) {
        lock(&self.shared.per_pool).insert(pool_id.to_owned(), jwks.to_string().into_bytes());
    }

    /// Serves these exact bytes as the JWKS body for every pool.
    pub fn set_raw_jwks(&self, body: &[u8]) {
        *lock(&self.shared.default_jwks) = body.to_vec();
    }

    /// Switches how the server answers. Switching to [`Mode::Refuse`] drops
    /// the listener before returning; switching away from it binds the same
    /// port again.
    pub async fn set_mode(&self, mode: Mode) {
        let refuse = mode == Mode::Refuse;
        *lock(&self.shared.mode) = mode;
        let running = lock(&self.accept).take();
        match (refuse, running) {
            (true, Some(task)) => {
                task.abort();
                // Awaiting the aborted task guarantees the listener is gone.
                let _ = task.await;
            }
            (false, None) => {
                let listener = TcpListener::bind(self.address)
                    .await
                    .expect("bind the JWKS server's port again");
                let task = tokio::spawn(accept_loop(listener, Arc::clone(&self.shared)));
                *lock(&self.accept) = Some(task);
            }
            (_, running) => *lock(&self.accept) = running,
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.accept).take() {
            task.abort();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve(stream, Arc::clone(&shared)));
    }
}

/// Reads one request and answers it according to the current mode.
async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let Some(path) = read_request_path(&mut stream).await else {
        return;
    };
    shared.requests.fetch_add(1, Ordering::SeqCst);
    lock(&shared.paths).push(path.clone());
    let mode = lock(&shared.mode).clone();
    let jwks = || {
        let pool = path.trim_start_matches('/').split('/').next().unwrap_or("");
        lock(&shared.per_pool)
            .get(pool)
            .cloned()
            .unwrap_or_else(|| lock(&shared.default_jwks).clone())
    };
    // Write errors only mean the client gave up (timeout, size cap): fine.
    let _ = match mode {
        Mode::Serve => respond(&mut stream, 200, "application/json", &jwks()).await,
        Mode::Delayed { delay } => {
            tokio::time::sleep(delay).await;
            respond(&mut stream, 200, "application/json", &jwks()).await
        }
        // Only reachable by a connection accepted just before the switch.
        Mode::Refuse => Ok(()),
        Mode::Stall => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        }
        Mode::Drip { interval } => drip(&mut stream, &jwks(), interval).await,
        Mode::Status(status) => {
            respond(
                &mut stream,
                status,
                "application/json",
                br#"{"message":"boom"}"#,
            )
            .await
        }
        Mode::Html => {
            let page = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>";
            respond(&mut stream, 200, "text/html", page).await
        }
        Mode::Huge { announced } => huge(&mut stream, announced).await,
    };
    let _ = stream.shutdown().await;
}

/// The path of the request line, after reading the head (at most 16 KiB).
async fn read_request_path(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let line = head.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let (_method, path) = (parts.next()?, parts.next()?);
    Some(path.to_owned())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await
}

async fn drip(stream: &mut TcpStream, body: &[u8], interval: Duration) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    for byte in body {
        stream.write_all(std::slice::from_ref(byte)).await?;
        stream.flush().await?;
        tokio::time::sleep(interval).await;
    }
    Ok(())
}

async fn huge(stream: &mut TcpStream, announced: bool) -> std::io::Result<()> {
    let length = if announced {
        format!("Content-Length: {HUGE_BODY_BYTES}\r\n")
    } else {
        String::new()
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    // A JSON-looking body: `{"keys":[` then padding, 64 KiB at a time.
    stream.write_all(br#"{"keys":["#).await?;
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 9;
    while sent < HUGE_BODY_BYTES {
        let take = chunk.len().min(HUGE_BODY_BYTES - sent);
        stream.write_all(&chunk[..take]).await?;
        sent += take;
    }
    stream.flush().await
}
