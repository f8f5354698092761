//! The function's configuration, read from the environment and checked once
//! at init, so a typo fails the cold start instead of every sign-in.

use std::collections::BTreeMap;

use cognito_auth_core::aws::{self, AwsLimits, TableName};
use cognito_auth_core::config::{
    Choice, ConfigError, Declarations, Env, FromEnv, List, Optional, choices, declare,
};
use cognito_auth_core::ids::{ClientId, GroupName};
use cognito_auth_core::json::parse_value;
use cognito_auth_core::metrics::Namespace;
use serde_json::Value;

declare! {
    /// The profile table post-confirmation writes (partition key `sub`), read with one strongly
    /// consistent `GetItem` of `SUSPENDED_ATTRIBUTE` per sign-in.
    pub USERS_TABLE: Optional = Optional, unset "no read", example "`user-profiles`";
    /// Attribute of the profile item that marks a user suspended (a string, number, boolean or
    /// string set). Needs `USERS_TABLE` and `SUSPENDED_VALUES`.
    pub SUSPENDED_ATTRIBUTE: Optional = Optional, unset "no suspension check", example "`status`";
    /// Values of `SUSPENDED_ATTRIBUTE` that refuse the sign-in, compared exactly (a boolean as
    /// `true` or `false`, a set when any member is listed).
    pub SUSPENDED_VALUES: List = List, unset "none; required with `SUSPENDED_ATTRIBUTE`",
        example "`suspended,banned`";
    /// App clients kept for members of some groups (read live with `AdminListGroupsForUser`, on
    /// these clients only); other clients are open to every user.
    pub CLIENT_GROUPS: Optional = Optional, unset "every client open to every user",
        example r#"`{"<client id>":["admins"]}`"#;
    /// A failed read (the table or the group list): `refuse` (the default) fails the sign-in with
    /// the refusal's message, since a suspension is a security decision and an open door admits
    /// exactly the users it shut out, while signed-in users keep refreshing (Cognito does not
    /// call this trigger on a refresh); `allow` lets the sign-in through and logs an error.
    pub PROFILE_READ_FAILURE: Choice<OnReadFailure> = Choice::exact(OnReadFailure::Refuse),
        example "`allow`";
}

/// Everything pre-authentication reads: its own variables, the AWS call
/// budget, and those of every function.
pub const VARIABLES: Declarations = &[
    &[
        &USERS_TABLE,
        &SUSPENDED_ATTRIBUTE,
        &SUSPENDED_VALUES,
        &CLIENT_GROUPS,
        &PROFILE_READ_FAILURE,
    ],
    aws::VARIABLES,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// The profile table's partition key, as post-confirmation writes it.
pub const PARTITION_KEY: &str = "sub";

choices! {
    /// What a failed read does to the sign-in.
    pub enum OnReadFailure {
        /// The sign-in fails with the refusal's message. The default.
        Refuse = "refuse",
        /// The sign-in goes on, unchecked, and an error is logged.
        Allow = "allow",
    }
}

/// Where the suspension mark is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    /// `USERS_TABLE`.
    pub table: TableName,
    /// `SUSPENDED_ATTRIBUTE`.
    pub attribute: String,
    /// `SUSPENDED_VALUES`.
    pub values: Vec<String>,
}

/// The validated `CLIENT_GROUPS`: app client id to the groups whose members
/// may sign in through it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientGroups {
    by_client: BTreeMap<ClientId, Vec<GroupName>>,
}

