//! End-to-end tests of the custom-message trigger: the real binary, driven
//! through the Runtime API harness with the sample events of
//! `events/custom-message/`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use e2e_tests::events;
use e2e_tests::runtime_api::{Function, Launch};
use serde_json::{Value, json};

const NAME: &str = "custom-message";
const LOCALES: [&str; 3] = ["en", "es", "pt"];
const SOURCES: [(&str, &str); 7] = [
    ("CustomMessage_SignUp", "sign-up"),
    ("CustomMessage_ResendCode", "resend-code"),
    ("CustomMessage_ForgotPassword", "forgot-password"),
    ("CustomMessage_UpdateUserAttribute", "update-user-attribute"),
    ("CustomMessage_VerifyUserAttribute", "verify-user-attribute"),
    ("CustomMessage_AdminCreateUser", "admin-create-user"),
    ("CustomMessage_Authentication", "authentication"),
];
/// Values from the sample events that must never reach a log line.
const PRIVATE: [&str; 4] = [
    "maria.silva@example.com",
    "evil.example",
    "+5511912345678",
    "<script>",
];

// ---- Helpers (local to this file) -------------------------------------------

fn sample(case: &str) -> Value {
    events::sample(NAME, case)
}

fn launch() -> Launch {
    Launch::new(NAME)
        .env("APP_NAME", "Acme")
        .env("APP_URL", "https://app.example.com/sign-in?from=email&v=1")
        .env("SUPPORT_EMAIL", "help@example.com")
}

/// A throw-away `TEMPLATES_DIR`, removed when dropped.
struct TemplatesDir(PathBuf);

impl TemplatesDir {
    fn new(files: &[(&str, &str)]) -> TemplatesDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "custom-message-e2e-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create the templates folder");
        for (name, source) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().expect("a parent folder"))
                .expect("create a locale folder");
            std::fs::write(&path, source).expect("write a template");
        }
        TemplatesDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn env(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TemplatesDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text<'a>(response: &'a Value, field: &str) -> &'a str {
    response["response"][field]
        .as_str()
        .unwrap_or_else(|| panic!("response.{field} is not a string: {}", response["response"]))
}

/// The returned event equals the input in every member but `response`.
#[track_caller]
fn assert_only_response_changed(input: &Value, output: &Value) {
    let (Value::Object(input), Value::Object(output)) = (input, output) else {
        panic!("events are objects");
    };
    let keys = |map: &serde_json::Map<String, Value>| map.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(input), keys(output), "members added or lost");
    for (key, value) in input {
        if key != "response" {
            assert_eq!(&output[key], value, "member {key} changed");
        }
    }
}

/// Cognito's length limits, counted in UTF-16 units like the function does.
fn length(text: &str) -> usize {
    text.encode_utf16().count()
}

#[track_caller]
fn assert_within_limits(response: &Value) {
    assert!(length(text(response, "emailSubject")) <= 140);
    assert!(length(text(response, "smsMessage")) <= 140);
    assert!(length(text(response, "emailMessage")) <= 20_000);
}

/// No log line carries a user's private value.
#[track_caller]
fn assert_logs_are_clean(function: &Function) {
    for line in function.logs() {
        for private in PRIVATE {
            assert!(
                !line.contains(private),
                "a log line leaks {private:?}: {line}"
            );
        }
    }
}

