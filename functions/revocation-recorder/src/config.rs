//! The recorder's configuration, read from the environment and checked once
//! at init. The store's two variables are the shared crate's
//! ([`cognito_auth_core::revocation::StoreConfig`]), read by the sign-out
//! function too.

use cognito_auth_core::aws::{self, AwsLimits};
use cognito_auth_core::config::{self, ConfigError, Declarations, Env, FromEnv};
use cognito_auth_core::ids::UserPoolId;
use cognito_auth_core::metrics::Namespace;
use cognito_auth_core::revocation::{STORE_VARIABLES, StoreConfig};
use cognito_auth_core::verify::USER_POOL_ID;

/// Everything the recorder reads: the pools it records, the store, the AWS
/// call budget, and the variables of every function.
pub const VARIABLES: Declarations = &[
    &[&USER_POOL_ID],
    STORE_VARIABLES,
    aws::VARIABLES,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// Everything the recorder needs, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `USER_POOL_ID`: only events of these pools are recorded (the
    /// verifier's variable, read the same way: a comma-separated list).
    pub pools: Vec<UserPoolId>,
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
        let pools = config::split_list(&env.get(&USER_POOL_ID)?)
            .iter()
            .map(|id| {
                UserPoolId::parse(id).map_err(|reason| ConfigError::new(USER_POOL_ID, reason))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if pools.is_empty() {
            return Err(ConfigError::new(USER_POOL_ID, "names no user pool"));
        }
        Ok(Self {
            pools,
            store: StoreConfig::from_env(env)?,
            aws: AwsLimits::from_env(env)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pools_table_and_retention() {
        let config = test_kit::config::<Config>(&[
            ("USER_POOL_ID", "eu-west-1_Pool1, eu-west-1_Pool2"),
            ("REVOCATION_TABLE", "revocations"),
        ])
        .unwrap();
        assert_eq!(config.pools.len(), 2);
        assert_eq!(config.store.table, "revocations");
        assert_eq!(
            config.store.retention_secs,
            cognito_auth_core::revocation::DEFAULT_RETENTION_SECS
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (pairs, variable) in [
            (vec![("REVOCATION_TABLE", "t12")], "USER_POOL_ID"),
            (vec![("USER_POOL_ID", "eu-west-1_P")], "REVOCATION_TABLE"),
            (
                vec![("USER_POOL_ID", "not a pool"), ("REVOCATION_TABLE", "t12")],
                "USER_POOL_ID",
            ),
            (
                vec![("USER_POOL_ID", "eu-west-1_P"), ("REVOCATION_TABLE", "a b")],
                "REVOCATION_TABLE",
            ),
            (
                vec![
                    ("USER_POOL_ID", "eu-west-1_P"),
                    ("REVOCATION_TABLE", "t12"),
                    ("REVOCATION_RETENTION_SECONDS", "86399"),
                ],
                "REVOCATION_RETENTION_SECONDS",
            ),
        ] {
            assert_eq!(
                test_kit::config::<Config>(&pairs).unwrap_err().variable,
                variable,
                "{pairs:?}"
            );
        }
    }
}
