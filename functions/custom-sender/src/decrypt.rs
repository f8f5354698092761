//! Opening `request.code`: an AWS Encryption SDK message, base64, that
//! Cognito encrypted under the pool's KMS key (`LambdaConfig.KMSKeyID`).
//!
//! # What is checked
//!
//! - The keyring is a KMS keyring for the **one** key ARN in `KEY_ARN`: a
//!   message whose data keys were encrypted under any other key has no data
//!   key this keyring may ask KMS to decrypt, and is refused without a KMS
//!   call on its behalf.
//! - The encryption context must hold `userpool-id` = the event's
//!   `userPoolId` (unless `REQUIRE_POOL_CONTEXT=false`): a code another pool
//!   encrypted under a shared key is refused. The Encryption SDK checks the
//!   pairs it is given against the message's (authenticated) context.
//! - The message is authenticated (AES-GCM and, for the signing suites,
//!   ECDSA): a tampered byte is refused.
//!
//! The commitment policy is `RequireEncryptAllowDecrypt`, the one AWS's
//! Cognito examples use: it opens both the committing (v2) messages that
//! current Encryption SDKs write and the v1 messages older ones wrote.
//!
//! The plaintext is held in [`Secret`], whose `Debug` prints nothing, so a
//! stray `?secret` in a log line cannot leak it.

use std::collections::HashMap;

use aws_esdk::material_providers::client as mpl_client;
use aws_esdk::material_providers::types::EsdkCommitmentPolicy;
use aws_esdk::material_providers::types::keyring::KeyringRef;
use aws_esdk::material_providers::types::material_providers_config::MaterialProvidersConfig;
use aws_esdk::types::aws_encryption_sdk_config::AwsEncryptionSdkConfig;
use base64::Engine as _;

/// The encryption-context key under which Cognito names the pool.
pub const POOL_CONTEXT_KEY: &str = "userpool-id";

/// The longest `request.code` accepted, in base64 characters: a code or a
/// temporary password under one or two data keys and a signature is well
/// under 2 KiB; anything far larger is not from Cognito.
pub const MAX_CIPHERTEXT_CHARS: usize = 16 * 1024;

/// A decrypted code or temporary password. Its `Debug` is redacted.
pub struct Secret(String);

impl Secret {
    /// A secret made by a test, not decrypted.
    #[cfg(test)]
    pub(crate) fn for_tests(code: &str) -> Secret {
        Secret(code.to_owned())
    }

    /// The code, to put into the message (and nowhere else).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Why a code could not be opened. None carries the plaintext.
#[derive(Debug, thiserror::Error)]
pub enum DecryptError {
    /// Not base64, empty or oversized: not an Encryption SDK message.
    #[error("request.code is not a base64 Encryption SDK message")]
    NotAMessage,
    /// The Encryption SDK refused it: another key, another context, a
    /// tampered byte, or KMS refused or failed.
    #[error("the Encryption SDK refused request.code: {detail}")]
    Refused {
        /// The Encryption SDK's message (never the plaintext).
        detail: String,
    },
    /// It opened, but to something that is not UTF-8 text.
    #[error("request.code decrypted to bytes that are not UTF-8")]
    NotText,
    /// Building the Encryption SDK clients failed (at init).
    #[error("the Encryption SDK could not be set up: {0}")]
    Setup(String),
}

impl DecryptError {
    /// A stable snake_case reason for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            DecryptError::NotAMessage => "not_a_message",
            DecryptError::Refused { .. } => "refused",
            DecryptError::NotText => "not_text",
            DecryptError::Setup(_) => "setup",
        }
    }
}

/// The Encryption SDK client and the one-key keyring, built once at init.
pub struct Decryptor {
    client: aws_esdk::Client,
    keyring: KeyringRef,
}

impl std::fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Decryptor")
    }
}

