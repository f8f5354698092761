//! The revocation check: a verified token is refused when the store says
//! its user, its session or its app client was revoked after it was issued
//! (the rule, the keys and the item's meaning are
//! [`cognito_auth_core::revocation`]'s).
//!
//! Built only when `REVOCATION_TABLE` is set ([`Revocations::new`]); unset,
//! the authorizer holds `None` and checks nothing, loads no SDK
//! configuration and makes no call, as before the check existed.
//!
//! # One read, cached
//!
//! A token names up to three subjects (user, session, client). Each answer
//! the store gives, revoked at T or absent, is kept per subject key for
//! `REVOCATION_CACHE_SECONDS` ([`cache`]), at most
//! `REVOCATION_CACHE_ENTRIES` of them. A token whose subjects are all
//! cached makes no call; otherwise one `BatchGetItem` reads the uncached
//! ones. A cached revocation that refuses the token refuses it without a
//! read, even while the store is down.
//!
//! The read is strongly consistent (`ConsistentRead`): a sign-out written a
//! moment before must be seen by the next read, so that the worst case from
//! sign-out to refusal is the window plus API Gateway's cache TTL, with no
//! replication lag to add. It costs one read request unit per key instead
//! of a half, and the cache keeps reads to one per subject per window per
//! sandbox.
//!
//! # Budget
//!
//! The whole read, retries included, gets `REVOCATION_READ_TIMEOUT_MS`
//! (default 300 ms): the SDK's operation timeout, and a timer around the
//! call and its one retry of `UnprocessedKeys`. Within it, two attempts of
//! `(budget − 50 ms) / 2` each (125 ms by default, connecting included),
//! the 50 ms being the longest first backoff of the SDK's standard retry
//! ([`INITIAL_BACKOFF`] × a jitter below 1): an in-region read answers in
//! milliseconds, so an attempt that takes a hundred is a dead connection
//! (a pooled one closed while the sandbox was frozen) better retried than
//! waited for. Past the budget the token gets `REVOCATION_STORE_FAILURE`.
//!
//! An item that breaks the contract (`not_before` missing or not whole
//! seconds) is the store failing for its subject, so `REVOCATION_STORE_FAILURE`
//! decides; a revocation of another subject of the token, read in the same
//! answer (or before a timeout), still refuses it whatever that setting
//! says.

pub mod cache;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use cognito_auth_core::Claims;
use cognito_auth_core::aws::{AwsLimits, INITIAL_BACKOFF, TableName, sdk_config};
use cognito_auth_core::metrics::{self, Recorder};
use cognito_auth_core::revocation::{
    ItemError, Kind, NOT_BEFORE, PARTITION_KEY, Revocation, Subject, subjects_of,
};

use crate::config::{RevocationConfig, StoreFailure};
use cache::{Answer, Cache};

/// Attempts per read: the first and one retry.
pub const MAX_ATTEMPTS: u32 = 2;

/// The `Result` of `RevocationChecks`.
const CACHED: &str = "cached";
const READ: &str = "read";
const FAILED: &str = "failed";

/// The reason code of a store that did not answer.
pub const UNAVAILABLE: &str = "revocation_unavailable";

/// The SDK limits of a read with `budget`: see the module's notes.
pub fn limits(budget: Duration) -> AwsLimits {
    AwsLimits {
        call_timeout: budget,
        attempt_timeout: budget.saturating_sub(INITIAL_BACKOFF) / MAX_ATTEMPTS,
        max_attempts: MAX_ATTEMPTS,
    }
}

/// The check, built once per sandbox.
pub struct Revocations {
    client: aws_sdk_dynamodb::Client,
    table: TableName,
    budget: Duration,
    on_failure: StoreFailure,
    cache: Mutex<Cache>,
}

/// What the check decided for one token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not revoked (or the store failed under `allow`).
    Pass,
    /// Revoked: a refusal, with its reason code (`revoked_user`, ...).
    Revoked(&'static str),
    /// The store failed under `refuse`: a failure to check, not a refusal.
    FailedClosed,
}

