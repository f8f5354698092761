//! Getting JWKS bytes: over HTTP(S) with hard limits, or from a file.
//!
//! Limits on every fetch, because the endpoint is outside our control and a
//! hung or hostile endpoint must not hang or exhaust the function:
//! - one total timeout over connect, headers and body, so a server that
//!   drips one byte a second cannot hold a request open past it;
//! - a body-size cap, checked against `Content-Length` first and then
//!   against the bytes actually streamed (a server may lie or omit it);
//! - status 200 only, and no redirects: Cognito does not redirect, and
//!   following one would let the endpoint send us to any host.
//!
//! The HTTP client (and so its TLS set-up) is built on the first fetch, not
//! at init: a cold start that loads keys from `JWKS_FILE` does no network
//! work and builds no TLS configuration at all.

use std::io::Read as _;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use crate::error::JwksError;

/// Fetches JWKS documents. One per [`Verifier`](crate::Verifier), shared by
/// all its pools so that they share one connection pool.
pub(crate) struct Fetcher {
    client: OnceLock<reqwest::Client>,
    timeout: Duration,
    max_bytes: usize,
}

impl Fetcher {
    /// A fetcher with the given limits. Builds nothing yet.
    pub(crate) fn new(timeout: Duration, max_bytes: usize) -> Self {
        Self {
            client: OnceLock::new(),
            timeout,
            max_bytes,
        }
    }

    /// The body of `GET url`, within the limits described in the module doc.
    pub(crate) async fn fetch(&self, url: &reqwest::Url) -> Result<Vec<u8>, JwksError> {
        let client = self.client()?;
        match tokio::time::timeout(self.timeout, self.fetch_body(client, url)).await {
            Ok(result) => result,
            Err(_) => Err(JwksError::Timeout {
                timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }

    /// Whether the HTTP client has been built (that is, a fetch was tried).
    #[cfg(test)]
    pub(crate) fn client_built(&self) -> bool {
        self.client.get().is_some()
    }

    /// The shared client, built on first use. Two concurrent first uses may
    /// both build one; the loser's is dropped, which is harmless.
    fn client(&self) -> Result<&reqwest::Client, JwksError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .connect_timeout(self.timeout)
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cognito-auth-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(JwksError::Client)?;
        Ok(self.client.get_or_init(|| client))
    }

    async fn fetch_body(
        &self,
        client: &reqwest::Client,
        url: &reqwest::Url,
    ) -> Result<Vec<u8>, JwksError> {
        let mut response = client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|err| self.classify(err))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(JwksError::Status {
                status: status.as_u16(),
            });
        }
        let too_large = JwksError::TooLarge {
            max: self.max_bytes,
        };
        let announced = response.content_length().unwrap_or(0);
        if announced > self.max_bytes as u64 {
            return Err(too_large);
        }
        // The announced length is trusted only for the initial allocation,
        // and only because it is already known to be under the cap.
        let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(|err| self.classify(err))? {
            if body.len().saturating_add(chunk.len()) > self.max_bytes {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// reqwest's own timeout is set too (as a second line); report it as ours.
    fn classify(&self, err: reqwest::Error) -> JwksError {
        if err.is_timeout() {
            JwksError::Timeout {
                timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            }
        } else {
            JwksError::Transport(err)
        }
    }
}

/// Reads a JWKS file, refusing one larger than `max_bytes`. Blocking I/O is
/// fine here: it runs once, at init, before the function serves anything.
pub(crate) fn read_file(path: &Path, max_bytes: usize) -> Result<Vec<u8>, JwksError> {
    let file = std::fs::File::open(path).map_err(JwksError::Io)?;
    let mut body = Vec::new();
    // Read one byte past the cap, so that "exactly the cap" and "more" differ.
    let limit = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    file.take(limit)
        .read_to_end(&mut body)
        .map_err(JwksError::Io)?;
    if body.len() > max_bytes {
        return Err(JwksError::TooLarge { max: max_bytes });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("cognito-auth-core-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn file_reads_are_capped() {
        let path = temp_file("cap", &[b'x'; 100]);
        assert_eq!(read_file(&path, 100).unwrap().len(), 100);
        assert!(matches!(
            read_file(&path, 99),
            Err(JwksError::TooLarge { max: 99 })
        ));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(read_file(&path, 100), Err(JwksError::Io(_))));
    }

    #[test]
    fn the_client_is_not_built_until_the_first_fetch() {
        let fetcher = Fetcher::new(Duration::from_millis(100), 1000);
        assert!(fetcher.client.get().is_none());
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_transport_error() {
        // Bind then drop a listener: the port is then (almost surely) closed.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let fetcher = Fetcher::new(Duration::from_millis(500), 1000);
        let url = reqwest::Url::parse(&format!("http://127.0.0.1:{port}/jwks.json")).unwrap();
        let err = fetcher.fetch(&url).await.unwrap_err();
        assert_eq!(err.reason(), "jwks_transport", "{err}");
        assert!(fetcher.client.get().is_some());
    }
}
