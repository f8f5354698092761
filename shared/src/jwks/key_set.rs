//! Parsing a JWKS into keys ready to verify with ([`KeySet::parse`]): pure,
//! so the fuzzer and the benchmarks can drive it without a cache or a
//! network.
//!
//! Each key is checked and turned into a parsed aws-lc-rs public key once, at
//! load, so verifying a token costs one RSA operation and nothing else. A key
//! we cannot use safely is skipped with a warning, not fatal, so that one odd
//! key (an EC key, a short modulus) cannot take the whole set down; a set
//! with no usable key at all is an error. A key is used only if:
//! - `kty` is `RSA`, `use` is `sig` when present, `alg` is `RS256` when
//!   present, `key_ops` includes `verify` when present;
//! - it has a `kid`, and no other key in the set has the same `kid` (an
//!   ambiguous `kid` is dropped entirely rather than resolved by order);
//! - its modulus is 2048 to 8192 bits, its exponent odd and from 3 to
//!   2^32-1, and aws-lc accepts both.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::error::JwksError;
use crate::token::parse_object;

/// The only algorithm any cached key is used with. Cognito signs with RS256.
pub const RS256: &str = "RS256";

/// The shortest modulus accepted. 1024-bit RSA is within reach of a
/// well-funded attacker; NIST has disallowed it for signatures since 2013.
pub const MIN_MODULUS_BITS: usize = 2048;

/// The longest modulus accepted: bounds the cost of one verification, and is
/// aws-lc's own upper limit for `RSA_PKCS1_2048_8192_SHA256`.
pub const MAX_MODULUS_BITS: usize = 8192;

/// One usable RSA signing key, parsed once.
pub struct VerifyingKey {
    kid: String,
    modulus_bits: usize,
    key: ParsedPublicKey,
}

impl VerifyingKey {
    /// The `kid` this key is published under.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWS algorithm this key verifies. Always [`RS256`]: the algorithm
    /// comes from the key, never from the token.
    pub fn alg(&self) -> &'static str {
        RS256
    }

    /// The modulus length in bits.
    pub fn modulus_bits(&self) -> usize {
        self.modulus_bits
    }

    /// Whether `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of
    /// `message` under this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

/// Shows which key, never its material.
impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("modulus_bits", &self.modulus_bits)
            .finish_non_exhaustive()
    }
}

/// The usable keys of one JWKS document, by `kid`.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: HashMap<String, Arc<VerifyingKey>>,
}

impl KeySet {
    /// Parses a JWKS document. See the module doc for which keys are kept.
    pub fn parse(bytes: &[u8]) -> Result<KeySet, JwksError> {
        let mut document = parse_object(bytes).map_err(|_| JwksError::InvalidJson)?;
        let Some(keys) = document.remove("keys") else {
            return Err(JwksError::NotJwks("no `keys` member"));
        };
        let Value::Array(keys) = keys else {
            return Err(JwksError::NotJwks("`keys` is not an array"));
        };

        let mut usable: HashMap<String, Arc<VerifyingKey>> = HashMap::new();
        let mut ambiguous: Vec<String> = Vec::new();
        for (index, jwk) in keys.iter().enumerate() {
            let key = match parse_key(jwk) {
                Ok(key) => key,
                Err(skip) => {
                    let kid = jwk.get("kid").and_then(|kid| kid.as_str()).map(log_safe);
                    tracing::warn!(
                        index,
                        kid,
                        reason = skip.0,
                        "skipping a JWKS key that cannot be used"
                    );
                    continue;
                }
            };
            match usable.entry(key.kid.clone()) {
                Entry::Vacant(slot) => {
                    slot.insert(Arc::new(key));
                }
                Entry::Occupied(_) => ambiguous.push(key.kid),
            }
        }
        for kid in ambiguous {
            if usable.remove(&kid).is_some() {
                tracing::warn!(
                    kid = log_safe(&kid),
                    "dropping a kid that appears more than once in the JWKS"
                );
            }
        }
        if usable.is_empty() {
            return Err(JwksError::NoUsableKeys);
        }
        Ok(KeySet { keys: usable })
    }

