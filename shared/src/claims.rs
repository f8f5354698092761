//! The claims of a Cognito token, typed.
//!
//! `Claims::from_payload` turns a parsed payload into [`Claims`] and checks
//! the type of every claim it models: a claim of the wrong type is an error,
//! never "absent" (a string `exp` once passed jsonwebtoken as "no expiry",
//! CVE-2026-25537). Whether the values are acceptable (time, issuer, client,
//! token use) is checked by the verifier once the signature holds; the time
//! arithmetic lives here as pure functions so that it is tested on its own.
//!
//! Cognito's shapes, for reference:
//! - access token: `sub`, `iss`, `client_id`, `token_use: "access"`, `scope`,
//!   `auth_time`, `iat`, `exp`, `jti`, `username`, `cognito:groups`,
//!   `origin_jti`, `event_id`, `version`; no `aud`;
//! - id token: `sub`, `iss`, `aud`, `token_use: "id"`, `auth_time`, `iat`,
//!   `exp`, `jti`, `cognito:username`, `cognito:groups`, `email`,
//!   `email_verified`, `origin_jti`, `event_id`, plus user attributes.

use serde_json::{Map, Value};

use crate::error::VerifyError;
pub use crate::ids::TokenUse;

/// The verified claims of a Cognito access or id token.
///
/// Only a [`Verifier`](crate::Verifier) hands these out, and only for a token
/// whose signature, issuer, client, token use and times all checked out.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `sub`: the user's stable id (a UUID), never reused. Prefer it over the
    /// username as a database key: usernames can be recycled.
    pub sub: String,
    /// `username` (access token) or `cognito:username` (id token); `None`
    /// only for a machine client's access token ([`Self::principal_type`]).
    pub username: Option<String>,
    /// `cognito:groups`; empty when the user is in no group.
    pub groups: Vec<String>,
    /// `scope`, split on spaces; empty when absent (id tokens have none).
    pub scopes: Vec<String>,
    /// The app client: `client_id` (access token) or `aud` (id token).
    pub client_id: String,
    /// `token_use`.
    pub token_use: TokenUse,
    /// `email`. Cognito puts it in id tokens; access tokens carry it only if
    /// a pre-token-generation trigger adds it.
    pub email: Option<String>,
    /// `iss`: the issuing pool's issuer URL.
    pub issuer: String,
    /// `exp`, seconds since the epoch.
    pub exp: u64,
    /// `iat`, seconds since the epoch.
    pub iat: u64,
    /// `auth_time`, seconds since the epoch: when the user signed in (it
    /// stays the same across refreshes).
    pub auth_time: Option<u64>,
    /// Every claim not modelled above (`jti`, `origin_jti`, `event_id`,
    /// `email_verified`, custom attributes, `nbf`...), as sent.
    pub other: Map<String, Value>,
}

/// A payload turned into [`Claims`], plus what only the checks need.
#[derive(Debug)]
pub(crate) struct UnverifiedClaims {
    /// The claims, types checked, values not yet.
    pub claims: Claims,
    /// `nbf`, when present (also kept in `claims.other`).
    pub nbf: Option<u64>,
}

/// Who a token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalType {
    /// A person signed in to the pool.
    User,
    /// An app client with a secret, through the `client_credentials` grant
    /// (machine to machine): no username, no groups, `sub` = `client_id`.
    Client,
}

impl PrincipalType {
    /// `user` or `client`, as logs, rules and the authorizer context spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "user",
            PrincipalType::Client => "client",
        }
    }
}

impl Claims {
    /// Whether the token speaks for a person or a machine client.
    pub fn principal_type(&self) -> PrincipalType {
        match self.username {
            Some(_) => PrincipalType::User,
            None => PrincipalType::Client,
        }
    }

    /// `true` when the user is in at least one of `groups` (exact, case-
    /// sensitive match). An empty list matches nothing: callers with no group
    /// requirement should not ask.
    pub fn has_any_group(&self, groups: &[impl AsRef<str>]) -> bool {
        groups
            .iter()
            .any(|wanted| self.groups.iter().any(|have| have == wanted.as_ref()))
    }