// ---- Every source in every locale --------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_source_in_every_shipped_locale() {
    let function = launch().start().await;
    for locale in LOCALES {
        let mut subjects = std::collections::HashSet::new();
        let mut sms_texts = std::collections::HashSet::new();
        for (trigger, case) in SOURCES {
            let mut event = sample(case);
            assert_eq!(event["triggerSource"], trigger, "{case}.json");
            event["request"]["userAttributes"]["locale"] = json!(locale);
            event["request"]["userAttributes"]["given_name"] = json!("Maria");
            let response = function.respond(event.clone()).await;
            assert_only_response_changed(&event, &response);
            assert_within_limits(&response);

            let subject = text(&response, "emailSubject");
            let email = text(&response, "emailMessage");
            let sms = text(&response, "smsMessage");
            let context = format!("{locale} {trigger}");
            assert!(subject.contains("Acme"), "{context}: {subject}");
            assert!(sms.starts_with("Acme: "), "{context}: {sms}");
            for body in [email, sms] {
                assert!(
                    body.contains("{####}"),
                    "{context}: no code placeholder in {body}"
                );
            }
            if trigger == "CustomMessage_AdminCreateUser" {
                for body in [email, sms] {
                    assert!(
                        body.contains("{username}"),
                        "{context}: no username placeholder in {body}"
                    );
                }
                assert!(
                    email.contains("href=\"https://app.example.com/sign-in?from=email&amp;v=1\""),
                    "{context}: {email}"
                );
            }
            assert!(email.starts_with("<!DOCTYPE html>"), "{context}");
            assert!(
                email.contains(&format!("<html lang=\"{locale}\">")),
                "{context}"
            );
            let greeting = match locale {
                "en" => "Hi Maria,",
                "es" => "Hola, Maria:",
                _ => "Olá, Maria!",
            };
            assert!(email.contains(greeting), "{context}: no {greeting:?}");
            assert!(email.contains("mailto:help@example.com"), "{context}");
            subjects.insert(subject.to_owned());
            sms_texts.insert(sms.to_owned());
        }
        // Every source has its own subject; the SMS texts differ too, except
        // that sign-up and attribute verification share a plain wording.
        assert_eq!(subjects.len(), SOURCES.len(), "{locale}: {subjects:?}");
        assert!(
            sms_texts.len() >= SOURCES.len() - 1,
            "{locale}: {sms_texts:?}"
        );
    }
    assert_logs_are_clean(&function);
}

// ---- Locale resolution ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locale_comes_from_the_user_then_the_app_then_the_default() {
    let function = launch().env("DEFAULT_LOCALE", "es").start().await;
    let lang = |response: &Value| {
        let email = text(response, "emailMessage");
        let start = email.find("<html lang=\"").expect("an html tag") + 12;
        email[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let mut cases = Vec::new();
    // The user's attribute wins, falling back from region to language.
    let mut event = sample("forgot-password");
    event["request"]["userAttributes"]["locale"] = json!("pt-BR");
    event["request"]["clientMetadata"] = json!({"locale": "en"});
    cases.push((event, "pt"));
    // clientMetadata when the user has none.
    let mut event = sample("client-metadata-locale");
    event["request"]["clientMetadata"] = json!({"locale": "en-GB"});
    cases.push((event, "en"));
    // A language without templates falls through to the next candidate.
    let mut event = sample("sign-up");
    event["request"]["userAttributes"]["locale"] = json!("de-DE");
    event["request"]["clientMetadata"] = json!({"locale": "pt"});
    cases.push((event, "pt"));
    // Nothing usable: DEFAULT_LOCALE.
    let mut event = sample("sign-up");
    event["request"]["userAttributes"]["locale"] = json!("../../etc/passwd");
    cases.push((event, "es"));
    cases.push((sample("update-user-attribute"), "es"));
    for (event, expected) in cases {
        let response = function.respond(event.clone()).await;
        assert_eq!(lang(&response), expected, "{}", event["request"]);
    }
    let line = function
        .wait_for_log(|line| {
            line.contains("custom message composed") && line.contains("\"locale\":\"pt\"")
        })
        .await;
    assert!(
        line.contains("\"trigger_source\":\"CustomMessage_ForgotPassword\""),
        "{line}"
    );
}

// ---- Escaping ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attributes_holding_markup_or_links_cannot_inject_them() {
    // The built-in templates greet by name, and withhold a name that could
    // carry a link.
    let function = launch().start().await;
    let event = sample("hostile-attributes");
    let response = function.respond(event.clone()).await;
    assert_only_response_changed(&event, &response);
    for field in ["emailSubject", "emailMessage", "smsMessage"] {
        let text = text(&response, field);
        assert!(!text.contains("<script"), "{field}: {text}");
        assert!(!text.contains("evil.example"), "{field}: {text}");
    }
    assert!(text(&response, "emailMessage").contains("<p>Hi,</p>"));
    assert_logs_are_clean(&function);

    // An operator template that prints the raw attributes still gets them
    // escaped, in text and in an attribute value.
    let dir = TemplatesDir::new(&[(
        "en/sign_up.html",
        "{% extends \"layout.html\" %}{% block content %}\
         <p title=\"{{ attributes.given_name|default('') }}\">{{ attributes.family_name|default('') }}</p>\
         <p>{{ attributes.name|default('') }}</p><p>{{ code }} {% if link %}{{ link }}{% endif %}</p>{% endblock %}",
    )]);
    let function = launch().env("TEMPLATES_DIR", dir.env()).start().await;
    let response = function.respond(event.clone()).await;
    let email = text(&response, "emailMessage");
    assert!(
        email.contains("title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2f;script&gt;\""),
        "{email}"
    );
    assert!(
        email.contains(
            "&lt;a href=&quot;https:&#x2f;&#x2f;evil.example&quot;&gt;click&lt;&#x2f;a&gt;"
        ),
        "{email}"
    );
    assert!(!email.contains("<script"), "{email}");
    assert!(!email.contains("<a href=\"https://evil"), "{email}");
    // The placeholders are untouched.
    assert!(email.contains("<p>{####} {##Click Here##}</p>"), "{email}");
}