    /// The key published under `kid`.
    pub fn get(&self, kid: &str) -> Option<&Arc<VerifyingKey>> {
        self.keys.get(kid)
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no key (never true for a parsed set).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The `kid`s held, in no particular order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }
}

/// The members of a JWK that [`KeySet::parse`] reads; [`minify`] keeps
/// only these.
const READ_MEMBERS: &[&str] = &["kid", "kty", "use", "alg", "key_ops", "n", "e"];

/// `bytes` as the smallest JWKS that [`KeySet::parse`] reads to the same
/// keys: only the usable keys, only the members it reads, no whitespace.
/// For keys handed in through an environment variable, where every byte
/// counts against Lambda's 4 KB (and each `"` twice). Fails as `parse`
/// does (no usable key, not a JWKS).
pub fn minify(bytes: &[u8]) -> Result<String, JwksError> {
    let set = KeySet::parse(bytes)?;
    let document = parse_object(bytes).map_err(|_| JwksError::InvalidJson)?;
    let keys = document
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JwksError::NotJwks("`keys` is not an array"))?;
    let kept: Vec<Value> = keys
        .iter()
        .filter(|jwk| parse_key(jwk).is_ok())
        .filter_map(Value::as_object)
        .filter(|jwk| member(jwk, "kid").is_some_and(|kid| set.get(kid).is_some()))
        .map(|jwk| {
            Value::Object(
                READ_MEMBERS
                    .iter()
                    .filter_map(|&name| Some((name.to_owned(), jwk.get(name)?.clone())))
                    .collect(),
            )
        })
        .collect();
    let mut out = Map::new();
    out.insert("keys".to_owned(), Value::Array(kept));
    Ok(Value::Object(out).to_string())
}

/// Why one JWK was skipped: a static reason for the log.
#[derive(Debug)]
struct Skip(&'static str);

fn parse_key(jwk: &Value) -> Result<VerifyingKey, Skip> {
    let Value::Object(jwk) = jwk else {
        return Err(Skip("not a JSON object"));
    };
    let kid = match jwk.get("kid") {
        Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
        _ => return Err(Skip("no kid")),
    };
    if member(jwk, "kty") != Some("RSA") {
        return Err(Skip("kty is not RSA"));
    }
    if !optional_member_is(jwk, "use", "sig") {
        return Err(Skip("use is not sig"));
    }
    if !optional_member_is(jwk, "alg", RS256) {
        return Err(Skip("alg is not RS256"));
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op == "verify"));
        if !verifies {
            return Err(Skip("key_ops does not include verify"));
        }
    }
    let n = component(jwk, "n").ok_or(Skip("n is not unpadded base64url"))?;
    let e = component(jwk, "e").ok_or(Skip("e is not unpadded base64url"))?;
    // aws-lc accepts any `e` here; refuse the degenerate ones ourselves. An
    // `e` of 1 would make every message its own signature.
    let exponent_ok = e.len() <= 4 && e.last().is_some_and(|low| low & 1 == 1) && e != [1];
    if !exponent_ok {
        return Err(Skip("e is not an odd exponent from 3 to 2^32-1"));
    }
    let modulus_bits = bit_length(&n);
    if modulus_bits < MIN_MODULUS_BITS {
        return Err(Skip("modulus shorter than 2048 bits"));
    }
    if modulus_bits > MAX_MODULUS_BITS {
        return Err(Skip("modulus longer than 8192 bits"));
    }
    let key = RsaPublicKeyComponents { n, e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .map_err(|_| Skip("aws-lc refused the RSA components"))?;
    Ok(VerifyingKey {
        kid,
        modulus_bits,
        key,
    })
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    jwk.get(name).and_then(Value::as_str)
}

/// Absent, or present with exactly `expected`.
fn optional_member_is(jwk: &Map<String, Value>, name: &str, expected: &str) -> bool {
    match jwk.get(name) {
        None => true,
        Some(value) => value == expected,
    }
}

/// A base64url big-endian integer, leading zero octets stripped (RFC 7518
/// forbids them, but some publishers add one; aws-lc refuses them).
fn component(jwk: &Map<String, Value>, name: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(member(jwk, name)?).ok()?;
    let first = bytes.iter().position(|&byte| byte != 0)?;
    Some(bytes[first..].to_vec())
}

