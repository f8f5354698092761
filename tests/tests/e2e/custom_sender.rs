//! The custom email and SMS sender triggers, end to end: the real binary,
//! driven through the Runtime API harness, decrypting codes through moto's
//! KMS and sending through moto's SES v2 and SNS, with its idempotency
//! record in moto's DynamoDB.
//!
//! The codes are encrypted by the tests with the AWS Encryption SDK for
//! Python and a KMS master key against moto's KMS, as Cognito does with the
//! pool's key (`scripts/encrypt_code.py`, run with `.venv/bin/python`); the
//! sample events are in `events/custom-sender/`. The binary is built from
//! its own workspace, `functions/custom-sender/bootstrap`.
//! What was sent is read back from moto's own record of it
//! (`/moto-api/data.json`: SES's `Message` and SNS's `SMS` models).

use base64::Engine as _;
use e2e_tests::custom_sender::{
    create_idempotency_table, encrypt_codes, new_key, sent_emails, sent_sms, verify_sender,
};
use e2e_tests::events;
use e2e_tests::moto::Moto;
use e2e_tests::runtime_api::{Function, Launch};
use serde_json::Value;

const FUNCTION: &str = "custom-sender";
const TABLE: &str = "custom-sender-idempotency";
const FROM: &str = "no-reply@example.com";
const POOL: &str = "us-east-1_Ex4mPle01";

struct World {
    moto: Moto,
    key_arn: String,
}

impl World {
    async fn new() -> World {
        let moto = Moto::start();
        let key_arn = new_key(&moto, None).await;
        create_idempotency_table(&moto.dynamodb().await, TABLE).await;
        verify_sender(&moto, FROM).await;
        World { moto, key_arn }
    }

    fn launch(&self) -> Launch {
        Launch::new(FUNCTION)
            .envs(self.moto.env())
            .env("KEY_ARN", &self.key_arn)
            .env("IDEMPOTENCY_TABLE", TABLE)
            .env("EMAIL_FROM", FROM)
            .env("APP_NAME", "Acme & Co")
    }

    async fn start(&self) -> Function {
        self.launch().start().await
    }

    /// `plaintext` encrypted under `key_arn` with `context`, base64, as
    /// Cognito puts it in `request.code`.
    async fn encrypt(&self, key_arn: &str, plaintext: &str, context: &[(&str, &str)]) -> String {
        let mut codes = encrypt_codes(&self.moto, key_arn, context, &[plaintext.to_owned()]).await;
        codes.pop().expect("one message")
    }

    /// A code for this pool, as Cognito makes it.
    async fn code(&self, plaintext: &str) -> String {
        self.encrypt(&self.key_arn, plaintext, &[("userpool-id", POOL)])
            .await
    }

    /// Every email moto's SES recorded as sent.
    async fn emails(&self) -> Vec<Value> {
        sent_emails(&self.moto).await
    }

    /// Every SMS moto's SNS recorded as sent.
    async fn sms(&self) -> Vec<Value> {
        sent_sms(&self.moto).await
    }
}

fn event(name: &str, code: &str) -> Value {
    let mut event = events::sample(FUNCTION, name);
    event["request"]["code"] = Value::String(code.to_owned());
    event
}

