//! [`VerifierConfig`]: what the verifier accepts, read from the environment
//! once at init. Every malformed value is a [`ConfigError`] naming its
//! variable, so a typo fails the cold start instead of letting tokens through.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crate::claims::TokenUse;
use crate::config::{
    Choice, ConfigError, Count, Declared, Env, Millis, Optional, Required, Seconds, choices,
    declare, split_list,
};
use crate::fetch::{is_https_or_loopback_http, is_loopback};
use crate::ids::ClientId;
use crate::jwks::RefreshPolicy;

declare! {
    /// Pools whose tokens are accepted. Region and issuer
    /// (`https://cognito-idp.{region}.amazonaws.com/{poolId}`) are derived from each id; a
    /// malformed or repeated id fails init.
    pub USER_POOL_ID: Required = Required,
        example "`eu-west-1_AbC123` or `eu-west-1_A,us-east-1_B`";
    /// Allowed app clients (`client_id` of access tokens, `aud` of id tokens), machine clients
    /// included. Only `*` alone switches the check off, with a warning at init.
    pub APP_CLIENT_IDS: Required = Required, example "`4pq8f2ab3cd5ef6gh7ij8kl9mn`";
    /// Which tokens are accepted.
    pub TOKEN_USE: Choice<TokenUsePolicy> = Choice::exact(TokenUsePolicy::Access),
        example "`id`, `any`";
    /// Where keys are fetched; `{userPoolId}` is replaced per pool, and is required with several
    /// pools. https, or http to loopback only. The issuer check does not change. HTTPS trusts
    /// Mozilla's roots as bundled in `webpki-roots` (Cognito's chain to Amazon's and Starfield's),
    /// not the system store, which is slow to load at every cold start; so `SSL_CERT_FILE` is not
    /// read and a private CA is not supported.
    pub JWKS_URL: Optional = Optional, unset "`{issuer}/.well-known/jwks.json`",
        example "`https://vpce.example/{userPoolId}/jwks.json`",
        defaulted "derived from USER_POOL_ID: the pool's own JWKS";
    /// Keys loaded at init, so a cold start needs no network; `{userPoolId}` is replaced per pool,
    /// and is required with several pools. An unreadable file, or one with no usable key, fails
    /// init. Seeds the cache: the keys then age and refresh like fetched keys, and an unknown kid
    /// can still fetch.
    pub JWKS_FILE: Optional = Optional, example "`/var/task/jwks.json`",
        defaulted "offline tests only";
    /// The pool's JWKS itself, handed in at deploy (the template's `DeployKeys` custom resource
    /// reads it once the pool exists), so a cold start needs no network. Minified, and only the
    /// members the verifier reads. A token whose kid they hold needs no fetch until
    /// `JWKS_MAX_AGE_SECONDS`; past it one request refreshes them (so a withdrawn key stops
    /// verifying), and if that fails they keep serving. A kid they lack still fetches from
    /// `JWKS_URL` (single flight, cooldown); the fetched keys then replace them, and if they
    /// differ, a warning and the `DeployKeysStale` metric say to redeploy. One pool only, and
    /// not with `JWKS_FILE`; keys with no usable key fail init. It shares Lambda's 4 KB with `AUTHZ_RULES`
    /// (docs/authorizer.md).
    pub JWKS: Optional = Optional, unset "fetched from `JWKS_URL` at init",
        example "`{\"keys\":[{\"kid\":\"...\",\"kty\":\"RSA\",\"n\":\"...\",\"e\":\"AQAB\"}]}`";
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    pub JWT_LEEWAY_SECONDS: Seconds = Seconds { default: 5, min: 0, max: 60 }, example "`2`",
        defaulted TUNABLE;
    /// Keys older than this are refreshed.
    pub JWKS_MAX_AGE_SECONDS: Seconds = Seconds { default: 3600, min: 60, max: 86_400 },
        example "`1800`", defaulted TUNABLE;
    /// Least time between two fetches for one pool, failed fetches included: a flood of unknown
    /// kids costs one fetch per cooldown.
    pub JWKS_COOLDOWN_SECONDS: Seconds = Seconds { default: 10, min: 1, max: 600 }, example "`30`",
        defaulted TUNABLE;
    /// Total time for one fetch, body included (API Gateway's own JWT authorizer uses 1,500 ms).
    pub JWKS_FETCH_TIMEOUT_MS: Millis = Millis { default: 1500, min: 100, max: 10_000 },
        example "`1000`", defaulted TUNABLE;
    /// Largest JWKS body or file accepted.
    pub JWKS_MAX_BYTES: Count = Count { default: 150_000, min: 1024, max: 1_048_576 },
        example "`65536`", defaulted TUNABLE;
    /// How long keys past their max age keep working while the endpoint fails (with a warning).
    pub JWKS_STALE_GRACE_SECONDS: Seconds = Seconds { default: 86_400, min: 0, max: 604_800 },
        example "`3600`", defaulted TUNABLE;
    /// Verified tokens remembered (by SHA-256, never past `exp`); `0` turns the cache off.
    pub VERIFIED_TOKEN_CACHE_SIZE: Count = Count { default: 1000, min: 0, max: 100_000 },
        example "`0`", defaulted TUNABLE;
    /// **Local runs and tests only.** The origin of a Cognito emulator on this host
    /// (cognito-local's `TokenConfig.IssuerDomain`). It replaces
    /// `https://cognito-idp.{region}.amazonaws.com` in every pool's issuer (so `iss` must be
    /// `{COGNITO_EMULATOR_URL}/{poolId}`) and in the default `JWKS_URL`, and lets `USER_POOL_ID`
    /// list the emulator's `local_<id>` pool ids, which are refused without it. Only a bare `http`
    /// or `https` origin on a loopback host (`127.0.0.0/8`, `[::1]`, `localhost`), written as a URL
    /// parser writes it (no path, query or credentials; `http://LOCALHOST:9229` or `:80` are
    /// refused); anything else fails init naming the variable, and when set a warning is logged at
    /// init. The template never sets it (the template drift test, `tests/tests/template/`, fails if
    /// it does).
    pub COGNITO_EMULATOR_URL: Optional = Optional, example "`http://127.0.0.1:9229`",
        defaulted "local runs against a Cognito emulator on loopback only \
            (tests/tests/lifecycle.rs): a deployment must never set it, so the template never does";
}

