//! The revocation store's contract: what an item of the table means, how its
//! key is spelled, and which tokens it refuses. The authorizer reads it, the
//! recorder (admin actions, through EventBridge) and the sign-out route write
//! it, and an operator may write it by hand; all of them agree through this
//! module, which does no I/O.
//!
//! # The table
//!
//! One DynamoDB table, partition key [`PARTITION_KEY`] (a string), no sort
//! key, TTL on [`EXPIRES_AT`]. Three kinds of item, one per [`Subject`]:
//!
//! | `pk` | refuses | written by |
//! |---|---|---|
//! | `user#<poolId>#<sub>` | every token of that user whose session began at or before `not_before` (`auth_time`, else `iat`) | sign-out everywhere, admin sign-out, disable, delete, admin password reset or set |
//! | `session#<poolId>#<origin_jti>` | every access and id token minted from that refresh token | sign-out of one session (`RevokeToken`) |
//! | `client#<poolId>#<client_id>` | every token of that app client issued at or before `not_before` (`iat`) | an operator, for a leaked client secret |
//!
//! Every item holds [`NOT_BEFORE`] (a number, seconds since the epoch: the
//! second in which the revocation happened), [`EXPIRES_AT`] (a number, the
//! TTL: once no token the item could refuse can still be valid),
//! [`REASON`] (a string, a [`Reason`] code) and [`RECORDED_AT`].
//!
//! # The boundary second
//!
//! Cognito's times are whole seconds, so a token whose session began in the
//! very second of the revocation cannot be told apart from one that began
//! just before it. Such a token is refused (`<=`): a user who signs in again
//! within that same second is refused once and passes a second later, where
//! the other choice would let a token from before the sign-out through.
//!
//! # Why `auth_time` for users
//!
//! `auth_time` is when the user authenticated, and it stays the same across
//! refreshes; `iat` is renewed by every refresh. A refresh token that
//! Cognito did not revoke (an admin password set leaves refresh tokens
//! valid) would mint tokens with a fresh `iat` but the old `auth_time`, so
//! `auth_time` refuses them too, while a new sign-in passes. Machine
//! clients' tokens are never refreshed, and a client's item compares `iat`.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(feature = "revocation-store")]
pub mod store;

use crate::claims::{Claims, PrincipalType};
use crate::config::{ConfigError, Env, Required, Seconds, declare};
use crate::ids::UserPoolId;

/// The table's partition key: a string, [`Subject::key`].
pub const PARTITION_KEY: &str = "pk";
/// A number: the revocation's second, since the epoch.
pub const NOT_BEFORE: &str = "not_before";
/// A number: the item's TTL, seconds since the epoch.
pub const EXPIRES_AT: &str = "expires_at";
/// A string: a [`Reason`] code.
pub const REASON: &str = "reason";
/// A number: when the item was written, seconds since the epoch.
pub const RECORDED_AT: &str = "recorded_at";

/// The shortest an item may live: Cognito's longest access and id token
/// validity (one day). A token issued before `not_before` is expired a day
/// later, but a refresh token Cognito did not revoke (a session sign-out
/// without its refresh token, an admin password set, a failed global
/// sign-out) keeps minting tokens with the old `auth_time` and
/// `origin_jti` for as long as it is valid: hence
/// [`DEFAULT_RETENTION_SECS`].
pub const LONGEST_TOKEN_LIFETIME_SECS: u64 = 24 * 60 * 60;

/// How long an item lives by default: Cognito's default refresh token
/// validity (30 days, as the template's app client sets it) plus a day, so
/// that no token an unrevoked refresh token mints passes once the item is
/// gone. A pool whose refresh tokens live longer sets
/// `REVOCATION_RETENTION_SECONDS` to their validity plus a day.
pub const DEFAULT_RETENTION_SECS: u64 = 31 * 24 * 60 * 60;

/// The largest partition key DynamoDB accepts, in bytes.
pub const MAX_KEY_BYTES: usize = 2048;

/// What a revocation applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Every session of one user.
    User,
    /// The tokens of one refresh token.
    Session,
    /// Every token of one app client.
    Client,
}

impl Kind {
    /// `user`, `session` or `client`: the key's prefix and the log field.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Session => "session",
            Kind::Client => "client",
        }
    }

    /// The authorizer's reason code for a token this kind refuses.
    pub const fn refusal_reason(self) -> &'static str {
        match self {
            Kind::User => "revoked_user",
            Kind::Session => "revoked_session",
            Kind::Client => "revoked_client",
        }
    }
}

/// One thing that can be revoked, scoped to its pool.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A user, by `sub` (never reused, unlike a username).
    User {
        /// The user's pool.
        pool: UserPoolId,
        /// The user's `sub`.
        sub: String,
    },
    /// A session, by the `origin_jti` its tokens carry.
    Session {
        /// The session's pool.
        pool: UserPoolId,
        /// The refresh token's `origin_jti`.
        origin_jti: String,
    },
    /// An app client.
    Client {
        /// The client's pool.
        pool: UserPoolId,
        /// The app client id.
        client_id: String,
    },
}