    /// `true` when the token grants every one of `scopes`. Each scope must
    /// equal a whole space-separated item of the `scope` claim, so `admin`
    /// is not granted by `administrators` nor by `admin:read`. An empty list
    /// is trivially granted.
    pub fn has_all_scopes(&self, scopes: &[impl AsRef<str>]) -> bool {
        scopes
            .iter()
            .all(|wanted| self.scopes.iter().any(|have| have == wanted.as_ref()))
    }

    /// Any claim by its JWT name, modelled ones included (`sub`,
    /// `cognito:groups`, `scope`, `client_id`/`aud`...), rebuilt as JSON.
    /// `cognito:groups` and `scope` are `None` when empty. Used where
    /// configuration names a claim, such as API Gateway's
    /// `usageIdentifierKey`.
    pub fn claim(&self, name: &str) -> Option<Value> {
        let modelled = match name {
            "sub" => Some(Value::from(self.sub.as_str())),
            "iss" => Some(Value::from(self.issuer.as_str())),
            "token_use" => Some(Value::from(self.token_use.as_str())),
            "exp" => Some(Value::from(self.exp)),
            "iat" => Some(Value::from(self.iat)),
            "auth_time" => return self.auth_time.map(Value::from),
            "email" => return self.email.as_deref().map(Value::from),
            "cognito:groups" if self.groups.is_empty() => return None,
            "cognito:groups" => Some(Value::from(self.groups.clone())),
            "scope" if self.scopes.is_empty() => return None,
            "scope" => Some(Value::from(self.scopes.join(" "))),
            _ if name == self.token_use.username_claim() => {
                return self.username.as_deref().map(Value::from);
            }
            _ if name == self.token_use.client_claim() => {
                Some(Value::from(self.client_id.as_str()))
            }
            _ => None,
        };
        modelled.or_else(|| self.other.get(name).cloned())
    }

    /// Type-checks `payload` and builds the claims. Required: `sub`, `iss`,
    /// `token_use`, `exp`, `iat`, the client claim and the username claim of
    /// the token's kind. Optional but typed when present: `nbf`, `auth_time`,
    /// `cognito:groups` (array of strings), `scope` (string), `email`.
    ///
    /// Client-credentials (machine-to-machine) access tokens have no
    /// `username` and no `cognito:groups`, and their `sub` is the app
    /// client's id: only a token of exactly that shape is taken as a machine
    /// client ([`PrincipalType::Client`]); any other token without its
    /// username claim is refused with `missing_claim`.
    ///
    /// `aud` must be a single string: Cognito never issues an array, and an
    /// array would mean the token was not shaped by Cognito, so it is refused
    /// as a wrong type rather than searched for a match.
    pub(crate) fn from_payload(
        mut payload: Map<String, Value>,
    ) -> Result<UnverifiedClaims, VerifyError> {
        let token_use = match payload.remove("token_use") {
            None => return Err(VerifyError::MissingClaim { claim: "token_use" }),
            Some(Value::String(value)) => match value.as_str() {
                "access" => TokenUse::Access,
                "id" => TokenUse::Id,
                _ => return Err(VerifyError::InvalidTokenUse),
            },
            Some(_) => {
                return Err(VerifyError::WrongClaimType {
                    claim: "token_use",
                    expected: "string",
                });
            }
        };
        let issuer = required_string(&mut payload, "iss")?;
        let sub = required_string(&mut payload, "sub")?;
        let exp = required_date(&mut payload, "exp")?;
        let iat = required_date(&mut payload, "iat")?;
        let auth_time = optional_date(&mut payload, "auth_time")?;
        // `nbf` is not modelled in `Claims`; it stays in `other` as sent.
        let nbf = match payload.get("nbf") {
            None => None,
            Some(value) => Some(numeric_date("nbf", value)?),
        };
        let client_id = required_string(&mut payload, token_use.client_claim())?;
        let username = optional_string(&mut payload, token_use.username_claim())?;
        let has_groups = payload.contains_key("cognito:groups");
        if username.is_none() && (token_use != TokenUse::Access || has_groups || sub != client_id) {
            return Err(VerifyError::MissingClaim {
                claim: token_use.username_claim(),
            });
        }
        let groups = match payload.remove("cognito:groups") {
            None => Vec::new(),
            Some(value) => string_array("cognito:groups", value)?,
        };
        let scopes = match optional_string(&mut payload, "scope")? {
            None => Vec::new(),
            Some(scope) => split_scopes(&scope),
        };
        let email = optional_string(&mut payload, "email")?;

        Ok(UnverifiedClaims {
            claims: Claims {
                sub,
                username,
                groups,
                scopes,
                client_id,
                token_use,
                email,
                issuer,
                exp,
                iat,
                auth_time,
                other: payload,
            },
            nbf,
        })
    }
}

