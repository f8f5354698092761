//! The post-confirmation trigger, end to end: the real binary, driven through
//! the Runtime API harness, calling a real moto server through the real AWS
//! SDK. Every test creates its own moto server and resources (a pool, a
//! group, a user, a table with partition key `sub` (S)), and asserts what
//! moto holds afterwards through the SDK.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use e2e_tests::events;
use e2e_tests::loopback::SilentEndpoint;
use e2e_tests::moto::{Moto, free_port};
use e2e_tests::runtime_api::{ErrorReport, Function, Launch};
use serde_json::{Value, json};

/// What the user sees when provisioning fails (Cognito shows it as
/// `PostConfirmation failed with error <message>.`).
const USER_MESSAGE: &str =
    "We could not finish setting up your account. Please try signing in again.";

/// Cognito waits this long for a trigger, cold start included.
const COGNITO_BUDGET: Duration = Duration::from_secs(5);

const GROUP: &str = "members";
const TABLE: &str = "users";

// ---- Helpers (local to this file) ---------------------------------------------

/// A moto server with a pool, a group, a confirmed-looking user and a table.
struct World {
    moto: Moto,
    pool_id: String,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl World {
    /// Starts moto and creates a pool; the group and the table only when
    /// asked, so tests can leave either missing.
    async fn start(group: bool, table: bool) -> World {
        let moto = Moto::start();
        let cognito = moto.cognito().await;
        let dynamodb = moto.dynamodb().await;
        let pool_id = e2e_tests::moto::create_user_pool(&cognito, "post-confirmation-e2e").await;
        let world = World {
            moto,
            pool_id,
            cognito,
            dynamodb,
        };
        if group {
            e2e_tests::moto::create_group(&world.cognito, &world.pool_id, GROUP).await;
        }
        if table {
            e2e_tests::moto::create_profile_table(&world.dynamodb, TABLE).await;
        }
        world
    }

    /// Creates `user_name` in the pool and returns the `sub` moto gave it.
    async fn create_user(&self, user_name: &str) -> String {
        self.cognito
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(user_name)
            .user_attributes(e2e_tests::moto::user_attribute(
                "email",
                format!("{}@example.com", user_name.to_lowercase()),
            ))
            .send()
            .await
            .expect("create the user");
        let user = self
            .cognito
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(user_name)
            .send()
            .await
            .expect("get the user");
        user.user_attributes()
            .iter()
            .find(|attribute| attribute.name() == "sub")
            .and_then(|attribute| attribute.value())
            .expect("moto gives every user a sub")
            .to_owned()
    }

    /// The function, launched against this moto with `env`.
    async fn launch(&self, env: &[(&str, &str)]) -> Function {
        Launch::new("post-confirmation")
            .envs(self.moto.env())
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            .start()
            .await
    }

    async fn groups_of(&self, user_name: &str) -> Vec<String> {
        self.cognito
            .admin_list_groups_for_user()
            .user_pool_id(&self.pool_id)
            .username(user_name)
            .send()
            .await
            .expect("list the user's groups")
            .groups()
            .iter()
            .filter_map(|group| group.group_name().map(str::to_owned))
            .collect()
    }

    async fn item(&self, sub: &str) -> Option<std::collections::HashMap<String, AttributeValue>> {
        self.dynamodb
            .get_item()
            .table_name(TABLE)
            .key("sub", AttributeValue::S(sub.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("get the item")
            .item()
            .cloned()
    }

    async fn item_count(&self) -> i32 {
        self.dynamodb
            .scan()
            .table_name(TABLE)
            .send()
            .await
            .expect("scan the table")
            .count()
    }

    /// A sample event, aimed at this pool and at the user `sub`.
    fn event(&self, sample_name: &str, user_name: &str, sub: &str) -> Value {
        let mut event = sample(sample_name);
        event["userPoolId"] = json!(self.pool_id);
        event["userName"] = json!(user_name);
        event["request"]["userAttributes"]["sub"] = json!(sub);
        event
    }
}

/// `events/post-confirmation/<name>.json`.
fn sample(name: &str) -> Value {
    events::sample("post-confirmation", name)
}

fn text(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(value)) => value.clone(),
        other => panic!("`{name}` is not a string attribute: {other:?}"),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn assert_rfc3339_utc_millis(value: &str) {
    let bytes = value.as_bytes();
    let shape_ok = bytes.len() == 24
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            10 => *byte == b'T',
            13 | 16 => *byte == b':',
            19 => *byte == b'.',
            23 => *byte == b'Z',
            _ => byte.is_ascii_digit(),
        });
    assert!(
        shape_ok,
        "created_at {value:?} is not RFC 3339 UTC with milliseconds"
    );
}

/// Waits until `count` printed lines satisfy `matches`. Output is read
/// asynchronously, so a line printed before a response may arrive after it.
async fn wait_for_lines(function: &Function, matches: impl Fn(&str) -> bool, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while function.logs().iter().filter(|line| matches(line)).count() < count {
        assert!(
            Instant::now() < deadline,
            "fewer than {count} matching lines; output:\n{}",
            function.logs().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---- Provisioning ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_sign_up_gets_one_item_and_one_membership() {
    let world = World::start(true, true).await;
    let sub = world.create_user("alice").await;
    let function = world
        .launch(&[
            ("DEFAULT_GROUP", GROUP),
            ("USERS_TABLE", TABLE),
            (
                "PROFILE_ATTRIBUTES",
                "given_name,family_name,locale,zoneinfo",
            ),
        ])
        .await;
    let event = world.event("confirm-sign-up", "alice", &sub);

    let response = function.invoke(event.clone()).await.response();

    assert_eq!(response, event, "the event comes back whole and unchanged");
    assert_eq!(world.groups_of("alice").await, [GROUP]);
    assert_eq!(world.item_count().await, 1);
    let item = world.item(&sub).await.expect("the profile item exists");
    assert_eq!(text(&item, "sub"), sub);
    assert_eq!(text(&item, "username"), "alice");
    assert_eq!(text(&item, "email"), "alice@example.com");
    assert_eq!(
        item.get("email_verified"),
        Some(&AttributeValue::Bool(true))
    );
    assert_eq!(text(&item, "given_name"), "Alice");
    assert_eq!(text(&item, "family_name"), "Example");
    assert_eq!(text(&item, "locale"), "en-GB");
    assert_eq!(text(&item, "client_id"), "1example23456789abcdefghij");
    assert_rfc3339_utc_millis(&text(&item, "created_at"));
    // Listed but absent from the event (zoneinfo), or present but not listed
    // (cognito:user_status): not written.
    let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "client_id",
            "created_at",
            "email",
            "email_verified",
            "family_name",
            "given_name",
            "locale",
            "sub",
            "username"
        ]
    );
    // The logs identify the user by userName and sub, never by email.
    let line = function.wait_for_log_containing("user provisioned").await;
    assert!(line.contains(&sub) && line.contains("alice"), "{line}");
    for line in function.logs() {
        assert!(
            !line.contains("alice@example.com"),
            "an email address was logged: {line}"
        );
        // The default level (no RUST_LOG, no AWS_LAMBDA_LOG_LEVEL) logs
        // none of the SDK's DEBUG lines about its two calls.
        assert!(
            !line.contains(r#""level":"DEBUG""#),
            "a DEBUG line at the default level: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_three_times_leaves_one_item_and_its_first_created_at() {
    let world = World::start(true, true).await;
    let sub = world.create_user("alice").await;
    let function = world
        .launch(&[("DEFAULT_GROUP", GROUP), ("USERS_TABLE", TABLE)])
        .await;
    let event = world.event("confirm-sign-up", "alice", &sub);

    assert_eq!(function.invoke(event.clone()).await.response(), event);
    let first = text(&world.item(&sub).await.expect("item"), "created_at");
    for _ in 0..2 {
        // created_at has millisecond precision: an overwrite would change it.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(function.invoke(event.clone()).await.response(), event);
    }

    assert_eq!(world.item_count().await, 1);
    assert_eq!(
        text(&world.item(&sub).await.expect("item"), "created_at"),
        first
    );
    assert_eq!(world.groups_of("alice").await, [GROUP]);
    // The replays went through the conditional write's "already there" path.
    let replays = |line: &str| {
        line.contains("user provisioned") && line.contains(r#""profile":"already_existed""#)
    };
    wait_for_lines(&function, replays, 2).await;
    assert_eq!(
        function.logs().iter().filter(|line| replays(line)).count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_federated_first_sign_in_is_provisioned_the_same_way() {
    let world = World::start(true, true).await;
    let user_name = "Google_104857363459012345678";
    let sub = world.create_user(user_name).await;
    let function = world
        .launch(&[
            ("DEFAULT_GROUP", GROUP),
            ("USERS_TABLE", TABLE),
            ("PROFILE_ATTRIBUTES", "given_name,identities"),
        ])
        .await;
    let event = world.event("confirm-sign-up-federated", user_name, &sub);

    assert_eq!(function.invoke(event.clone()).await.response(), event);

    assert_eq!(world.groups_of(user_name).await, [GROUP]);
    let item = world.item(&sub).await.expect("item");
    assert_eq!(text(&item, "username"), user_name);
    assert_eq!(
        item.get("email_verified"),
        Some(&AttributeValue::Bool(false))
    );
    assert_eq!(text(&item, "given_name"), "Bob");
    assert!(text(&item, "identities").contains("\"providerName\":\"Google\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_password_reset_writes_nothing() {
    let world = World::start(true, true).await;
    let sub = world.create_user("alice").await;
    let function = world
        .launch(&[("DEFAULT_GROUP", GROUP), ("USERS_TABLE", TABLE)])
        .await;
    let event = world.event("confirm-forgot-password", "alice", &sub);

    assert_eq!(function.invoke(event.clone()).await.response(), event);

    assert_eq!(world.item_count().await, 0);
    assert!(world.groups_of("alice").await.is_empty());
    function
        .wait_for_log_containing("password reset confirmed")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_group_or_table_the_event_returns_and_nothing_is_called() {
    // Every AWS endpoint is a listener that counts connections.
    let endpoint = SilentEndpoint::start().await;
    let function = Launch::new("post-confirmation")
        .env("AWS_ENDPOINT_URL", endpoint.url())
        .env("PROFILE_ATTRIBUTES", "given_name")
        .start()
        .await;
    for name in ["confirm-sign-up", "confirm-sign-up-federated"] {
        let event = sample(name);
        assert_eq!(function.invoke(event.clone()).await.response(), event);
    }
    assert_eq!(endpoint.connections(), 0, "an AWS call was made");
    function
        .wait_for_log_containing("nothing to provision")
        .await;
}

// ---- Failures -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_a_clear_error() {
    let world = World::start(true, false).await;
    let sub = world.create_user("alice").await;
    let function = world.launch(&[("USERS_TABLE", "no-such-table")]).await;

    let error = function
        .invoke(world.event("confirm-sign-up", "alice", &sub))
        .await
        .error();

    assert_eq!(error.error_type, "TableNotFound");
    assert_eq!(error.error_message, USER_MESSAGE);
    let line = function
        .wait_for_log_containing("provisioning failed")
        .await;
    assert!(
        line.contains("table `no-such-table` does not exist"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_group_is_a_clear_error_and_is_never_created() {
    let world = World::start(false, true).await;
    let sub = world.create_user("alice").await;
    let function = world
        .launch(&[("DEFAULT_GROUP", "no-such-group"), ("USERS_TABLE", TABLE)])
        .await;

    let error = function
        .invoke(world.event("confirm-sign-up", "alice", &sub))
        .await
        .error();

    assert_eq!(error.error_type, "GroupNotFound");
    assert_eq!(error.error_message, USER_MESSAGE);
    let line = function
        .wait_for_log_containing("provisioning failed")
        .await;
    assert!(
        line.contains("group `no-such-group` does not exist in user pool")
            && line.contains(&world.pool_id),
        "{line}"
    );
    let groups = world
        .cognito
        .list_groups()
        .user_pool_id(&world.pool_id)
        .send()
        .await
        .expect("list groups");
    assert!(groups.groups().is_empty(), "a group was created");
    // The two calls run concurrently and each is idempotent: the profile was
    // written, and a re-drive after the group is created completes the rest.
    assert_eq!(world.item_count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_is_a_clear_error() {
    let world = World::start(true, false).await;
    let function = world.launch(&[("DEFAULT_GROUP", GROUP)]).await;

    let error = function
        .invoke(world.event("confirm-sign-up", "nobody", "sub-of-nobody"))
        .await
        .error();

    assert_eq!(error.error_type, "UserNotFound");
    assert_eq!(error.error_message, USER_MESSAGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_endpoint_fails_within_the_cognito_budget() {
    let mut world = World::start(true, true).await;
    let sub = world.create_user("alice").await;
    let function = world
        .launch(&[("DEFAULT_GROUP", GROUP), ("USERS_TABLE", TABLE)])
        .await;
    let event = world.event("confirm-sign-up", "alice", &sub);
    world.moto.stop();

    let (error, elapsed) = timed_error(&function, event).await;

    assert_eq!(error.error_type, "AwsUnreachable");
    assert_eq!(error.error_message, USER_MESSAGE);
    assert!(
        elapsed < COGNITO_BUDGET,
        "the error took {elapsed:?}, beyond Cognito's {COGNITO_BUDGET:?}"
    );
}

/// The function with both provisioning steps on, against `endpoint`, with
/// the budgets it deploys with (the subject of the tests that use it).
async fn provisioning_against(endpoint: String) -> Function {
    Launch::new("post-confirmation")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("DEFAULT_GROUP", GROUP)
        .env("USERS_TABLE", TABLE)
        .deployed_budgets()
        .start()
        .await
}

/// Invokes `function` with `event`, expecting an error: the error and how
/// long it took.
async fn timed_error(function: &Function, event: Value) -> (ErrorReport, Duration) {
    let started = Instant::now();
    let error = function.invoke(event).await.error();
    let elapsed = started.elapsed();
    eprintln!("error after {elapsed:?}");
    (error, elapsed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_fails_within_the_cognito_budget() {
    let port = free_port();
    let function = provisioning_against(format!("http://127.0.0.1:{port}")).await;
    let (error, elapsed) = timed_error(&function, sample("confirm-sign-up")).await;

    assert_eq!(error.error_type, "AwsUnreachable");
    assert!(elapsed < COGNITO_BUDGET, "the error took {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_endpoint_times_out_within_the_cognito_budget() {
    // Connections are accepted and never answered: only the SDK's timeouts
    // end the call, so this is what keeps a hung endpoint inside 5 s.
    let endpoint = SilentEndpoint::start().await;
    let function = provisioning_against(endpoint.url()).await;
    let (error, elapsed) = timed_error(&function, sample("confirm-sign-up")).await;

    assert_eq!(error.error_type, "AwsTimeout");
    assert_eq!(error.error_message, USER_MESSAGE);
    assert!(elapsed < COGNITO_BUDGET, "the error took {elapsed:?}");
    // Both calls were attempted, concurrently, and retried.
    assert!(
        endpoint.connections() >= 2,
        "{} connections",
        endpoint.connections()
    );
    let line = function
        .wait_for_log(|line| line.contains("provisioning failed") && line.contains("PutItem"))
        .await;
    assert!(line.contains("PutItem gave no answer in time"), "{line}");
}

// ---- Configuration and samples ------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_fails_the_cold_start() {
    for (variable, value) in [
        ("DEFAULT_GROUP", "two words"),
        ("USERS_TABLE", "no/slashes"),
        ("PROFILE_ATTRIBUTES", "given_name,givenname"),
        ("PROFILE_ATTRIBUTES", "email"),
        ("AWS_CALL_TIMEOUT_MS", "6000"),
        ("AWS_MAX_ATTEMPTS", "0"),
    ] {
        let mut function = Launch::new("post-confirmation")
            .env(variable, value)
            .start()
            .await;
        let report = function.init_error().await;
        assert_eq!(report.error_type, "ConfigError", "{variable}={value}");
        assert!(
            report.error_message.starts_with(&format!("{variable}: ")),
            "{variable}={value}: {}",
            report.error_message
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_round_trips_through_the_binary() {
    let function = Launch::new("post-confirmation").start().await;
    let dir = events::events_dir("post-confirmation");
    let mut count = 0;
    for path in events::json_files(&dir) {
        let event = events::read_json(&path);
        let returned = function.invoke(event.clone()).await.response();
        // Post confirmation sets no response field, so the whole event,
        // `response` included, must come back exactly as sent.
        assert_eq!(returned, event, "{}", path.display());
        count += 1;
    }
    assert!(count >= 3, "only {count} samples in {}", dir.display());
}
