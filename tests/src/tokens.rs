//! Minting Cognito-shaped tokens with the committed development keys
//! (`tests/fixtures/keys/`), for tests and the `mint-dev-token` CLI.
//!
//! [`TokenBuilder`] starts from the claims Cognito really puts in an access
//! or id token, and lets a test override or remove any header member or
//! claim and sign with any key, with a raw signature, or with none. The
//! header and payload are serialised by hand (not through jsonwebtoken's
//! `Header`), so that a test can send what no honest library would: `alg:
//! "nOnE"`, a `crit` list, an embedded `jwk`, duplicate members.
//!
//! Signing goes through `jsonwebtoken::crypto::sign` (aws-lc-rs backend),
//! with keys read from the committed PEM files.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Map, Value, json};

/// The kid of `dev-rsa-1.pem`, the development signing key.
pub const DEV_KID_1: &str = "dev-key-1";
/// The kid of `dev-rsa-2.pem`, the second key (rotation tests).
pub const DEV_KID_2: &str = "dev-key-2";
/// The kid of `weak-rsa-1024.pem`, a key the verifier must refuse.
pub const WEAK_KID: &str = "weak-key-1024";

const DEV_1_PEM: &str = include_str!("../fixtures/keys/dev-rsa-1.pem");
const DEV_2_PEM: &str = include_str!("../fixtures/keys/dev-rsa-2.pem");
const EC_PEM: &str = include_str!("../fixtures/keys/ec-p256.pem");
const DEV_1_JWKS: &str = include_str!("../fixtures/keys/dev-rsa-1.jwks.json");
const DEV_2_JWKS: &str = include_str!("../fixtures/keys/dev-rsa-2.jwks.json");
const WEAK_JWKS: &str = include_str!("../fixtures/keys/weak-rsa-1024.jwks.json");

/// The directory holding the development keys.
pub fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys")
}

/// A committed key whose public half is published as a JWKS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevKey {
    /// `dev-rsa-1`, RSA-2048, kid `dev-key-1`.
    One,
    /// `dev-rsa-2`, RSA-2048, kid `dev-key-2`.
    Two,
    /// `weak-rsa-1024`, RSA-1024, kid `weak-key-1024`. Published only: aws-lc
    /// (and so jsonwebtoken) refuses to sign with a key this short.
    Weak1024,
}

impl DevKey {
    /// The key's kid.
    pub fn kid(self) -> &'static str {
        match self {
            DevKey::One => DEV_KID_1,
            DevKey::Two => DEV_KID_2,
            DevKey::Weak1024 => WEAK_KID,
        }
    }

    /// The key's public JWK, as committed.
    pub fn jwk(self) -> Value {
        let set = match self {
            DevKey::One => DEV_1_JWKS,
            DevKey::Two => DEV_2_JWKS,
            DevKey::Weak1024 => WEAK_JWKS,
        };
        let mut set: Value = serde_json::from_str(set).expect("committed JWKS is JSON");
        set["keys"][0].take()
    }
}

/// A JWKS document publishing `keys`.
pub fn jwks(keys: &[DevKey]) -> Value {
    json!({ "keys": keys.iter().map(|key| key.jwk()).collect::<Vec<_>>() })
}

/// How a token is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// RS256 with a committed RSA key.
    Rsa(DevKey),
    /// ES256 with the committed P-256 key (`ec-p256.pem`).
    Ec,
    /// HS256 with this secret (e.g. the RSA public key's bytes).
    Hmac(Vec<u8>),
    /// This exact signature, e.g. empty for `alg: none` or zeros.
    Raw(Vec<u8>),
}

/// What kind of token to start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `token_use: "access"`.
    Access,
    /// `token_use: "id"`.
    Id,
}

/// A Cognito-shaped token under construction. See the module doc.
#[derive(Debug, Clone)]
pub struct TokenBuilder {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signer: Signer,
}

/// `https://cognito-idp.{region}.amazonaws.com/{pool_id}`.
pub fn issuer(pool_id: &str) -> String {
    let region = pool_id.split('_').next().unwrap_or(pool_id);
    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// A random version-4-shaped UUID, as Cognito uses for `sub`, `jti`,
/// `origin_jti` and `event_id`. Not cryptographic: it only has to differ.
pub fn uuid() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let high = hasher.finish();
    hasher.write_u64(high);
    let low = hasher.finish();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        0x8000 | (low >> 48 & 0x3fff),
        low & 0xffff_ffff_ffff
    )
}

impl TokenBuilder {
    /// An access token for `username` as Cognito issues it, valid for an
    /// hour from now, signed by [`DevKey::One`].
    pub fn access(pool_id: &str, client_id: &str) -> Self {
        Self::new(Kind::Access, pool_id, client_id)
    }