impl Subject {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Subject::User { .. } => Kind::User,
            Subject::Session { .. } => Kind::Session,
            Subject::Client { .. } => Kind::Client,
        }
    }

    /// The item's partition key: `<kind>#<poolId>#<id>`. A pool id has no
    /// `#`, so the key names one subject even if the id had one.
    pub fn key(&self) -> String {
        let (pool, id) = match self {
            Subject::User { pool, sub } => (pool, sub),
            Subject::Session { pool, origin_jti } => (pool, origin_jti),
            Subject::Client { pool, client_id } => (pool, client_id),
        };
        format!("{}#{}#{}", self.kind().as_str(), pool.as_str(), id)
    }
}

/// The subjects that could refuse a verified token: its user (or, for a
/// machine client's token, its client), its session when the token carries
/// `origin_jti`, and its app client. `Err` when the issuer's last segment
/// is not a pool id.
pub fn subjects_of(claims: &Claims) -> Result<Vec<Subject>, String> {
    let pool = UserPoolId::from_issuer(&claims.issuer)?;
    let mut subjects = Vec::with_capacity(3);
    if claims.principal_type() == PrincipalType::User {
        subjects.push(Subject::User {
            pool: pool.clone(),
            sub: claims.sub.clone(),
        });
    }
    if let Some(serde_json::Value::String(origin_jti)) = claims.other.get("origin_jti") {
        subjects.push(Subject::Session {
            pool: pool.clone(),
            origin_jti: origin_jti.clone(),
        });
    }
    subjects.push(Subject::Client {
        pool,
        client_id: claims.client_id.clone(),
    });
    Ok(subjects)
}

/// A revocation as read from its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    /// The revocation's second, since the epoch.
    pub not_before: u64,
}

impl Revocation {
    /// Whether this revocation of `kind` refuses `claims` (see the module's
    /// notes on the boundary second and on `auth_time`).
    pub fn refuses(&self, kind: Kind, claims: &Claims) -> bool {
        match kind {
            Kind::User => claims.auth_time.unwrap_or(claims.iat) <= self.not_before,
            Kind::Session => true,
            Kind::Client => claims.iat <= self.not_before,
        }
    }

    /// Reads [`NOT_BEFORE`] as DynamoDB returns a number (its decimal text):
    /// whole seconds, digits only, at most 12 of them (year 33658).
    pub fn from_number_text(text: &str) -> Result<Self, ItemError> {
        if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ItemError::BadNotBefore);
        }
        text.parse()
            .map(|not_before| Self { not_before })
            .map_err(|_| ItemError::BadNotBefore)
    }
}

/// An item that does not follow the contract. The authorizer treats it as
/// the store failing for that subject (`REVOCATION_STORE_FAILURE` decides),
/// while a revocation of another subject read in the same answer still
/// refuses; a writer overwrites it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    /// `not_before` is absent or not a number of whole seconds.
    #[error("not_before is absent or not a whole number of seconds")]
    BadNotBefore,
}

/// Why a revocation was written: the item's [`REASON`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The user signed out everywhere (our sign-out route, or `GlobalSignOut`).
    GlobalSignOut,
    /// One session signed out (our sign-out route, `RevokeToken`).
    SessionSignOut,
    /// `AdminUserGlobalSignOut`.
    AdminSignOut,
    /// `AdminDisableUser`.
    Disabled,
    /// `AdminDeleteUser` or `DeleteUser`.
    Deleted,
    /// `AdminResetUserPassword`.
    PasswordReset,
    /// `AdminSetUserPassword`.
    PasswordSet,
    /// `ChangePassword`.
    PasswordChanged,
    /// Written by an operator.
    Manual,
}

