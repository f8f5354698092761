//! The authorizer's configuration: every variable it reads, declared once
//! (see [`cognito_auth_core::config`]), and [`Config::from_env`], which reads
//! and checks them at init.

use aws_lambda_events::http::HeaderName;
use std::time::Duration;

use cognito_auth_core::VerifierConfig;
use cognito_auth_core::aws::TableName;
use cognito_auth_core::config::{
    Choice, ConfigError, Count, Declarations, Declared, Env, FromEnv, Millis, Optional, Seconds,
    Text, choices, declare,
};
use cognito_auth_core::metrics::Namespace;
use cognito_auth_core::verify;

use crate::event::CredentialSources;
use crate::route_rules::RuleSet;
use crate::stage_check;

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

declare! {
    /// The revocation store (the template's revocation table), by name or ARN: with it set, a
    /// verified token whose user, session or app client was revoked is refused (401). Unset: no
    /// check, no AWS SDK configuration loaded, nothing read.
    pub REVOCATION_TABLE: Optional = Optional, unset "no revocation check",
        example "`cognito-auth-revocations`";
    /// How long a sandbox reuses the store's answer for one user, session or client: with API
    /// Gateway's authorizer cache TTL, the longest a revoked token may still pass.
    pub REVOCATION_CACHE_SECONDS: Seconds = Seconds { default: 30, min: 1, max: 300 },
        example "`15`";
    /// The most users, sessions and clients a sandbox keeps answers for (about 200 bytes each);
    /// past it the oldest answer is dropped and read again when needed.
    pub REVOCATION_CACHE_ENTRIES: Count = Count { default: 10_000, min: 3, max: 1_000_000 },
        example "`50000`", defaulted "about 2 MB per sandbox; a template default would add bytes to the 4 KB environment";
    /// The store read's whole budget, retries included: two attempts of `(budget − 50 ms) / 2`
    /// each. Past it the token gets `REVOCATION_STORE_FAILURE`.
    pub REVOCATION_READ_TIMEOUT_MS: Millis = Millis { default: 300, min: 150, max: 3_000 },
        example "`500`", defaulted "an in-region read answers in milliseconds; the code's budget fits it";
    /// What a token gets when the store does not answer in time or answers with an item that
    /// breaks the contract: `allow` (logged at ERROR, counted in `RevocationChecks`
    /// `Result=failed`) or `refuse` (401). Revocations already cached still refuse.
    pub REVOCATION_STORE_FAILURE: Choice<StoreFailure> = Choice::exact(StoreFailure::Allow),
        example "`refuse`";
}

choices! {
    /// What a token gets when the revocation store fails.
    pub enum StoreFailure {
        /// Answered as if not revoked, with an ERROR line and a metric: a
        /// store incident does not take the API down.
        Allow = "allow",
        /// Refused (401), as a failure of the authorizer, not a refusal.
        Refuse = "refuse",
    }
}

/// The revocation check's settings, when `REVOCATION_TABLE` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationConfig {
    /// `REVOCATION_TABLE`.
    pub table: TableName,
    /// `REVOCATION_CACHE_SECONDS`.
    pub cache_for: Duration,
    /// `REVOCATION_CACHE_ENTRIES`.
    pub cache_entries: usize,
    /// `REVOCATION_READ_TIMEOUT_MS`.
    pub read_budget: Duration,
    /// `REVOCATION_STORE_FAILURE`.
    pub on_failure: StoreFailure,
}

impl RevocationConfig {
    /// `None` when `REVOCATION_TABLE` is unset. The other variables are
    /// read either way, so a typo in one fails init even before the check
    /// is turned on.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let table = env.get(&REVOCATION_TABLE)?;
        let cache_for = env.get(&REVOCATION_CACHE_SECONDS)?;
        let cache_entries = env.get(&REVOCATION_CACHE_ENTRIES)?;
        let read_budget = env.get(&REVOCATION_READ_TIMEOUT_MS)?;
        let on_failure = env.get(&REVOCATION_STORE_FAILURE)?;
        let Some(table) = table else {
            return Ok(None);
        };
        Ok(Some(Self {
            table: TableName::parse(REVOCATION_TABLE, &table)?,
            cache_for,
            cache_entries: usize::try_from(cache_entries).unwrap_or(usize::MAX),
            read_budget,
            on_failure,
        }))
    }
}

/// Everything the authorizer reads: the verifier's variables, its own, and
/// those of every function.
pub const VARIABLES: Declarations = &[
    verify::VARIABLES,
    OWN,
    REVOCATION,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// The revocation check's variables.
const REVOCATION: &[&dyn Declared] = &[
    &REVOCATION_TABLE,
    &REVOCATION_CACHE_SECONDS,
    &REVOCATION_CACHE_ENTRIES,
    &REVOCATION_READ_TIMEOUT_MS,
    &REVOCATION_STORE_FAILURE,
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
    /// The revocation check; `None` when `REVOCATION_TABLE` is unset.
    pub revocation: Option<RevocationConfig>,
}

impl FromEnv for Config {
    const VARIABLES: Declarations = VARIABLES;

    /// Reads the verifier's variables, `AUTHZ_RULES`, `AUTHZ_POLICY_SCOPE`,
    /// `TOKEN_HEADER`, `USAGE_IDENTIFIER_CLAIM` and the `REVOCATION_*`
    /// variables. In `stage` scope, proves
    /// that every caller's stage-wide policy is exact and fits
    /// ([`stage_check::check_stage`]), or fails naming `AUTHZ_RULES`.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
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
            stage_check::check_stage(rules, stage_check::resource_prefix_len(region.as_deref()))?;
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
            revocation: RevocationConfig::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revocation(pairs: &[(&str, &str)]) -> Result<Option<RevocationConfig>, ConfigError> {
        RevocationConfig::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn the_check_is_off_unless_a_table_is_named() {
        assert_eq!(revocation(&[]), Ok(None));
        assert_eq!(
            revocation(&[("REVOCATION_TABLE", "revocations")]),
            Ok(Some(RevocationConfig {
                table: TableName::parse("T", "revocations").unwrap(),
                cache_for: Duration::from_secs(30),
                cache_entries: 10_000,
                read_budget: Duration::from_millis(300),
                on_failure: StoreFailure::Allow,
            }))
        );
        let set = revocation(&[
            (
                "REVOCATION_TABLE",
                "arn:aws:dynamodb:eu-west-1:123456789012:table/revocations",
            ),
            ("REVOCATION_CACHE_SECONDS", "1"),
            ("REVOCATION_CACHE_ENTRIES", "100"),
            ("REVOCATION_READ_TIMEOUT_MS", "150"),
            ("REVOCATION_STORE_FAILURE", "refuse"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(set.cache_for, Duration::from_secs(1));
        assert_eq!(set.cache_entries, 100);
        assert_eq!(set.read_budget, Duration::from_millis(150));
        assert_eq!(set.on_failure, StoreFailure::Refuse);
    }

    #[test]
    fn bad_values_name_their_variable_even_with_the_check_off() {
        for (variable, value) in [
            ("REVOCATION_TABLE", "a b"),
            ("REVOCATION_CACHE_SECONDS", "0"),
            ("REVOCATION_CACHE_SECONDS", "301"),
            ("REVOCATION_CACHE_ENTRIES", "2"),
            ("REVOCATION_READ_TIMEOUT_MS", "100"),
            ("REVOCATION_READ_TIMEOUT_MS", "3001"),
            ("REVOCATION_STORE_FAILURE", "Allow"),
        ] {
            let error = revocation(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable, "{value}");
        }
    }
}