impl Decryptor {
    /// Builds the client and a KMS keyring for `key_arn` only. No network
    /// call: KMS is called on the first decrypt.
    pub async fn new(key_arn: &str, kms: aws_sdk_kms::Client) -> Result<Self, DecryptError> {
        let setup = |error: &dyn std::fmt::Display| DecryptError::Setup(error.to_string());
        let config = AwsEncryptionSdkConfig::builder()
            .commitment_policy(EsdkCommitmentPolicy::RequireEncryptAllowDecrypt)
            .build()
            .map_err(|e| setup(&e))?;
        let client = aws_esdk::Client::from_conf(config).map_err(|e| setup(&e))?;
        let mpl = mpl_client::Client::from_conf(
            MaterialProvidersConfig::builder()
                .build()
                .map_err(|e| setup(&e))?,
        )
        .map_err(|e| setup(&e))?;
        let keyring = mpl
            .create_aws_kms_keyring()
            .kms_key_id(key_arn)
            .kms_client(kms)
            .send()
            .await
            .map_err(|e| setup(&e))?;
        Ok(Self { client, keyring })
    }

    /// Opens `code`, requiring `expected_context` (see [`expected_context`]).
    pub async fn decrypt(
        &self,
        code: &str,
        expected_context: HashMap<String, String>,
    ) -> Result<Secret, DecryptError> {
        let ciphertext = decode(code)?;
        let output = self
            .client
            .decrypt()
            .ciphertext(ciphertext)
            .keyring(self.keyring.clone())
            .encryption_context(expected_context)
            .send()
            .await
            .map_err(|error| DecryptError::Refused {
                detail: bounded(&error.to_string()),
            })?;
        let plaintext = output.plaintext.ok_or(DecryptError::Refused {
            detail: "no plaintext in the answer".to_owned(),
        })?;
        String::from_utf8(plaintext.into_inner())
            .map(Secret)
            .map_err(|_| DecryptError::NotText)
    }
}

/// The context pairs a code must carry: `userpool-id` = the event's pool,
/// or none when `require_pool_context` is off.
pub fn expected_context(pool_id: &str, require_pool_context: bool) -> HashMap<String, String> {
    if require_pool_context {
        HashMap::from([(POOL_CONTEXT_KEY.to_owned(), pool_id.to_owned())])
    } else {
        HashMap::new()
    }
}

/// The message bytes of a base64 `request.code`.
pub fn decode(code: &str) -> Result<Vec<u8>, DecryptError> {
    if code.is_empty() || code.len() > MAX_CIPHERTEXT_CHARS {
        return Err(DecryptError::NotAMessage);
    }
    base64::engine::general_purpose::STANDARD
        .decode(code)
        .map_err(|_| DecryptError::NotAMessage)
}

/// The Encryption SDK's error text, cut to a log-friendly length.
fn bounded(text: &str) -> String {
    const MAX: usize = 400;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret("123456".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(secret.expose(), "123456");
    }

    #[test]
    fn the_pool_context_is_required_unless_turned_off() {
        assert_eq!(
            expected_context("eu-west-1_abc", true),
            HashMap::from([("userpool-id".to_owned(), "eu-west-1_abc".to_owned())])
        );
        assert!(expected_context("eu-west-1_abc", false).is_empty());
    }

    #[test]
    fn only_base64_of_a_sane_size_is_decoded() {
        assert!(matches!(decode(""), Err(DecryptError::NotAMessage)));
        assert!(matches!(
            decode("not base64!"),
            Err(DecryptError::NotAMessage)
        ));
        let huge = "A".repeat(MAX_CIPHERTEXT_CHARS + 4);
        assert!(matches!(decode(&huge), Err(DecryptError::NotAMessage)));
        assert_eq!(decode("AQID").unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn long_errors_are_cut() {
        assert_eq!(bounded("short"), "short");
        assert_eq!(bounded(&"é".repeat(500)).chars().count(), 401);
    }
}
