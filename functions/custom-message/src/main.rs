use cognito_auth_core::{config::Env, init, logging};
use custom_message::{Config, State};
use lambda_runtime::{Error, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    logging::init();
    // Reading the variables and loading and checking every template happen
    // here, once: a bad template fails the cold start, naming its file.
    let state = match Env::from_process(custom_message::config::VARIABLES)
        .and_then(|env| Config::from_env(&env))
        .and_then(State::new)
    {
        Ok(state) => state,
        Err(error) => init::fail("ConfigError", &error).await,
    };
    run(service_fn(|event| custom_message::handle(&state, event))).await
}
