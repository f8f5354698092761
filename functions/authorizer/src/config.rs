//! The authorizer's configuration: every variable it reads, declared once
//! (see [`cognito_auth_core::config`]), and [`Config::from_env`], which reads
//! and checks them at init.

use aws_lambda_events::http::HeaderName;
use cognito_auth_core::VerifierConfig;
use cognito_auth_core::config::{self, ConfigError, Declarations, Env, Kind, Variable};
use cognito_auth_core::metrics::Namespace;
use cognito_auth_core::verify;

use crate::encode::{self, PolicyScope};
use crate::event::CredentialSources;
use crate::route_rules::{self, RuleSet};

/// `TOKEN_HEADER`: the header that carries the credential in REQUEST events.
pub const TOKEN_HEADER: Variable = Variable::new(
    "TOKEN_HEADER",
    Kind::Text {
        default: DEFAULT_TOKEN_HEADER,
    },
    "The header that holds the token in REQUEST, HTTP API and WebSocket events (any casing).",
)
.example("`X-Api-Token`");

/// The default credential header.
pub const DEFAULT_TOKEN_HEADER: &str = "Authorization";

/// `TOKEN_QUERY_PARAMETER`: the query-string parameter that carries the
/// token of WebSocket `$connect` events (browsers cannot set headers on a
/// WebSocket). Unset: headers only.
pub const TOKEN_QUERY_PARAMETER: Variable = Variable::new(
    "TOKEN_QUERY_PARAMETER",
    Kind::Optional,
    "The query parameter that holds the token of WebSocket `$connect` events (browsers cannot set headers on a WebSocket). A token in both the parameter and the header, or the parameter twice, is refused. Never used for REST or HTTP APIs.",
)
.unset("headers only")
.example("`token`");

/// `USAGE_IDENTIFIER_CLAIM`: the claim whose value becomes
/// `usageIdentifierKey` (an API key of a usage plan). Whoever can write the
/// claim picks whose plan a call spends, so the example is a claim only the
/// pre-token-generation trigger writes, not a custom attribute.
pub const USAGE_IDENTIFIER_CLAIM: Variable = Variable::new(
    "USAGE_IDENTIFIER_CLAIM",
    Kind::Optional,
    "Claim returned as `usageIdentifierKey`: the API key of a REST usage plan (API key source `AUTHORIZER`). **Whoever can write the claim chooses whose plan a call spends.** An app client may write every attribute its `WriteAttributes` does not leave out, so with a custom attribute (`custom:api_key`) a user could `UpdateUserAttributes` to another customer's key and spend their quota: use a claim only the pre-token-generation trigger writes (an attribute of the profile table in `PROFILE_CLAIMS`), or leave the attribute out of every app client's `WriteAttributes`.",
)
.example("`api_key` (from `PROFILE_CLAIMS`)");

/// Set by Lambda: the function's region, which sizes the ARNs of the init
/// check (the partition and region of the APIs it serves).
pub const AWS_REGION: Variable = Variable::new(
    "AWS_REGION",
    Kind::Optional,
    "Set by Lambda. The function's region: the partition and region of the ARNs that the `stage` scope's size check assumes.",
)
.unset("the longest region and partition")
.example("`eu-west-1`")
.set_by_lambda();

/// Everything the authorizer reads: the verifier's variables, its own, and
/// those of every function.
pub const VARIABLES: Declarations = &[verify::VARIABLES, OWN, config::EVERY_FUNCTION];

/// The authorizer's own variables.
const OWN: &[Variable] = &[
    route_rules::VARIABLE,
    encode::SCOPE_VARIABLE,
    TOKEN_HEADER,
    TOKEN_QUERY_PARAMETER,
    USAGE_IDENTIFIER_CLAIM,
    AWS_REGION,
];

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
        let header = env.text(TOKEN_HEADER)?;
        let token_header = HeaderName::from_bytes(header.as_bytes())
            .map_err(|_| ConfigError::new(TOKEN_HEADER, "is not a valid HTTP header name"))?;
        let query_parameter = env.optional(TOKEN_QUERY_PARAMETER)?;
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
        let scope = PolicyScope::from_env(env)?;
        if let (Some(rules), PolicyScope::Stage) = (&rules, scope) {
            let region = env.optional(AWS_REGION)?;
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
            usage_identifier_claim: env.optional(USAGE_IDENTIFIER_CLAIM)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}
