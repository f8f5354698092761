//! Configuration as the functions read it, through their declarations
//! (`cognito_auth_core::config::Var`).
//!
//! A function reads only the variables it declares, from the real process
//! environment: a declared variable that is not UTF-8 fails init naming it,
//! and any other variable, whatever its bytes, is none of its business.
//!
//! The configuration tables (docs/configuration.md) are rendered from the declarations, so
//! a variable is documented exactly as it is parsed: name, default, range,
//! example.
//!
//! Each table sits between `<!-- config:NAME -->` and `<!-- /config:NAME -->`
//! in docs/configuration.md, `NAME` being a function's binary or `every-function`. When
//! a declaration changes, regenerate them with `make config-docs` (the
//! `config-docs` binary of `tools/dev`), and review the diff.

use std::collections::BTreeSet;
use std::os::unix::ffi::OsStringExt;

use e2e_tests::declarations::{self, CONFIGURATION_DOC, FUNCTIONS, render, tables};
use e2e_tests::events::sample;
use e2e_tests::runtime_api::{Launch, workspace_root};

/// `a`, a byte that is not UTF-8, `b`.
fn not_utf8() -> std::ffi::OsString {
    std::ffi::OsString::from_vec(vec![b'a', 0xff, b'b'])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_variable_that_is_not_utf8_fails_init_naming_it() {
    let mut function = Launch::new("pre-sign-up")
        .env_os("AUTO_CONFIRM", not_utf8())
        .start()
        .await;
    let report = function.init_error().await;
    assert_eq!(report.error_type, "ConfigError");
    assert_eq!(report.error_message, "AUTO_CONFIRM: is not valid UTF-8");
    function.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_nobody_declares_is_ignored_whatever_its_bytes() {
    let function = Launch::new("pre-sign-up")
        .env_os("SOMEONE_ELSES_SETTING", not_utf8())
        .start()
        .await;
    let event = sample("pre-sign-up", "sign-up");
    let response = function.respond(event.clone()).await;
    assert_eq!(response["userName"], event["userName"]);
    assert_eq!(response["response"]["autoConfirmUser"], false);
    function.assert_no_panic();
    function.stop().await;
}

#[test]
fn readme_configuration_tables_match_the_declarations() {
    let path = workspace_root().join(CONFIGURATION_DOC);
    let readme = std::fs::read_to_string(&path).expect("read docs/configuration.md");
    let rendered = render(&readme, &tables()).unwrap_or_else(|why| panic!("{why}"));
    if rendered == readme {
        return;
    }
    let first_difference = readme
        .lines()
        .zip(rendered.lines())
        .position(|(was, now)| was != now)
        .map(|index| {
            format!(
                "line {}:\n  documented: {}\n  declared: {}",
                index + 1,
                readme.lines().nth(index).unwrap_or(""),
                rendered.lines().nth(index).unwrap_or("")
            )
        })
        .unwrap_or_else(|| "a table's length differs".to_owned());
    panic!(
        "docs/configuration.md's tables differ from the declarations; run \
         `make config-docs` and review the diff. First difference at {first_difference}"
    );
}

/// The renderer replaces only what lies between the markers, and refuses a
/// document without them: otherwise a deleted marker would pass silently.
#[test]
fn rendering_replaces_only_the_marked_tables() {
    let tables = vec![("f".to_owned(), "| new |\n".to_owned())];
    let readme = "intro\n<!-- config:f -->\n| old |\n<!-- /config:f -->\nafter\n";
    assert_eq!(
        render(readme, &tables).unwrap(),
        "intro\n<!-- config:f -->\n| new |\n<!-- /config:f -->\nafter\n"
    );
    assert!(
        render("no markers\n", &tables)
            .unwrap_err()
            .contains("config:f")
    );
    assert!(
        render("<!-- config:f -->\nunclosed\n", &tables)
            .unwrap_err()
            .contains("/config:f")
    );
}

/// Each function's configuration reads exactly the variables it declares:
/// none undeclared (that is an init failure in production), none declared
/// and never read (a stale declaration would keep the template setting a
/// dead variable). The environments reach every conditional read (the
/// authorizer's `AWS_REGION` only with rules in the `stage` scope). The log
/// level is the exception: `logging` reads it before any `Env` exists.
#[test]
fn each_function_reads_exactly_what_it_declares() {
    use cognito_auth_core::config::{ConfigError, Env, FromEnv};
    use cognito_auth_core::logging::{AWS_LAMBDA_LOG_LEVEL, RUST_LOG};

    type Reader = fn(&Env) -> Result<(), ConfigError>;
    fn read<C: FromEnv>(env: &Env) -> Result<(), ConfigError> {
        C::from_env(env).map(drop)
    }
    type Case = (
        &'static str,
        &'static [(&'static str, &'static str)],
        Reader,
    );
    let functions: [Case; 12] = [
        (
            "authorizer",
            &[
                ("USER_POOL_ID", "eu-west-1_AbC123"),
                ("APP_CLIENT_IDS", "client1"),
                ("AUTHZ_RULES", r#"[{"method":"GET","path":"/pets"}]"#),
                ("AUTHZ_POLICY_SCOPE", "stage"),
            ],
            read::<authorizer::Config>,
        ),
        ("pre-sign-up", &[], read::<pre_sign_up::Config>),
        ("post-confirmation", &[], read::<post_confirmation::Config>),
        (
            "pre-token-generation",
            &[],
            read::<pre_token_generation::Config>,
        ),
        (
            "custom-message",
            &[("APP_NAME", "Acme")],
            read::<custom_message::Config>,
        ),
        (
            "revocation-recorder",
            &[
                ("USER_POOL_ID", "eu-west-1_AbC123"),
                ("REVOCATION_TABLE", "revocations"),
            ],
            read::<revocation_recorder::Config>,
        ),
        (
            "sign-out",
            &[
                ("USER_POOL_ID", "eu-west-1_AbC123"),
                ("APP_CLIENT_IDS", "client1"),
                ("REVOCATION_TABLE", "revocations"),
            ],
            read::<sign_out::Config>,
        ),
        (
            "pre-authentication",
            &[],
            read::<pre_authentication::Config>,
        ),
        (
            "post-authentication",
            &[],
            read::<post_authentication::Config>,
        ),
        (
            "user-migration",
            &[
                ("LEGACY_USERS_TABLE", "legacy-users"),
                ("MARK_MIGRATED", "true"),
            ],
            read::<user_migration::Config>,
        ),
        (
            "custom-sender",
            &[
                (
                    "KEY_ARN",
                    "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                ),
                ("IDEMPOTENCY_TABLE", "custom-sender-idempotency"),
                ("APP_NAME", "Acme"),
            ],
            read::<custom_sender::Config>,
        ),
        ("deploy-keys", &[], read::<deploy_keys::Config>),
    ];
    assert_eq!(
        functions.len(),
        FUNCTIONS.len(),
        "a function is missing here"
    );
    for (binary, pairs, read) in functions {
        let env = Env::declared_with_pairs(declarations::of(binary), pairs.iter().copied());
        read(&env).unwrap_or_else(|err| panic!("{binary}: {err}"));
        let declared: BTreeSet<&str> = declarations::variables(binary)
            .iter()
            .map(|variable| variable.name())
            .filter(|name| ![AWS_LAMBDA_LOG_LEVEL.name, RUST_LOG.name].contains(name))
            .collect();
        assert_eq!(env.names_read(), declared, "{binary}: read ≠ declared");
    }
}

/// No function declares a name twice (two declarations of one name could
/// disagree on its default).
#[test]
fn no_function_declares_a_name_twice() {
    for (binary, _) in FUNCTIONS {
        let mut seen = BTreeSet::new();
        for variable in declarations::variables(binary) {
            assert!(
                seen.insert(variable.name()),
                "{binary} declares {} twice",
                variable.name()
            );
        }
    }
}
