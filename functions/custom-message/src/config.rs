//! Configuration from the environment, read and checked once at init.

use std::path::PathBuf;

use cognito_auth_core::config::{
    ConfigError, Declarations, Env, FromEnv, Optional, Required, Text, declare,
};
use cognito_auth_core::metrics::Namespace;

use crate::limits;
use crate::locale::Locale;

declare! {
    /// Product name in subjects, bodies and SMS (at most 40 characters, so every built-in subject
    /// and SMS stays within 140).
    pub APP_NAME: Required = Required, example "`Acme`";
    /// Sign-in link in the invitation and the email header (`http(s)://`, no quotes, braces or
    /// spaces).
    pub APP_URL: Optional = Optional, unset "no link", example "`https://app.example.com/sign-in`";
    /// Shown in the email footer.
    pub SUPPORT_EMAIL: Optional = Optional, unset "no footer line", example "`support@example.com`";
    /// Language when neither the user's `locale` attribute nor `clientMetadata.locale` gives one;
    /// regional tags fall back to their language (`pt-BR` → `pt`). Shipped: `en`, `es`, `pt`.
    pub DEFAULT_LOCALE: Text = Text { default: "en" }, example "`pt-BR`";
    /// Your own templates, `<locale>/<source>.{subject.txt,html,sms.txt}`, loaded and checked at
    /// init; a bad file fails init naming the file.
    pub TEMPLATES_DIR: Optional = Optional, example "`/opt/templates` (a layer)",
        defaulted "templates are built in; a folder needs its own package";
}

/// Everything custom-message reads: its own variables and those of every
/// function.
pub const VARIABLES: Declarations = &[
    &[
        &APP_NAME,
        &APP_URL,
        &SUPPORT_EMAIL,
        &DEFAULT_LOCALE,
        &TEMPLATES_DIR,
    ],
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// The longest `APP_NAME`, in characters. The built-in subjects and SMS texts
/// are written to stay within Cognito's 140 characters with a name this long
/// (a unit test checks it), so a valid brand never breaks a built-in message.
pub const APP_NAME_MAX: usize = 40;
/// The longest `APP_URL`.
pub const APP_URL_MAX: usize = 2_048;
/// The longest `SUPPORT_EMAIL` (RFC 5321's path limit).
pub const SUPPORT_EMAIL_MAX: usize = 254;

/// What the templates show of the operator's brand. Operator-controlled, but
/// still HTML-escaped like everything else (an `&` in a name is legal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    /// `APP_NAME`: the product name in subjects, bodies and SMS texts.
    pub app_name: String,
    /// `APP_URL`: where the invitation's sign-in link and the header point.
    pub app_url: Option<String>,
    /// `SUPPORT_EMAIL`: shown in the email footer.
    pub support_email: Option<String>,
}

/// The function's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The brand.
    pub brand: Brand,
    /// `DEFAULT_LOCALE`: the language when neither the user nor the app says
    /// which. Must have templates (built in, or in `TEMPLATES_DIR`).
    pub default_locale: Locale,
    /// `TEMPLATES_DIR`: a folder of the operator's own templates, loaded and
    /// checked at init.
    pub templates_dir: Option<PathBuf>,
    /// `METRICS_NAMESPACE`: the CloudWatch namespace of the metrics.
    pub metrics_namespace: Namespace,
}

impl FromEnv for Config {
    const VARIABLES: Declarations = VARIABLES;