#[tokio::test]
async fn every_message_source_is_sent_with_its_code_in_the_users_language() {
    let world = World::new().await;
    let function = world.start().await;
    // (event, code, what shows the locale, email or SMS): the user's
    // `locale` attribute, else `clientMetadata.locale`, else the default.
    let cases = [
        ("sign-up-email", "481516", "<html lang=\"pt\">", true),
        ("resend-code-email", "234223", "<html lang=\"en\">", true),
        (
            "forgot-password-email",
            "999001",
            "<html lang=\"es\">",
            true,
        ),
        (
            "update-user-attribute-email",
            "100200",
            "<html lang=\"en\">",
            true,
        ),
        (
            "verify-user-attribute-email",
            "300400",
            "<html lang=\"en\">",
            true,
        ),
        ("authentication-email", "500600", "<html lang=\"es\">", true),
        ("sign-up-sms", "700800", "código", false),
        ("authentication-sms", "900100", "Never share it", false),
    ];
    for (index, (name, plaintext, greeting, is_email)) in cases.iter().enumerate() {
        let code = world.code(plaintext).await;
        let input = event(name, &code);
        let output = function.invoke(input.clone()).await.response();
        assert_eq!(output, input, "{name}: the event comes back unchanged");
        if *is_email {
            let emails = world.emails().await;
            let email = emails.last().expect("an email");
            assert_eq!(
                emails.len(),
                cases[..=index].iter().filter(|c| c.3).count(),
                "{name}"
            );
            assert_eq!(email["source"], FROM);
            assert_eq!(
                email["destinations"]["ToAddresses"][0],
                "maria.silva@example.com"
            );
            let body = email["body"].as_str().expect("body");
            assert!(body.contains(plaintext), "{name}: the code is in the mail");
            assert!(!body.contains("{####}"), "{name}: no placeholder left");
            assert!(body.contains("Acme &amp; Co"), "{name}: the brand, escaped");
            assert!(body.contains(greeting), "{name}: {greeting}");
        } else {
            let sms = world.sms().await;
            let last = sms.last().expect("an SMS");
            let text = serde_json::to_string(last).expect("json");
            assert_eq!(
                sms.len(),
                cases[..=index].iter().filter(|c| !c.3).count(),
                "{name}"
            );
            assert!(text.contains(plaintext), "{name}: the code is in the SMS");
            assert!(text.contains(greeting), "{name}: {greeting}");
            assert!(
                text.contains("+5511987654321"),
                "{name}: to the phone number"
            );
        }
    }
    // The SMS is plain text: the brand is not escaped there.
    let sms = world.sms().await;
    assert!(
        serde_json::to_string(&sms[0])
            .expect("json")
            .contains("Acme & Co")
    );
    let logs = function.logs().join("\n");
    for (_, plaintext, _, _) in cases {
        assert!(!logs.contains(plaintext), "a code reached the logs");
    }
    assert!(
        !logs.contains("maria.silva@example.com"),
        "an address reached the logs"
    );
    assert!(
        !logs.contains("+5511987654321"),
        "a phone number reached the logs"
    );
    function.assert_no_panic();
}

#[tokio::test]
async fn an_invitation_escapes_the_temporary_password_and_the_username() {
    let world = World::new().await;
    let function = world.start().await;
    let password = "Tmp<p>&1\"x";
    let code = world.code(password).await;
    function
        .invoke(event("admin-create-user-email", &code))
        .await
        .response();
    let emails = world.emails().await;
    let body = emails[0]["body"].as_str().expect("body");
    assert!(body.contains("Tmp&lt;p&gt;&amp;1&quot;x"), "{body}");
    assert!(!body.contains(password));
    assert!(body.contains("tom.jerry"));
    assert!(!body.contains("<Jerry>"), "the name is escaped or withheld");
    let code = world.code(password).await;
    function
        .invoke(event("admin-create-user-sms", &code))
        .await
        .response();
    let sms = serde_json::to_string(&world.sms().await[0]).expect("json");
    assert!(sms.contains("tom.jerry"));
    // Plain text: the password as it is (JSON escapes only its quote).
    assert!(sms.contains("Tmp<p>&1\\\"x"), "{sms}");
}

#[tokio::test]
async fn the_same_event_twice_sends_once_and_a_new_code_sends_again() {
    let world = World::new().await;
    let function = world.start().await;
    let code = world.code("123456").await;
    let input = event("sign-up-email", &code);
    function.invoke(input.clone()).await.response();
    function.invoke(input.clone()).await.response();
    assert_eq!(world.emails().await.len(), 1, "a retried event sends once");
    function.wait_for_log_containing("already sent").await;
    // The same code encrypted again (a resend) is a new message.
    let again = world.code("123456").await;
    assert_ne!(again, code);
    function
        .invoke(event("sign-up-email", &again))
        .await
        .response();
    assert_eq!(world.emails().await.len(), 2);
}