    /// An id token as Cognito issues it, valid for an hour from now, signed
    /// by [`DevKey::One`].
    pub fn id(pool_id: &str, client_id: &str) -> Self {
        Self::new(Kind::Id, pool_id, client_id)
    }

    /// A machine client's access token from the `client_credentials`
    /// grant, shaped as Cognito documents it: `sub` = `client_id`,
    /// `token_use` `access`, the granted `resource-server/scope` values in
    /// `scope`, and no `username`, `cognito:groups`, `aud`, `origin_jti` or
    /// `event_id`. (moto 5.2 implements no `/oauth2/token`, so this is the
    /// only way to get one locally.)
    pub fn client_credentials(pool_id: &str, client_id: &str, scopes: &[&str]) -> Self {
        let now = now();
        let claims = json!({
            "sub": client_id,
            "token_use": "access",
            "scope": scopes.join(" "),
            "auth_time": now,
            "iss": issuer(pool_id),
            "exp": now + 3600,
            "iat": now,
            "version": 2,
            "jti": uuid(),
            "client_id": client_id,
        });
        let Value::Object(claims) = claims else {
            unreachable!("a JSON object literal")
        };
        TokenBuilder {
            header: Map::new(),
            claims,
            signer: Signer::Rsa(DevKey::One),
        }
        .signed_by(Signer::Rsa(DevKey::One))
    }

    /// A token of `kind` for user `alice` with no groups.
    pub fn new(kind: Kind, pool_id: &str, client_id: &str) -> Self {
        let now = now();
        let common = json!({
            "sub": uuid(),
            "iss": issuer(pool_id),
            "origin_jti": uuid(),
            "event_id": uuid(),
            "auth_time": now,
            "iat": now,
            "exp": now + 3600,
            "jti": uuid(),
        });
        let Value::Object(mut claims) = common else {
            unreachable!("a JSON object literal")
        };
        let specific = match kind {
            Kind::Access => json!({
                "client_id": client_id,
                "token_use": "access",
                "scope": "aws.cognito.signin.user.admin",
                "username": "alice",
                "version": 2,
            }),
            Kind::Id => json!({
                "aud": client_id,
                "token_use": "id",
                "cognito:username": "alice",
                "email": "alice@example.com",
                "email_verified": true,
            }),
        };
        if let Value::Object(specific) = specific {
            claims.extend(specific);
        }
        TokenBuilder {
            header: Map::new(),
            claims,
            signer: Signer::Rsa(DevKey::One),
        }
        .signed_by(Signer::Rsa(DevKey::One))
    }

    /// Signs with `signer`, and sets the header's `kid` and `alg` to match it
    /// (`dev-key-N`/RS256, `ec-key-1`/ES256, `hmac-key-1`/HS256; a raw
    /// signature keeps the header). Override them afterwards with
    /// [`header`](Self::header) to lie.
    pub fn signed_by(mut self, signer: Signer) -> Self {
        let (kid, alg) = match &signer {
            Signer::Rsa(key) => (Some(key.kid()), Some("RS256")),
            Signer::Ec => (Some("ec-key-1"), Some("ES256")),
            Signer::Hmac(_) => (None, Some("HS256")),
            Signer::Raw(_) => (None, None),
        };
        if let Some(kid) = kid {
            self.header.insert("kid".into(), kid.into());
        }
        if let Some(alg) = alg {
            self.header.insert("alg".into(), alg.into());
        }
        self.signer = signer;
        self
    }

    /// Sets a header member.
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a header member.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Sets the header's `kid`.
    pub fn kid(self, kid: &str) -> Self {
        self.header("kid", kid)
    }

    /// Sets a claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets the username claim of the token's kind.
    pub fn username(self, username: &str) -> Self {
        let name = if self.claims.get("token_use") == Some(&json!("id")) {
            "cognito:username"
        } else {
            "username"
        };
        self.claim(name, username)
    }

    /// Sets `cognito:groups`, or removes it when empty (as Cognito does).
    pub fn groups(self, groups: &[&str]) -> Self {
        if groups.is_empty() {
            self.without_claim("cognito:groups")
        } else {
            self.claim("cognito:groups", groups.to_vec())
        }
    }

    /// Sets `scope` to the scopes joined by spaces.
    pub fn scopes(self, scopes: &[&str]) -> Self {
        self.claim("scope", scopes.join(" "))
    }

    /// Makes the token valid from now for `seconds` (`iat`, `auth_time`,
    /// `exp`). A negative lifetime makes an expired token.
    pub fn lifetime(self, seconds: i64) -> Self {
        let now = now();
        let exp = now.saturating_add_signed(seconds);
        self.claim("iat", now)
            .claim("auth_time", now)
            .claim("exp", exp)
    }

