//! The Encryption SDK's checks as this decryptor uses them, on real
//! messages: a raw AES keyring encrypts locally (no KMS needed), and the
//! decryptor opens them with the same `decrypt` call the KMS keyring goes
//! through. The KMS path itself runs end to end against moto's KMS
//! (tests/tests/e2e/custom_sender.rs).

use std::collections::HashMap;
use std::net::TcpListener;

use aws_esdk::material_providers::types::AesWrappingAlg;
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use cognito_auth_core::config::{Env, FromEnv};
use custom_sender::decrypt::expected_context;

use super::*;

const POOL: &str = "us-east-1_Ex4mPle01";

async fn aes_keyring(key: u8) -> KeyringRef {
    material_providers()
        .unwrap()
        .create_raw_aes_keyring()
        .key_namespace("tests")
        .key_name("code-key")
        .wrapping_key(vec![key; 32])
        .wrapping_alg(AesWrappingAlg::AlgAes256GcmIv12Tag16)
        .send()
        .await
        .unwrap()
}

/// `plaintext` encrypted with `keyring` under `context`, as Cognito does
/// with the pool's key (the default suite: committing, signed).
async fn encrypt(keyring: KeyringRef, plaintext: &str, context: &[(&str, &str)]) -> Vec<u8> {
    let client =
        aws_esdk::Client::from_conf(AwsEncryptionSdkConfig::builder().build().unwrap()).unwrap();
    let context: HashMap<String, String> = context
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    client
        .encrypt()
        .plaintext(plaintext.as_bytes().to_vec())
        .keyring(keyring)
        .encryption_context(context)
        .send()
        .await
        .unwrap()
        .ciphertext
        .unwrap()
        .into_inner()
}

fn refused(result: Result<Secret, DecryptError>) -> bool {
    matches!(result, Err(DecryptError::Refused { .. }))
}

#[tokio::test]
async fn the_pools_context_opens_and_any_other_is_refused() {
    let decryptor = EsdkDecryptor::with_keyring(aes_keyring(7).await).unwrap();
    let ours = encrypt(aes_keyring(7).await, "123456", &[("userpool-id", POOL)]).await;
    let secret = decryptor
        .decrypt(ours.clone(), expected_context(POOL, true))
        .await
        .unwrap();
    assert_eq!(secret.expose(), "123456");
    assert!(refused(
        decryptor
            .decrypt(ours.clone(), expected_context("us-east-1_Other", true))
            .await
    ));
    let other_pool = encrypt(
        aes_keyring(7).await,
        "222222",
        &[("userpool-id", "us-east-1_Other")],
    )
    .await;
    assert!(refused(
        decryptor
            .decrypt(other_pool, expected_context(POOL, true))
            .await
    ));
    let no_context = encrypt(aes_keyring(7).await, "333333", &[]).await;
    assert!(refused(
        decryptor
            .decrypt(no_context.clone(), expected_context(POOL, true))
            .await
    ));
    // REQUIRE_POOL_CONTEXT=false (cognito-local): any context opens.
    let secret = decryptor
        .decrypt(no_context, expected_context(POOL, false))
        .await
        .unwrap();
    assert_eq!(secret.expose(), "333333");
}

#[tokio::test]
async fn another_key_a_changed_byte_and_garbage_are_refused() {
    let decryptor = EsdkDecryptor::with_keyring(aes_keyring(7).await).unwrap();
    let context = expected_context(POOL, true);
    let other_key = encrypt(aes_keyring(8).await, "111111", &[("userpool-id", POOL)]).await;
    assert!(refused(decryptor.decrypt(other_key, context.clone()).await));
    let message = encrypt(aes_keyring(7).await, "444444", &[("userpool-id", POOL)]).await;
    // A byte of the header (the context), of the body, of the signature.
    for at in [20, message.len() - 120, message.len() - 1] {
        let mut tampered = message.clone();
        tampered[at] ^= 0x01;
        assert!(
            refused(decryptor.decrypt(tampered, context.clone()).await),
            "byte {at} of {}",
            message.len()
        );
    }
    assert!(refused(
        decryptor
            .decrypt(b"not a message".to_vec(), context.clone())
            .await
    ));
    let error = decryptor
        .decrypt(b"not a message".to_vec(), context)
        .await
        .unwrap_err();
    assert_eq!(error.reason(), "refused");
}

/// The KMS keyring for `KEY_ARN` is built without a network call, and a
/// message with no data key for that ARN is refused without one: the SDK
/// points at a listener that would see any connection.
#[tokio::test]
async fn the_kms_keyring_refuses_other_keys_without_calling_kms() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{}", listener.local_addr().unwrap()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDTESTS",
            "tests",
            None,
            None,
            "tests",
        )))
        .build();
    let config = Config::from_env(&Env::from_pairs([
        (
            "KEY_ARN",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        ("IDEMPOTENCY_TABLE", "custom-sender-idempotency"),
        ("APP_NAME", "Acme"),
    ]))
    .unwrap();
    let decryptor = EsdkDecryptor::start(&config, &sdk).await.unwrap();
    let message = encrypt(aes_keyring(7).await, "555555", &[("userpool-id", POOL)]).await;
    // Bounded: a call to the listener would wait for an answer forever.
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        decryptor.decrypt(message, expected_context(POOL, true)),
    )
    .await
    .expect("refused at once, not waiting on KMS");
    assert!(refused(result));
    listener.set_nonblocking(true).unwrap();
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "no call reached KMS"
    );
}
