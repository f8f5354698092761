//! `deploy-keys`: a CloudFormation custom resource that reads the user
//! pool's JWKS once the pool exists and hands it to the template
//! (`!GetAtt DeployKeys.Jwks`), which passes it to the authorizer in its
//! `JWKS` variable: a cold start then needs no network.
//!
//! CloudFormation waits for an answer on the request's presigned S3 URL
//! (AWS's "Custom resource response objects" page), and a request left
//! unanswered holds the stack for an hour. So every request that names a URL
//! is answered, on every path: Create and Update read the keys and answer
//! SUCCESS with them, or FAILED with the reason (the endpoint down, no
//! usable key, a bad `UserPoolId`); Delete answers SUCCESS at once, fetching
//! nothing (there is nothing to delete, and a Delete that failed would
//! block the stack's deletion). Only an event without a URL, which cannot
//! be answered, is an invocation error; so is an upload that fails, which
//! Lambda's retries of the asynchronous invocation then repeat.
//!
//! Modules: [`request`] (the event, pure), [`answer`] (the body and the
//! 4 KB budget, pure), [`config`].
#![deny(missing_docs)]

pub mod answer;
pub mod config;
pub mod error;
pub mod request;

use std::time::Duration;

use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use cognito_auth_core::jwks::{self, KeySet};
use cognito_auth_core::metrics;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

use crate::answer::{Keys, Outcome};
pub use crate::config::Config;
pub use crate::error::FnError;
use crate::request::{Request, RequestType};

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "deploy-keys";

/// One read of the JWKS: a deploy can wait longer than an authorizer, but
/// not for ever (the function's timeout is 30 s).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The upload of the answer.
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest JWKS read, as the authorizer's default `JWKS_MAX_BYTES`.
pub const MAX_JWKS_BYTES: usize = 150_000;

/// Built once per sandbox.
pub struct State {
    config: Config,
    client: reqwest::Client,
    metrics: metrics::Metrics,
}

impl State {
    /// The HTTP client for the upload (built here: a deploy-time function
    /// has no cold start to save).
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        let client = jwks::http_client(UPLOAD_TIMEOUT)
            .map_err(|err| ConfigError::new("HTTP client", err.to_string()))?;
        Ok(Self {
            metrics: metrics::Metrics::new(config.metrics_namespace.clone(), FUNCTION_NAME),
            client,
            config,
        })
    }
}

impl Function for State {
    type Config = Config;
    type Error = FnError;

    async fn start(config: Config) -> Result<Self, ConfigError> {
        State::new(config)
    }

    /// Handles one request: decides, answers CloudFormation, returns the status.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FnError> {
        let state = self;
        let recorder = state.metrics.recorder_for(&event.context);
        let result = answer(state, &event.payload).await;
        recorder.flush();
        result
    }
}

async fn answer(state: &State, payload: &Value) -> Result<Value, FnError> {
    let request = Request::parse(payload).inspect_err(|err| {
        tracing::error!(error = %err, "cannot answer this event");
    })?;
    let outcome = match request.request_type {
        RequestType::Delete => Outcome::Success(None),
        RequestType::Create | RequestType::Update => read_keys(&state.config, &request).await,
    };
    let status = match &outcome {
        Outcome::Success(keys) => {
            tracing::info!(
                request_type = ?request.request_type,
                keys = keys.as_ref().map_or(0, |keys| keys.count),
                "answering SUCCESS"
            );
            "SUCCESS"
        }
        Outcome::Failed(reason) => {
            tracing::error!(request_type = ?request.request_type, reason, "answering FAILED");
            "FAILED"
        }
    };
    let body = answer::body(&request, &outcome);
    upload(&state.client, &request.response_url, body).await?;
    Ok(Value::from(status))
}

/// Reads, checks and minifies the pool's keys; checks they fit the budget.
async fn read_keys(config: &Config, request: &Request) -> Outcome {
    let Some(pool) = request.user_pool_id.as_deref() else {
        return Outcome::Failed("the resource has no UserPoolId property".into());
    };
    let url = match request::jwks_url(config.jwks_url.as_deref(), pool) {
        Ok(url) => url,
        Err(reason) => return Outcome::Failed(format!("UserPoolId or JWKS_URL: {reason}")),
    };
    let budget = match request
        .environment_budget
        .as_deref()
        .map(str::parse::<usize>)
    {
        Some(Ok(budget)) => budget,
        _ => {
            return Outcome::Failed(
                "the resource's EnvironmentBudget property is not a whole number of bytes".into(),
            );
        }
    };
    let keys = match jwks::fetch_once(&url, FETCH_TIMEOUT, MAX_JWKS_BYTES)
        .await
        .and_then(|body| jwks::minify(&body))
    {
        Ok(keys) => keys,
        Err(err) => {
            return Outcome::Failed(format!(
                "cannot read the user pool's keys from {url}: {err} ({})",
                err.reason()
            ));
        }
    };
    let count = KeySet::parse(keys.as_bytes()).map_or(0, |set| set.len());
    if !answer::fits(&request.authz_rules, &keys, budget) {
        tracing::warn!(
            pool_id = pool,
            keys_bytes = answer::escaped_len(&keys),
            rules_bytes = answer::escaped_len(&request.authz_rules),
            budget,
            "the pool's keys do not fit beside AUTHZ_RULES in Lambda's 4 KB: not handed in; the \
             authorizer fetches them at its cold start (move the rules to a file to hand them in)"
        );
        return Outcome::Success(Some(Keys {
            jwks: String::new(),
            count: 0,
        }));
    }
    Outcome::Success(Some(Keys { jwks: keys, count }))
}

/// PUTs `body` to the presigned URL. No `Content-Type`: the URL's
/// signature covers the headers it was signed with, and CloudFormation's
/// own helpers send none (an empty one).
async fn upload(client: &reqwest::Client, url: &reqwest::Url, body: String) -> Result<(), FnError> {
    let response = client
        .put(url.clone())
        .body(body)
        .send()
        .await
        .map_err(|err| FnError::Upload(err.without_url().to_string()))?;
    let status = response.status();
    if !status.is_success() {
        // The URL is not logged: its query is the upload's signature.
        tracing::error!(
            status = status.as_u16(),
            "CloudFormation's URL refused the answer"
        );
        return Err(FnError::Upload(format!("HTTP status {status}")));
    }
    Ok(())
}
