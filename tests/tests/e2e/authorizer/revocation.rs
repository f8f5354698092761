//! The revocation check (#25): the authorizer reads moto's DynamoDB, the
//! table created as the template creates it, and refuses revoked users,
//! sessions and clients; what it read and cached is proven through its EMF
//! lines, not trusted.

use super::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use e2e_tests::moto::{Moto, create_revocation_table, free_port};
use e2e_tests::tokens::now;

const TABLE: &str = "revocations";

/// moto with the revocation table, and a client to write it.
struct Store {
    moto: Moto,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl Store {
    async fn start() -> Store {
        let moto = Moto::start();
        let dynamodb = moto.dynamodb().await;
        create_revocation_table(&dynamodb, TABLE).await;
        Store { moto, dynamodb }
    }

    /// The authorizer checking this store.
    fn launch(&self) -> Launch {
        launch()
            .envs(self.moto.env())
            .env("REVOCATION_TABLE", TABLE)
    }

    /// Writes an item as the recorder does (`pk`, `not_before`,
    /// `expires_at`, `reason`, `recorded_at`).
    async fn revoke(&self, key: &str, not_before: u64) {
        self.put(
            key,
            AttributeValue::N(not_before.to_string()),
            &[("reason", AttributeValue::S("manual".into()))],
        )
        .await;
    }

    async fn put(&self, key: &str, not_before: AttributeValue, extra: &[(&str, AttributeValue)]) {
        let mut put = self
            .dynamodb
            .put_item()
            .table_name(TABLE)
            .item("pk", AttributeValue::S(key.to_owned()))
            .item("not_before", not_before)
            .item(
                "expires_at",
                AttributeValue::N((now() + 86_400).to_string()),
            )
            .item("recorded_at", AttributeValue::N(now().to_string()));
        for (name, value) in extra {
            put = put.item(*name, value.clone());
        }
        put.send()
            .await
            .unwrap_or_else(|err| panic!("write {key} to moto: {err}"));
    }
}

fn user_key(sub: &str) -> String {
    format!("user#{POOL}#{sub}")
}

fn bearer(token: &TokenBuilder) -> String {
    format!("Bearer {}", token.build())
}

/// Every EMF line of one invocation, once its `Decisions` line is in (an
/// invocation's lines are written in one write).
async fn emf_of(function: &Function, request_id: &str) -> Vec<Value> {
    function
        .wait_for_log(|line| line.contains(request_id) && line.contains("\"Decisions\""))
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    emf_lines(function)
        .into_iter()
        .filter(|line| line["requestId"] == request_id)
        .collect()
}

fn emf_lines(function: &Function) -> Vec<Value> {
    function
        .log_records()
        .into_iter()
        .filter(|line| line.get("_aws").is_some())
        .collect()
}

/// The value of `metric` on the line with these dimensions, if any.
fn metric(lines: &[Value], metric: &str, dimensions: &[(&str, &str)]) -> Option<f64> {
    lines
        .iter()
        .find(|line| {
            line.get(metric).is_some()
                && dimensions
                    .iter()
                    .all(|(key, value)| line[*key].as_str() == Some(*value))
        })
        .and_then(|line| line[metric].as_f64())
}

/// Asks, and returns the answer with the invocation's EMF lines.
async fn ask_with_metrics(
    function: &Function,
    shape: Shape,
    credential: &str,
) -> (Answer, Vec<Value>) {
    let (verb, path, route_key) = LIST_PETS;
    let invoked = function
        .invoke(shape.event(Some(credential), verb, path, route_key))
        .await;
    let request_id = invoked.request_id.clone();
    let answer = match invoked.outcome {
        Outcome::Error(report) => {
            assert_ne!(shape, Shape::Http2, "{report:?}");
            assert_eq!(
                (report.error_type.as_str(), report.error_message.as_str()),
                ("Unauthorized", "Unauthorized")
            );
            Answer::Unauthorized
        }
        Outcome::Response(answer) if shape == Shape::Http2 => Answer::Simple(answer),
        Outcome::Response(answer) => Answer::Policy(answer),
    };
    (answer, emf_of(function, &request_id).await)
}

fn passes(answer: &Answer) -> bool {
    answer.lets_through("GET", "/pets")
}

/// The log line of a refusal of `sub` for `reason`.
async fn refusal_line(function: &Function, sub: &str, reason: &str) -> Value {
    let line = function
        .wait_for_log(|line| line.contains(sub) && line.contains(&format!("\"{reason}\"")))
        .await;
    serde_json::from_str(&line).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_user_is_refused_from_the_boundary_second_and_others_pass() {
    let store = Store::start().await;
    let revoked_at = now() - 10;
    let user = access(&[]);
    let sub = sub_of(&user);
    store.revoke(&user_key(&sub), revoked_at).await;
    let function = store.launch().start().await;

    let at = |auth_time: u64| user.clone().claim("auth_time", auth_time);
    let iat_only = |iat: u64| user.clone().without_claim("auth_time").claim("iat", iat);
    let other = access(&[]);
    for shape in ALL_SHAPES {
        // auth_time decides, and the boundary second is refused.
        for (token, refused) in [
            (at(revoked_at - 5), true),
            (at(revoked_at), true),
            (at(revoked_at + 1), false),
            // No auth_time: iat decides.
            (iat_only(revoked_at), true),
            (iat_only(revoked_at + 1), false),
            // Another user.
            (other.clone(), false),
        ] {
            let (answer, metrics) = ask_with_metrics(&function, shape, &bearer(&token)).await;
            assert_eq!(!passes(&answer), refused, "{shape:?} {:?}", token.claims());
            if refused {
                assert!(matches!(
                    (&answer, shape),
                    (Answer::Unauthorized, _) | (Answer::Simple(_), Shape::Http2)
                ));
                assert_eq!(
                    metric(&metrics, "RevokedTokens", &[("Reason", "revoked_user")]),
                    Some(1.0)
                );
                assert_eq!(
                    metric(
                        &metrics,
                        "Decisions",
                        &[("Outcome", "unauthorized"), ("Reason", "revoked_user")]
                    ),
                    Some(1.0)
                );
                // A refusal, counted as an expired token is.
                assert_eq!(
                    metric(&metrics, "Refusals", &[]),
                    (shape != Shape::Http2).then_some(1.0)
                );
            } else {
                assert_eq!(metric(&metrics, "RevokedTokens", &[]), None);
            }
        }
    }
    let line = refusal_line(&function, &sub, "revoked_user").await;
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(line["revocation"], "user", "{line}");
    assert_eq!(line["sub"], sub.as_str(), "{line}");
    let token = at(revoked_at).build();
    for text in function.logs() {
        assert!(!text.contains(token.split('.').nth(2).unwrap()), "{text}");
    }
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_session_leaves_the_users_other_sessions_working() {
    let store = Store::start().await;
    let signed_out = access(&[]);
    let sub = sub_of(&signed_out);
    let other_session = signed_out.clone().claim("origin_jti", "another-session");
    let jti = signed_out.claims()["origin_jti"]
        .as_str()
        .unwrap()
        .to_owned();
    // Revoked later than the token was issued or not: a session is refused
    // whatever its times.
    store
        .revoke(&format!("session#{POOL}#{jti}"), now() - 3600)
        .await;
    let function = store.launch().start().await;
    for shape in [Shape::Http2, Shape::Request] {
        let (answer, metrics) = ask_with_metrics(&function, shape, &bearer(&signed_out)).await;
        assert!(!passes(&answer), "{shape:?}");
        assert_eq!(
            metric(&metrics, "RevokedTokens", &[("Reason", "revoked_session")]),
            Some(1.0)
        );
        let (answer, _) = ask_with_metrics(&function, shape, &bearer(&other_session)).await;
        assert!(passes(&answer), "{shape:?}: the other session");
    }
    let line = refusal_line(&function, &sub, "revoked_session").await;
    assert_eq!(line["revocation"], "session", "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_client_refuses_its_machine_tokens_issued_until_then() {
    let store = Store::start().await;
    let revoked_at = now() - 10;
    store
        .revoke(&format!("client#{POOL}#{CLIENT}"), revoked_at)
        .await;
    let function = store.launch().start().await;
    let machine =
        |iat: u64| TokenBuilder::client_credentials(POOL, CLIENT, &["pets/read"]).claim("iat", iat);
    for shape in [Shape::Token, Shape::Http2] {
        let (answer, metrics) =
            ask_with_metrics(&function, shape, &bearer(&machine(revoked_at))).await;
        assert!(!passes(&answer), "{shape:?}");
        assert_eq!(
            metric(&metrics, "RevokedTokens", &[("Reason", "revoked_client")]),
            Some(1.0)
        );
        let (answer, _) =
            ask_with_metrics(&function, shape, &bearer(&machine(revoked_at + 1))).await;
        assert!(
            passes(&answer),
            "{shape:?}: a token issued after the revocation"
        );
    }
    let line = refusal_line(&function, CLIENT, "revoked_client").await;
    assert_eq!(line["revocation"], "client", "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_is_seen_once_the_cached_answer_has_expired() {
    let store = Store::start().await;
    // Two seconds, not one: the second call below must land inside the
    // window on a loaded machine.
    let function = store
        .launch()
        .env("REVOCATION_CACHE_SECONDS", "2")
        .start()
        .await;
    for shape in [Shape::Http2, Shape::Token] {
        let user = access(&[]);
        let credential = bearer(&user);
        // Before the read starts: the window runs from there.
        let read_at = Instant::now();
        let (answer, metrics) = ask_with_metrics(&function, shape, &credential).await;
        assert!(passes(&answer));
        assert_eq!(
            metric(&metrics, "RevocationChecks", &[("Result", "read")]),
            Some(1.0)
        );
        store.revoke(&user_key(&sub_of(&user)), now()).await;
        let (answer, metrics) = ask_with_metrics(&function, shape, &credential).await;
        assert!(
            read_at.elapsed() < Duration::from_secs(2),
            "the machine is too slow for this test"
        );
        assert!(passes(&answer), "{shape:?}: the cached answer");
        assert_eq!(
            metric(&metrics, "RevocationChecks", &[("Result", "cached")]),
            Some(1.0)
        );
        // Refused once the window has passed, by a read.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (answer, metrics) = ask_with_metrics(&function, shape, &credential).await;
            if !passes(&answer) {
                assert_eq!(
                    metric(&metrics, "RevocationChecks", &[("Result", "read")]),
                    Some(1.0)
                );
                break;
            }
            assert!(Instant::now() < deadline, "{shape:?}: never refused");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_down_allows_by_default_and_cached_revocations_still_refuse() {
    let mut store = Store::start().await;
    let revoked = access(&[]);
    store.revoke(&user_key(&sub_of(&revoked)), now()).await;
    let function = store.launch().start().await;
    let (answer, _) = ask_with_metrics(&function, Shape::Http2, &bearer(&revoked)).await;
    assert!(!passes(&answer));
    store.moto.stop();

    // The revocation it read is still refused, from the cache.
    let (answer, metrics) = ask_with_metrics(&function, Shape::Token, &bearer(&revoked)).await;
    assert!(!passes(&answer));
    assert_eq!(
        metric(&metrics, "RevocationChecks", &[("Result", "cached")]),
        Some(1.0)
    );
    // A user it never read passes, with an ERROR line and a metric.
    for shape in [Shape::Http2, Shape::Token] {
        let user = access(&[]);
        let (answer, metrics) = ask_with_metrics(&function, shape, &bearer(&user)).await;
        assert!(passes(&answer), "{shape:?}");
        assert_eq!(
            metric(&metrics, "RevocationChecks", &[("Result", "failed")]),
            Some(1.0)
        );
        assert!(metric(&metrics, "RevocationReadLatency", &[("Result", "failed")]).is_some());
        let line = refusal_line(&function, &sub_of(&user), "revocation_unavailable").await;
        assert_eq!(line["level"], "ERROR", "{line}");
        assert_eq!(line["store_failure"], "allow", "{line}");
        assert_eq!(line["error"], "unreachable", "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_down_refuses_under_refuse_as_a_failure_not_a_refusal() {
    let function = launch()
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", free_port()),
        )
        .env("REVOCATION_TABLE", TABLE)
        .env("REVOCATION_STORE_FAILURE", "refuse")
        .start()
        .await;
    for shape in [Shape::Http2, Shape::Token, Shape::Request] {
        let user = access(&[]);
        let (answer, metrics) = ask_with_metrics(&function, shape, &bearer(&user)).await;
        assert!(!passes(&answer), "{shape:?}");
        assert_eq!(
            metric(&metrics, "RevocationChecks", &[("Result", "failed")]),
            Some(1.0)
        );
        assert_eq!(
            metric(
                &metrics,
                "Decisions",
                &[
                    ("Outcome", "unauthorized"),
                    ("Reason", "revocation_unavailable")
                ]
            ),
            Some(1.0)
        );
        assert_eq!(
            metric(&metrics, "Refusals", &[]),
            None,
            "{shape:?}: {metrics:?}"
        );
        let line = refusal_line(&function, &sub_of(&user), "revocation_unavailable").await;
        assert_eq!(line["level"], "ERROR", "{line}");
        assert_eq!(line["store_failure"], "refuse", "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_item_is_a_store_failure_not_a_pass() {
    let store = Store::start().await;
    let user = access(&[]);
    store
        .put(
            &user_key(&sub_of(&user)),
            AttributeValue::S(now().to_string()),
            &[],
        )
        .await;
    let function = store
        .launch()
        .env("REVOCATION_STORE_FAILURE", "refuse")
        .start()
        .await;
    for shape in [Shape::Http2, Shape::Token] {
        let (answer, metrics) = ask_with_metrics(&function, shape, &bearer(&user)).await;
        assert!(!passes(&answer), "{shape:?}");
        assert_eq!(
            metric(&metrics, "RevocationChecks", &[("Result", "failed")]),
            Some(1.0)
        );
    }
    let line = refusal_line(&function, &sub_of(&user), "revocation_unavailable").await;
    assert_eq!(line["error"], "malformed_item", "{line}");
    // Another user's token is read without that item, and passes.
    let (answer, _) = ask_with_metrics(&function, Shape::Http2, &bearer(&access(&[]))).await;
    assert!(passes(&answer));
}

/// A read that fails half-way (here: the client's item is malformed) still
/// refuses a token whose user item, read in the same answer, revokes it,
/// even under `allow`: only what the store did not answer is left to
/// REVOCATION_STORE_FAILURE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_read_before_the_store_fails_still_refuses() {
    let store = Store::start().await;
    let user = access(&[]);
    store.revoke(&user_key(&sub_of(&user)), now()).await;
    store
        .put(
            &format!("client#{POOL}#{CLIENT}"),
            AttributeValue::S("not a number".into()),
            &[],
        )
        .await;
    let function = store.launch().start().await;
    for shape in [Shape::Http2, Shape::Token] {
        let (answer, metrics) = ask_with_metrics(&function, shape, &bearer(&user)).await;
        assert!(!passes(&answer), "{shape:?}: the user item refuses it");
        assert_eq!(
            metric(&metrics, "RevokedTokens", &[("Reason", "revoked_user")]),
            Some(1.0),
            "{shape:?}"
        );
        assert_eq!(
            metric(&metrics, "RevocationChecks", &[("Result", "failed")]),
            Some(1.0),
            "{shape:?}"
        );
    }
    let line = refusal_line(&function, &sub_of(&user), "revoked_user").await;
    assert_eq!(line["revocation"], "user", "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_distinct_users_stays_within_the_cache_bound() {
    const USERS: usize = 300;
    const BOUND: usize = 100;
    let store = Store::start().await;
    let function = store
        .launch()
        .env("REVOCATION_CACHE_ENTRIES", BOUND.to_string())
        .start()
        .await;
    let tokens: Vec<String> = (0..USERS).map(|_| bearer(&access(&[]))).collect();
    let mut request_ids = Vec::new();
    for token in &tokens {
        let (verb, path, route_key) = LIST_PETS;
        let invoked = function
            .invoke(Shape::Http2.event(Some(token), verb, path, route_key))
            .await;
        request_ids.push(invoked.request_id);
    }
    emf_of(&function, request_ids.last().unwrap()).await;
    let mut by_request: HashMap<String, Vec<Value>> = HashMap::new();
    for line in emf_lines(&function) {
        let id = line["requestId"].as_str().unwrap().to_owned();
        by_request.entry(id).or_default().push(line);
    }
    let mut largest = 0.0f64;
    for id in &request_ids {
        let lines = &by_request[id];
        // Every token is a new user: each needs a read.
        assert_eq!(
            metric(lines, "RevocationChecks", &[("Result", "read")]),
            Some(1.0),
            "{lines:?}"
        );
        let entries = metric(lines, "RevocationCacheEntries", &[]).unwrap();
        assert!(entries <= BOUND as f64, "{entries} entries: {lines:?}");
        largest = largest.max(entries);
    }
    assert_eq!(largest, BOUND as f64, "the flood filled the cache");
    // The first users' answers were dropped, the last one's kept.
    let (_, metrics) = ask_with_metrics(&function, Shape::Http2, &tokens[0]).await;
    assert_eq!(
        metric(&metrics, "RevocationChecks", &[("Result", "read")]),
        Some(1.0)
    );
    let (_, metrics) = ask_with_metrics(&function, Shape::Http2, &tokens[USERS - 1]).await;
    assert_eq!(
        metric(&metrics, "RevocationChecks", &[("Result", "cached")]),
        Some(1.0)
    );
}

/// A TCP listener on 127.0.0.1 that only counts connections: the endpoint
/// the SDK would call.
async fn counting_endpoint() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (format!("http://{address}"), count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_table_nothing_is_read_and_the_answer_is_as_before() {
    let (endpoint, connections) = counting_endpoint().await;
    let user = access(&[]);
    let function = launch().env("AWS_ENDPOINT_URL", &endpoint).start().await;
    for shape in ALL_SHAPES {
        let (answer, metrics) = ask_with_metrics(&function, shape, &bearer(&user)).await;
        assert!(passes(&answer), "{shape:?}");
        for name in [
            "RevocationChecks",
            "RevocationReadLatency",
            "RevocationCacheEntries",
        ] {
            assert_eq!(metric(&metrics, name, &[]), None, "{name}: {metrics:?}");
        }
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0, "a call was made");

    // The same endpoint does see the calls once a table is named, so the
    // count above could have failed.
    let checking = launch()
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("REVOCATION_TABLE", TABLE)
        .env("REVOCATION_READ_TIMEOUT_MS", "150")
        .start()
        .await;
    let (answer, metrics) = ask_with_metrics(&checking, Shape::Http2, &bearer(&user)).await;
    assert!(passes(&answer), "the store failing is allowed by default");
    assert_eq!(
        metric(&metrics, "RevocationChecks", &[("Result", "failed")]),
        Some(1.0)
    );
    assert!(connections.load(Ordering::SeqCst) > 0);
}
