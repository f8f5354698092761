//! The function's configuration, read from the environment and checked once
//! at init, so a typo fails the cold start instead of a user's sign-up mail.
//!
//! The message's look (`APP_NAME`, `APP_URL`, `SUPPORT_EMAIL`,
//! `DEFAULT_LOCALE`, `TEMPLATES_DIR`) is custom-message's own declarations,
//! read by custom-message's own code: the two functions cannot drift apart.

use cognito_auth_core::aws::{self, AwsLimits, TableName};
use cognito_auth_core::config::{
    ConfigError, Declarations, Env, Flag, FromEnv, Optional, Required, Seconds, Text, declare,
};
use cognito_auth_core::metrics::Namespace;

declare! {
    /// ARN of the KMS key the pool encrypts codes with (`LambdaConfig.KMSKeyID`); the keyring
    /// decrypts with this key only.
    pub KEY_ARN: Required = Required, example "`arn:aws:kms:eu-west-1:123456789012:key/…`";
    /// Refuse a code whose encryption context lacks `userpool-id` = the event's pool. Off only
    /// for cognito-local, which encrypts without a context.
    pub REQUIRE_POOL_CONTEXT: Flag = Flag { default: true }, example "`false` (cognito-local)",
        defaulted "Cognito always sends the context; off only for cognito-local";
    /// DynamoDB table (partition key `id`, S; TTL on `expires_at`) that makes a retried event
    /// send once.
    pub IDEMPOTENCY_TABLE: Required = Required, example "`custom-sender-idempotency`";
    /// How long a sent message's record is kept; longer than Lambda's async retries (6 h at
    /// most).
    pub IDEMPOTENCY_TTL_SECONDS: Seconds = Seconds { default: 86_400, min: 21_600, max: 2_592_000 },
        example "`172800`", defaulted "a day outlasts Lambda's retries";
    /// SES v2 sender address (a verified identity), required for email.
    pub EMAIL_FROM: Optional = Optional, unset "email events fail", example "`Acme <no-reply@example.com>`";
    /// SES configuration set for every email.
    pub SES_CONFIGURATION_SET: Optional = Optional, unset "none", example "`auth-mail`";
    /// Reply-To address of every email.
    pub EMAIL_REPLY_TO: Optional = Optional, unset "none", example "`support@example.com`";
    /// SNS `AWS.SNS.SMS.SenderID`, where the destination country allows one (1–11 letters or
    /// digits, at least one letter).
    pub SMS_SENDER_ID: Optional = Optional, unset "none", example "`Acme`";
    /// SNS `AWS.SNS.SMS.SMSType`: `Transactional` (codes) or `Promotional`.
    pub SMS_TYPE: Text = Text { default: "Transactional" }, example "`Promotional`",
        defaulted "codes are transactional";
}

/// Everything custom-sender reads: its own variables, custom-message's, the
/// AWS call budget, and those of every function.
pub const VARIABLES: Declarations = &[
    &[
        &KEY_ARN,
        &REQUIRE_POOL_CONTEXT,
        &IDEMPOTENCY_TABLE,
        &IDEMPOTENCY_TTL_SECONDS,
        &EMAIL_FROM,
        &SES_CONFIGURATION_SET,
        &EMAIL_REPLY_TO,
        &SMS_SENDER_ID,
        &SMS_TYPE,
        &custom_message::config::APP_NAME,
        &custom_message::config::APP_URL,
        &custom_message::config::SUPPORT_EMAIL,
        &custom_message::config::DEFAULT_LOCALE,
        &custom_message::config::TEMPLATES_DIR,
    ],
    aws::VARIABLES,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// SES v2's sending settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    /// `EMAIL_FROM`.
    pub from: Option<String>,
    /// `SES_CONFIGURATION_SET`.
    pub configuration_set: Option<String>,
    /// `EMAIL_REPLY_TO`.
    pub reply_to: Option<String>,
}

/// SNS's sending settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSettings {
    /// `SMS_SENDER_ID`.
    pub sender_id: Option<String>,
    /// `SMS_TYPE`.
    pub sms_type: String,
}

/// Everything the function needs, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `KEY_ARN`.
    pub key_arn: String,
    /// `REQUIRE_POOL_CONTEXT`.
    pub require_pool_context: bool,
    /// `IDEMPOTENCY_TABLE`.
    pub idempotency_table: TableName,
    /// `IDEMPOTENCY_TTL_SECONDS`.
    pub idempotency_ttl: std::time::Duration,
    /// SES v2.
    pub email: EmailSettings,
    /// SNS.
    pub sms: SmsSettings,
    /// custom-message's configuration: brand, default locale, templates.
    pub message: custom_message::Config,
    /// The AWS call budget.
    pub aws: AwsLimits,
    /// `METRICS_NAMESPACE`.
    pub metrics_namespace: Namespace,
}

impl FromEnv for Config {
    const VARIABLES: Declarations = VARIABLES;