const TUNABLE: &str = "cache or fetch tunable with a safe default in code";

/// The verifier's variables, read by [`VerifierConfig::from_env`].
pub const VARIABLES: &[&dyn Declared] = &[
    &USER_POOL_ID,
    &APP_CLIENT_IDS,
    &TOKEN_USE,
    &JWKS_URL,
    &JWKS_FILE,
    &JWKS,
    &JWT_LEEWAY_SECONDS,
    &JWKS_MAX_AGE_SECONDS,
    &JWKS_COOLDOWN_SECONDS,
    &JWKS_FETCH_TIMEOUT_MS,
    &JWKS_MAX_BYTES,
    &JWKS_STALE_GRACE_SECONDS,
    &VERIFIED_TOKEN_CACHE_SIZE,
    &COGNITO_EMULATOR_URL,
];

/// The region given to an emulator's pool ids (`local_<id>`): the `region`
/// cognito-local writes in its trigger events.
pub const EMULATOR_REGION: &str = "local";

/// The placeholder replaced by each pool's id in `JWKS_URL` and `JWKS_FILE`.
pub const POOL_ID_PLACEHOLDER: &str = "{userPoolId}";

/// One Cognito user pool, parsed from `<region>_<id>` (or, with
/// `COGNITO_EMULATOR_URL`, an emulator's `local_<id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    id: String,
    region: String,
    issuer: String,
    jwks_url: reqwest::Url,
    jwks_file: Option<PathBuf>,
    handed_in: Option<String>,
}

impl UserPool {
    /// The pool id, e.g. `eu-west-1_AbC123`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The region, e.g. `eu-west-1` (`local` for an emulator's `local_<id>`).
    pub fn region(&self) -> &str {
        &self.region
    }

    /// `https://cognito-idp.{region}.amazonaws.com/{poolId}`, or
    /// `{COGNITO_EMULATOR_URL}/{poolId}` when that is set: the exact `iss`
    /// of the pool's tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Where the pool's keys are fetched from.
    pub fn jwks_url(&self) -> &reqwest::Url {
        &self.jwks_url
    }

    /// The file the pool's keys are loaded from at init, if any.
    pub fn jwks_file(&self) -> Option<&std::path::Path> {
        self.jwks_file.as_deref()
    }

    /// The JWKS handed in at deploy (`JWKS`), if any.
    pub fn handed_in(&self) -> Option<&str> {
        self.handed_in.as_deref()
    }
}

