use cognito_auth_core::{config::Env, init, logging};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = match Env::from_process(revocation_recorder::config::VARIABLES)
        .and_then(|env| revocation_recorder::Config::from_env(&env))
    {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    // The SDK clients are built once here and reused by every invocation.
    let state = revocation_recorder::State::new(config).await;
    run(service_fn(|event| {
        revocation_recorder::handle(&state, event)
    }))
    .await
}
