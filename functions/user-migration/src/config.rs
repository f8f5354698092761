//! The function's configuration, read from the environment and checked once
//! at init, so that a typo, or a legacy hash cost that cannot fit Cognito's
//! 5 s on this function's memory, fails the cold start instead of a user's
//! sign-in.

use std::time::Duration;

use cognito_auth_core::aws::{self, TableName};
use cognito_auth_core::config::{
    ConfigError, Count, Declarations, Env, Flag, FromEnv, List, Millis, Required, Text, declare,
};
use cognito_auth_core::metrics::Namespace;

use crate::hash::{DummySpec, StoredHash, TooCostly, check_cost};

/// Timeouts and retries for every AWS call, sized for Cognito's 5 s (the
/// shared crate's `AWS_CALL_TIMEOUT_MS`, `AWS_ATTEMPT_TIMEOUT_MS`,
/// `AWS_MAX_ATTEMPTS`).
pub use cognito_auth_core::aws::AwsLimits;

declare! {
    /// DynamoDB table (name or ARN) of legacy users: one item per user, keyed by the name they
    /// sign in with, holding a password hash in PHC string format (see docs/migration.md).
    pub LEGACY_USERS_TABLE: Required = Required, example "`legacy-users`";
    /// The table's partition key (a string): the event's `userName`, as the user typed it.
    pub LEGACY_KEY_ATTRIBUTE: Text = Text { default: "username" }, example "`login`";
    /// The item attribute holding the password hash (argon2, scrypt or `pbkdf2-sha256` PHC
    /// string, or bcrypt `$2b$`).
    pub LEGACY_HASH_ATTRIBUTE: Text = Text { default: "password_hash" }, example "`pwd`";
    /// User attributes copied from the item: `name` (same name in the item) or
    /// `name=item_attribute`; standard attributes Cognito lets a trigger set, or `custom:<name>`.
    pub LEGACY_ATTRIBUTES: List = List,
        unset "`email`, `email_verified`, `phone_number`, `phone_number_verified` when present",
        example "`email,given_name=first_name,custom:plan=plan`";
    /// Set `email_verified` to `true` when the item has an email but no `email_verified`
    /// (needed for a forgot-password migration to reach the user).
    pub ASSUME_EMAIL_VERIFIED: Flag = Flag { default: false }, example "`true`";
    /// Set `phone_number_verified` to `true` when the item has a phone number but no
    /// `phone_number_verified`.
    pub ASSUME_PHONE_VERIFIED: Flag = Flag { default: false }, example "`true`",
        defaulted "the template's pool signs users in by email; set it on the function for phone-only legacy users";
    /// Kind and cost of the dummy hash verified for an unknown user (or an unusable hash), so
    /// that it takes as long as a wrong password: the legacy store's usual parameters.
    pub LEGACY_HASH_DEFAULT: Text = Text { default: "argon2id:m=19456,t=2,p=1" },
        example "`bcrypt:cost=12`";
    /// Longest estimated verification of one hash at this function's memory size; hashes that
    /// cost more are refused at read time, and a `LEGACY_HASH_DEFAULT` that does at init.
    pub MAX_HASH_MS: Millis = Millis { default: 1_000, min: 10, max: 2_000 }, example "`1500`",
        defaulted "1 s of Cognito's 5 s, twice over on a cold start (the dummy at init, the user's hash)";
    /// After a migration, write the time into the legacy item (`UpdateItem`, needs that
    /// permission); a failed write is logged and counted, and the migration still succeeds.
    pub MARK_MIGRATED: Flag = Flag { default: false }, example "`true`";
    /// The attribute `MARK_MIGRATED` writes: the migration's time in Unix seconds (a number).
    pub MIGRATED_ATTRIBUTE: Text = Text { default: "migrated_at" }, example "`moved_to_cognito`",
        defaulted "`migrated_at`, as docs/migration.md's runbook queries it";
    /// The function's memory in MB, set by Lambda: its CPU share (one vCPU at 1,769 MB) and
    /// memory bound what a hash may cost.
    pub AWS_LAMBDA_FUNCTION_MEMORY_SIZE: Count = Count { default: 128, min: 128, max: 10_240 },
        example "`1024`", set_by_lambda;
}

