//! The AWS side: the SDK clients built once at init, the idempotency
//! record in DynamoDB, and the two sends (SES v2, SNS).
//!
//! Every call has the shared budget (`AWS_CALL_TIMEOUT_MS`,
//! `AWS_ATTEMPT_TIMEOUT_MS`, `AWS_MAX_ATTEMPTS`, see
//! `cognito_auth_core::aws`). A failed call is reported by its codes only
//! ([`CallError::code`], [`CallError::aws_code`]): SES's and SNS's error
//! texts can quote the destination address, which must never be logged.
//!
//! # Idempotency
//!
//! Cognito invokes these triggers asynchronously, and Lambda retries a
//! failed asynchronous invocation (twice by default) with the same event;
//! it may also, rarely, deliver one event more than once. The record's key
//! is a SHA-256 digest of `request.code`: an Encryption SDK message has a
//! fresh random message id and data key each time it is made, so the same
//! bytes mean the same invocation (a retry or a duplicate delivery), and a
//! new code (a resend, a new sign-up) is a new key. The digest, not the
//! ciphertext, is stored: the record never holds the code in any form.
//!
//! The record is claimed before the send (`sending`), marked `sent` after
//! it, and marked `failed` when the send fails, which lets Lambda's retry
//! claim it again. A claim left `sending` by a sandbox that died mid-send is
//! taken over after [`STALE_CLAIM`], longer than the function's timeout.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sns::types::MessageAttributeValue;
use cognito_auth_core::aws::{AwsLimits, CallError};

use crate::config::{EmailSettings, SmsSettings};
use crate::render::{Email, Sms};

/// The record's partition key (S).
pub const PARTITION_KEY: &str = "id";
/// The record's TTL attribute (N, epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// How long a `sending` claim blocks a retry: longer than the function's
/// timeout (template: 30 s), so only a claim whose sandbox is gone expires.
pub const STALE_CLAIM: Duration = Duration::from_secs(120);

/// The idempotency key of a `request.code`: `sha256:<hex>`.
pub fn idempotency_key(code: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, code.as_bytes());
    let mut key = String::with_capacity(7 + 64);
    key.push_str("sha256:");
    for byte in digest.as_ref() {
        key.push_str(&format!("{byte:02x}"));
    }
    key
}

/// How a claim ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This invocation sends.
    Claimed,
    /// Sent already, or being sent by another invocation: do nothing.
    Duplicate,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Claims `key` for this invocation.
pub async fn claim(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    key: &str,
    ttl: Duration,
    limits: &AwsLimits,
) -> Result<Claim, CallError> {
    let now = now_secs();
    let result = dynamodb
        .put_item()
        .table_name(table)
        .item(PARTITION_KEY, AttributeValue::S(key.to_owned()))
        .item("status", AttributeValue::S("sending".to_owned()))
        .item("claimed_at", AttributeValue::N(now.to_string()))
        .item(
            TTL_ATTRIBUTE,
            AttributeValue::N((now + ttl.as_secs()).to_string()),
        )
        .condition_expression(
            "attribute_not_exists(#id) OR #status = :failed \
             OR (#status = :sending AND claimed_at < :stale)",
        )
        .expression_attribute_names("#id", PARTITION_KEY)
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":failed", AttributeValue::S("failed".to_owned()))
        .expression_attribute_values(":sending", AttributeValue::S("sending".to_owned()))
        .expression_attribute_values(
            ":stale",
            AttributeValue::N(now.saturating_sub(STALE_CLAIM.as_secs()).to_string()),
        )
        .send()
        .await;
    match result {
        Ok(_) => Ok(Claim::Claimed),
        Err(error)
            if matches!(
                error.as_service_error(),
                Some(PutItemError::ConditionalCheckFailedException(_))
            ) =>
        {
            Ok(Claim::Duplicate)
        }
        Err(error) => Err(CallError::classify("PutItem", &error, limits)),
    }
}

/// Marks `key` `sent` or `failed`.
pub async fn settle(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    key: &str,
    status: &'static str,
    limits: &AwsLimits,
) -> Result<(), CallError> {
    dynamodb
        .update_item()
        .table_name(table)
        .key(PARTITION_KEY, AttributeValue::S(key.to_owned()))
        .update_expression("SET #status = :status")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":status", AttributeValue::S(status.to_owned()))
        .send()
        .await
        .map(|_| ())
        .map_err(|error| CallError::classify("UpdateItem", &error, limits))
}

/// A request the SDK refused to build (a required field missing).
fn build_error(operation: &'static str, error: &dyn std::fmt::Display) -> CallError {
    CallError::Failed {
        operation,
        code: "BuildError".to_owned(),
        detail: error.to_string(),
    }
}

/// `SendEmail` (SES v2), simple content, UTF-8. Returns SES's message id.
pub async fn send_email(
    ses: &aws_sdk_sesv2::Client,
    settings: &EmailSettings,
    from: &str,
    to: &str,
    email: &Email,
    limits: &AwsLimits,
) -> Result<Option<String>, CallError> {
    const OPERATION: &str = "SendEmail";
    let content = |data: &str| {
        Content::builder()
            .data(data)
            .charset("UTF-8")
            .build()
            .map_err(|error| build_error(OPERATION, &error))
    };
    let message = Message::builder()
        .subject(content(&email.subject)?)
        .body(Body::builder().html(content(&email.html)?).build())
        .build();
    ses.send_email()
        .from_email_address(from)
        .destination(Destination::builder().to_addresses(to).build())
        .content(EmailContent::builder().simple(message).build())
        .set_configuration_set_name(settings.configuration_set.clone())
        .set_reply_to_addresses(settings.reply_to.clone().map(|address| vec![address]))
        .send()
        .await
        .map(|output| output.message_id)
        .map_err(|error| CallError::classify(OPERATION, &error, limits))
}

/// `Publish` (SNS) to a phone number, with the SMS type and, when set, the
/// sender id. Returns SNS's message id.
pub async fn send_sms(
    sns: &aws_sdk_sns::Client,
    settings: &SmsSettings,
    to: &str,
    sms: &Sms,
    limits: &AwsLimits,
) -> Result<Option<String>, CallError> {
    const OPERATION: &str = "Publish";
    let attribute = |value: &str| {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .map_err(|error| build_error(OPERATION, &error))
    };
    let mut request = sns
        .publish()
        .phone_number(to)
        .message(&sms.text)
        .message_attributes("AWS.SNS.SMS.SMSType", attribute(&settings.sms_type)?);
    if let Some(sender_id) = &settings.sender_id {
        request = request.message_attributes("AWS.SNS.SMS.SenderID", attribute(sender_id)?);
    }
    request
        .send()
        .await
        .map(|output| output.message_id)
        .map_err(|error| CallError::classify(OPERATION, &error, limits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_digests_of_the_ciphertext() {
        let key = idempotency_key("AYADeJ...");
        assert!(key.starts_with("sha256:"));
        assert_eq!(key.len(), 7 + 64);
        assert_eq!(key, idempotency_key("AYADeJ..."));
        assert_ne!(key, idempotency_key("AYADeK..."));
        assert_eq!(
            idempotency_key(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
