//! The two functions that write the revocation store, through their real
//! binaries, with moto as DynamoDB and Cognito (issue #25 §2):
//! - `recorder`: the EventBridge events of `events/revocation-recorder/`,
//!   each admin action's item, replays, older events, ignored events, a
//!   store that is not there;
//! - `sign_out`: the route of `POST /sign-out` (REST and HTTP API events),
//!   both scopes, Cognito's side, and each refusal.
//!
//! Every test also checks that no line the binary printed holds a token.

mod recorder;
mod sign_out;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// The item under `key`, read consistently; `None` when absent.
pub async fn item(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    key: &str,
) -> Option<HashMap<String, AttributeValue>> {
    dynamodb
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(key.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("read the revocation item from moto")
        .item
}

/// The number attribute `name` of `item`.
pub fn number(item: &HashMap<String, AttributeValue>, name: &str) -> u64 {
    item.get(name)
        .and_then(|value| value.as_n().ok())
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| panic!("{name} is not a number in {item:?}"))
}

/// The string attribute `name` of `item`.
pub fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    item.get(name)
        .and_then(|value| value.as_s().ok())
        .unwrap_or_else(|| panic!("{name} is not a string in {item:?}"))
}

/// How many items the table holds.
pub async fn count(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> i32 {
    dynamodb
        .scan()
        .table_name(table)
        .consistent_read(true)
        .send()
        .await
        .expect("scan the revocation table")
        .count
}
