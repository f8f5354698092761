//! The Lambda init phase: turning a bad configuration into a clean, visible
//! failure.
//!
//! lambda_runtime reports handler errors for us but offers no way to report an
//! error that happens before `run`, while a function reads its configuration.
//! Lambda expects such errors on the Runtime API's `/init/error`: it then
//! records them as `Runtime.InitError` (visible in the console, the logs and
//! to the caller) instead of a bare "exited with status 1".

use lambda_runtime_api_client::{Client, body::Body, build_request};

use crate::config::Declared;

/// The variables every function reads. [`crate::logging`] reads the log
/// level before anything else, so that init itself is logged; `RUST_LOG`
/// wins over `AWS_LAMBDA_LOG_LEVEL` because Lambda's own filter must stay at
/// a level that passes the metric lines.
pub const EVERY_FUNCTION: &[&dyn Declared] = &[
    &crate::logging::AWS_LAMBDA_LOG_LEVEL,
    &crate::logging::RUST_LOG,
    &crate::metrics::METRICS_NAMESPACE,
];

const RUNTIME_API_VARIABLE: &str = "AWS_LAMBDA_RUNTIME_API";

/// Logs `error`, reports it to the Runtime API's `/init/error` under
/// `error_type`, and exits the process.
///
/// Exiting, rather than retrying, is deliberate: a configuration error does
/// not fix itself, and Lambda starts a fresh sandbox for the next request.
pub async fn fail(error_type: &str, error: &dyn std::error::Error) -> ! {
    let message = error.to_string();
    tracing::error!(error_type, error = %message, "init failed");
    if let Err(report_error) = report(error_type, &message).await {
        tracing::error!(error = %report_error, "could not report the init error to the Runtime API");
    }
    std::process::exit(1)
}

async fn report(
    error_type: &str,
    message: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // The Runtime API's address is the runtime's plumbing, not
    // configuration: Lambda always sets it, and nothing declares it.
    #[expect(
        clippy::disallowed_methods,
        reason = "reporting an init error cannot wait for the configuration it failed to read"
    )]
    let endpoint = std::env::var(RUNTIME_API_VARIABLE)
        .map_err(|_| format!("{RUNTIME_API_VARIABLE} is not set"))?;
    let client = Client::builder()
        .with_endpoint(endpoint.parse::<http::Uri>()?)
        .build()?;
    let body = serde_json::json!({ "errorType": error_type, "errorMessage": message });
    let request = build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("Lambda-Runtime-Function-Error-Type", error_type)
        .header("Content-Type", "application/json")
        .body(Body::from(serde_json::to_vec(&body)?))?;
    let response = client.call(request).await?;
    if !response.status().is_success() {
        return Err(format!("/init/error answered {}", response.status()).into());
    }
    Ok(())
}