/// Which app clients are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientPolicy {
    /// Any client of the pool: only from an explicit `APP_CLIENT_IDS=*`.
    Any,
    /// Exactly these client ids.
    Only(BTreeSet<ClientId>),
}

impl ClientPolicy {
    /// Whether `client_id` is accepted.
    pub fn allows(&self, client_id: &str) -> bool {
        match self {
            ClientPolicy::Any => true,
            ClientPolicy::Only(ids) => ids.contains(client_id),
        }
    }
}

choices! {
    /// Which kind of token is accepted.
    pub enum TokenUsePolicy {
        /// Access tokens only (the default: they are what APIs should get).
        Access = "access",
        /// Id tokens only.
        Id = "id",
        /// Either.
        Any = "any",
    }
}

impl TokenUsePolicy {
    /// Whether a token of kind `token_use` is accepted.
    pub fn allows(self, token_use: TokenUse) -> bool {
        matches!(
            (self, token_use),
            (TokenUsePolicy::Any, _)
                | (TokenUsePolicy::Access, TokenUse::Access)
                | (TokenUsePolicy::Id, TokenUse::Id)
        )
    }
}

/// The JWKS cache tunables. Public so that code and tests can set values the
/// environment ranges do not allow (sub-second timings in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksSettings {
    /// `JWKS_MAX_AGE_SECONDS`.
    pub max_age: Duration,
    /// `JWKS_COOLDOWN_SECONDS`.
    pub cooldown: Duration,
    /// `JWKS_STALE_GRACE_SECONDS`.
    pub stale_grace: Duration,
    /// `JWKS_FETCH_TIMEOUT_MS`.
    pub fetch_timeout: Duration,
    /// `JWKS_MAX_BYTES`.
    pub max_bytes: usize,
}

impl JwksSettings {
    pub(crate) fn refresh_policy(&self) -> RefreshPolicy {
        RefreshPolicy {
            max_age: self.max_age,
            cooldown: self.cooldown,
            stale_grace: self.stale_grace,
        }
    }
}

/// Everything the [`Verifier`](super::Verifier) needs to know. Build it with
/// [`VerifierConfig::from_env`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    pools: Vec<UserPool>,
    clients: ClientPolicy,
    token_use: TokenUsePolicy,
    /// `JWT_LEEWAY_SECONDS`.
    pub leeway: Duration,
    /// The JWKS cache tunables.
    pub jwks: JwksSettings,
    /// `VERIFIED_TOKEN_CACHE_SIZE`; 0 turns the cache off.
    pub verified_cache_size: usize,
}