/// Bit length of a big-endian integer without leading zero octets.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(&first) => (bytes.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// A JWKS `kid` is published data, not token data, so it may be logged; it
/// is still cut short, since a hostile endpoint could make it huge.
fn log_safe(kid: &str) -> &str {
    match kid.char_indices().nth(64) {
        Some((end, _)) => &kid[..end],
        None => kid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV_1: &str = include_str!("../../../tests/fixtures/keys/dev-rsa-1.jwks.json");
    const DEV_2: &str = include_str!("../../../tests/fixtures/keys/dev-rsa-2.jwks.json");
    const WEAK: &str = include_str!("../../../tests/fixtures/keys/weak-rsa-1024.jwks.json");
    const RSA_8192: &str = include_str!("../../../tests/fixtures/keys/rsa-8192.jwks.json");

    fn jwk(set: &str) -> Map<String, Value> {
        let Value::Object(mut doc) = serde_json::from_str(set).unwrap() else {
            panic!("fixture is an object");
        };
        let Value::Array(mut keys) = doc.remove("keys").unwrap() else {
            panic!("fixture has keys");
        };
        let Value::Object(key) = keys.remove(0) else {
            panic!("fixture key is an object");
        };
        key
    }

    fn set_of(keys: &[Value]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap()
    }

    fn with(mut key: Map<String, Value>, name: &str, value: Value) -> Value {
        key.insert(name.to_owned(), value);
        Value::Object(key)
    }

    #[test]
    fn fixture_keys_parse() {
        let set = KeySet::parse(DEV_1.as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        let key = set.get("dev-key-1").unwrap();
        assert_eq!(key.modulus_bits(), 2048);
        assert_eq!(key.alg(), RS256);
        assert!(format!("{key:?}").contains("dev-key-1"));
        assert!(!format!("{key:?}").contains("qzlY"));
    }

    #[test]
    fn a_1024_bit_key_is_skipped_and_alone_is_no_usable_keys() {
        assert!(matches!(
            KeySet::parse(WEAK.as_bytes()),
            Err(JwksError::NoUsableKeys)
        ));
        let both = set_of(&[Value::Object(jwk(WEAK)), Value::Object(jwk(DEV_1))]);
        let set = KeySet::parse(&both).unwrap();
        assert_eq!(set.kids().collect::<Vec<_>>(), ["dev-key-1"]);
    }

    #[test]
    fn ec_and_symmetric_keys_are_skipped() {
        let ec = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": "ec-1", "use": "sig", "alg": "ES256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
        });
        let oct = serde_json::json!({ "kty": "oct", "kid": "hmac-1", "k": "c2VjcmV0" });
        let set = KeySet::parse(&set_of(&[ec, oct, Value::Object(jwk(DEV_1))])).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.get("ec-1").is_none());
        assert!(set.get("hmac-1").is_none());
    }

    #[test]
    fn keys_with_other_uses_or_algorithms_are_skipped() {
        let base = jwk(DEV_1);
        for bad in [
            with(base.clone(), "use", "enc".into()),
            with(base.clone(), "alg", "RS512".into()),
            with(base.clone(), "alg", "PS256".into()),
            with(base.clone(), "alg", "none".into()),
            with(base.clone(), "key_ops", serde_json::json!(["encrypt"])),
            with(base.clone(), "kty", "rsa".into()),
            with(base.clone(), "kid", "".into()),
            with(base.clone(), "kid", 5.into()),
            with(base.clone(), "n", "not base64!".into()),
            with(base.clone(), "e", "AQAB=".into()),
            with(base.clone(), "e", "AA".into()),
            with(base.clone(), "e", "AQ".into()),
            with(base.clone(), "e", "AAE".into()),
            with(base.clone(), "e", "AQAA".into()),
            with(base.clone(), "e", "AQAAAAE".into()),
            Value::String("not a key".into()),
        ] {
            assert!(
                matches!(
                    KeySet::parse(&set_of(std::slice::from_ref(&bad))),
                    Err(JwksError::NoUsableKeys)
                ),
                "{bad}"
            );
        }
        // Absent `use`/`alg` are fine: RFC 7517 makes them optional.
        let mut bare = base;
        bare.remove("use");
        bare.remove("alg");
        assert_eq!(
            KeySet::parse(&set_of(&[Value::Object(bare)]))
                .unwrap()
                .len(),
            1
        );
    }

    /// 8,192 bits is the limit: a real key of that length is kept, and one
    /// bit more (a modulus with an extra leading octet) is skipped before
    /// aws-lc sees it.
    #[test]
    fn an_8192_bit_key_is_kept_and_one_bit_more_is_skipped() {
        let set = KeySet::parse(RSA_8192.as_bytes()).unwrap();
        assert_eq!(
            set.get("rsa-8192").unwrap().modulus_bits(),
            MAX_MODULUS_BITS
        );
        let mut key = jwk(RSA_8192);
        let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
        let longer = [&[1u8][..], &n].concat();
        assert_eq!(bit_length(&longer), MAX_MODULUS_BITS + 1);
        key.insert("n".into(), URL_SAFE_NO_PAD.encode(longer).into());
        assert!(matches!(
            KeySet::parse(&set_of(&[Value::Object(key)])),
            Err(JwksError::NoUsableKeys)
        ));
    }

    #[test]
    fn a_leading_zero_octet_in_n_is_tolerated() {
        let mut key = jwk(DEV_1);
        let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
        let padded = [&[0u8][..], &n].concat();
        key.insert("n".into(), URL_SAFE_NO_PAD.encode(padded).into());
        let set = KeySet::parse(&set_of(&[Value::Object(key)])).unwrap();
        assert_eq!(set.get("dev-key-1").unwrap().modulus_bits(), 2048);
    }

    #[test]
    fn duplicate_kids_are_dropped_entirely() {
        let one = jwk(DEV_1);
        let mut impostor = jwk(DEV_2);
        impostor.insert("kid".into(), "dev-key-1".into());
        let set = KeySet::parse(&set_of(&[
            Value::Object(one),
            Value::Object(impostor),
            Value::Object(jwk(DEV_2)),
        ]))
        .unwrap();
        assert!(set.get("dev-key-1").is_none());
        assert!(set.get("dev-key-2").is_some());
    }

    #[test]
    fn documents_that_are_not_jwks_are_errors() {
        for (body, reason) in [
            (&b"<html>oops</html>"[..], "jwks_invalid_json"),
            (b"[]", "jwks_invalid_json"),
            (b"{\"keys\":[],\"keys\":[]}", "jwks_invalid_json"),
            (b"{}", "jwks_not_jwks"),
            (b"{\"keys\":{}}", "jwks_not_jwks"),
            (b"{\"keys\":[]}", "jwks_no_usable_keys"),
        ] {
            assert_eq!(KeySet::parse(body).unwrap_err().reason(), reason);
        }
    }

    #[test]
    fn bit_length_counts_from_the_top_bit() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0x7f, 0]), 15);
    }

    #[test]
    fn log_safe_cuts_long_kids_on_a_char_boundary() {
        assert_eq!(log_safe("short"), "short");
        let long = "é".repeat(100);
        assert_eq!(log_safe(&long).chars().count(), 64);
    }

    #[test]
    fn minify_keeps_the_usable_keys_and_the_members_read() {
        let mut doc: Value = serde_json::from_str(DEV_1).unwrap();
        doc["keys"][0]["x5c"] = Value::from(vec!["MIIB..."]);
        doc["keys"].as_array_mut().unwrap().extend(
            serde_json::from_str::<Value>(WEAK).unwrap()["keys"]
                .as_array()
                .unwrap()
                .clone(),
        );
        let pretty = serde_json::to_string_pretty(&doc).unwrap();
        let small = minify(pretty.as_bytes()).unwrap();
        assert!(small.len() < pretty.len());
        assert!(!small.contains(' ') && !small.contains("x5c"), "{small}");
        let set = KeySet::parse(small.as_bytes()).unwrap();
        assert_eq!(set.kids().collect::<Vec<_>>(), ["dev-key-1"]);
        assert_eq!(
            serde_json::from_str::<Value>(&small).unwrap()["keys"][0]["n"],
            doc["keys"][0]["n"]
        );
        assert!(matches!(
            minify(WEAK.as_bytes()),
            Err(JwksError::NoUsableKeys)
        ));
    }
}
