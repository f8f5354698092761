//! The function's configuration, read from the environment and checked once
//! at init: a claim Cognito would refuse, a malformed scope or a typo fails
//! the cold start with a message that starts with the variable's name,
//! instead of failing (or quietly changing) every sign-in.

use cognito_auth_core::aws::{self, AwsLimits, TableName};
use cognito_auth_core::config::{
    Choice, ConfigError, Declarations, Env, FromEnv, List, Optional, Var, choices, declare,
};
use cognito_auth_core::metrics::Namespace;

use crate::clients::ClientClaims;
use crate::names::{refuse_to_add, refuse_to_suppress};
use crate::scopes::GroupScopes;

declare! {
    // Why a group names its clients: `crate::scopes`.
    /// Scopes each group adds to its members' access tokens (V2, V3), only in the app clients it
    /// names (`callerContext.clientId`); any other client gets none. Forms checked at init; the
    /// pool does not check them.
    pub GROUP_SCOPES: Optional = Optional,
        example r#"`{"admins":{"scopes":["api/admin"],"clients":["<client id>"]}}`"#;
    /// The profile table post-confirmation writes (key `sub`), read with one `GetItem`.
    pub USERS_TABLE: Optional = Optional, example "`user-profiles`";
    /// Attributes of the user's item copied into the ID and access tokens, typed as the version
    /// allows (V1: strings, ID token only). `email`/`phone_number` are refused: the pool holds them
    /// live.
    pub PROFILE_CLAIMS: List = List, example "`plan,tenant_id`";
    /// A failed read (any casing): `omit` issues the tokens without the profile claims and logs an
    /// error; `refuse` fails the sign-in.
    pub PROFILE_CLAIMS_ON_ERROR: Choice<OnReadError> = Choice::any_case(OnReadError::Omit),
        example "`refuse`";
    /// Claims removed from ID tokens.
    pub ID_CLAIMS_TO_SUPPRESS: List = List, example "`email_verified`";
    /// Claims removed from access tokens.
    pub ACCESS_CLAIMS_TO_SUPPRESS: List = List, example "`email_verified`";
    /// Claims of each machine client's access tokens (V3 `_ClientCredentials`).
    pub CLIENT_CLAIMS: Optional = Optional, example r#"`{"<client id>":{"tenant_id":"acme"}}`"#;
}

/// Everything pre-token-generation reads: its own variables, the AWS call
/// budget, and those of every function.
pub const VARIABLES: Declarations = &[
    &[
        &GROUP_SCOPES,
        &USERS_TABLE,
        &PROFILE_CLAIMS,
        &PROFILE_CLAIMS_ON_ERROR,
        &ID_CLAIMS_TO_SUPPRESS,
        &ACCESS_CLAIMS_TO_SUPPRESS,
        &CLIENT_CLAIMS,
    ],
    aws::VARIABLES,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// Attributes the profile item may hold but the tokens must never take from
/// it: the item is a snapshot written at confirmation, while the pool's own
/// attribute is live and carries its verification. A stale address in the
/// `email` claim, next to the pool's `email_verified`, would be asserted as
/// verified to every relying party.
const LIVE_IN_THE_POOL: &[&str] = &[
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
];

choices! {
    /// What a failed profile read does to the sign-in.
    pub enum OnReadError {
        /// The tokens are issued without the profile claims, with an error
        /// log. The default; see the crate documentation for why it is safe.
        Omit = "omit",
        /// The sign-in (or refresh) fails with a short retryable message.
        /// For deployments whose profile claims restrict rather than grant.
        Refuse = "refuse",
    }
}

/// Where the profile claims come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileClaims {
    /// `USERS_TABLE`.
    pub table: TableName,
    /// `PROFILE_CLAIMS`, in order: it is also the order in which they are
    /// given room in the token (see [`crate::budget`]).
    pub claims: Vec<String>,
    /// `PROFILE_CLAIMS_ON_ERROR`.
    pub on_error: OnReadError,
}

/// Everything the function needs, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `GROUP_SCOPES`.
    pub group_scopes: GroupScopes,
    /// `USERS_TABLE` with `PROFILE_CLAIMS`; `None` when no claim is listed
    /// (then no table is read, even with `USERS_TABLE` set).
    pub profile: Option<ProfileClaims>,
    /// `ID_CLAIMS_TO_SUPPRESS`.
    pub id_suppress: Vec<String>,
    /// `ACCESS_CLAIMS_TO_SUPPRESS`.
    pub access_suppress: Vec<String>,
    /// `CLIENT_CLAIMS`.
    pub client_claims: ClientClaims,
    /// Timeouts and retries for the profile read (`AWS_CALL_TIMEOUT_MS`,
    /// `AWS_ATTEMPT_TIMEOUT_MS`, `AWS_MAX_ATTEMPTS`), as for
    /// post-confirmation.
    pub aws: AwsLimits,
    /// `METRICS_NAMESPACE`: the CloudWatch namespace of the metrics.
    pub metrics_namespace: Namespace,
}