/// The time checks, with `now` and `leeway` in seconds since the epoch.
/// All additions saturate, so a huge `exp` cannot wrap around.
///
/// - `exp`: refused once `now >= exp + leeway` (RFC 7519: "on or after");
/// - `nbf`: refused while `now + leeway < nbf`;
/// - `iat`: refused while `now + leeway < iat`: a token from the future means
///   a broken or forged issuer clock, and would outlive its stated lifetime.
pub(crate) fn check_times(
    claims: &Claims,
    nbf: Option<u64>,
    now: u64,
    leeway: u64,
) -> Result<(), VerifyError> {
    if now >= claims.exp.saturating_add(leeway) {
        return Err(VerifyError::Expired);
    }
    if nbf.is_some_and(|nbf| now.saturating_add(leeway) < nbf) {
        return Err(VerifyError::NotYetValid);
    }
    if now.saturating_add(leeway) < claims.iat {
        return Err(VerifyError::IssuedInFuture);
    }
    Ok(())
}

/// Splits an OAuth `scope` value on spaces (RFC 6749 §3.3), dropping empty
/// items from doubled spaces.
fn split_scopes(scope: &str) -> Vec<String> {
    scope
        .split(' ')
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn required_string(
    payload: &mut Map<String, Value>,
    claim: &'static str,
) -> Result<String, VerifyError> {
    match optional_string(payload, claim)? {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(VerifyError::MissingClaim { claim }),
    }
}

fn optional_string(
    payload: &mut Map<String, Value>,
    claim: &'static str,
) -> Result<Option<String>, VerifyError> {
    match payload.remove(claim) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(VerifyError::WrongClaimType {
            claim,
            expected: "string",
        }),
    }
}

fn required_date(
    payload: &mut Map<String, Value>,
    claim: &'static str,
) -> Result<u64, VerifyError> {
    optional_date(payload, claim)?.ok_or(VerifyError::MissingClaim { claim })
}

fn optional_date(
    payload: &mut Map<String, Value>,
    claim: &'static str,
) -> Result<Option<u64>, VerifyError> {
    payload
        .remove(claim)
        .map(|value| numeric_date(claim, &value))
        .transpose()
}

/// A NumericDate as Cognito writes it: a non-negative integer. Fractions,
/// negatives, strings and `null` are wrong types; RFC 7519 would allow a
/// fraction, but no Cognito token has one and rounding rules are where
/// verifiers disagree.
fn numeric_date(claim: &'static str, value: &Value) -> Result<u64, VerifyError> {
    value.as_u64().ok_or(VerifyError::WrongClaimType {
        claim,
        expected: "non-negative integer",
    })
}

fn string_array(claim: &'static str, value: Value) -> Result<Vec<String>, VerifyError> {
    let wrong = VerifyError::WrongClaimType {
        claim,
        expected: "array of strings",
    };
    let Value::Array(items) = value else {
        return Err(wrong);
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(item) => Ok(item),
            _ => Err(wrong.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests;