/// Everything user-migration reads: its own variables, the AWS call
/// budget, and those of every function.
pub const VARIABLES: Declarations = &[
    &[
        &LEGACY_USERS_TABLE,
        &LEGACY_KEY_ATTRIBUTE,
        &LEGACY_HASH_ATTRIBUTE,
        &LEGACY_ATTRIBUTES,
        &ASSUME_EMAIL_VERIFIED,
        &ASSUME_PHONE_VERIFIED,
        &LEGACY_HASH_DEFAULT,
        &MAX_HASH_MS,
        &MARK_MIGRATED,
        &MIGRATED_ATTRIBUTE,
        &AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    ],
    aws::VARIABLES,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// Standard attributes a migration trigger may set: the OpenID Connect
/// claims Cognito stores, less `sub` (Cognito makes it) and `identities`
/// (Cognito's own, for federated users).
const SETTABLE_STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
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

/// What `LEGACY_ATTRIBUTES` copies when unset.
const DEFAULT_ATTRIBUTES: &[&str] = &[
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
];

/// One attribute to copy: the Cognito name and the item attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The user attribute Cognito stores (`email`, `custom:plan`).
    pub cognito: String,
    /// The legacy item's attribute.
    pub item: String,
}

/// Everything the function needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// `LEGACY_USERS_TABLE`.
    pub table: TableName,
    /// `LEGACY_KEY_ATTRIBUTE`.
    pub key_attribute: String,
    /// `LEGACY_HASH_ATTRIBUTE`.
    pub hash_attribute: String,
    /// `LEGACY_ATTRIBUTES`, with their item names.
    pub attributes: Vec<Copied>,
    /// `ASSUME_EMAIL_VERIFIED`.
    pub assume_email_verified: bool,
    /// `ASSUME_PHONE_VERIFIED`.
    pub assume_phone_verified: bool,
    /// `LEGACY_HASH_DEFAULT`, parsed.
    pub dummy: DummySpec,
    /// `MAX_HASH_MS`.
    pub max_hash: Duration,
    /// `MARK_MIGRATED`: the attribute to write, when on.
    pub mark_attribute: Option<String>,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`.
    pub memory_mb: u64,
    /// Timeouts and retries for every AWS call.
    pub aws: AwsLimits,
    /// `METRICS_NAMESPACE`.
    pub metrics_namespace: Namespace,
}

impl FromEnv for Config {
    const VARIABLES: Declarations = VARIABLES;

    /// Reads and validates every variable (the dummy hash itself is made
    /// by [`Config::dummy_hash`], which costs one hash).
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let table = TableName::parse(LEGACY_USERS_TABLE, &env.get(&LEGACY_USERS_TABLE)?)?;
        let key_attribute = item_attribute_name(&LEGACY_KEY_ATTRIBUTE, env)?;
        let hash_attribute = item_attribute_name(&LEGACY_HASH_ATTRIBUTE, env)?;
        if key_attribute == hash_attribute {
            return Err(ConfigError::new(
                LEGACY_HASH_ATTRIBUTE,
                "must differ from LEGACY_KEY_ATTRIBUTE",
            ));
        }
        let listed = env.get(&LEGACY_ATTRIBUTES)?;
        let attributes = if listed.is_empty() {
            DEFAULT_ATTRIBUTES
                .iter()
                .map(|name| Copied {
                    cognito: (*name).to_owned(),
                    item: (*name).to_owned(),
                })
                .collect()
        } else {
            copied_attributes(&listed, &hash_attribute)?
        };
        let dummy = DummySpec::parse(&env.get(&LEGACY_HASH_DEFAULT)?)
            .map_err(|reason| ConfigError::new(LEGACY_HASH_DEFAULT, reason))?;
        let mark_attribute = if env.get(&MARK_MIGRATED)? {
            let name = item_attribute_name(&MIGRATED_ATTRIBUTE, env)?;
            if name == key_attribute || name == hash_attribute {
                return Err(ConfigError::new(
                    MIGRATED_ATTRIBUTE,
                    "must differ from the key and hash attributes",
                ));
            }
            Some(name)
        } else {
            None
        };
        Ok(Self {
            table,
            key_attribute,
            hash_attribute,
            attributes,
            assume_email_verified: env.get(&ASSUME_EMAIL_VERIFIED)?,
            assume_phone_verified: env.get(&ASSUME_PHONE_VERIFIED)?,
            dummy,
            max_hash: env.get(&MAX_HASH_MS)?,
            mark_attribute,
            memory_mb: env.get(&AWS_LAMBDA_FUNCTION_MEMORY_SIZE)?,
            aws: AwsLimits::from_env(env)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}

impl Config {
    /// `MAX_HASH_MS` in whole milliseconds.
    pub fn max_hash_ms(&self) -> u64 {
        self.max_hash.as_millis() as u64
    }

    /// Makes the dummy hash of `LEGACY_HASH_DEFAULT`, after checking that
    /// its parameters fit `MAX_HASH_MS` at this memory size: a default that
    /// cannot fit means every real hash like it would be refused too.
    pub fn dummy_hash(&self) -> Result<StoredHash, ConfigError> {
        check_cost(self.dummy.cost_params(), self.memory_mb, self.max_hash_ms()).map_err(
            |error| {
                let advice = match error {
                    TooCostly::Slow { .. } => "raise the function's memory or MAX_HASH_MS",
                    TooCostly::TooBig { .. } => "raise the function's memory",
                };
                ConfigError::new(LEGACY_HASH_DEFAULT, format!("{error}; {advice}"))
            },
        )?;
        self.dummy
            .make()
            .map_err(|reason| ConfigError::new(LEGACY_HASH_DEFAULT, reason))
    }
}

/// A DynamoDB attribute name from `variable`: 1 to 255 bytes, and none of
/// the characters that would make it ambiguous in a list or an expression
/// placeholder (it is always passed through `#name` placeholders).
fn item_attribute_name(
    variable: &cognito_auth_core::config::Var<Text>,
    env: &Env,
) -> Result<String, ConfigError> {
    let name = env.get(variable)?;
    if !valid_item_attribute(&name) {
        return Err(ConfigError::new(
            variable,
            "must be a DynamoDB attribute name: 1 to 255 bytes, no `,`, `=` or spaces",
        ));
    }
    Ok(name)
}

