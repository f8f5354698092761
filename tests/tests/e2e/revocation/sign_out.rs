//! The sign-out route, with moto's user pool issuing the tokens and
//! answering `AdminUserGlobalSignOut`. moto has no `RevokeToken`, so a front
//! (`e2e_tests::moto_front`) answers that one call and records it.

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ExplicitAuthFlowsType};
use axum::http::StatusCode;
use e2e_tests::events;
use e2e_tests::moto::{Moto, create_revocation_table, create_user_pool, set_permanent_password};
use e2e_tests::moto_front::{MotoFront, Reply};
use e2e_tests::runtime_api::{Function, Launch};
use e2e_tests::tokens::TokenBuilder;
use serde_json::{Value, json};

use super::{item, number, text};

const FUNCTION: &str = "sign-out";
const TABLE: &str = "revocations";
const PASSWORD: &str = "Correct-Horse-9-Battery";

struct Setup {
    moto: Moto,
    front: MotoFront,
    dynamodb: aws_sdk_dynamodb::Client,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    pool: String,
    client_id: String,
}

struct Session {
    access_token: String,
    refresh_token: String,
    sub: String,
    origin_jti: String,
}

async fn setup() -> Setup {
    let moto = Moto::start();
    let front = MotoFront::start(&moto, |call| {
        call.is("RevokeToken")
            .then(|| Reply::json(StatusCode::OK, "{}"))
    })
    .await;
    let dynamodb = moto.dynamodb().await;
    let cognito = moto.cognito().await;
    create_revocation_table(&dynamodb, TABLE).await;
    let pool = create_user_pool(&cognito, "sign-out").await;
    let client_id = cognito
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("web")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .expect("create the app client in moto")
        .user_pool_client()
        .and_then(|client| client.client_id())
        .expect("a client id")
        .to_owned();
    Setup {
        moto,
        front,
        dynamodb,
        cognito,
        pool,
        client_id,
    }
}

impl Setup {
    async fn launch(&self) -> Function {
        Launch::new(FUNCTION)
            .env("AWS_ENDPOINT_URL", self.front.endpoint())
            .env("USER_POOL_ID", &self.pool)
            .env("APP_CLIENT_IDS", &self.client_id)
            .env(
                "JWKS_URL",
                format!(
                    "{}/{{userPoolId}}/.well-known/jwks.json",
                    self.moto.endpoint()
                ),
            )
            .env("REVOCATION_TABLE", TABLE)
            .start()
            .await
    }

    /// Creates `username` and signs it in through moto.
    async fn sign_in(&self, username: &str) -> Session {
        self.cognito
            .admin_create_user()
            .user_pool_id(&self.pool)
            .username(username)
            .send()
            .await
            .expect("create the user");
        set_permanent_password(&self.cognito, &self.pool, username, PASSWORD).await;
        self.sign_in_again(username).await
    }

    async fn sign_in_again(&self, username: &str) -> Session {
        let result = self
            .cognito
            .admin_initiate_auth()
            .user_pool_id(&self.pool)
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await
            .expect("sign in through moto")
            .authentication_result
            .expect("tokens");
        let access_token = result.access_token.expect("an access token");
        let payload = e2e_tests::cognito_local::jwt_payload(&access_token);
        Session {
            sub: payload["sub"].as_str().expect("sub").to_owned(),
            origin_jti: payload["origin_jti"]
                .as_str()
                .expect("moto's access tokens carry origin_jti")
                .to_owned(),
            refresh_token: result.refresh_token.expect("a refresh token"),
            access_token,
        }
    }

    /// Whether moto still accepts `refresh_token`.
    async fn refreshes(&self, refresh_token: &str) -> bool {
        self.cognito
            .admin_initiate_auth()
            .user_pool_id(&self.pool)
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .is_ok()
    }
}

/// The REST sample with `token` and `body`.
fn rest(token: &str, body: Option<&str>) -> Value {
    let mut event = events::sample(FUNCTION, "rest-everywhere");
    let credential = format!("Bearer {token}");
    event["headers"]["Authorization"] = json!(credential);
    event["multiValueHeaders"]["Authorization"] = json!([credential]);
    event["body"] = json!(body);
    event
}