/// Why the store gave no usable answer: a code for the log line, never
/// the service's message (it may quote the request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// No answer within the budget.
    #[error("timeout")]
    Timeout,
    /// The endpoint could not be reached.
    #[error("unreachable")]
    Unreachable,
    /// The service answered with an error: its code.
    #[error("{0}")]
    Service(String),
    /// Any other SDK failure (an unreadable answer, a request that could
    /// not be built).
    #[error("{0}")]
    Sdk(&'static str),
    /// Keys still unprocessed after one retry.
    #[error("unprocessed_keys")]
    Unprocessed,
    /// An item that breaks the store's contract.
    #[error("malformed_item")]
    Malformed,
    /// The token's issuer names no pool, so no key can be built.
    #[error("issuer_not_a_pool")]
    NoPool,
}

impl ReadError {
    fn from_sdk<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Self {
        match error {
            SdkError::TimeoutError(_) => ReadError::Timeout,
            SdkError::DispatchFailure(failure) if failure.is_timeout() => ReadError::Timeout,
            SdkError::DispatchFailure(_) => ReadError::Unreachable,
            SdkError::ServiceError(_) => {
                ReadError::Service(error.code().unwrap_or("unnamed_service_error").to_owned())
            }
            SdkError::ResponseError(_) => ReadError::Sdk("unreadable_response"),
            SdkError::ConstructionFailure(_) => ReadError::Sdk("request_not_built"),
            _ => ReadError::Sdk("other_sdk_error"),
        }
    }
}

impl From<ItemError> for ReadError {
    fn from(_: ItemError) -> Self {
        ReadError::Malformed
    }
}

impl Revocations {
    /// Loads the SDK configuration (region, credentials and endpoint from
    /// the usual sources) with the read's [`limits`], and builds the
    /// client. Nothing here touches the network.
    pub async fn new(config: RevocationConfig) -> Self {
        let client = aws_sdk_dynamodb::Client::new(&sdk_config(&limits(config.read_budget)).await);
        Self::with_client(client, config)
    }

    /// The check with a client built elsewhere.
    pub fn with_client(client: aws_sdk_dynamodb::Client, config: RevocationConfig) -> Self {
        Self {
            client,
            table: config.table,
            budget: config.read_budget,
            on_failure: config.on_failure,
            cache: Mutex::new(Cache::new(config.cache_for, config.cache_entries)),
        }
    }

    /// Decides for `claims`, logs a refusal or a failure (never the
    /// token), and records `RevocationChecks`, `RevokedTokens`, and for a
    /// read its latency and the cache's size.
    pub async fn check(
        &self,
        claims: &Claims,
        kind: &'static str,
        route: &str,
        recorder: &mut Recorder<'_>,
    ) -> Outcome {
        let started = Instant::now();
        let subjects = match subjects_of(claims) {
            Ok(subjects) => subjects,
            Err(_) => return self.failed(claims, kind, route, &ReadError::NoPool, recorder),
        };
        let keys: Vec<String> = subjects.iter().map(Subject::key).collect();
        let mut answers: Vec<Option<Answer>> = {
            let cache = self.lock();
            keys.iter().map(|key| cache.get(key, started)).collect()
        };
        let cached_refusal = refusal(&subjects, &answers, claims);
        let result = if cached_refusal.is_some() || answers.iter().all(Option::is_some) {
            CACHED
        } else {
            let missing: Vec<&str> = keys
                .iter()
                .zip(&answers)
                .filter(|(_, answer)| answer.is_none())
                .map(|(key, _)| key.as_str())
                .collect();
            // What the read found before it failed, if it fails: a
            // revocation already read still refuses, whatever
            // REVOCATION_STORE_FAILURE says.
            let mut found: HashMap<String, Revocation> = HashMap::new();
            let read = tokio::time::timeout(self.budget, self.read(&missing, &mut found))
                .await
                .unwrap_or(Err(ReadError::Timeout));
            let latency = started.elapsed().as_secs_f64() * 1000.0;
            let read = match read {
                Ok(read) => read,
                Err(error) => {
                    recorder.put(
                        metrics::REVOCATION_READ_LATENCY,
                        &[(metrics::RESULT, FAILED)],
                        latency,
                    );
                    let partial: Vec<Option<Answer>> = keys
                        .iter()
                        .zip(&answers)
                        .map(|(key, cached)| (*cached).or_else(|| found.get(key).map(|r| Some(*r))))
                        .collect();
                    if let Some(refused) = refusal(&subjects, &partial, claims) {
                        recorder.count(metrics::REVOCATION_CHECKS, &[(metrics::RESULT, FAILED)], 1);
                        // WARN, not ERROR: the invocation is a refusal (a 401
                        // counted in Refusals), and the store's failure is
                        // already counted (RevocationChecks, failed) and
                        // alarmed on.
                        tracing::warn!(
                            kind,
                            route,
                            error = %error,
                            sub = claims.sub,
                            "the revocation store failed after answering for part of the token; \
                             the part it answered refuses it"
                        );
                        return revoked(claims, kind, route, refused, FAILED, recorder);
                    }
                    return self.failed(claims, kind, route, &error, recorder);
                }
            };
            let entries = {
                let mut cache = self.lock();
                for (key, answer) in keys.iter().zip(answers.iter_mut()) {
                    if answer.is_none() {
                        let fresh = read.get(key.as_str()).copied().flatten();
                        cache.insert(key, fresh, started);
                        *answer = Some(fresh);
                    }
                }
                cache.len()
            };
            recorder.put(
                metrics::REVOCATION_READ_LATENCY,
                &[(metrics::RESULT, READ)],
                latency,
            );
            recorder.put(metrics::REVOCATION_CACHE_ENTRIES, &[], entries as f64);
            READ
        };
        recorder.count(metrics::REVOCATION_CHECKS, &[(metrics::RESULT, result)], 1);
        match cached_refusal.or_else(|| refusal(&subjects, &answers, claims)) {
            None => Outcome::Pass,
            Some(refused) => revoked(claims, kind, route, refused, result, recorder),
        }
    }