    /// Reads and checks every variable. Templates are loaded later, by
    /// [`crate::State::new`].
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let app_name = env.get(&APP_NAME)?;
        check_app_name(&app_name)?;
        let app_url = env.get(&APP_URL)?;
        if let Some(url) = &app_url {
            check_app_url(url)?;
        }
        let support_email = env.get(&SUPPORT_EMAIL)?;
        if let Some(email) = &support_email {
            check_support_email(email)?;
        }
        let default_locale = Locale::parse(&env.get(&DEFAULT_LOCALE)?).ok_or_else(|| {
            ConfigError::new(
                DEFAULT_LOCALE,
                "must be a locale tag such as `en` or `pt-BR`",
            )
        })?;
        Ok(Config {
            brand: Brand {
                app_name,
                app_url,
                support_email,
            },
            default_locale,
            templates_dir: env.get(&TEMPLATES_DIR)?.map(PathBuf::from),
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}

fn check_app_name(name: &str) -> Result<(), ConfigError> {
    if limits::length(name) > APP_NAME_MAX {
        return Err(ConfigError::new(
            APP_NAME,
            format!(
                "must be at most {APP_NAME_MAX} characters, to keep subjects and SMS texts within Cognito's limits"
            ),
        ));
    }
    if name.chars().any(|c| c.is_control() || c == '{' || c == '}') {
        return Err(ConfigError::new(
            APP_NAME,
            "must not contain control characters or braces (braces could forge a Cognito placeholder)",
        ));
    }
    Ok(())
}

fn check_app_url(url: &str) -> Result<(), ConfigError> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| ConfigError::new(APP_URL, "must start with https:// or http://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(ConfigError::new(APP_URL, "has no host"));
    }
    if url.len() > APP_URL_MAX {
        return Err(ConfigError::new(
            APP_URL,
            format!("must be at most {APP_URL_MAX} characters"),
        ));
    }
    if url.chars().any(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`' | '{' | '}')
    }) {
        return Err(ConfigError::new(
            APP_URL,
            "must not contain white space, quotes, angle brackets, backslashes, backticks or braces",
        ));
    }
    Ok(())
}

fn check_support_email(email: &str) -> Result<(), ConfigError> {
    let invalid = || {
        ConfigError::new(
            SUPPORT_EMAIL,
            "must be a plain address such as support@example.com",
        )
    };
    if email.len() > SUPPORT_EMAIL_MAX {
        return Err(ConfigError::new(
            SUPPORT_EMAIL,
            format!("must be at most {SUPPORT_EMAIL_MAX} characters"),
        ));
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let plain = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
    };
    if !plain(local) || !plain(domain) || !domain.contains('.') {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_configuration() {
        let config = test_kit::config::<Config>(&[("APP_NAME", "Acme")]).unwrap();
        assert_eq!(config.brand.app_name, "Acme");
        assert_eq!(config.brand.app_url, None);
        assert_eq!(config.brand.support_email, None);
        assert_eq!(config.default_locale.as_str(), "en");
        assert_eq!(config.templates_dir, None);
    }

    #[test]
    fn full_configuration() {
        let config = test_kit::config::<Config>(&[
            ("APP_NAME", "Tom & Jerry's"),
            ("APP_URL", "https://app.example.com/sign-in?from=email&x=1"),
            ("SUPPORT_EMAIL", "help+app@example.com"),
            ("DEFAULT_LOCALE", "pt_br"),
            ("TEMPLATES_DIR", "/opt/templates"),
        ])
        .unwrap();
        assert_eq!(config.default_locale.as_str(), "pt-BR");
        assert_eq!(config.templates_dir, Some(PathBuf::from("/opt/templates")));
    }

    #[test]
    fn every_error_names_its_variable() {
        let long_name = "n".repeat(APP_NAME_MAX + 1);
        for (pairs, variable) in [
            (vec![], "APP_NAME"),
            (vec![("APP_NAME", long_name.as_str())], "APP_NAME"),
            (vec![("APP_NAME", "Ac{####}me")], "APP_NAME"),
            (vec![("APP_NAME", "Ac\nme")], "APP_NAME"),
            (
                vec![("APP_NAME", "Acme"), ("APP_URL", "javascript:alert(1)")],
                "APP_URL",
            ),
            (
                vec![("APP_NAME", "Acme"), ("APP_URL", "https://")],
                "APP_URL",
            ),
            (
                vec![
                    ("APP_NAME", "Acme"),
                    ("APP_URL", "https://x.com/\"onmouseover"),
                ],
                "APP_URL",
            ),
            (
                vec![("APP_NAME", "Acme"), ("SUPPORT_EMAIL", "nobody")],
                "SUPPORT_EMAIL",
            ),
            (
                vec![("APP_NAME", "Acme"), ("SUPPORT_EMAIL", "a@b")],
                "SUPPORT_EMAIL",
            ),
            (
                vec![("APP_NAME", "Acme"), ("SUPPORT_EMAIL", "<a@b.c>")],
                "SUPPORT_EMAIL",
            ),
            (
                vec![("APP_NAME", "Acme"), ("DEFAULT_LOCALE", "english please")],
                "DEFAULT_LOCALE",
            ),
        ] {
            let error = test_kit::config::<Config>(&pairs).unwrap_err();
            assert_eq!(error.variable, variable, "{pairs:?}: {error}");
        }
    }
}