#[tokio::test]
async fn a_code_that_does_not_decrypt_is_refused_and_nothing_is_sent() {
    let world = World::new().await;
    let function = world.start().await;
    let other_key = new_key(&world.moto, None).await;
    let wrong_key = world
        .encrypt(&other_key, "111111", &[("userpool-id", POOL)])
        .await;
    let wrong_context = world
        .encrypt(
            &world.key_arn,
            "222222",
            &[("userpool-id", "us-east-1_Other")],
        )
        .await;
    let no_context = world.encrypt(&world.key_arn, "333333", &[]).await;
    let mut bytes = base64::engine::general_purpose::STANDARD
        .decode(world.code("444444").await)
        .expect("base64");
    let last = bytes.len() - 40;
    bytes[last] ^= 0x01;
    let tampered = base64::engine::general_purpose::STANDARD.encode(bytes);
    for (what, code) in [
        ("wrong key", wrong_key),
        ("wrong context", wrong_context),
        ("no context", no_context),
        ("tampered", tampered),
        ("not base64", "%%%".to_owned()),
    ] {
        let error = function.invoke(event("sign-up-email", &code)).await.error();
        assert_eq!(error.error_type, "DecryptFailed", "{what}");
    }
    assert!(
        world.emails().await.is_empty(),
        "nothing is sent without its code"
    );
    let refusals = function
        .log_records()
        .into_iter()
        .filter(|record| record["error_type"] == "DecryptFailed")
        .count();
    assert_eq!(refusals, 5, "one clear line per refusal");
    let logs = function.logs().join("\n");
    for code in ["111111", "222222", "333333", "444444"] {
        assert!(!logs.contains(code));
    }
    function.assert_no_panic();
}

#[tokio::test]
async fn ses_refusing_is_an_error_that_lambda_retries_and_the_retry_sends() {
    let world = World::new().await;
    // An unverified sender: moto's SES answers MessageRejected.
    let function = world
        .launch()
        .env("EMAIL_FROM", "unverified@example.org")
        .start()
        .await;
    let code = world.code("654321").await;
    let input = event("forgot-password-email", &code);
    let error = function.invoke(input.clone()).await.error();
    assert_eq!(error.error_type, "SendFailed");
    assert!(!error.error_message.contains("unverified@example.org"));
    assert!(world.emails().await.is_empty());
    let logs = function.logs().join("\n");
    assert!(!logs.contains("unverified@example.org"));
    assert!(!logs.contains("maria.silva@example.com"));
    // Lambda's retry delivers the same event: the failed claim was
    // released, so once SES accepts, it sends.
    let fixed = world.start().await;
    fixed.invoke(input).await.response();
    assert_eq!(world.emails().await.len(), 1);
}

#[tokio::test]
async fn other_sources_pass_through_and_other_request_types_are_refused() {
    let world = World::new().await;
    let function = world.start().await;
    function
        .assert_returns_unchanged(events::sample(FUNCTION, "unknown-source"))
        .await;
    let mut wrong_type = event("sign-up-email", &world.code("1").await);
    wrong_type["request"]["type"] = "customEmailSenderRequestV2".into();
    assert_eq!(
        function.invoke(wrong_type).await.error().error_type,
        "UnknownRequestType"
    );
    assert!(world.emails().await.is_empty());
}

/// The sample takeover notice's feedback token: it, and the links that
/// carry it, must never reach a log line (the log audit checks it too).
const FEEDBACK_TOKEN: &str = "fbk-sentinel-7Qx9Lm2Vp4";

