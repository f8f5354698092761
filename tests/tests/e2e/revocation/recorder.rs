//! The recorder, fed the committed EventBridge samples.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cognitoidentityprovider::types::MessageActionType;
use cognito_auth_core::clock::rfc3339_utc;
use cognito_auth_core::revocation::DEFAULT_RETENTION_SECS;
use e2e_tests::events;
use e2e_tests::moto::{Moto, create_revocation_table, create_user_pool};
use e2e_tests::runtime_api::{Function, Launch};
use serde_json::{Value, json};

use super::{count, item, number, text};

const FUNCTION: &str = "revocation-recorder";
const TABLE: &str = "revocations";

struct Setup {
    moto: Moto,
    dynamodb: aws_sdk_dynamodb::Client,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    pool: String,
}

async fn setup() -> Setup {
    let moto = Moto::start();
    let dynamodb = moto.dynamodb().await;
    let cognito = moto.cognito().await;
    create_revocation_table(&dynamodb, TABLE).await;
    let pool = create_user_pool(&cognito, "recorder").await;
    Setup {
        moto,
        dynamodb,
        cognito,
        pool,
    }
}

impl Setup {
    async fn launch(&self, table: &str) -> Function {
        Launch::new(FUNCTION)
            .envs(self.moto.env())
            .env("USER_POOL_ID", &self.pool)
            .env("REVOCATION_TABLE", table)
            .start()
            .await
    }

    /// Creates `username` and returns its sub.
    async fn user(&self, username: &str) -> String {
        self.cognito
            .admin_create_user()
            .user_pool_id(&self.pool)
            .username(username)
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .expect("create a user in moto");
        self.cognito
            .admin_get_user()
            .user_pool_id(&self.pool)
            .username(username)
            .send()
            .await
            .expect("read the user back")
            .user_attributes()
            .iter()
            .find(|attribute| attribute.name() == "sub")
            .and_then(|attribute| attribute.value())
            .expect("moto gives every user a sub")
            .to_owned()
    }

    fn key(&self, sub: &str) -> String {
        format!("user#{}#{sub}", self.pool)
    }
}

