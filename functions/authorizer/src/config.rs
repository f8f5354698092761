//! The authorizer's configuration: every variable it reads, declared once
//! (see [`cognito_auth_core::config`]), and [`Config::from_env`], which reads
//! and checks them at init.

use aws_lambda_events::http::HeaderName;
use cognito_auth_core::VerifierConfig;
use cognito_auth_core::config::{
    Choice, ConfigError, Declarations, Declared, Env, Optional, Text, choices, declare,
};
use cognito_auth_core::metrics::Namespace;
use cognito_auth_core::verify;

use crate::encode;
use crate::event::CredentialSources;
use crate::route_rules::RuleSet;

declare! {
    /// Route rules ([authorizer.md](authorizer.md#route-rules-authz_rules)): inline JSON, or a
    /// file path (relative to `/var/task` in Lambda).
    pub AUTHZ_RULES: Optional = Optional, unset "every verified caller may call the whole stage",
        example r#"`[{"method":"GET","path":"/pets"}]` or `rules.json`"#;
    /// What one REST (and HTTP API 1.0) answer covers: `stage`, every route (any cache key; init
    /// refuses rules no single policy can express within 8 KB); `route`, the triggering resource
    /// and verb (any rules; needs the cache key that
    /// [Exact answers](authorizer.md#exact-answers-and-api-gateways-cache) names).
    pub AUTHZ_POLICY_SCOPE: Choice<PolicyScope> = Choice::exact(PolicyScope::Stage),
        example "`route`";
    /// The header that holds the token in REQUEST, HTTP API and WebSocket events (any casing).
    pub TOKEN_HEADER: Text = Text { default: DEFAULT_TOKEN_HEADER }, example "`X-Api-Token`";
}

/// The default credential header.
pub const DEFAULT_TOKEN_HEADER: &str = "Authorization";

declare! {
    /// The query parameter that holds the token of WebSocket `$connect` events (browsers cannot set
    /// headers on a WebSocket). A token in both the parameter and the header, or the parameter
    /// twice, is refused. Never used for REST or HTTP APIs.
    pub TOKEN_QUERY_PARAMETER: Optional = Optional, unset "headers only", example "`token`";
    /// Claim returned as `usageIdentifierKey`: the API key of a REST usage plan (API key source
    /// `AUTHORIZER`). **Whoever can write the claim chooses whose plan a call spends.** An app
    /// client may write every attribute its `WriteAttributes` does not leave out, so with a custom
    /// attribute (`custom:api_key`) a user could `UpdateUserAttributes` to another customer's key
    /// and spend their quota: use a claim only the pre-token-generation trigger writes (an
    /// attribute of the profile table in `PROFILE_CLAIMS`), or leave the attribute out of every app
    /// client's `WriteAttributes`.
    pub USAGE_IDENTIFIER_CLAIM: Optional = Optional, example "`api_key` (from `PROFILE_CLAIMS`)";
    /// Set by Lambda. The function's region: the partition and region of the ARNs that the `stage`
    /// scope's size check assumes.
    pub AWS_REGION: Optional = Optional, unset "the longest region and partition",
        example "`eu-west-1`", set_by_lambda;
}

/// Everything the authorizer reads: the verifier's variables, its own, and
/// those of every function.
pub const VARIABLES: Declarations = &[
    verify::VARIABLES,
    OWN,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// The authorizer's own variables.
const OWN: &[&dyn Declared] = &[
    &AUTHZ_RULES,
    &AUTHZ_POLICY_SCOPE,
    &TOKEN_HEADER,
    &TOKEN_QUERY_PARAMETER,
    &USAGE_IDENTIFIER_CLAIM,
    &AWS_REGION,
];

choices! {
    /// What one REST (and HTTP API 1.0) answer covers.
    pub enum PolicyScope {
        /// Every route of the stage: works with any cache key.
        Stage = "stage",
        /// The triggering resource and verb: needs a REQUEST authorizer whose
        /// identity sources include `context.httpMethod` and
        /// `context.resourcePath`.
        Route = "route",
    }
}

/// The function's configuration, read once at init.
pub struct Config {
    /// Which tokens are accepted.
    pub verifier: VerifierConfig,
    /// Route rules; `None` lets every verified caller call the whole stage.
    pub rules: Option<RuleSet>,
    /// What one REST answer covers.
    pub scope: PolicyScope,
    /// Where credentials are read from.
    pub sources: CredentialSources,
    /// The claim for `usageIdentifierKey`, if any.
    pub usage_identifier_claim: Option<String>,
    /// Where metrics go (`METRICS_NAMESPACE`).
    pub metrics_namespace: Namespace,
}

impl Config {
    /// Reads the verifier's variables, `AUTHZ_RULES`, `AUTHZ_POLICY_SCOPE`,
    /// `TOKEN_HEADER` and `USAGE_IDENTIFIER_CLAIM`. In `stage` scope, proves
    /// that every caller's stage-wide policy is exact and fits
    /// ([`encode::check_stage`]), or fails naming `AUTHZ_RULES`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let header = env.get(&TOKEN_HEADER)?;
        let token_header = HeaderName::from_bytes(header.as_bytes())
            .map_err(|_| ConfigError::new(TOKEN_HEADER, "is not a valid HTTP header name"))?;
        let query_parameter = env.get(&TOKEN_QUERY_PARAMETER)?;
        if let Some(name) = &query_parameter
            && (name.len() > 64
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)))
        {
            return Err(ConfigError::new(
                TOKEN_QUERY_PARAMETER,
                "must be a query parameter name of at most 64 letters, digits, `-`, `_`, `.` or `~`",
            ));
        }
        let verifier = VerifierConfig::from_env(env)?;
        let pools: Vec<&str> = verifier.pools().iter().map(|pool| pool.id()).collect();
        let rules = RuleSet::from_env(env, &pools)?;
        let scope = env.get(&AUTHZ_POLICY_SCOPE)?;
        if let (Some(rules), PolicyScope::Stage) = (&rules, scope) {
            let region = env.get(&AWS_REGION)?;
            encode::check_stage(rules, encode::resource_prefix_len(region.as_deref()))?;
        }
        Ok(Self {
            verifier,
            rules,
            scope,
            sources: CredentialSources {
                header: token_header,
                query_parameter,
            },
            usage_identifier_claim: env.get(&USAGE_IDENTIFIER_CLAIM)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}