/// The HTTP API sample with `token` and `body`.
fn http_api(token: &str, body: Option<&str>) -> Value {
    let mut event = events::sample(FUNCTION, "http-api-session");
    event["headers"]["authorization"] = json!(format!("Bearer {token}"));
    event["body"] = json!(body);
    event
}

fn status(answer: &Value) -> u64 {
    answer["statusCode"].as_u64().expect("a status code")
}

fn message(answer: &Value) -> String {
    let body: Value = serde_json::from_str(answer["body"].as_str().expect("a body")).expect("JSON");
    body["message"].as_str().expect("a message").to_owned()
}

fn assert_no_secret_logged(function: &Function, secrets: &[&str]) {
    for line in function.logs() {
        for secret in secrets {
            assert!(!line.contains(secret), "a secret reached the logs: {line}");
        }
        assert!(
            !line.contains("Bearer"),
            "an Authorization header reached the logs: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_everywhere_writes_the_user_and_ends_the_refresh_tokens_in_cognito() {
    let setup = setup().await;
    let function = setup.launch().await;
    let session = setup.sign_in("everywhere-user").await;
    assert!(
        setup.refreshes(&session.refresh_token).await,
        "moto refreshes before the sign-out"
    );
    let before = e2e_tests::tokens::now();
    let answer = function
        .respond(rest(
            &session.access_token,
            Some(r#"{"scope": "everywhere"}"#),
        ))
        .await;
    assert_eq!(status(&answer), 204, "{answer}");
    assert_eq!(answer["body"], "");
    let key = format!("user#{}#{}", setup.pool, session.sub);
    let stored = item(&setup.dynamodb, TABLE, &key)
        .await
        .expect("the user's item");
    assert!((before..=e2e_tests::tokens::now()).contains(&number(&stored, "not_before")));
    assert_eq!(text(&stored, "reason"), "global_sign_out");
    assert_eq!(setup.front.calls("AdminUserGlobalSignOut").len(), 1);
    // moto's AdminUserGlobalSignOut forgets the user's refresh tokens.
    assert!(
        !setup.refreshes(&session.refresh_token).await,
        "the refresh token still works after AdminUserGlobalSignOut"
    );
    assert_no_secret_logged(&function, &[&session.access_token, &session.refresh_token]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_of_a_session_writes_its_origin_jti_and_revokes_the_refresh_token() {
    let setup = setup().await;
    let function = setup.launch().await;
    let session = setup.sign_in("session-user").await;
    let other = setup.sign_in_again("session-user").await;
    assert_ne!(session.origin_jti, other.origin_jti);
    let body = json!({"scope": "session", "refresh_token": session.refresh_token}).to_string();
    let answer = function
        .respond(http_api(&session.access_token, Some(&body)))
        .await;
    assert_eq!(status(&answer), 204, "{answer}");
    let key = format!("session#{}#{}", setup.pool, session.origin_jti);
    let stored = item(&setup.dynamodb, TABLE, &key)
        .await
        .expect("the session's item");
    assert_eq!(text(&stored, "reason"), "session_sign_out");
    // The other session and the user are untouched.
    let other_key = format!("session#{}#{}", setup.pool, other.origin_jti);
    assert!(item(&setup.dynamodb, TABLE, &other_key).await.is_none());
    let user_key = format!("user#{}#{}", setup.pool, session.sub);
    assert!(item(&setup.dynamodb, TABLE, &user_key).await.is_none());
    let revoked = setup.front.calls("RevokeToken");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].body["Token"], json!(session.refresh_token));
    assert_eq!(revoked[0].body["ClientId"], json!(setup.client_id));
    assert!(setup.front.calls("AdminUserGlobalSignOut").is_empty());

    // No body: the session, and no Cognito call.
    let answer = function.respond(rest(&other.access_token, None)).await;
    assert_eq!(status(&answer), 204, "{answer}");
    assert!(item(&setup.dynamodb, TABLE, &other_key).await.is_some());
    assert_eq!(setup.front.calls("RevokeToken").len(), 1);
    assert_no_secret_logged(
        &function,
        &[
            &session.access_token,
            &session.refresh_token,
            &other.access_token,
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_401_409_400_and_the_store_down_502() {
    let mut setup = setup().await;
    let function = setup.launch().await;
    let session = setup.sign_in("refused-user").await;

    // 401: no token, a malformed header, a token of another pool.
    let other_pool = TokenBuilder::access("us-east-1_Elsewhere", &setup.client_id).build();
    for (label, event) in [
        ("no header", json!({"headers": {}, "body": null})),
        ("Basic", {
            let mut event = rest("x", None);
            event["headers"]["Authorization"] = json!("Basic abc");
            event["multiValueHeaders"]["Authorization"] = json!(["Basic abc"]);
            event
        }),
        ("other pool", http_api(&other_pool, None)),
    ] {
        let answer = function.respond(event).await;
        assert_eq!(status(&answer), 401, "{label}: {answer}");
        assert_eq!(answer["headers"]["www-authenticate"], "Bearer");
    }

    // 400: bad bodies, after the token is verified.
    for body in [
        r#"{"scope":"session","scope":"everywhere"}"#,
        r#"{"scope":"all"}"#,
        r#"{"scpoe":"session"}"#,
        "not json",
        r#"{"scope":"everywhere","refresh_token":"r"}"#,
    ] {
        let answer = function
            .respond(http_api(&session.access_token, Some(body)))
            .await;
        assert_eq!(status(&answer), 400, "{body}: {answer}");
        assert!(
            !message(&answer).contains("scpoe"),
            "the input is not echoed"
        );
    }
    let huge = format!(r#"{{"refresh_token":"{}"}}"#, "r".repeat(9_000));
    let answer = function
        .respond(http_api(&session.access_token, Some(&huge)))
        .await;
    assert_eq!(status(&answer), 400, "{answer}");

    // 409: tokens signed with the development key, which a second instance
    // trusts through JWKS_FILE: one without origin_jti (token revocation
    // off for its app client), and a machine client's.
    let dev = Launch::new(FUNCTION)
        .env("AWS_ENDPOINT_URL", setup.front.endpoint())
        .env("USER_POOL_ID", &setup.pool)
        .env("APP_CLIENT_IDS", &setup.client_id)
        .env(
            "JWKS_FILE",
            e2e_tests::tokens::keys_dir()
                .join("dev-rsa-1.jwks.json")
                .display()
                .to_string(),
        )
        .env("REVOCATION_TABLE", TABLE)
        .start()
        .await;
    let no_jti = TokenBuilder::access(&setup.pool, &setup.client_id)
        .username("refused-user")
        .without_claim("origin_jti")
        .build();
    let answer = dev.respond(http_api(&no_jti, None)).await;
    assert_eq!(status(&answer), 409, "{answer}");
    assert!(message(&answer).contains("token revocation"), "{answer}");
    // The same token may still sign out everywhere.
    let machine =
        TokenBuilder::client_credentials(&setup.pool, &setup.client_id, &["api/read"]).build();
    let answer = dev
        .respond(rest(&machine, Some(r#"{"scope":"everywhere"}"#)))
        .await;
    assert_eq!(status(&answer), 409, "{answer}");
    assert_eq!(
        super::count(&setup.dynamodb, TABLE).await,
        0,
        "no refusal wrote anything"
    );
    assert_no_secret_logged(&dev, &[&no_jti, &machine]);

    // 502: the store (and moto) gone; nothing is signed out.
    setup.moto.stop();
    let answer = function
        .respond(rest(
            &session.access_token,
            Some(r#"{"scope":"everywhere"}"#),
        ))
        .await;
    assert_eq!(status(&answer), 502, "{answer}");
    assert!(
        setup.front.calls("AdminUserGlobalSignOut").is_empty(),
        "Cognito is called only after the store"
    );
    assert_no_secret_logged(&function, &[&session.access_token, &session.refresh_token]);
}