/// The sample `name`, for `username` in `pool`, at `event_time`.
fn sample(name: &str, pool: &str, username: &str, event_time: u64) -> Value {
    let mut event = events::sample(FUNCTION, name);
    event["detail"]["requestParameters"]["userPoolId"] = json!(pool);
    event["detail"]["requestParameters"]["username"] = json!(username);
    event["detail"]["eventTime"] = json!(rfc3339_utc(UNIX_EPOCH + Duration::from_secs(event_time)));
    event
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_admin_action_writes_the_users_item_once_and_never_lowers_it() {
    let setup = setup().await;
    let function = setup.launch(TABLE).await;
    let at = now() - 600;
    for (sample_name, reason) in [
        ("admin-user-global-sign-out", "admin_sign_out"),
        ("admin-disable-user", "disabled"),
        ("admin-delete-user", "deleted"),
        ("admin-reset-user-password", "password_reset"),
        ("admin-set-user-password", "password_set"),
    ] {
        let username = format!("user-{reason}");
        let sub = setup.user(&username).await;
        let event = sample(sample_name, &setup.pool, &username, at);
        let answer = function.respond(event.clone()).await;
        assert_eq!(answer["result"], "recorded", "{sample_name}: {answer}");
        let stored = item(&setup.dynamodb, TABLE, &setup.key(&sub))
            .await
            .unwrap_or_else(|| panic!("{sample_name} wrote no item for {sub}"));
        assert_eq!(number(&stored, "not_before"), at, "{sample_name}");
        assert_eq!(
            number(&stored, "expires_at"),
            at + DEFAULT_RETENTION_SECS,
            "{sample_name}"
        );
        assert_eq!(text(&stored, "reason"), reason, "{sample_name}");
        let recorded_at = number(&stored, "recorded_at");

        // EventBridge delivers at least once: the replay writes nothing new.
        let replay = function.respond(event).await;
        assert_eq!(replay["result"], "already_recorded", "{sample_name}");
        // An older event arriving late never lowers not_before.
        let older = function
            .respond(sample(sample_name, &setup.pool, &username, at - 60))
            .await;
        assert_eq!(older["result"], "already_recorded", "{sample_name}");
        let after = item(&setup.dynamodb, TABLE, &setup.key(&sub))
            .await
            .expect("the item is still there");
        assert_eq!(number(&after, "not_before"), at, "{sample_name}");
        assert_eq!(number(&after, "recorded_at"), recorded_at, "{sample_name}");
        // A later one moves it forward.
        let later = function
            .respond(sample(sample_name, &setup.pool, &username, at + 60))
            .await;
        assert_eq!(later["result"], "recorded", "{sample_name}");
        let moved = item(&setup.dynamodb, TABLE, &setup.key(&sub))
            .await
            .unwrap();
        assert_eq!(number(&moved, "not_before"), at + 60, "{sample_name}");
    }
    assert_eq!(count(&setup.dynamodb, TABLE).await, 5);
    assert_no_username_logged(&function, "user-");
    function.assert_no_panic();
}

/// An item whose `not_before` is not a number (an operator's typo) would
/// fail `not_before < :t` for ever and read as "already recorded": the write
/// replaces it instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_item_is_overwritten_not_reported_as_recorded() {
    let setup = setup().await;
    let function = setup.launch(TABLE).await;
    let username = "user-malformed";
    let sub = setup.user(username).await;
    setup
        .dynamodb
        .put_item()
        .table_name(TABLE)
        .item(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(setup.key(&sub)),
        )
        .item(
            "not_before",
            aws_sdk_dynamodb::types::AttributeValue::S("yesterday".into()),
        )
        .send()
        .await
        .expect("write a malformed item to moto");
    let at = now() - 30;
    let answer = function
        .respond(sample("admin-disable-user", &setup.pool, username, at))
        .await;
    assert_eq!(answer["result"], "recorded", "{answer}");
    let stored = item(&setup.dynamodb, TABLE, &setup.key(&sub))
        .await
        .expect("the item is still there");
    assert_eq!(number(&stored, "not_before"), at);
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_in_the_record_is_used_without_a_lookup_and_a_future_time_is_clamped() {
    let setup = setup().await;
    let function = setup.launch(TABLE).await;
    // No such user in moto: AdminGetUser would fail, so a written item shows
    // that the record's sub was used.
    let mut event = sample(
        "admin-disable-user",
        &setup.pool,
        "HIDDEN_DUE_TO_SECURITY_REASONS",
        now() + 3_600,
    );
    event["detail"]["additionalEventData"] = json!({"sub": "5c2b1e0a-0000-4000-8000-000000000001"});
    let before = now();
    let answer = function.respond(event).await;
    assert_eq!(answer["result"], "recorded", "{answer}");
    let stored = item(
        &setup.dynamodb,
        TABLE,
        &setup.key("5c2b1e0a-0000-4000-8000-000000000001"),
    )
    .await
    .expect("the item");
    let not_before = number(&stored, "not_before");
    assert!(
        (before..=now()).contains(&not_before),
        "a record from the future is recorded at the function's now: {not_before}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_pools_failed_calls_and_unknown_users_write_nothing() {
    let setup = setup().await;
    let function = setup.launch(TABLE).await;
    let username = "ignored-user";
    setup.user(username).await;
    let at = now() - 60;
    let mut failed = sample("failed-call", &setup.pool, username, at);
    failed["detail"]["errorCode"] = json!("NotAuthorizedException");
    let other_pool = {
        let mut event = sample("other-pool", &setup.pool, username, at);
        event["detail"]["requestParameters"]["userPoolId"] = json!("us-east-1_OtherPool");
        event
    };
    for (label, event) in [("failed call", failed), ("other pool", other_pool)] {
        let answer = function.respond(event).await;
        assert_eq!(answer["result"], "ignored", "{label}: {answer}");
    }
    // A user that does not exist (deleted before the lookup), named by a
    // username that is not a sub: the invocation fails, so the on-failure
    // destination keeps the event.
    let gone = function
        .invoke(sample("admin-delete-user", &setup.pool, "nobody-here", at))
        .await
        .error();
    assert_eq!(gone.error_type, "UserGone", "{gone:?}");
    assert!(!gone.error_message.contains("nobody-here"), "{gone:?}");
    // Named by a sub-shaped username: recorded as that sub.
    let uuid = "5c2b1e0a-0000-4000-8000-0000000000aa";
    let answer = function
        .respond(sample("admin-delete-user", &setup.pool, uuid, at))
        .await;
    assert_eq!(answer["result"], "recorded", "{answer}");
    assert_eq!(count(&setup.dynamodb, TABLE).await, 1);
    // Not an event at all.
    let malformed = function
        .invoke(json!({"detail-type": DETAIL_TYPE, "source": "aws.cognito-idp"}))
        .await
        .error();
    assert_eq!(malformed.error_type, "MalformedEvent");
    assert_no_username_logged(&function, "nobody-here");
}

const DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_down_fails_the_invocation() {
    let mut setup = setup().await;
    let username = "store-down";
    setup.user(username).await;
    let mut event = sample("admin-disable-user", &setup.pool, username, now() - 60);
    // The sub is in the record, so no lookup precedes the write: the
    // failure below is the store's.
    event["detail"]["additionalEventData"] = json!({"sub": "5c2b1e0a-0000-4000-8000-0000000000bb"});

    let missing_table = setup.launch("no-such-table").await;
    let error = missing_table.invoke(event.clone()).await.error();
    assert_eq!(error.error_type, "TableNotFound", "{error:?}");

    let function = setup.launch(TABLE).await;
    setup.moto.stop();
    let error = function.invoke(event).await.error();
    assert!(
        ["AwsUnreachable", "AwsTimeout"].contains(&error.error_type.as_str()),
        "{error:?}"
    );
}

fn assert_no_username_logged(function: &Function, username: &str) {
    for line in function.logs() {
        assert!(
            !line.contains(username),
            "a username reached the logs: {line}"
        );
    }
}