    /// Reads and checks every variable.
    fn from_env(env: &Env) -> Result<Config, ConfigError> {
        let key_arn = env.get(&KEY_ARN)?;
        check_key_arn(&key_arn)?;
        let sms_type = env.get(&SMS_TYPE)?;
        if !matches!(sms_type.as_str(), "Transactional" | "Promotional") {
            return Err(ConfigError::new(
                SMS_TYPE,
                "must be `Transactional` or `Promotional`",
            ));
        }
        let sender_id = env.get(&SMS_SENDER_ID)?;
        if let Some(id) = &sender_id {
            check_sender_id(id)?;
        }
        let email = EmailSettings {
            from: non_empty(&EMAIL_FROM, env.get(&EMAIL_FROM)?)?,
            configuration_set: non_empty(&SES_CONFIGURATION_SET, env.get(&SES_CONFIGURATION_SET)?)?,
            reply_to: non_empty(&EMAIL_REPLY_TO, env.get(&EMAIL_REPLY_TO)?)?,
        };
        Ok(Config {
            key_arn,
            require_pool_context: env.get(&REQUIRE_POOL_CONTEXT)?,
            idempotency_table: TableName::parse(IDEMPOTENCY_TABLE, &env.get(&IDEMPOTENCY_TABLE)?)?,
            idempotency_ttl: env.get(&IDEMPOTENCY_TTL_SECONDS)?,
            email,
            sms: SmsSettings {
                sender_id,
                sms_type,
            },
            message: custom_message::Config::from_env(env)?,
            aws: AwsLimits::from_env(env)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}

fn non_empty(
    variable: &dyn cognito_auth_core::config::Declared,
    value: Option<String>,
) -> Result<Option<String>, ConfigError> {
    match value {
        Some(text) if text.trim().is_empty() || text.chars().any(char::is_control) => {
            Err(ConfigError::new(
                variable.name(),
                "must not be blank or hold control characters",
            ))
        }
        other => Ok(other),
    }
}

/// A key ARN, not an alias or a bare id: a KMS keyring that decrypts must
/// name its key by ARN, and only this key may open a code.
fn check_key_arn(arn: &str) -> Result<(), ConfigError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "kms", region, account, resource]
            if !partition.is_empty()
                && !region.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource
                    .strip_prefix("key/")
                    .is_some_and(|id| !id.is_empty() && !id.contains('/')) =>
        {
            Ok(())
        }
        _ => Err(ConfigError::new(
            KEY_ARN,
            "must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias",
        )),
    }
}

/// SNS's sender id rule: 1 to 11 letters or digits, at least one letter.
fn check_sender_id(id: &str) -> Result<(), ConfigError> {
    let valid = (1..=11).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
        && id.bytes().any(|b| b.is_ascii_alphabetic());
    if valid {
        Ok(())
    } else {
        Err(ConfigError::new(
            SMS_SENDER_ID,
            "must be 1 to 11 letters or digits, at least one a letter",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn config(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut pairs: Vec<(&str, &str)> = [
            ("KEY_ARN", ARN),
            ("IDEMPOTENCY_TABLE", "sends"),
            ("APP_NAME", "Acme"),
        ]
        .into_iter()
        .filter(|(name, _)| !extra.iter().any(|(other, _)| other == name))
        .collect();
        pairs.extend_from_slice(extra);
        test_kit::config::<Config>(&pairs)
    }

    #[test]
    fn minimal_configuration() {
        let config = config(&[]).unwrap();
        assert_eq!(config.key_arn, ARN);
        assert!(config.require_pool_context);
        assert_eq!(config.idempotency_ttl.as_secs(), 86_400);
        assert_eq!(config.email.from, None);
        assert_eq!(config.sms.sms_type, "Transactional");
        assert_eq!(config.message.brand.app_name, "Acme");
    }

    #[test]
    fn every_error_names_its_variable() {
        for (pairs, variable) in [
            (vec![("KEY_ARN", "alias/cognito")], "KEY_ARN"),
            (
                vec![("KEY_ARN", "arn:aws:kms:eu-west-1:123456789012:alias/x")],
                "KEY_ARN",
            ),
            (
                vec![("KEY_ARN", "arn:aws:kms:eu-west-1:1234:key/x")],
                "KEY_ARN",
            ),
            (vec![("IDEMPOTENCY_TABLE", "a b")], "IDEMPOTENCY_TABLE"),
            (
                vec![("IDEMPOTENCY_TTL_SECONDS", "60")],
                "IDEMPOTENCY_TTL_SECONDS",
            ),
            (vec![("SMS_TYPE", "transactional")], "SMS_TYPE"),
            (vec![("SMS_SENDER_ID", "123")], "SMS_SENDER_ID"),
            (vec![("SMS_SENDER_ID", "TwelveLetter")], "SMS_SENDER_ID"),
            (vec![("EMAIL_FROM", "a\u{7}@example.com")], "EMAIL_FROM"),
            (vec![("REQUIRE_POOL_CONTEXT", "no")], "REQUIRE_POOL_CONTEXT"),
            (vec![("APP_NAME", "A{####}")], "APP_NAME"),
        ] {
            let error = config(&pairs).unwrap_err();
            assert_eq!(error.variable, variable, "{pairs:?}: {error}");
        }
    }
}
