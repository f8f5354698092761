use custom_sender_bootstrap::EsdkDecryptor;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    cognito_auth_core::function::run::<custom_sender::State<EsdkDecryptor>>().await
}
