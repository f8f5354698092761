//! The function's configuration, read from the environment and checked once
//! at init, so a typo fails the cold start instead of a user's sign-up.

use cognito_auth_core::aws::{self, TableName};
use cognito_auth_core::config::{ConfigError, Declarations, Env, FromEnv, List, Optional, declare};
use cognito_auth_core::ids::GroupName;
use cognito_auth_core::metrics::Namespace;

/// Timeouts and retries for every AWS call, sized for Cognito's 5 s: read
/// from `AWS_CALL_TIMEOUT_MS`, `AWS_ATTEMPT_TIMEOUT_MS` and
/// `AWS_MAX_ATTEMPTS` by the shared crate, which the pre-token-generation
/// trigger reads the same way.
pub use cognito_auth_core::aws::AwsLimits;

/// Cognito's standard attributes (OpenID Connect claims) that may be copied
/// into the profile item, plus the two that Cognito adds for some users.
/// `sub`, `email` and `email_verified` are not listed: they are always
/// copied.
const COPYABLE_STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "family_name",
    "gender",
    "given_name",
    "identities",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

declare! {
    /// Group each confirmed user joins (`AdminAddUserToGroup`, pool id from the event). It must
    /// exist; it is never created.
    pub DEFAULT_GROUP: Optional = Optional, unset "no group", example "`users`";
    /// DynamoDB table (partition key `sub`, S) for the profile item, written once with
    /// `attribute_not_exists(sub)`.
    pub USERS_TABLE: Optional = Optional, unset "no item", example "`user-profiles`";
    /// Extra attributes copied into the item, besides username, email, `email_verified`,
    /// `created_at` and the client id.
    pub PROFILE_ATTRIBUTES: List = List, example "`given_name,family_name,locale`";
}

/// Everything post-confirmation reads: its own variables, the AWS call
/// budget, and those of every function.
pub const VARIABLES: Declarations = &[
    &[&DEFAULT_GROUP, &USERS_TABLE, &PROFILE_ATTRIBUTES],
    aws::VARIABLES,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// Attributes the item always holds, so listing them is a mistake.
const ALWAYS_COPIED: &[&str] = &["sub", "email", "email_verified"];

/// Everything the function needs, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `DEFAULT_GROUP`: the group every newly confirmed user joins.
    pub default_group: Option<GroupName>,
    /// `USERS_TABLE`: the DynamoDB table (name or ARN) for profile items,
    /// partition key `sub` (S).
    pub users_table: Option<TableName>,
    /// `PROFILE_ATTRIBUTES`: extra user attributes copied into the item.
    pub profile_attributes: Vec<String>,
    /// Timeouts and retries for every AWS call.
    pub aws: AwsLimits,
    /// `METRICS_NAMESPACE`: the CloudWatch namespace of the metrics.
    pub metrics_namespace: Namespace,
}

impl FromEnv for Config {
    const VARIABLES: Declarations = VARIABLES;

