//! The sign-in triggers, end to end: the real pre-authentication and
//! post-authentication binaries, driven through the Runtime API harness,
//! calling a real moto server (DynamoDB and the Cognito user-pool API)
//! through the real AWS SDK. Each test creates its own moto server, pool,
//! groups, users and profile table, and asserts what moto holds afterwards.
//!
//! No time is asserted: that an unknown user costs the same calls as a known
//! one is shown by the calls made (the summary line's `standing` and
//! `client_groups`), not by a stopwatch.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use e2e_tests::events;
use e2e_tests::moto::Moto;
use e2e_tests::runtime_api::{Function, Launch};
use serde_json::{Value, json};

/// What Cognito shows for every refusal: `PreAuthentication failed with
/// error Sign-in could not be completed.`
const REFUSED: &str = "Sign-in could not be completed";
const TABLE: &str = "users";
const WEB_CLIENT: &str = "1example23456789abcdefghij";
const ADMIN_CLIENT: &str = "2example23456789adminconsole";

struct World {
    moto: Moto,
    pool_id: String,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl World {
    /// moto with a pool, an `admins` group and the profile table.
    async fn start() -> World {
        let moto = Moto::start();
        let cognito = moto.cognito().await;
        let dynamodb = moto.dynamodb().await;
        let pool_id = e2e_tests::moto::create_user_pool(&cognito, "sign-in-e2e").await;
        e2e_tests::moto::create_group(&cognito, &pool_id, "admins").await;
        e2e_tests::moto::create_profile_table(&dynamodb, TABLE).await;
        World {
            moto,
            pool_id,
            cognito,
            dynamodb,
        }
    }

    /// Creates `user_name` (in `admins` when asked) and returns its `sub`.
    async fn user(&self, user_name: &str, admin: bool) -> String {
        self.cognito
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(user_name)
            .send()
            .await
            .expect("create the user");
        if admin {
            self.cognito
                .admin_add_user_to_group()
                .user_pool_id(&self.pool_id)
                .username(user_name)
                .group_name("admins")
                .send()
                .await
                .expect("add to admins");
        }
        self.cognito
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(user_name)
            .send()
            .await
            .expect("get the user")
            .user_attributes()
            .iter()
            .find(|attribute| attribute.name() == "sub")
            .and_then(|attribute| attribute.value())
            .expect("a sub")
            .to_owned()
    }

    async fn profile(&self, sub: &str, status: &str) {
        e2e_tests::moto::put_profile(
            &self.dynamodb,
            TABLE,
            sub,
            &[("username", "someone"), ("status", status)],
        )
        .await;
    }

    async fn launch(&self, binary: &str, env: &[(&str, &str)]) -> Function {
        Launch::new(binary)
            .envs(self.moto.env())
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            .start()
            .await
    }

    /// `events/<function>/<sample>.json`, aimed at this pool, `user_name`,
    /// `sub` and `client`.
    fn event(
        &self,
        function: &str,
        sample: &str,
        user_name: &str,
        sub: &str,
        client: &str,
    ) -> Value {
        let mut event = events::sample(function, sample);
        event["userPoolId"] = json!(self.pool_id);
        event["userName"] = json!(user_name);
        event["callerContext"]["clientId"] = json!(client);
        event["request"]["userAttributes"]["sub"] = json!(sub);
        event
    }

    fn unknown(&self, client: &str) -> Value {
        let mut event = events::sample("pre-authentication", "user-not-found");
        event["userPoolId"] = json!(self.pool_id);
        event["userName"] = json!("nobody-at-all");
        event["callerContext"]["clientId"] = json!(client);
        event
    }

    async fn item(&self, sub: &str) -> Option<HashMap<String, AttributeValue>> {
        self.dynamodb
            .get_item()
            .table_name(TABLE)
            .key("sub", AttributeValue::S(sub.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("get the item")
            .item
    }
}

const SUSPENSION: &[(&str, &str)] = &[
    ("USERS_TABLE", TABLE),
    ("SUSPENDED_ATTRIBUTE", "status"),
    ("SUSPENDED_VALUES", "suspended,banned"),
];

fn with_client_groups(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env = SUSPENSION.to_vec();
    env.push((
        "CLIENT_GROUPS",
        r#"{"2example23456789adminconsole":["admins"]}"#,
    ));
    env.extend_from_slice(extra);
    env
}

// ---- Pre authentication -------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_user_is_refused_and_others_go_on() {
    let world = World::start().await;
    let alice = world.user("alice", false).await;
    let mallory = world.user("mallory", false).await;
    let banned = world.user("bob", false).await;
    let newcomer = world.user("carol", false).await;
    world.profile(&alice, "active").await;
    world.profile(&mallory, "suspended").await;
    world.profile(&banned, "banned").await;
    let function = world.launch("pre-authentication", SUSPENSION).await;

    for (user_name, sub) in [("alice", &alice), ("carol", &newcomer)] {
        let event = world.event(
            "pre-authentication",
            "authentication",
            user_name,
            sub,
            WEB_CLIENT,
        );
        assert_eq!(
            function.invoke(event.clone()).await.response(),
            event,
            "{user_name} goes on, the event whole"
        );
    }
    for (user_name, sub) in [("mallory", &mallory), ("bob", &banned)] {
        let event = world.event(
            "pre-authentication",
            "authentication",
            user_name,
            sub,
            WEB_CLIENT,
        );
        let error = function.invoke(event).await.error();
        assert_eq!(error.error_type, "SignInRefused", "{user_name}");
        assert_eq!(error.error_message, REFUSED, "{user_name}");
    }
    let line = function.wait_for_log_containing("sign-in refused").await;
    assert!(
        line.contains(r#""reason":"suspended""#) && line.contains("WARN"),
        "{line}"
    );
    // A suspension written a moment ago refuses the next sign-in (the read
    // is strongly consistent).
    world.profile(&alice, "suspended").await;
    let event = world.event(
        "pre-authentication",
        "authentication",
        "alice",
        &alice,
        WEB_CLIENT,
    );
    assert_eq!(function.invoke(event).await.error().error_message, REFUSED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_kept_for_a_group_admits_its_members_only() {
    let world = World::start().await;
    let adam = world.user("adam", true).await;
    let alice = world.user("alice", false).await;
    let function = world
        .launch(
            "pre-authentication",
            &[(
                "CLIENT_GROUPS",
                r#"{"2example23456789adminconsole":["admins"]}"#,
            )],
        )
        .await;

    let admin = world.event(
        "pre-authentication",
        "admin-console-client",
        "adam",
        &adam,
        ADMIN_CLIENT,
    );
    assert_eq!(function.invoke(admin.clone()).await.response(), admin);
    let kept_out = world.event(
        "pre-authentication",
        "admin-console-client",
        "alice",
        &alice,
        ADMIN_CLIENT,
    );
    let error = function.invoke(kept_out).await.error();
    assert_eq!(
        (error.error_type.as_str(), error.error_message.as_str()),
        ("SignInRefused", REFUSED)
    );
    // Any other client is open to every user.
    let web = world.event(
        "pre-authentication",
        "authentication",
        "alice",
        &alice,
        WEB_CLIENT,
    );
    assert_eq!(function.invoke(web.clone()).await.response(), web);
    function
        .wait_for_log(|line| line.contains(r#""reason":"not_in_client_groups""#))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_gets_the_answer_of_the_common_user_after_the_same_calls() {
    let world = World::start().await;
    let alice = world.user("alice", false).await;
    let mallory = world.user("mallory", false).await;
    world.profile(&alice, "active").await;
    world.profile(&mallory, "suspended").await;
    let function = world
        .launch("pre-authentication", &with_client_groups(&[]))
        .await;

    // The web client: an unknown user goes on to Cognito's own "Incorrect
    // username or password", as an active user with a wrong password does.
    let unknown = world.unknown(WEB_CLIENT);
    assert_eq!(function.invoke(unknown.clone()).await.response(), unknown);
    let active = world.event(
        "pre-authentication",
        "authentication",
        "alice",
        &alice,
        WEB_CLIENT,
    );
    assert_eq!(function.invoke(active.clone()).await.response(), active);
    // The kept client: an unknown user is refused exactly as a user outside
    // the group is, and as a suspended one is.
    let mut answers = Vec::new();
    for event in [
        world.unknown(ADMIN_CLIENT),
        world.event(
            "pre-authentication",
            "admin-console-client",
            "alice",
            &alice,
            ADMIN_CLIENT,
        ),
        world.event(
            "pre-authentication",
            "admin-console-client",
            "mallory",
            &mallory,
            ADMIN_CLIENT,
        ),
    ] {
        let error = function.invoke(event).await.error();
        answers.push((error.error_type, error.error_message));
    }
    assert!(
        answers
            .iter()
            .all(|answer| *answer == ("SignInRefused".to_owned(), REFUSED.to_owned())),
        "{answers:?}"
    );
    // The same calls were made for the unknown user: a read of the profile
    // (on a key no item has) and of the groups (which moto answers with
    // UserNotFoundException).
    let unknown_lines: Vec<String> = function
        .logs()
        .into_iter()
        .filter(|line| line.contains(r#""user_not_found":true"#))
        .collect();
    assert_eq!(unknown_lines.len(), 2, "{unknown_lines:?}");
    assert!(
        unknown_lines[0].contains(r#""standing":"no_item""#)
            && unknown_lines[0].contains(r#""client_groups":"not_checked""#),
        "{}",
        unknown_lines[0]
    );
    assert!(
        unknown_lines[1].contains(r#""standing":"no_item""#)
            && unknown_lines[1].contains(r#""client_groups":"not_member""#),
        "{}",
        unknown_lines[1]
    );
    // What was typed is never logged for an unknown user.
    for line in function.logs() {
        assert!(
            !line.contains("nobody-at-all"),
            "the typed name was logged: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_down_refuses_everyone_alike_by_default() {
    let mut world = World::start().await;
    let alice = world.user("alice", false).await;
    world.profile(&alice, "active").await;
    let function = world.launch("pre-authentication", SUSPENSION).await;
    world.moto.stop();

    for event in [
        world.event(
            "pre-authentication",
            "authentication",
            "alice",
            &alice,
            WEB_CLIENT,
        ),
        world.unknown(WEB_CLIENT),
    ] {
        let error = function.invoke(event).await.error();
        assert_eq!(error.error_type, "AwsUnreachable");
        assert_eq!(error.error_message, REFUSED, "the message of a refusal");
    }
    let line = function
        .wait_for_log_containing("a sign-in check could not read")
        .await;
    assert!(
        line.contains(r#""outcome":"sign_in_refused""#) && line.contains("ERROR"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_down_lets_sign_ins_through_when_configured_so() {
    let mut world = World::start().await;
    let alice = world.user("alice", false).await;
    let function = world
        .launch(
            "pre-authentication",
            &[SUSPENSION, &[("PROFILE_READ_FAILURE", "allow")]].concat(),
        )
        .await;
    world.moto.stop();

    let event = world.event(
        "pre-authentication",
        "authentication",
        "alice",
        &alice,
        WEB_CLIENT,
    );
    assert_eq!(function.invoke(event.clone()).await.response(), event);
    let line = function
        .wait_for_log_containing("a sign-in check could not read")
        .await;
    assert!(
        line.contains(r#""outcome":"sign_in_allowed_unchecked""#),
        "{line}"
    );
    function
        .wait_for_log(|line| {
            line.contains(r#""SignInChecks""#) && line.contains(r#""Reason":"read_failed""#)
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_authentication_bad_configuration_fails_the_cold_start() {
    for (pairs, variable) in [
        (
            &[("SUSPENDED_ATTRIBUTE", "status"), ("SUSPENDED_VALUES", "x")][..],
            "USERS_TABLE",
        ),
        (
            &[("SUSPENDED_ATTRIBUTE", "status"), ("USERS_TABLE", TABLE)][..],
            "SUSPENDED_VALUES",
        ),
        (
            &[("CLIENT_GROUPS", r#"{"c1":["a"],"c1":["b"]}"#)][..],
            "CLIENT_GROUPS",
        ),
        (
            &[("PROFILE_READ_FAILURE", "ignore")][..],
            "PROFILE_READ_FAILURE",
        ),
    ] {
        let mut function = Launch::new("pre-authentication")
            .envs(pairs.iter().copied())
            .start()
            .await;
        let report = function.init_error().await;
        assert_eq!(report.error_type, "ConfigError");
        assert!(
            report.error_message.starts_with(&format!("{variable}: ")),
            "{pairs:?}: {}",
            report.error_message
        );
    }
}

// ---- Post authentication ------------------------------------------------------

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value.clone(),
        other => panic!("`{name}` is not a number: {other:?}"),
    }
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(value)) => value.clone(),
        other => panic!("`{name}` is not a string: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sign_in_updates_the_profile_item_once() {
    let world = World::start().await;
    let alice = world.user("alice", false).await;
    world.profile(&alice, "active").await;
    let function = world
        .launch(
            "post-authentication",
            &[
                ("RECORD_SIGN_INS", "true"),
                ("USERS_TABLE", TABLE),
                ("SIGN_IN_METRIC_CLIENTS", WEB_CLIENT),
            ],
        )
        .await;

    let event = world.event(
        "post-authentication",
        "authentication",
        "alice",
        &alice,
        WEB_CLIENT,
    );
    assert_eq!(function.invoke(event.clone()).await.response(), event);
    let first = world.item(&alice).await.expect("the item");
    assert_eq!(number(&first, "sign_in_count"), "1");
    let mut second = world.event(
        "post-authentication",
        "new-device-with-client-metadata",
        "alice",
        &alice,
        ADMIN_CLIENT,
    );
    second["request"]["userAttributes"]["sub"] = json!(alice);
    assert_eq!(function.invoke(second.clone()).await.response(), second);

    let item = world.item(&alice).await.expect("the item");
    assert_eq!(number(&item, "sign_in_count"), "2");
    assert_eq!(text(&item, "last_sign_in_client"), ADMIN_CLIENT);
    let at = text(&item, "last_sign_in_at");
    assert!(
        at.len() == 24 && at.ends_with('Z') && at >= text(&first, "last_sign_in_at"),
        "{at}"
    );
    // Everything else on the item is kept.
    assert_eq!(text(&item, "status"), "active");
    assert_eq!(text(&item, "username"), "someone");
    // SignIns by client: the listed one by id, the other as `other`.
    for client in [WEB_CLIENT, "other"] {
        function
            .wait_for_log(|line| {
                line.contains(r#""SignIns""#) && line.contains(&format!(r#""Client":"{client}""#))
            })
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_a_profile_item_gets_none_created() {
    let world = World::start().await;
    let carol = world.user("carol", false).await;
    let function = world
        .launch(
            "post-authentication",
            &[("RECORD_SIGN_INS", "true"), ("USERS_TABLE", TABLE)],
        )
        .await;
    let event = world.event(
        "post-authentication",
        "authentication",
        "carol",
        &carol,
        WEB_CLIENT,
    );
    assert_eq!(function.invoke(event.clone()).await.response(), event);
    assert!(world.item(&carol).await.is_none(), "an item was created");
    function
        .wait_for_log(|line| {
            line.contains(r#""SignInRecords""#) && line.contains(r#""Result":"no_item""#)
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_down_never_fails_the_sign_in() {
    let mut world = World::start().await;
    let alice = world.user("alice", false).await;
    let function = world
        .launch(
            "post-authentication",
            &[("RECORD_SIGN_INS", "true"), ("USERS_TABLE", TABLE)],
        )
        .await;
    world.moto.stop();

    let event = world.event(
        "post-authentication",
        "authentication",
        "alice",
        &alice,
        WEB_CLIENT,
    );
    assert_eq!(function.invoke(event.clone()).await.response(), event);
    let line = function
        .wait_for_log_containing("recording the sign-in failed")
        .await;
    assert!(line.contains(r#""error_type":"AwsUnreachable""#), "{line}");
    function
        .wait_for_log(|line| {
            line.contains(r#""SignInRecords""#) && line.contains(r#""Result":"failed""#)
        })
        .await;
}

// ---- Both: the samples ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_round_trips_through_both_binaries() {
    for function in ["pre-authentication", "post-authentication"] {
        let binary = Launch::new(function).start().await;
        let dir = events::events_dir(function);
        let mut count = 0;
        for path in events::json_files(&dir) {
            let event = events::read_json(&path);
            // Neither trigger sets a response field: the event comes back
            // exactly as sent.
            assert_eq!(
                binary.invoke(event.clone()).await.response(),
                event,
                "{}",
                path.display()
            );
            count += 1;
        }
        assert!(count >= 3, "only {count} samples in {}", dir.display());
    }
}
