//! The user migration trigger, end to end: the real binary, driven through
//! the Runtime API harness, reading a legacy users table in moto's DynamoDB
//! through the real AWS SDK; and, last, a legacy user signing in through
//! cognito-local, which invokes the trigger as Cognito does.
//!
//! The legacy hashes are made by real implementations, never written by
//! hand: argon2id and bcrypt by the RustCrypto `argon2` and the `bcrypt`
//! crates (through `DummySpec::hash`, which calls them), scrypt and
//! PBKDF2-SHA256 by Python's `hashlib` (OpenSSL), so that those two are
//! checked across implementations. A missing `python3` fails the test.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ExplicitAuthFlowsType, UsernameAttributeType,
};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use axum::http::StatusCode;
use e2e_tests::cognito_local::{
    CargoLambdaWatch, CognitoLocal, LambdaRelay, work_dir, write_env_file,
};
use e2e_tests::events;
use e2e_tests::legacy_endpoint::{self, LegacyEndpoint};
use e2e_tests::moto::{Moto, free_port};
use e2e_tests::moto_front::{MotoFront, Reply};
use e2e_tests::runtime_api::{Function, Launch, workspace_root};
use serde_json::{Value, json};
use user_migration::hash::DummySpec;

const FUNCTION: &str = "user-migration";
const TABLE: &str = "legacy-users";
/// What every refusal reads (Cognito shows `UserMigration failed with
/// error <this>.`).
const REFUSED: &str = "Incorrect username or password";
const UNAVAILABLE: &str = "Sign-in is unavailable right now, please try again later";
/// The sample events' password (events/user-migration/authentication.json).
const SAMPLE_PASSWORD: &str = "Legacy-Passw0rd!";
const PASSWORD: &str = "Old-System-Secret-42";

// ---- Fixtures -------------------------------------------------------------------

/// Hashes of `password` made by Python's hashlib (OpenSSL): scrypt and
/// PBKDF2-SHA256 as PHC strings, and two kinds this function does not
/// verify (PBKDF2-SHA512 as PHC, Django's own `pbkdf2_sha256$` format).
fn python_hashes(password: &str) -> Value {
    const SCRIPT: &str = r#"
import base64, hashlib, json, sys
pw = sys.argv[1].encode()
salt = b"python-salt-0123"
b = lambda raw: base64.b64encode(raw).decode().rstrip("=")
print(json.dumps({
    "scrypt": "$scrypt$ln=14,r=8,p=1$%s$%s" % (b(salt), b(hashlib.scrypt(pw, salt=salt, n=2**14, r=8, p=1, dklen=32))),
    "pbkdf2-sha256": "$pbkdf2-sha256$i=100000,l=32$%s$%s" % (b(salt), b(hashlib.pbkdf2_hmac("sha256", pw, salt, 100000, 32))),
    "pbkdf2-sha256-600k": "$pbkdf2-sha256$i=600000,l=32$%s$%s" % (b(salt), b(hashlib.pbkdf2_hmac("sha256", pw, salt, 600000, 32))),
    "pbkdf2-sha512": "$pbkdf2-sha512$i=1000,l=64$%s$%s" % (b(salt), b(hashlib.pbkdf2_hmac("sha512", pw, salt, 1000, 64))),
    "django": "pbkdf2_sha256$600000$%s$%s" % (salt.decode(), base64.b64encode(hashlib.pbkdf2_hmac("sha256", pw, salt, 600000)).decode()),
}))
"#;
    let output = std::process::Command::new("python3")
        .args(["-c", SCRIPT, password])
        .output()
        .expect("python3 is needed to make the scrypt and PBKDF2 fixtures (scripts/setup.sh)");
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the hashes as JSON")
}

/// A hash of `password` made by the RustCrypto `argon2` or the `bcrypt`
/// crate (`spec` as `LEGACY_HASH_DEFAULT` reads it).
fn crate_hash(spec: &str, password: &str) -> String {
    DummySpec::parse(spec)
        .and_then(|spec| spec.hash(password.as_bytes(), b"test-salt-16-byt"))
        .unwrap_or_else(|error| panic!("{spec}: {error}"))
}