// ---- Placeholders ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_come_from_the_event_and_link_parameter_is_kept() {
    let function = launch().start().await;
    // Values other than Cognito's usual ones prove nothing is hard-coded,
    // and characters HTML would escape prove nothing is escaped.
    let mut event = sample("sign-up");
    event["request"]["codeParameter"] = json!("{#code&'\"#}");
    event["request"]["linkParameter"] = json!("{##Verify <Email>##}");
    let response = function.respond(event.clone()).await;
    assert_only_response_changed(&event, &response);
    assert_eq!(response["request"]["linkParameter"], "{##Verify <Email>##}");
    let email = text(&response, "emailMessage");
    assert!(email.contains("{#code&'\"#}"), "{email}");
    assert!(email.contains("{##Verify <Email>##}"), "{email}");
    assert!(!email.contains("{####}"), "{email}");
    assert!(text(&response, "smsMessage").ends_with("{#code&'\"#}"));

    let mut event = sample("admin-create-user");
    event["request"]["usernameParameter"] = json!("{user/name}");
    let response = function.respond(event.clone()).await;
    for field in ["emailMessage", "smsMessage"] {
        assert!(text(&response, field).contains("{user/name}"), "{field}");
    }

    // Without a link the message simply has no link line.
    let mut event = sample("resend-code");
    event["request"]["linkParameter"] = Value::Null;
    let response = function.respond(event.clone()).await;
    assert_only_response_changed(&event, &response);
    let email = text(&response, "emailMessage");
    assert!(
        !email.contains("Click Here") && !email.contains("one click"),
        "{email}"
    );
}

