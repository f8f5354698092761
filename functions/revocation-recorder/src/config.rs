//! The recorder's configuration, read from the environment and checked once
//! at init. The store's two variables are declared here and read by the
//! sign-out function too (see [`StoreConfig`]).

use cognito_auth_core::aws::{self, AwsLimits, TableName};
use cognito_auth_core::config::{self, ConfigError, Declarations, Env, Required, Seconds, declare};
use cognito_auth_core::ids::UserPoolId;
use cognito_auth_core::metrics::Namespace;
use cognito_auth_core::revocation::LONGEST_TOKEN_LIFETIME_SECS;
use cognito_auth_core::verify::USER_POOL_ID;

declare! {
    /// The revocation store (DynamoDB table name or ARN; partition key `pk`, TTL on
    /// `expires_at`) that this function writes with a conditional `UpdateItem`.
    pub REVOCATION_TABLE: Required = Required, example "`cognito-auth-revocations`";
    /// How long an item lives past its `not_before` before DynamoDB's TTL may delete it: at least
    /// Cognito's longest access or ID token lifetime (one day).
    pub REVOCATION_RETENTION_SECONDS: Seconds = Seconds {
        default: LONGEST_TOKEN_LIFETIME_SECS, min: LONGEST_TOKEN_LIFETIME_SECS, max: 31_536_000
    }, example "`172800`";
}

/// The store's variables, read by the recorder and the sign-out function.
pub const STORE_VARIABLES: &[&dyn config::Declared] =
    &[&REVOCATION_TABLE, &REVOCATION_RETENTION_SECONDS];

/// Everything the recorder reads: the pools it records, the store, the AWS
/// call budget, and the variables of every function.
pub const VARIABLES: Declarations = &[
    &[&USER_POOL_ID],
    STORE_VARIABLES,
    aws::VARIABLES,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// The store: where to write and how long an item lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// `REVOCATION_TABLE`.
    pub table: TableName,
    /// `REVOCATION_RETENTION_SECONDS`, in seconds.
    pub retention_secs: u64,
}

impl StoreConfig {
    /// Reads and checks the store's two variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let table = TableName::parse(REVOCATION_TABLE, &env.get(&REVOCATION_TABLE)?)?;
        let retention_secs = env.get(&REVOCATION_RETENTION_SECONDS)?.as_secs();
        Ok(Self {
            table,
            retention_secs,
        })
    }
}

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

impl Config {
    /// Reads and validates every variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
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

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn reads_pools_table_and_retention() {
        let config = config(&[
            ("USER_POOL_ID", "eu-west-1_Pool1, eu-west-1_Pool2"),
            ("REVOCATION_TABLE", "revocations"),
        ])
        .unwrap();
        assert_eq!(config.pools.len(), 2);
        assert_eq!(config.store.table, "revocations");
        assert_eq!(config.store.retention_secs, LONGEST_TOKEN_LIFETIME_SECS);
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
            assert_eq!(config(&pairs).unwrap_err().variable, variable, "{pairs:?}");
        }
    }
}
