//! Configuration: bad values fail init, naming the variable.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_fails_the_init_naming_the_variable() {
    for (env, variable) in [
        (vec![("AUTO_CONFIRM", "sometimes")], "AUTO_CONFIRM"),
        (
            vec![("AUTO_CONFIRM", "domains")],
            "AUTO_CONFIRM_EMAIL_DOMAINS",
        ),
        (
            vec![("ALLOWED_EMAIL_DOMAINS", "example.com, not a domain")],
            "ALLOWED_EMAIL_DOMAINS",
        ),
        (
            vec![("BLOCKED_EMAIL_DOMAINS", "@spam.example")],
            "BLOCKED_EMAIL_DOMAINS",
        ),
        (
            vec![
                ("AUTO_CONFIRM", "domains"),
                ("AUTO_CONFIRM_EMAIL_DOMAINS", "exa*mple.com"),
            ],
            "AUTO_CONFIRM_EMAIL_DOMAINS",
        ),
        (
            vec![("BLOCK_DISPOSABLE_EMAILS", "yes")],
            "BLOCK_DISPOSABLE_EMAILS",
        ),
        (
            vec![("REQUIRED_ATTRIBUTES", "given name")],
            "REQUIRED_ATTRIBUTES",
        ),
        (vec![("LINK_FEDERATED_USERS", "1")], "LINK_FEDERATED_USERS"),
        (
            vec![
                ("LINK_FEDERATED_USERS", "true"),
                ("LINK_PROVIDER_NAMES", "google"),
            ],
            "LINK_PROVIDER_NAMES",
        ),
        (
            vec![("APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER", "no")],
            "APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER",
        ),
        (
            vec![("LINK_FEDERATED_USERS", "true"), ("AUTO_CONFIRM", "all")],
            "LINK_FEDERATED_USERS",
        ),
        (
            vec![("LINK_FEDERATED_USERS", "true")],
            "LINK_PROVIDER_DOMAINS",
        ),
        (
            vec![("LINK_PROVIDER_DOMAINS", "Google=gmail.com")],
            "LINK_PROVIDER_DOMAINS",
        ),
        (
            vec![
                ("LINK_FEDERATED_USERS", "true"),
                ("LINK_PROVIDER_DOMAINS", "Okta=corp.example"),
            ],
            "LINK_PROVIDER_DOMAINS",
        ),
        (
            vec![
                ("LINK_FEDERATED_USERS", "true"),
                ("LINK_PROVIDER_DOMAINS", "Google=gmail .com"),
            ],
            "LINK_PROVIDER_DOMAINS",
        ),
        (vec![("AUTO_VERIFY_PHONE", "yes")], "AUTO_VERIFY_PHONE"),
        (vec![("AUTO_VERIFY_PHONE", "true")], "AUTO_VERIFY_PHONE"),
    ] {
        let mut function = start(&env).await;
        let report = function.init_error().await;
        assert_eq!(report.error_type, "ConfigError", "{env:?}");
        assert!(
            report.error_message.starts_with(&format!("{variable}: ")),
            "{env:?}: {}",
            report.error_message
        );
    }
}
