//! Opening `request.code`: an AWS Encryption SDK message, base64, that
//! Cognito encrypted under the pool's KMS key (`LambdaConfig.KMSKeyID`).
//!
//! This crate does everything around the opening (the size and base64
//! checks, the encryption context a code must carry, the redacted
//! [`Secret`], the reasons in logs and metrics) and leaves the opening
//! itself to a [`DecryptCode`]. The deployed one,
//! `custom_sender_bootstrap::decrypt::EsdkDecryptor`, is the official AWS
//! Encryption SDK for Rust (`aws-esdk`) with a KMS keyring. It lives in the
//! bootstrap's own Cargo workspace (`functions/custom-sender/bootstrap`)
//! because aws-esdk takes the AWS SDK with its default features, which
//! bring `ring` and a second TLS stack: in this workspace, feature
//! unification under SAM's root builds would link them into every other
//! function (docs/custom-sender.md, "Supply chain").
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
//! The plaintext is held in [`Secret`], whose `Debug` prints nothing, so a
//! stray `?secret` in a log line cannot leak it.

use std::collections::HashMap;
use std::future::Future;

/// The AWS SDK configuration a [`DecryptCode`] builds its KMS client from:
/// the one every client of this function shares (region, endpoint,
/// credentials, the AWS call budget's timeouts and retries).
pub use aws_config::SdkConfig;
use base64::Engine as _;

use crate::config::Config;

/// Opens an AWS Encryption SDK message: the one thing this crate leaves to
/// its bootstrap (see the module's documentation for why).
///
/// An implementation is built once at init and must refuse, as
/// [`DecryptError::Refused`], a message encrypted under any key but
/// `config.key_arn`, one whose authenticated encryption context lacks a
/// pair of `expected_context`, and one with a changed byte.
pub trait DecryptCode: Sized {
    /// Builds the decryptor for `config.key_arn` only, with a KMS client
    /// from `sdk`. No network call: KMS is called on the first decrypt.
    fn start(config: &Config, sdk: &SdkConfig) -> impl Future<Output = Result<Self, DecryptError>>;

    /// Opens `message` (the bytes of `request.code`, see [`decode`]),
    /// requiring every pair of `expected_context` (see
    /// [`expected_context`]). The plaintext goes through
    /// [`Secret::from_plaintext`].
    fn decrypt(
        &self,
        message: Vec<u8>,
        expected_context: HashMap<String, String>,
    ) -> impl Future<Output = Result<Secret, DecryptError>>;
}

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

    /// A decrypted plaintext, which must be UTF-8 text (a code or a
    /// temporary password).
    pub fn from_plaintext(plaintext: Vec<u8>) -> Result<Secret, DecryptError> {
        String::from_utf8(plaintext)
            .map(Secret)
            .map_err(|_| DecryptError::NotText)
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
    /// A refusal by the Encryption SDK, its text cut to a log-friendly
    /// length (it never holds the plaintext).
    pub fn refused(error: &dyn std::fmt::Display) -> DecryptError {
        DecryptError::Refused {
            detail: bounded(&error.to_string()),
        }
    }

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
    fn only_text_is_a_secret() {
        assert_eq!(
            Secret::from_plaintext(b"Tmp<p>&1".to_vec())
                .unwrap()
                .expose(),
            "Tmp<p>&1"
        );
        assert!(matches!(
            Secret::from_plaintext(vec![0xff, 0xfe]),
            Err(DecryptError::NotText)
        ));
    }

    #[test]
    fn refusals_carry_a_bounded_detail() {
        let error = DecryptError::refused(&"x".repeat(1000));
        assert_eq!(error.reason(), "refused");
        assert!(error.to_string().chars().count() < 500);
    }

    #[test]
    fn long_errors_are_cut() {
        assert_eq!(bounded("short"), "short");
        assert_eq!(bounded(&"é".repeat(500)).chars().count(), 401);
    }
}
