//! A user's whole lifecycle, locally, through a real Cognito emulator:
//! cognito-local (5.3.0, pinned in `tools/cognito-local/`) runs the user pool
//! and calls the real trigger binaries through the Lambda Invoke API that
//! `cargo lambda watch` serves; moto is the DynamoDB; the real authorizer
//! binary verifies the tokens cognito-local issues. Everything listens on
//! 127.0.0.1; the test drives it through the AWS SDK for Rust.
//!
//! 1. a sign-up from a blocked domain is refused by pre-sign-up, with the
//!    trigger's message;
//! 2. an accepted sign-up gets its code email from custom-message, in the
//!    user's language (asserted on what cognito-local prints instead of
//!    sending);
//! 3. confirming runs post-confirmation: the `users` group (in
//!    cognito-local) and the profile item (in moto's DynamoDB);
//! 4. a sign-in as cognito-local sends it: post-authentication records it
//!    on the profile item (`last_sign_in_at`, `sign_in_count` 1, the app
//!    client); `"version": "0"`, which pre-token-generation passes through
//!    untouched (not a Cognito version);
//! 5. a sign-in with the `"1"` Cognito sends for a `V1_0` trigger:
//!    pre-token-generation copies `locale` and `created_at` from the profile
//!    item into the ID token (V1 reaches the ID token only), and the
//!    sign-in count reaches 2;
//! 6. the authorizer, configured with `COGNITO_EMULATOR_URL`, accepts those
//!    tokens and applies its rules: allowed routes, a group it lacks, a
//!    claim only the second sign-in's ID token carries, and a forged token;
//!    without that variable the same configuration fails init;
//! 7. sign-out everywhere through the sign-out function: the revocation
//!    store (moto) holds the user, so the authorizer now refuses the same
//!    access token (401), and a fresh sign-in passes. cognito-local 5.3.0
//!    has no `AdminUserGlobalSignOut`, so the route answers 502 after the
//!    store write: asserted as that fact. The authorizer's store check
//!    (`REVOCATION_TABLE`, h-rv-authz's branch) must be merged for the 401.
//!
//! Every step fails the test when it breaks. The relay between cognito-local
//! and `cargo lambda watch` (see `e2e_tests::cognito_local`) records each
//! invocation and corrects two deviations of that chain from Cognito and
//! Lambda, asserted here as facts.
//!
//! `make demo` runs this test with `--nocapture`: the story it prints is the
//! demo's last part. Nothing here asserts a time.

use std::time::Instant;

use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, DeliveryMediumType, ExplicitAuthFlowsType, UsernameAttributeType,
    VerifiedAttributeType,
};
use aws_sdk_dynamodb::types::AttributeValue;
use e2e_tests::cognito_local::{
    CargoLambdaWatch, CognitoLocal, FUNCTIONS, LambdaRelay, Relayed, jwt_payload, work_dir,
    write_env_file,
};
use e2e_tests::moto::{Moto, free_port};
use e2e_tests::runtime_api::{Launch, workspace_root};
use serde_json::{Value, json};

/// The log audit's own test password: the audit fails if a function prints it.
const PASSWORD: &str = "Correct-Horse-9-Battery";
const EMAIL: &str = "maria@example.com";
const BLOCKED_EMAIL: &str = "mallory@spam.example";
const TABLE: &str = "user-profiles";
const REVOCATIONS: &str = "revocations";
const APP_NAME: &str = "Acme Notes";
/// The Portuguese sign-up subject (`templates/pt/sign_up.subject.txt`).
const SUBJECT_PT: &str = "Confirme sua conta no Acme Notes";
/// cognito-local's error for a failed trigger: `<function name> failed with
/// error <message>.`, where Cognito writes the trigger's name (`PreSignUp`).
const REFUSED: &str =
    "pre-sign-up failed with error Registration with this email domain is not allowed.";