impl ClientGroups {
    /// Parses strict JSON (a duplicate member is refused):
    /// `{"<client id>": ["<group>", ...], ...}`, each client id and group as
    /// Cognito spells them, each list non-empty and without repeats. The
    /// error is the reason only.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Value::Object(clients) = parse_value(text)? else {
            return Err(
                "must be a JSON object of app client ids to lists of groups, such as \
                 {\"1example23456789\":[\"admins\"]}"
                    .to_owned(),
            );
        };
        let mut by_client = BTreeMap::new();
        for (client, groups) in clients {
            let client = ClientId::parse(&client)?;
            let Value::Array(groups) = groups else {
                return Err(format!(
                    "client `{client}`: the groups must be a JSON array"
                ));
            };
            if groups.is_empty() {
                return Err(format!(
                    "client `{client}` lists no group, so nobody could sign in through it"
                ));
            }
            let mut names: Vec<GroupName> = Vec::with_capacity(groups.len());
            for group in groups {
                let Value::String(group) = group else {
                    return Err(format!("client `{client}`: each group must be a string"));
                };
                let group = GroupName::parse(&group)
                    .map_err(|reason| format!("client `{client}`: {reason}"))?;
                if names.contains(&group) {
                    return Err(format!("client `{client}` lists `{group}` twice"));
                }
                names.push(group);
            }
            by_client.insert(client, names);
        }
        Ok(Self { by_client })
    }

    /// The groups `client_id` is kept for, if it is listed.
    pub fn for_client(&self, client_id: &str) -> Option<&[GroupName]> {
        self.by_client.get(client_id).map(Vec::as_slice)
    }

    /// Whether no client is listed.
    pub fn is_empty(&self) -> bool {
        self.by_client.is_empty()
    }
}

