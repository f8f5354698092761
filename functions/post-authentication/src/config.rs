//! The function's configuration, read from the environment and checked once
//! at init, so a typo fails the cold start instead of every sign-in.

use cognito_auth_core::aws::{self, AwsLimits, TableName};
use cognito_auth_core::config::{
    ConfigError, Declarations, Env, Flag, FromEnv, List, Optional, declare,
};
use cognito_auth_core::ids::ClientId;
use cognito_auth_core::metrics::Namespace;

declare! {
    /// Record each sign-in on the user's profile item (one `UpdateItem`: `last_sign_in_at`,
    /// `sign_in_count`, `last_sign_in_client`). A failed write never fails the sign-in.
    pub RECORD_SIGN_INS: Flag = Flag { default: false }, example "`true`";
    /// The profile table post-confirmation writes (partition key `sub`); required with
    /// `RECORD_SIGN_INS=true`. Only existing items are updated, never created.
    pub USERS_TABLE: Optional = Optional, unset "no write", example "`user-profiles`";
    /// App clients counted by id in the `SignIns` metric (at most 10, letters, digits and `_`);
    /// every other client is counted as `other`.
    pub SIGN_IN_METRIC_CLIENTS: List = List, unset "every client counted as `other`",
        example "`<client id>,<client id>`";
}

/// Everything post-authentication reads: its own variables, the AWS call
/// budget, and those of every function.
pub const VARIABLES: Declarations = &[
    &[&RECORD_SIGN_INS, &USERS_TABLE, &SIGN_IN_METRIC_CLIENTS],
    aws::VARIABLES,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// At most this many clients get a dimension value of their own: each one
/// is a CloudWatch metric of its own, billed monthly.
pub const MAX_METRIC_CLIENTS: usize = 10;

/// The `Client` dimension of a client not listed, or of an event without
/// one.
pub const OTHER_CLIENT: &str = "other";

/// The clients listed in `SIGN_IN_METRIC_CLIENTS`, as `Client` dimension
/// values.
///
/// Dimension values are `&'static str` by type (see
/// `cognito_auth_core::metrics`): no string built from an event can become
/// one. The listed ids are operator configuration, read once per sandbox, so
/// each is leaked once at init to get that lifetime: a bounded allocation
/// ([`MAX_METRIC_CLIENTS`] ids of at most 128 bytes) that lives as long as
/// the process would have kept it anyway. An event's client id is only ever
/// compared with them; what reaches the metric is the configured copy, or
/// [`OTHER_CLIENT`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricClients(Vec<&'static str>);

impl MetricClients {
    /// Checks and keeps the list. The error is the reason only.
    pub fn parse(ids: Vec<String>) -> Result<Self, String> {
        if ids.len() > MAX_METRIC_CLIENTS {
            return Err(format!(
                "lists {} clients; at most {MAX_METRIC_CLIENTS} get a metric of their own",
                ids.len()
            ));
        }
        let mut kept: Vec<&'static str> = Vec::with_capacity(ids.len());
        for id in ids {
            let id = ClientId::parse(&id)?;
            // `+` is in Cognito's pattern but not in a metric code.
            if id.as_str().contains('+') || id.as_str() == OTHER_CLIENT {
                return Err(format!(
                    "`{id}` cannot be a metric dimension (letters, digits and `_`, not `other`)"
                ));
            }
            if kept.contains(&id.as_str()) {
                return Err(format!("lists `{id}` twice"));
            }
            kept.push(Box::leak(id.as_str().to_owned().into_boxed_str()));
        }
        Ok(Self(kept))
    }

    /// The dimension value for an event's client id.
    pub fn label(&self, client_id: Option<&str>) -> &'static str {
        client_id
            .and_then(|id| self.0.iter().copied().find(|listed| *listed == id))
            .unwrap_or(OTHER_CLIENT)
    }
}

/// Everything the function needs, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `USERS_TABLE` when `RECORD_SIGN_INS=true`; `None` records nothing.
    pub record_in: Option<TableName>,
    /// `SIGN_IN_METRIC_CLIENTS`.
    pub metric_clients: MetricClients,
    /// Timeouts and retries for the write.
    pub aws: AwsLimits,
    /// `METRICS_NAMESPACE`.
    pub metrics_namespace: Namespace,
}

impl FromEnv for Config {
    const VARIABLES: Declarations = VARIABLES;

    /// Reads and validates every variable.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let table = env
            .get(&USERS_TABLE)?
            .map(|table| TableName::parse(USERS_TABLE, &table))
            .transpose()?;
        let record_in = match (env.get(&RECORD_SIGN_INS)?, table) {
            (false, _) => None,
            (true, Some(table)) => Some(table),
            (true, None) => {
                return Err(ConfigError::new(
                    USERS_TABLE,
                    "is required when RECORD_SIGN_INS is true: it is the table written",
                ));
            }
        };
        let metric_clients = MetricClients::parse(env.get(&SIGN_IN_METRIC_CLIENTS)?)
            .map_err(|reason| ConfigError::new(SIGN_IN_METRIC_CLIENTS, reason))?;
        Ok(Self {
            record_in,
            metric_clients,
            aws: AwsLimits::from_env(env)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_is_off_by_default_even_with_a_table() {
        assert_eq!(test_kit::config::<Config>(&[]).unwrap().record_in, None);
        assert_eq!(
            test_kit::config::<Config>(&[("USERS_TABLE", "users")])
                .unwrap()
                .record_in,
            None
        );
        let on =
            test_kit::config::<Config>(&[("USERS_TABLE", "users"), ("RECORD_SIGN_INS", "true")])
                .unwrap();
        assert_eq!(on.record_in.unwrap(), "users");
        for (pairs, variable) in [
            (&[("RECORD_SIGN_INS", "true")][..], "USERS_TABLE"),
            (&[("RECORD_SIGN_INS", "yes")][..], "RECORD_SIGN_INS"),
        ] {
            assert_eq!(
                test_kit::config::<Config>(pairs).unwrap_err().variable,
                variable
            );
        }
    }

    #[test]
    fn only_listed_clients_get_a_dimension_value() {
        let config =
            test_kit::config::<Config>(&[("SIGN_IN_METRIC_CLIENTS", "webclient1, adminclient_2")])
                .unwrap();
        let clients = &config.metric_clients;
        assert_eq!(clients.label(Some("webclient1")), "webclient1");
        assert_eq!(clients.label(Some("adminclient_2")), "adminclient_2");
        assert_eq!(clients.label(Some("someoneelse")), OTHER_CLIENT);
        assert_eq!(clients.label(None), OTHER_CLIENT);
        let eleven: Vec<String> = (0..11).map(|n| format!("client{n}")).collect();
        for (value, expected) in [
            ("a+b", "cannot be a metric dimension"),
            ("other", "cannot be a metric dimension"),
            ("a-b", "not an app client id"),
            ("c1,c1", "twice"),
            (eleven.join(",").as_str(), "at most 10"),
        ] {
            let error =
                test_kit::config::<Config>(&[("SIGN_IN_METRIC_CLIENTS", value)]).unwrap_err();
            assert_eq!(error.variable, "SIGN_IN_METRIC_CLIENTS");
            assert!(error.reason.contains(expected), "{value}: {error}");
        }
    }
}