// ---- Limits and fallback ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_a_limit_falls_back_without_user_data() {
    let dir = TemplatesDir::new(&[
        (
            "en/sign_up.subject.txt",
            "Welcome to {{ app_name }}{% if name %}, {{ name }}{% endif %}! {{ attributes.nickname|default('') }}",
        ),
        (
            "en/sign_up.sms.txt",
            "{{ attributes.nickname|default('Hi') }}: your {{ app_name }} code is {{ code }}",
        ),
        (
            "en/sign_up.html",
            "<p>{{ code }}</p>{% for i in range(12) %}<p>{{ attributes.bio|default('') }}</p>{% endfor %}",
        ),
    ]);
    let function = launch().env("TEMPLATES_DIR", dir.env()).start().await;

    // Within the limits: the full message.
    let mut event = sample("sign-up");
    event["request"]["userAttributes"]["nickname"] = json!("Mari");
    event["request"]["userAttributes"]["bio"] = json!("Short bio.");
    let response = function.respond(event.clone()).await;
    assert_eq!(
        text(&response, "emailSubject"),
        "Welcome to Acme, Maria! Mari"
    );
    assert_eq!(
        text(&response, "smsMessage"),
        "Mari: your Acme code is {####}"
    );
    assert!(text(&response, "emailMessage").contains("Short bio."));

    // Each text over its limit: the same template without user data.
    let nickname = "N".repeat(150);
    let bio = "B".repeat(2_000);
    event["request"]["userAttributes"]["nickname"] = json!(nickname);
    event["request"]["userAttributes"]["bio"] = json!(bio);
    let response = function.respond(event.clone()).await;
    assert_only_response_changed(&event, &response);
    assert_within_limits(&response);
    assert_eq!(text(&response, "emailSubject"), "Welcome to Acme!");
    assert_eq!(
        text(&response, "smsMessage"),
        "Hi: your Acme code is {####}"
    );
    let email = text(&response, "emailMessage");
    assert!(
        email.starts_with("<p>{####}</p>") && !email.contains("BBBB"),
        "{email}"
    );

    for channel in ["emailSubject", "smsMessage", "emailMessage"] {
        let line = function
            .wait_for_log(|line| {
                line.contains("\"level\":\"ERROR\"")
                    && line.contains("\"reason\":\"too_long\"")
                    && line.contains(&format!("\"channel\":\"{channel}\""))
            })
            .await;
        assert!(!line.contains("NNNN") && !line.contains("BBBB"), "{line}");
    }
    function
        .wait_for_log(|line| {
            line.contains("custom message composed")
                && line.contains("\"email_message\":\"without_user_data\"")
        })
        .await;
    assert_logs_are_clean(&function);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_cannot_be_valid_is_left_to_the_pool_default() {
    let function = launch().start().await;

    // An invitation without its username placeholder: neither body can be
    // valid. The subject needs no placeholder and is kept.
    let event = sample("admin-create-user-without-username");
    let response = function.respond(event.clone()).await;
    assert_only_response_changed(&event, &response);
    assert_eq!(response["response"]["emailMessage"], Value::Null);
    assert_eq!(response["response"]["smsMessage"], Value::Null);
    assert_eq!(text(&response, "emailSubject"), "You are invited to Acme");
    function
        .wait_for_log(|line| {
            line.contains("\"reason\":\"missing_username\"") && line.contains("pool's default")
        })
        .await;

    // A code placeholder so long that no SMS can hold it.
    let mut event = sample("authentication");
    event["request"]["codeParameter"] = json!(format!("{{{}}}", "#".repeat(150)));
    let response = function.respond(event.clone()).await;
    assert_eq!(response["response"]["smsMessage"], Value::Null);
    assert!(text(&response, "emailMessage").contains(&"#".repeat(150)));

    // No code placeholder at all: every channel keeps the pool's default.
    let mut event = sample("sign-up");
    event["request"]["codeParameter"] = Value::Null;
    let response = function.respond(event.clone()).await;
    assert_only_response_changed(&event, &response);
    assert_eq!(
        response["response"],
        json!({"smsMessage": null, "emailMessage": null, "emailSubject": null})
    );
    function
        .wait_for_log_containing("has no codeParameter")
        .await;
}

