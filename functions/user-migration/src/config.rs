//! The function's configuration, read from the environment and checked once
//! at init, so that a typo, or a legacy hash cost that cannot fit Cognito's
//! 5 s on this function's memory, fails the cold start instead of a user's
//! sign-in.

use std::time::Duration;

use cognito_auth_core::aws::{self, TableName};
use cognito_auth_core::config::{
    ConfigError, Count, Declarations, Env, Flag, FromEnv, List, Millis, Optional, Text, declare,
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
    /// Exactly one of this and `LEGACY_ENDPOINT_URL`.
    pub LEGACY_USERS_TABLE: Optional = Optional, unset "`LEGACY_ENDPOINT_URL` is the source",
        example "`legacy-users`";
    /// The legacy system's HTTPS endpoint, which verifies the password itself (the signed POST
    /// contract of docs/migration.md). `https` only; plain `http` only to a loopback host.
    /// Exactly one of this and `LEGACY_USERS_TABLE`.
    pub LEGACY_ENDPOINT_URL: Optional = Optional, unset "`LEGACY_USERS_TABLE` is the source",
        example "`https://legacy.example.com/cognito-migration`";
    /// ARN of the Secrets Manager secret (its `SecretString`) that signs the endpoint's requests,
    /// read once at init. With `LEGACY_ENDPOINT_URL`, this or `LEGACY_ENDPOINT_SECRET`.
    pub LEGACY_ENDPOINT_SECRET_ARN: Optional = Optional, unset "`LEGACY_ENDPOINT_SECRET`",
        example "`arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy-migration-AbCdEf`";
    /// The shared secret itself (at least 32 bytes), for local runs and tests: in a deployment it
    /// would sit in the function's configuration for anyone with `lambda:GetFunctionConfiguration`
    /// to read, so prefer `LEGACY_ENDPOINT_SECRET_ARN`. Never logged.
    pub LEGACY_ENDPOINT_SECRET: Optional = Optional, unset "`LEGACY_ENDPOINT_SECRET_ARN`",
        example "a random string of 32 bytes or more",
        defaulted "the template reads the secret from Secrets Manager (`LegacyEndpointSecretArn`)";
    /// The whole call to the endpoint, connecting included; past it the user gets the
    /// "unavailable" error. Within Cognito's 5 s with the cold start and the function's timeout.
    pub LEGACY_ENDPOINT_TIMEOUT_MS: Millis = Millis { default: 2_000, min: 100, max: 3_000 },
        example "`1500`";
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
        &LEGACY_ENDPOINT_URL,
        &LEGACY_ENDPOINT_SECRET_ARN,
        &LEGACY_ENDPOINT_SECRET,
        &LEGACY_ENDPOINT_TIMEOUT_MS,
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

/// The least length of the endpoint's shared secret: HMAC-SHA256's output
/// length, below which RFC 2104 (section 3) calls a key weak.
pub const MIN_SECRET_BYTES: usize = 32;

/// Where the legacy users are: exactly one of the two.
#[derive(Debug, Clone)]
pub enum Legacy {
    /// `LEGACY_USERS_TABLE`: this function reads the record and verifies
    /// the hash.
    Table(TableName),
    /// `LEGACY_ENDPOINT_URL`: the legacy system verifies the password.
    Endpoint(EndpointConfig),
}

/// The legacy endpoint's settings.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// `LEGACY_ENDPOINT_URL`.
    pub url: reqwest::Url,
    /// Where the shared secret comes from.
    pub secret: SecretSource,
    /// `LEGACY_ENDPOINT_TIMEOUT_MS`.
    pub timeout: Duration,
}

/// Where the endpoint's shared secret comes from.
#[derive(Debug, Clone)]
pub enum SecretSource {
    /// `LEGACY_ENDPOINT_SECRET`.
    Value(Secret),
    /// `LEGACY_ENDPOINT_SECRET_ARN`, read at init.
    Arn(String),
}

