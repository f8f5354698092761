#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    cognito_auth_core::function::run::<pre_sign_up::State>().await
}