// ---- Pass-through and envelope ---------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_source_passes_through_untouched() {
    let function = launch().start().await;
    for event in [
        sample("unknown-source"),
        json!({"triggerSource": "PreSignUp_SignUp", "request": {"userAttributes": {}}, "response": {"autoConfirmUser": false}}),
        json!({"triggerSource": "CustomMessage_Future", "response": {"emailMessage": "kept"}}),
    ] {
        let response = function.respond(event.clone()).await;
        assert_eq!(response, event);
    }
    function
        .wait_for_log(|line| {
            line.contains("not a custom-message source")
                && line.contains("CustomMessage_NewFeature")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_event_is_a_clear_error() {
    let function = launch().start().await;
    for event in [
        json!([1, 2]),
        json!({"request": {}}),
        json!({"triggerSource": "CustomMessage_SignUp", "request": "x"}),
    ] {
        let error = function.invoke(event).await.error();
        assert_eq!(error.error_type, "MalformedEvent");
        assert_eq!(error.error_message, "the request could not be processed");
    }
    // The function keeps serving.
    let response = function.respond(sample("sign-up")).await;
    assert!(text(&response, "emailMessage").contains("{####}"));
}

// ---- Attribute value types ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_boolean_number_and_null_attribute_values() {
    let dir = TemplatesDir::new(&[(
        "pt/sign_up.sms.txt",
        "{{ code }} v={{ attributes.email_verified|default('-') }} \
         p={{ attributes.phone_number_verified|default('-') }} a={{ attributes['custom:age']|default('-') }} \
         m={% if attributes.middle_name is defined %}yes{% else %}no{% endif %} n={{ name|default('-') }}",
    )]);
    let function = launch().env("TEMPLATES_DIR", dir.env()).start().await;
    // Booleans, a number and nulls, as test consoles send them; the locale
    // attribute is null, so clientMetadata's `pt_br` decides.
    let event = sample("mixed-attribute-types");
    assert_eq!(
        event["request"]["userAttributes"]["email_verified"],
        json!(false)
    );
    assert_eq!(event["request"]["userAttributes"]["locale"], Value::Null);
    let response = function.respond(event.clone()).await;
    assert_only_response_changed(&event, &response);
    assert_eq!(
        text(&response, "smsMessage"),
        "{####} v=false p=true a=42 m=no n=Maria"
    );
    assert!(text(&response, "emailMessage").contains("<html lang=\"pt\">"));

    // Real events send strings.
    let mut event = sample("mixed-attribute-types");
    for (key, value) in [
        ("email_verified", "false"),
        ("phone_number_verified", "true"),
        ("custom:age", "42"),
    ] {
        event["request"]["userAttributes"][key] = json!(value);
    }
    let response = function.respond(event).await;
    assert_eq!(
        text(&response, "smsMessage"),
        "{####} v=false p=true a=42 m=no n=Maria"
    );

    // A null or absent userAttributes map is no error.
    for attributes in [Value::Null, json!({})] {
        let mut event = sample("sign-up");
        event["request"]["userAttributes"] = attributes;
        let response = function.respond(event.clone()).await;
        assert_only_response_changed(&event, &response);
        assert!(text(&response, "emailMessage").contains("<p>Hi,</p>"));
    }
}

// ---- Init errors -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_template_fails_init_naming_the_file() {
    type Files = &'static [(&'static str, &'static str)];
    let cases: [(Files, &str, &str); 4] = [
        (
            &[("en/sign_up.sms.txt", "Your code is {####}")],
            "en/sign_up.sms.txt",
            "code placeholder",
        ),
        (
            &[("es/forgot_password.html", "{% if code %}{{ code }}")],
            "es/forgot_password.html",
            "does not parse",
        ),
        (
            &[("de/sign_up.html", "{{ code }}")],
            "de/sign_up.html",
            "de/sign_up.subject.txt",
        ),
        (
            &[("en/sign-up.html", "{{ code }}")],
            "en/sign-up.html",
            "is not a template name",
        ),
    ];
    for (files, file, expected) in cases {
        let dir = TemplatesDir::new(files);
        let mut function = launch().env("TEMPLATES_DIR", dir.env()).start().await;
        let report = function.init_error().await;
        assert_eq!(report.error_type, "ConfigError");
        let path = dir.path().join(file).display().to_string();
        assert!(
            report.error_message.starts_with("TEMPLATES_DIR: "),
            "{}",
            report.error_message
        );
        assert!(
            report.error_message.contains(&path),
            "{} does not name {path}",
            report.error_message
        );
        assert!(
            report.error_message.contains(expected),
            "{}",
            report.error_message
        );
    }

    let mut function = launch()
        .env("TEMPLATES_DIR", "/nonexistent/custom-message-templates")
        .start()
        .await;
    let report = function.init_error().await;
    assert!(
        report
            .error_message
            .contains("/nonexistent/custom-message-templates"),
        "{}",
        report.error_message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_fails_init_naming_the_variable() {
    for (launch, variable) in [
        (Launch::new(NAME), "APP_NAME"),
        (launch().env("APP_URL", "javascript:alert(1)"), "APP_URL"),
        (launch().env("DEFAULT_LOCALE", "fr"), "DEFAULT_LOCALE"),
        (launch().env("APP_NAME", "A".repeat(41)), "APP_NAME"),
    ] {
        let mut function = launch.start().await;
        let report = function.init_error().await;
        assert_eq!(report.error_type, "ConfigError");
        assert!(
            report.error_message.starts_with(&format!("{variable}: ")),
            "{}",
            report.error_message
        );
    }
}

// ---- Sample events round-trip --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_round_trips() {
    let cases = events::json_files(&events::events_dir(NAME));
    assert!(cases.len() > SOURCES.len(), "{cases:?}");
    let function = launch().start().await;
    for path in cases {
        let case = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a file name");
        let event = sample(case);
        let response = function.respond(event.clone()).await;
        assert_only_response_changed(&event, &response);
        let fields = response["response"].as_object().expect("response object");
        for field in ["emailSubject", "emailMessage", "smsMessage"] {
            assert!(
                matches!(fields.get(field), Some(Value::String(_) | Value::Null)),
                "{case}: {field}"
            );
        }
        if case == "unknown-source" {
            assert_eq!(response, event);
        } else {
            assert!(fields["emailSubject"].is_string(), "{case}");
        }
    }
    assert_logs_are_clean(&function);
}