/// A shared secret: its `Debug` never shows it, so no log line or error
/// that formats the configuration can carry it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// `bytes`, if long enough to be a key (`MIN_SECRET_BYTES`).
    pub fn new(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "is {} bytes long; an HMAC-SHA256 key needs at least {MIN_SECRET_BYTES}",
                bytes.len()
            ));
        }
        Ok(Self(bytes))
    }

    /// The key bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Everything the function needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// `LEGACY_USERS_TABLE` or `LEGACY_ENDPOINT_URL`.
    pub legacy: Legacy,
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
        let legacy = legacy(env)?;
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
            if matches!(legacy, Legacy::Endpoint(_)) {
                return Err(ConfigError::new(
                    MARK_MIGRATED,
                    "needs LEGACY_USERS_TABLE: with LEGACY_ENDPOINT_URL the endpoint records \
                     the migration itself when it answers 200 (docs/migration.md)",
                ));
            }
            Some(name)
        } else {
            None
        };
        Ok(Self {
            legacy,
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

/// The source: exactly one of `LEGACY_USERS_TABLE` and
/// `LEGACY_ENDPOINT_URL`; with the endpoint, exactly one of its secret's
/// two variables. Both are read either way, so that a variable of the
/// other source left set is an error rather than silently ignored.
fn legacy(env: &Env) -> Result<Legacy, ConfigError> {
    let table = env.get(&LEGACY_USERS_TABLE)?;
    let url = env.get(&LEGACY_ENDPOINT_URL)?;
    let secret = env.get(&LEGACY_ENDPOINT_SECRET)?;
    let secret_arn = env.get(&LEGACY_ENDPOINT_SECRET_ARN)?;
    let timeout = env.get(&LEGACY_ENDPOINT_TIMEOUT_MS)?;
    match (table, url) {
        (Some(_), Some(_)) => Err(ConfigError::new(
            LEGACY_ENDPOINT_URL,
            "set exactly one of LEGACY_USERS_TABLE and LEGACY_ENDPOINT_URL, not both",
        )),
        (None, None) => Err(ConfigError::new(
            LEGACY_USERS_TABLE,
            "is required: set exactly one of LEGACY_USERS_TABLE (a DynamoDB table) and \
             LEGACY_ENDPOINT_URL (an HTTPS endpoint)",
        )),
        (Some(table), None) => {
            for (name, set) in [
                (LEGACY_ENDPOINT_SECRET.name, secret.is_some()),
                (LEGACY_ENDPOINT_SECRET_ARN.name, secret_arn.is_some()),
            ] {
                if set {
                    return Err(ConfigError::new(
                        name,
                        "is for LEGACY_ENDPOINT_URL, which is not set (the source is LEGACY_USERS_TABLE)",
                    ));
                }
            }
            Ok(Legacy::Table(TableName::parse(LEGACY_USERS_TABLE, &table)?))
        }
        (None, Some(url)) => {
            let url = endpoint_url(&url)?;
            let secret = match (secret, secret_arn) {
                (Some(_), Some(_)) => {
                    return Err(ConfigError::new(
                        LEGACY_ENDPOINT_SECRET,
                        "set exactly one of LEGACY_ENDPOINT_SECRET and LEGACY_ENDPOINT_SECRET_ARN",
                    ));
                }
                (None, None) => {
                    return Err(ConfigError::new(
                        LEGACY_ENDPOINT_SECRET_ARN,
                        "is required with LEGACY_ENDPOINT_URL (or LEGACY_ENDPOINT_SECRET)",
                    ));
                }
                (Some(value), None) => SecretSource::Value(
                    Secret::new(value.into_bytes())
                        .map_err(|reason| ConfigError::new(LEGACY_ENDPOINT_SECRET, reason))?,
                ),
                (None, Some(arn)) => SecretSource::Arn(secret_arn_of(&arn)?),
            };
            Ok(Legacy::Endpoint(EndpointConfig {
                url,
                secret,
                timeout,
            }))
        }
    }
}

/// The endpoint: `https`, or `http` to a loopback host (tests, local
/// runs), as `JWKS_URL` is read: plain HTTP anywhere else would send
/// passwords in the clear. No credentials in the URL (they would be logged
/// with it), no fragment.
fn endpoint_url(value: &str) -> Result<reqwest::Url, ConfigError> {
    let url = reqwest::Url::parse(value).map_err(|error| {
        ConfigError::new(LEGACY_ENDPOINT_URL, format!("is not a valid URL: {error}"))
    })?;
    if !cognito_auth_core::jwks::is_https_or_loopback_http(&url) {
        return Err(ConfigError::new(
            LEGACY_ENDPOINT_URL,
            "must use https (plain http only to a loopback host)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            LEGACY_ENDPOINT_URL,
            "must not carry credentials: requests are signed with the shared secret",
        ));
    }
    if url.fragment().is_some() {
        return Err(ConfigError::new(
            LEGACY_ENDPOINT_URL,
            "must not have a #fragment",
        ));
    }
    Ok(url)
}

/// A Secrets Manager secret ARN
/// (`arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`), so
/// that a name or a typo fails init here rather than as an access error.
fn secret_arn_of(value: &str) -> Result<String, ConfigError> {
    let parts: Vec<&str> = value.splitn(7, ':').collect();
    let valid = parts.len() == 7
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "secretsmanager"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5] == "secret"
        && !parts[6].is_empty();
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ConfigError::new(
            LEGACY_ENDPOINT_SECRET_ARN,
            "must be a Secrets Manager secret ARN \
             (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)",
        ))
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
        assert!(
            matches!(&config.legacy, Legacy::Table(table) if *table == "legacy-users"),
            "{config:?}"
        );
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
        assert!(error.reason.contains("LEGACY_ENDPOINT_URL"), "{error}");
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy-AbCdEf";

    fn endpoint(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn the_endpoint_is_the_other_source() {
        let config = endpoint(&[
            ("LEGACY_ENDPOINT_URL", "https://legacy.example.com/migrate"),
            ("LEGACY_ENDPOINT_SECRET_ARN", ARN),
        ])
        .unwrap();
        let Legacy::Endpoint(settings) = &config.legacy else {
            panic!("{config:?}")
        };
        assert_eq!(settings.url.as_str(), "https://legacy.example.com/migrate");
        assert!(matches!(&settings.secret, SecretSource::Arn(arn) if arn == ARN));
        assert_eq!(settings.timeout, Duration::from_millis(2_000));
        // The secret never shows in the configuration's Debug.
        let config = endpoint(&[
            ("LEGACY_ENDPOINT_URL", "http://127.0.0.1:9/migrate"),
            ("LEGACY_ENDPOINT_SECRET", SECRET),
            ("LEGACY_ENDPOINT_TIMEOUT_MS", "500"),
        ])
        .unwrap();
        assert!(!format!("{config:?}").contains(SECRET));
        for loopback in ["http://localhost:8080/", "http://[::1]:8080/"] {
            endpoint(&[
                ("LEGACY_ENDPOINT_URL", loopback),
                ("LEGACY_ENDPOINT_SECRET", SECRET),
            ])
            .unwrap();
        }
    }

    #[test]
    fn exactly_one_source_and_one_secret() {
        let fault = |pairs: &[(&str, &str)]| endpoint(pairs).unwrap_err().variable;
        let url = ("LEGACY_ENDPOINT_URL", "https://legacy.example.com/");
        let secret = ("LEGACY_ENDPOINT_SECRET", SECRET);
        let arn = ("LEGACY_ENDPOINT_SECRET_ARN", ARN);
        let table = ("LEGACY_USERS_TABLE", "legacy-users");
        assert_eq!(fault(&[table, url, secret]), "LEGACY_ENDPOINT_URL");
        assert_eq!(fault(&[table, secret]), "LEGACY_ENDPOINT_SECRET");
        assert_eq!(fault(&[table, arn]), "LEGACY_ENDPOINT_SECRET_ARN");
        assert_eq!(fault(&[url]), "LEGACY_ENDPOINT_SECRET_ARN");
        assert_eq!(fault(&[url, secret, arn]), "LEGACY_ENDPOINT_SECRET");
        assert_eq!(
            fault(&[url, ("LEGACY_ENDPOINT_SECRET", "too-short")]),
            "LEGACY_ENDPOINT_SECRET"
        );
        for bad_arn in [
            "legacy-secret",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/x",
            "arn:aws:secretsmanager:eu-west-1:12345:secret:x",
        ] {
            assert_eq!(
                fault(&[url, ("LEGACY_ENDPOINT_SECRET_ARN", bad_arn)]),
                "LEGACY_ENDPOINT_SECRET_ARN",
                "{bad_arn}"
            );
        }
        for bad_url in [
            "http://legacy.example.com/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "https://user:pw@legacy.example.com/",
            "https://legacy.example.com/#x",
            "not a url",
        ] {
            assert_eq!(
                fault(&[("LEGACY_ENDPOINT_URL", bad_url), secret]),
                "LEGACY_ENDPOINT_URL",
                "{bad_url}"
            );
        }
        assert_eq!(
            fault(&[url, secret, ("LEGACY_ENDPOINT_TIMEOUT_MS", "5000")]),
            "LEGACY_ENDPOINT_TIMEOUT_MS"
        );
        // Marking needs the table.
        assert_eq!(
            fault(&[url, secret, ("MARK_MIGRATED", "true")]),
            "MARK_MIGRATED"
        );
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
