//! The custom resource's configuration: where the pool's keys are read (the
//! pool's own JWKS unless `JWKS_URL` says otherwise), and what every
//! function reads.

use cognito_auth_core::config::{ConfigError, Declarations, Env, FromEnv, Optional, declare};
use cognito_auth_core::metrics::Namespace;

declare! {
    /// Where the keys are read at deploy; `{userPoolId}` is replaced by the resource's
    /// `UserPoolId`. https, or http to loopback only (the tests' JWKS server).
    pub JWKS_URL: Optional = Optional,
        unset "`https://cognito-idp.{region}.amazonaws.com/{userPoolId}/.well-known/jwks.json`",
        example "`http://127.0.0.1:9000/{userPoolId}/.well-known/jwks.json`",
        defaulted "derived from the resource's UserPoolId: the pool's own JWKS";
}

/// Everything the custom resource reads.
pub const VARIABLES: Declarations = &[&[&JWKS_URL], cognito_auth_core::init::EVERY_FUNCTION];

/// The configuration, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// `JWKS_URL`, unresolved (it names no pool until an event does).
    pub jwks_url: Option<String>,
    /// `METRICS_NAMESPACE`.
    pub metrics_namespace: Namespace,
}

impl FromEnv for Config {
    const VARIABLES: Declarations = VARIABLES;

    /// Reads and validates every variable. A `JWKS_URL` is checked at
    /// init with a sample pool id, so a typo fails the cold start.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let jwks_url = env.get(&JWKS_URL)?;
        if let Some(template) = &jwks_url {
            crate::request::jwks_url(Some(template), "us-east-1_Check")
                .map_err(|reason| ConfigError::new(JWKS_URL, reason))?;
        }
        Ok(Self {
            jwks_url,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}