    /// Reads and validates every variable.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let default_group = env
            .get(&DEFAULT_GROUP)?
            .map(|group| {
                GroupName::parse(&group).map_err(|reason| ConfigError::new(DEFAULT_GROUP, reason))
            })
            .transpose()?;
        let users_table = env
            .get(&USERS_TABLE)?
            .map(|table| TableName::parse(USERS_TABLE, &table))
            .transpose()?;
        let profile_attributes = validate_profile_attributes(env.get(&PROFILE_ATTRIBUTES)?)?;
        Ok(Self {
            default_group,
            users_table,
            profile_attributes,
            aws: AwsLimits::from_env(env)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}

impl Config {
    /// Whether a confirmed sign-up has anything to do.
    pub fn provisions_anything(&self) -> bool {
        self.default_group.is_some() || self.users_table.is_some()
    }
}

/// Each name must be a Cognito standard attribute or `custom:<name>`, at most
/// once. A typo such as `givenname` would otherwise copy nothing, silently.
fn validate_profile_attributes(names: Vec<String>) -> Result<Vec<String>, ConfigError> {
    for (index, name) in names.iter().enumerate() {
        if ALWAYS_COPIED.contains(&name.as_str()) {
            return Err(ConfigError::new(
                PROFILE_ATTRIBUTES,
                format!("lists `{name}`, which the item always holds; remove it"),
            ));
        }
        if !is_copyable_attribute(name) {
            return Err(ConfigError::new(
                PROFILE_ATTRIBUTES,
                format!(
                    "`{name}` is neither a Cognito standard attribute ({}) nor `custom:<name>` \
                     (1 to 20 characters, no spaces)",
                    COPYABLE_STANDARD_ATTRIBUTES.join(", ")
                ),
            ));
        }
        if names[..index].contains(name) {
            return Err(ConfigError::new(
                PROFILE_ATTRIBUTES,
                format!("lists `{name}` twice"),
            ));
        }
    }
    Ok(names)
}

fn is_copyable_attribute(name: &str) -> bool {
    match name.strip_prefix("custom:") {
        Some(custom) => {
            (1..=20).contains(&custom.chars().count())
                && !custom.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => COPYABLE_STANDARD_ATTRIBUTES.contains(&name),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn nothing_set_provisions_nothing() {
        let config = test_kit::config::<Config>(&[]).unwrap();
        assert_eq!(config.default_group, None);
        assert_eq!(config.users_table, None);
        assert!(config.profile_attributes.is_empty());
        assert_eq!(config.aws, AwsLimits::default());
        assert!(!config.provisions_anything());
    }

    #[test]
    fn blank_values_count_as_unset() {
        let config =
            test_kit::config::<Config>(&[("DEFAULT_GROUP", " "), ("USERS_TABLE", "")]).unwrap();
        assert!(!config.provisions_anything());
    }

    #[test]
    fn reads_a_full_configuration() {
        let config = test_kit::config::<Config>(&[
            ("DEFAULT_GROUP", "members"),
            ("USERS_TABLE", "app-users"),
            (
                "PROFILE_ATTRIBUTES",
                "given_name, family_name,locale,custom:plan",
            ),
            ("AWS_CALL_TIMEOUT_MS", "3000"),
            ("AWS_ATTEMPT_TIMEOUT_MS", "1000"),
            ("AWS_MAX_ATTEMPTS", "2"),
        ])
        .unwrap();
        assert_eq!(
            config.default_group.as_ref().map(GroupName::as_str),
            Some("members")
        );
        assert_eq!(
            config.users_table.as_ref().map(TableName::as_str),
            Some("app-users")
        );
        assert_eq!(
            config.profile_attributes,
            ["given_name", "family_name", "locale", "custom:plan"]
        );
        assert_eq!(
            config.aws,
            AwsLimits {
                call_timeout: Duration::from_millis(3000),
                attempt_timeout: Duration::from_millis(1000),
                max_attempts: 2,
            }
        );
    }

    #[test]
    fn group_names_follow_cognito_rules() {
        assert_eq!(
            test_kit::variable_at_fault::<Config>(&[("DEFAULT_GROUP", "two words")]),
            "DEFAULT_GROUP"
        );
        let long = "g".repeat(129);
        assert_eq!(
            test_kit::variable_at_fault::<Config>(&[("DEFAULT_GROUP", &long)]),
            "DEFAULT_GROUP"
        );
        assert!(test_kit::config::<Config>(&[("DEFAULT_GROUP", &"g".repeat(128))]).is_ok());
        assert!(test_kit::config::<Config>(&[("DEFAULT_GROUP", "Paid-Users_2026.eu")]).is_ok());
    }

    #[test]
    fn tables_are_names_or_table_arns() {
        for good in [
            "users",
            "app.users-prod_1",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/users",
        ] {
            assert!(
                test_kit::config::<Config>(&[("USERS_TABLE", good)]).is_ok(),
                "{good}"
            );
        }
        for bad in [
            "ab",
            "users table",
            "users/1",
            "arn:aws:s3:::bucket",
            "arn:aws:dynamodb:eu-west-1:123456789012:index/users",
        ] {
            assert_eq!(
                test_kit::variable_at_fault::<Config>(&[("USERS_TABLE", bad)]),
                "USERS_TABLE",
                "{bad}"
            );
        }
    }

    #[test]
    fn profile_attributes_are_checked_by_name() {
        for bad in [
            "givenname",
            "email",
            "sub",
            "email_verified",
            "custom:",
            "custom:this-name-is-far-too-long",
            "locale,locale",
            "cognito:user_status",
        ] {
            let err = test_kit::config::<Config>(&[("PROFILE_ATTRIBUTES", bad)]).unwrap_err();
            assert_eq!(err.variable, "PROFILE_ATTRIBUTES", "{bad}");
        }
        assert_eq!(
            test_kit::config::<Config>(&[("PROFILE_ATTRIBUTES", "locale,locale")])
                .unwrap_err()
                .reason,
            "lists `locale` twice"
        );
        assert!(
            test_kit::config::<Config>(&[(
                "PROFILE_ATTRIBUTES",
                "identities,custom:tier,zoneinfo"
            )])
            .is_ok()
        );
    }

    #[test]
    fn timeouts_stay_within_the_cognito_budget() {
        assert_eq!(
            test_kit::config::<Config>(&[("AWS_CALL_TIMEOUT_MS", "5000")])
                .unwrap_err()
                .to_string(),
            "AWS_CALL_TIMEOUT_MS: must be between 100 and 4000"
        );
        assert_eq!(
            test_kit::config::<Config>(&[
                ("AWS_CALL_TIMEOUT_MS", "500"),
                ("AWS_ATTEMPT_TIMEOUT_MS", "800")
            ])
            .unwrap_err()
            .to_string(),
            "AWS_ATTEMPT_TIMEOUT_MS: must not exceed AWS_CALL_TIMEOUT_MS (500 ms)"
        );
        let short = test_kit::config::<Config>(&[("AWS_CALL_TIMEOUT_MS", "300")]).unwrap();
        assert_eq!(short.aws.attempt_timeout, Duration::from_millis(300));
        assert_eq!(
            test_kit::variable_at_fault::<Config>(&[("AWS_MAX_ATTEMPTS", "0")]),
            "AWS_MAX_ATTEMPTS"
        );
        assert_eq!(
            test_kit::variable_at_fault::<Config>(&[("AWS_MAX_ATTEMPTS", "6")]),
            "AWS_MAX_ATTEMPTS"
        );
        assert_eq!(
            test_kit::variable_at_fault::<Config>(&[("AWS_CALL_TIMEOUT_MS", "2s")]),
            "AWS_CALL_TIMEOUT_MS"
        );
    }
}