impl VerifierConfig {
    /// Reads the variables of [`VARIABLES`] (their declarations say what
    /// each means, with its default and range).
    ///
    /// Why `COGNITO_EMULATOR_URL` is loopback only: an emulator signs with
    /// a key anyone can read (cognito-local's private key ships in its npm
    /// package), so its tokens prove nothing beyond this host. A loopback
    /// issuer and JWKS cannot be reached from, or served by, anything else,
    /// and without the variable the configuration is exactly as strict as
    /// before it existed: only `<region>_<id>` pools, only Cognito's issuer.
    ///
    /// Why a day of stale grace: Cognito signing keys are long-lived and a
    /// token lives at most a day, so a day covers a regional outage or a
    /// broken VPC endpoint without refusing every user, while still bounding
    /// how long a sandbox that cannot reach the endpoint trusts keys the pool
    /// may have retired. A successful fetch drops retired keys at once.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let emulator = parse_emulator(env)?;
        let pool_ids = parse_pool_ids(env, emulator.is_some())?;
        let several = pool_ids.len() > 1;
        let url_template = env.get(&JWKS_URL)?;
        let file_template = env.get(&JWKS_FILE)?;
        let handed_in = env.get(&JWKS)?;
        if handed_in.is_some() {
            // One key set cannot belong to several pools (pool A's keys
            // must not vouch for pool B), and two sources of keys for one
            // pool would leave which one wins to the reader.
            if several {
                return Err(ConfigError::new(
                    JWKS,
                    format!(
                        "holds one pool's keys, but {USER_POOL_ID} lists several pools: use \
                         {JWKS_FILE} with {POOL_ID_PLACEHOLDER}, or leave it unset"
                    ),
                ));
            }
            if file_template.is_some() {
                return Err(ConfigError::new(
                    JWKS,
                    format!("cannot be set with {JWKS_FILE}: set one of them"),
                ));
            }
        }
        for (variable, template) in [(JWKS_URL, &url_template), (JWKS_FILE, &file_template)] {
            if several
                && template
                    .as_ref()
                    .is_some_and(|t| !t.contains(POOL_ID_PLACEHOLDER))
            {
                // One key set for several pools would let pool A's keys
                // vouch for pool B's issuer.
                return Err(ConfigError::new(
                    variable,
                    format!(
                        "must contain {POOL_ID_PLACEHOLDER} when {USER_POOL_ID} lists several pools"
                    ),
                ));
            }
        }
        let pools = pool_ids
            .into_iter()
            .map(|(id, region)| {
                let issuer = match &emulator {
                    Some(origin) => format!("{origin}/{id}"),
                    None => format!("https://cognito-idp.{region}.amazonaws.com/{id}"),
                };
                let jwks_url = match &url_template {
                    Some(template) => jwks_url(&template.replace(POOL_ID_PLACEHOLDER, &id))?,
                    None => jwks_url(&format!("{issuer}/.well-known/jwks.json"))?,
                };
                let jwks_file = file_template
                    .as_ref()
                    .map(|template| PathBuf::from(template.replace(POOL_ID_PLACEHOLDER, &id)));
                Ok(UserPool {
                    id,
                    region,
                    issuer,
                    jwks_url,
                    jwks_file,
                    handed_in: handed_in.clone(),
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;

        let max_bytes = env.get(&JWKS_MAX_BYTES)?;
        let verified_cache_size = env.get(&VERIFIED_TOKEN_CACHE_SIZE)?;
        if let Some(origin) = &emulator {
            tracing::warn!(
                emulator = %origin,
                "COGNITO_EMULATOR_URL is set: tokens are accepted from the local Cognito emulator \
                 instead of Cognito; never set it in a deployment"
            );
        }
        Ok(Self {
            pools,
            clients: parse_clients(env)?,
            token_use: env.get(&TOKEN_USE)?,
            leeway: env.get(&JWT_LEEWAY_SECONDS)?,
            jwks: JwksSettings {
                max_age: env.get(&JWKS_MAX_AGE_SECONDS)?,
                cooldown: env.get(&JWKS_COOLDOWN_SECONDS)?,
                stale_grace: env.get(&JWKS_STALE_GRACE_SECONDS)?,
                fetch_timeout: env.get(&JWKS_FETCH_TIMEOUT_MS)?,
                // Both bounds fit in any usize this code runs on.
                max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
            },
            verified_cache_size: usize::try_from(verified_cache_size).unwrap_or(usize::MAX),
        })
    }

    /// The configured pools, in `USER_POOL_ID` order.
    pub fn pools(&self) -> &[UserPool] {
        &self.pools
    }

    /// The accepted app clients.
    pub fn clients(&self) -> &ClientPolicy {
        &self.clients
    }

    /// The accepted token kind.
    pub fn token_use(&self) -> TokenUsePolicy {
        self.token_use
    }
}

/// `USER_POOL_ID` as `(pool id, region)` pairs, deduplicated is an error.
/// An emulator's `local_<id>` is a pool id only when `emulator` (that is,
/// `COGNITO_EMULATOR_URL`) is set.
fn parse_pool_ids(env: &Env, emulator: bool) -> Result<Vec<(String, String)>, ConfigError> {
    let ids = split_list(&env.get(&USER_POOL_ID)?);
    if ids.is_empty() {
        return Err(ConfigError::new(USER_POOL_ID, "lists no pool id"));
    }
    let mut pools: Vec<(String, String)> = Vec::with_capacity(ids.len());
    for id in ids {
        let region = match pool_region(&id) {
            Some(region) => region,
            None if is_emulator_pool_id(&id) && emulator => EMULATOR_REGION,
            None if is_emulator_pool_id(&id) => {
                return Err(ConfigError::new(
                    USER_POOL_ID,
                    format!(
                        "`{id}` is a local emulator's pool id, accepted only with \
                         {COGNITO_EMULATOR_URL}"
                    ),
                ));
            }
            None => {
                return Err(ConfigError::new(
                    USER_POOL_ID,
                    format!("`{id}` is not a pool id like `eu-west-1_AbC123`"),
                ));
            }
        };
        if pools.iter().any(|(seen, _)| *seen == id) {
            return Err(ConfigError::new(
                USER_POOL_ID,
                format!("`{id}` is listed twice"),
            ));
        }
        let region = region.to_owned();
        pools.push((id, region));
    }
    Ok(pools)
}

/// The region of a pool id `<region>_<id>`, if the id is well formed: the
/// region is lowercase words and a number joined by `-` (`eu-west-1`,
/// `us-gov-west-1`), the id is ASCII alphanumeric, and the whole is at most
/// 55 characters (Cognito's limit). Checked strictly because it is pasted
/// into the issuer and the JWKS URL.
fn pool_region(pool_id: &str) -> Option<&str> {
    if pool_id.len() > 55 {
        return None;
    }
    let (region, id) = pool_id.split_once('_')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let parts: Vec<&str> = region.split('-').collect();
    let (number, words) = parts.split_last()?;
    let well_formed = words.len() >= 2
        && words[0].len() == 2
        && words
            .iter()
            .all(|word| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit());
    well_formed.then_some(region)
}

/// Whether `pool_id` is a local emulator's pool id: `local_` then ASCII
/// alphanumerics (cognito-local makes `local_` plus 8 of them), at most 55
/// characters in all like a Cognito id. Only meaningful with
/// `COGNITO_EMULATOR_URL`.
fn is_emulator_pool_id(pool_id: &str) -> bool {
    pool_id.len() <= 55
        && pool_id
            .strip_prefix(EMULATOR_REGION)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `COGNITO_EMULATOR_URL`, checked: the emulator's origin as it appears in
/// its tokens' `iss` (without a trailing `/`), or `None` when unset.
///
/// Accepted only as a bare `http` or `https` origin on a loopback host
/// (`127.0.0.0/8`, `::1`, `localhost`), written exactly as the URL parser
/// serialises it: the issuer check compares strings, so a spelling the
/// emulator would write differently (`LOCALHOST`, `:80`) would refuse every
/// token, and is better refused here, at init.
fn parse_emulator(env: &Env) -> Result<Option<String>, ConfigError> {
    let Some(value) = env.get(&COGNITO_EMULATOR_URL)? else {
        return Ok(None);
    };
    let refuse = |why: String| {
        ConfigError::new(
            COGNITO_EMULATOR_URL,
            format!(
                "{why}; it must be the bare origin of a Cognito emulator on this host, such as \
                 `http://127.0.0.1:9229` (loopback only: 127.0.0.0/8, [::1] or localhost)"
            ),
        )
    };
    let url =
        reqwest::Url::parse(&value).map_err(|err| refuse(format!("is not a valid URL ({err})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse("is not an http or https URL".to_owned()));
    }
    if !is_loopback(&url) {
        return Err(refuse("does not name a loopback host".to_owned()));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(refuse(
            "holds more than an origin (a path, credentials, a query or a fragment)".to_owned(),
        ));
    }
    // Credentials were refused above, so the origin holds no secret.
    let origin = url.origin().ascii_serialization();
    if value.strip_suffix('/').unwrap_or(&value) != origin {
        return Err(refuse(format!(
            "is not written the way the issuer check compares it: write `{origin}`"
        )));
    }
    Ok(Some(origin))
}

/// A JWKS URL: `https`, or `http` to a loopback host (tests, local runs).
/// Plain HTTP anywhere else would let anyone on the path hand us keys.
fn jwks_url(value: &str) -> Result<reqwest::Url, ConfigError> {
    let url = reqwest::Url::parse(value)
        .map_err(|err| ConfigError::new(JWKS_URL, format!("is not a valid URL: {err}")))?;
    if is_https_or_loopback_http(&url) {
        Ok(url)
    } else {
        Err(ConfigError::new(
            JWKS_URL,
            "must use https (plain http only to a loopback host)",
        ))
    }
}

fn parse_clients(env: &Env) -> Result<ClientPolicy, ConfigError> {
    let ids = split_list(&env.get(&APP_CLIENT_IDS)?);
    if ids.is_empty() {
        // An empty allow-list must never read as "allow everything".
        return Err(ConfigError::new(APP_CLIENT_IDS, "lists no client id"));
    }
    if ids.iter().any(|id| id == "*") {
        return if ids.len() == 1 {
            Ok(ClientPolicy::Any)
        } else {
            Err(ConfigError::new(
                APP_CLIENT_IDS,
                "`*` must stand alone: it accepts every client",
            ))
        };
    }
    ids.iter()
        .map(|id| ClientId::parse(id).map_err(|reason| ConfigError::new(APP_CLIENT_IDS, reason)))
        .collect::<Result<_, _>>()
        .map(ClientPolicy::Only)
}

#[cfg(test)]
mod tests;
