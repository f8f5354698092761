//! Tests of the claim types and the time checks, apart so that the module
//! reads as the model it is.

use super::*;
use serde_json::json;

fn access_payload() -> Value {
    json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["admin", "staff"],
        "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        "version": 2,
        "client_id": "client1",
        "origin_jti": "o-jti",
        "event_id": "e-id",
        "token_use": "access",
        "scope": "openid profile  orders/read",
        "auth_time": 1_700_000_000u64,
        "exp": 1_700_003_600u64,
        "iat": 1_700_000_000u64,
        "jti": "jti-1",
        "username": "alice"
    })
}

fn id_payload() -> Value {
    json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        "aud": "client1",
        "token_use": "id",
        "cognito:username": "alice",
        "email": "alice@example.com",
        "email_verified": true,
        "auth_time": 1_700_000_000u64,
        "exp": 1_700_003_600u64,
        "iat": 1_700_000_000u64,
        "jti": "jti-2"
    })
}

fn parse(payload: Value) -> Result<Claims, VerifyError> {
    let Value::Object(map) = payload else {
        panic!("test payload must be an object");
    };
    Claims::from_payload(map).map(|parsed| parsed.claims)
}

fn with(mut payload: Value, name: &str, value: Value) -> Value {
    payload[name] = value;
    payload
}

fn without(mut payload: Value, name: &str) -> Value {
    payload.as_object_mut().unwrap().remove(name);
    payload
}

#[test]
fn access_token_claims_are_typed() {
    let claims = parse(access_payload()).unwrap();
    assert_eq!(claims.token_use, TokenUse::Access);
    assert_eq!(claims.username.as_deref(), Some("alice"));
    assert_eq!(claims.client_id, "client1");
    assert_eq!(claims.groups, ["admin", "staff"]);
    assert_eq!(claims.scopes, ["openid", "profile", "orders/read"]);
    assert_eq!(claims.auth_time, Some(1_700_000_000));
    assert_eq!(claims.email, None);
    assert_eq!(claims.other["jti"], "jti-1");
    assert_eq!(claims.other["version"], 2);
    assert!(!claims.other.contains_key("sub"));
    assert!(!claims.other.contains_key("username"));
}

#[test]
fn id_token_claims_are_typed() {
    let claims = parse(id_payload()).unwrap();
    assert_eq!(claims.token_use, TokenUse::Id);
    assert_eq!(claims.username.as_deref(), Some("alice"));
    assert_eq!(claims.client_id, "client1");
    assert!(claims.groups.is_empty());
    assert!(claims.scopes.is_empty());
    assert_eq!(claims.email.as_deref(), Some("alice@example.com"));
    assert_eq!(claims.other["email_verified"], true);
}

/// `iat` and `auth_time` are modelled apart, each from its own claim (the
/// fixtures give them one value, so they are told apart here); without
/// `auth_time` there is none.
#[test]
fn claim_reads_iat_and_auth_time_each_from_its_own_claim() {
    let mut payload = access_payload();
    payload["iat"] = json!(1_700_000_100u64);
    payload["auth_time"] = json!(1_699_999_000u64);
    let claims = parse(payload.clone()).unwrap();
    assert_eq!(claims.claim("iat").unwrap(), 1_700_000_100u64);
    assert_eq!(claims.claim("auth_time").unwrap(), 1_699_999_000u64);
    assert_eq!(claims.claim("exp").unwrap(), 1_700_003_600u64);
    payload.as_object_mut().unwrap().remove("auth_time");
    let claims = parse(payload).unwrap();
    assert_eq!(claims.claim("auth_time"), None);
    assert_eq!(claims.claim("iat").unwrap(), 1_700_000_100u64);
}