impl FromEnv for Config {
    const VARIABLES: Declarations = VARIABLES;

    /// Reads and validates every variable.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let group_scopes = match env.get(&GROUP_SCOPES)? {
            None => GroupScopes::default(),
            Some(text) => GroupScopes::parse(&text)
                .map_err(|reason| ConfigError::new(GROUP_SCOPES, reason))?,
        };
        let client_claims = match env.get(&CLIENT_CLAIMS)? {
            None => ClientClaims::default(),
            Some(text) => ClientClaims::parse(&text)
                .map_err(|reason| ConfigError::new(CLIENT_CLAIMS, reason))?,
        };
        let id_suppress = suppress_list(env, ID_CLAIMS_TO_SUPPRESS)?;
        let access_suppress = suppress_list(env, ACCESS_CLAIMS_TO_SUPPRESS)?;
        let profile = profile_claims(env)?;

        // Cognito suppresses a claim that a response both adds and
        // suppresses: the addition would be silently lost.
        let profile_names = profile.iter().flat_map(|profile| &profile.claims);
        for (variable, suppressed, added, source) in [
            (
                ID_CLAIMS_TO_SUPPRESS,
                &id_suppress,
                profile_names
                    .clone()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                PROFILE_CLAIMS.name,
            ),
            (
                ACCESS_CLAIMS_TO_SUPPRESS,
                &access_suppress,
                profile_names.map(String::as_str).collect(),
                PROFILE_CLAIMS.name,
            ),
            (
                ACCESS_CLAIMS_TO_SUPPRESS,
                &access_suppress,
                client_claims.claim_names().collect(),
                CLIENT_CLAIMS.name,
            ),
        ] {
            if let Some(name) = suppressed
                .iter()
                .find(|name| added.contains(&name.as_str()))
            {
                return Err(ConfigError::new(
                    variable,
                    format!(
                        "lists `{name}`, which {source} adds; Cognito suppresses a claim that is \
                         both added and suppressed"
                    ),
                ));
            }
        }

        Ok(Config {
            group_scopes,
            profile,
            id_suppress,
            access_suppress,
            client_claims,
            aws: AwsLimits::from_env(env)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}

fn suppress_list(env: &Env, variable: Var<List>) -> Result<Vec<String>, ConfigError> {
    let names = env.get(&variable)?;
    for (index, name) in names.iter().enumerate() {
        if let Some(reason) = refuse_to_suppress(name) {
            return Err(ConfigError::new(variable, reason));
        }
        if names[..index].contains(name) {
            return Err(ConfigError::new(variable, format!("lists `{name}` twice")));
        }
    }
    Ok(names)
}

fn profile_claims(env: &Env) -> Result<Option<ProfileClaims>, ConfigError> {
    let on_error = env.get(&PROFILE_CLAIMS_ON_ERROR)?;
    let table = env
        .get(&USERS_TABLE)?
        .map(|table| TableName::parse(USERS_TABLE, &table))
        .transpose()?;
    let claims = env.get(&PROFILE_CLAIMS)?;
    for (index, name) in claims.iter().enumerate() {
        if let Some(reason) = refuse_to_add(name) {
            return Err(ConfigError::new(PROFILE_CLAIMS, reason));
        }
        if LIVE_IN_THE_POOL.contains(&name.as_str()) {
            return Err(ConfigError::new(
                PROFILE_CLAIMS,
                format!(
                    "`{name}` comes from the pool, live and with its verification; the profile \
                     item only holds its value at confirmation"
                ),
            ));
        }
        if claims[..index].contains(name) {
            return Err(ConfigError::new(
                PROFILE_CLAIMS,
                format!("lists `{name}` twice"),
            ));
        }
    }
    match (table, claims.is_empty()) {
        (_, true) => Ok(None),
        (None, false) => Err(ConfigError::new(
            PROFILE_CLAIMS,
            "is set but USERS_TABLE is not: there is no item to read the claims from",
        )),
        (Some(table), false) => Ok(Some(ProfileClaims {
            table,
            claims,
            on_error,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_set_changes_nothing() {
        let config = test_kit::config::<Config>(&[]).unwrap();
        assert!(config.group_scopes.is_empty());
        assert_eq!(config.profile, None);
        assert!(config.id_suppress.is_empty() && config.access_suppress.is_empty());
        assert!(config.client_claims.is_empty());
        assert_eq!(config.aws, AwsLimits::default());
    }

    #[test]
    fn reads_a_full_configuration() {
        let config = test_kit::config::<Config>(&[
            (
                GROUP_SCOPES.name,
                r#"{"admins":{"scopes":["api/admin"],"clients":["c1"]}}"#,
            ),
            (USERS_TABLE.name, "users"),
            (PROFILE_CLAIMS.name, "plan, tenant_id"),
            (PROFILE_CLAIMS_ON_ERROR.name, "Refuse"),
            (ID_CLAIMS_TO_SUPPRESS.name, "phone_number,custom:internal"),
            (ACCESS_CLAIMS_TO_SUPPRESS.name, "cognito:groups"),
            (CLIENT_CLAIMS.name, r#"{"m2mclient1":{"tenant_id":"acme"}}"#),
            ("AWS_CALL_TIMEOUT_MS", "1500"),
        ])
        .unwrap();
        assert_eq!(
            config.profile,
            Some(ProfileClaims {
                table: TableName::parse("T", "users").unwrap(),
                claims: vec!["plan".into(), "tenant_id".into()],
                on_error: OnReadError::Refuse,
            })
        );
        assert_eq!(config.id_suppress, ["phone_number", "custom:internal"]);
        assert_eq!(config.access_suppress, ["cognito:groups"]);
        assert!(config.client_claims.for_client("m2mclient1").is_some());
        assert_eq!(config.aws.call_timeout.as_millis(), 1500);
    }

    #[test]
    fn a_table_without_claims_reads_nothing() {
        assert_eq!(
            test_kit::config::<Config>(&[(USERS_TABLE.name, "users")])
                .unwrap()
                .profile,
            None
        );
        // The template passes every variable, blank when unused.
        assert!(
            test_kit::config::<Config>(&[
                (PROFILE_CLAIMS.name, " "),
                (PROFILE_CLAIMS_ON_ERROR.name, "")
            ])
            .is_ok()
        );
    }

    #[test]
    fn immutable_claims_fail_init_naming_the_variable() {
        for (variable, value) in [
            (PROFILE_CLAIMS.name, "plan,sub"),
            (PROFILE_CLAIMS.name, "cognito:username"),
            (ID_CLAIMS_TO_SUPPRESS.name, "aud"),
            (ACCESS_CLAIMS_TO_SUPPRESS.name, "client_id"),
            (ACCESS_CLAIMS_TO_SUPPRESS.name, "username"),
            (CLIENT_CLAIMS.name, r#"{"c1":{"token_use":"id"}}"#),
        ] {
            let mut pairs = vec![(variable, value)];
            if variable == PROFILE_CLAIMS.name {
                pairs.push((USERS_TABLE.name, "users"));
            }
            let error = test_kit::config::<Config>(&pairs).unwrap_err();
            assert_eq!(error.variable, variable, "{value}");
            assert!(
                error.to_string().starts_with(&format!("{variable}: ")),
                "{error}"
            );
            assert!(
                error.reason.contains("never lets a trigger change"),
                "{error}"
            );
        }
    }

    #[test]
    fn every_mistake_names_its_variable() {
        for (pairs, variable) in [
            (vec![(GROUP_SCOPES.name, "{}x")], GROUP_SCOPES.name),
            (
                vec![(
                    GROUP_SCOPES.name,
                    r#"{"admins":{"scopes":["admin"],"clients":["c1"]}}"#,
                )],
                GROUP_SCOPES.name,
            ),
            (
                vec![(GROUP_SCOPES.name, r#"{"admins":["api/admin"]}"#)],
                GROUP_SCOPES.name,
            ),
            (vec![(CLIENT_CLAIMS.name, "[]")], CLIENT_CLAIMS.name),
            (vec![(USERS_TABLE.name, "no/slashes")], USERS_TABLE.name),
            (vec![(PROFILE_CLAIMS.name, "plan")], PROFILE_CLAIMS.name),
            (
                vec![(PROFILE_CLAIMS.name, "email"), (USERS_TABLE.name, "users")],
                PROFILE_CLAIMS.name,
            ),
            (
                vec![
                    (PROFILE_CLAIMS.name, "plan,plan"),
                    (USERS_TABLE.name, "users"),
                ],
                PROFILE_CLAIMS.name,
            ),
            (
                vec![(PROFILE_CLAIMS_ON_ERROR.name, "fail")],
                PROFILE_CLAIMS_ON_ERROR.name,
            ),
            (
                vec![(ID_CLAIMS_TO_SUPPRESS.name, "scope")],
                ID_CLAIMS_TO_SUPPRESS.name,
            ),
            (
                vec![(ID_CLAIMS_TO_SUPPRESS.name, "email,email")],
                ID_CLAIMS_TO_SUPPRESS.name,
            ),
            (
                vec![
                    (PROFILE_CLAIMS.name, "plan"),
                    (USERS_TABLE.name, "users"),
                    (ACCESS_CLAIMS_TO_SUPPRESS.name, "plan"),
                ],
                ACCESS_CLAIMS_TO_SUPPRESS.name,
            ),
            (
                vec![
                    (CLIENT_CLAIMS.name, r#"{"c1":{"tenant_id":"a"}}"#),
                    (ACCESS_CLAIMS_TO_SUPPRESS.name, "tenant_id"),
                ],
                ACCESS_CLAIMS_TO_SUPPRESS.name,
            ),
            (vec![("AWS_CALL_TIMEOUT_MS", "6000")], "AWS_CALL_TIMEOUT_MS"),
        ] {
            let error = test_kit::config::<Config>(&pairs).unwrap_err();
            assert_eq!(error.variable, variable, "{pairs:?}: {error}");
        }
    }
}
