//! The custom sender's peers and events: a KMS key in moto, the idempotency
//! table and the SES v2 sender identity, and a code of its own for every
//! message the bench makes the function send, so that the idempotency
//! claim never short-circuits a send; then, after the runs, what moto
//! recorded as sent against what the function was asked to send.
//!
//! The codes are encrypted as Cognito encrypts them (the AWS Encryption SDK,
//! under the pool's key, with the `userpool-id` encryption context), all of
//! them in one `scripts/encrypt_code.py` run, by the helpers the end-to-end
//! tests use (`e2e_tests::custom_sender`).

use std::collections::{BTreeSet, HashMap};

use e2e_tests::custom_sender::{
    create_idempotency_table, encrypt_codes, new_key, sent_emails, sent_sms, verify_sender,
};
use e2e_tests::events;
use e2e_tests::moto::Moto;
use serde_json::Value;

use crate::cases::{Case, SENDER_FROM, SENDER_POOL, SENDER_TABLE};
use crate::cold_start::ColdResult;
use crate::warm::WARM_UP;

/// The trigger sources the bench sends, one per channel.
pub const EMAIL_SOURCE: &str = "CustomEmailSender_SignUp";
pub const SMS_SOURCE: &str = "CustomSMSSender_SignUp";

/// The events the custom sender's rows send, each with a code of its own.
pub struct SenderEvents {
    /// The key the codes are encrypted under (`KEY_ARN`).
    pub key_arn: String,
    /// One sign-up email per cold start.
    pub cold: Vec<Value>,
    /// Sign-up emails for the warm run, its warm-up's included.
    pub email: Vec<Value>,
    /// Sign-up SMS for the warm run, its warm-up's included.
    pub sms: Vec<Value>,
    /// Timed invocations of each warm row (`--sends`).
    pub sends: usize,
    /// Each code's plaintext, by its ciphertext (`request.code`).
    pub plaintexts: HashMap<String, String>,
}

/// Sets up moto for the function and encrypts `starts` codes for the cold
/// starts and `WARM_UP + sends` for each warm row.
pub async fn prepare(moto: &Moto, starts: usize, sends: usize) -> SenderEvents {
    let dynamodb = moto.dynamodb().await;
    create_idempotency_table(&dynamodb, SENDER_TABLE).await;
    verify_sender(moto, SENDER_FROM).await;
    let key_arn = new_key(moto, None).await;
    let warm = WARM_UP + sends;
    let plaintexts: Vec<String> = (0..starts + 2 * warm).map(code).collect();
    let ciphertexts =
        encrypt_codes(moto, &key_arn, &[("userpool-id", SENDER_POOL)], &plaintexts).await;
    let plaintexts: HashMap<String, String> = ciphertexts.iter().cloned().zip(plaintexts).collect();
    let mut codes = ciphertexts.into_iter();
    let mut take = |count: usize, name: &str| -> Vec<Value> {
        codes
            .by_ref()
            .take(count)
            .map(|code| {
                let mut event = events::sample("custom-sender", name);
                event["request"]["code"] = Value::String(code);
                event
            })
            .collect()
    };
    let cold = take(starts, "sign-up-email");
    let email = take(warm, "sign-up-email");
    let sms = take(warm, "sign-up-sms");
    SenderEvents {
        key_arn,
        cold,
        email,
        sms,
        sends,
        plaintexts,
    }
}

/// The `i`th plaintext code: six digits, as Cognito's, and distinct.
fn code(i: usize) -> String {
    format!("{:06}", 100_000 + i)
}

/// The plaintext codes of the messages the runs asked for, by channel.
#[derive(Debug, Default)]
pub struct Asked {
    pub emails: Vec<String>,
    pub sms: Vec<String>,
}

/// How many messages, by channel.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sends {
    pub emails: usize,
    pub sms: usize,
}

impl Asked {
    pub fn count(&self) -> Sends {
        Sends {
            emails: self.emails.len(),
            sms: self.sms.len(),
        }
    }
}

/// The messages the runs asked for: every cold start and warm invocation
/// (warm-up included) of a custom-sender row whose event is one of the
/// sources above, by the plaintext of its code. `warm_invocations` is each
/// case's timed count, `None` where it had no warm run.
pub fn asked(
    events: &SenderEvents,
    cases: &[Case],
    cold: &[ColdResult],
    warm_invocations: &[Option<usize>],
) -> Asked {
    let mut asked = Asked::default();
    for ((case, cold), invocations) in cases.iter().zip(cold).zip(warm_invocations) {
        if case.binary != crate::stage::SENDER {
            continue;
        }
        let cold_events = (0..cold.times.len()).map(|round| case.cold_event(round));
        let warm_events = invocations
            .map(|count| case.warm_events(count))
            .into_iter()
            .flatten();
        for event in cold_events.chain(warm_events) {
            let list = match event["triggerSource"].as_str() {
                Some(EMAIL_SOURCE) => &mut asked.emails,
                Some(SMS_SOURCE) => &mut asked.sms,
                _ => continue,
            };
            let ciphertext = event["request"]["code"].as_str().unwrap_or_default();
            let plaintext = events
                .plaintexts
                .get(ciphertext)
                .unwrap_or_else(|| panic!("{}: a code the bench did not encrypt", case.label));
            list.push(plaintext.clone());
        }
    }
    asked
}

/// What moto recorded as sent, after checking that it is what the runs
/// asked for: as many emails and SMS, every one to the sample's address,
/// and each code asked for in a recorded message. Panics otherwise, as a
/// wrong answer does.
pub async fn recorded(moto: &Moto, asked: &Asked) -> Sends {
    let emails = sent_emails(moto).await;
    let sms: Vec<String> = sent_sms(moto).await.iter().map(Value::to_string).collect();
    let recorded = Sends {
        emails: emails.len(),
        sms: sms.len(),
    };
    assert_eq!(
        recorded,
        asked.count(),
        "custom-sender: moto recorded other sends than the bench asked for"
    );
    let bodies: Vec<String> = emails
        .iter()
        .map(|email| {
            assert_eq!(
                email["destinations"]["ToAddresses"][0], "maria.silva@example.com",
                "custom-sender: an email to another address"
            );
            email["body"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    for text in &sms {
        assert!(
            text.contains("+5511987654321"),
            "custom-sender: an SMS to another number"
        );
    }
    for (channel, texts, codes) in [("email", &bodies, &asked.emails), ("SMS", &sms, &asked.sms)] {
        let found: BTreeSet<String> = texts.iter().flat_map(|text| six_digit_runs(text)).collect();
        let missing = codes.iter().filter(|code| !found.contains(*code)).count();
        assert_eq!(
            missing, 0,
            "custom-sender: {missing} code(s) asked for by {channel} in no message moto recorded"
        );
    }
    recorded
}

/// Every run of exactly six ASCII digits in `text`.
fn six_digit_runs(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 6)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_distinct_digits() {
        assert_eq!(code(0), "100000");
        assert_eq!(code(719), "100719");
        assert_eq!(
            six_digit_runs("code 100042, not 1234567 nor 12345, but 999999"),
            ["100042", "999999"]
        );
    }
}