fn valid_item_attribute(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && !name
            .chars()
            .any(|c| c == ',' || c == '=' || c.is_whitespace() || c.is_control())
}

fn copied_attributes(listed: &[String], hash_attribute: &str) -> Result<Vec<Copied>, ConfigError> {
    let mut copied: Vec<Copied> = Vec::new();
    for entry in listed {
        let (cognito, item) = match entry.split_once('=') {
            Some((cognito, item)) => (cognito.trim(), item.trim()),
            None => (entry.as_str(), entry.as_str()),
        };
        let settable = match cognito.strip_prefix("custom:") {
            Some(custom) => {
                (1..=20).contains(&custom.chars().count())
                    && !custom.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => SETTABLE_STANDARD_ATTRIBUTES.contains(&cognito),
        };
        if !settable {
            return Err(ConfigError::new(
                LEGACY_ATTRIBUTES,
                format!(
                    "`{cognito}` is not an attribute a migration may set: one of {} or \
                     `custom:<name>` (never `sub`, which Cognito makes)",
                    SETTABLE_STANDARD_ATTRIBUTES.join(", ")
                ),
            ));
        }
        if !valid_item_attribute(item) {
            return Err(ConfigError::new(
                LEGACY_ATTRIBUTES,
                format!("`{entry}`: the item attribute is not a DynamoDB attribute name"),
            ));
        }
        if item == hash_attribute {
            return Err(ConfigError::new(
                LEGACY_ATTRIBUTES,
                "must not copy the hash attribute",
            ));
        }
        if copied.iter().any(|seen| seen.cognito == cognito) {
            return Err(ConfigError::new(
                LEGACY_ATTRIBUTES,
                format!("lists `{cognito}` twice"),
            ));
        }
        copied.push(Copied {
            cognito: cognito.to_owned(),
            item: item.to_owned(),
        });
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut all = vec![("LEGACY_USERS_TABLE", "legacy-users")];
        all.extend_from_slice(pairs);
        Config::from_env(&Env::from_pairs(all))
    }

    fn fault(pairs: &[(&str, &str)]) -> String {
        config(pairs).unwrap_err().variable
    }

    #[test]
    fn defaults() {
        let config = config(&[]).unwrap();
        assert_eq!(config.table, "legacy-users");
        assert_eq!(config.key_attribute, "username");
        assert_eq!(config.hash_attribute, "password_hash");
        let names: Vec<&str> = config
            .attributes
            .iter()
            .map(|a| a.cognito.as_str())
            .collect();
        assert_eq!(names, DEFAULT_ATTRIBUTES);
        assert_eq!(
            config.dummy,
            DummySpec::Argon2id {
                m_kib: 19_456,
                t: 2,
                p: 1
            }
        );
        assert_eq!(config.max_hash_ms(), 1_000);
        assert_eq!(config.mark_attribute, None);
        assert_eq!(config.memory_mb, 128);
    }

    #[test]
    fn the_table_is_required() {
        let error = Config::from_env(&Env::from_pairs([("X", "y")])).unwrap_err();
        assert_eq!(error.variable, "LEGACY_USERS_TABLE");
    }

    #[test]
    fn attributes_map_item_names_and_refuse_what_cognito_owns() {
        let config = config(&[(
            "LEGACY_ATTRIBUTES",
            "email, given_name=first_name,custom:plan=plan",
        )])
        .unwrap();
        assert_eq!(
            config.attributes[1],
            Copied {
                cognito: "given_name".into(),
                item: "first_name".into()
            }
        );
        for bad in [
            "sub",
            "identities",
            "cognito:user_status",
            "username",
            "email,email",
            "email=password_hash",
            "custom:this-name-is-far-too-long",
            "email=bad name",
        ] {
            assert_eq!(
                fault(&[("LEGACY_ATTRIBUTES", bad)]),
                "LEGACY_ATTRIBUTES",
                "{bad}"
            );
        }
    }

    #[test]
    fn names_and_specs_are_checked() {
        assert_eq!(
            fault(&[("LEGACY_HASH_ATTRIBUTE", "username")]),
            "LEGACY_HASH_ATTRIBUTE"
        );
        assert_eq!(
            fault(&[("LEGACY_KEY_ATTRIBUTE", "a b")]),
            "LEGACY_KEY_ATTRIBUTE"
        );
        assert_eq!(
            fault(&[("LEGACY_HASH_DEFAULT", "md5:i=1")]),
            "LEGACY_HASH_DEFAULT"
        );
        assert_eq!(fault(&[("MAX_HASH_MS", "5000")]), "MAX_HASH_MS");
        assert_eq!(fault(&[("MARK_MIGRATED", "yes")]), "MARK_MIGRATED");
        assert_eq!(
            fault(&[
                ("MARK_MIGRATED", "true"),
                ("MIGRATED_ATTRIBUTE", "password_hash")
            ]),
            "MIGRATED_ATTRIBUTE"
        );
        let marking = config(&[("MARK_MIGRATED", "true")]).unwrap();
        assert_eq!(marking.mark_attribute.as_deref(), Some("migrated_at"));
    }

    #[test]
    fn a_default_hash_that_cannot_fit_fails_init() {
        // scrypt N=2^17, r=8 needs 128 MiB: more than a 128 MB function has.
        let config = config(&[("LEGACY_HASH_DEFAULT", "scrypt:ln=17,r=8,p=1")]).unwrap();
        let error = config.dummy_hash().unwrap_err();
        assert_eq!(error.variable, "LEGACY_HASH_DEFAULT");
        assert!(error.reason.contains("needs 128 MiB"), "{error}");
        // A cheap one fits and makes a verifiable hash.
        let config = config_cheap();
        assert!(config.dummy_hash().is_ok());
    }

    fn config_cheap() -> Config {
        config(&[("LEGACY_HASH_DEFAULT", "pbkdf2-sha256:i=1000")]).unwrap()
    }
}
