//! The network check: with `JWKS_FILE` set, the authorizer must make no
//! request to its `JWKS_URL`, at its cold start or after. A control without
//! `JWKS_FILE` shows that the counting server does see requests.

use e2e_tests::jwks_server::JwksServer;
use e2e_tests::runtime_api::Launch;

use crate::cases::{allowed, authorizer_env, token_event};

/// What a JWKS server saw.
pub struct NetworkCheck {
    pub invocations: usize,
    pub with_file: usize,
    pub control: usize,
}

/// An authorizer with `JWKS_FILE` and a `JWKS_URL` at a counting server:
/// its cold start and `invocations` fresh tokens must make no request. The
/// control, the same authorizer without `JWKS_FILE`, shows that the server
/// does count.
pub async fn network_check(server: &JwksServer, tokens: &[String]) -> NetworkCheck {
    let url = ("JWKS_URL".to_owned(), server.url_template());
    let before = server.requests();
    let function = Launch::new("authorizer")
        .envs(authorizer_env())
        .envs([url.clone()])
        .start()
        .await;
    for token in tokens {
        let answer = function.respond(token_event(token)).await;
        assert!(allowed(&answer), "the authorizer refused a good token");
    }
    function.stop().await;
    let with_file = server.requests() - before;

    let function = Launch::new("authorizer")
        .envs(
            authorizer_env()
                .into_iter()
                .filter(|(k, _)| k != "JWKS_FILE"),
        )
        .envs([url])
        .start()
        .await;
    let answer = function.respond(token_event(&tokens[0])).await;
    assert!(allowed(&answer), "the authorizer refused a good token");
    function.stop().await;
    NetworkCheck {
        invocations: tokens.len(),
        with_file,
        control: server.requests() - before - with_file,
    }
}
