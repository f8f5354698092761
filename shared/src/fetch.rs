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
//!
//! HTTPS trusts Mozilla's root program as compiled into `webpki-roots`, not
//! the system's trust store. reqwest's own rustls set-up goes through
//! rustls-platform-verifier, which on Linux reads and parses every
//! certificate of the system bundle when the client is built, a cost on
//! every `JWKS_URL` cold start that the bundled roots all but remove
//! (`make bench`; figures in docs/performance.md). The roots are the ones Cognito's
//! endpoints chain to (Amazon Root CA 1-4, Starfield Services Root CA - G2)
//! and they are updated by updating the crate and redeploying, which is how
//! a Lambda bootstrap is updated anyway. So `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` are not read: a `JWKS_URL` behind a private CA is not
//! supported. Plain `http` (the tests' local servers) is unaffected.

use std::io::Read as _;
use std::path::Path;
use std::sync::{Arc, OnceLock};
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
        let client = http_client(self.timeout).map_err(JwksError::Client)?;
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

/// Whether `url` may be called: `https`, or plain `http` to a loopback host
/// (tests and local runs). Plain HTTP anywhere else would let anyone on the
/// path answer for the server: hand us keys, or read what we send. The one
/// rule for `JWKS_URL`, the deploy-time JWKS and CloudFormation URLs, and
/// user-migration's legacy endpoint.
pub fn is_https_or_loopback_http(url: &reqwest::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => is_loopback(url),
        _ => false,
    }
}

/// Whether `url`'s host is `localhost` or a loopback IP address.
pub fn is_loopback(url: &reqwest::Url) -> bool {
    url.host_str().is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// An HTTP client as the fetcher uses: `timeout` for the connect and for
/// the whole request, no redirects, the bundled roots (module doc). Public
/// for the deploy-time custom resource, which answers CloudFormation's
/// presigned S3 URL with it.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    let builder = reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("cognito-auth-core/", env!("CARGO_PKG_VERSION")));
    let builder = match tls_config() {
        Ok(tls) => builder.tls_backend_preconfigured(tls),
        // Cannot happen with aws-lc-rs's provider (a test checks it). If
        // it did, reqwest's own set-up still verifies, on the system's
        // roots, only slower to build.
        Err(error) => {
            tracing::warn!(error = %error, "bundled TLS roots unusable; using the system's");
            builder
        }
    };
    builder.build()
}

/// The TLS configuration handed to reqwest: rustls with aws-lc-rs (the
/// provider reqwest's `rustls` feature picks), TLS 1.2 and 1.3, the
/// `webpki-roots` trust anchors (static data: nothing is read or parsed),
/// HTTP/1.1 only, as the client speaks nothing else. reqwest takes it only
/// if it is the `rustls` version reqwest itself uses; otherwise building the
/// client fails, which a test catches.
fn tls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
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

    #[test]
    fn reqwest_takes_the_bundled_roots() {
        // `tls_config` failing would fall back to the system's roots, and a
        // `rustls` other than reqwest's would make every build fail.
        assert!(tls_config().is_ok());
        let fetcher = Fetcher::new(Duration::from_millis(100), 1000);
        if let Err(err) = fetcher.client() {
            panic!("the client with the bundled roots does not build: {err}");
        }
    }

    #[test]
    fn the_bundled_roots_include_those_cognito_chains_to() {
        let subjects: Vec<&[u8]> = webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .map(|anchor| anchor.subject.as_ref())
            .collect();
        for name in [
            "Amazon Root CA 1",
            "Amazon Root CA 2",
            "Amazon Root CA 3",
            "Amazon Root CA 4",
            "Starfield Services Root Certificate Authority - G2",
        ] {
            assert!(
                subjects
                    .iter()
                    .any(|subject| subject.ends_with(name.as_bytes())),
                "{name} is not among the bundled roots"
            );
        }
    }

    /// A self-signed P-256 certificate for IP 127.0.0.1, valid 2020-2120,
    /// and its PKCS#8 key (DER, base64): trusted by no root.
    const UNTRUSTED_CERT: &str = "MIIBZTCCAQugAwIBAgIUGWZ4Ml0FIQHYsGQ6IbHyIY/KUlYwCgYIKoZIzj0EAwIwIDEeMBwGA1UEAwwVdW50cnVzdGVkIHRlc3Qgc2VydmVyMCAXDTIwMDEwMTAwMDAwMFoYDzIxMjAwMTAxMDAwMDAwWjAgMR4wHAYDVQQDDBV1bnRydXN0ZWQgdGVzdCBzZXJ2ZXIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAR7mO7h3WpZy7o/rdG4M+JcH6RVB8fLjDL8knMoU6urgwG+g8JCz4oSUG4qm1lXdZReQ+mbFiIhyeUhfCHxjq7AoyEwHzAPBgNVHREECDAGhwR/AAABMAwGA1UdEwEB/wQCMAAwCgYIKoZIzj0EAwIDSAAwRQIgY+90Kr88nTr6Uk4tJNYca+1PcqNJBrMQ65W/EZG4l2cCIQCkcB1ZxXSMauqcmlDWEiClcDvLb6YFF6IfoPzdnh2LPQ==";
    const UNTRUSTED_KEY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkWrGONDreR00kAiusUzlg0yt27/bxDmpgz2qkslpjGWhRANCAAR7mO7h3WpZy7o/rdG4M+JcH6RVB8fLjDL8knMoU6urgwG+g8JCz4oSUG4qm1lXdZReQ+mbFiIhyeUhfCHxjq7A";

    /// An HTTPS server on 127.0.0.1 presenting the untrusted certificate to
    /// one client: its port.
    fn untrusted_https_server() -> u16 {
        use base64::Engine as _;
        use base64::engine::general_purpose::STANDARD;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

        let cert = CertificateDer::from(STANDARD.decode(UNTRUSTED_CERT).unwrap());
        let key = PrivatePkcs8KeyDer::from(STANDARD.decode(UNTRUSTED_KEY).unwrap());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], PrivateKeyDer::Pkcs8(key))
        .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            let mut tls = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            // Until the client refuses the certificate and hangs up.
            while tls.is_handshaking() && tls.complete_io(&mut tcp).is_ok() {}
        });
        port
    }

    #[tokio::test]
    async fn https_refuses_a_certificate_no_bundled_root_signed() {
        let port = untrusted_https_server();
        let fetcher = Fetcher::new(Duration::from_secs(5), 1000);
        let url = reqwest::Url::parse(&format!("https://127.0.0.1:{port}/jwks.json")).unwrap();
        let err = fetcher.fetch(&url).await.unwrap_err();
        assert_eq!(err.reason(), "jwks_transport", "{err}");
        let mut chain = Vec::new();
        let mut source: Option<&dyn std::error::Error> = Some(&err);
        while let Some(error) = source {
            chain.push(error.to_string());
            source = error.source();
        }
        assert!(
            chain
                .iter()
                .any(|message| message.contains("invalid peer certificate: UnknownIssuer")),
            "{chain:?}"
        );
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