/// Everything the function needs, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `USERS_TABLE`, `SUSPENDED_ATTRIBUTE` and `SUSPENDED_VALUES`; `None`
    /// without an attribute (then no table is read).
    pub suspension: Option<Suspension>,
    /// `CLIENT_GROUPS`.
    pub client_groups: ClientGroups,
    /// `PROFILE_READ_FAILURE`.
    pub on_read_failure: OnReadFailure,
    /// Timeouts and retries for both reads (`AWS_CALL_TIMEOUT_MS`,
    /// `AWS_ATTEMPT_TIMEOUT_MS`, `AWS_MAX_ATTEMPTS`).
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
        let values = env.get(&SUSPENDED_VALUES)?;
        let suspension = match env.get(&SUSPENDED_ATTRIBUTE)? {
            None => None,
            Some(attribute) => {
                check_attribute(&attribute)?;
                let Some(table) = table else {
                    return Err(ConfigError::new(
                        USERS_TABLE,
                        "is required when SUSPENDED_ATTRIBUTE is set: it is the table read",
                    ));
                };
                if values.is_empty() {
                    return Err(ConfigError::new(
                        SUSPENDED_VALUES,
                        "is required when SUSPENDED_ATTRIBUTE is set: list the values that refuse \
                         a sign-in",
                    ));
                }
                if let Some(value) = values
                    .iter()
                    .enumerate()
                    .find_map(|(index, value)| values[..index].contains(value).then_some(value))
                {
                    return Err(ConfigError::new(
                        SUSPENDED_VALUES,
                        format!("lists `{value}` twice"),
                    ));
                }
                Some(Suspension {
                    table,
                    attribute,
                    values,
                })
            }
        };
        let client_groups = match env.get(&CLIENT_GROUPS)? {
            None => ClientGroups::default(),
            Some(text) => ClientGroups::parse(&text)
                .map_err(|reason| ConfigError::new(CLIENT_GROUPS, reason))?,
        };
        Ok(Self {
            suspension,
            client_groups,
            on_read_failure: env.get(&PROFILE_READ_FAILURE)?,
            aws: AwsLimits::from_env(env)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}

impl Config {
    /// Whether any check is configured: without one, every sign-in passes
    /// and nothing is called.
    pub fn checks_anything(&self) -> bool {
        self.suspension.is_some() || !self.client_groups.is_empty()
    }
}

/// A DynamoDB attribute name that may be projected (through a placeholder,
/// so reserved words such as `status` are fine), and not the key: the key
/// is the user's `sub`, never a suspension mark.
fn check_attribute(attribute: &str) -> Result<(), ConfigError> {
    if attribute == PARTITION_KEY {
        return Err(ConfigError::new(
            SUSPENDED_ATTRIBUTE,
            "is the table's key (`sub`), which cannot mark a suspension",
        ));
    }
    if attribute.len() > 255 || attribute.chars().any(char::is_control) {
        return Err(ConfigError::new(
            SUSPENDED_ATTRIBUTE,
            "must be an attribute name of at most 255 bytes, without control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_set_checks_nothing_and_refuses_on_failure() {
        let config = test_kit::config::<Config>(&[]).unwrap();
        assert!(!config.checks_anything());
        assert_eq!(config.on_read_failure, OnReadFailure::Refuse);
        // The template sets the table and the values whatever the attribute.
        let config = test_kit::config::<Config>(&[
            ("USERS_TABLE", "users"),
            ("SUSPENDED_VALUES", "suspended"),
        ])
        .unwrap();
        assert!(!config.checks_anything());
    }

    #[test]
    fn reads_a_full_configuration() {
        let config = test_kit::config::<Config>(&[
            ("USERS_TABLE", "users"),
            ("SUSPENDED_ATTRIBUTE", "status"),
            ("SUSPENDED_VALUES", "suspended, banned"),
            (
                "CLIENT_GROUPS",
                r#"{"adminclient1": ["admins", "support"]}"#,
            ),
            ("PROFILE_READ_FAILURE", "allow"),
        ])
        .unwrap();
        let suspension = config.suspension.as_ref().unwrap();
        assert_eq!(suspension.table, "users");
        assert_eq!(suspension.attribute, "status");
        assert_eq!(suspension.values, ["suspended", "banned"]);
        let groups: Vec<&str> = config
            .client_groups
            .for_client("adminclient1")
            .unwrap()
            .iter()
            .map(GroupName::as_str)
            .collect();
        assert_eq!(groups, ["admins", "support"]);
        assert!(config.client_groups.for_client("webclient").is_none());
        assert_eq!(config.on_read_failure, OnReadFailure::Allow);
    }

    #[test]
    fn a_suspension_needs_a_table_and_values() {
        assert_eq!(
            test_kit::variable_at_fault::<Config>(&[
                ("SUSPENDED_ATTRIBUTE", "status"),
                ("SUSPENDED_VALUES", "x")
            ]),
            "USERS_TABLE"
        );
        assert_eq!(
            test_kit::variable_at_fault::<Config>(&[
                ("SUSPENDED_ATTRIBUTE", "status"),
                ("USERS_TABLE", "users")
            ]),
            "SUSPENDED_VALUES"
        );
        for (attribute, values) in [("sub", "x"), ("status", "a,a")] {
            let error = test_kit::config::<Config>(&[
                ("USERS_TABLE", "users"),
                ("SUSPENDED_ATTRIBUTE", attribute),
                ("SUSPENDED_VALUES", values),
            ])
            .unwrap_err();
            assert!(error.variable.starts_with("SUSPENDED_"), "{error}");
        }
    }

    #[test]
    fn client_groups_are_strict() {
        for (text, expected) in [
            (r#"["admins"]"#, "must be a JSON object"),
            (r#"{"bad id": ["admins"]}"#, "not an app client id"),
            (r#"{"c1": "admins"}"#, "must be a JSON array"),
            (r#"{"c1": []}"#, "lists no group"),
            (r#"{"c1": [1]}"#, "must be a string"),
            (r#"{"c1": ["two words"]}"#, "not a Cognito group name"),
            (r#"{"c1": ["a", "a"]}"#, "twice"),
            (r#"{"c1": ["a"], "c1": ["b"]}"#, "duplicate"),
            ("{", "EOF"),
        ] {
            let error = test_kit::config::<Config>(&[("CLIENT_GROUPS", text)]).unwrap_err();
            assert_eq!(error.variable, "CLIENT_GROUPS");
            assert!(error.reason.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn the_failure_outcome_is_one_of_two_words() {
        assert_eq!(
            test_kit::variable_at_fault::<Config>(&[("PROFILE_READ_FAILURE", "Allow")]),
            "PROFILE_READ_FAILURE"
        );
        assert_eq!(
            test_kit::variable_at_fault::<Config>(&[("PROFILE_READ_FAILURE", "omit")]),
            "PROFILE_READ_FAILURE"
        );
    }
}