    /// The claims as they stand.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The compact token.
    pub fn build(&self) -> String {
        let header = serde_json::to_string(&self.header).expect("JSON map serialises");
        let payload = serde_json::to_string(&self.claims).expect("JSON map serialises");
        sign_raw(&header, &payload, &self.signer)
    }
}

/// An access token for `pool_id` and `client_id`, signed by `key`.
pub fn access_signed_by(pool_id: &str, client_id: &str, key: DevKey) -> String {
    TokenBuilder::access(pool_id, client_id)
        .signed_by(Signer::Rsa(key))
        .build()
}

/// An access token for `pool_id` and `client_id` whose kid nobody publishes
/// (a fresh random one). The signature is not even computed: the kid lookup
/// fails first.
pub fn access_with_unknown_kid(pool_id: &str, client_id: &str) -> String {
    TokenBuilder::access(pool_id, client_id)
        .signed_by(Signer::Raw(vec![0; 256]))
        .kid(&format!("random-{}", uuid()))
        .build()
}

/// A compact token from raw header and payload JSON text (which may be
/// anything, e.g. with duplicate members), signed by `signer`.
pub fn sign_raw(header_json: &str, payload_json: &str, signer: &Signer) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header_json),
        URL_SAFE_NO_PAD.encode(payload_json)
    );
    let signature = match signer {
        Signer::Rsa(key) => {
            jsonwebtoken::crypto::sign(input.as_bytes(), &rsa_key(*key), Algorithm::RS256)
                .expect("RS256 signing with a committed key")
        }
        Signer::Ec => {
            let key = EncodingKey::from_ec_pem(EC_PEM.as_bytes())
                .expect("the committed key is an EC PEM");
            jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::ES256)
                .expect("ES256 signing with the committed key")
        }
        Signer::Hmac(secret) => {
            let key = EncodingKey::from_secret(secret);
            jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256)
                .expect("HS256 signing")
        }
        Signer::Raw(bytes) => URL_SAFE_NO_PAD.encode(bytes),
    };
    format!("{input}.{signature}")
}

fn rsa_key(key: DevKey) -> EncodingKey {
    let pem = match key {
        DevKey::One => DEV_1_PEM,
        DevKey::Two => DEV_2_PEM,
        DevKey::Weak1024 => panic!(
            "aws-lc refuses to sign with a 1024-bit key; publish DevKey::Weak1024 in a JWKS instead"
        ),
    };
    EncodingKey::from_rsa_pem(pem.as_bytes()).expect("the committed key is an RSA PEM")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(segment: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    }

    #[test]
    fn access_tokens_look_like_cognito_ones() {
        let token = TokenBuilder::access("eu-west-1_Abc", "client1")
            .groups(&["admin"])
            .scopes(&["openid", "orders/read"])
            .build();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            decode(parts[0]),
            json!({ "kid": "dev-key-1", "alg": "RS256" })
        );
        let claims = decode(parts[1]);
        assert_eq!(
            claims["iss"],
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"
        );
        assert_eq!(claims["client_id"], "client1");
        assert_eq!(claims["token_use"], "access");
        assert_eq!(claims["scope"], "openid orders/read");
        assert_eq!(claims["cognito:groups"], json!(["admin"]));
        assert!(claims.get("aud").is_none());
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 256);
    }

    #[test]
    fn id_tokens_look_like_cognito_ones() {
        let token = TokenBuilder::id("eu-west-1_Abc", "client1")
            .username("bob")
            .build();
        let claims = decode(token.split('.').nth(1).unwrap());
        assert_eq!(claims["aud"], "client1");
        assert_eq!(claims["cognito:username"], "bob");
        assert_eq!(claims["email"], "alice@example.com");
        assert!(claims.get("client_id").is_none());
    }

    #[test]
    fn headers_can_lie_and_signatures_can_be_anything() {
        let token = TokenBuilder::access("eu-west-1_Abc", "c")
            .signed_by(Signer::Raw(vec![]))
            .header("alg", "nOnE")
            .header("crit", json!(["exp"]))
            .build();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(decode(parts[0])["alg"], "nOnE");
        assert_eq!(parts[2], "");
        let hs = TokenBuilder::access("eu-west-1_Abc", "c")
            .signed_by(Signer::Hmac(b"secret".to_vec()))
            .build();
        assert_eq!(decode(hs.split('.').next().unwrap())["alg"], "HS256");
        let es = TokenBuilder::access("eu-west-1_Abc", "c")
            .signed_by(Signer::Ec)
            .build();
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(es.rsplit('.').next().unwrap())
                .unwrap()
                .len(),
            64
        );
    }

    #[test]
    fn uuids_differ_and_look_like_v4() {
        let (a, b) = (uuid(), uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }
}