    fn failed(
        &self,
        claims: &Claims,
        kind: &'static str,
        route: &str,
        error: &ReadError,
        recorder: &mut Recorder<'_>,
    ) -> Outcome {
        recorder.count(metrics::REVOCATION_CHECKS, &[(metrics::RESULT, FAILED)], 1);
        let outcome = match self.on_failure {
            StoreFailure::Allow => Outcome::Pass,
            StoreFailure::Refuse => Outcome::FailedClosed,
        };
        tracing::error!(
            kind,
            route,
            reason = UNAVAILABLE,
            error = %error,
            sub = claims.sub,
            store_failure = cognito_auth_core::config::Choices::word(self.on_failure),
            budget_ms = self.budget.as_millis() as u64,
            "the revocation store gave no usable answer; REVOCATION_STORE_FAILURE decides"
        );
        outcome
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One `BatchGetItem` of `keys` (at most three, far below its 100),
    /// and one more of what it left unprocessed. Every key gets an answer:
    /// `None` when it has no item.
    /// `found` keeps every revocation read, so that a read that fails
    /// half-way still refuses what it saw; a malformed item is reported
    /// after the rest of its page is read.
    async fn read(
        &self,
        keys: &[&str],
        found: &mut HashMap<String, Revocation>,
    ) -> Result<HashMap<String, Answer>, ReadError> {
        let mut answers: HashMap<String, Answer> =
            keys.iter().map(|key| ((*key).to_owned(), None)).collect();
        let mut pending: Vec<HashMap<String, AttributeValue>> = keys
            .iter()
            .map(|key| {
                HashMap::from([(
                    PARTITION_KEY.to_owned(),
                    AttributeValue::S((*key).to_owned()),
                )])
            })
            .collect();
        for attempt in 0..2 {
            if attempt > 0 {
                // What AWS asks of a client given UnprocessedKeys: back off,
                // then retry those.
                tokio::time::sleep(INITIAL_BACKOFF).await;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .projection_expression("#pk, #nb")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#nb", NOT_BEFORE)
                .build()
                .map_err(|_| ReadError::Sdk("request_not_built"))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(self.table.as_str(), request)
                .send()
                .await
                .map_err(|error| ReadError::from_sdk(&error))?;
            // One table was asked for; whatever key the answer files it
            // under (the name or the ARN as sent), its items are ours.
            let mut malformed = None;
            for item in output.responses.unwrap_or_default().into_values().flatten() {
                match parse_item(&item) {
                    Ok((key, revocation)) => {
                        found.insert(key.clone(), revocation);
                        if let Some(answer) = answers.get_mut(&key) {
                            *answer = Some(revocation);
                        }
                    }
                    Err(error) => malformed = Some(error),
                }
            }
            if let Some(error) = malformed {
                return Err(error);
            }
            pending = output
                .unprocessed_keys
                .unwrap_or_default()
                .into_values()
                .flat_map(|left| left.keys)
                .collect();
            if pending.is_empty() {
                return Ok(answers);
            }
        }
        Err(ReadError::Unprocessed)
    }
}

/// The item's key and revocation, or [`ReadError::Malformed`].
fn parse_item(item: &HashMap<String, AttributeValue>) -> Result<(String, Revocation), ReadError> {
    let key = match item.get(PARTITION_KEY) {
        Some(AttributeValue::S(key)) => key.clone(),
        _ => return Err(ReadError::Malformed),
    };
    let revocation = match item.get(NOT_BEFORE) {
        Some(AttributeValue::N(text)) => Revocation::from_number_text(text)?,
        _ => return Err(ReadError::Malformed),
    };
    Ok((key, revocation))
}

/// The refusal of a revoked token: logged without the token, counted by kind.
fn revoked(
    claims: &Claims,
    kind: &'static str,
    route: &str,
    (revoked, revocation): (Kind, Revocation),
    checked: &'static str,
    recorder: &mut Recorder<'_>,
) -> Outcome {
    let reason = revoked.refusal_reason();
    tracing::info!(
        kind,
        route,
        reason,
        sub = claims.sub,
        revocation = revoked.as_str(),
        not_before = revocation.not_before,
        checked,
        "unauthorized: revoked"
    );
    recorder.count(metrics::REVOKED_TOKENS, &[(metrics::REASON, reason)], 1);
    Outcome::Revoked(reason)
}

/// The first subject whose known revocation refuses `claims`.
fn refusal(
    subjects: &[Subject],
    answers: &[Option<Answer>],
    claims: &Claims,
) -> Option<(Kind, Revocation)> {
    subjects
        .iter()
        .zip(answers)
        .find_map(|(subject, answer)| match answer {
            Some(Some(revocation)) if revocation.refuses(subject.kind(), claims) => {
                Some((subject.kind(), *revocation))
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_fits_in_the_budget() {
        for budget_ms in [150, 300, 3_000] {
            let budget = Duration::from_millis(budget_ms);
            let limits = limits(budget);
            assert_eq!(limits.call_timeout, budget);
            assert_eq!(limits.max_attempts, 2);
            assert!(limits.attempt_timeout * 2 + INITIAL_BACKOFF <= budget);
            assert!(limits.attempt_timeout >= Duration::from_millis(50));
        }
        assert_eq!(
            limits(Duration::from_millis(300)).attempt_timeout,
            Duration::from_millis(125)
        );
    }

    #[test]
    fn items_are_read_strictly() {
        let item = |pk: AttributeValue, nb: Option<AttributeValue>| {
            let mut item = HashMap::from([(PARTITION_KEY.to_owned(), pk)]);
            if let Some(nb) = nb {
                item.insert(NOT_BEFORE.to_owned(), nb);
            }
            item
        };
        let key = || AttributeValue::S("user#p_1#a".into());
        assert_eq!(
            parse_item(&item(key(), Some(AttributeValue::N("1700000000".into())))),
            Ok((
                "user#p_1#a".to_owned(),
                Revocation {
                    not_before: 1_700_000_000
                }
            ))
        );
        for bad in [
            item(key(), None),
            item(key(), Some(AttributeValue::S("1700000000".into()))),
            item(key(), Some(AttributeValue::N("1.5".into()))),
            item(
                AttributeValue::N("1".into()),
                Some(AttributeValue::N("1".into())),
            ),
        ] {
            assert_eq!(parse_item(&bad), Err(ReadError::Malformed), "{bad:?}");
        }
    }
}
