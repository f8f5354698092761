//! Settings shared by the triggers that call AWS inside Cognito's 5 s: the
//! call budget ([`AwsLimits`], from `AWS_CALL_TIMEOUT_MS`,
//! `AWS_ATTEMPT_TIMEOUT_MS` and `AWS_MAX_ATTEMPTS`), the retry backoff, and
//! the check of a DynamoDB table name.
//!
//! The SDK configuration built from these values (`sdk_config`) is behind
//! this crate's optional `aws-sdk` feature, which only the functions that
//! call AWS turn on (post-confirmation and pre-token-generation with these
//! limits; the authorizer with its own revocation-read budget, and only
//! when `REVOCATION_TABLE` is set): custom-message never calls AWS, and
//! should not compile or link `aws-config`. It maps the values so:
//!
//! ```text
//! TimeoutConfig: operation_timeout = call_timeout,
//!                operation_attempt_timeout = connect_timeout = attempt_timeout
//! RetryConfig::standard(): max_attempts, INITIAL_BACKOFF, MAX_BACKOFF
//! ```
//!
//! # Budget
//!
//! Cognito waits 5 s for a trigger, cold start included, then retries it. The
//! SDK defaults (3.1 s to connect, no operation timeout, backoff up to 20 s)
//! do not fit in that, so every call gets an operation timeout (retries and
//! backoff included) of at most [`MAX_CALL_TIMEOUT_MS`], which leaves at
//! least 1 s for the cold start and Lambda's own overhead, and an attempt
//! timeout, connecting included. An in-region DynamoDB or Cognito call
//! answers in tens of milliseconds; an attempt that takes 600 ms is better
//! abandoned and retried than waited for.

use std::time::Duration;

use crate::config::{ConfigError, Count, Declared, Env, Millis, declare};

/// The longest `AWS_CALL_TIMEOUT_MS`: 4 s of Cognito's 5, the rest for the
/// cold start and Lambda's overhead.
pub const MAX_CALL_TIMEOUT_MS: u64 = 4_000;
/// `AWS_CALL_TIMEOUT_MS` when unset.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_millis(AWS_CALL_TIMEOUT_MS.kind.default);
/// `AWS_ATTEMPT_TIMEOUT_MS` when unset (or the call timeout, when shorter).
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration =
    Duration::from_millis(AWS_ATTEMPT_TIMEOUT_MS.kind.default);
/// `AWS_MAX_ATTEMPTS` when unset.
pub const DEFAULT_MAX_ATTEMPTS: u64 = AWS_MAX_ATTEMPTS.kind.default;
/// Backoff before the first retry; doubled (with jitter) up to [`MAX_BACKOFF`].
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(50);
/// The longest backoff between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_millis(500);

declare! {
    /// Time for one AWS call, retries included; leaves room in Cognito's 5 s.
    pub AWS_CALL_TIMEOUT_MS: Millis = Millis { default: 2_000, min: 100, max: MAX_CALL_TIMEOUT_MS },
        example "`1500`", defaulted WITHIN_5_S;
    /// Time for one attempt, connecting included; at most `AWS_CALL_TIMEOUT_MS`, and shortened to
    /// it by default.
    pub AWS_ATTEMPT_TIMEOUT_MS: Millis = Millis { default: 600, min: 50, max: MAX_CALL_TIMEOUT_MS },
        example "`400`", defaulted WITHIN_5_S;
    /// Attempts per call, the first included (the SDK's standard variable, checked here).
    pub AWS_MAX_ATTEMPTS: Count = Count { default: 3, min: 1, max: 5 },
        example "`2`", defaulted WITHIN_5_S;
}

const WITHIN_5_S: &str = "SDK budget defaulted in code to fit Cognito's 5 s";

/// The variables of [`AwsLimits`], read by the triggers that call AWS.
pub const VARIABLES: &[&dyn Declared] = &[
    &AWS_CALL_TIMEOUT_MS,
    &AWS_ATTEMPT_TIMEOUT_MS,
    &AWS_MAX_ATTEMPTS,
];

/// How long an AWS call may take, all retries included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsLimits {
    /// `AWS_CALL_TIMEOUT_MS`: the whole operation, retries and backoff
    /// included.
    pub call_timeout: Duration,
    /// `AWS_ATTEMPT_TIMEOUT_MS`: one attempt, connecting included.
    pub attempt_timeout: Duration,
    /// `AWS_MAX_ATTEMPTS`: attempts per call, the first included (the SDK's
    /// standard variable, checked here).
    pub max_attempts: u32,
}

impl Default for AwsLimits {
    fn default() -> Self {
        Self {
            call_timeout: DEFAULT_CALL_TIMEOUT,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS as u32,
        }
    }
}