fn takeover_notice() -> Value {
    let mut notice = events::sample(FUNCTION, "account-takeover-notification");
    assert!(notice["request"]["code"].is_null(), "a notice has no code");
    let attributes = &mut notice["request"]["userAttributes"];
    // Shown, escaped: plain text, but with what HTML must escape.
    attributes["CITY"] = "Gaia & Porto's".into();
    attributes["LOGIN_TIME"] = "<b>2026-12-07T04:00:00Z</b>".into();
    // Left out: the attacker's device name, made to look like a link, and
    // markup (either would be escaped; neither is shown at all).
    attributes["DEVICE_NAME"] = "Visit evil.example now".into();
    attributes["COUNTRY"] = "\"><script>alert(1)</script>".into();
    notice
}

#[tokio::test]
async fn a_takeover_notice_is_mailed_once_with_both_links_and_escaped_details() {
    let world = World::new().await;
    let function = world.start().await;
    let notice = takeover_notice();
    let output = function.invoke(notice.clone()).await.response();
    assert_eq!(output, notice, "the event comes back unchanged");
    let emails = world.emails().await;
    assert_eq!(emails.len(), 1, "one mail in moto's SES");
    let email = &emails[0];
    assert_eq!(email["source"], FROM);
    assert_eq!(
        email["destinations"]["ToAddresses"][0],
        "maria.silva@example.com"
    );
    assert_eq!(
        email["subject"],
        "We blocked a suspicious sign-in to your Acme & Co account"
    );
    let body = email["body"].as_str().expect("body");
    assert!(body.contains("We blocked the sign-in."), "{body}");
    assert!(
        body.contains("203.0.113.7 (Gaia &amp; Porto&#x27;s)"),
        "the city, escaped, and no country: {body}"
    );
    assert!(
        !body.contains("evil.example"),
        "the link-like device name: {body}"
    );
    assert!(!body.contains("script"), "{body}");
    assert!(
        body.contains("&lt;b&gt;2026-12-07T04:00:00Z&lt;&#x2f;b&gt;"),
        "LOGIN_TIME as given, escaped: {body}"
    );
    for valid in ["true", "false"] {
        let link = format!(
            "href=\"https://feedback.example.com/risk?token={FEEDBACK_TOKEN}&amp;valid={valid}\""
        );
        assert!(body.contains(&link), "{link} in {body}");
    }
    assert!(body.contains("Acme &amp; Co"), "the brand, escaped");

    // Cognito's retry of the same risk event sends nothing more.
    function.invoke(notice.clone()).await.response();
    assert_eq!(world.emails().await.len(), 1, "a retried notice sends once");
    function.wait_for_log_containing("already sent").await;
    // Another risk event is another notice.
    let mut next = notice;
    next["request"]["userAttributes"]["EVENT_ID"] = "9a8b7c6d-0000-4000-8000-000000000001".into();
    function.invoke(next).await.response();
    assert_eq!(world.emails().await.len(), 2);

    function
        .wait_for_log(|line| line.contains("message sent") && line.contains("9a8b7c6d-"))
        .await;
    let sent = function
        .log_records()
        .into_iter()
        .filter(|record| record["message"] == "message sent")
        .count();
    assert_eq!(sent, 2, "one outcome line per mail");
    let logs = function.logs().join("\n");
    assert!(
        logs.contains("d2ee7c09-5ea7-4c8f-9e6b-2d1c3f4a5b6c"),
        "the event id is logged"
    );
    for secret in [
        FEEDBACK_TOKEN,
        "feedback.example.com",
        "maria.silva@example.com",
        "Gaia",
    ] {
        assert!(!logs.contains(secret), "{secret} reached the logs");
    }
    function.assert_no_panic();
}