#[test]
fn claim_finds_modelled_and_other_claims_by_jwt_name() {
    let access = parse(access_payload()).unwrap();
    assert_eq!(
        access.claim("sub").unwrap(),
        "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    );
    assert_eq!(access.claim("username").unwrap(), "alice");
    assert_eq!(access.claim("client_id").unwrap(), "client1");
    assert_eq!(
        access.claim("cognito:groups").unwrap(),
        json!(["admin", "staff"])
    );
    assert_eq!(access.claim("scope").unwrap(), "openid profile orders/read");
    assert_eq!(access.claim("exp").unwrap(), 1_700_003_600u64);
    assert_eq!(access.claim("token_use").unwrap(), "access");
    assert_eq!(access.claim("jti").unwrap(), "jti-1");
    assert_eq!(access.claim("aud"), None);
    assert_eq!(access.claim("cognito:username"), None);
    assert_eq!(access.claim("email"), None);
    assert_eq!(access.claim("nope"), None);

    assert_eq!(
        access.claim("iss").unwrap(),
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    );

    let id = parse(id_payload()).unwrap();
    assert_eq!(id.claim("aud").unwrap(), "client1");
    assert_eq!(id.claim("cognito:username").unwrap(), "alice");
    assert_eq!(id.claim("email").unwrap(), "alice@example.com");
    assert_eq!(id.claim("username"), None);
    assert_eq!(id.claim("cognito:groups"), None);
    assert_eq!(id.claim("scope"), None);
}

#[test]
fn required_claims_must_be_present() {
    for claim in [
        "sub",
        "iss",
        "exp",
        "iat",
        "token_use",
        "client_id",
        "username",
    ] {
        assert_eq!(
            parse(without(access_payload(), claim)).unwrap_err(),
            VerifyError::MissingClaim { claim },
            "{claim}"
        );
    }
    for claim in ["aud", "cognito:username"] {
        assert_eq!(
            parse(without(id_payload(), claim)).unwrap_err(),
            VerifyError::MissingClaim { claim },
        );
    }
    // An empty string is no better than an absent claim.
    assert_eq!(
        parse(with(access_payload(), "sub", json!(""))).unwrap_err(),
        VerifyError::MissingClaim { claim: "sub" }
    );
}

#[test]
fn wrong_typed_claims_are_errors_not_absent() {
    let string = "string";
    let date = "non-negative integer";
    let cases = [
        ("exp", json!("1700003600"), date),
        ("exp", json!(null), date),
        ("exp", json!(1_700_003_600.5), date),
        ("exp", json!(-1), date),
        ("iat", json!(true), date),
        ("auth_time", json!("now"), date),
        ("nbf", json!("0"), date),
        (
            "iss",
            json!(["https://cognito-idp.eu-west-1.amazonaws.com/x"]),
            string,
        ),
        ("sub", json!(42), string),
        ("client_id", json!(["client1"]), string),
        ("username", json!({"name": "alice"}), string),
        ("scope", json!(["admin"]), string),
        ("email", json!(1), string),
        ("token_use", json!(["access"]), string),
    ];
    for (claim, value, expected) in cases {
        assert_eq!(
            parse(with(access_payload(), claim, value.clone())).unwrap_err(),
            VerifyError::WrongClaimType { claim, expected },
            "{claim} = {value}"
        );
    }
    let groups = VerifyError::WrongClaimType {
        claim: "cognito:groups",
        expected: "array of strings",
    };
    for value in [json!("admin"), json!(["admin", 1]), json!(null)] {
        assert_eq!(
            parse(with(access_payload(), "cognito:groups", value)).unwrap_err(),
            groups
        );
    }
}

#[test]
fn id_token_aud_must_be_one_string() {
    for value in [json!(["client1"]), json!(["client1", "other"]), json!(7)] {
        assert_eq!(
            parse(with(id_payload(), "aud", value)).unwrap_err(),
            VerifyError::WrongClaimType {
                claim: "aud",
                expected: "string"
            }
        );
    }
}

#[test]
fn token_use_must_be_access_or_id() {
    for value in ["Access", "ID", "refresh", ""] {
        assert_eq!(
            parse(with(access_payload(), "token_use", json!(value))).unwrap_err(),
            VerifyError::InvalidTokenUse
        );
    }
}

#[test]
fn scopes_match_whole_items_only() {
    let claims = parse(with(
        access_payload(),
        "scope",
        json!("administrators admin:read orders/read"),
    ))
    .unwrap();
    assert!(!claims.has_all_scopes(&["admin"]));
    assert!(!claims.has_all_scopes(&["orders"]));
    assert!(!claims.has_all_scopes(&["read"]));
    assert!(!claims.has_all_scopes(&["administrators admin:read"]));
    assert!(claims.has_all_scopes(&["admin:read", "orders/read"]));
    assert!(!claims.has_all_scopes(&["admin:read", "orders/write"]));
    assert!(claims.has_all_scopes(&[] as &[&str]));
}

#[test]
fn groups_match_exactly() {
    let claims = parse(access_payload()).unwrap();
    assert!(claims.has_any_group(&["nobody", "staff"]));
    assert!(!claims.has_any_group(&["Admin", "adm", "admins"]));
    assert!(!claims.has_any_group(&[] as &[String]));
    assert!(claims.has_any_group(&[String::from("admin")]));
}

fn times(exp: u64, iat: u64, nbf: Option<u64>, now: u64, leeway: u64) -> Result<(), VerifyError> {
    let mut claims = parse(access_payload()).unwrap();
    claims.exp = exp;
    claims.iat = iat;
    check_times(&claims, nbf, now, leeway)
}

#[test]
fn expiry_is_exclusive_and_leeway_is_honoured() {
    assert_eq!(times(100, 0, None, 99, 0), Ok(()));
    assert_eq!(times(100, 0, None, 100, 0), Err(VerifyError::Expired));
    assert_eq!(times(100, 0, None, 104, 5), Ok(()));
    assert_eq!(times(100, 0, None, 105, 5), Err(VerifyError::Expired));
    // No wrap-around near the top of the range.
    assert_eq!(times(u64::MAX, 0, None, 10, 5), Ok(()));
}

#[test]
fn nbf_and_iat_may_not_be_in_the_future_beyond_leeway() {
    assert_eq!(times(1000, 0, Some(105), 100, 5), Ok(()));
    assert_eq!(
        times(1000, 0, Some(106), 100, 5),
        Err(VerifyError::NotYetValid)
    );
    assert_eq!(times(1000, 105, None, 100, 5), Ok(()));
    assert_eq!(
        times(1000, 106, None, 100, 5),
        Err(VerifyError::IssuedInFuture)
    );
    assert_eq!(
        times(1000, u64::MAX, None, 100, 5),
        Err(VerifyError::IssuedInFuture)
    );
}

#[test]
fn nbf_is_parsed_and_kept() {
    let Value::Object(map) = with(access_payload(), "nbf", json!(5)) else {
        unreachable!()
    };
    let parsed = Claims::from_payload(map).unwrap();
    assert_eq!(parsed.nbf, Some(5));
    assert_eq!(parsed.claims.claim("nbf").unwrap(), 5);
}

/// A client-credentials token exactly as Cognito documents it is a
/// machine client; a username-less token of any other shape is refused.
#[test]
fn only_a_client_credentials_shaped_token_may_lack_a_username() {
    let client = json!({
        "sub": "7hq0c3dbt3vm3rbe8lkvgsq3ec",
        "token_use": "access",
        "scope": "orders/read orders/write",
        "auth_time": 1_700_000_000u64,
        "iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        "exp": 1_700_003_600u64,
        "iat": 1_700_000_000u64,
        "version": 2,
        "jti": "jti-2",
        "client_id": "7hq0c3dbt3vm3rbe8lkvgsq3ec"
    });
    let claims = parse(client.clone()).unwrap();
    assert_eq!(claims.principal_type(), PrincipalType::Client);
    assert_eq!(claims.username, None);
    assert_eq!(claims.claim("username"), None);
    assert_eq!(claims.scopes, ["orders/read", "orders/write"]);
    assert_eq!(
        parse(access_payload()).unwrap().principal_type(),
        PrincipalType::User
    );

    let refused = |payload: Value| parse(payload).unwrap_err();
    let mut with_groups = client.clone();
    with_groups["cognito:groups"] = json!(["admins"]);
    let mut other_sub = client.clone();
    other_sub["sub"] = json!("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
    let mut user_without_name = access_payload();
    user_without_name
        .as_object_mut()
        .unwrap()
        .remove("username");
    let mut id_without_name = id_payload();
    id_without_name
        .as_object_mut()
        .unwrap()
        .remove("cognito:username");
    id_without_name["sub"] = id_without_name["aud"].clone();
    for (payload, claim) in [
        (with_groups, "username"),
        (other_sub, "username"),
        (user_without_name, "username"),
        (id_without_name, "cognito:username"),
    ] {
        assert_eq!(refused(payload), VerifyError::MissingClaim { claim });
    }
    let mut typed = client;
    typed["username"] = json!(7);
    assert!(matches!(
        refused(typed),
        VerifyError::WrongClaimType {
            claim: "username",
            ..
        }
    ));
}
