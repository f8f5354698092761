//! The deployed [`DecryptCode`]: the official AWS Encryption SDK for Rust
//! (`aws-esdk`) with a KMS keyring for the one key in `KEY_ARN`.
//!
//! - The keyring is a KMS keyring for that key ARN only: a message whose
//!   data keys were encrypted under any other key has no data key this
//!   keyring may ask KMS to decrypt, and is refused without a KMS call on
//!   its behalf.
//! - The encryption context pairs the library asks for (`userpool-id` = the
//!   event's pool) are handed to the Encryption SDK, which refuses a message
//!   whose authenticated context lacks one of them.
//! - The commitment policy is `RequireEncryptAllowDecrypt`, the one AWS's
//!   Cognito examples use: it opens both the committing (v2) messages that
//!   current Encryption SDKs write and the v1 messages older ones wrote.

use std::collections::HashMap;

use aws_esdk::material_providers::client as mpl_client;
use aws_esdk::material_providers::types::EsdkCommitmentPolicy;
use aws_esdk::material_providers::types::keyring::KeyringRef;
use aws_esdk::material_providers::types::material_providers_config::MaterialProvidersConfig;
use aws_esdk::types::aws_encryption_sdk_config::AwsEncryptionSdkConfig;
use custom_sender::Config;
use custom_sender::decrypt::{DecryptCode, DecryptError, SdkConfig, Secret};

/// The Encryption SDK client and the one-key keyring, built once at init.
pub struct EsdkDecryptor {
    client: aws_esdk::Client,
    keyring: KeyringRef,
}

impl std::fmt::Debug for EsdkDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EsdkDecryptor")
    }
}

fn setup(error: &dyn std::fmt::Display) -> DecryptError {
    DecryptError::Setup(error.to_string())
}

/// The Material Providers client, which makes keyrings.
fn material_providers() -> Result<mpl_client::Client, DecryptError> {
    let config = MaterialProvidersConfig::builder()
        .build()
        .map_err(|e| setup(&e))?;
    mpl_client::Client::from_conf(config).map_err(|e| setup(&e))
}

impl EsdkDecryptor {
    /// A decryptor that opens messages with `keyring` only.
    pub fn with_keyring(keyring: KeyringRef) -> Result<EsdkDecryptor, DecryptError> {
        let config = AwsEncryptionSdkConfig::builder()
            .commitment_policy(EsdkCommitmentPolicy::RequireEncryptAllowDecrypt)
            .build()
            .map_err(|e| setup(&e))?;
        let client = aws_esdk::Client::from_conf(config).map_err(|e| setup(&e))?;
        Ok(EsdkDecryptor { client, keyring })
    }
}

impl DecryptCode for EsdkDecryptor {
    /// A KMS keyring for `config.key_arn` only. No network call: KMS is
    /// called on the first decrypt.
    async fn start(config: &Config, sdk: &SdkConfig) -> Result<EsdkDecryptor, DecryptError> {
        let keyring = material_providers()?
            .create_aws_kms_keyring()
            .kms_key_id(config.key_arn.as_str())
            .kms_client(aws_sdk_kms::Client::new(sdk))
            .send()
            .await
            .map_err(|e| setup(&e))?;
        EsdkDecryptor::with_keyring(keyring)
    }

    async fn decrypt(
        &self,
        message: Vec<u8>,
        expected_context: HashMap<String, String>,
    ) -> Result<Secret, DecryptError> {
        let output = self
            .client
            .decrypt()
            .ciphertext(message)
            .keyring(self.keyring.clone())
            .encryption_context(expected_context)
            .send()
            .await
            .map_err(|error| DecryptError::refused(&error))?;
        let plaintext = output.plaintext.ok_or(DecryptError::Refused {
            detail: "no plaintext in the answer".to_owned(),
        })?;
        Secret::from_plaintext(plaintext.into_inner())
    }
}

#[cfg(test)]
mod tests;
