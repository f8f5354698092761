//! Faults of the link call: a refused or failed link refuses the sign-up
//! with a retryable message, and a slow Cognito is cut off well within the
//! trigger's five-second budget.

use super::*;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_link_refuses_the_sign_up_with_a_retryable_message() {
    let moto = Moto::start();
    let pool = Pool::with_native_users(&moto, &[("jane", "jane@example.com", true)]).await;

    // A client error is not retried.
    let refusing = linking_front(&moto, LinkAnswer::Refuse).await;
    let function = start_linking(&refusing, &[]).await;
    let error = function
        .invoke(pool.federated_sign_up("Google_1", "jane@example.com"))
        .await
        .error();
    assert_eq!(error.error_type, "LinkFailed");
    assert_eq!(
        error.error_message,
        "Sign-in could not be completed, please try again"
    );
    assert_eq!(refusing.calls(LINK_TARGET).len(), 1);
    function
        .wait_for_log(|line| {
            line.contains("could not link the federated user")
                && line.contains("InvalidParameterException")
        })
        .await;

    // A server error is retried within the shared call budget
    // (AWS_MAX_ATTEMPTS attempts in all, 3 by default), then refused.
    let failing = linking_front(&moto, LinkAnswer::Fail).await;
    let function = start_linking(&failing, &[]).await;
    let error = function
        .invoke(pool.federated_sign_up("Google_2", "jane@example.com"))
        .await
        .error();
    assert_eq!(error.error_type, "LinkFailed");
    assert_eq!(
        failing.calls(LINK_TARGET).len() as u64,
        cognito_auth_core::aws::DEFAULT_MAX_ATTEMPTS
    );
    let function = start_linking(&failing, &[("AWS_MAX_ATTEMPTS", "2")]).await;
    let error = function
        .invoke(pool.federated_sign_up("Google_2b", "jane@example.com"))
        .await
        .error();
    assert_eq!(error.error_type, "LinkFailed");
    assert_eq!(
        failing.calls(LINK_TARGET).len() as u64,
        cognito_auth_core::aws::DEFAULT_MAX_ATTEMPTS + 2,
        "AWS_MAX_ATTEMPTS=2 is honoured"
    );

    // moto itself, which lacks the call, gives the same refusal.
    let function = Launch::new(FUNCTION)
        .env("LINK_FEDERATED_USERS", "true")
        .env("LINK_PROVIDER_DOMAINS", GOOGLE_FOR_EXAMPLE_COM)
        .envs(moto.env())
        .start()
        .await;
    let error = function
        .invoke(pool.federated_sign_up("Google_3", "jane@example.com"))
        .await
        .error();
    assert_eq!(error.error_type, "LinkFailed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_cognito_is_cut_off_well_within_the_five_second_budget() {
    let moto = Moto::start();
    let pool = Pool::with_native_users(&moto, &[("jane", "jane@example.com", true)]).await;
    let front = linking_front(&moto, LinkAnswer::Slow(Duration::from_secs(10))).await;
    // The default budget is the subject: kept under an emulator too.
    let function = linking(&front, &[]).deployed_budgets().start().await;
    // Warm up (first SDK use, credentials) with a sign-up that needs no link.
    respond_flags(
        &function,
        pool.federated_sign_up("Google_0", "nobody@example.com"),
    )
    .await;

    let started = Instant::now();
    let error = function
        .invoke(pool.federated_sign_up("Google_1", "jane@example.com"))
        .await
        .error();
    let elapsed = started.elapsed();
    assert_eq!(error.error_type, "LinkFailed");
    assert!(
        elapsed < Duration::from_millis(4_500),
        "took {elapsed:?}; Cognito gives up after 5 s"
    );
    assert!(
        elapsed >= Duration::from_millis(1_000),
        "took only {elapsed:?}"
    );
    eprintln!("slow AdminLinkProviderForUser cut off after {elapsed:?}");
}