impl AwsLimits {
    /// Reads and checks the three variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let call_timeout = env.get(&AWS_CALL_TIMEOUT_MS)?;
        // A short call timeout shortens the default attempt with it, so that
        // setting only AWS_CALL_TIMEOUT_MS never needs a second variable.
        let attempt_timeout = env.get_or(
            &AWS_ATTEMPT_TIMEOUT_MS,
            DEFAULT_ATTEMPT_TIMEOUT.min(call_timeout),
        )?;
        if attempt_timeout > call_timeout {
            return Err(ConfigError::new(
                AWS_ATTEMPT_TIMEOUT_MS,
                format!(
                    "must not exceed AWS_CALL_TIMEOUT_MS ({} ms)",
                    call_timeout.as_millis()
                ),
            ));
        }
        let max_attempts = env.get(&AWS_MAX_ATTEMPTS)? as u32;
        Ok(Self {
            call_timeout,
            attempt_timeout,
            max_attempts,
        })
    }
}

/// The SDK configuration (region, credentials and endpoint from the SDK's
/// usual sources) with the timeouts and retries of `limits`, so that every
/// function that calls AWS fits Cognito's budget the same way. Nothing here
/// touches the network: credentials and endpoints resolve on the first call.
#[cfg(feature = "aws-sdk")]
pub async fn sdk_config(limits: &AwsLimits) -> aws_config::SdkConfig {
    use aws_config::BehaviorVersion;
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;

    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(limits.call_timeout)
                .operation_attempt_timeout(limits.attempt_timeout)
                .connect_timeout(limits.attempt_timeout)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(limits.max_attempts)
                .with_initial_backoff(INITIAL_BACKOFF)
                .with_max_backoff(MAX_BACKOFF),
        )
        .load()
        .await
}

/// An AWS call that failed for a reason no caller handles by name: the
/// classification every function that calls AWS shares, so that a timeout
/// reads the same (and names the same budget) everywhere. A caller matches
/// the service errors it expects (a missing table, an unknown user) first,
/// and hands the rest to [`CallError::classify`].
///
/// `detail` is the SDK's whole error chain, for the logs of the functions
/// whose AWS errors quote no user input; a caller whose request carries an
/// address or a name logs [`CallError::code`] alone.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No answer within the configured timeouts, retries included.
    #[error(
        "{operation} gave no answer in time (at most {max_attempts} attempts of {attempt_ms} ms, \
         {call_ms} ms in all): {detail}"
    )]
    Timeout {
        /// The API operation.
        operation: &'static str,
        /// The whole call's budget (`AWS_CALL_TIMEOUT_MS`).
        call_ms: u128,
        /// One attempt's (`AWS_ATTEMPT_TIMEOUT_MS`).
        attempt_ms: u128,
        /// `AWS_MAX_ATTEMPTS`.
        max_attempts: u32,
        /// The SDK's error chain.
        detail: String,
    },
    /// The endpoint could not be reached (refused, reset, DNS, TLS).
    #[error("{operation} could not reach the endpoint: {detail}")]
    Unreachable {
        /// The API operation.
        operation: &'static str,
        /// The SDK's error chain.
        detail: String,
    },
    /// Any other failure: access denied, throttling, validation...
    #[error("{operation} failed with {code}: {detail}")]
    Failed {
        /// The API operation.
        operation: &'static str,
        /// The AWS error code, such as `AccessDeniedException`.
        code: String,
        /// The SDK's error chain.
        detail: String,
    },
}

impl CallError {
    /// A stable code for logs, metrics and the Lambda `errorType`.
    pub fn code(&self) -> &'static str {
        match self {
            CallError::Timeout { .. } => "AwsTimeout",
            CallError::Unreachable { .. } => "AwsUnreachable",
            CallError::Failed { .. } => "AwsCallFailed",
        }
    }

    /// The AWS error code of a failed call (`AccessDeniedException`), when
    /// the service answered.
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            CallError::Failed { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Sorts an SDK error into timeout (the operation or an attempt ran out
    /// of `limits`), unreachable (no connection), or a failed call with its
    /// AWS error code.
    #[cfg(feature = "aws-sdk")]
    pub fn classify<E, R>(
        operation: &'static str,
        error: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
        limits: &AwsLimits,
    ) -> Self
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        use aws_smithy_runtime_api::client::result::SdkError;
        use aws_smithy_types::error::display::DisplayErrorContext;
        use aws_smithy_types::error::metadata::ProvideErrorMetadata;

        let detail = DisplayErrorContext(error).to_string();
        match error {
            SdkError::TimeoutError(_) => Self::timeout(operation, limits, detail),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => {
                Self::timeout(operation, limits, detail)
            }
            SdkError::DispatchFailure(_) => CallError::Unreachable { operation, detail },
            _ => CallError::Failed {
                operation,
                code: error.code().unwrap_or("UnknownError").to_owned(),
                detail,
            },
        }
    }

    #[cfg(feature = "aws-sdk")]
    fn timeout(operation: &'static str, limits: &AwsLimits, detail: String) -> Self {
        CallError::Timeout {
            operation,
            call_ms: limits.call_timeout.as_millis(),
            attempt_ms: limits.attempt_timeout.as_millis(),
            max_attempts: limits.max_attempts,
            detail,
        }
    }
}