#[tokio::test]
async fn a_takeover_notice_without_https_links_or_an_event_id_is_refused_and_nothing_is_sent() {
    let world = World::new().await;
    let function = world.start().await;
    let with = |name: &str, value: Value| {
        let mut notice = takeover_notice();
        notice["request"]["userAttributes"][name] = value;
        notice
    };
    for (what, notice, reason) in [
        (
            "a javascript: link",
            with(
                "ONE_CLICK_LINK_INVALID",
                "javascript:alert(document.cookie)".into(),
            ),
            "link_not_https",
        ),
        (
            "an http link",
            with(
                "ONE_CLICK_LINK_VALID",
                format!("http://feedback.example.com/risk?token={FEEDBACK_TOKEN}").into(),
            ),
            "link_not_https",
        ),
        (
            "no EVENT_ID",
            with("EVENT_ID", Value::Null),
            "missing_attribute",
        ),
        (
            "an IP_ADDRESS that is not one",
            with("IP_ADDRESS", "visit evil.example".into()),
            "bad_ip_address",
        ),
    ] {
        // Answered, not failed: a retry would be refused the same way and
        // would carry the links (the feedback token) into the failure
        // queue.
        let answer = function.invoke(notice.clone()).await.response();
        assert_eq!(
            answer, notice,
            "{what} ({reason}): the event comes back whole"
        );
    }
    // One clear line per refusal, in order (the last one arrived: so did
    // the others).
    function
        .wait_for_log(|line| line.contains("InvalidNotice") && line.contains("bad_ip_address"))
        .await;
    let reasons: Vec<Value> = function
        .log_records()
        .into_iter()
        .filter(|record| record["error_type"] == "InvalidNotice")
        .map(|record| record["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        [
            "link_not_https",
            "link_not_https",
            "missing_attribute",
            "bad_ip_address"
        ]
    );
    // Each counted as refused, which the refusal alarm watches.
    let refused: Vec<Value> = function
        .log_records()
        .into_iter()
        .filter(|record| record.get("_aws").is_some() && record["Outcome"] == "refused")
        .map(|record| record["Reason"].clone())
        .collect();
    assert_eq!(
        refused,
        [
            "link_not_https",
            "link_not_https",
            "missing_attribute",
            "bad_ip_address"
        ]
    );
    assert!(world.emails().await.is_empty(), "nothing is sent");
    let logs = function.logs().join("\n");
    assert!(!logs.contains(FEEDBACK_TOKEN));
    assert!(!logs.contains("javascript:"));
    function.assert_no_panic();
}

#[tokio::test]
async fn bad_configuration_fails_the_cold_start_naming_the_variable() {
    let world = World::new().await;
    let mut function = world.launch().env("KEY_ARN", "alias/cognito").start().await;
    let error = function.init_error().await;
    assert_eq!(error.error_type, "ConfigError");
    assert!(
        error.error_message.contains("KEY_ARN"),
        "{}",
        error.error_message
    );
}

