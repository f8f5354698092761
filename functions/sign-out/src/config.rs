//! The sign-out function's configuration: the verifier's variables (the
//! authorizer's, read the same way), the store's (the shared crate's,
//! `cognito_auth_core::revocation::StoreConfig`), and the AWS call budget.

use cognito_auth_core::aws::{self, AwsLimits};
use cognito_auth_core::config::{ConfigError, Declarations, Env, FromEnv};
use cognito_auth_core::metrics::Namespace;
use cognito_auth_core::revocation::{STORE_VARIABLES, StoreConfig};
use cognito_auth_core::verify::{self, VerifierConfig};

/// Everything sign-out reads.
pub const VARIABLES: Declarations = &[
    verify::VARIABLES,
    STORE_VARIABLES,
    aws::VARIABLES,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// Everything the function needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The bearer token's verification, as the authorizer's.
    pub verifier: VerifierConfig,
    /// The store.
    pub store: StoreConfig,
    /// Timeouts and retries for every AWS call.
    pub aws: AwsLimits,
    /// `METRICS_NAMESPACE`.
    pub metrics_namespace: Namespace,
}

impl FromEnv for Config {
    const VARIABLES: Declarations = VARIABLES;

    /// Reads and validates every variable.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            verifier: VerifierConfig::from_env(env)?,
            store: StoreConfig::from_env(env)?,
            aws: AwsLimits::from_env(env)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}