/// A DynamoDB table, by name or ARN, as the item calls accept it: checked
/// once when the configuration is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName(String);

impl TableName {
    /// Checks `value`, read from `variable`, as a table name (3 to 255 of
    /// `a-z A-Z 0-9 _ - .`) or a table ARN
    /// (`arn:<partition>:dynamodb:<region>:<account>:table/<name>`).
    pub fn parse(variable: impl AsRef<str>, value: &str) -> Result<Self, ConfigError> {
        let variable = variable.as_ref();
        let name = if value.starts_with("arn:") {
            let parts: Vec<&str> = value.splitn(6, ':').collect();
            match parts.as_slice() {
                ["arn", _, "dynamodb", _, _, resource] => match resource.strip_prefix("table/") {
                    Some(name) => name,
                    None => {
                        return Err(ConfigError::new(
                            variable,
                            "is an ARN but not a DynamoDB table ARN (…:table/<name>)",
                        ));
                    }
                },
                _ => {
                    return Err(ConfigError::new(
                        variable,
                        "is an ARN but not a DynamoDB table ARN (arn:<partition>:dynamodb:…)",
                    ));
                }
            }
        } else {
            value
        };
        let valid_chars = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !(3..=255).contains(&name.len()) || !valid_chars {
            return Err(ConfigError::new(
                variable,
                "must be a DynamoDB table name (3 to 255 of a-z, A-Z, 0-9, `_`, `-`, `.`) or a table ARN",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The name or ARN, as configured.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<&str> for TableName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pairs: &[(&str, &str)]) -> Result<AwsLimits, ConfigError> {
        AwsLimits::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_fit_the_cognito_budget() {
        assert_eq!(limits(&[]).unwrap(), AwsLimits::default());
        let limits = AwsLimits::default();
        assert_eq!(limits.call_timeout, Duration::from_millis(2_000));
        assert_eq!(limits.attempt_timeout, Duration::from_millis(600));
        assert_eq!(limits.max_attempts, 3);
    }

    #[test]
    fn reads_and_bounds_every_variable() {
        assert_eq!(
            limits(&[
                ("AWS_CALL_TIMEOUT_MS", "3000"),
                ("AWS_ATTEMPT_TIMEOUT_MS", "1000"),
                ("AWS_MAX_ATTEMPTS", "2"),
            ])
            .unwrap(),
            AwsLimits {
                call_timeout: Duration::from_millis(3000),
                attempt_timeout: Duration::from_millis(1000),
                max_attempts: 2,
            }
        );
        assert_eq!(
            limits(&[("AWS_CALL_TIMEOUT_MS", "5000")])
                .unwrap_err()
                .to_string(),
            "AWS_CALL_TIMEOUT_MS: must be between 100 and 4000"
        );
        assert_eq!(
            limits(&[
                ("AWS_CALL_TIMEOUT_MS", "500"),
                ("AWS_ATTEMPT_TIMEOUT_MS", "800")
            ])
            .unwrap_err()
            .to_string(),
            "AWS_ATTEMPT_TIMEOUT_MS: must not exceed AWS_CALL_TIMEOUT_MS (500 ms)"
        );
        let short = limits(&[("AWS_CALL_TIMEOUT_MS", "300")]).unwrap();
        assert_eq!(short.attempt_timeout, Duration::from_millis(300));
        for (variable, value) in [
            ("AWS_MAX_ATTEMPTS", "0"),
            ("AWS_MAX_ATTEMPTS", "6"),
            ("AWS_CALL_TIMEOUT_MS", "2s"),
        ] {
            assert_eq!(limits(&[(variable, value)]).unwrap_err().variable, variable);
        }
    }

    #[test]
    fn tables_are_names_or_table_arns() {
        for good in [
            "users",
            "app.users-prod_1",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/users",
        ] {
            assert_eq!(TableName::parse("T", good).unwrap(), good);
        }
        for bad in [
            "ab",
            "users table",
            "users/1",
            "arn:aws:s3:::bucket",
            "arn:aws:dynamodb:eu-west-1:123456789012:index/users",
        ] {
            let error = TableName::parse("USERS_TABLE", bad).unwrap_err();
            assert!(error.to_string().starts_with("USERS_TABLE: "), "{bad}");
        }
    }
}