/// The authorizer's rules for this story.
fn rules() -> Value {
    json!([
        {"method": "GET", "path": "/me"},
        {"method": "GET", "path": "/notes", "anyGroups": ["users"]},
        {"method": "GET", "path": "/admin/stats", "anyGroups": ["admins"]},
        {"method": "GET", "path": "/pt/{page}", "claims": {"locale": ["pt", "pt-BR", "pt-PT"]}}
    ])
}

/// Prints the story as it goes (shown by `--nocapture`, i.e. `make demo`).
struct Story {
    started: Instant,
    step: usize,
}

impl Story {
    /// A heading without a number: the set-up and the summary.
    fn heading(&self, title: &str) {
        println!(
            "\n==> {title}   [{:.1} s]",
            self.started.elapsed().as_secs_f64()
        );
    }

    fn step(&mut self, title: &str) {
        self.step += 1;
        println!(
            "\n==> {}. {title}   [{:.1} s]",
            self.step,
            self.started.elapsed().as_secs_f64()
        );
    }

    fn show(&self, line: impl AsRef<str>) {
        println!("    {}", line.as_ref());
    }

    /// One line per invocation cognito-local made through the relay.
    fn show_invocations(&self, calls: &[Relayed]) {
        for call in calls {
            let outcome = if call.function_error {
                format!(
                    "error {}: {} (cargo lambda watch answered {}; relayed as Lambda's 200 + \
                     X-Amz-Function-Error)",
                    call.answer["errorType"].as_str().unwrap_or("?"),
                    call.answer["errorMessage"].as_str().unwrap_or("?"),
                    call.upstream_status
                )
            } else {
                format!("response {}", call.answer["response"])
            };
            let version = match &call.forwarded_version {
                Some(forwarded) => format!("{} (forwarded as \"{forwarded}\")", call.version()),
                None => call.version(),
            };
            self.show(format!(
                "cognito-local -> {} <- {} version {version}: {}",
                call.function,
                call.trigger_source(),
                shorten(&outcome, 240)
            ));
        }
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}... [{} characters]", text.chars().count())
}

/// The functions cognito-local invoked, in order.
fn functions(calls: &[Relayed]) -> Vec<&str> {
    calls.iter().map(|call| call.function.as_str()).collect()
}

/// A REST API REQUEST authorizer event for `GET {path}` (resource `path`),
/// as API Gateway sends it with the token header, `context.httpMethod` and
/// `context.resourcePath` as identity sources (the template's REST API).
fn rest_event(token: &str, path: &str) -> Value {
    json!({
        "type": "REQUEST",
        "methodArn": format!("arn:aws:execute-api:us-east-1:123456789012:lifecycle1/prod/GET{path}"),
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Authorization": format!("Bearer {token}"), "User-Agent": "lifecycle"},
        "multiValueHeaders": {"Authorization": [format!("Bearer {token}")], "User-Agent": ["lifecycle"]},
        "queryStringParameters": {},
        "multiValueQueryStringParameters": {},
        "pathParameters": {},
        "stageVariables": {},
        "requestContext": {
            "path": format!("/prod{path}"),
            "accountId": "123456789012",
            "resourceId": "abc123",
            "stage": "prod",
            "requestId": "lifecycle-rest",
            "resourcePath": path,
            "httpMethod": "GET",
            "apiId": "lifecycle1"
        }
    })
}

/// An HTTP API (payload 2.0) authorizer event for `route_key` at `path`,
/// with `$context.routeKey` among the identity sources as the template
/// deploys it.
fn http_api_event(token: &str, route_key: &str, path: &str) -> Value {
    let (method, _) = route_key
        .split_once(' ')
        .expect("a route key is `VERB /path`");
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": format!("arn:aws:execute-api:us-east-1:123456789012:lifecycle1/$default/{method}{path}"),
        "identitySource": [format!("Bearer {token}"), route_key],
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"authorization": format!("Bearer {token}"), "user-agent": "lifecycle"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "lifecycle1",
            "domainName": "lifecycle1.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "lifecycle1",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "lifecycle"},
            "requestId": "lifecycle",
            "routeKey": route_key,
            "stage": "$default",
            "time": "29/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1_795_946_400_000_u64
        }
    })
}

