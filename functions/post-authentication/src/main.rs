use cognito_auth_core::{config::Env, init, logging};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    let config = match Env::from_process(post_authentication::config::VARIABLES)
        .and_then(|env| post_authentication::Config::from_env(&env))
    {
        Ok(config) => config,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    // The DynamoDB client (when recording is on) is built once here and
    // reused by every invocation.
    let state = post_authentication::State::new(config).await;
    run(service_fn(|event| {
        post_authentication::handle(&state, event)
    }))
    .await
}