impl Reason {
    /// The code stored in the item and logged.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::GlobalSignOut => "global_sign_out",
            Reason::SessionSignOut => "session_sign_out",
            Reason::AdminSignOut => "admin_sign_out",
            Reason::Disabled => "disabled",
            Reason::Deleted => "deleted",
            Reason::PasswordReset => "password_reset",
            Reason::PasswordSet => "password_set",
            Reason::PasswordChanged => "password_changed",
            Reason::Manual => "manual",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

declare! {
    /// The revocation store (DynamoDB table name or ARN; partition key `pk`, TTL on
    /// `expires_at`) that the recorder and sign-out write with a conditional `UpdateItem`.
    pub REVOCATION_TABLE: Required = Required, example "`cognito-auth-revocations`";
    /// How long an item lives past its `not_before` before DynamoDB's TTL may delete it: the app
    /// clients' refresh token validity plus a day (a refresh token Cognito did not revoke keeps
    /// minting tokens the item refuses); at least a day, Cognito's longest access or ID token.
    pub REVOCATION_RETENTION_SECONDS: Seconds = Seconds {
        default: DEFAULT_RETENTION_SECS, min: LONGEST_TOKEN_LIFETIME_SECS, max: 31_536_000
    }, example "`7862400` (90-day refresh tokens)";
}

/// The store's variables, read by the recorder and the sign-out function.
pub const STORE_VARIABLES: &[&dyn crate::config::Declared] =
    &[&REVOCATION_TABLE, &REVOCATION_RETENTION_SECONDS];

/// The store: where to write and how long an item lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// `REVOCATION_TABLE`.
    pub table: crate::aws::TableName,
    /// `REVOCATION_RETENTION_SECONDS`, in seconds.
    pub retention_secs: u64,
}

impl StoreConfig {
    /// Reads and checks the store's two variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let table = crate::aws::TableName::parse(REVOCATION_TABLE, &env.get(&REVOCATION_TABLE)?)?;
        let retention_secs = env.get(&REVOCATION_RETENTION_SECONDS)?.as_secs();
        Ok(Self {
            table,
            retention_secs,
        })
    }
}

/// Now, in whole seconds since the epoch (0 on a clock before 1970): the
/// revocation's second when one is written now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// The TTL of an item revoking at `not_before`, kept `retention_secs`
/// (at least [`LONGEST_TOKEN_LIFETIME_SECS`]).
pub fn expires_at(not_before: u64, retention_secs: u64) -> u64 {
    not_before.saturating_add(retention_secs.max(LONGEST_TOKEN_LIFETIME_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value};

    fn claims(username: Option<&str>, auth_time: Option<u64>, iat: u64) -> Claims {
        let mut other = Map::new();
        other.insert("origin_jti".into(), Value::from("jti-1"));
        Claims {
            sub: "sub-1".into(),
            username: username.map(str::to_owned),
            groups: vec![],
            scopes: vec![],
            client_id: "client1".into(),
            token_use: crate::claims::TokenUse::Access,
            email: None,
            issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool1".into(),
            exp: iat + 3600,
            iat,
            auth_time,
            other,
        }
    }

    #[test]
    fn keys_name_kind_pool_and_id() {
        let user = claims(Some("alice"), Some(100), 150);
        let keys: Vec<String> = subjects_of(&user)
            .unwrap()
            .iter()
            .map(Subject::key)
            .collect();
        assert_eq!(
            keys,
            [
                "user#eu-west-1_Pool1#sub-1",
                "session#eu-west-1_Pool1#jti-1",
                "client#eu-west-1_Pool1#client1"
            ]
        );
        let machine = claims(None, None, 150);
        let kinds: Vec<Kind> = subjects_of(&machine)
            .unwrap()
            .iter()
            .map(Subject::kind)
            .collect();
        assert_eq!(kinds, [Kind::Session, Kind::Client]);
    }

    #[test]
    fn the_boundary_second_is_refused_and_the_next_passes() {
        let revoked = Revocation { not_before: 1_000 };
        assert!(revoked.refuses(Kind::User, &claims(Some("a"), Some(1_000), 2_000)));
        assert!(!revoked.refuses(Kind::User, &claims(Some("a"), Some(1_001), 2_000)));
        // A refresh after the revocation keeps the old auth_time: refused.
        assert!(revoked.refuses(Kind::User, &claims(Some("a"), Some(999), 5_000)));
        // No auth_time: iat decides.
        assert!(revoked.refuses(Kind::User, &claims(Some("a"), None, 1_000)));
        assert!(!revoked.refuses(Kind::User, &claims(Some("a"), None, 1_001)));
        assert!(revoked.refuses(Kind::Client, &claims(None, None, 1_000)));
        assert!(!revoked.refuses(Kind::Client, &claims(None, None, 1_001)));
        assert!(revoked.refuses(Kind::Session, &claims(Some("a"), Some(9_999), 9_999)));
    }

    #[test]
    fn not_before_is_whole_seconds_only() {
        assert_eq!(
            Revocation::from_number_text("1765000000")
                .unwrap()
                .not_before,
            1_765_000_000
        );
        for bad in ["", "-1", "1.5", "1e9", " 1", "1234567890123", "x"] {
            assert_eq!(
                Revocation::from_number_text(bad),
                Err(ItemError::BadNotBefore),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn items_outlive_every_token_they_refuse() {
        assert_eq!(expires_at(1_000, 0), 1_000 + LONGEST_TOKEN_LIFETIME_SECS);
        assert_eq!(expires_at(1_000, 200_000), 201_000);
        assert_eq!(expires_at(u64::MAX, 1), u64::MAX);
    }
}