/// `token` with its payload edited by `edit` and its signature kept.
fn forged(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    use base64::Engine as _;
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = jwt_payload(token);
    edit(&mut payload);
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&payload).expect("payload JSON"));
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// Builds the function binaries the way `cargo lambda watch` runs them
/// (`cargo run --bin <name>` at the workspace root, so with the workspace's
/// unified features), so that its first `cargo run` of each finds them
/// fresh.
fn build_functions() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = std::process::Command::new(cargo);
    command
        .current_dir(workspace_root())
        .args(["build", "--quiet"]);
    for function in FUNCTIONS {
        command.args(["--bin", function]);
    }
    let status = command.status().expect("run cargo build");
    assert!(
        status.success(),
        "cargo build of the function binaries failed"
    );
}

fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .expect("attribute")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_up_confirms_signs_in_and_calls_the_api_through_cognito_local() {
    let mut story = Story {
        started: Instant::now(),
        step: 0,
    };

    // ---- The peers --------------------------------------------------------
    story.heading("moto (DynamoDB), cognito-local and cargo lambda watch, on 127.0.0.1");
    build_functions();
    let dir = work_dir("lifecycle");
    let moto = Moto::start();
    let dynamodb = moto.dynamodb().await;
    e2e_tests::moto::create_profile_table(&dynamodb, TABLE).await;
    e2e_tests::moto::create_revocation_table(&dynamodb, REVOCATIONS).await;
    let watch_port = free_port();
    let relay = LambdaRelay::start(&format!("http://127.0.0.1:{watch_port}")).await;
    let cognito_local = CognitoLocal::start(&dir, &relay.endpoint());
    let emulator = cognito_local.endpoint();
    let cognito = cognito_local.client().await;

    let pool = cognito
        .create_user_pool()
        .pool_name("lifecycle")
        .username_attributes(UsernameAttributeType::Email)
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .send()
        .await
        .expect("create the user pool in cognito-local");
    let pool_id = pool
        .user_pool()
        .and_then(|pool| pool.id())
        .expect("the pool has an id")
        .to_owned();
    let client = cognito
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("notes-web")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .expect("create the app client in cognito-local");
    let client_id = client
        .user_pool_client()
        .and_then(|client| client.client_id())
        .expect("the client has an id")
        .to_owned();
    for group in ["users", "admins"] {
        cognito
            .create_group()
            .user_pool_id(&pool_id)
            .group_name(group)
            .send()
            .await
            .expect("create a group in cognito-local");
    }

    let rules_file = dir.join("rules.json");
    std::fs::write(&rules_file, rules().to_string()).expect("write the rules");
    let env_file = dir.join("functions.env");
    write_env_file(
        &env_file,
        &[
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            // DynamoDB is moto; the user-pool API (post-confirmation's
            // AdminAddUserToGroup) is cognito-local.
            ("AWS_ENDPOINT_URL_DYNAMODB", moto.endpoint()),
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                emulator.clone(),
            ),
            // authorizer
            ("USER_POOL_ID", pool_id.clone()),
            ("APP_CLIENT_IDS", client_id.clone()),
            ("COGNITO_EMULATOR_URL", emulator.clone()),
            ("TOKEN_USE", "any".into()),
            ("AUTHZ_RULES", rules_file.display().to_string()),
            // pre-sign-up
            ("BLOCKED_EMAIL_DOMAINS", "spam.example".into()),
            // post-confirmation and pre-token-generation
            ("DEFAULT_GROUP", "users".into()),
            ("USERS_TABLE", TABLE.into()),
            ("PROFILE_ATTRIBUTES", "given_name,locale".into()),
            ("PROFILE_CLAIMS", "locale,created_at".into()),
            // the revocation store: read by the authorizer (its answers
            // kept one second, so step 7 need not wait long), written by
            // sign-out
            ("REVOCATION_TABLE", REVOCATIONS.into()),
            ("REVOCATION_CACHE_SECONDS", "1".into()),
            // post-authentication
            ("RECORD_SIGN_INS", "true".into()),
            // custom-message
            ("APP_NAME", APP_NAME.into()),
            ("APP_URL", "https://notes.example.com".into()),
            ("SUPPORT_EMAIL", "support@example.com".into()),
        ],
    );
    let watch = CargoLambdaWatch::start(watch_port, &env_file, &dir.join("watch.log"));
    story.show(format!("moto (DynamoDB)       {}", moto.endpoint()));
    story.show(format!(
        "cognito-local         {emulator}   pool {pool_id}, app client {client_id}, groups users and admins"
    ));
    story.show(format!(
        "Lambda Invoke relay   {}   (records; see tests/src/cognito_local.rs)",
        relay.endpoint()
    ));
    story.show(format!(
        "cargo lambda watch    {}   serves {}",
        watch.endpoint(),
        FUNCTIONS.join(", ")
    ));
    story.show(format!(
        "the functions' environment: {}",
        env_file.display()
    ));

    // ---- 1. A refused sign-up ---------------------------------------------
    story.step(&format!(
        "sign-up of {BLOCKED_EMAIL}: pre-sign-up refuses the domain"
    ));
    let mark = relay.mark();
    let error = cognito
        .sign_up()
        .client_id(&client_id)
        .username(BLOCKED_EMAIL)
        .password(PASSWORD)
        .send()
        .await
        .expect_err("a sign-up from a blocked domain must be refused")
        .into_service_error();
    let calls = relay.since(mark);
    story.show_invocations(&calls);
    story.show(format!(
        "SignUp -> {}: {}",
        error.code().unwrap_or("?"),
        error.message().unwrap_or("?")
    ));
    assert_eq!(
        functions(&calls),
        ["pre-sign-up"],
        "one invocation, no retry"
    );
    assert_eq!(calls[0].trigger_source(), "PreSignUp_SignUp");
    assert!(calls[0].function_error, "{:?}", calls[0]);
    assert!(
        error.is_user_lambda_validation_exception(),
        "cognito-local answered {error:?}"
    );
    assert_eq!(error.message(), Some(REFUSED));

    // ---- 2. An accepted sign-up and its code email ------------------------
    story.step(&format!(
        "sign-up of {EMAIL} (locale pt-BR): pre-sign-up accepts; custom-message writes the code email"
    ));
    let mark = relay.mark();
    let signed_up = cognito
        .sign_up()
        .client_id(&client_id)
        .username(EMAIL)
        .password(PASSWORD)
        .user_attributes(attribute("given_name", "Maria"))
        .user_attributes(attribute("locale", "pt-BR"))
        .send()
        .await
        .expect("the sign-up is accepted");
    let calls = relay.since(mark);
    story.show_invocations(&calls);
    let sub = signed_up.user_sub().to_owned();
    story.show(format!(
        "SignUp -> UserConfirmed {}, UserSub {sub}, code sent by {:?}",
        signed_up.user_confirmed(),
        signed_up
            .code_delivery_details()
            .and_then(|details| details.delivery_medium())
    ));
    assert!(!signed_up.user_confirmed(), "AUTO_CONFIRM is off");
    assert_eq!(
        signed_up
            .code_delivery_details()
            .and_then(|details| details.delivery_medium()),
        Some(&DeliveryMediumType::Email)
    );
    assert_eq!(functions(&calls), ["pre-sign-up", "custom-message"]);
    assert_eq!(calls[0].trigger_source(), "PreSignUp_SignUp");
    assert_eq!(calls[0].answer["response"]["autoConfirmUser"], json!(false));
    assert_eq!(calls[1].trigger_source(), "CustomMessage_SignUp");
    assert_eq!(calls[1].event["request"]["codeParameter"], json!("{####}"));
    assert_eq!(
        calls[1].answer["response"]["emailSubject"],
        json!(SUBJECT_PT)
    );

    let delivery = cognito_local.wait_for_delivery(EMAIL).await;
    let code = delivery.get("Code").unwrap_or_default().to_owned();
    let email = delivery.get("Email Message").unwrap_or_default();
    story.show("cognito-local prints the message instead of sending it:");
    story.show(format!(
        "  Destination:   {}",
        delivery.get("Destination").unwrap_or("?")
    ));
    story.show(format!("  Code:          {code}"));
    story.show(format!(
        "  Email Subject: {}",
        delivery.get("Email Subject").unwrap_or("?")
    ));
    story.show(format!(
        "  Email Message: {} lines of HTML; the code's line: {}",
        email.lines().count(),
        email
            .lines()
            .find(|line| line.contains(&code))
            .unwrap_or("(none)")
            .trim()
    ));
    story.show(format!(
        "  SMS Message:   {}",
        delivery.get("SMS Message").unwrap_or("?")
    ));
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "a 6-digit code: {delivery:?}"
    );
    assert_eq!(
        delivery.get("Email Subject"),
        Some(SUBJECT_PT),
        "{delivery:?}"
    );
    assert!(email.contains(&code), "the email shows the code: {email}");
    assert!(
        email.contains("Obrigado"),
        "the email is in Portuguese: {email}"
    );
    assert!(!email.contains("{####}"), "no placeholder left: {email}");
    assert!(
        delivery
            .get("SMS Message")
            .is_some_and(|sms| sms.contains(&code) && sms.contains(APP_NAME)),
        "{delivery:?}"
    );

    // ---- 3. Confirmation ----------------------------------------------------
    story.step("confirm with the code: post-confirmation adds the group and writes the profile");
    let mark = relay.mark();
    cognito
        .confirm_sign_up()
        .client_id(&client_id)
        .username(EMAIL)
        .confirmation_code(&code)
        .send()
        .await
        .expect("the code confirms the sign-up");
    let calls = relay.since(mark);
    story.show_invocations(&calls);
    assert_eq!(functions(&calls), ["post-confirmation"]);
    assert_eq!(calls[0].trigger_source(), "PostConfirmation_ConfirmSignUp");
    assert!(!calls[0].function_error, "{:?}", calls[0]);

    let item = dynamodb
        .get_item()
        .table_name(TABLE)
        .key("sub", AttributeValue::S(sub.clone()))
        .consistent_read(true)
        .send()
        .await
        .expect("read the profile item from moto")
        .item
        .unwrap_or_else(|| panic!("post-confirmation wrote no profile item for {sub}"));
    let text = |name: &str| item.get(name).and_then(|value| value.as_s().ok()).cloned();
    let mut shown: Vec<String> = item
        .iter()
        .map(|(name, value)| format!("{name}={}", value.as_s().cloned().unwrap_or_default()))
        .collect();
    shown.sort();
    story.show(format!("DynamoDB (moto) {TABLE}: {}", shown.join(", ")));
    assert_eq!(text("given_name").as_deref(), Some("Maria"), "{item:?}");
    assert_eq!(text("locale").as_deref(), Some("pt-BR"), "{item:?}");
    assert_eq!(text("email").as_deref(), Some(EMAIL), "{item:?}");
    assert_eq!(
        text("client_id").as_deref(),
        Some(client_id.as_str()),
        "{item:?}"
    );
    let created_at = text("created_at").expect("created_at");
    assert!(created_at.ends_with('Z'), "{created_at}");

    let groups = cognito
        .admin_list_groups_for_user()
        .user_pool_id(&pool_id)
        .username(&sub)
        .send()
        .await
        .expect("list the user's groups in cognito-local");
    let groups: Vec<&str> = groups
        .groups()
        .iter()
        .filter_map(|group| group.group_name())
        .collect();
    story.show(format!("cognito-local: {sub} is in {groups:?}"));
    assert_eq!(groups, ["users"]);

    // ---- 4. Sign-in, as cognito-local sends it ------------------------------
    story.step(
        "sign in as cognito-local sends it (version \"0\"): pre-token-generation passes it through",
    );
    let sign_in = async || {
        let result = cognito
            .initiate_auth()
            .client_id(&client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", EMAIL)
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await
            .expect("the confirmed user signs in")
            .authentication_result
            .expect("tokens");
        (
            result.access_token.expect("an access token"),
            result.id_token.expect("an ID token"),
        )
    };
    let sign_ins_recorded = async |count: &str| {
        let item = dynamodb
            .get_item()
            .table_name(TABLE)
            .key("sub", AttributeValue::S(sub.clone()))
            .consistent_read(true)
            .send()
            .await
            .expect("read the profile item from moto")
            .item
            .expect("the profile item");
        let number = item
            .get("sign_in_count")
            .and_then(|v| v.as_n().ok())
            .cloned();
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let shown = format!(
            "DynamoDB (moto) {TABLE}: sign_in_count={}, last_sign_in_at={}, last_sign_in_client={}",
            number.clone().unwrap_or_default(),
            text("last_sign_in_at").unwrap_or_default(),
            text("last_sign_in_client").unwrap_or_default()
        );
        assert_eq!(number.as_deref(), Some(count), "{item:?}");
        assert_eq!(
            text("last_sign_in_client").as_deref(),
            Some(client_id.as_str())
        );
        assert!(
            text("last_sign_in_at").is_some_and(|at| at.ends_with('Z')),
            "{item:?}"
        );
        shown
    };
    let mark = relay.mark();
    let (_, raw_id_token) = sign_in().await;
    let calls = relay.since(mark);
    story.show_invocations(&calls);
    assert_eq!(
        functions(&calls),
        ["post-authentication", "pre-token-generation"]
    );
    assert_eq!(
        calls[0].trigger_source(),
        "PostAuthentication_Authentication"
    );
    assert!(!calls[0].function_error, "{:?}", calls[0]);
    assert_eq!(
        calls[0].answer, calls[0].event,
        "the event comes back whole"
    );
    story.show(sign_ins_recorded("1").await);
    let calls = &calls[1..];
    let event = &calls[0].event;
    assert_eq!(calls[0].trigger_source(), "TokenGeneration_Authentication");
    assert_eq!(
        event["version"],
        json!("0"),
        "cognito-local 5.3.0 sends version \"0\"; if it now sends Cognito's \"1\", the relay's \
         correction and this step are obsolete"
    );
    assert_eq!(event["region"], json!("local"));
    assert_eq!(event["userPoolId"], json!(pool_id));
    assert!(
        event["response"].get("claimsOverrideDetails").is_some(),
        "the V1 shape: {event}"
    );
    assert_eq!(
        calls[0].answer["response"], event["response"],
        "an unknown version passes through untouched"
    );
    let raw_id = jwt_payload(&raw_id_token);
    story.show(format!(
        "ID token: iss {}, cognito:groups {}, locale {}, created_at {}",
        raw_id["iss"], raw_id["cognito:groups"], raw_id["locale"], raw_id["created_at"]
    ));
    assert_eq!(raw_id["iss"], json!(format!("{emulator}/{pool_id}")));
    assert_eq!(raw_id["cognito:groups"], json!(["users"]));
    assert!(raw_id.get("locale").is_none() && raw_id.get("created_at").is_none());

    // ---- 5. Sign-in, with the version Cognito sends ---------------------------
    story.step(
        "sign in with the version Cognito sends for V1_0 (\"1\"): pre-token-generation adds the \
         profile claims",
    );
    relay.set_v1_version(true);
    let mark = relay.mark();
    let (access_token, id_token) = sign_in().await;
    let calls = relay.since(mark);
    story.show_invocations(&calls);
    assert_eq!(
        functions(&calls),
        ["post-authentication", "pre-token-generation"]
    );
    story.show(sign_ins_recorded("2").await);
    let calls = &calls[1..];
    assert_eq!(calls[0].forwarded_version.as_deref(), Some("1"));
    assert_eq!(
        calls[0].answer["response"]["claimsOverrideDetails"]["claimsToAddOrOverride"],
        json!({"locale": "pt-BR", "created_at": created_at}),
        "{}",
        calls[0].answer
    );
    let id = jwt_payload(&id_token);
    let access = jwt_payload(&access_token);
    story.show(format!(
        "ID token: locale {}, created_at {} (the profile item's), cognito:groups {}",
        id["locale"], id["created_at"], id["cognito:groups"]
    ));
    story.show(format!(
        "access token: scope {}, cognito:groups {} (V1 leaves it as it was)",
        access["scope"], access["cognito:groups"]
    ));
    assert_eq!(id["locale"], json!("pt-BR"));
    assert_eq!(id["created_at"], json!(created_at));
    assert_eq!(id["sub"], json!(sub));
    assert!(access.get("locale").is_none() && access.get("created_at").is_none());
    assert_eq!(access["cognito:groups"], json!(["users"]));
    assert_eq!(access["iss"], json!(format!("{emulator}/{pool_id}")));

    // ---- 6. The authorizer --------------------------------------------------
    story.step(&format!(
        "the authorizer (COGNITO_EMULATOR_URL={emulator}) verifies the emulator's tokens and applies the rules"
    ));
    let forged_admin = forged(&access_token, |payload| {
        payload["cognito:groups"] = json!(["users", "admins"]);
    });
    let cases: [(&str, &str, &str, &str, bool); 6] = [
        ("access token", &access_token, "GET /me", "/me", true),
        ("access token", &access_token, "GET /notes", "/notes", true),
        (
            "access token",
            &access_token,
            "GET /admin/stats",
            "/admin/stats",
            false,
        ),
        (
            "ID token, step 5",
            &id_token,
            "GET /pt/{page}",
            "/pt/news",
            true,
        ),
        (
            "ID token, step 4",
            &raw_id_token,
            "GET /pt/{page}",
            "/pt/news",
            false,
        ),
        (
            "access token edited to add `admins`",
            &forged_admin,
            "GET /admin/stats",
            "/admin/stats",
            false,
        ),
    ];
    for (label, token, route_key, path, expected) in cases {
        let answer = watch
            .invoke("authorizer", &http_api_event(token, route_key, path))
            .await;
        story.show(format!(
            "{route_key:<16} {path:<13} {label:<36} -> {}",
            if answer.body["isAuthorized"] == json!(true) {
                "authorized"
            } else {
                "refused (403)"
            }
        ));
        assert_eq!(
            answer.status,
            200,
            "{label} {path}: the authorizer answered {answer:?}; its log: {}",
            watch.log_path().display()
        );
        assert_eq!(
            answer.body["isAuthorized"],
            json!(expected),
            "{label} on {route_key} ({path}): {}",
            answer.body
        );
        if expected {
            let context = &answer.body["context"];
            assert_eq!(context["user_pool_id"], json!(pool_id), "{context}");
            assert_eq!(context["sub"], json!(sub), "{context}");
            assert_eq!(context["groups"], json!("[\"users\"]"), "{context}");
            assert_eq!(context["principal_type"], json!("user"), "{context}");
        }
    }

    // Production stays as strict as before: the same configuration without
    // COGNITO_EMULATOR_URL does not start.
    let mut authorizer = Launch::new("authorizer")
        .env("USER_POOL_ID", &pool_id)
        .env("APP_CLIENT_IDS", &client_id)
        .env("TOKEN_USE", "any")
        .env("AUTHZ_RULES", rules().to_string())
        .start()
        .await;
    let refused = authorizer.init_error().await;
    story.show(format!(
        "without COGNITO_EMULATOR_URL the authorizer does not start: {}",
        refused.error_message
    ));
    assert!(
        refused.error_message.starts_with("USER_POOL_ID: ")
            && refused.error_message.contains("COGNITO_EMULATOR_URL"),
        "{refused:?}"
    );

    // ---- 7. Sign-out ------------------------------------------------------------
    story.step("sign out everywhere: the store first, then the authorizer refuses the old token");
    let sign_out_event = json!({
        "resource": "/sign-out", "path": "/sign-out", "httpMethod": "POST",
        "headers": {"Authorization": format!("Bearer {access_token}")},
        "multiValueHeaders": {"Authorization": [format!("Bearer {access_token}")]},
        "requestContext": {"resourcePath": "/sign-out", "httpMethod": "POST", "stage": "prod",
                           "requestId": "lifecycle-sign-out"},
        "body": "{\"scope\": \"everywhere\"}",
        "isBase64Encoded": false
    });
    let signed_out = watch.invoke("sign-out", &sign_out_event).await;
    assert_eq!(signed_out.status, 200, "{signed_out:?}");
    story.show(format!(
        "POST /sign-out {{\"scope\": \"everywhere\"}} -> {} {}",
        signed_out.body["statusCode"], signed_out.body["body"]
    ));
    assert_eq!(
        signed_out.body["statusCode"],
        json!(502),
        "cognito-local 5.3.0 has no AdminUserGlobalSignOut, so the route reports the Cognito step \
         failed; if it now answers 204, cognito-local implements it: {signed_out:?}"
    );
    let revoked = dynamodb
        .get_item()
        .table_name(REVOCATIONS)
        .key("pk", AttributeValue::S(format!("user#{pool_id}#{sub}")))
        .consistent_read(true)
        .send()
        .await
        .expect("read the revocation item from moto")
        .item
        .expect("sign-out wrote the store before calling Cognito");
    let not_before = revoked
        .get("not_before")
        .and_then(|value| value.as_n().ok())
        .cloned()
        .unwrap_or_default();
    story.show(format!(
        "DynamoDB (moto) {REVOCATIONS}: user#{pool_id}#{sub} not_before={not_before} reason={}",
        revoked
            .get("reason")
            .and_then(|value| value.as_s().ok())
            .cloned()
            .unwrap_or_default()
    ));
    // Past the authorizer's one-second store cache and the boundary second.
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    // On the REST API, the refusal API Gateway turns into a 401.
    let refused = watch
        .invoke("authorizer", &rest_event(&access_token, "/me"))
        .await;
    story.show(format!(
        "GET /me (REST API) with the signed-out access token -> {} (401)",
        refused.body["errorMessage"].as_str().unwrap_or("?")
    ));
    assert_eq!(
        refused.body["errorMessage"],
        json!("Unauthorized"),
        "the signed-out token is refused (401): {refused:?}"
    );
    // On the HTTP API, the same refusal is `isAuthorized: false`.
    let refused_http = watch
        .invoke(
            "authorizer",
            &http_api_event(&access_token, "GET /me", "/me"),
        )
        .await;
    assert_eq!(
        refused_http.body,
        json!({"isAuthorized": false}),
        "the signed-out token is refused on the HTTP API too: {refused_http:?}"
    );
    let (fresh_access_token, _) = sign_in().await;
    let fresh = watch
        .invoke(
            "authorizer",
            &http_api_event(&fresh_access_token, "GET /me", "/me"),
        )
        .await;
    story.show(format!(
        "GET /me after a fresh sign-in -> {}",
        if fresh.body["isAuthorized"] == json!(true) {
            "authorized"
        } else {
            "refused"
        }
    ));
    assert_eq!(fresh.body["isAuthorized"], json!(true), "{fresh:?}");

    // ---- What cognito-local sent ------------------------------------------------
    story.heading("every event cognito-local sent");
    let all = relay.all();
    for call in &all {
        assert_eq!(call.event["region"], json!("local"), "{:?}", call.event);
        assert_eq!(call.event["userPoolId"], json!(pool_id), "{:?}", call.event);
        assert_eq!(
            call.event["callerContext"]["clientId"],
            json!(client_id),
            "{:?}",
            call.event
        );
    }
    let mut kinds: Vec<String> = all
        .iter()
        .map(|call| {
            format!(
                "{} <- {} (version {})",
                call.function,
                call.trigger_source(),
                call.version()
            )
        })
        .collect();
    kinds.dedup();
    for kind in kinds {
        story.show(kind);
    }
    story.show(format!(
        "all with region \"local\" and userPoolId {pool_id}; logs: {} and {}",
        cognito_local.log_path().display(),
        watch.log_path().display()
    ));
    println!(
        "\nThe lifecycle passed in {:.1} s.",
        story.started.elapsed().as_secs_f64()
    );
}