/// Creates the legacy table: partition key `username` (S), on demand.
async fn create_legacy_table(dynamodb: &aws_sdk_dynamodb::Client, key: &str) {
    dynamodb
        .create_table()
        .table_name(TABLE)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .expect("key schema"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create the legacy table");
}

/// Puts a legacy user: `user_name`, `hash` (when given) and string or
/// boolean attributes.
async fn put_legacy(
    dynamodb: &aws_sdk_dynamodb::Client,
    user_name: &str,
    hash: Option<&str>,
    attributes: &[(&str, AttributeValue)],
) {
    let mut request = dynamodb
        .put_item()
        .table_name(TABLE)
        .item("username", AttributeValue::S(user_name.to_owned()));
    if let Some(hash) = hash {
        request = request.item("password_hash", AttributeValue::S(hash.to_owned()));
    }
    for (name, value) in attributes {
        request = request.item(*name, value.clone());
    }
    request.send().await.expect("put the legacy user");
}

fn email_of(user_name: &str) -> [(&'static str, AttributeValue); 2] {
    [
        (
            "email",
            AttributeValue::S(format!("{user_name}@example.com")),
        ),
        ("email_verified", AttributeValue::Bool(true)),
    ]
}

/// The sample sign-in event for `user_name` with `password`, with a field
/// no Cognito version sends, which must come back untouched.
fn sign_in(user_name: &str, password: &str) -> Value {
    let mut event = events::sample(FUNCTION, "authentication");
    event["userName"] = user_name.into();
    event["request"]["password"] = password.into();
    event["futureField"] = json!({"kept": [1, 2]});
    event
}

fn forgot_password(user_name: &str) -> Value {
    let mut event = events::sample(FUNCTION, "forgot-password");
    event["userName"] = user_name.into();
    event
}

struct World {
    moto: Moto,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl World {
    async fn start() -> World {
        let moto = Moto::start();
        let dynamodb = moto.dynamodb().await;
        create_legacy_table(&dynamodb, "username").await;
        World { moto, dynamodb }
    }

    fn launch(&self) -> Launch {
        Launch::new(FUNCTION)
            .envs(self.moto.env())
            .env("LEGACY_USERS_TABLE", TABLE)
    }

    async fn item(&self, user_name: &str) -> std::collections::HashMap<String, AttributeValue> {
        self.dynamodb
            .get_item()
            .table_name(TABLE)
            .key("username", AttributeValue::S(user_name.to_owned()))
            .send()
            .await
            .expect("get the legacy item")
            .item
            .expect("the legacy item exists")
    }
}

/// `event` with the response a migration writes, everything else kept.
fn migrated(mut event: Value, attributes: Value, status: &str) -> Value {
    event["response"]["userAttributes"] = attributes;
    event["response"]["finalUserStatus"] = status.into();
    event["response"]["messageAction"] = "SUPPRESS".into();
    event["response"]["desiredDeliveryMediums"] = json!(["EMAIL"]);
    event
}

fn assert_never_logged(function: &Function, secrets: &[&str]) {
    for line in function.logs() {
        for secret in secrets {
            assert!(!line.contains(secret), "a secret reached the logs: {line}");
        }
    }
}

// ---- Through the Runtime API, against moto -------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_user_of_each_hash_kind_migrates_with_attributes_status_and_suppress() {
    let world = World::start().await;
    let python = python_hashes(PASSWORD);
    let cases = [
        ("argon2id", crate_hash("argon2id:m=19456,t=2,p=1", PASSWORD)),
        ("bcrypt", crate_hash("bcrypt:cost=10", PASSWORD)),
        (
            "scrypt",
            python["scrypt"].as_str().expect("scrypt").to_owned(),
        ),
        (
            "pbkdf2",
            python["pbkdf2-sha256"].as_str().expect("pbkdf2").to_owned(),
        ),
    ];
    for (user, hash) in &cases {
        let mut attributes = email_of(user).to_vec();
        attributes.push(("first_name", AttributeValue::S(format!("First {user}"))));
        put_legacy(&world.dynamodb, user, Some(hash), &attributes).await;
    }
    let function = world
        .launch()
        .env(
            "LEGACY_ATTRIBUTES",
            "email,email_verified,given_name=first_name",
        )
        .start()
        .await;
    for (user, _) in &cases {
        let event = sign_in(user, PASSWORD);
        let answer = function.respond(event.clone()).await;
        let expected = migrated(
            event,
            json!({
                "email": format!("{user}@example.com"),
                "email_verified": "true",
                "given_name": format!("First {user}"),
            }),
            "CONFIRMED",
        );
        assert_eq!(answer, expected, "{user}");
        // Cognito makes `sub`; the trigger never sets it, nor the username.
        assert!(answer["response"]["userAttributes"].get("sub").is_none());
        // forceAliasCreation is left as Cognito sent it.
        assert_eq!(answer["response"]["forceAliasCreation"], Value::Null);
    }
    let hashes: Vec<&str> = cases.iter().map(|(_, hash)| hash.as_str()).collect();
    let mut secrets = hashes.clone();
    secrets.push(PASSWORD);
    assert_never_logged(&function, &secrets);
    let migrated_lines = function
        .logs()
        .iter()
        .filter(|line| line.contains("user migrated"))
        .count();
    assert_eq!(migrated_lines, cases.len());
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_migrates_without_a_password_as_reset_required() {
    let world = World::start().await;
    // Even a record whose hash this function cannot verify moves on the
    // reset path: the password is about to be replaced.
    let django = python_hashes(PASSWORD)["django"]
        .as_str()
        .expect("django")
        .to_owned();
    put_legacy(
        &world.dynamodb,
        "resetter",
        Some(&django),
        &email_of("resetter"),
    )
    .await;
    let function = world.launch().start().await;
    let event = forgot_password("resetter");
    let answer = function.respond(event.clone()).await;
    assert_eq!(
        answer,
        migrated(
            event,
            json!({"email": "resetter@example.com", "email_verified": "true"}),
            "RESET_REQUIRED"
        )
    );
    // An unknown user on the reset path gets the one refusal.
    let error = function.invoke(forgot_password("nobody")).await.error();
    assert_eq!(
        (error.error_type.as_str(), error.error_message.as_str()),
        ("MigrationRefused", REFUSED)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_reads_the_same_and_the_log_says_why() {
    let world = World::start().await;
    let python = python_hashes(PASSWORD);
    let argon = crate_hash("argon2id:m=19456,t=2,p=1", PASSWORD);
    // The same hash with its output cut off: a corrupt record.
    let corrupt = argon[..argon.rfind('$').expect("a PHC string")].to_owned();
    let sha512 = python["pbkdf2-sha512"].as_str().expect("sha512").to_owned();
    let django = python["django"].as_str().expect("django").to_owned();
    put_legacy(&world.dynamodb, "wrong", Some(&argon), &email_of("wrong")).await;
    put_legacy(
        &world.dynamodb,
        "corrupt",
        Some(&corrupt),
        &email_of("corrupt"),
    )
    .await;
    put_legacy(&world.dynamodb, "nohash", None, &email_of("nohash")).await;
    put_legacy(
        &world.dynamodb,
        "sha512",
        Some(&sha512),
        &email_of("sha512"),
    )
    .await;
    put_legacy(
        &world.dynamodb,
        "django",
        Some(&django),
        &email_of("django"),
    )
    .await;
    let function = world.launch().start().await;

    let cases = [
        ("wrong", "Not-The-Password-1", "wrong_password"),
        ("nobody", PASSWORD, "unknown_user"),
        ("corrupt", PASSWORD, "corrupt_hash"),
        ("nohash", PASSWORD, "missing_hash"),
        ("sha512", PASSWORD, "unsupported_algorithm"),
        ("django", PASSWORD, "unsupported_algorithm"),
    ];
    for (user, password, reason) in cases {
        let invoked = function.invoke(sign_in(user, password)).await;
        let request_id = invoked.request_id.clone();
        let error = invoked.error();
        assert_eq!(error.error_type, "MigrationRefused", "{user}");
        assert_eq!(error.error_message, REFUSED, "{user}");
        let line = function
            .wait_for_log(|line| line.contains(&request_id) && line.contains("migration refused"))
            .await;
        let record: Value = serde_json::from_str(&line).expect("a JSON log line");
        assert_eq!(record["reason"], reason, "{user}: {record}");
    }
    // The unsupported algorithm is named; Django's format is described.
    let logs = function.logs().join("\n");
    assert!(
        logs.contains("unsupported algorithm `pbkdf2-sha512`"),
        "{logs}"
    );
    assert!(logs.contains("not a PHC or crypt string"), "{logs}");
    // Refusals are not runtime errors: no ERROR line for them.
    assert!(
        !function
            .log_records()
            .iter()
            .any(|record| record["level"] == "ERROR"),
        "{logs}"
    );
    assert_never_logged(
        &function,
        &[
            PASSWORD,
            "Not-The-Password-1",
            &argon,
            &corrupt,
            &sha512,
            &django,
        ],
    );
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_too_costly_for_the_memory_is_refused_and_fits_a_bigger_function() {
    let world = World::start().await;
    let heavy = python_hashes(PASSWORD)["pbkdf2-sha256-600k"]
        .as_str()
        .expect("600k")
        .to_owned();
    put_legacy(&world.dynamodb, "heavy", Some(&heavy), &email_of("heavy")).await;
    // At 128 MB (the harness's AWS_LAMBDA_FUNCTION_MEMORY_SIZE) 600,000
    // iterations are estimated well over MAX_HASH_MS's 1 s.
    // MAX_HASH_MS at its deployed default, which is this test's subject,
    // under an emulator too (`Launch`'s emulation budgets would widen it).
    let small = world
        .launch()
        .env(
            "MAX_HASH_MS",
            user_migration::config::MAX_HASH_MS.kind.default.to_string(),
        )
        .start()
        .await;
    let invoked = small.invoke(sign_in("heavy", PASSWORD)).await;
    let request_id = invoked.request_id.clone();
    assert_eq!(invoked.error().error_message, REFUSED);
    let line = small
        .wait_for_log(|line| line.contains(&request_id) && line.contains("migration refused"))
        .await;
    assert!(
        line.contains("too_costly") && line.contains("i=600000"),
        "{line}"
    );
    // At 1,024 MB it fits.
    let big = world
        .launch()
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .start()
        .await;
    let answer = big.respond(sign_in("heavy", PASSWORD)).await;
    assert_eq!(answer["response"]["finalUserStatus"], "CONFIRMED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_default_hash_that_cannot_fit_fails_init_naming_the_variable() {
    let world = World::start().await;
    let mut function = world
        .launch()
        .env("LEGACY_HASH_DEFAULT", "scrypt:ln=17,r=8,p=1")
        .start()
        .await;
    let report = function.init_error().await;
    assert_eq!(report.error_type, "ConfigError");
    assert!(
        report.error_message.starts_with("LEGACY_HASH_DEFAULT: ")
            && report.error_message.contains("needs 128 MiB"),
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_writes_the_time_and_its_failure_does_not_fail_the_migration() {
    let world = World::start().await;
    let hash = crate_hash("bcrypt:cost=10", PASSWORD);
    put_legacy(&world.dynamodb, "marked", Some(&hash), &email_of("marked")).await;
    put_legacy(
        &world.dynamodb,
        "unmarked",
        Some(&hash),
        &email_of("unmarked"),
    )
    .await;

    let function = world.launch().env("MARK_MIGRATED", "true").start().await;
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    function.respond(sign_in("marked", PASSWORD)).await;
    let item = world.item("marked").await;
    let when: u64 = item["migrated_at"]
        .as_n()
        .expect("migrated_at is a number")
        .parse()
        .expect("whole seconds");
    assert!(when >= before && when <= before + 60, "{when}");
    // Without MARK_MIGRATED nothing is written.
    let plain = world.launch().start().await;
    plain.respond(sign_in("unmarked", PASSWORD)).await;
    assert!(!world.item("unmarked").await.contains_key("migrated_at"));

    // UpdateItem denied: the user is migrated all the same.
    let front = MotoFront::start(&world.moto, |call| {
        call.is("UpdateItem").then(|| {
            Reply::json_1_0(
                StatusCode::BAD_REQUEST,
                r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"not allowed"}"#,
            )
        })
    })
    .await;
    let denied = Launch::new(FUNCTION)
        .envs(world.moto.env())
        .env("AWS_ENDPOINT_URL", front.endpoint())
        .env("LEGACY_USERS_TABLE", TABLE)
        .env("MARK_MIGRATED", "true")
        .env("AWS_MAX_ATTEMPTS", "1")
        .start()
        .await;
    let answer = denied.respond(sign_in("unmarked", PASSWORD)).await;
    assert_eq!(answer["response"]["finalUserStatus"], "CONFIRMED");
    let line = denied
        .wait_for_log_containing("could not mark the legacy record migrated")
        .await;
    assert!(line.contains("AccessDeniedException"), "{line}");
    assert_eq!(front.calls("UpdateItem").len(), 1);
    assert!(!world.item("unmarked").await.contains_key("migrated_at"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_failure_is_an_error_not_a_refusal() {
    let world = World::start().await;
    let front = MotoFront::start(&world.moto, |call| {
        call.is("GetItem").then(|| {
            Reply::json_1_0(
                StatusCode::BAD_REQUEST,
                r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"not allowed"}"#,
            )
        })
    })
    .await;
    let function = Launch::new(FUNCTION)
        .envs(world.moto.env())
        .env("AWS_ENDPOINT_URL", front.endpoint())
        .env("LEGACY_USERS_TABLE", TABLE)
        .start()
        .await;
    let error = function.invoke(sign_in("anyone", PASSWORD)).await.error();
    assert_eq!(error.error_type, "AwsCallFailed");
    assert_eq!(error.error_message, UNAVAILABLE);
    let line = function
        .wait_for_log_containing("cannot read the legacy record")
        .await;
    assert!(line.contains("\"level\":\"ERROR\""), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_samples_are_answered_and_other_sources_pass_through() {
    let world = World::start().await;
    let python = python_hashes(SAMPLE_PASSWORD);
    put_legacy(
        &world.dynamodb,
        "legacy.maria",
        Some(python["scrypt"].as_str().expect("scrypt")),
        &[("email", AttributeValue::S("maria@example.com".into()))],
    )
    .await;
    let function = world
        .launch()
        .env("ASSUME_EMAIL_VERIFIED", "true")
        .start()
        .await;
    for (name, status) in [
        ("authentication", "CONFIRMED"),
        ("forgot-password", "RESET_REQUIRED"),
    ] {
        let event = events::sample(FUNCTION, name);
        let answer = function.respond(event.clone()).await;
        assert_eq!(
            answer,
            migrated(
                event,
                json!({"email": "maria@example.com", "email_verified": "true"}),
                status
            ),
            "{name}"
        );
    }
    for other in [
        events::sample("post-confirmation", "confirm-sign-up"),
        json!({"triggerSource": "UserMigration_SomethingNew", "request": {"password": "x"}, "response": {}}),
    ] {
        function.assert_returns_unchanged(other).await;
    }
    let error = function
        .invoke(json!({"triggerSource": "UserMigration_Authentication", "userName": "x", "request": {}}))
        .await
        .error();
    assert_eq!(error.error_type, "MalformedEvent");
    assert_never_logged(&function, &[SAMPLE_PASSWORD]);
}

// ---- The legacy HTTPS endpoint -------------------------------------------------------
//
// The function against `LegacyEndpoint`, the reference implementation of
// docs/migration.md's contract on 127.0.0.1, which checks the signature and
// the replay window itself.

/// The shared secret of the endpoint tests (32 bytes or more).
const ENDPOINT_SECRET: &str = "legacy-endpoint-shared-secret-0123456789";

fn endpoint_launch(endpoint: &LegacyEndpoint) -> Launch {
    Launch::new(FUNCTION)
        .env("LEGACY_ENDPOINT_URL", endpoint.url())
        .env("LEGACY_ENDPOINT_SECRET", ENDPOINT_SECRET)
}

async fn endpoint_with_maria() -> LegacyEndpoint {
    let endpoint = LegacyEndpoint::start(ENDPOINT_SECRET).await;
    endpoint.add_user(
        "legacy.maria",
        SAMPLE_PASSWORD,
        json!({"email": "maria@example.com", "email_verified": true, "first_name": "Maria"}),
    );
    endpoint
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_migrates_a_user_with_a_secret_from_secrets_manager() {
    let moto = Moto::start();
    let secrets = aws_sdk_secretsmanager::Client::new(&moto.sdk_config().await);
    let arn = secrets
        .create_secret()
        .name("legacy-migration")
        .secret_string(ENDPOINT_SECRET)
        .send()
        .await
        .expect("create the secret in moto")
        .arn
        .expect("the secret's ARN");
    let endpoint = endpoint_with_maria().await;
    let function = Launch::new(FUNCTION)
        .envs(moto.env())
        .env("LEGACY_ENDPOINT_URL", endpoint.url())
        .env("LEGACY_ENDPOINT_SECRET_ARN", &arn)
        .env(
            "LEGACY_ATTRIBUTES",
            "email,email_verified,given_name=first_name",
        )
        .start()
        .await;
    for (name, status) in [
        ("authentication", "CONFIRMED"),
        ("forgot-password", "RESET_REQUIRED"),
    ] {
        let event = events::sample(FUNCTION, name);
        let answer = function.respond(event.clone()).await;
        assert_eq!(
            answer,
            migrated(
                event,
                json!({"email": "maria@example.com", "email_verified": "true", "given_name": "Maria"}),
                status
            ),
            "{name}"
        );
    }
    assert_eq!(endpoint.actions(), ["authenticate", "lookup"]);
    assert_eq!(endpoint.refused_signatures(), 0);
    assert_never_logged(&function, &[SAMPLE_PASSWORD, ENDPOINT_SECRET]);
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_refuses_a_wrong_password_and_an_unknown_user_alike() {
    let endpoint = endpoint_with_maria().await;
    let function = endpoint_launch(&endpoint).start().await;
    for (user, password, reason) in [
        ("legacy.maria", "Not-Her-Password-1", "wrong_password"),
        ("nobody", SAMPLE_PASSWORD, "unknown_user"),
    ] {
        let mut event = events::sample(FUNCTION, "authentication");
        event["userName"] = user.into();
        event["request"]["password"] = password.into();
        let invoked = function.invoke(event).await;
        let request_id = invoked.request_id.clone();
        let error = invoked.error();
        assert_eq!(
            (error.error_type.as_str(), error.error_message.as_str()),
            ("MigrationRefused", REFUSED),
            "{user}"
        );
        let line = function
            .wait_for_log(|line| line.contains(&request_id) && line.contains("migration refused"))
            .await;
        let record: Value = serde_json::from_str(&line).expect("a JSON log line");
        assert_eq!(record["reason"], reason, "{user}: {record}");
        assert_eq!(record["level"], "INFO", "{record}");
    }
    // An unknown user on the reset path too.
    let error = function.invoke(forgot_password("nobody")).await.error();
    assert_eq!(
        (error.error_type.as_str(), error.error_message.as_str()),
        ("MigrationRefused", REFUSED)
    );
    assert_eq!(endpoint.verified(), 3);
    assert_never_logged(
        &function,
        &[SAMPLE_PASSWORD, "Not-Her-Password-1", ENDPOINT_SECRET],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_the_endpoint_refuses_is_an_error_not_a_refusal() {
    let endpoint = endpoint_with_maria().await;
    // The function signs with another secret than the endpoint's.
    let function = Launch::new(FUNCTION)
        .env("LEGACY_ENDPOINT_URL", endpoint.url())
        .env(
            "LEGACY_ENDPOINT_SECRET",
            "a-different-secret-of-32-bytes-or-more",
        )
        .start()
        .await;
    let error = function
        .invoke(events::sample(FUNCTION, "authentication"))
        .await
        .error();
    assert_eq!(
        (error.error_type.as_str(), error.error_message.as_str()),
        ("EndpointSignatureRefused", UNAVAILABLE)
    );
    assert_eq!(endpoint.refused_signatures(), 1);
    assert_eq!(endpoint.verified(), 0);
    let line = function
        .wait_for_log_containing("cannot ask the legacy endpoint")
        .await;
    assert!(
        line.contains("\"level\":\"ERROR\"") && line.contains("shared secret"),
        "{line}"
    );
    assert_never_logged(&function, &[SAMPLE_PASSWORD, ENDPOINT_SECRET]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_endpoint_refuses_a_stale_timestamp_and_a_bad_signature() {
    // The peer itself, called as the contract says: a good signature over a
    // timestamp outside the replay window is refused, as is a tampered body.
    let endpoint = endpoint_with_maria().await;
    let client = reqwest::Client::new();
    let body = br#"{"action":"lookup","username":"legacy.maria","userPoolId":"p","requestId":"r"}"#;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let post = |timestamp: u64, signed_body: &[u8], sent_body: &[u8]| {
        let timestamp = timestamp.to_string();
        client
            .post(endpoint.url())
            .header("X-Migration-Timestamp", &timestamp)
            .header(
                "X-Migration-Signature",
                legacy_endpoint::signature(ENDPOINT_SECRET, &timestamp, signed_body),
            )
            .body(sent_body.to_vec())
            .send()
    };
    let status = |response: reqwest::Result<reqwest::Response>| {
        response.expect("the endpoint answers").status().as_u16()
    };
    assert_eq!(status(post(now, body, body).await), 200);
    assert_eq!(
        status(post(now - legacy_endpoint::WINDOW_SECS - 5, body, body).await),
        403
    );
    assert_eq!(
        status(post(now + legacy_endpoint::WINDOW_SECS + 5, body, body).await),
        403
    );
    let tampered =
        br#"{"action":"lookup","username":"someone.else","userPoolId":"p","requestId":"r"}"#;
    assert_eq!(status(post(now, body, tampered).await), 403);
    assert_eq!(endpoint.refused_signatures(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_slower_than_the_budget_or_down_is_an_error() {
    let mut endpoint = endpoint_with_maria().await;
    endpoint.set_delay(std::time::Duration::from_millis(1_500));
    // A key in the URL's query, as some gateways want: reqwest's error text
    // ends with the URL, and the function must leave it out of its logs.
    const QUERY_KEY: &str = "query-key-sentinel-5f3a";
    let function = endpoint_launch(&endpoint)
        .env(
            "LEGACY_ENDPOINT_URL",
            format!("{}?code={QUERY_KEY}", endpoint.url()),
        )
        .env("LEGACY_ENDPOINT_TIMEOUT_MS", "300")
        .start()
        .await;
    let error = function
        .invoke(events::sample(FUNCTION, "authentication"))
        .await
        .error();
    assert_eq!(
        (error.error_type.as_str(), error.error_message.as_str()),
        ("EndpointTimeout", UNAVAILABLE)
    );
    // The budget ended it: had the endpoint's late 200 been waited for,
    // the user would have been migrated.
    function
        .wait_for_log(|line| {
            line.contains("cannot ask the legacy endpoint") && line.contains("300 ms")
        })
        .await;

    endpoint.stop();
    let error = function
        .invoke(events::sample(FUNCTION, "forgot-password"))
        .await
        .error();
    assert_eq!(
        (error.error_type.as_str(), error.error_message.as_str()),
        ("EndpointUnreachable", UNAVAILABLE)
    );
    function
        .wait_for_log(|line| {
            line.contains("cannot ask the legacy endpoint") && line.contains("Connection refused")
        })
        .await;
    assert_never_logged(&function, &[SAMPLE_PASSWORD, ENDPOINT_SECRET, QUERY_KEY]);
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_python_check_verifies_what_the_function_sends() {
    // docs/migration.md gives a team its endpoint's signature check in
    // Python. It is run here, as printed, on a request the function binary
    // really sent (caught by the reference endpoint), and on the inputs
    // that would crash a naive check: it must say yes to the real request,
    // and no, without raising, to a tampered body, a stale timestamp, a
    // non-ASCII digit and a non-ASCII signature.
    let docs = std::fs::read_to_string(workspace_root().join("docs/migration.md"))
        .expect("read docs/migration.md");
    let snippet = docs
        .split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/migration.md has a python block");
    let endpoint = endpoint_with_maria().await;
    let function = endpoint_launch(&endpoint).start().await;
    let migrated = function
        .invoke(events::sample(FUNCTION, "authentication"))
        .await
        .response();
    assert_eq!(migrated["response"]["finalUserStatus"], "CONFIRMED");
    let (headers, body) = endpoint
        .last_verified_request()
        .expect("the function's request reached the endpoint");
    let script = format!(
        r#"{snippet}
import json, sys, time
case = json.load(sys.stdin)
headers, body = case["headers"], case["body"].encode()
secret = case["secret"].encode()
tampered = body.replace(b"legacy.maria", b"legacy.mario")
stale = dict(headers, **{{"x-migration-timestamp": str(int(time.time()) - 400)}})
superscript = dict(headers, **{{"x-migration-timestamp": "²"}})
accented = dict(headers, **{{"x-migration-signature": "v1=é"}})
print(json.dumps([verified(secret, headers, body), verified(secret, headers, tampered),
                  verified(secret, stale, body), verified(secret, superscript, body),
                  verified(secret, accented, body)]))
"#
    );
    let case = json!({"headers": headers, "body": body, "secret": ENDPOINT_SECRET});
    let mut python = std::process::Command::new("python3")
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is needed to run the documented check (scripts/setup.sh)");
    use std::io::Write as _;
    python
        .stdin
        .take()
        .expect("stdin")
        .write_all(case.to_string().as_bytes())
        .expect("write the case");
    let output = python.wait_with_output().expect("python3 ran");
    assert!(
        output.status.success(),
        "the documented check raised: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts: Value = serde_json::from_slice(&output.stdout).expect("verdicts");
    assert_eq!(verdicts, json!([true, false, false, false, false]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_secret_that_cannot_be_read_fails_init_naming_the_variable() {
    let moto = Moto::start();
    let endpoint = endpoint_with_maria().await;
    let mut function = Launch::new(FUNCTION)
        .envs(moto.env())
        .env("LEGACY_ENDPOINT_URL", endpoint.url())
        .env(
            "LEGACY_ENDPOINT_SECRET_ARN",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:absent-AbCdEf",
        )
        .start()
        .await;
    let report = function.init_error().await;
    assert_eq!(report.error_type, "ConfigError");
    assert!(
        report
            .error_message
            .starts_with("LEGACY_ENDPOINT_SECRET_ARN: cannot read the secret"),
        "{report:?}"
    );
    // Both sources at once is refused too, naming the endpoint variable.
    let mut both = endpoint_launch(&endpoint)
        .env("LEGACY_USERS_TABLE", TABLE)
        .start()
        .await;
    let report = both.init_error().await;
    assert!(
        report.error_message.starts_with("LEGACY_ENDPOINT_URL: ")
            && report.error_message.contains("LEGACY_USERS_TABLE"),
        "{report:?}"
    );
}

// ---- Through cognito-local -------------------------------------------------------------

/// Builds the binary `cargo lambda watch` runs, as the lifecycle test does.
fn build_user_migration() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .current_dir(workspace_root())
        .args(["build", "--quiet", "--bin", FUNCTION])
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build of {FUNCTION} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_user_signs_in_through_cognito_local_and_lands_in_the_pool() {
    build_user_migration();
    let dir = work_dir("user-migration");
    let moto = Moto::start();
    let dynamodb = moto.dynamodb().await;
    create_legacy_table(&dynamodb, "username").await;
    let email = "maria.legacy@example.com";
    let hash = crate_hash("argon2id:m=19456,t=2,p=1", PASSWORD);
    put_legacy(
        &dynamodb,
        email,
        Some(&hash),
        &[
            ("email", AttributeValue::S(email.into())),
            ("email_verified", AttributeValue::Bool(true)),
        ],
    )
    .await;
    put_legacy(
        &dynamodb,
        "other.legacy@example.com",
        Some(&hash),
        &[(
            "email",
            AttributeValue::S("other.legacy@example.com".into()),
        )],
    )
    .await;

    let watch_port = free_port();
    let relay = LambdaRelay::start(&format!("http://127.0.0.1:{watch_port}")).await;
    let cognito_local =
        CognitoLocal::start_with(&dir, &relay.endpoint(), &[("UserMigration", FUNCTION)]);
    let cognito = cognito_local.client().await;
    // Users sign in with their email, as in the legacy system: the email
    // is the key of the legacy table and the user's alias in the pool.
    let pool_id = cognito
        .create_user_pool()
        .pool_name("migration")
        .username_attributes(UsernameAttributeType::Email)
        .send()
        .await
        .expect("create the pool")
        .user_pool()
        .and_then(|pool| pool.id())
        .expect("a pool id")
        .to_owned();
    let client_id = cognito
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("web")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await
        .expect("create the client")
        .user_pool_client()
        .and_then(|client| client.client_id())
        .expect("a client id")
        .to_owned();
    let env_file = dir.join("functions.env");
    write_env_file(
        &env_file,
        &[
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_ENDPOINT_URL_DYNAMODB", moto.endpoint()),
            ("LEGACY_USERS_TABLE", TABLE.into()),
            ("MARK_MIGRATED", "true".into()),
        ],
    );
    let _watch = CargoLambdaWatch::start(watch_port, &env_file, &dir.join("watch.log"));

    let sign_in = |user: &str, password: &str| {
        cognito
            .initiate_auth()
            .client_id(&client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", user)
            .auth_parameters("PASSWORD", password)
            .send()
    };

    // 1. First sign-in: cognito-local calls the trigger, which verifies the
    //    argon2id hash; the user lands in the pool and gets tokens.
    let mark = relay.mark();
    let first = sign_in(email, PASSWORD).await.expect("the first sign-in");
    assert!(
        first
            .authentication_result()
            .and_then(|result| result.id_token())
            .is_some()
    );
    let calls = relay.since(mark);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].function, FUNCTION);
    assert_eq!(calls[0].trigger_source(), "UserMigration_Authentication");
    assert!(!calls[0].function_error, "{:?}", calls[0].answer);
    let user = cognito
        .admin_get_user()
        .user_pool_id(&pool_id)
        .username(email)
        .send()
        .await
        .expect("the migrated user is in the pool");
    assert_eq!(
        user.user_status().map(|status| status.as_str()),
        Some("CONFIRMED")
    );
    let attribute = |name: &str| {
        user.user_attributes()
            .iter()
            .find(|attribute| attribute.name() == name)
            .and_then(|attribute| attribute.value())
            .map(str::to_owned)
    };
    assert_eq!(attribute("email").as_deref(), Some(email));
    assert_eq!(attribute("email_verified").as_deref(), Some("true"));
    // The legacy record is marked.
    let item = dynamodb
        .get_item()
        .table_name(TABLE)
        .key("username", AttributeValue::S(email.into()))
        .send()
        .await
        .expect("get the legacy item")
        .item
        .expect("the legacy item");
    assert!(item.contains_key("migrated_at"));

    // 2. The next sign-in is the pool's own: no trigger call.
    let mark = relay.mark();
    sign_in(email, PASSWORD).await.expect("the second sign-in");
    assert!(relay.since(mark).is_empty(), "{:?}", relay.since(mark));

    // 3. A wrong password: the trigger refuses, cognito-local answers
    //    NotAuthorized, and the user is not created.
    let mark = relay.mark();
    let error = sign_in("other.legacy@example.com", "Not-The-Password-1")
        .await
        .expect_err("a wrong password is refused");
    assert_eq!(
        aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata::code(&error),
        Some("NotAuthorizedException"),
        "{error:?}"
    );
    let calls = relay.since(mark);
    assert_eq!(calls.len(), 1);
    assert!(calls[0].function_error);
    assert_eq!(calls[0].answer["errorMessage"], REFUSED);
    assert!(
        cognito
            .admin_get_user()
            .user_pool_id(&pool_id)
            .username("other.legacy@example.com")
            .send()
            .await
            .is_err()
    );
}