/// The whole path with real parts, which `make demo` shows: a sign-up in
/// cognito-local, which encrypts the code with the AWS Encryption SDK for
/// JavaScript and a KMS keyring against moto's KMS and invokes
/// `CustomEmailSender` through `cargo lambda watch`; the function decrypts
/// it through moto's KMS and sends the mail into moto's SES, in the user's
/// language; the code read back from that mail confirms the sign-up.
#[tokio::test]
async fn a_sign_up_through_cognito_local_is_mailed_by_the_custom_sender() {
    use aws_sdk_cognitoidentityprovider::types::{
        AttributeType, UsernameAttributeType, VerifiedAttributeType,
    };
    use e2e_tests::cognito_local::{
        CargoLambdaWatch, CognitoLocal, LambdaRelay, work_dir, write_env_file,
    };
    use e2e_tests::moto::free_port;

    const EMAIL: &str = "joana.souza@example.com";
    let mut world = World::new().await;
    let alias = "alias/cognito-local-codes";
    // cognito-local names the key by ARN and alias: a key with both.
    world.key_arn = new_key(&world.moto, Some(alias)).await;
    println!("moto (KMS, SES v2, DynamoDB)  {}", world.moto.endpoint());
    println!("the pool's key                {} ({alias})", world.key_arn);

    // Built (from its own workspace) before `cargo lambda watch` runs it.
    e2e_tests::runtime_api::binary_path(FUNCTION);

    let dir = work_dir("custom-sender");
    let watch_port = free_port();
    let relay = LambdaRelay::start(&format!("http://127.0.0.1:{watch_port}")).await;
    let cognito_local = CognitoLocal::start_with_config(
        &dir,
        &relay.endpoint(),
        &[("CustomEmailSender", FUNCTION)],
        serde_json::json!({
            "KMSConfig": {
                "KMSKeyId": world.key_arn,
                "KMSKeyAlias": alias,
                "endpoint": world.moto.endpoint(),
                "region": "us-east-1",
                "credentials": {"accessKeyId": "testing", "secretAccessKey": "testing"}
            }
        }),
    );
    let env_file = dir.join("functions.env");
    write_env_file(
        &env_file,
        &[
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_ENDPOINT_URL", world.moto.endpoint()),
            ("KEY_ARN", world.key_arn.clone()),
            // cognito-local encrypts without an encryption context.
            ("REQUIRE_POOL_CONTEXT", "false".into()),
            ("IDEMPOTENCY_TABLE", TABLE.into()),
            ("EMAIL_FROM", FROM.into()),
            ("APP_NAME", "Acme & Co".into()),
        ],
    );
    let bootstrap = e2e_tests::runtime_api::bootstrap_workspace(FUNCTION)
        .expect("custom-sender is built from its own workspace");
    let _watch =
        CargoLambdaWatch::start_in(&bootstrap, watch_port, &env_file, &dir.join("watch.log"));
    let cognito = cognito_local.client().await;
    let pool_id = cognito
        .create_user_pool()
        .pool_name("custom-sender")
        .username_attributes(UsernameAttributeType::Email)
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .send()
        .await
        .expect("create the pool")
        .user_pool
        .and_then(|pool| pool.id)
        .expect("the pool's id");
    let client_id = cognito
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("web")
        .send()
        .await
        .expect("create the client")
        .user_pool_client
        .and_then(|client| client.client_id)
        .expect("the client's id");
    let attribute = |name: &str, value: &str| {
        AttributeType::builder()
            .name(name)
            .value(value)
            .build()
            .expect("attribute")
    };

    println!("sign-up of {EMAIL} (locale pt-BR) in cognito-local");
    cognito
        .sign_up()
        .client_id(&client_id)
        .username(EMAIL)
        .password("Correct-Horse-9-Battery")
        .user_attributes(attribute("given_name", "Joana"))
        .user_attributes(attribute("locale", "pt-BR"))
        .send()
        .await
        .expect("the sign-up is accepted");
    let calls = relay.all();
    assert_eq!(calls.len(), 1, "one CustomEmailSender invocation");
    assert_eq!(calls[0].trigger_source(), "CustomEmailSender_SignUp");
    assert!(!calls[0].function_error, "{:?}", calls[0]);
    println!(
        "cognito-local invoked {} with request.code = {}…",
        calls[0].trigger_source(),
        &calls[0].event["request"]["code"]
            .as_str()
            .unwrap_or_default()[..24]
    );

    let emails = world.emails().await;
    assert_eq!(emails.len(), 1, "one mail in moto's SES");
    let email = &emails[0];
    assert_eq!(email["destinations"]["ToAddresses"][0], EMAIL);
    let body = email["body"].as_str().expect("body");
    assert!(body.contains("Olá, Joana"), "Portuguese, with her name");
    assert!(body.contains("Acme &amp; Co"), "the brand, escaped");
    // The code is an element's whole text (the layout's CSS colours are
    // six-digit runs too, `#333333`).
    let code: String = body
        .split('>')
        .filter_map(|after_tag| after_tag.split('<').next())
        .map(str::trim)
        .find(|text| text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()))
        .expect("a six-digit code as an element's text in the mail")
        .to_owned();
    println!(
        "moto's SES recorded: from {}, subject {:?}, a code of {} digits",
        email["source"],
        email["subject"],
        code.len()
    );

    cognito
        .confirm_sign_up()
        .client_id(&client_id)
        .username(EMAIL)
        .confirmation_code(&code)
        .send()
        .await
        .expect("the code from the mail confirms the sign-up");
    println!("ConfirmSignUp with the code from the mail: accepted");
}
